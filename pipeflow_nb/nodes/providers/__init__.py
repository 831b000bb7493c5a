"""Hosted-model node types: fal.ai, Replicate, OpenAI-compatible APIs, remote pipelines.

Fixed node types (``model:openai:chat``, ``model:openai:image``, ``pipeline:remote``) are
in the catalog. fal and Replicate host thousands of models, so their node types are made
on demand: :func:`fal_node` and :func:`replicate_node` create and register
``model:fal:<endpoint>`` and ``model:replicate:<owner/model>``. Keys come from the
environment (``FAL_KEY``, ``REPLICATE_API_TOKEN``, ``OPENAI_API_KEY``, ``PIPEFLOW_API_KEY``);
a missing one raises :class:`MissingAPIKeyError` naming the variable.
"""

from __future__ import annotations

from pipeflow_nb.nodes.providers._http import MissingAPIKeyError
from pipeflow_nb.nodes.providers.fal import fal_node
from pipeflow_nb.nodes.providers.replicate import PredictionFailed, replicate_node

__all__ = ["MissingAPIKeyError", "PredictionFailed", "fal_node", "replicate_node"]
