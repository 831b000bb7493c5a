"""The side panel that describes one node: type, params, timing, credits, cache, outputs.

The graph calls :meth:`Inspector.show` when a node is clicked and again whenever that
node changes, so outputs appear the moment the node completes. Rebuilding previews is
skipped while the node's outputs are unchanged (``NodeView.outputs_version``).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import ipywidgets as w

from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.workflow import WireNode
from pipeflow_nb.widgets.elements import STATUS_COLORS
from pipeflow_nb.widgets.previews import close_tree, output_previews
from pipeflow_nb.widgets.state import NodeView

__all__ = ["Inspector", "details_html"]

_PLACEHOLDER = (
    '<div class="pf-inspector-empty" style="color:#78909c;font-size:12px">'
    "Click a node to inspect it.</div>"
)


def _value_text(value: Any, limit: int = 80) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False)
        except ValueError:
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def details_html(node: WireNode, view: NodeView, spec: NodeTypeSpec | None = None) -> str:
    """The inspector's text part as HTML (escaped; deterministic for a given input)."""
    fill, ink = STATUS_COLORS.get(view.status, STATUS_COLORS["idle"])
    rows: list[tuple[str, str]] = [
        ("id", f"<code>{escape(node.id)}</code>"),
        ("type", f"<code>{escape(node.node_type)}</code>"),
        ("category", escape(node.data.category or (spec.category if spec else "") or "-")),
        (
            "status",
            f'<span class="pf-status" data-status="{view.status}" style="background:{fill};'
            f'color:{ink};padding:0 6px;border-radius:3px">{view.status}</span>',
        ),
    ]
    if view.progress is not None and view.status == "running":
        msg = f" · {escape(view.message)}" if view.message else ""
        rows.append(("progress", f"{view.progress:.0f}%{msg}"))
    if view.started_at is not None:
        rows.append(("started", view.started_at.strftime("%H:%M:%S.%f")[:-3] + " UTC"))
    if view.duration_ms is not None:
        rows.append(("time", f"{view.duration_ms} ms"))
    cost = spec.credits if spec else None
    credit_text = f"{view.credits}" + (f" (type costs {cost})" if cost else "")
    rows.append(("credits", credit_text))
    rows.append(("cache", escape(view.cache_status)))
    if view.reason:
        rows.append(("reason", escape(view.reason)))
    table = "".join(
        f'<tr><th style="text-align:left;padding-right:8px;color:#546e7a;font-weight:normal">'
        f"{k}</th><td>{v}</td></tr>"
        for k, v in rows
    )
    params = node.data.params
    param_rows = "".join(
        f"<tr><td><code>{escape(k)}</code></td><td>{escape(_value_text(params[k]))}</td></tr>"
        for k in sorted(params)
    )
    parts = [
        f'<div class="pf-inspector-title" style="font-weight:bold;font-size:14px">'
        f"{escape(node.label)}</div>",
        f'<table class="pf-inspector-facts" style="font-size:12px">{table}</table>',
        '<div style="font-size:12px;margin-top:4px"><b>params</b></div>',
        f'<table class="pf-inspector-params" style="font-size:12px">{param_rows}</table>'
        if params
        else '<div style="font-size:12px;color:#78909c">none</div>',
    ]
    if view.error:
        parts.append(
            '<div class="pf-inspector-error" style="font-size:12px;color:#b71c1c;margin-top:4px">'
            f"<b>error</b>: {escape(view.error)}</div>"
        )
    if view.traceback:
        parts.append(
            '<details style="font-size:11px"><summary>traceback</summary>'
            f'<pre style="white-space:pre-wrap">{escape(view.traceback)}</pre></details>'
        )
    return '<div class="pf-inspector-details">' + "".join(parts) + "</div>"


class Inspector(w.VBox):  # type: ignore[misc]
    """Details and latest outputs of the selected node."""

    def __init__(self) -> None:
        self.node_id: str | None = None
        self._shown_version: tuple[str, int] | None = None
        self.details = w.HTML(_PLACEHOLDER)
        self.outputs = w.VBox([])
        self.outputs.add_class("pf-inspector-outputs")
        super().__init__(
            [self.details, self.outputs],
            layout=w.Layout(
                width="300px",
                min_width="260px",
                padding="6px 8px",
                border="1px solid #cfd8dc",
                overflow="auto",
                max_height="560px",
            ),
        )
        self.add_class("pf-inspector")

    def __repr__(self) -> str:
        if self.node_id is None:
            return "Inspector(empty)"
        return f"Inspector({self.node_id!r}, {len(self.outputs.children)} outputs)"

    def show(self, node: WireNode, view: NodeView, spec: NodeTypeSpec | None = None) -> None:
        """Describe ``node`` as ``view`` says; previews are rebuilt only when outputs changed."""
        self.node_id = node.id
        self.details.value = details_html(node, view, spec)
        version = (node.id, view.outputs_version)
        if version != self._shown_version:
            self._shown_version = version
            for old in self.outputs.children:
                close_tree(old)
            self.outputs.children = tuple(output_previews(view.outputs, view.output))

    def clear(self) -> None:
        """Back to the empty placeholder."""
        self.node_id = None
        self._shown_version = None
        self.details.value = _PLACEHOLDER
        self.outputs.children = ()

    @property
    def preview_reprs(self) -> list[str]:
        """``repr`` of each output preview (handy in tests and docs)."""
        return [repr(c) for c in self.outputs.children]
