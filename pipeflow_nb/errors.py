"""The whole exception tree of pipeflow-nb.

Every error the package raises on purpose derives from :class:`PipeflowError`::

    PipeflowError
    ├── PipelineError
    │   ├── PipelineValidationError (ValueError)   .violations, from a 422 too
    │   ├── NodeDefinitionError (TypeError)        a bad @node function
    │   ├── UnknownNodeTypeError (KeyError)        registry lookup miss
    │   └── MediaError (ValueError)                undecodable or unsupported media
    ├── ExecutionError
    │   ├── ExecutionFailed                        .execution, .failed_node_id, .error
    │   ├── ExecutionCancelled                     .execution
    │   ├── NodeExecutionError                     raised inside a node run, names the node
    │   ├── NodeTimeoutError (TimeoutError)
    │   └── MissingDependencyError (ImportError)   optional package or system tool absent
    ├── APIError                                   .status_code, .body, .request_id
    │   ├── BadRequestError (ValueError)           400
    │   ├── AuthenticationError                    401
    │   ├── InsufficientCreditsError               402  .required, .available, .breakdown
    │   ├── PermissionDeniedError                  403
    │   ├── NotFoundError (LookupError)            404
    │   ├── ConflictError                          409
    │   ├── PayloadTooLargeError                   413
    │   ├── RateLimitError                         429  .retry_after
    │   └── ServerError                            5xx
    ├── APIConnectionError                         the service could not be reached
    ├── PollTimeout (TimeoutError)                 wait() ran past its deadline
    └── ClientClosedError (RuntimeError)           a client used after close()

A 422 from the service is raised as :class:`PipelineValidationError`, so local and remote
validation failures are caught the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeflow_nb.models.execution import Execution
    from pipeflow_nb.models.workflow import Violation

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ExecutionCancelled",
    "ExecutionError",
    "ExecutionFailed",
    "InsufficientCreditsError",
    "MediaError",
    "MissingDependencyError",
    "NodeDefinitionError",
    "NodeExecutionError",
    "NodeTimeoutError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PipeflowError",
    "PipelineError",
    "PipelineValidationError",
    "PollTimeout",
    "RateLimitError",
    "ServerError",
    "UnknownNodeTypeError",
]


class PipeflowError(Exception):
    """Base class of every error pipeflow-nb raises on purpose."""


# --- building pipelines -------------------------------------------------------------------


class PipelineError(PipeflowError):
    """A pipeline, node type or value is wrong before anything runs."""


class PipelineValidationError(PipelineError, ValueError):
    """One or more graph rules are broken; ``violations`` lists every one of them.

    >>> err.violations[0].rule
    'cycle'
    """

    def __init__(self, violations: Sequence[Violation], *, status_code: int | None = None):
        self.violations: list[Violation] = list(violations)
        self.status_code = status_code
        super().__init__(self._format())

    def _format(self) -> str:
        count = len(self.violations)
        head = f"pipeline is invalid ({count} violation{'s' if count != 1 else ''}):"
        return "\n".join([head, *(f"  - {v.describe()}" for v in self.violations)])

    @property
    def rules(self) -> list[str]:
        """The rule name of each violation, in order."""
        return [v.rule for v in self.violations]


class NodeDefinitionError(PipelineError, TypeError):
    """A function cannot become a node type (missing annotation, unsupported type, ...)."""


class UnknownNodeTypeError(PipelineError, KeyError):
    """No node type of that name is registered."""

    def __init__(self, node_type: str, suggestions: Iterable[str] = ()):
        self.node_type = node_type
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown node type {node_type!r}{hint}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class MediaError(PipelineError, ValueError):
    """Media bytes could not be decoded, or a value cannot become the requested media kind."""


# --- running pipelines --------------------------------------------------------------------


class ExecutionError(PipeflowError):
    """Something went wrong while a pipeline ran."""


class ExecutionFailed(ExecutionError):
    """An execution ended ``FAILED``; the execution, failing node and message are attached."""

    def __init__(self, execution: Execution):
        self.execution = execution
        self.failed_node_id: str | None = execution.failed_node_id
        self.error: str | None = execution.error
        node = f" at node {self.failed_node_id!r}" if self.failed_node_id else ""
        super().__init__(f"execution {execution.id} failed{node}: {self.error or 'unknown error'}")


class ExecutionCancelled(ExecutionError):
    """An execution was cancelled before it finished."""

    def __init__(self, execution: Execution):
        self.execution = execution
        super().__init__(f"execution {execution.id} was cancelled")


class NodeExecutionError(ExecutionError):
    """A node raised while running; ``node_id`` names it."""

    def __init__(self, node_id: str, message: str):
        self.node_id = node_id
        self.message = message
        super().__init__(f"node {node_id!r}: {message}")


class NodeTimeoutError(ExecutionError, TimeoutError):
    """A node ran longer than its timeout."""

    def __init__(self, node_id: str, timeout_s: float):
        self.node_id = node_id
        self.timeout_s = timeout_s
        super().__init__(f"node {node_id!r} timed out after {timeout_s:g} s")


class MissingDependencyError(ExecutionError, ImportError):
    """An optional package or system tool a node needs is not installed; says how to get it."""

    def __init__(self, what: str, install_hint: str):
        self.what = what
        self.install_hint = install_hint
        super().__init__(f"{what} is not installed: {install_hint}")


# --- talking to a pipeline service --------------------------------------------------------


class APIError(PipeflowError):
    """The pipeline service answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        request_id: str | None = None,
    ):
        self.message = message
        self.status_code = status_code
        self.body = body
        self.request_id = request_id
        suffix = f" (request {request_id})" if request_id else ""
        super().__init__(f"{status_code}: {message}{suffix}")


class BadRequestError(APIError, ValueError):
    """400: the request was malformed or not allowed in the workflow's state."""


class AuthenticationError(APIError):
    """401: the API key is missing, malformed, unknown or expired."""


class InsufficientCreditsError(APIError):
    """402: the run needs more credits than the key has; ``breakdown`` says where they go."""

    def __init__(
        self,
        message: str,
        *,
        required: int,
        available: int,
        breakdown: Sequence[Mapping[str, Any]] = (),
        status_code: int = 402,
        body: Any = None,
        request_id: str | None = None,
    ):
        self.required = required
        self.available = available
        self.breakdown = [dict(b) for b in breakdown]
        super().__init__(
            self._table(message), status_code=status_code, body=body, request_id=request_id
        )

    def _table(self, message: str) -> str:
        if not self.breakdown:
            return message
        rows = [
            (str(b.get("nodeId", "")), str(b.get("nodeLabel", "")), str(b.get("credits", 0)))
            for b in self.breakdown
        ]
        widths = [max(len(r[i]) for r in [("node", "label", "credits"), *rows]) for i in range(3)]
        lines = [message, ""]
        for row in [("node", "label", "credits"), *rows]:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        return "\n".join(line.rstrip() for line in lines)


class PermissionDeniedError(APIError):
    """403: the key lacks the scope the endpoint needs."""


class NotFoundError(APIError, LookupError):
    """404: no such workflow, execution, webhook or file."""


class ConflictError(APIError):
    """409: an Idempotency-Key was reused with a different request body."""


class PayloadTooLargeError(APIError):
    """413: the request body is over the service's limit."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` is the number of seconds to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(APIError):
    """5xx: the service failed."""


class APIConnectionError(PipeflowError):
    """The service could not be reached (refused, DNS, TLS, or a timeout on the wire)."""


class PollTimeout(PipeflowError, TimeoutError):
    """``wait()`` gave up; names the execution and the last status it saw."""

    def __init__(self, execution_id: str, last_status: str | None, timeout_s: float):
        self.execution_id = execution_id
        self.last_status = last_status
        self.timeout_s = timeout_s
        super().__init__(
            f"execution {execution_id} still {last_status or 'unknown'} after {timeout_s:g} s"
        )


class ClientClosedError(PipeflowError, RuntimeError):
    """A client was used after ``close()``."""
