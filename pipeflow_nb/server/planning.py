"""From an execute request to queued runs: the graph, checks, iterator combinations, node set.

Pure: it reads the workflow, the request and the registry and returns a :class:`Plan`
or raises :class:`ApiProblem` (400 for a bad request, 422 listing every violation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeflow_nb import graph
from pipeflow_nb.engine.batch import combinations as combine
from pipeflow_nb.models.execution import ExecuteRequest, IteratorConfig
from pipeflow_nb.models.validation import validate_workflow
from pipeflow_nb.models.workflow import NodeData, Violation, WireNode, Workflow
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.server.problems import ApiProblem
from pipeflow_nb.server.store import NodePlan

__all__ = ["Plan", "combinations", "plan_execution", "violations_problem"]


@dataclass(frozen=True)
class Plan:
    """Everything needed to queue the runs of one execute call."""

    workflow: Workflow
    """The graph to run (the saved one, or the one in the request)."""
    spec: dict[str, Any]
    """What every run shares: graph, inputs, overrides, target, trigger data, force."""
    combinations: list[dict[str, dict[str, Any]]]
    """Per run, the iterator values as param overrides by node id."""
    nodes: list[NodePlan]
    """The nodes that take part, in topological order."""
    final_node_id: str | None
    """Whose output is the run's ``finalOutput``."""

    @property
    def run_count(self) -> int:
        """How many runs the call makes."""
        return len(self.combinations)


def violations_problem(violations: list[Violation]) -> ApiProblem:
    """The 422 listing every violation."""
    count = len(violations)
    first = violations[0].describe()
    more = f" (and {count - 1} more)" if count > 1 else ""
    return ApiProblem(
        422,
        f"Workflow is invalid: {first}{more}",
        extras={"violations": [v.to_wire() for v in violations]},
    )


def combinations(
    request: ExecuteRequest, workflow: Workflow, registry: NodeRegistry, *, max_runs: int
) -> list[dict[str, dict[str, Any]]]:
    """One overrides dict per run, from the request's iterator configs (zip or product)."""
    if not request.iterator_configs:
        return [{}]
    axes: list[list[tuple[str, str, Any]]] = []
    for index, config in enumerate(request.iterator_configs):
        try:
            node = workflow.node(config.node_id)
        except KeyError:
            raise ApiProblem(
                400, f"iteratorConfigs[{index}]: no node {config.node_id!r} in the workflow"
            ) from None
        spec = registry.spec(node.node_type)
        param = config.param or (spec.primary_param if spec else None)
        if param is None:
            raise ApiProblem(
                400,
                f"iteratorConfigs[{index}]: node {config.node_id!r} has no primary param; "
                "name one with 'param'",
            )
        if spec is not None and param not in spec.param_names:
            known = ", ".join(sorted(spec.param_names)) or "none"
            raise ApiProblem(
                400,
                f"iteratorConfigs[{index}]: node {config.node_id!r} has no param {param!r} "
                f"(params: {known})",
            )
        axes.append([(config.node_id, param, value) for value in config.values])
    resolved = [
        IteratorConfig(node_id=axis[0][0], param=axis[0][1], values=[v for _, _, v in axis])
        for axis in axes
    ]
    try:
        rows = combine(resolved, request.mode)
    except ValueError as exc:  # unequal zip lengths, or past the engine's batch cap
        raise ApiProblem(400, f"iteratorConfigs: {exc}") from None
    if len(rows) > max_runs:
        raise ApiProblem(400, f"Batch too large: {len(rows)} runs; the limit is {max_runs}")
    result: list[dict[str, dict[str, Any]]] = []
    for row in rows:
        overrides: dict[str, dict[str, Any]] = {}
        for config, value in zip(resolved, row, strict=True):
            assert config.param is not None
            overrides.setdefault(config.node_id, {})[config.param] = value
        result.append(overrides)
    return result


def _with_overrides(workflow: Workflow, overrides: dict[str, dict[str, Any]]) -> Workflow:
    if not overrides:
        return workflow
    nodes: list[WireNode] = []
    for node in workflow.nodes:
        extra = overrides.get(node.id)
        if extra:
            data = NodeData.model_validate(
                {**node.data.model_dump(by_alias=True), "params": {**node.data.params, **extra}}
            )
            node = node.model_copy(update={"data": data})
        nodes.append(node)
    return workflow.model_copy(update={"nodes": nodes})


def plan_execution(
    saved: Workflow, request: ExecuteRequest, registry: NodeRegistry, *, max_runs: int
) -> Plan:
    """Check a request against its workflow and work out the runs it makes."""
    if request.nodes is not None:
        workflow = saved.model_copy(update={"nodes": request.nodes, "edges": request.edges or []})
    else:
        workflow = saved
    ids = set(workflow.node_ids)
    for field, names in (("inputs", request.inputs), ("overrides", request.overrides)):
        unknown = sorted(set(names) - ids)
        if unknown:
            raise ApiProblem(
                400, f"{field} names node(s) not in the workflow: {', '.join(map(repr, unknown))}"
            )
    if request.target_node_id is not None and request.target_node_id not in ids:
        raise ApiProblem(
            400, f"targetNodeId {request.target_node_id!r} is not a node of the workflow"
        )
    runs = combinations(request, workflow, registry, max_runs=max_runs)
    checked = _with_overrides(_with_overrides(workflow, request.overrides), runs[0])
    violations = validate_workflow(checked, registry)
    if violations:
        raise violations_problem(violations)
    order = graph.toposort(workflow.node_ids, workflow.edge_pairs)
    if request.target_node_id is not None:
        keep = graph.ancestors(workflow.node_ids, workflow.edge_pairs, [request.target_node_id])
        keep.add(request.target_node_id)
        order = [n for n in order if n in keep]
        final: str | None = request.target_node_id
    else:
        sources = {s for s, _ in workflow.edge_pairs}
        sinks = [n for n in order if n not in sources]
        final = sinks[-1] if sinks else (order[-1] if order else None)
    by_id = {n.id: n for n in workflow.nodes}
    nodes = [NodePlan(n, by_id[n].label, by_id[n].node_type) for n in order]
    wire = workflow.to_wire()
    spec = {
        "graph": {"nodes": wire.get("nodes", []), "edges": wire.get("edges", [])},
        "inputs": request.inputs,
        "overrides": request.overrides,
        "targetNodeId": request.target_node_id,
        "triggerData": request.trigger_data,
        "force": request.force,
    }
    return Plan(workflow, spec, runs, nodes, final)
