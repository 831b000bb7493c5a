"""Execution history: lazy page-by-page iteration and a table that displays in a notebook.

>>> history = client.executions("wf_123", status="FAILED")
>>> for execution in history:      # fetches pages only as far as you read
...     print(execution.id)
>>> history.to_pandas()            # everything, as a DataFrame (pandas installed)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any, overload

from pipeflow_nb.models.execution import Execution

__all__ = ["AsyncExecutionHistory", "ExecutionHistory", "ExecutionTable", "Page"]

_COLUMNS = ("id", "status", "started", "duration", "credits", "failing node")
_STATUS_COLOURS = {
    "COMPLETED": "#1a7f37",
    "FAILED": "#cf222e",
    "CANCELLED": "#6e7781",
    "RUNNING": "#0969da",
    "QUEUED": "#9a6700",
}


@dataclass(frozen=True)
class Page:
    """One page of ``GET /workflows/{id}/executions``."""

    executions: list[Execution]
    next_cursor: str | None


def _started(execution: Execution) -> str:
    moment: datetime | None = execution.start_time
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _duration(execution: Execution) -> str:
    ms = execution.duration_ms
    if ms is None and execution.start_time and execution.end_time:
        ms = int((execution.end_time - execution.start_time).total_seconds() * 1000)
    if ms is None:
        return ""
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _row(execution: Execution) -> tuple[str, ...]:
    return (
        execution.id,
        execution.status.value,
        _started(execution),
        _duration(execution),
        str(execution.credits_used),
        execution.failed_node_id or "",
    )


class ExecutionTable(Sequence[Execution]):
    """A list of executions that displays as a table (status, start, duration, credits)."""

    def __init__(self, executions: Sequence[Execution], *, more: bool = False):
        self._items = list(executions)
        self._more = more

    @overload
    def __getitem__(self, index: int) -> Execution: ...
    @overload
    def __getitem__(self, index: slice) -> ExecutionTable: ...
    def __getitem__(self, index: int | slice) -> Execution | ExecutionTable:
        if isinstance(index, slice):
            return ExecutionTable(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        rows = [_COLUMNS, *(_row(e) for e in self._items)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        if self._more:
            lines.append("… more executions not fetched")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{escape(c)}</th>" for c in _COLUMNS)
        body = []
        for e in self._items:
            cells = list(_row(e))
            colour = _STATUS_COLOURS.get(cells[1], "inherit")
            cells_html = [f"<td><code>{escape(cells[0])}</code></td>"]
            cells_html.append(f'<td style="color:{colour}"><b>{escape(cells[1])}</b></td>')
            cells_html += [f"<td>{escape(c)}</td>" for c in cells[2:]]
            body.append(f"<tr>{''.join(cells_html)}</tr>")
        more = "<p>… more executions not fetched</p>" if self._more else ""
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per execution (the columns of :meth:`to_pandas`)."""
        return [
            {
                "id": e.id,
                "status": e.status.value,
                "start_time": e.start_time,
                "end_time": e.end_time,
                "duration_ms": e.duration_ms,
                "credits": e.credits_used,
                "failed_node_id": e.failed_node_id,
                "error": e.error,
            }
            for e in self._items
        ]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` of :meth:`records` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            from pipeflow_nb.errors import MissingDependencyError

            raise MissingDependencyError("pandas", "pip install pandas") from None
        return pd.DataFrame.from_records(
            self.records(),
            columns=[
                "id",
                "status",
                "start_time",
                "end_time",
                "duration_ms",
                "credits",
                "failed_node_id",
                "error",
            ],
        )


class _History:
    """What both history iterators hold: how to fetch a page, and which executions."""

    display_limit = 100

    def __init__(
        self,
        fetch: Callable[[str | None, int], Any],
        *,
        workflow_id: str,
        limit: int | None = None,
        status: str | None = None,
    ):
        self._fetch = fetch
        self.workflow_id = workflow_id
        self.limit = limit
        self.status = status

    def __repr__(self) -> str:
        status = f", status={self.status!r}" if self.status else ""
        return f"{type(self).__name__}({self.workflow_id!r}{status}, limit={self.limit})"


class ExecutionHistory(_History):
    """A workflow's executions, newest first, fetched one page at a time as you iterate.

    ``limit`` caps how many are yielded (``None``: all). Displaying it, :meth:`collect` and
    :meth:`to_pandas` fetch up to ``display_limit`` rows (``limit`` when set).
    """

    def __iter__(self) -> Iterator[Execution]:
        return self._iterate(self.limit)

    def _iterate(self, limit: int | None) -> Iterator[Execution]:
        cursor: str | None = None
        yielded = 0
        while limit is None or yielded < limit:
            page = self._fetch(cursor, _page_size(limit, yielded))
            for execution in page.executions:
                if limit is not None and yielded >= limit:
                    return
                yielded += 1
                yield execution
            cursor = page.next_cursor
            if not cursor or not page.executions:
                return

    def collect(self) -> ExecutionTable:
        """Fetch up to ``limit`` (or ``display_limit``) executions into a table."""
        cap = self.limit if self.limit is not None else self.display_limit
        items = list(self._iterate(cap + 1 if self.limit is None else cap))
        return ExecutionTable(items[:cap], more=len(items) > cap)

    def to_pandas(self) -> Any:
        """The collected executions as a ``pandas.DataFrame``."""
        return self.collect().to_pandas()

    def _repr_html_(self) -> str:
        return self.collect()._repr_html_()


class AsyncExecutionHistory(_History):
    """The async twin of :class:`ExecutionHistory`: ``async for`` and ``await collect()``."""

    def __aiter__(self) -> AsyncIterator[Execution]:
        return self._iterate(self.limit)

    async def _iterate(self, limit: int | None) -> AsyncIterator[Execution]:
        cursor: str | None = None
        yielded = 0
        while limit is None or yielded < limit:
            page: Page = await self._fetch(cursor, _page_size(limit, yielded))
            for execution in page.executions:
                if limit is not None and yielded >= limit:
                    return
                yielded += 1
                yield execution
            cursor = page.next_cursor
            if not cursor or not page.executions:
                return

    async def collect(self) -> ExecutionTable:
        """Fetch up to ``limit`` (or ``display_limit``) executions into a table."""
        cap = self.limit if self.limit is not None else self.display_limit
        items = [e async for e in self._iterate(cap + 1 if self.limit is None else cap)]
        return ExecutionTable(items[:cap], more=len(items) > cap)


def _page_size(limit: int | None, yielded: int) -> int:
    return 100 if limit is None else max(1, min(100, limit - yielded))
