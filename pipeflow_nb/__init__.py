"""pipeflow-nb: build, run, preview and publish multi-model AI pipelines from a notebook.

>>> import pipeflow_nb as pf
>>> p = pf.Pipeline("hello")
>>> name = p.add("input:text", text="Ada")
>>> greet = p.add("text:template", text=name, template="Hello, {text}!")

Importing the package is cheap and side-effect free: the server stack, the HTTP client
and the widgets load on first use of the names that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ExecutionCancelled,
    ExecutionFailed,
    InsufficientCreditsError,
    MediaError,
    MissingDependencyError,
    NodeDefinitionError,
    NotFoundError,
    PermissionDeniedError,
    PipeflowError,
    PipelineValidationError,
    PollTimeout,
    RateLimitError,
    UnknownNodeTypeError,
)
from pipeflow_nb.media import Audio, Image, Text, Video
from pipeflow_nb.models import (
    Execution,
    ExecutionStatus,
    NodeStatus,
    NodeTypeSpec,
    Port,
    PortType,
    Violation,
    Workflow,
)
from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.nodes.registry import Json, NodeRegistry, default_registry, node
from pipeflow_nb.pipeline import NodeHandle, Pipeline

__version__ = "0.1.0"

#: Names loaded on first access, so importing the package pulls in no heavy stack.
_LAZY: dict[str, str] = {
    "AsyncClient": "pipeflow_nb.client:AsyncClient",
    "Client": "pipeflow_nb.client:Client",
    "Engine": "pipeflow_nb.engine:Engine",
    "PollPolicy": "pipeflow_nb.client:PollPolicy",
    "RunHistory": "pipeflow_nb.history:RunHistory",
    "builder": "pipeflow_nb.building:builder",
    "execute": "pipeflow_nb.helpers:execute",
    "executions": "pipeflow_nb.helpers:executions",
    "poll": "pipeflow_nb.helpers:poll",
    "publish": "pipeflow_nb.helpers:publish",
    "trigger_webhook": "pipeflow_nb.helpers:trigger_webhook",
    "wait": "pipeflow_nb.helpers:wait",
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "ArtifactStore",
    "AsyncClient",
    "Audio",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "Engine",
    "Execution",
    "ExecutionCancelled",
    "ExecutionFailed",
    "ExecutionStatus",
    "Image",
    "InsufficientCreditsError",
    "Json",
    "MediaError",
    "MissingDependencyError",
    "NodeContext",
    "NodeDefinitionError",
    "NodeHandle",
    "NodeRegistry",
    "NodeStatus",
    "NodeTypeSpec",
    "NotFoundError",
    "PermissionDeniedError",
    "PipeflowError",
    "Pipeline",
    "PipelineValidationError",
    "PollPolicy",
    "PollTimeout",
    "Port",
    "PortType",
    "RateLimitError",
    "RunHistory",
    "Text",
    "UnknownNodeTypeError",
    "Video",
    "Violation",
    "Workflow",
    "__version__",
    "builder",
    "default_registry",
    "execute",
    "executions",
    "node",
    "poll",
    "publish",
    "trigger_webhook",
    "wait",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext pipeflow_nb``: the ``%%node`` cell magic (see :mod:`pipeflow_nb.magics`)."""
    from pipeflow_nb.magics import load_ipython_extension as load

    load(ipython)


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'pipeflow_nb' has no attribute {name!r}")
    module_name, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


if TYPE_CHECKING:  # pragma: no cover - names the lazy attributes for type checkers
    from pipeflow_nb.building import builder
    from pipeflow_nb.client import AsyncClient, Client, PollPolicy
    from pipeflow_nb.engine import Engine
    from pipeflow_nb.helpers import execute, executions, poll, publish, trigger_webhook, wait
    from pipeflow_nb.history import RunHistory
