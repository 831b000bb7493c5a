"""Module-level helpers on a default client, for notebooks and scripts.

>>> import pipeflow_nb as pf
>>> wf = pf.publish(pipeline)                       # create or update
>>> run = pf.execute(wf, inputs={"brief": "a lighthouse at dusk"})
>>> execution = pf.wait(run)                        # progress bar, outputs kept locally
>>> pf.executions(wf)                               # history table

The default client is created on first use (``PIPEFLOW_BASE_URL`` / ``PIPEFLOW_API_KEY``,
or the embedded reference server when no base URL is set) and closed at exit.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeflow_nb.client import Client, ExecutionHistory, PollPolicy
    from pipeflow_nb.models.execution import (
        ExecuteResponse,
        Execution,
        IteratorConfig,
        PollResponse,
        RunAccepted,
    )
    from pipeflow_nb.models.workflow import Workflow

__all__ = [
    "default_client",
    "execute",
    "executions",
    "poll",
    "publish",
    "set_default_client",
    "trigger_webhook",
    "wait",
]

_lock = threading.Lock()
_client: Client | None = None


def default_client() -> Client:
    """The process-wide client the helpers use, created on first call."""
    global _client
    with _lock:
        if _client is None or _client.is_closed:
            from pipeflow_nb.client import Client

            _client = Client()
            atexit.register(_client.close)
        return _client


def set_default_client(client: Client | None) -> None:
    """Make the helpers use ``client`` (``None``: a fresh default on next use)."""
    global _client
    with _lock:
        _client = client


def publish(pipeline: Any) -> Workflow:
    """Create or update the pipeline's workflow; returns it with id and ``webhook_url``."""
    return default_client().publish(pipeline)


def execute(
    workflow: Any,
    *,
    inputs: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    target_node_id: str | None = None,
    iterator_configs: Sequence[IteratorConfig | Mapping[str, Any]] | None = None,
    mode: Any = "zip",
    force: bool = False,
    idempotency_key: str | None = None,
) -> ExecuteResponse:
    """Start a run of a published workflow (see :meth:`Client.execute`)."""
    return default_client().execute(
        workflow,
        inputs=inputs,
        overrides=overrides,
        target_node_id=target_node_id,
        iterator_configs=iterator_configs,
        mode=mode,
        force=force,
        idempotency_key=idempotency_key,
    )


def poll(execution: Any) -> PollResponse:
    """The light status of a run."""
    return default_client().poll(execution)


def wait(
    execution: Any,
    *,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    progress: bool = True,
) -> Execution:
    """Wait for a run to end (progress bar; outputs downloaded into the artifact store)."""
    return default_client().wait(execution, timeout=timeout, poll=poll, progress=progress)


def executions(
    workflow: Any, *, limit: int | None = None, status: str | None = None
) -> ExecutionHistory:
    """A workflow's run history, newest first; displays as a table."""
    return default_client().executions(workflow, limit=limit, status=status)


def trigger_webhook(
    webhook: Any, data: Any = None, *, idempotency_key: str | None = None
) -> RunAccepted:
    """Trigger a workflow through its webhook id (or a published workflow)."""
    return default_client().trigger_webhook(webhook, data, idempotency_key=idempotency_key)
