"""Clients of the pipeline service (the Wireflow API, or the bundled reference server).

:class:`Client` and :class:`AsyncClient` have the same methods; results are the shared
pydantic models and every failure is an exception of :mod:`pipeflow_nb.errors`.
"""

from pipeflow_nb.client._polling import PollPolicy, RetryPolicy
from pipeflow_nb.client.async_ import AsyncClient
from pipeflow_nb.client.history import AsyncExecutionHistory, ExecutionHistory, ExecutionTable
from pipeflow_nb.client.results import CreditLine, Estimate, LintReport, Usage, WebhookInfo
from pipeflow_nb.client.sync import Client

__all__ = [
    "AsyncClient",
    "AsyncExecutionHistory",
    "Client",
    "CreditLine",
    "Estimate",
    "ExecutionHistory",
    "ExecutionTable",
    "LintReport",
    "PollPolicy",
    "RetryPolicy",
    "Usage",
    "WebhookInfo",
]
