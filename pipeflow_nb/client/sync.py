"""``Client``: the blocking client of the pipeline service.

>>> with Client() as client:                 # nothing configured: embedded reference server
...     wf = client.publish(pipeline)
...     run = client.execute(wf.id, inputs={"brief": "a lighthouse at dusk"})
...     execution = client.wait(run)          # progress bar, outputs downloaded locally
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.client._base import Call, Emit, Op, Reply, Sleep, Work
from pipeflow_nb.client._operations import (
    Mode,
    Operations,
    execution_id_of,
    webhook_id_of,
    workflow_id_of,
)
from pipeflow_nb.client._polling import PollPolicy, RetryPolicy
from pipeflow_nb.client.history import ExecutionHistory, Page
from pipeflow_nb.client.results import Estimate, LintReport, Usage, WebhookInfo
from pipeflow_nb.errors import PipeflowError
from pipeflow_nb.media import Media
from pipeflow_nb.models.events import ExecutionEvent
from pipeflow_nb.models.execution import (
    ExecuteResponse,
    Execution,
    IteratorConfig,
    PollResponse,
    RunAccepted,
)
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.workflow import Workflow, WorkflowSummary

__all__ = ["Client"]

T = TypeVar("T")


class Client(Operations):
    """A blocking client; see :class:`~pipeflow_nb.client.AsyncClient` for the async twin.

    ``base_url`` and ``api_key`` default to ``PIPEFLOW_BASE_URL`` / ``PIPEFLOW_API_KEY``;
    with no base URL at all the first request starts the reference server in-process.
    ``transport=`` or ``http_client=`` replace the network (tests use
    ``httpx.MockTransport`` or ``httpx.ASGITransport``).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        artifacts: ArtifactStore | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ):
        super().__init__(
            base_url,
            api_key,
            timeout=timeout,
            retry=retry,
            poll=poll,
            artifacts=artifacts,
            headers=headers,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=True
        )

    # --- lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        """Release the connection pool; later calls raise ``ClientClosedError``."""
        if not self._closed:
            self._closed = True
            if self._owns_http:
                self._http.close()

    def __enter__(self) -> Client:
        self._check_open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the send path ----------------------------------------------------------------------
    def _ensure_target(self) -> None:
        if self.base_url is None:
            from pipeflow_nb.client.embedded import ensure_server

            self._adopt(*ensure_server())

    def _send(self, call: Call) -> Reply:
        self._check_open()
        self._ensure_target()
        attempt = 0
        while True:
            never_sent = False
            try:
                response = self._http.send(self._build_request(self._http, call))
            except httpx.HTTPError as exc:
                failure: PipeflowError
                failure, never_sent = self._transport_failure(call, exc)
            else:
                outcome = self._interpret(call, response)
                if isinstance(outcome, Reply):
                    return outcome
                failure = outcome
            pause = self._retry_pause(call, attempt, failure, never_sent)
            if pause is None:
                raise failure
            attempt += 1
            time.sleep(pause)

    def _carry(self, step: Call | Sleep | Work) -> tuple[Any, PipeflowError | None]:
        """Carry out one step: its result for the operation, or the error to throw in."""
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None, None
        if isinstance(step, Work):
            return step.func(), None
        try:
            return self._send(step), None
        except PipeflowError as exc:
            return None, exc

    def _iterate(self, op: Op[T]) -> Generator[Any, None, T]:
        value: Any = None
        error: PipeflowError | None = None
        while True:
            try:
                step = op.throw(error) if error is not None else op.send(value)
            except StopIteration as stop:
                result: T = stop.value
                return result
            if isinstance(step, Emit):
                value, error = None, None
                yield step.value
            else:
                value, error = self._carry(step)

    def _run(self, op: Op[T]) -> T:
        steps = self._iterate(op)
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                result: T = stop.value
                return result

    # --- workflows --------------------------------------------------------------------------
    def list_workflows(self) -> list[WorkflowSummary]:
        """Every workflow of the account."""
        return self._run(self._op_list_workflows())

    def get_workflow(self, workflow: str | Workflow | Any) -> Workflow:
        """A workflow with its graph."""
        return self._run(self._op_get_workflow(workflow_id_of(workflow)))

    def create_workflow(self, pipeline_or_workflow: Any, *, name: str | None = None) -> Workflow:
        """Store a new workflow from a Pipeline or Workflow; its id and webhook are set."""
        return self._run(self._op_create_workflow(pipeline_or_workflow, name))

    def update_workflow(
        self, workflow: str | Workflow | Any, pipeline_or_workflow: Any = None, **fields: Any
    ) -> Workflow:
        """Replace a workflow's graph and/or fields (``name=``, ``isActive=`` ...)."""
        op = self._op_update_workflow(workflow_id_of(workflow), pipeline_or_workflow, fields)
        return self._run(op)

    def delete_workflow(self, workflow: str | Workflow | Any) -> None:
        """Delete a workflow."""
        self._run(self._op_delete_workflow(workflow_id_of(workflow)))

    def publish(self, pipeline: Any) -> Workflow:
        """Create or update (``pipeline.workflow_id``) the workflow; returns it with its
        id and ``webhook_url``. Node types the service does not offer fail before upload."""
        return self._run(self._op_publish(pipeline))

    def lint(self, pipeline_or_workflow: Any) -> LintReport:
        """Every violation the service finds in a graph, without storing it."""
        return self._run(self._op_lint(pipeline_or_workflow))

    # --- running ----------------------------------------------------------------------------
    def estimate(
        self,
        workflow: str | Workflow | Any,
        *,
        inputs: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        target_node_id: str | None = None,
        iterator_configs: Sequence[IteratorConfig | Mapping[str, Any]] | None = None,
        mode: Mode = "zip",
    ) -> Estimate:
        """What a run would cost, and whether the key has enough credits."""
        body = self._execute_body(
            inputs, overrides, target_node_id, iterator_configs, mode, False, None, None
        )
        return self._run(self._op_estimate(workflow_id_of(workflow), body))

    def execute(
        self,
        workflow: str | Workflow | Any,
        *,
        inputs: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        target_node_id: str | None = None,
        iterator_configs: Sequence[IteratorConfig | Mapping[str, Any]] | None = None,
        mode: Mode = "zip",
        force: bool = False,
        trigger_data: Mapping[str, Any] | None = None,
        graph: Any = None,
        idempotency_key: str | None = None,
    ) -> ExecuteResponse:
        """Start a run (or a batch with ``iterator_configs``); pass the answer to ``wait``.

        An ``Idempotency-Key`` is generated when none is given, so a retried request
        never starts the run twice.
        """
        body = self._execute_body(
            inputs, overrides, target_node_id, iterator_configs, mode, force, trigger_data, graph
        )
        return self._run(self._op_execute(workflow_id_of(workflow), body, idempotency_key))

    def run(
        self,
        workflow: str | Workflow | Any,
        inputs: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> RunAccepted:
        """Start a run with the simple ``/run`` endpoint (inputs by node id)."""
        return self._run(self._op_run(workflow_id_of(workflow), inputs, idempotency_key))

    def run_schema(self, workflow: str | Workflow | Any) -> dict[str, Any]:
        """The inputs ``run()`` accepts, as the service describes them."""
        return self._run(self._op_run_schema(workflow_id_of(workflow)))

    def trigger_webhook(
        self, webhook: str | Workflow, data: Any = None, *, idempotency_key: str | None = None
    ) -> RunAccepted:
        """Trigger a workflow through its webhook (no API key needed); ``data`` is the body."""
        return self._run(self._op_trigger_webhook(webhook_id_of(webhook), data, idempotency_key))

    def webhook(self, webhook: str | Workflow) -> WebhookInfo:
        """What a webhook triggers and whether it is active."""
        return self._run(self._op_webhook(webhook_id_of(webhook)))

    def cancel(self, execution: Any) -> RunAccepted:
        """Ask the service to cancel a run."""
        return self._run(self._op_cancel(execution_id_of(execution)))

    # --- observing --------------------------------------------------------------------------
    def poll(self, execution: Any) -> PollResponse:
        """The light status of a run."""
        return self._run(self._op_poll(execution_id_of(execution)))

    def get_execution(self, execution: Any) -> Execution:
        """The full record of a run (timings, credits, per-node outputs)."""
        return self._run(self._op_get_execution(execution_id_of(execution)))

    def wait(
        self,
        execution: Any,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool = True,
    ) -> Execution:
        """Poll until the run ends; its outputs are downloaded as they appear.

        ``execution`` is an id, an Execution, or the answer of ``execute`` / ``run`` /
        ``trigger_webhook`` (for a batch, its first run: wait on each of
        ``response.execution_ids`` for the others).

        Raises ``ExecutionFailed`` (with ``failed_node_id``), ``ExecutionCancelled``, or
        ``PollTimeout`` past ``timeout`` seconds (default: the poll policy's).
        """
        policy = self._policy(poll, timeout)
        return self._run(self._op_wait(execution_id_of(execution), policy, progress))

    def watch(
        self, execution: Any, *, timeout: float | None = None, poll: PollPolicy | None = None
    ) -> Iterator[ExecutionEvent]:
        """Typed events of a run (node started / completed / failed ..., then finished)."""
        policy = self._policy(poll, timeout)
        op = self._op_track(execution_id_of(execution), policy, progress=False, emit=True)
        yield from self._iterate(op)

    def executions(
        self, workflow: str | Workflow | Any, *, limit: int | None = None, status: str | None = None
    ) -> ExecutionHistory:
        """A workflow's runs, newest first, fetched lazily page by page; displays as a table."""
        workflow_id = workflow_id_of(workflow)

        def fetch(cursor: str | None, size: int) -> Page:
            return self._run(self._op_executions_page(workflow_id, cursor, size, status))

        return ExecutionHistory(fetch, workflow_id=workflow_id, limit=limit, status=status)

    # --- files, catalog, account ------------------------------------------------------------
    def download(self, output: Any, dest: str | Path | None = None) -> Any:
        """Fetch an output (MediaRef or URL) into the artifact store.

        Returns the media value, or the written path when ``dest`` (file or folder) is given.
        """
        return self._run(self._op_download(output, dest))

    def upload(self, source: str | Path | bytes | Media, filename: str | None = None) -> str:
        """Upload a file or media value; returns the URL to pass as an input."""
        return self._run(self._op_upload(source, filename))

    def nodes(self) -> list[NodeTypeSpec]:
        """The node types the service offers."""
        return self._run(self._op_nodes())

    def usage(self) -> Usage:
        """Credits, plan and today's executions of the key."""
        return self._run(self._op_usage())
