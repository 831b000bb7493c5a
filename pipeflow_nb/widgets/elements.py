"""Pure drawing rules: a workflow plus node statuses → cytoscape elements and stylesheet.

Nothing here imports ipywidgets, so the rules are unit-tested as plain data. Status drives
the fill colour (``node[status = "..."]`` selectors, which cytoscape re-evaluates when a
node's ``data`` is reassigned); category drives the shape and border colour; an edge is
labelled with the ports it joins (``out → in``, or one name when both are called the same).

>>> els = workflow_elements(workflow, specs={}, statuses={"brief": "running"})
>>> els[0]["data"]["status"], els[0]["classes"]
('running', 'status-running cat-input')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.workflow import WireEdge, WireNode, Workflow
from pipeflow_nb.widgets.state import IDLE, STATUSES, NodeView

__all__ = [
    "CATEGORY_STYLES",
    "LAYOUT",
    "STATUS_COLORS",
    "edge_element",
    "legend_html",
    "node_data",
    "node_element",
    "stylesheet",
    "tooltip_text",
    "workflow_elements",
]

#: Fill and text colour per status (chosen to stay distinct for common colour blindness).
STATUS_COLORS: dict[str, tuple[str, str]] = {
    IDLE: ("#eceff1", "#263238"),
    "pending": ("#b0bec5", "#263238"),
    "running": ("#ff9800", "#1a1a1a"),
    "completed": ("#2e9d4b", "#ffffff"),
    "cached": ("#3f7fe0", "#ffffff"),
    "failed": ("#d32f2f", "#ffffff"),
    "skipped": ("#f5f5f5", "#757575"),
    "cancelled": ("#7e57c2", "#ffffff"),
}

#: Shape and border colour per node category (unknown categories get the default).
CATEGORY_STYLES: dict[str, tuple[str, str]] = {
    "input": ("barrel", "#00838f"),
    "text": ("round-rectangle", "#5d4037"),
    "image": ("cut-rectangle", "#ad1457"),
    "video": ("cut-rectangle", "#6a1b9a"),
    "audio": ("cut-rectangle", "#283593"),
    "model": ("round-octagon", "#37474f"),
    "utility": ("round-rectangle", "#546e7a"),
    "output": ("round-tag", "#2e7d32"),
}
_DEFAULT_CATEGORY = ("round-rectangle", "#546e7a")

#: Left-to-right layered layout (dagre ships with ipycytoscape).
LAYOUT: dict[str, Any] = {
    "name": "dagre",
    "rankDir": "LR",
    "nodeSep": 20,
    "rankSep": 60,
    "edgeSep": 10,
    "padding": 16,
    "animate": False,
}

#: The smallest zoom the graph fits to: node labels stay readable (about 8 px text).
MIN_ZOOM = 0.6

_LABEL_WIDTH = 22  # characters per label line before the error excerpt is cut


def _category_class(category: str) -> str:
    return "cat-" + "".join(c if c.isalnum() else "-" for c in (category or "other").lower())


def _short(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _message_only(error: str) -> str:
    """``"RuntimeError: no way"`` → ``"no way"`` (the label is short; the class is in the panel)."""
    head, sep, rest = error.partition(": ")
    return rest if sep and head.isidentifier() and head[:1].isupper() else error


def tooltip_text(node_id: str, label: str, node_type: str, view: NodeView) -> str:
    """The text of a node's click tooltip (HTML-escaped: the front end sets innerHTML)."""
    lines = [f"{label} ({node_type})", f"id: {node_id}", f"status: {view.status}"]
    if view.duration_ms is not None and view.status in ("completed", "cached", "failed"):
        lines.append(f"time: {view.duration_ms} ms")
    if view.error:
        lines.append(f"error: {_short(view.error, 300)}")
    if view.reason:
        lines.append(f"reason: {view.reason}")
    return escape("\n".join(lines))


def node_data(node: WireNode, view: NodeView, spec: NodeTypeSpec | None = None) -> dict[str, Any]:
    """The ``data`` dict of a node element (what is reassigned on every update)."""
    category = node.data.category or (spec.category if spec else "") or "other"
    label = node.label
    display = f"{label}\n{node.node_type}"
    if view.status == "running" and view.progress is not None:
        display += f"\n{view.progress:.0f}%"
    elif view.status == "failed" and view.error:
        display += "\n⚠ " + _short(_message_only(view.error), _LABEL_WIDTH)
    elif view.status in ("completed", "cached") and view.duration_ms is not None:
        display += "\n✓ cached" if view.status == "cached" else f"\n✓ {view.duration_ms} ms"
    return {
        "id": node.id,
        "label": label,
        "display": display,
        "nodeType": node.node_type,
        "category": category,
        "status": view.status,
        "error": view.error or "",
        "tooltip": tooltip_text(node.id, label, node.node_type, view),
    }


def node_element(
    node: WireNode, view: NodeView, spec: NodeTypeSpec | None = None
) -> dict[str, Any]:
    """One node element: ``data``, ``classes`` (status + category) and ``position``."""
    data = node_data(node, view, spec)
    return {
        "group": "nodes",
        "data": data,
        "classes": node_classes(data["status"], data["category"]),
        "position": {"x": node.position.x, "y": node.position.y},
    }


def node_classes(status: str, category: str) -> str:
    """The class string of a node: ``status-<status> cat-<category>``."""
    return f"status-{status} {_category_class(category)}"


def _port_label(edge: WireEdge, specs: Mapping[str, NodeTypeSpec], types: Mapping[str, str]) -> str:
    out_port = edge.source_port
    in_port = edge.target_port
    src = specs.get(types.get(edge.source, ""))
    dst = specs.get(types.get(edge.target, ""))
    if out_port is None and src is not None and len(src.outputs) == 1:
        out_port = src.outputs[0].name
    if in_port is None and dst is not None and len(dst.inputs) == 1:
        in_port = dst.inputs[0].name
    if out_port is not None and out_port == in_port:
        return out_port  # "image", not "image → image": the canvas stays legible
    return f"{out_port or '?'} → {in_port or '?'}"


def edge_element(
    edge: WireEdge,
    specs: Mapping[str, NodeTypeSpec] | None = None,
    node_types: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One edge element, labelled with its ports (``out → in``, or the shared name)."""
    return {
        "group": "edges",
        "data": {
            "id": edge.id,
            "source": edge.source,
            "target": edge.target,
            "label": _port_label(edge, specs or {}, node_types or {}),
        },
        "classes": "directed",
    }


def workflow_elements(
    workflow: Workflow,
    specs: Mapping[str, NodeTypeSpec] | Callable[[str], NodeTypeSpec | None] | None = None,
    statuses: Mapping[str, str | NodeView] | None = None,
) -> list[dict[str, Any]]:
    """Every element of a workflow: nodes (in order) then edges.

    ``specs`` maps node types to specs (or is a lookup function such as
    ``registry.spec``); it fills in categories and single-port names. ``statuses`` gives
    each node's status or full :class:`NodeView` (idle when absent).
    """
    lookup = _spec_lookup(specs)
    types = {n.id: n.node_type for n in workflow.nodes}
    spec_map = {t: s for t in set(types.values()) if (s := lookup(t)) is not None}
    views = statuses or {}
    out: list[dict[str, Any]] = []
    for node in workflow.nodes:
        raw = views.get(node.id)
        view = raw if isinstance(raw, NodeView) else NodeView(status=raw or IDLE)
        out.append(node_element(node, view, spec_map.get(node.node_type)))
    out += [edge_element(e, spec_map, types) for e in workflow.edges]
    return out


def _spec_lookup(
    specs: Mapping[str, NodeTypeSpec] | Callable[[str], NodeTypeSpec | None] | None,
) -> Callable[[str], NodeTypeSpec | None]:
    if specs is None:
        return lambda _t: None
    if callable(specs):
        return specs
    return specs.get


def stylesheet() -> list[dict[str, Any]]:
    """The cytoscape stylesheet: base node/edge look, one rule per category and status."""
    rules: list[dict[str, Any]] = [
        {
            "selector": "node",
            "style": {
                "label": "data(display)",
                "shape": _DEFAULT_CATEGORY[0],
                "width": 136,
                "height": 60,
                "text-valign": "center",
                "text-halign": "center",
                "text-wrap": "wrap",
                "text-max-width": "128px",
                "font-size": 13,
                "font-family": "Helvetica, Arial, sans-serif",
                "line-height": 1.2,
                "border-width": 3,
                "border-color": _DEFAULT_CATEGORY[1],
                "background-color": STATUS_COLORS[IDLE][0],
                "color": STATUS_COLORS[IDLE][1],
            },
        },
        {
            "selector": "edge",
            "style": {
                "width": 2,
                "line-color": "#90a4ae",
                "target-arrow-color": "#90a4ae",
                "target-arrow-shape": "triangle",
                "curve-style": "bezier",
                "label": "data(label)",
                "font-size": 10,
                "color": "#37474f",
                "text-background-color": "#ffffff",
                "text-background-opacity": 0.9,
                "text-background-padding": "2px",
                "text-rotation": "none",
            },
        },
        {
            "selector": "node:selected",
            "style": {"border-width": 5, "border-color": "#1565c0", "overlay-opacity": 0},
        },
    ]
    for category, (shape, border) in CATEGORY_STYLES.items():
        rules.append(
            {
                "selector": f'node[category = "{category}"]',
                "style": {"shape": shape, "border-color": border},
            }
        )
    for status in STATUSES:
        fill, text = STATUS_COLORS[status]
        style: dict[str, Any] = {"background-color": fill, "color": text}
        if status in ("skipped", "pending"):
            style["border-style"] = "dashed"
        if status == "failed":
            style["border-color"] = "#7f0000"
        rules.append({"selector": f'node[status = "{status}"]', "style": style})
    rules += MARK_STYLES
    return rules


MARK_STYLES: list[dict[str, Any]] = [
    {
        "selector": 'node[mark = "stale"]',
        "style": {"border-style": "dashed", "border-color": "#ff8f00", "border-width": 4},
    },
    {
        "selector": 'node[mark = "invalid"]',
        "style": {"border-style": "double", "border-color": "#c62828", "border-width": 6},
    },
]
"""Node flags set with ``PipelineGraph.set_marks``: stale results, broken graph rules."""


def legend_html(counts: Mapping[str, int] | None = None) -> str:
    """A one-line HTML legend: a swatch per status, with counts when given."""
    items = []
    for status in STATUSES:
        fill, _text = STATUS_COLORS[status]
        n = f" {counts[status]}" if counts and counts.get(status) else ""
        items.append(
            f'<span class="pf-legend-item" data-status="{status}" style="margin-right:10px;'
            f'white-space:nowrap"><span style="display:inline-block;width:12px;height:12px;'
            f"border-radius:3px;border:1px solid #607d8b;vertical-align:middle;"
            f'background:{fill}"></span> {status}{n}</span>'
        )
    return (
        '<div class="pf-legend" style="font-size:12px;line-height:20px">'
        + "".join(items)
        + "</div>"
    )
