"""Pure HTML summaries of an execution and of a batch (no ipywidgets needed).

They are the text/html fallback outside a kernel and the static parts of the widgets.
Every value is escaped and the output depends only on the model, so it is stable in
saved notebooks and diffs.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from pipeflow_nb.models.execution import Batch, Execution, NodeRun
from pipeflow_nb.widgets.elements import STATUS_COLORS

__all__ = ["batch_node_ids", "batch_table_html", "combination_text", "execution_summary_html"]

_CELL = "padding:2px 6px;border-bottom:1px solid #eceff1;text-align:left"
# Grid cells are narrow: one short word per node status.
_SHORT = {
    "PENDING": "wait",
    "RUNNING": "run",
    "COMPLETED": "done",
    "CACHED": "cached",
    "FAILED": "failed",
    "SKIPPED": "skip",
    "CANCELLED": "stop",
}


def _badge(status: str, text: str | None = None, *, title: str | None = None) -> str:
    key = status.lower()
    fill, ink = STATUS_COLORS.get(key, STATUS_COLORS["idle"])
    tip = f' title="{escape(title, quote=True)}"' if title else ""
    return (
        f'<span class="pf-badge" data-status="{escape(key)}"{tip} style="background:{fill};'
        f'color:{ink};padding:0 5px;border-radius:3px;white-space:nowrap">'
        f"{escape(text if text is not None else key)}</span>"
    )


def _ms(value: int | None) -> str:
    return "-" if value is None else f"{value} ms"


def _node_row(run: NodeRun) -> str:
    cache = "cached" if run.status == "CACHED" else (run.rerun_reason or "")
    err = f'<span style="color:#b71c1c">{escape(run.error)}</span>' if run.error else ""
    return (
        f'<tr><td style="{_CELL}"><code>{escape(run.node_id)}</code></td>'
        f'<td style="{_CELL}">{escape(run.node_type or "")}</td>'
        f'<td style="{_CELL}">{_badge(run.status.value)}</td>'
        f'<td style="{_CELL}">{_ms(run.duration_ms)}</td>'
        f'<td style="{_CELL}">{run.credits}</td>'
        f'<td style="{_CELL}">{escape(cache)}</td><td style="{_CELL}">{err}</td></tr>'
    )


def execution_summary_html(execution: Execution) -> str:
    """One execution: status, time, credits, failure, and a line per node."""
    head = [
        f"<b>Execution</b> <code>{escape(execution.id)}</code>",
        _badge(execution.status.value),
        _ms(execution.duration_ms),
        f"{execution.credits_used} credits",
    ]
    if execution.cached_node_ids:
        head.append(f"{len(execution.cached_node_ids)} cached")
    parts = ['<div class="pf-execution">', " · ".join(head)]
    if execution.error:
        where = (
            f" in <code>{escape(execution.failed_node_id)}</code>"
            if execution.failed_node_id
            else ""
        )
        parts.append(
            f'<div class="pf-execution-error" style="color:#b71c1c">failed{where}: '
            f"{escape(execution.error)}</div>"
        )
    if execution.node_runs:
        header = "".join(
            f'<th style="{_CELL}">{h}</th>'
            for h in ("node", "type", "status", "time", "credits", "cache", "error")
        )
        rows = "".join(_node_row(r) for r in execution.node_runs)
        parts.append(
            f'<table class="pf-node-runs" style="font-size:12px;border-collapse:collapse">'
            f"<tr>{header}</tr>{rows}</table>"
        )
    parts.append("</div>")
    return "".join(parts)


def combination_text(combination: dict[str, Any]) -> str:
    """``node.param=value`` pairs of a batch combination, sorted by key."""
    return ", ".join(f"{k}={_short(v)}" for k, v in sorted(combination.items()))


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def batch_node_ids(runs: Sequence[Execution]) -> list[str]:
    """Every node id that appears in the runs, in first-seen order."""
    seen: dict[str, None] = {}
    for run in runs:
        for nr in run.node_runs:
            seen.setdefault(nr.node_id, None)
    return list(seen)


def batch_table_html(batch: Batch, node_ids: Sequence[str] | None = None) -> str:
    """The batch grid: one row per run, a status badge per node, run status, time, credits."""
    nodes = list(node_ids) if node_ids is not None else batch_node_ids(batch.runs)
    counts = " · ".join(f"{k} {v}" for k, v in sorted(batch.status_counts.items()))
    header = "".join(
        f'<th style="{_CELL}">{escape(h)}</th>'
        for h in ("#", "inputs", "run", *nodes, "time", "credits")
    )
    rows = []
    for i, run in enumerate(batch.runs):
        index = run.input_index if run.input_index is not None else i
        combo = batch.combinations[i] if i < len(batch.combinations) else {}
        by_node = {nr.node_id: nr for nr in run.node_runs}
        cells = []
        for nid in nodes:
            nr = by_node.get(nid)
            if nr is None:
                cells.append(f'<td style="{_CELL}">-</td>')
            else:
                cells.append(
                    f'<td style="{_CELL}">'
                    f"{_badge(nr.status.value, _SHORT.get(nr.status.value, '?'), title=nr.error)}"
                    "</td>"
                )
        rows.append(
            f'<tr class="pf-batch-row" data-status="{run.status.value.lower()}">'
            f'<td style="{_CELL}">{index}</td>'
            f'<td style="{_CELL}">{escape(combination_text(combo))}</td>'
            f'<td style="{_CELL}">{_badge(run.status.value, title=run.error)}</td>'
            f"{''.join(cells)}"
            f'<td style="{_CELL}">{_ms(run.duration_ms)}</td>'
            f'<td style="{_CELL}">{run.credits_used}</td></tr>'
        )
    return (
        f'<div class="pf-batch"><b>Batch</b> <code>{escape(batch.id)}</code> · '
        f"{len(batch.runs)} runs · {escape(counts)}"
        f'<div style="max-height:420px;overflow:auto"><table class="pf-batch-grid" '
        f'style="font-size:12px;border-collapse:collapse"><tr>{header}</tr>{"".join(rows)}'
        f"</table></div></div>"
    )
