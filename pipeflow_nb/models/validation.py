"""Graph validation: every broken rule of a workflow, all at once.

:func:`validate_workflow` is pure: it needs only the workflow and a :class:`NodeCatalog`
(the node registry in-process, or the specs a service serves). The rule names are the
ones the service reports in a 422 (see :class:`~pipeflow_nb.models.workflow.Rule`).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from pipeflow_nb import graph
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.ports import Port, can_connect
from pipeflow_nb.models.workflow import Rule, Violation, WireEdge, Workflow

__all__ = [
    "MAX_EDGES",
    "MAX_NODES",
    "NodeCatalog",
    "SpecCatalog",
    "resolve_edge_ports",
    "validate_workflow",
]

MAX_NODES = 100
MAX_EDGES = 500


class NodeCatalog(Protocol):
    """What validation needs to know about node types."""

    def spec(self, node_type: str) -> NodeTypeSpec | None:
        """The spec of a node type, or ``None`` when unknown."""

    def node_types(self) -> Iterable[str]:
        """Every known node type (for "did you mean" hints)."""

    def check_params(self, node_type: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(param, message)`` for every invalid or unknown param."""


class SpecCatalog:
    """A :class:`NodeCatalog` over plain specs, checking params against their JSON schema.

    Used where only the wire specs are known (e.g. the specs a remote service serves). It
    checks unknown names, required names, JSON types, enums and numeric bounds.
    """

    _JSON_TYPES: Mapping[str, tuple[type, ...]] = {
        "string": (str,),
        "integer": (int,),
        "number": (int, float),
        "boolean": (bool,),
        "object": (dict,),
        "array": (list,),
    }

    def __init__(self, specs: Iterable[NodeTypeSpec]):
        self._specs = {s.node_type: s for s in specs}

    def spec(self, node_type: str) -> NodeTypeSpec | None:
        return self._specs.get(node_type)

    def node_types(self) -> Iterable[str]:
        return self._specs.keys()

    def check_params(self, node_type: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        spec = self._specs.get(node_type)
        if spec is None:
            return []
        schema = spec.params_schema
        props: Mapping[str, Any] = schema.get("properties", {})
        problems = [(k, f"unknown param {k!r}") for k in params if k not in props]
        problems += [
            (k, f"param {k!r} is required") for k in schema.get("required", []) if k not in params
        ]
        for name, value in params.items():
            if name in props:
                problems += [(name, m) for m in self._check_value(name, value, props[name])]
        return problems

    def _check_value(self, name: str, value: Any, prop: Mapping[str, Any]) -> list[str]:
        options = prop.get("anyOf")
        if options:
            results = [self._check_value(name, value, option) for option in options]
            return [] if any(not r for r in results) else results[0]
        kind = prop.get("type")
        if value is None:
            return [] if kind == "null" or kind is None else [f"param {name!r} may not be null"]
        if isinstance(kind, str) and kind in self._JSON_TYPES:
            expected = self._JSON_TYPES[kind]
            if not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool)):
                return [f"param {name!r} must be {kind}, got {type(value).__name__}"]
        if "enum" in prop and value not in prop["enum"]:
            return [f"param {name!r} must be one of {prop['enum']}, got {value!r}"]
        bounds: list[tuple[str, Callable[[float, float], bool]]] = [
            ("minimum", lambda v, b: v >= b),
            ("maximum", lambda v, b: v <= b),
            ("exclusiveMinimum", lambda v, b: v > b),
            ("exclusiveMaximum", lambda v, b: v < b),
        ]
        for key, ok in bounds:
            if key in prop and isinstance(value, int | float) and not ok(value, prop[key]):
                return [f"param {name!r} must satisfy {key} {prop[key]}, got {value!r}"]
        return []


def _pick_port(ports: list[Port], name: str | None) -> Port | None:
    if name is None:
        return ports[0] if len(ports) == 1 else None
    return next((p for p in ports if p.name == name), None)


def resolve_edge_ports(
    edge: WireEdge, source: NodeTypeSpec, target: NodeTypeSpec
) -> tuple[Port | None, Port | None]:
    """The output and input ports an edge joins (``None`` when a handle names no port)."""
    return _pick_port(source.outputs, edge.source_port), _pick_port(target.inputs, edge.target_port)


def validate_workflow(
    workflow: Workflow,
    catalog: NodeCatalog,
    *,
    max_nodes: int = MAX_NODES,
    max_edges: int = MAX_EDGES,
    satisfied_inputs: Iterable[tuple[str, str]] = (),
) -> list[Violation]:
    """Every violation of the graph rules, in a stable order (empty when the graph is valid).

    ``satisfied_inputs`` lists ``(node_id, port)`` pairs fed from elsewhere (so they are
    not reported as missing).
    """
    v: list[Violation] = []
    nodes, edges = workflow.nodes, workflow.edges
    if not nodes:
        v.append(Violation(rule=Rule.EMPTY_GRAPH, message="the graph has no nodes"))
    if len(nodes) > max_nodes:
        v.append(
            Violation(
                rule=Rule.TOO_MANY_NODES, message=f"{len(nodes)} nodes; the limit is {max_nodes}"
            )
        )
    if len(edges) > max_edges:
        v.append(
            Violation(
                rule=Rule.TOO_MANY_EDGES, message=f"{len(edges)} edges; the limit is {max_edges}"
            )
        )

    for node_id, count in Counter(n.id for n in nodes).items():
        if count > 1:
            v.append(
                Violation(
                    rule=Rule.DUPLICATE_ID,
                    node_id=node_id,
                    message=f"node id {node_id!r} is used {count} times",
                )
            )
    for edge_id, count in Counter(e.id for e in edges).items():
        if count > 1:
            v.append(
                Violation(
                    rule=Rule.DUPLICATE_ID,
                    edge_id=edge_id,
                    message=f"edge id {edge_id!r} is used {count} times",
                )
            )

    specs: dict[str, NodeTypeSpec] = {}
    known_types = list(catalog.node_types())
    for node in nodes:
        spec = catalog.spec(node.node_type)
        if spec is None:
            close = difflib.get_close_matches(node.node_type, known_types, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            v.append(
                Violation(
                    rule=Rule.UNKNOWN_NODE_TYPE,
                    node_id=node.id,
                    message=f"unknown node type {node.node_type!r}{hint}",
                )
            )
            continue
        specs.setdefault(node.id, spec)
        params = node.data.all_params(spec.param_names)
        for param, message in catalog.check_params(node.node_type, params):
            v.append(Violation(rule=Rule.BAD_PARAM, node_id=node.id, message=message, param=param))

    ids = {n.id for n in nodes}
    fed: Counter[tuple[str, str]] = Counter(satisfied_inputs)
    for edge in edges:
        missing = [end for end in (edge.source, edge.target) if end not in ids]
        if missing:
            v.append(
                Violation(
                    rule=Rule.DANGLING_EDGE,
                    edge_id=edge.id,
                    message=f"edge {edge.source!r} → {edge.target!r} points at "
                    f"missing node {', '.join(map(repr, missing))}",
                )
            )
            continue
        src_spec, dst_spec = specs.get(edge.source), specs.get(edge.target)
        if src_spec is None or dst_spec is None:
            continue  # already reported as unknown_node_type
        out_port, in_port = resolve_edge_ports(edge, src_spec, dst_spec)
        if out_port is None:
            v.append(_unknown_port(edge, edge.source, src_spec, "output", edge.source_port))
        if in_port is None:
            v.append(_unknown_port(edge, edge.target, dst_spec, "input", edge.target_port))
        if out_port is None or in_port is None:
            continue
        if not can_connect(out_port.type, in_port.type):
            v.append(
                Violation(
                    rule=Rule.PORT_TYPE_MISMATCH,
                    edge_id=edge.id,
                    node_id=edge.target,
                    message=f"{edge.source}.{out_port.name} ({out_port.type}) cannot feed "
                    f"{edge.target}.{in_port.name} ({in_port.type})",
                )
            )
            continue
        fed[(edge.target, in_port.name)] += 1
        if not in_port.many and fed[(edge.target, in_port.name)] == 2:
            v.append(
                Violation(
                    rule=Rule.PORT_TYPE_MISMATCH,
                    edge_id=edge.id,
                    node_id=edge.target,
                    message=f"input {edge.target}.{in_port.name} takes one value "
                    "but has several edges",
                )
            )

    for node in nodes:
        spec = specs.get(node.id)
        if spec is None:
            continue
        for port in spec.inputs:
            if port.required and not fed[(node.id, port.name)]:
                v.append(
                    Violation(
                        rule=Rule.MISSING_REQUIRED_INPUT,
                        node_id=node.id,
                        message=f"required input {port.name!r} ({port.type}) of node {node.id!r} "
                        "is not connected",
                    )
                )

    unique_ids = list(dict.fromkeys(n.id for n in nodes))
    for component in graph.cycles(unique_ids, workflow.edge_pairs):
        v.append(
            Violation(
                rule=Rule.CYCLE,
                node_id=component[0],
                message=f"cycle through {' → '.join(component)}",
            )
        )
    return v


def _unknown_port(
    edge: WireEdge, node_id: str, spec: NodeTypeSpec, side: str, name: str | None
) -> Violation:
    ports = spec.outputs if side == "output" else spec.inputs
    names = ", ".join(p.name for p in ports) or "none"
    if name is None:
        message = f"edge names no {side} port of {node_id!r} and it has several ({names})"
    else:
        message = f"{spec.node_type} node {node_id!r} has no {side} port {name!r} (has {names})"
    return Violation(rule=Rule.UNKNOWN_PORT, edge_id=edge.id, node_id=node_id, message=message)
