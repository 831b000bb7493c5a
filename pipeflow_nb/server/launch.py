"""Starting runs: the checks every entry point shares (execute, run, webhook), then the queue.

Order matters: nothing is counted or stored until every check that can refuse without
side effects has passed (active workflow, graph, credits); then the per-minute and daily
limits are counted, the batch is stored and the runner is told.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from pipeflow_nb.models.base import utcnow
from pipeflow_nb.models.execution import ExecuteRequest, ExecuteResponse, Execution
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.server.context import ServerContext
from pipeflow_nb.server.credits import Estimate, estimate
from pipeflow_nb.server.limits import limits_for
from pipeflow_nb.server.planning import Plan, plan_execution
from pipeflow_nb.server.problems import ApiProblem
from pipeflow_nb.server.store import ApiKey, RunPlan

__all__ = ["Launched", "estimate_request", "execute_body", "launch"]


@dataclass(frozen=True)
class Launched:
    """What was queued."""

    response: ExecuteResponse

    @property
    def first_id(self) -> str:
        """The first run's id (for ``Location``)."""
        return self.response.execution_runs[0].id


def _fresh_key(ctx: ServerContext, key: ApiKey) -> ApiKey:
    stored = ctx.store.keys.get(key.id)
    if stored is None or not stored.is_active:
        raise ApiProblem(401, "Invalid API key")
    return stored


def _estimate(ctx: ServerContext, key: ApiKey, plan: Plan) -> Estimate:
    available = key.credits - ctx.store.executions.outstanding_credits(key.id)
    return estimate(plan.nodes, ctx.registry, runs=plan.run_count, available=available)


def estimate_request(
    ctx: ServerContext, key: ApiKey, workflow: Workflow, request: ExecuteRequest
) -> Estimate:
    """What the request would cost the key."""
    plan = plan_execution(workflow, request, ctx.registry, max_runs=ctx.settings.max_batch_runs)
    return _estimate(ctx, _fresh_key(ctx, key), plan)


def _count_limits(ctx: ServerContext, key: ApiKey, runs: int) -> None:
    limits = limits_for(key)
    now = ctx.now()
    decision = ctx.limiter.hit(f"exec:{key.id}", limits.executions_per_min, now)
    if not decision.allowed:
        raise ApiProblem(
            429,
            f"Rate limit exceeded: {limits.executions_per_min} executions per minute",
            extras={"retryAfter": int(decision.reset + 0.999)},
            headers={"Retry-After": str(decision.retry_after(now)), **decision.headers()},
        )
    day_cap = limits.executions_per_day
    if ctx.store.usage.try_add_executions(key.id, ctx.today(), runs, day_cap) is None:
        used = ctx.store.usage.executions(key.id, ctx.today())
        midnight = (int(now) // 86400 + 1) * 86400
        raise ApiProblem(
            429,
            f"Daily execution limit reached: {used} of {day_cap} runs used today"
            + (f"; this request needs {runs}" if runs > 1 else ""),
            extras={"retryAfter": midnight},
            headers={
                "Retry-After": str(max(1, midnight - int(now))),
                "X-RateLimit-Limit": str(day_cap),
                "X-RateLimit-Remaining": str(max(0, (day_cap or 0) - used)),
                "X-RateLimit-Reset": str(midnight),
            },
        )


def launch(
    ctx: ServerContext,
    key: ApiKey,
    workflow: Workflow,
    request: ExecuteRequest,
    *,
    single: bool = False,
) -> Launched:
    """Check, count, store and queue the runs of one request."""
    assert workflow.id is not None
    if workflow.is_active is False:
        raise ApiProblem(400, "Workflow is not active")
    plan = plan_execution(workflow, request, ctx.registry, max_runs=ctx.settings.max_batch_runs)
    if single and plan.run_count > 1:
        raise ApiProblem(
            400,
            f"This endpoint starts one run; the iteratorConfigs make {plan.run_count}. "
            "Use POST /workflows/{id}/execute for batches",
        )
    # One write transaction from the balance check to the stored runs: two requests racing
    # for the same credits cannot both pass the check.
    with ctx.store.db.write():
        key = _fresh_key(ctx, key)
        cost = _estimate(ctx, key, plan)
        cost.check()
        _count_limits(ctx, key, plan.run_count)
        batch_id = str(uuid.uuid4())
        runs = [
            RunPlan("exec_" + secrets.token_hex(12), index, overrides)
            for index, overrides in enumerate(plan.combinations)
        ]
        ctx.store.executions.create_batch(
            batch_id=batch_id,
            workflow_id=workflow.id,
            workflow_version=workflow.version,
            key_id=key.id,
            mode=request.mode,
            spec=plan.spec,
            runs=runs,
            nodes=plan.nodes,
            final_node_id=plan.final_node_id,
            credits_per_run=cost.per_run,
        )
    ctx.runner.submit([r.execution_id for r in runs])
    queued_at = utcnow()
    response = ExecuteResponse(
        workflow_id=workflow.id,
        batch_id=batch_id,
        execution_runs=[
            Execution(
                id=r.execution_id,
                workflow_id=workflow.id,
                batch_id=batch_id,
                start_time=queued_at,
                run_index_in_batch=i,
                input_index=r.input_index,
            )
            for i, r in enumerate(runs)
        ],
    )
    return Launched(response)


def execute_body(launched: Launched) -> dict[str, Any]:
    """The 201 body: each run with the null fields the contract shows."""
    body = launched.response.to_wire()
    for run in body["executionRuns"]:
        run.setdefault("endTime", None)
        run.setdefault("error", None)
        run.setdefault("nodeRuns", [])
    return body
