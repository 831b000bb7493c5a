"""Run a coroutine to completion from sync code: a plain script or a running Jupyter kernel.

When an event loop is already running in the calling thread, ``asyncio.run`` would
refuse. Inside a Jupyter kernel the coroutine then runs on a worker thread with its own
loop (the cell blocks until it is done); elsewhere nest-asyncio is applied to the running
loop (lazily, only then, never at import) so the coroutine runs to completion in place.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["run_blocking"]

T = TypeVar("T")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` and return its result, whether or not a loop runs in this thread."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    if _in_ipykernel():
        # ipykernel 7 runs its shell as a task on this loop: nest-asyncio would step that
        # task re-entrantly as soon as a message arrives during the run (a widget's comm
        # message, say), which breaks the kernel. A worker thread with its own loop
        # leaves the kernel's loop alone; observers then run on that thread.
        pool = ThreadPoolExecutor(1, thread_name_prefix="pipeflow-run")
        try:
            return pool.submit(asyncio.run, coro).result()
        finally:
            pool.shutdown(wait=False)
    import nest_asyncio

    if not getattr(loop, "_nest_patched", False):
        nest_asyncio.apply(loop)
    return loop.run_until_complete(coro)


def _in_ipykernel() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None
