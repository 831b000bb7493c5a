"""From an execute request to runs: checks, iterator combinations, the node set."""

from __future__ import annotations

import pytest

from pipeflow_nb.models.execution import ExecuteRequest
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.server.planning import plan_execution
from pipeflow_nb.server.problems import ApiProblem
from tests.server.nodes import chain, make_registry

REGISTRY = make_registry()


def _plan(request: dict[str, object], workflow: dict[str, object] | None = None) -> object:
    wf = Workflow.model_validate(workflow or chain("test:noop", "test:priced"))
    return plan_execution(wf, ExecuteRequest.model_validate(request), REGISTRY, max_runs=10)


def test_target_prunes_to_ancestors_and_is_the_final_node() -> None:
    plan = _plan({"targetNodeId": "n0"})
    assert [n.node_id for n in plan.nodes] == ["brief", "n0"]  # type: ignore[attr-defined]
    assert plan.final_node_id == "n0"  # type: ignore[attr-defined]
    whole = _plan({})
    assert whole.final_node_id == "n1"  # type: ignore[attr-defined]


def test_iterator_values_become_per_run_overrides() -> None:
    plan = _plan({"iteratorConfigs": [{"nodeId": "brief", "values": ["a", "b"]}]})
    assert plan.combinations == [  # type: ignore[attr-defined]
        {"brief": {"text": "a"}},
        {"brief": {"text": "b"}},
    ]


def test_limits_and_bad_params() -> None:
    with pytest.raises(ApiProblem, match="Batch too large: 11 runs; the limit is 10"):
        _plan({"iteratorConfigs": [{"nodeId": "brief", "values": list(range(11))}]})
    with pytest.raises(ApiProblem) as caught:
        _plan({"overrides": {"brief": {"text": 5, "nope": 1}}})
    assert caught.value.status_code == 422
    params = sorted(v["param"] for v in caught.value.extras["violations"])
    assert params == ["nope", "text"]
