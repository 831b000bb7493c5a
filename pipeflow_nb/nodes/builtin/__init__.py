"""The node types that ship with pipeflow-nb, grouped by family, one module each."""

from __future__ import annotations

import importlib

from pipeflow_nb.nodes.registry import NodeDefinition, NodeFunction

__all__ = ["BUILTIN_MODULES", "builtin_definitions"]

#: Modules whose :class:`NodeFunction` attributes are the built-in node types.
BUILTIN_MODULES = (
    "pipeflow_nb.nodes.builtin.inputs",
    "pipeflow_nb.nodes.builtin.text",
    "pipeflow_nb.nodes.builtin.utility",
    "pipeflow_nb.nodes.builtin.image",
    "pipeflow_nb.nodes.builtin.image_draw",
    "pipeflow_nb.nodes.builtin.video",
    "pipeflow_nb.nodes.builtin.audio",
    "pipeflow_nb.nodes.builtin.ai_image",
    "pipeflow_nb.nodes.builtin.ai_audio",
    "pipeflow_nb.nodes.builtin.ai_text",
    "pipeflow_nb.nodes.providers.fal",
    "pipeflow_nb.nodes.providers.replicate",
    "pipeflow_nb.nodes.providers.openai",
    "pipeflow_nb.nodes.providers.remote",
)


def builtin_definitions() -> list[NodeDefinition]:
    """Every built-in node type, in module order."""
    found: list[NodeDefinition] = []
    for name in BUILTIN_MODULES:
        module = importlib.import_module(name)
        found += [v.definition for v in vars(module).values() if isinstance(v, NodeFunction)]
    return found
