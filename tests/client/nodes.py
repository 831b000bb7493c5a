"""Node types used by the client tests that run the real reference server."""

from __future__ import annotations

import asyncio

import numpy as np

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.registry import NodeRegistry, default_registry, define_node


def swatch(text: str, *, size: int = 6) -> Image:
    """A grey square whose shade depends on the text."""
    shade = sum(text.encode()) % 256
    return Image.from_array(np.full((size, size, 3), shade, dtype=np.uint8))


def shout(text: str) -> str:
    return text.upper() + "!"


def fail(text: str) -> str:
    raise ValueError(f"refusing {text!r}")


async def linger(text: str, *, seconds: float = 30.0) -> str:
    await asyncio.sleep(seconds)
    return text


def make_registry() -> NodeRegistry:
    """The built-in node types plus the test ones (``t:*``)."""
    registry = default_registry().copy()
    for func, node_type, credits in [
        (swatch, "t:swatch", 5),
        (shout, "t:shout", 0),
        (fail, "t:fail", 0),
        (linger, "t:linger", 0),
    ]:
        registry.register(define_node(func, node_type=node_type, credits=credits, version="1"))
    return registry
