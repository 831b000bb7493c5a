"""Run a pipeline to completion from sync code, also inside a Jupyter kernel's callbacks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from pipeflow_nb.models.execution import Execution

if TYPE_CHECKING:
    from pipeflow_nb.pipeline import Pipeline

__all__ = ["run_pipeline"]


def run_pipeline(pipeline: Pipeline, target: str | None = None, **options: Any) -> Execution:
    """``pipeline.run_async`` to completion, never failing on a failed run.

    Where an event loop already runs in this thread (a Jupyter kernel), the run gets its
    own loop in a worker thread while this one waits: re-entering the kernel's loop would
    let it handle front-end messages (widget syncs) in the middle of the cell, which
    breaks the kernel's own tasks.
    """

    def start() -> Coroutine[Any, Any, Execution]:
        return pipeline.run_async(target=target, raise_on_failure=False, **options)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(start())
    result: list[Execution] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(asyncio.run(start()))
        except BaseException as exc:  # handed back to the waiting thread
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"pipeflow-run-{pipeline.name}")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]
