"""Running a pipeline to completion from sync code, with and without a running loop."""

from __future__ import annotations

import threading

from pipeflow_nb import NodeRegistry, Pipeline
from pipeflow_nb.nodes.builtin import builtin_definitions
from pipeflow_nb.nodes.registry import node
from pipeflow_nb.running import run_pipeline


def pipeline(threads: list[str]) -> Pipeline:
    registry = NodeRegistry(builtin_definitions())

    @node(registry=registry, category="text")
    async def where(text: str) -> str:
        threads.append(threading.current_thread().name)
        if text == "fail":
            raise ValueError("asked to fail")
        return text

    p = Pipeline("where", registry=registry)
    p.add(where, id="where", text=p.add("input:text", id="brief", text="hi"))
    return p


def test_without_a_loop_it_runs_here() -> None:
    threads: list[str] = []
    execution = run_pipeline(pipeline(threads))
    assert execution.outputs["where"]["text"] == "hi"
    assert threads == [threading.current_thread().name]


async def test_inside_a_running_loop_it_gets_its_own_loop_and_thread() -> None:
    threads: list[str] = []
    p = pipeline(threads)
    execution = run_pipeline(p, "where")
    assert execution.outputs["where"]["text"] == "hi"
    assert threads == ["pipeflow-run-where"]  # never re-enters the caller's loop


async def test_failures_come_back_as_executions() -> None:
    p = pipeline([])
    p.set_params("brief", text="fail")
    execution = run_pipeline(p)
    assert execution.status.value == "FAILED"
    assert execution.failed_node_id == "where"
    assert "asked to fail" in (execution.error or "")
