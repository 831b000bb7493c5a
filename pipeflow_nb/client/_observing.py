"""Operations that follow a run: poll, detail, history pages, ``wait`` and ``watch``."""

from __future__ import annotations

from typing import Any

from pipeflow_nb.client._base import Call, Emit, Op, Reply, Sleep
from pipeflow_nb.client._files import FileOperations
from pipeflow_nb.client._outputs import local_values, with_outputs
from pipeflow_nb.client._parsing import parse, unwrap
from pipeflow_nb.client._polling import Deadline, PollDiff, PollPolicy
from pipeflow_nb.client.history import Page
from pipeflow_nb.client.progress import NodeProgressBar
from pipeflow_nb.errors import (
    APIError,
    ExecutionCancelled,
    ExecutionFailed,
    PollTimeout,
    RateLimitError,
)
from pipeflow_nb.models.events import NodeCached, NodeCompleted
from pipeflow_nb.models.execution import Execution, ExecutionStatus, PollResponse

__all__ = ["ObservingOperations"]


class ObservingOperations(FileOperations):
    """Polling with back-off and a deadline; outputs fetched as soon as a poll shows them."""

    # --- observing --------------------------------------------------------------------------
    def _op_poll(self, execution_id: str) -> Op[PollResponse]:
        reply: Reply = yield Call("GET", f"/workflows/executions/{execution_id}/poll")
        return parse(PollResponse, unwrap(reply.data, "id", "status"), "poll body")

    def _op_get_execution(self, execution_id: str) -> Op[Execution]:
        reply: Reply = yield Call("GET", f"/workflows/executions/{execution_id}")
        return parse(Execution, unwrap(reply.data, "id", "status"), "execution")

    def _op_executions_page(
        self, workflow_id: str, cursor: str | None, limit: int, status: str | None
    ) -> Op[Page]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        if status:
            params["status"] = status.upper()
        reply: Reply = yield Call("GET", f"/workflows/{workflow_id}/executions", params=params)
        data = unwrap(reply.data, "executions")
        rows = data.get("executions", []) if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise APIError("the execution history is not a list", status_code=200, body=data)
        cursor_out = data.get("nextCursor") if isinstance(data, dict) else None
        return Page(
            [parse(Execution, r, "execution") for r in rows],
            str(cursor_out) if cursor_out else None,
        )

    def _op_track(
        self, execution_id: str, policy: PollPolicy, *, progress: bool, emit: bool
    ) -> Op[Execution]:
        """Poll until terminal, downloading outputs as they appear; the full execution."""
        deadline = Deadline(policy.timeout)
        pauses = policy.intervals()
        diff = PollDiff(execution_id)
        keys: dict[str, str] = {}
        bar = NodeProgressBar(execution_id) if progress else None
        last: ExecutionStatus | None = None
        try:
            while True:
                try:
                    poll = yield from self._op_poll(execution_id)
                except RateLimitError as exc:
                    pause = exc.retry_after if exc.retry_after is not None else next(pauses)
                    remaining = deadline.remaining
                    if remaining is not None and pause > remaining:
                        raise PollTimeout(
                            execution_id, last.value if last else None, policy.timeout or 0
                        ) from exc
                    yield Sleep(pause)
                    continue
                last = poll.status
                yield from self._op_fetch_all(poll.node_results.node_runs, keys)
                events = diff.events(poll)
                if emit:
                    for event in events:
                        if isinstance(event, NodeCompleted | NodeCached) and event.output:
                            values = local_values(event.output, keys, self.artifacts)
                            event = event.model_copy(update={"outputs": values})
                        yield Emit(event)
                if bar is not None:
                    done = poll.progress.completed if poll.progress else diff.settled_nodes
                    total = poll.progress.total if poll.progress else len(poll.node_states)
                    bar.update(done, total, poll.status.value)
                if poll.status.is_terminal:
                    break
                if deadline.expired:
                    raise PollTimeout(execution_id, poll.status.value, policy.timeout or 0)
                yield Sleep(deadline.clip(next(pauses)))
        finally:
            if bar is not None:
                bar.close()
        execution = yield from self._op_get_execution(execution_id)
        yield from self._op_fetch_all(execution.node_runs, keys)
        return with_outputs(execution, keys, self.artifacts)

    def _op_wait(self, execution_id: str, policy: PollPolicy, progress: bool) -> Op[Execution]:
        execution = yield from self._op_track(execution_id, policy, progress=progress, emit=False)
        if execution.status == ExecutionStatus.FAILED:
            raise ExecutionFailed(execution)
        if execution.status == ExecutionStatus.CANCELLED:
            raise ExecutionCancelled(execution)
        return execution

    def _policy(self, poll: PollPolicy | None, timeout: float | None) -> PollPolicy:
        policy = poll or self.poll_policy
        if timeout is not None:
            policy = PollPolicy(policy.initial, policy.factor, policy.max_interval, timeout)
        return policy
