"""Live graph under a burst: coalesced repaints versus one repaint per event.

A graph of 100 nodes and 500 edges receives the events of a batch (every run starts and
completes every node). The baseline repaints on every event (interval 0); the live
setting coalesces within 100 ms windows. Time is simulated (10,000 events a second, as a
batch of fast runs produces), so the count of repaints (comm messages) is exact; wall
time is measured for both in this run and printed as a ratio.

    python benchmarks/bench_live_graph.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pipeflow_nb.models.events import ExecutionEvent, NodeCompleted, NodeStarted
from pipeflow_nb.models.workflow import NodeData, WireEdge, WireNode, Workflow
from pipeflow_nb.widgets.graph import PipelineGraph

NODES, EDGES, RUNS = 100, 500, 50


def _workflow() -> Workflow:
    nodes = [WireNode(id=f"n{i}", data=NodeData(node_type="x:n")) for i in range(NODES)]
    pairs = [(i, j) for i in range(NODES) for j in range(i + 1, min(NODES, i + 8))][:EDGES]
    edges = [WireEdge(id=f"e{i}-{j}", source=f"n{i}", target=f"n{j}") for i, j in pairs]
    return Workflow(name="bench", nodes=nodes, edges=edges)


def _events() -> list[ExecutionEvent]:
    out: list[ExecutionEvent] = []
    for run in range(RUNS):
        eid = f"exec_{run}"
        for i in range(NODES):
            out.append(NodeStarted(execution_id=eid, node_id=f"n{i}"))
            out.append(NodeCompleted(execution_id=eid, node_id=f"n{i}", duration_ms=run))
    return out


def _drive(interval_s: float, events: list[ExecutionEvent]) -> tuple[int, float]:
    now = [0.0]
    pending: list[Callable[[], None]] = []
    graph = PipelineGraph(
        _workflow(),
        live=True,
        interval_s=interval_s,
        clock=lambda: now[0],
        schedule=lambda _delay, cb: pending.append(cb),
    )
    start = time.perf_counter()
    window_end = interval_s
    for event in events:
        now[0] += 0.0001
        graph.apply(event)
        if pending and now[0] >= window_end:  # the timer the live graph asked for fires
            pending.pop()()
            window_end = now[0] + interval_s
    graph.flush()
    return graph.updates, time.perf_counter() - start


def main() -> None:
    t0 = time.perf_counter()
    _workflow_graph = PipelineGraph(_workflow())
    build = time.perf_counter() - t0
    events = _events()
    base_updates, base_time = _drive(0.0, events)
    live_updates, live_time = _drive(0.1, events)
    print(f"graph of {NODES} nodes / {EDGES} edges built in {build:.2f} s")
    print(
        f"{len(events)} events: baseline {base_updates} repaints in {base_time:.2f} s, "
        f"coalesced {live_updates} repaints in {live_time:.2f} s"
    )
    print(f"repaint ratio coalesced/baseline: {live_updates / base_updates:.4f}")
    print(f"time ratio coalesced/baseline: {live_time / base_time:.3f}")


if __name__ == "__main__":
    main()
