"""Small node types used only by the server tests (passed to ``create_app`` in a registry)."""

from __future__ import annotations

import time
from pathlib import Path

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.builtin import builtin_definitions
from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.nodes.registry import NodeRegistry, define_node


def gate(text: str | None = None, *, path: str = "", ctx: NodeContext) -> str:
    """Wait until the file at ``path`` exists (or the run is cancelled), then pass text on."""
    while not Path(path).exists():
        if ctx.cancelled:
            raise RuntimeError("cancelled while waiting")
        time.sleep(0.02)
    return text or "opened"


def halfway(text: str, *, path: str = "", ctx: NodeContext) -> str:
    """Report half the work done, then wait like :func:`gate`."""
    ctx.progress(1, 2, "half")
    return gate(text, path=path, ctx=ctx)


def boom(text: str, *, message: str = "boom") -> str:
    """Always fails."""
    raise ValueError(message)


def paint(text: str, *, size: int = 8) -> Image:
    """A solid square whose grey level comes from the text."""
    import numpy as np

    level = sum(text.encode()) % 256
    return Image.from_array(np.full((size, size, 3), level, dtype=np.uint8))


def priced(text: str) -> str:
    """Costs credits (like a hosted model)."""
    return text.upper()


def noop(text: str) -> str:
    """Passes its input on."""
    return text


def make_registry() -> NodeRegistry:
    """The built-in node types plus the test ones."""
    return NodeRegistry(
        [
            *builtin_definitions(),
            define_node(gate, node_type="test:gate", version="1", deterministic=False),
            define_node(halfway, node_type="test:halfway", version="1", deterministic=False),
            define_node(boom, node_type="test:boom", version="1"),
            define_node(paint, node_type="test:paint", version="1"),
            define_node(priced, node_type="test:priced", version="1", credits=5),
            define_node(noop, node_type="test:noop", version="1", deterministic=False),
        ]
    )


def node(node_id: str, node_type: str, label: str = "", **params: object) -> dict[str, object]:
    """A wire node."""
    return {
        "id": node_id,
        "data": {"label": label or node_id, "nodeType": node_type, "params": dict(params)},
    }


def edge(source: str, target: str, out: str = "text", into: str = "text") -> dict[str, str]:
    """A wire edge."""
    return {
        "id": f"{source}-{target}",
        "source": source,
        "target": target,
        "sourceHandle": f"out-{out}",
        "targetHandle": f"in-{into}",
    }


def chain(*types: str, text: str = "hello") -> dict[str, object]:
    """``input:text`` followed by nodes of ``types`` in a line."""
    nodes = [node("brief", "input:text", "Brief", text=text)]
    edges = []
    for i, node_type in enumerate(types):
        nodes.append(node(f"n{i}", node_type, f"Step {i}"))
        edges.append(edge(nodes[-2]["id"], f"n{i}"))  # type: ignore[arg-type]
    return {"name": "chain", "nodes": nodes, "edges": edges}
