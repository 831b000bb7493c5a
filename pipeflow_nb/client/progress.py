"""A progress bar of completed nodes for ``wait(progress=True)`` (tqdm.auto when installed)."""

from __future__ import annotations

from typing import Any

__all__ = ["NodeProgressBar"]


class NodeProgressBar:
    """Shows ``completed / total`` nodes of one execution; silently absent without tqdm.

    In a notebook ``tqdm.auto`` draws a widget bar, in a terminal a text bar on stderr.
    """

    def __init__(self, execution_id: str):
        self.execution_id = execution_id
        self.completed = 0
        self.total = 0
        self.status = ""
        self._bar: Any = None
        self._unavailable = False

    def __repr__(self) -> str:
        return f"NodeProgressBar({self.execution_id!r}: {self.completed}/{self.total})"

    def _ensure(self) -> Any:
        if self._bar is None and not self._unavailable:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                self._unavailable = True
                return None
            self._bar = tqdm(total=self.total or None, desc=self.execution_id, unit="node")
        return self._bar

    def update(self, completed: int, total: int, status: str) -> None:
        """Move the bar to ``completed`` of ``total`` nodes, labelled with the status."""
        self.completed, self.total, self.status = completed, total, status
        bar = self._ensure()
        if bar is None:
            return
        if total and bar.total != total:
            bar.total = total
        bar.n = completed
        bar.set_postfix_str(status.lower(), refresh=False)
        bar.refresh()

    def close(self) -> None:
        """Finish the bar (idempotent)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
