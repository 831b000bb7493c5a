"""Run a coroutine to completion from sync code: a plain script or a running Jupyter kernel.

In a kernel an event loop is already running in the calling thread, so ``asyncio.run``
would refuse; there nest-asyncio is applied to that loop (lazily, only then, never at
import) so the coroutine can run to completion inside the cell.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_blocking"]

T = TypeVar("T")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` and return its result, whether or not a loop runs in this thread."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import nest_asyncio

    if not getattr(loop, "_nest_patched", False):
        nest_asyncio.apply(loop)
    return loop.run_until_complete(coro)
