"""A workflow compiled for running: node definitions, resolved params and input wiring.

Compiling checks the graph once (the same rules a service applies); preparing a run
applies input values, param overrides and ``target_node_id`` pruning on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from pipeflow_nb import graph
from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.errors import PipelineValidationError
from pipeflow_nb.media import Media
from pipeflow_nb.models.ports import PortType, conversion
from pipeflow_nb.models.validation import resolve_edge_ports, validate_workflow
from pipeflow_nb.models.workflow import Rule, Violation, Workflow
from pipeflow_nb.nodes.registry import NodeDefinition, NodeRegistry
from pipeflow_nb.sources import ARTIFACT_SCHEME

__all__ = ["CompiledWorkflow", "Feed", "Step", "compile_workflow"]


@dataclass(frozen=True, slots=True)
class Feed:
    """One edge feeding an input port: where the value comes from and how it converts."""

    source: str
    source_port: str
    convert: tuple[PortType, PortType] | None
    """``(from, to)`` when the value needs a conversion crossing the edge."""


@dataclass(slots=True)
class Step:
    """One node as it will run."""

    id: str
    label: str
    definition: NodeDefinition
    params: dict[str, Any]
    """Params as written (plus input values and overrides)."""
    resolved: dict[str, Any]
    """Validated params with defaults filled in: what the function receives."""
    ports: list[tuple[str, bool, list[Feed]]]
    """``(input port, many, feeds in edge order)`` for every connected input."""
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    pinned: bool = False
    """A non-deterministic node the user pinned: its cached outputs may be reused."""
    is_async: bool = False
    """Its function is a coroutine function (runs on the loop)."""

    @property
    def node_type(self) -> str:
        """The node's type."""
        return self.definition.spec.node_type


@dataclass
class CompiledWorkflow:
    """A validated workflow ready to run many times."""

    workflow: Workflow
    steps: dict[str, Step]
    order: list[str]
    """Node ids in topological order."""
    limits: dict[str, int] = field(default_factory=dict)
    """Per-node-type concurrency limits that apply (set by the engine compiling it)."""
    definitions: dict[str, NodeDefinition] = field(default_factory=dict)
    """The definition of each node type used, as compiled."""
    timeouts: bool = False
    """Whether any node type used has a timeout of its own."""

    def prepare(
        self,
        *,
        inputs: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        target_node_id: str | None = None,
        pinned: frozenset[str] = frozenset(),
        artifacts: ArtifactStore | None = None,
    ) -> tuple[dict[str, Step], list[str]]:
        """The steps of one run: params set, then pruned to ``target_node_id``'s ancestry."""
        changes: dict[str, dict[str, Any]] = {}
        problems: list[Violation] = []
        for node_id, value in (inputs or {}).items():
            step = self.steps.get(node_id)
            if step is None:
                problems.append(_unknown_node(node_id, "inputs", self.order))
                continue
            primary = step.definition.spec.primary_param
            if primary is None:
                problems.append(
                    Violation(
                        rule=Rule.BAD_PARAM,
                        node_id=node_id,
                        message=f"{step.node_type} node {node_id!r} takes no input value "
                        "(its type has no primary param); use overrides instead",
                    )
                )
                continue
            changes.setdefault(node_id, {})[primary] = _stored(value, artifacts)
        for node_id, params in (overrides or {}).items():
            if node_id not in self.steps:
                problems.append(_unknown_node(node_id, "overrides", self.order))
                continue
            if not isinstance(params, Mapping):
                problems.append(
                    Violation(
                        rule=Rule.BAD_PARAM,
                        node_id=node_id,
                        message=f"overrides for node {node_id!r} must be an object of params, "
                        f"got {type(params).__name__}",
                    )
                )
                continue
            changes.setdefault(node_id, {}).update(
                {k: _stored(v, artifacts) for k, v in params.items()}
            )
        if target_node_id is not None and target_node_id not in self.steps:
            problems.append(_unknown_node(target_node_id, "target_node_id", self.order))
        steps = dict(self.steps)
        for node_id, change in changes.items():
            base = self.steps[node_id]
            params = {**base.params, **change}
            resolved = _resolved(base.definition, params)
            if resolved is None:
                problems += [
                    Violation(rule=Rule.BAD_PARAM, node_id=node_id, param=name, message=msg)
                    for name, msg in base.definition.param_errors(params)
                ]
                continue
            steps[node_id] = Step(
                id=base.id,
                label=base.label,
                definition=base.definition,
                params=params,
                resolved=resolved,
                ports=base.ports,
                parents=base.parents,
                children=base.children,
                pinned=base.pinned or node_id in pinned,
                is_async=base.is_async,
            )
        if problems:
            raise PipelineValidationError(problems)
        for node_id in pinned:
            if node_id in steps and not steps[node_id].pinned:
                old = steps[node_id]
                steps[node_id] = Step(**{**_fields(old), "pinned": True})
        if target_node_id is None:
            return steps, self.order
        keep = graph.ancestors(self.order, self.workflow.edge_pairs, [target_node_id])
        keep.add(target_node_id)
        order = [n for n in self.order if n in keep]
        pruned = {}
        for node_id in order:
            step = steps[node_id]
            pruned[node_id] = Step(
                **{**_fields(step), "children": [c for c in step.children if c in keep]}
            )
        return pruned, order


def _resolved(definition: NodeDefinition, params: dict[str, Any]) -> dict[str, Any] | None:
    """``definition.resolve_params(params)`` validating once, or ``None`` if invalid.

    A batch prepares every run's params up front, so this is on its per-run path.
    """
    try:
        model = definition.params_model.model_validate(params)
    except ValidationError:
        return None
    return dict(model.__dict__)  # every field, defaults filled in (extra params are refused)


def _fields(step: Step) -> dict[str, Any]:
    return {name: getattr(step, name) for name in Step.__dataclass_fields__}


def _unknown_node(node_id: str, where: str, known: list[str]) -> Violation:
    return Violation(
        rule=Rule.DANGLING_EDGE,
        node_id=node_id,
        message=f"{where} names node {node_id!r}, which is not in the workflow "
        f"(nodes: {', '.join(known) or 'none'})",
    )


def _stored(value: Any, artifacts: ArtifactStore | None) -> Any:
    if isinstance(value, Media):
        return ARTIFACT_SCHEME + (artifacts or ArtifactStore()).put_media(value)
    return value


#: The engine runs graphs larger than a service accepts (its limits apply when publishing).
LOCAL_MAX_NODES = 10_000
LOCAL_MAX_EDGES = 100_000


def compile_workflow(
    workflow: Workflow,
    registry: NodeRegistry,
    *,
    max_nodes: int = LOCAL_MAX_NODES,
    max_edges: int = LOCAL_MAX_EDGES,
) -> CompiledWorkflow:
    """Check a workflow against the registry and wire it up for running.

    Raises :class:`PipelineValidationError` listing every broken rule.
    """
    violations = validate_workflow(workflow, registry, max_nodes=max_nodes, max_edges=max_edges)
    if violations:
        raise PipelineValidationError(violations)
    order = graph.toposort(workflow.node_ids, workflow.edge_pairs)
    steps: dict[str, Step] = {}
    for wn in workflow.nodes:
        definition = registry.get(wn.node_type)
        params = wn.data.all_params(definition.spec.param_names)
        extra = wn.data.model_extra or {}
        steps[wn.id] = Step(
            id=wn.id,
            label=wn.label,
            definition=definition,
            params=params,
            resolved=definition.resolve_params(params),
            ports=[],
            pinned=bool(extra.get("pinned", False)),
            is_async=definition.is_async,
        )
    feeds: dict[tuple[str, str], list[Feed]] = {}
    for edge in workflow.edges:
        src, dst = steps[edge.source], steps[edge.target]
        out_port, in_port = resolve_edge_ports(edge, src.definition.spec, dst.definition.spec)
        assert out_port is not None and in_port is not None  # validated above
        needs = conversion(out_port.type, in_port.type)
        convert = None if needs == "identity" else (out_port.type, in_port.type)
        feeds.setdefault((dst.id, in_port.name), []).append(
            Feed(source=src.id, source_port=out_port.name, convert=convert)
        )
        if src.id not in dst.parents:
            dst.parents.append(src.id)
            src.children.append(dst.id)
    for step in steps.values():
        for port in step.definition.spec.inputs:
            wired = feeds.get((step.id, port.name))
            if wired:
                step.ports.append((port.name, port.many, wired))
    definitions = {s.node_type: s.definition for s in steps.values()}
    return CompiledWorkflow(
        workflow=workflow,
        steps=steps,
        order=order,
        definitions=definitions,
        timeouts=any(d.timeout_s is not None for d in definitions.values()),
    )
