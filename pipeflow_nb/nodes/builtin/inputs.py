"""Input nodes: where values enter a pipeline (set as params, or by ``inputs`` at run time)."""

from __future__ import annotations

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.sources import load_media

__all__ = ["input_image", "input_number", "input_text"]


@builtin("input:text", label="Text", primary_param="text")
def input_text(*, text: str = "") -> str:
    """A piece of text: a prompt, a caption, a brief."""
    return text


@builtin("input:number", label="Number", primary_param="value")
def input_number(*, value: float = 0.0) -> float:
    """A number (whole numbers stay whole)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


@builtin("input:image", label="Image", primary_param="source")
def input_image(*, source: str = "", ctx: NodeContext) -> Image:
    """An image from a file path, an http(s) URL, a data URL, an artifact or a sample name."""
    return load_media(source, Image, artifacts=ctx.artifacts)
