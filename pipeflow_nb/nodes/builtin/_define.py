"""The decorator built-in modules use: defines a node type without registering it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeflow_nb.nodes.registry import NodeFunction, define_node

__all__ = ["builtin"]


def builtin(node_type: str, **options: Any) -> Callable[[Callable[..., Any]], NodeFunction]:
    """Define the built-in node type ``node_type`` (``category`` defaults to its prefix)."""
    options.setdefault("category", node_type.split(":", 1)[0])
    options.setdefault("version", "1")

    def wrap(func: Callable[..., Any]) -> NodeFunction:
        return NodeFunction(define_node(func, node_type=node_type, **options))

    return wrap
