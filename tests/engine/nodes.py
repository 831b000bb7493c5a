"""Small node types used only by the engine tests."""

from __future__ import annotations

import asyncio
import threading

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.nodes.registry import NodeRegistry, define_node


def source(*, value: int = 1) -> int:
    return value


def double(x: int) -> int:
    return x * 2


def add(a: int, b: int) -> int:
    return a + b


def total(xs: list[int]) -> int:
    return sum(xs)


def boom(x: int) -> int:
    raise ValueError(f"cannot handle {x}")


def where(x: int) -> str:
    return threading.current_thread().name


async def async_add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


def square_image(x: int, *, size: int = 4) -> Image:
    import numpy as np

    return Image.from_array(np.full((size, size, 3), x % 256, dtype=np.uint8))


def trigger(x: int, *, ctx: NodeContext) -> str:
    ctx.progress(1, 2)
    ctx.progress(2, 2)
    return str(ctx.trigger_data.get("who", "nobody"))


def make_registry() -> NodeRegistry:
    """A registry of the plain test node types."""
    return NodeRegistry(
        [
            define_node(source, node_type="t:source", primary_param="value", version="1"),
            define_node(double, node_type="t:double", version="1"),
            define_node(add, node_type="t:add", version="1"),
            define_node(total, node_type="t:total", version="1"),
            define_node(boom, node_type="t:boom", version="1"),
            define_node(where, node_type="t:where", version="1"),
            define_node(async_add, node_type="t:async-add", version="1"),
            define_node(square_image, node_type="t:image", version="1", credits=2),
            define_node(trigger, node_type="t:trigger", version="1"),
        ]
    )
