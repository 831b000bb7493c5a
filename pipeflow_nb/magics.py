"""``%load_ext pipeflow_nb``: notebook cells as pipeline nodes.

::

    %%node load --pipeline demo
    xs = [1, 2, 3]

    %%node stats --pipeline demo
    total = sum(xs)            # reads xs: load.xs feeds stats.xs

The ``%%node NAME`` cell magic registers (or updates) the cell as node ``NAME`` of the
named pipeline, wires its inputs from the cells that produce them, runs it and whatever
upstream is out of date through the engine (cached nodes are reused), puts its outputs in
the notebook namespace and previews them under the cell. Options:

``--pipeline P`` / ``-p P``
    The pipeline: a :class:`~pipeflow_nb.Pipeline` bound to ``P`` in the namespace, or
    one created under that name (and bound to ``P`` when the name is free). Default
    ``cells``.
``--inputs a,b`` / ``--outputs x,y``
    Declare the ports instead of inferring them from the source.
``--no-run``
    Define and wire the node only.
``--no-cache``
    The cell's results are never reused (random draws, clocks, reading files).
``--quiet``
    No previews.

``%pipeflow_stale [P]`` prints the nodes an edit left stale, with the reason.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
from collections.abc import Mapping, MutableMapping
from html import escape
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from pipeflow_nb.cellnodes import CellNodes
from pipeflow_nb.errors import ExecutionFailed
from pipeflow_nb.models.execution import Execution
from pipeflow_nb.pipeline import Pipeline

__all__ = ["DEFAULT_PIPELINE", "PipeflowMagics", "load_ipython_extension", "mark_stale"]

# IPython.display is untyped; reached through Any so strict typing stays on elsewhere.
_IPD: Any = importlib.import_module("IPython.display")

DEFAULT_PIPELINE = "cells"
"""The pipeline a ``%%node`` cell joins when the magic line names none."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit the kernel
        raise UsageError(f"%%node: {message}\n{self.format_usage()}")


def _parser() -> _Parser:
    parser = _Parser(prog="%%node", add_help=False)
    parser.add_argument("name")
    parser.add_argument("-p", "--pipeline", default=DEFAULT_PIPELINE)
    parser.add_argument("--inputs", default=None)
    parser.add_argument("--outputs", default=None)
    parser.add_argument("--no-run", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--no-cache", action="store_true")
    return parser


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [n.strip() for n in text.split(",") if n.strip()]


@magics_class
class PipeflowMagics(Magics):
    """The ``%%node`` cell magic and ``%pipeflow_stale`` (one controller per pipeline)."""

    def __init__(self, shell: Any):
        super().__init__(shell)
        self.controllers: dict[str, CellNodes] = {}

    def __repr__(self) -> str:
        return f"PipeflowMagics({sorted(self.controllers)})"

    @property
    def _namespace(self) -> MutableMapping[str, Any]:
        shell: Any = self.shell
        ns: MutableMapping[str, Any] = shell.user_ns
        return ns

    def controller(self, pipeline_name: str) -> CellNodes:
        """The cell-node controller of a pipeline (created on first use)."""
        ns = self._namespace
        bound = ns.get(pipeline_name)
        current = self.controllers.get(pipeline_name)
        if isinstance(bound, Pipeline) and (current is None or current.pipeline is not bound):
            if current is not None:  # the name now holds another pipeline
                current.unsubscribe()
            current = self._new_controller(bound)
        if current is None:
            current = self._new_controller(Pipeline(pipeline_name))
            if pipeline_name.isidentifier() and pipeline_name not in ns:
                ns[pipeline_name] = current.pipeline
        self.controllers[pipeline_name] = current
        return current

    def _new_controller(self, pipeline: Pipeline) -> CellNodes:
        cells = CellNodes(pipeline, self._namespace)
        cells.on_stale(lambda marks: mark_stale(pipeline, marks))
        return cells

    @cell_magic
    def node(self, line: str, cell: str) -> None:
        """Turn the cell into node NAME of a pipeline, run it and preview its outputs."""
        args = _parser().parse_args(shlex.split(line))
        cells = self.controller(args.pipeline)
        shell: Any = self.shell
        source: str = shell.transform_cell(cell)
        cells.define(
            args.name,
            source,
            inputs=_names(args.inputs),
            outputs=_names(args.outputs),
            deterministic=not args.no_cache,
        )
        if args.no_run:
            return
        execution = cells.run(args.name)
        if execution.status.value == "FAILED":
            raise ExecutionFailed(execution)
        if not args.quiet:
            _preview(cells, execution, args.name)

    @line_magic
    def pipeflow_stale(self, line: str) -> dict[str, str]:
        """The stale nodes of a pipeline (default ``cells``) with the reason of each."""
        return self.controller(line.strip() or DEFAULT_PIPELINE).stale()


def _preview(cells: CellNodes, execution: Execution, node_id: str) -> None:
    values = cells.outputs_of(execution, node_id)
    run = next((r for r in execution.node_runs if r.node_id == node_id), None)
    status = run.status.value.lower() if run else "?"
    reason = f" ({run.rerun_reason})" if run is not None and run.rerun_reason else ""
    head = (
        f'<div class="pf-cell-node" data-node="{escape(node_id)}"><b>{escape(node_id)}</b> '
        f"· {escape(cells.pipeline.name)} · {status}{escape(reason)}</div>"
    )
    _IPD.display(_IPD.HTML(head))
    for name, value in values.items():
        _IPD.display(_IPD.HTML(f'<div class="pf-cell-output"><code>{escape(name)}</code></div>'))
        _IPD.display(value)
    stale = cells.stale()
    if stale:
        rows = "".join(f"<li><code>{escape(n)}</code>: {escape(r)}</li>" for n, r in stale.items())
        _IPD.display(_IPD.HTML(f'<div class="pf-stale">stale downstream:<ul>{rows}</ul></div>'))


def mark_stale(pipeline: Pipeline, stale: Mapping[str, str]) -> None:
    """Show stale nodes (with the reason) on every live graph of the pipeline on screen."""
    from pipeflow_nb.display import observers_for

    for feed in observers_for(pipeline):
        graph = getattr(feed, "graph", None)
        if graph is None:
            continue
        others = {nid: mark for nid, mark in graph.marks.items() if mark[0] != "stale"}
        graph.set_marks({**others, **{nid: ("stale", why) for nid, why in stale.items()}})


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics (``%load_ext pipeflow_nb``)."""
    ipython.register_magics(PipeflowMagics(ipython))
