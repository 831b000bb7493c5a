from __future__ import annotations

from collections.abc import Callable

from pipeflow_nb.widgets.coalesce import Coalescer


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeScheduler:
    def __init__(self) -> None:
        self.calls: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, delay: float, callback: Callable[[], None]) -> None:
        self.calls.append((delay, callback))

    def run_all(self) -> None:
        calls, self.calls = self.calls, []
        for _delay, callback in calls:
            callback()


def test_manual_mode_flushes_only_when_asked() -> None:
    batches: list[set[str]] = []
    c = Coalescer(batches.append)
    c.mark({"a"})
    c.mark({"b", "a"})
    assert batches == []
    assert c.pending == {"a", "b"}
    c.flush()
    assert batches == [{"a", "b"}]
    c.flush()  # nothing pending: no empty batch
    assert batches == [{"a", "b"}]


def test_urgent_mark_flushes_at_once_even_in_manual_mode() -> None:
    batches: list[set[str]] = []
    c = Coalescer(batches.append)
    c.mark({"a"})
    c.mark({"*run*"}, urgent=True)
    assert batches == [{"a", "*run*"}]


def test_live_mode_leading_flush_then_one_trailing_flush_per_window() -> None:
    clock, sched = FakeClock(), FakeScheduler()
    batches: list[set[str]] = []
    c = Coalescer(batches.append, interval_s=0.1, clock=clock, schedule=sched)
    c.mark({"a"})  # quiet before: goes out at once
    assert batches == [{"a"}]
    clock.now = 0.02
    for i in range(1000):  # a burst inside the window
        c.mark({f"n{i % 5}"})
    assert batches == [{"a"}]
    assert len(sched.calls) == 1  # one trailing flush scheduled, not a thousand
    assert abs(sched.calls[0][0] - 0.08) < 1e-9
    clock.now = 0.1
    sched.run_all()
    assert batches[1] == {"n0", "n1", "n2", "n3", "n4"}
    assert c.flushes == 2
    clock.now = 0.5  # quiet again: the next change goes out immediately
    c.mark({"z"})
    assert batches[2] == {"z"}


def test_burst_of_thousand_runs_costs_one_flush_per_window() -> None:
    clock, sched = FakeClock(), FakeScheduler()
    batches: list[set[str]] = []
    c = Coalescer(batches.append, interval_s=0.1, clock=clock, schedule=sched)
    for run in range(1000):
        clock.now = run * 0.001  # 1,000 runs within one second
        for node in ("a", "b", "c"):
            c.mark({node})
        if sched.calls and clock.now >= 0.1 * (len(batches)):
            sched.run_all()
    sched.run_all()
    assert c.flushes <= 12
    assert set().union(*batches) == {"a", "b", "c"}


def test_a_lost_trailing_flush_does_not_block_later_ones() -> None:
    # The loop that held the trailing flush ended with its run; the urgent last flush
    # must leave the coalescer free to schedule again.
    clock, sched = FakeClock(), FakeScheduler()
    batches: list[set[str]] = []
    c = Coalescer(batches.append, interval_s=0.1, clock=clock, schedule=sched)
    c.mark({"a"})
    clock.now = 0.01
    c.mark({"b"})
    assert len(sched.calls) == 1
    sched.calls.clear()  # that loop is gone
    c.mark({"*run*"}, urgent=True)
    clock.now = 0.02
    c.mark({"c"})  # within the window: needs a new trailing flush
    assert len(sched.calls) == 1
    clock.now = 0.12
    sched.run_all()
    assert batches[-1] == {"c"}
