"""Planning an edge between two ports: every rule an edge must keep, checked before it exists.

Pure: it reads the pipeline's node types and edges and returns the edge to add, or the
violations (``dangling_edge``, ``unknown_port``, ``port_type_mismatch``, ``cycle``,
``duplicate_id``) that forbid it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipeflow_nb import graph
from pipeflow_nb.handles import InputRef, OutputRef
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.ports import Port, can_connect
from pipeflow_nb.models.workflow import Rule, Violation, WireEdge
from pipeflow_nb.nodes.registry import NodeRegistry

__all__ = ["plan_edge"]


def plan_edge(
    src: OutputRef,
    dst: InputRef,
    *,
    node_types: Mapping[str, str],
    edges: Iterable[WireEdge],
    registry: NodeRegistry,
    pipeline_name: str,
    new_spec: NodeTypeSpec | None = None,
) -> tuple[WireEdge | None, list[Violation]]:
    """The edge ``src → dst`` would be, or why it cannot exist.

    ``node_types`` maps node ids to their types; ``edges`` are the edges already there (and
    any planned alongside); ``new_spec`` is the spec of ``dst`` when it is a node being added.
    """
    missing = [
        nid
        for nid in (src.node_id, dst.node_id)
        if nid not in node_types and not (new_spec and nid == dst.node_id)
    ]
    if missing:
        return None, [
            Violation(
                rule=Rule.DANGLING_EDGE,
                node_id=missing[0],
                message=f"no node {missing[0]!r} in pipeline {pipeline_name!r}",
            )
        ]
    src_spec = registry.get(node_types[src.node_id]).spec
    dst_spec = (
        new_spec
        if new_spec and dst.node_id not in node_types
        else registry.get(node_types[dst.node_id]).spec
    )
    in_port = _pick(dst_spec.inputs, dst.port)
    out_port = _pick_output(src_spec, src.port, in_port)
    probe = WireEdge(
        id="?",
        source=src.node_id,
        target=dst.node_id,
        source_handle=out_port.handle_out if out_port else None,
        target_handle=in_port.handle_in if in_port else None,
    )
    problems: list[Violation] = []
    for side, port, spec, name, nid in (
        ("output", out_port, src_spec, src.port, src.node_id),
        ("input", in_port, dst_spec, dst.port, dst.node_id),
    ):
        if port is None:
            names = ", ".join(p.name for p in (spec.outputs if side == "output" else spec.inputs))
            what = f"no {side} port {name!r}" if name else f"several {side} ports; name one"
            problems.append(
                Violation(
                    rule=Rule.UNKNOWN_PORT,
                    node_id=nid,
                    message=f"{spec.node_type} node {nid!r} has {what} ({names or 'none'})",
                )
            )
    if out_port is None or in_port is None:
        return None, problems
    if not can_connect(out_port.type, in_port.type):
        return None, [
            Violation(
                rule=Rule.PORT_TYPE_MISMATCH,
                node_id=dst.node_id,
                message=f"{src.node_id}.{out_port.name} ({out_port.type}) cannot "
                f"feed {dst.node_id}.{in_port.name} ({in_port.type})",
            )
        ]
    existing = list(edges)
    taken = [e for e in existing if e.target == dst.node_id and e.target_port == in_port.name]
    if taken and not in_port.many:
        return None, [
            Violation(
                rule=Rule.PORT_TYPE_MISMATCH,
                node_id=dst.node_id,
                message=f"input {dst.node_id}.{in_port.name} already has an "
                f"edge from {taken[0].source!r}; disconnect it first",
            )
        ]
    pairs = [(e.source, e.target) for e in existing] + [(probe.source, probe.target)]
    ids = [*node_types, *([dst.node_id] if dst.node_id not in node_types else [])]
    loop = graph.cycles(ids, pairs)
    if loop:
        return None, [
            Violation(
                rule=Rule.CYCLE,
                node_id=dst.node_id,
                message=f"connecting {src.node_id} → {dst.node_id} would make a "
                f"cycle through {' → '.join(loop[0])}",
            )
        ]
    edge_id = f"{src.node_id}.{out_port.name}->{dst.node_id}.{in_port.name}"
    if any(e.id == edge_id for e in existing):
        return None, [
            Violation(
                rule=Rule.DUPLICATE_ID,
                edge_id=edge_id,
                message="these ports are already connected",
            )
        ]
    return probe.model_copy(update={"id": edge_id}), []


def _pick(ports: list[Port], name: str | None) -> Port | None:
    if name is None:
        return ports[0] if len(ports) == 1 else None
    return next((p for p in ports if p.name == name), None)


def _pick_output(spec: NodeTypeSpec, name: str | None, into: Port | None) -> Port | None:
    if name is not None or len(spec.outputs) <= 1 or into is None:
        return _pick(spec.outputs, name)
    same = [p for p in spec.outputs if p.type == into.type]
    return same[0] if len(same) == 1 else None
