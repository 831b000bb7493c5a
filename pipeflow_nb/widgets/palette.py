"""Pure builder helpers: the palette's groups, which ports may connect, a layered layout.

Nothing here imports ipywidgets; the builder widget and its tests use these directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipeflow_nb import graph
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.ports import can_connect
from pipeflow_nb.models.workflow import Workflow

__all__ = [
    "PortChoice",
    "compatible_inputs",
    "layered_positions",
    "palette_groups",
]

_CATEGORY_ORDER = ("input", "text", "image", "video", "audio", "model", "utility", "cell")


def palette_groups(specs: Iterable[NodeTypeSpec], query: str = "") -> dict[str, list[NodeTypeSpec]]:
    """Specs matching every word of ``query`` (name, label, category, description), by category.

    Categories come in a familiar order (inputs first, cells last, others alphabetically
    in between); node types within one are sorted by label.
    """
    words = query.lower().split()
    groups: dict[str, list[NodeTypeSpec]] = {}
    for spec in specs:
        text = f"{spec.node_type} {spec.label} {spec.category} {spec.description}".lower()
        if all(word in text for word in words):
            groups.setdefault(spec.category, []).append(spec)

    def rank(category: str) -> tuple[int, str]:
        if category in _CATEGORY_ORDER:
            return (_CATEGORY_ORDER.index(category), "")
        return (len(_CATEGORY_ORDER) - 1, category)  # before cells, after the known ones

    return {
        cat: sorted(groups[cat], key=lambda s: (s.label.lower(), s.node_type))
        for cat in sorted(groups, key=rank)
    }


@dataclass(frozen=True)
class PortChoice:
    """An input port an output may connect to."""

    node_id: str
    port: str
    type: str

    @property
    def label(self) -> str:
        """``node.port (TYPE)``, as the connect dropdown shows it."""
        return f"{self.node_id}.{self.port} ({self.type})"


def compatible_inputs(
    workflow: Workflow,
    specs: Mapping[str, NodeTypeSpec],
    source_id: str,
    output_port: str,
) -> list[PortChoice]:
    """Every input port the output ``source_id.output_port`` may feed.

    Offered only when the port types connect (with a conversion if needed), the input is
    free (or accepts several edges), the two are not already joined and the edge would not
    close a cycle. ``specs`` maps node types to specs.
    """
    source = workflow.node(source_id)
    source_spec = specs.get(source.node_type)
    out = source_spec.output(output_port) if source_spec else None
    if out is None:
        return []
    pairs = workflow.edge_pairs
    upstream = graph.ancestors(workflow.node_ids, pairs, [source_id]) | {source_id}
    taken = {(e.target, e.target_port) for e in workflow.edges}
    joined = {(e.source, e.source_port, e.target, e.target_port) for e in workflow.edges}
    choices = []
    for node in workflow.nodes:
        spec = specs.get(node.node_type)
        if spec is None or node.id in upstream:
            continue
        for port in spec.inputs:
            if not can_connect(out.type, port.type):
                continue
            if (source_id, output_port, node.id, port.name) in joined:
                continue
            if (node.id, port.name) in taken and not port.many:
                continue
            choices.append(PortChoice(node.id, port.name, port.type.value))
    return choices


def layered_positions(
    node_ids: Sequence[str],
    edges: Iterable[tuple[str, str]],
    *,
    dx: float = 220.0,
    dy: float = 110.0,
) -> dict[str, tuple[float, float]]:
    """Left-to-right layer positions: a node's column is its depth, rows keep node order."""
    return {
        node_id: (col * dx, row * dy)
        for col, layer in enumerate(graph.levels(node_ids, list(edges)))
        for row, node_id in enumerate(sorted(layer, key=list(node_ids).index))
    }
