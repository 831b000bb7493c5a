"""The ``%%node`` magic in a real Jupyter kernel (nbclient): edit, stale, partial re-run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SETUP = """\
%load_ext pipeflow_nb
import pipeflow_nb as pf
from pipeflow_nb.nodes.builtin import builtin_definitions
demo = pf.Pipeline("demo", registry=pf.NodeRegistry(builtin_definitions()))
calls = []
"""
CELLS = [
    '%%node a --pipeline demo\ncalls.append("a")\nxs = [1, 2, 3]',
    '%%node b --pipeline demo\ncalls.append("b")\ntotal = sum(xs)',
    '%%node c --pipeline demo\ncalls.append("c")\ndouble = total * 2',
    '%%node b --pipeline demo\ncalls.append("b")\ntotal = sum(xs) + 100',
    'import json\nstale = %pipeflow_stale demo\nprint("STALE", json.dumps(stale))\ncalls.clear()',
    "execution = demo.run()\n"
    'print("RERUN", json.dumps({"calls": calls, "double": double,'
    ' "c": execution.node_run("c").rerun_reason}))',
]


def test_cells_as_nodes_in_a_kernel(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [nbformat.v4.new_code_cell(SETUP), *(nbformat.v4.new_code_cell(c) for c in CELLS)]
    notebook = nbformat.v4.new_notebook(cells=cells)
    env = dict(os.environ, PIPEFLOW_HOME=str(tmp_path / "home"))
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=env)
    lines = [
        line
        for cell in notebook.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
        for line in out.get("text", "").splitlines()
    ]
    stale = json.loads(next(ln for ln in lines if ln.startswith("STALE "))[6:])
    assert stale == {"c": "input changed (upstream 'b': code changed)"}
    rerun = json.loads(next(ln for ln in lines if ln.startswith("RERUN "))[6:])
    # after the edit only c re-ran, and the namespace got its new value
    assert rerun == {"calls": ["c"], "double": 212, "c": "input changed"}
    previews = [
        out["data"]["text/html"]
        for out in notebook.cells[2].get("outputs", [])
        if "text/html" in out.get("data", {})
    ]
    assert any('data-node="b"' in html for html in previews)
