"""Reference server throughput and latency, against a bare FastAPI "hello" app in the same run.

Both run as uvicorn processes on loopback; the load comes from this process. Prints:

- median latency of ``/poll`` and of the hello route (sequential), and their ratio (target ≤ 3×);
- requests/s for ``/poll`` with concurrent clients;
- end-to-end latency of a 3-node no-op pipeline (execute → poll → COMPLETED);
- sustained executions/s with 50 concurrent clients.

Run: ``.venv/bin/python benchmarks/server.py [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HELLO_APP = """
import sys, uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/hello")
async def hello():
    return {"hello": "world"}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""

PIPELINE = {
    "name": "three no-ops",
    "nodes": [
        {"id": "brief", "data": {"nodeType": "input:text", "params": {"text": "x"}}},
        {"id": "a", "data": {"nodeType": "text:template", "params": {"template": "{text}"}}},
        {"id": "b", "data": {"nodeType": "text:template", "params": {"template": "{text}"}}},
    ],
    "edges": [
        {
            "id": "e1",
            "source": "brief",
            "target": "a",
            "sourceHandle": "out-text",
            "targetHandle": "in-text",
        },
        {
            "id": "e2",
            "source": "a",
            "target": "b",
            "sourceHandle": "out-text",
            "targetHandle": "in-text",
        },
    ],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError(f"process exited with {proc.returncode}") from None
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def _start(args: list[str], url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_up(url, proc)
    return proc


def _bench_key(home: Path) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeflow_nb.cli",
            "keys",
            "create",
            "--home",
            str(home),
            "--name",
            "bench",
            "--credits",
            "1000000000",
            "--requests-per-min",
            "1000000000",
            "--executions-per-min",
            "1000000000",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def _sequential_ms(client: httpx.Client, url: str, count: int) -> float:
    for _ in range(20):
        client.get(url)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    return statistics.median(samples)


async def _rate(base: str, headers: dict[str, str], path: str, total: int, workers: int) -> float:
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        remaining = total

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                response = await client.get(path)
                assert response.status_code == 200, response.text

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        return total / (time.perf_counter() - start)


async def _run_to_end(client: httpx.AsyncClient, wf_id: str, text: str) -> float:
    start = time.perf_counter()
    response = await client.post(f"/workflows/{wf_id}/execute", json={"inputs": {"brief": text}})
    assert response.status_code == 201, response.text
    eid = response.json()["executionRuns"][0]["id"]
    while True:
        body = (await client.get(f"/workflows/executions/{eid}/poll")).json()
        if body["status"] == "COMPLETED":
            return time.perf_counter() - start
        assert body["status"] in ("QUEUED", "RUNNING"), body
        await asyncio.sleep(0.005)


async def _end_to_end(base: str, headers: dict[str, str], wf_id: str, count: int) -> float:
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        samples = [await _run_to_end(client, wf_id, f"seq {i}") for i in range(count)]
    return statistics.median(samples) * 1000


async def _sustained(
    base: str, headers: dict[str, str], wf_id: str, clients: int, per_client: int
) -> float:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60.0
    ) as client:

        async def one(c: int) -> None:
            for i in range(per_client):
                await _run_to_end(client, wf_id, f"client {c} run {i}")

        start = time.perf_counter()
        await asyncio.gather(*(one(c) for c in range(clients)))
        return clients * per_client / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    parser.add_argument("--workers", type=int, default=4, help="server execution workers")
    args = parser.parse_args(argv)
    scale = 1 if args.quick else 4
    home = Path(tempfile.mkdtemp(prefix="pipeflow-bench-"))
    server_port, hello_port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{server_port}/api/v1"
    procs = []
    try:
        procs.append(
            _start(
                [
                    sys.executable,
                    "-m",
                    "pipeflow_nb.cli",
                    "serve",
                    "--home",
                    str(home),
                    "--port",
                    str(server_port),
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    "warning",
                ],
                f"{base}/openapi.json",
            )
        )
        procs.append(
            _start(
                [sys.executable, "-c", HELLO_APP, str(hello_port)],
                f"http://127.0.0.1:{hello_port}/hello",
            )
        )
        headers = {"Authorization": f"Bearer {_bench_key(home)}"}
        with httpx.Client(base_url=base, headers=headers) as client:
            wf_id = client.post("/workflows", json=PIPELINE).json()["id"]
            first = client.post(f"/workflows/{wf_id}/execute").json()["executionRuns"][0]["id"]
        poll_path = f"/workflows/executions/{first}/poll"
        asyncio.run(_end_to_end(base, headers, wf_id, 3))  # warm up the runner
        results: list[tuple[str, str]] = []
        with httpx.Client(base_url=base, headers=headers) as client:
            poll_ms = _sequential_ms(client, poll_path, 250 * scale)
        with httpx.Client() as client:
            hello_ms = _sequential_ms(client, f"http://127.0.0.1:{hello_port}/hello", 250 * scale)
        results.append(("hello route latency (median)", f"{hello_ms:.2f} ms"))
        results.append(("/poll latency (median)", f"{poll_ms:.2f} ms"))
        ratio = poll_ms / hello_ms
        results.append(("/poll ÷ hello", f"{ratio:.2f}× (target ≤ 3×)"))
        poll_rps = asyncio.run(_rate(base, headers, poll_path, 1000 * scale, 8))
        hello_rps = asyncio.run(
            _rate(f"http://127.0.0.1:{hello_port}", {}, "/hello", 1000 * scale, 8)
        )
        results.append(("/poll requests/s (8 concurrent)", f"{poll_rps:.0f}"))
        results.append(("hello requests/s (8 concurrent)", f"{hello_rps:.0f}"))
        e2e = asyncio.run(_end_to_end(base, headers, wf_id, 10 * scale))
        results.append(("3-node no-op execute → COMPLETED (median)", f"{e2e:.1f} ms"))
        rate = asyncio.run(_sustained(base, headers, wf_id, 50, 2 * scale))
        results.append(("sustained executions/s (50 clients)", f"{rate:.1f}"))
        width = max(len(name) for name, _ in results)
        print(f"pipeflow reference server on loopback ({os.cpu_count()} CPUs)")
        for name, value in results:
            print(f"  {name.ljust(width)}  {value}")
        return 0 if ratio <= 3.0 else 1
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    sys.exit(main())
