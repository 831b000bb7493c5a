"""Engine benchmarks: the engine against pure-Python baselines, Hamilton and Dask.

Run with ``python benchmarks/engine.py`` (``--quick`` for fewer rounds). The machine this
runs on is shared and its speed drifts, so contenders run interleaved (A B A B ...) in
one process and the table reports the median of per-round ratios to the baseline, next
to median times. Workloads:

- W1 overhead: a random DAG of 100 no-op nodes and ~500 edges (fixed seed), one run;
- W2 batch: a 5-node chain over 1,000 inputs, ~50 µs of CPU per node (events included);
- W3 I/O concurrency: 50 independent nodes each awaiting 50 ms, then a join;
- W4 fan-out: 1 → 200 → 1 trivial nodes;
- W5 scale-out: a batch of GIL-holding runs on 2 Dask worker processes vs the local engine;
- memory: peak RSS of a W2 process, engine vs Hamilton (each in a fresh process).
"""

from __future__ import annotations

import argparse
import asyncio
import graphlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HAMILTON_TELEMETRY_ENABLED", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine import Engine
from pipeflow_nb.nodes.registry import NodeRegistry, define_node
from pipeflow_nb.pipeline import Pipeline

SEED = 7
Row = dict[str, Any]


# --- measuring ---------------------------------------------------------------------------
def interleaved(contenders: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Run every contender once per round, in turn; returns each one's times."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():
        fn()  # warm up: imports, compiled graphs, thread pools
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def summarise(
    workload: str, times: dict[str, list[float]], baseline: str, units: int, unit: str
) -> list[Row]:
    rows = []
    for name, ts in times.items():
        ratios = [t / b for t, b in zip(ts, times[baseline], strict=True)]
        rows.append(
            {
                "workload": workload,
                "contender": name,
                "median_ms": statistics.median(ts) * 1000,
                "per_unit_us": statistics.median(ts) * 1e6 / units,
                "unit": unit,
                "ratio": statistics.median(ratios),
                "baseline": baseline,
            }
        )
    return rows


def print_table(rows: list[Row]) -> None:
    header = f"{'workload':<10} {'contender':<28} {'median':>10} {'per unit':>14} {'ratio':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        per = f"{r['per_unit_us']:.1f} µs/{r['unit']}"
        ratio = "1.00" if r["contender"] == r["baseline"] else f"{r['ratio']:.2f}"
        print(
            f"{r['workload']:<10} {r['contender']:<28} {r['median_ms']:>8.2f}ms "
            f"{per:>14} {ratio:>7}x"
        )


# --- shared node types -------------------------------------------------------------------
def cpu_work(x: int, loops: int) -> int:
    """Pure-Python, GIL-holding work."""
    acc = x
    for i in range(loops):
        acc = (acc * 31 + i) % 1_000_003
    return acc


def calibrate(target_s: float) -> int:
    loops = 1000
    while True:
        t0 = time.perf_counter()
        for _ in range(20):
            cpu_work(1, loops)
        took = (time.perf_counter() - t0) / 20
        if took > target_s / 4:
            return max(1, round(loops * target_s / took))
        loops *= 2


def noop_root() -> int:
    return 1


def noop(xs: list[int]) -> int:
    return 1


def make_registry(loops: int) -> NodeRegistry:
    def step(x: int) -> int:
        return cpu_work(x, loops)

    def seed(*, value: int = 0) -> int:
        return value

    async def wait_io(x: int) -> int:
        await asyncio.sleep(0.05)
        return x

    def join(xs: list[int]) -> int:
        return len(xs)

    def heavy(*, value: int = 0, loops: int = 1) -> int:
        return cpu_work(value, loops)

    return NodeRegistry(
        [
            define_node(noop_root, node_type="b:root", version="1"),
            define_node(noop, node_type="b:noop", version="1"),
            define_node(step, node_type="b:step", version="1"),
            define_node(seed, node_type="b:seed", primary_param="value", version="1"),
            define_node(wait_io, node_type="b:wait", version="1"),
            define_node(join, node_type="b:join", version="1"),
            define_node(heavy, node_type="b:heavy", primary_param="value", version="1"),
        ]
    )


def random_dag(n: int = 100, edges: int = 500) -> dict[int, list[int]]:
    rng = random.Random(SEED)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < edges:
        a, b = sorted(rng.sample(range(n), 2))
        pairs.add((a, b))
    parents: dict[int, list[int]] = {i: [] for i in range(n)}
    for a, b in sorted(pairs):
        parents[b].append(a)
    return parents


# --- peers -------------------------------------------------------------------------------
def hamilton_driver(source: str, name: str, *, asynchronous: bool = False) -> Any:
    from hamilton import ad_hoc_utils, base, driver

    namespace: dict[str, Any] = {"cpu_work": cpu_work, "asyncio": asyncio}
    exec(source, namespace)
    functions = [v for k, v in namespace.items() if k.startswith("n_") and callable(v)]
    for f in functions:
        f.__module__ = name
    module = ad_hoc_utils.create_temporary_module(*functions, module_name=name)
    if asynchronous:
        from hamilton import async_driver

        return async_driver.AsyncDriver({}, module, result_builder=base.DictResult())
    return driver.Driver({}, module, adapter=base.SimplePythonGraphAdapter(base.DictResult()))


def graphlib_run(parents: dict[str, list[str]], funcs: dict[str, Callable[..., Any]]) -> Any:
    values: dict[str, Any] = {}
    for node in graphlib.TopologicalSorter(parents).static_order():
        values[node] = funcs[node](*(values[p] for p in parents[node]))
    return values


# --- workloads ---------------------------------------------------------------------------
def w1(loop: asyncio.AbstractEventLoop, rounds: int, store: ArtifactStore) -> list[Row]:
    import dask
    import dask.threaded

    dag = random_dag()
    registry = make_registry(1)
    p = Pipeline("w1", registry=registry)
    for i, ps in dag.items():
        if ps:
            p.add("b:noop", id=f"n_{i}", xs=[p[f"n_{j}"] for j in ps])
        else:
            p.add("b:root", id=f"n_{i}")
    workflow = p.to_workflow()
    engine = Engine(registry, artifacts=store, cache=False)
    cached_engine = Engine(registry, artifacts=store)
    events: list[Any] = []

    def run_engine() -> None:
        events.clear()
        ex = loop.run_until_complete(engine.execute(workflow, observers=[events.append]))
        assert ex.status == "COMPLETED", ex.error

    def run_engine_cache() -> None:
        ex = loop.run_until_complete(cached_engine.execute(workflow, force=True))
        assert ex.status == "COMPLETED", ex.error

    names = {i: f"n_{i}" for i in dag}
    parents = {names[i]: [names[j] for j in ps] for i, ps in dag.items()}

    def fn_for(has_parents: bool) -> Callable[..., int]:
        return (lambda *xs: noop(list(xs))) if has_parents else noop_root

    funcs = {names[i]: fn_for(bool(ps)) for i, ps in dag.items()}
    source = "\n".join(
        f"def n_{i}({', '.join(f'n_{j}: int' for j in ps)}) -> int:\n    return 1"
        for i, ps in dag.items()
    )
    ham = hamilton_driver(source, "w1_module")
    all_nodes = list(names.values())
    dask_graph = {names[i]: (fn_for(bool(ps)), *[names[j] for j in ps]) for i, ps in dag.items()}
    times = interleaved(
        {
            "graphlib loop": lambda: graphlib_run(parents, funcs),
            "engine": run_engine,
            "engine (cache, force)": run_engine_cache,
            "hamilton": lambda: ham.execute(all_nodes),
            "dask threaded": lambda: dask.threaded.get(dask_graph, all_nodes),
        },
        rounds,
    )
    engine.close()
    cached_engine.close()
    rows = summarise("W1", times, "graphlib loop", 100, "node")
    for r in rows:  # engine overhead per node is its whole time: the nodes do nothing
        r["events"] = len(events)
    return rows


def w2_parts(loops: int, store: ArtifactStore, n: int = 1000) -> dict[str, Callable[[], Any]]:
    registry = make_registry(loops)
    p = Pipeline("w2", registry=registry)
    prev = p.add("b:seed", id="seed")
    for i in range(5):
        prev = p.add("b:step", id=f"s{i}", x=prev)
    workflow = p.to_workflow()
    engine = Engine(registry, artifacts=store, cache=False)
    loop = asyncio.new_event_loop()
    values = list(range(n))
    events = [0]

    def count(_event: Any) -> None:
        events[0] += 1

    def run_engine() -> None:
        batch = loop.run_until_complete(
            engine.execute_batch(
                workflow,
                [{"nodeId": "seed", "values": values}],
                max_parallel=4,
                observers=[count],
            )
        )
        assert batch.status_counts == {"COMPLETED": n}, batch.status_counts

    def run_plain() -> None:
        for v in values:
            x = v
            for _ in range(5):
                x = cpu_work(x, loops)

    source = "\n".join(
        [
            "def n_0(seed: int) -> int:\n    return cpu_work(seed, LOOPS)",
            *(
                f"def n_{i}(n_{i - 1}: int) -> int:\n    return cpu_work(n_{i - 1}, LOOPS)"
                for i in range(1, 5)
            ),
        ]
    ).replace("LOOPS", str(loops))

    hamilton_parts: dict[str, Any] = {}

    def run_hamilton() -> None:
        if "driver" not in hamilton_parts:
            hamilton_parts["driver"] = hamilton_driver(source, "w2_module")
        ham = hamilton_parts["driver"]
        for v in values:
            ham.execute(["n_4"], inputs={"seed": v})

    def run_dask() -> None:
        import dask.threaded

        graph: dict[Any, Any] = {}
        for v in values:
            graph[("s", v, -1)] = v
            for i in range(5):
                graph[("s", v, i)] = (cpu_work, ("s", v, i - 1), loops)
        dask.threaded.get(graph, [("s", v, 4) for v in values])

    return {
        "plain calls": run_plain,
        "engine batch": run_engine,
        "hamilton": run_hamilton,
        "dask threaded": run_dask,
    }


def w2(rounds: int, store: ArtifactStore, loops: int) -> list[Row]:
    parts = w2_parts(loops, store)
    return summarise("W2", interleaved(parts, rounds), "plain calls", 5000, "node")


def w3(loop: asyncio.AbstractEventLoop, rounds: int, store: ArtifactStore) -> list[Row]:
    registry = make_registry(1)
    p = Pipeline("w3", registry=registry)
    src = p.add("b:seed", id="src")
    waits = [p.add("b:wait", id=f"w{i}", x=src) for i in range(50)]
    p.add("b:join", id="join", xs=waits)
    workflow = p.to_workflow()
    engine = Engine(registry, artifacts=store, cache=False, max_concurrency=64)

    def run_engine() -> None:
        ex = loop.run_until_complete(engine.execute(workflow))
        assert ex.status == "COMPLETED", ex.error

    async def gathered() -> int:
        async def one(x: int) -> int:
            await asyncio.sleep(0.05)
            return x

        return len(await asyncio.gather(*(one(i) for i in range(50))))

    source = "\n".join(
        [
            *(
                f"async def n_{i}() -> int:\n    await asyncio.sleep(0.05)\n    return {i}"
                for i in range(50)
            ),
            f"def n_join({', '.join(f'n_{i}: int' for i in range(50))}) -> int:\n    return 50",
        ]
    )
    ham = hamilton_driver(source, "w3_module", asynchronous=True)

    def ideal() -> None:
        loop.run_until_complete(asyncio.sleep(0.05))

    times = interleaved(
        {
            "ideal 50 ms sleep": ideal,
            "asyncio.gather": lambda: loop.run_until_complete(gathered()),
            "engine": run_engine,
            "hamilton async": lambda: loop.run_until_complete(ham.execute(["n_join"])),
        },
        rounds,
    )
    engine.close()
    return summarise("W3", times, "ideal 50 ms sleep", 50, "node")


def w4(loop: asyncio.AbstractEventLoop, rounds: int, store: ArtifactStore) -> list[Row]:
    import dask.threaded

    registry = make_registry(1)
    p = Pipeline("w4", registry=registry)
    src = p.add("b:root", id="n_src")
    mids = [p.add("b:noop", id=f"n_{i}", xs=[src]) for i in range(200)]
    p.add("b:noop", id="n_sink", xs=mids)
    workflow = p.to_workflow()
    engine = Engine(registry, artifacts=store, cache=False)

    def run_engine() -> None:
        ex = loop.run_until_complete(engine.execute(workflow))
        assert ex.status == "COMPLETED", ex.error

    parents = {"n_src": [], **{f"n_{i}": ["n_src"] for i in range(200)}}
    parents["n_sink"] = [f"n_{i}" for i in range(200)]
    funcs: dict[str, Callable[..., Any]] = {n: (lambda *xs: 1) for n in parents}
    source = "\n".join(
        [
            "def n_src() -> int:\n    return 1",
            *(f"def n_{i}(n_src: int) -> int:\n    return 1" for i in range(200)),
            f"def n_sink({', '.join(f'n_{i}: int' for i in range(200))}) -> int:\n    return 1",
        ]
    )
    ham = hamilton_driver(source, "w4_module")
    graph = {n: (funcs[n], *ps) for n, ps in parents.items()}
    times = interleaved(
        {
            "graphlib loop": lambda: graphlib_run(parents, funcs),
            "engine": run_engine,
            "hamilton": lambda: ham.execute(["n_sink"]),
            "dask threaded": lambda: dask.threaded.get(graph, "n_sink"),
        },
        rounds,
    )
    engine.close()
    return summarise("W4", times, "graphlib loop", 202, "node")


def w5(rounds: int, store: ArtifactStore, loops_per_run: int, runs: int = 16) -> list[Row]:
    import cloudpickle
    import distributed

    from pipeflow_nb.engine.dask import DaskRunner

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    registry = make_registry(1)
    p = Pipeline("w5", registry=registry)
    p.add("b:heavy", id="heavy", loops=loops_per_run)
    workflow = p.to_workflow()
    configs = [{"nodeId": "heavy", "values": list(range(runs))}]
    loop = asyncio.new_event_loop()
    local = Engine(registry, artifacts=store, cache=False)
    remote_engine = Engine(registry, artifacts=store, cache=False)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster, set_as_default=False)
    runner = DaskRunner(remote_engine, client)

    def run_local() -> None:
        batch = loop.run_until_complete(local.execute_batch(workflow, configs))
        assert batch.status_counts == {"COMPLETED": runs}

    def run_dask() -> None:
        batch = loop.run_until_complete(runner.execute_batch(workflow, configs))
        assert batch.status_counts == {"COMPLETED": runs}

    import multiprocessing

    pool = multiprocessing.get_context("spawn").Pool(2)

    def run_pool() -> None:
        # What two processes give on this machine right now: the ceiling for any scale-out.
        pool.starmap(cpu_work, [(v, loops_per_run) for v in range(runs)])

    try:
        times = interleaved(
            {
                "local engine": run_local,
                "engine on dask (2 procs)": run_dask,
                "multiprocessing.Pool(2)": run_pool,
            },
            rounds,
        )
    finally:
        pool.close()
        client.close()
        cluster.close()
        local.close()
    return summarise("W5", times, "local engine", runs, "run")


_RSS_CHILD = textwrap.dedent(
    """
    import json, resource, sys, tempfile
    sys.path.insert(0, sys.argv[1])
    sys.argv = sys.argv[:1]
    import engine as bench
    from pipeflow_nb.artifacts import ArtifactStore
    which, loops = WHICH, LOOPS
    parts = bench.w2_parts(loops, ArtifactStore(tempfile.mkdtemp()))
    parts[which]()
    print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
    """
)


def peak_rss(which: str, loops: int) -> int:
    code = _RSS_CHILD.replace("WHICH", repr(which)).replace("LOOPS", str(loops))
    here = str(Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-c", code, here], capture_output=True, text=True, check=True
    )
    return int(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W4")
    args = parser.parse_args()
    only = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    want = lambda w: not only or w in only  # noqa: E731
    rounds = 5 if args.quick else 15
    store = ArtifactStore(tempfile.mkdtemp(prefix="pipeflow-bench-"))
    loop = asyncio.new_event_loop()
    loops50 = calibrate(50e-6)
    rows: list[Row] = []
    if want("W1"):
        rows += w1(loop, rounds * 4, store)
    if want("W2"):
        rows += w2(max(3, rounds // 3), store, loops50)
    if want("W3"):
        rows += w3(loop, rounds, store)
    if want("W4"):
        rows += w4(loop, rounds * 2, store)
    if want("W5"):
        rows += w5(max(3, rounds // 3), store, calibrate(0.1))
    print(f"\ncpu work per W2 node: {loops50} loop iterations (~50 µs)\n")
    print_table(rows)
    if want("MEM"):
        engine_rss = peak_rss("engine batch", loops50)
        hamilton_rss = peak_rss("hamilton", loops50)
        print(
            f"\nW2 peak RSS: engine {engine_rss / 1024:.0f} MiB, hamilton "
            f"{hamilton_rss / 1024:.0f} MiB, ratio {engine_rss / hamilton_rss:.2f}x"
        )


if __name__ == "__main__":
    main()
