"""What a running node may ask of the engine: progress reports, trigger data, storage."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeflow_nb.artifacts import ArtifactStore

__all__ = ["NodeContext"]


def _ignore_progress(value: float, maximum: float, message: str | None) -> None:
    return None


@dataclass
class NodeContext:
    """Handed to a node function that declares a parameter annotated ``NodeContext``.

    >>> @node
    ... def slow(text: str, *, ctx: NodeContext) -> str:
    ...     for i in range(10):
    ...         ctx.progress(i + 1, 10)
    ...     return text
    """

    node_id: str
    """The node being run."""
    execution_id: str = ""
    """The execution it belongs to."""
    node_type: str = ""
    """Its node type."""
    trigger_data: dict[str, Any] = field(default_factory=dict)
    """The body of the webhook (or ``triggerData``) that started the run."""
    artifacts: ArtifactStore | None = None
    """The artifact store, for nodes that keep large intermediate files."""
    cancel_event: threading.Event = field(default_factory=threading.Event)
    """Set when the execution is cancelled; long sync loops should check :attr:`cancelled`."""
    report: Callable[[float, float, str | None], None] = _ignore_progress
    """Where progress goes (the engine turns it into ``node_progress`` events)."""

    def progress(self, value: float, maximum: float = 1.0, message: str | None = None) -> None:
        """Report that ``value`` of ``maximum`` units of work are done."""
        self.report(float(value), float(maximum), message)

    @property
    def cancelled(self) -> bool:
        """Whether the execution has been cancelled."""
        return self.cancel_event.is_set()
