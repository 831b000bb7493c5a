"""Lazy history paging and the table it displays as."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeflow_nb.client.history import AsyncExecutionHistory, ExecutionHistory, ExecutionTable, Page
from pipeflow_nb.models import Execution


def _exec(i: int, status: str = "COMPLETED") -> Execution:
    return Execution(
        id=f"exec_{i}",
        status=status,
        start_time=datetime(2026, 1, 2, 3, 4, i % 60, tzinfo=UTC),
        duration_ms=1500 if i % 2 else 20,
        credits_used=i,
        failed_node_id="img" if status == "FAILED" else None,
    )


class Pages:
    def __init__(self, total: int) -> None:
        self.items = [_exec(i) for i in range(total)]
        self.calls: list[tuple[str | None, int]] = []

    def __call__(self, cursor: str | None, size: int) -> Page:
        self.calls.append((cursor, size))
        start = int(cursor or 0)
        end = start + size
        return Page(self.items[start:end], str(end) if end < len(self.items) else None)


def test_iteration_fetches_pages_only_as_far_as_read() -> None:
    pages = Pages(250)
    history = ExecutionHistory(pages, workflow_id="wf")
    it = iter(history)
    first = [next(it) for _ in range(3)]
    assert [e.id for e in first] == ["exec_0", "exec_1", "exec_2"]
    assert len(pages.calls) == 1
    assert len(list(history)) == 250
    assert [c[0] for c in pages.calls[1:]] == [None, "100", "200"]


def test_limit_caps_the_items_and_the_page_size() -> None:
    pages = Pages(50)
    assert [e.id for e in ExecutionHistory(pages, workflow_id="wf", limit=3)] == [
        "exec_0",
        "exec_1",
        "exec_2",
    ]
    assert pages.calls == [(None, 3)]


def test_table_text_html_and_pandas() -> None:
    table = ExecutionHistory(Pages(2), workflow_id="wf").collect()
    assert repr(table).splitlines()[0].split() == [
        "id",
        "status",
        "started",
        "duration",
        "credits",
        "failing",
        "node",
    ]
    assert "exec_1  COMPLETED  2026-01-02 03:04:01  1.5 s" in repr(table)
    failed = ExecutionTable([_exec(7, "FAILED")])
    html = failed._repr_html_()
    assert "<td>img</td>" in html and "FAILED" in html
    frame = failed.to_pandas()
    assert list(frame["failed_node_id"]) == ["img"] and list(frame["credits"]) == [7]
    assert isinstance(table[0:1], ExecutionTable) and len(table) == 2


def test_display_is_capped() -> None:
    history = ExecutionHistory(Pages(150), workflow_id="wf")
    history.display_limit = 10
    table = history.collect()
    assert len(table) == 10 and "more executions not fetched" in repr(table)
    assert history._repr_html_().count("<tr>") == 11


async def test_async_history() -> None:
    pages = Pages(5)

    async def fetch(cursor: str | None, size: int) -> Page:
        return pages(cursor, size)

    history = AsyncExecutionHistory(fetch, workflow_id="wf", limit=4)
    assert [e.id async for e in history] == [f"exec_{i}" for i in range(4)]
    assert len(await history.collect()) == 4
    with pytest.raises(TypeError):
        iter(history)  # type: ignore[call-overload]
