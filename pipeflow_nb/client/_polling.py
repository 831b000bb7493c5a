"""Pure timing and diffing logic: back-off schedules, deadlines, Retry-After, poll diffs.

Nothing here sleeps or talks to the network; the clients ask these objects how long to
wait and what happened between two polls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

from pipeflow_nb.models.events import (
    ExecutionEvent,
    ExecutionFinished,
    ExecutionStarted,
    NodeCached,
    NodeCompleted,
    NodeFailed,
    NodeProgress,
    NodeSkipped,
    NodeStarted,
)
from pipeflow_nb.models.execution import (
    ExecutionStatus,
    NodeOutput,
    NodeRun,
    NodeStatus,
    PollResponse,
)

__all__ = ["Deadline", "PollDiff", "PollPolicy", "RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class PollPolicy:
    """How ``wait()`` and ``watch()`` poll: ``initial`` seconds, times ``factor``, capped.

    >>> list(PollPolicy().intervals())[:4]
    [1.0, 1.5, 2.25, 3.375]
    """

    initial: float = 1.0
    """First pause between polls, in seconds."""
    factor: float = 1.5
    """Each pause is this much longer than the one before."""
    max_interval: float = 10.0
    """No pause is longer than this."""
    timeout: float | None = 600.0
    """Give up (``PollTimeout``) after this many seconds; ``None`` waits forever."""

    def __post_init__(self) -> None:
        if self.initial < 0 or self.max_interval < 0:
            raise ValueError("PollPolicy intervals must not be negative")
        if self.factor < 1:
            raise ValueError(f"PollPolicy.factor must be at least 1, not {self.factor}")
        if self.timeout is not None and self.timeout < 0:
            raise ValueError("PollPolicy.timeout must not be negative")

    def intervals(self) -> Iterator[float]:
        """The pauses between consecutive polls, forever."""
        interval = min(self.initial, self.max_interval)
        while True:
            yield interval
            interval = min(interval * self.factor, self.max_interval)


@dataclass(frozen=True)
class RetryPolicy:
    """Which failed requests are retried, and how long to wait in between.

    GETs are retried on connection errors, 429 and 5xx; POSTs only when they carry an
    ``Idempotency-Key`` (or when the connection was refused, so nothing was sent).
    """

    max_retries: int = 3
    """Retries after the first attempt."""
    backoff: float = 0.5
    """Pause before the first retry when the service gives no ``Retry-After``."""
    factor: float = 2.0
    """Growth of the pause from one retry to the next."""
    max_backoff: float = 8.0
    """Cap on the computed pause."""
    max_retry_after: float = 60.0
    """A ``Retry-After`` longer than this is not waited for; the 429 is raised instead."""
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    """Statuses worth another attempt."""

    def pause(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``; ``None`` means give up."""
        if attempt >= self.max_retries:
            return None
        if retry_after is not None:
            return None if retry_after > self.max_retry_after else max(0.0, retry_after)
        return min(self.backoff * self.factor**attempt, self.max_backoff)


def parse_retry_after(
    headers: Mapping[str, str],
    body: object = None,
    *,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Seconds to wait, from ``Retry-After`` (seconds or HTTP date) or a body ``retryAfter``.

    The body's ``retryAfter`` is an absolute epoch time on the reference server; small values
    are read as relative seconds, as some services send them.
    """
    raw = headers.get("retry-after") or headers.get("Retry-After")
    if raw:
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max(0.0, moment.timestamp() - now())
    if isinstance(body, dict):
        value = body.get("retryAfter")
        if isinstance(value, int | float) and not isinstance(value, bool):
            # An epoch timestamp is huge; anything under a day is a relative delay.
            return max(0.0, value - now()) if value > 86_400 else float(value)
    return None


@dataclass
class Deadline:
    """A point in time after which polling stops; ``None`` seconds never expires."""

    seconds: float | None
    clock: Callable[[], float] = time.monotonic
    _start: float = field(init=False)

    def __post_init__(self) -> None:
        self._start = self.clock()

    @property
    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` without a deadline."""
        if self.seconds is None:
            return None
        return max(0.0, self.seconds - (self.clock() - self._start))

    @property
    def expired(self) -> bool:
        """Whether the time is up."""
        remaining = self.remaining
        return remaining is not None and remaining <= 0

    def clip(self, pause: float) -> float:
        """``pause`` shortened so it ends at the deadline at the latest."""
        remaining = self.remaining
        return pause if remaining is None else min(pause, remaining)


_SETTLED = {
    NodeStatus.COMPLETED,
    NodeStatus.CACHED,
    NodeStatus.FAILED,
    NodeStatus.SKIPPED,
    NodeStatus.CANCELLED,
}


@dataclass
class _NodeView:
    status: NodeStatus
    error: str | None = None
    progress: float | None = None
    run: NodeRun | None = None


class PollDiff:
    """Turns successive poll bodies of one execution into typed events.

    Feed every poll to :meth:`events`; it returns what changed since the previous one,
    in a sensible order (a node seen completed without being seen running still gets a
    ``node_started`` first). Unknown statuses produce no event.
    """

    def __init__(self, execution_id: str):
        self.execution_id = execution_id
        self._started = False
        self._finished = False
        self._nodes: dict[str, _NodeView] = {}

    @staticmethod
    def _views(poll: PollResponse) -> dict[str, _NodeView]:
        runs = {r.node_id: r for r in poll.node_results.node_runs}
        views: dict[str, _NodeView] = {}
        for state in poll.node_states:
            run = runs.get(state.node_id)
            views[state.node_id] = _NodeView(
                state.status, state.error or (run.error if run else None), state.progress, run
            )
        for node_id, run in runs.items():
            if node_id not in views:
                views[node_id] = _NodeView(run.status, run.error, run.progress, run)
        return views

    def events(self, poll: PollResponse) -> list[ExecutionEvent]:
        """Events that explain the change from the previous poll to this one."""
        out: list[ExecutionEvent] = []
        views = self._views(poll)
        eid = self.execution_id
        if not self._started and poll.status != ExecutionStatus.QUEUED:
            self._started = True
            out.append(ExecutionStarted(execution_id=eid, node_ids=list(views)))
        for node_id, view in views.items():
            before = self._nodes.get(node_id)
            old = before.status if before else NodeStatus.PENDING
            self._nodes[node_id] = view
            if view.status == old:
                if (
                    view.status == NodeStatus.RUNNING
                    and view.progress is not None
                    and (before is None or before.progress != view.progress)
                ):
                    out.append(self._progress(node_id, view.progress))
                continue
            out.extend(self._transition(node_id, old, view))
        if poll.status.is_terminal and not self._finished:
            self._finished = True
            out.append(
                ExecutionFinished(
                    execution_id=eid,
                    status=poll.status,
                    error=poll.error,
                    failed_node_id=poll.failed_node_id,
                )
            )
        return out

    def _progress(self, node_id: str, value: float) -> NodeProgress:
        return NodeProgress(execution_id=self.execution_id, node_id=node_id, value=value, max=100)

    def _transition(self, node_id: str, old: NodeStatus, view: _NodeView) -> list[ExecutionEvent]:
        eid = self.execution_id
        new = view.status
        out: list[ExecutionEvent] = []
        ran = new in (NodeStatus.COMPLETED, NodeStatus.FAILED)
        if (new == NodeStatus.RUNNING or ran) and old in (NodeStatus.PENDING, NodeStatus.UNKNOWN):
            out.append(NodeStarted(execution_id=eid, node_id=node_id))
        if new == NodeStatus.RUNNING and view.progress is not None:
            out.append(self._progress(node_id, view.progress))
        output: NodeOutput | None = view.run.output if view.run else None
        if new == NodeStatus.COMPLETED:
            run = view.run
            out.append(
                NodeCompleted(
                    execution_id=eid,
                    node_id=node_id,
                    output=output,
                    duration_ms=(run.duration_ms or 0) if run else 0,
                    credits=run.credits if run else 0,
                    rerun_reason=run.rerun_reason if run else None,
                )
            )
        elif new == NodeStatus.CACHED:
            out.append(NodeCached(execution_id=eid, node_id=node_id, output=output))
        elif new == NodeStatus.FAILED:
            out.append(NodeFailed(execution_id=eid, node_id=node_id, error=view.error or "failed"))
        elif new in (NodeStatus.SKIPPED, NodeStatus.CANCELLED):
            out.append(
                NodeSkipped(
                    execution_id=eid,
                    node_id=node_id,
                    reason=view.error or new.value.lower(),
                    cancelled=new == NodeStatus.CANCELLED,
                )
            )
        return out

    @property
    def settled_nodes(self) -> int:
        """How many nodes have reached a final state so far."""
        return sum(1 for v in self._nodes.values() if v.status in _SETTLED)
