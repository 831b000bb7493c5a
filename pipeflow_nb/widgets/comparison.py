"""Pure run history: one row per execution, and two runs compared (no ipywidgets here).

A :class:`HistoryEntry` is an execution plus, when known, the workflow it ran (local runs
keep a snapshot; a service's history has none), so params can be compared.

>>> rows = [history_row(e) for e in executions]
>>> diffs = param_diffs(left.workflow, right.workflow)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from pipeflow_nb.models.execution import Execution
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.widgets.summary import _badge

__all__ = [
    "HistoryEntry",
    "HistoryRow",
    "ParamDiff",
    "comparison_html",
    "history_row",
    "history_table_html",
    "param_diffs",
]

_CELL = "padding:2px 8px;border-bottom:1px solid #eceff1;text-align:left"
_MISSING = "—"


@dataclass(frozen=True)
class HistoryEntry:
    """One run in the history: the execution and, for local runs, the workflow it ran."""

    execution: Execution
    """The run (statuses, timings, credits, outputs)."""
    workflow: Workflow | None = None
    """The graph as it was when the run started, when known."""
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Params given for this run only (``{node: {param: value}}``)."""

    def params(self) -> dict[str, dict[str, Any]]:
        """Each node's params for this run: the workflow's, with the overrides on top."""
        found: dict[str, dict[str, Any]] = {}
        if self.workflow is not None:
            found = {n.id: dict(n.data.params) for n in self.workflow.nodes}
        for node_id, params in self.overrides.items():
            found.setdefault(node_id, {}).update(params)
        return found


@dataclass(frozen=True)
class HistoryRow:
    """What the history table shows about one execution."""

    execution_id: str
    status: str
    """Lowercase execution status."""
    started: str
    """Start time, ``YYYY-MM-DD HH:MM:SS`` UTC, or ``-``."""
    duration: str
    """``1234 ms``, or ``-`` while unknown."""
    credits: int
    failed_node: str
    """Id of the node that failed, or ``""``."""


def history_row(execution: Execution) -> HistoryRow:
    """The table row of an execution."""
    start = execution.start_time
    return HistoryRow(
        execution_id=execution.id,
        status=execution.status.value.lower(),
        started=start.strftime("%Y-%m-%d %H:%M:%S") if start is not None else "-",
        duration=f"{execution.duration_ms} ms" if execution.duration_ms is not None else "-",
        credits=execution.credits_used,
        failed_node=execution.failed_node_id or "",
    )


def history_table_html(rows: Sequence[HistoryRow], selected: int | None = None) -> str:
    """The history as an HTML table, newest first as given; the selected row is marked."""
    head = "".join(
        f'<th style="{_CELL}">{h}</th>'
        for h in ("#", "execution", "status", "started", "duration", "credits", "failed node")
    )
    body = []
    for i, row in enumerate(rows):
        mark = ' class="pf-selected" style="background:#e3f2fd"' if i == selected else ""
        failed = f"<code>{escape(row.failed_node)}</code>" if row.failed_node else ""
        body.append(
            f'<tr data-execution="{escape(row.execution_id)}"{mark}>'
            f'<td style="{_CELL}">{i}</td><td style="{_CELL}"><code>{escape(row.execution_id)}'
            f'</code></td><td style="{_CELL}">{_badge(row.status)}</td>'
            f'<td style="{_CELL}">{row.started}</td><td style="{_CELL}">{row.duration}</td>'
            f'<td style="{_CELL}">{row.credits}</td><td style="{_CELL}">{failed}</td></tr>'
        )
    if not body:
        body.append(f'<tr><td style="{_CELL}" colspan="7">no runs yet</td></tr>')
    return (
        '<table class="pf-history" style="border-collapse:collapse;font-size:12px">'
        f"<tr>{head}</tr>{''.join(body)}</table>"
    )


@dataclass(frozen=True)
class ParamDiff:
    """A param whose value differs between two runs (``None`` where a side lacks it)."""

    node_id: str
    param: str
    left: Any
    right: Any
    left_has: bool = True
    right_has: bool = True


def param_diffs(left: HistoryEntry, right: HistoryEntry) -> list[ParamDiff]:
    """Every ``(node, param)`` whose value differs between two runs, in node order."""
    a, b = left.params(), right.params()
    diffs = []
    for node_id in dict.fromkeys([*a, *b]):
        pa, pb = a.get(node_id, {}), b.get(node_id, {})
        for param in dict.fromkeys([*pa, *pb]):
            if pa.get(param, _MISSING) != pb.get(param, _MISSING):
                diffs.append(
                    ParamDiff(
                        node_id=node_id,
                        param=param,
                        left=pa.get(param),
                        right=pb.get(param),
                        left_has=param in pa,
                        right_has=param in pb,
                    )
                )
    return diffs


def _value(value: Any, present: bool) -> str:
    if not present:
        return f'<span style="color:#90a4ae">{_MISSING}</span>'
    text = repr(value)
    return escape(text if len(text) <= 80 else text[:79] + "…")


def comparison_html(left: HistoryEntry, right: HistoryEntry) -> str:
    """Two runs' headers and the params that differ between them, as HTML."""
    la, ra = history_row(left.execution), history_row(right.execution)
    if left.workflow is None and right.workflow is None and not (left.overrides or right.overrides):
        params = "<i>params unknown (runs without their workflow)</i>"
    else:
        diffs = param_diffs(left, right)
        if not diffs:
            params = "<i>same params</i>"
        else:
            rows = "".join(
                f'<tr class="pf-param-diff"><td style="{_CELL}"><code>{escape(d.node_id)}.'
                f'{escape(d.param)}</code></td><td style="{_CELL}">{_value(d.left, d.left_has)}'
                f'</td><td style="{_CELL}">{_value(d.right, d.right_has)}</td></tr>'
                for d in diffs
            )
            params = (
                '<table style="border-collapse:collapse;font-size:12px">'
                f'<tr><th style="{_CELL}">param</th><th style="{_CELL}">{escape(la.execution_id)}'
                f'</th><th style="{_CELL}">{escape(ra.execution_id)}</th></tr>{rows}</table>'
            )
    sides = " vs ".join(
        f"<code>{escape(r.execution_id)}</code> {_badge(r.status)}" for r in (la, ra)
    )
    return f'<div class="pf-comparison"><b>Compare</b> {sides}<br>{params}</div>'
