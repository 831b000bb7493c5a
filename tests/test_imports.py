from __future__ import annotations

import subprocess
import sys

import pipeflow_nb


def test_importing_the_package_pulls_in_no_heavy_stack() -> None:
    code = (
        "import sys, pipeflow_nb\n"
        "heavy = [m for m in ('fastapi', 'uvicorn', 'ipywidgets', 'ipycytoscape', 'av', "
        "'pipeflow_nb.server', 'pipeflow_nb.widgets') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_is_sorted_and_resolvable() -> None:
    names = pipeflow_nb.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(pipeflow_nb, name) is not None
    import pipeflow_nb.models as models

    assert models.__all__ == sorted(models.__all__)
