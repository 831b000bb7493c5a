"""Input nodes: where values enter a pipeline (set as params, or by ``inputs`` at run time)."""

from __future__ import annotations

import pipeflow_nb.samples  # noqa: F401  (registers the bundled sample photos)
from pipeflow_nb.media import Audio, Image, Video
from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.sources import load_media

__all__ = ["input_audio", "input_image", "input_number", "input_text", "input_video"]


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
    """An image from a file path, an http(s) URL, a data URL, an artifact or a sample name
    (``astronaut``/``person``, ``chelsea``/``cat``, ``coffee``)."""
    return load_media(source, Image, artifacts=ctx.artifacts)


@builtin("input:video", label="Video", primary_param="source")
def input_video(*, source: str = "", ctx: NodeContext) -> Video:
    """A video from a file path, an http(s) URL, a data URL or an artifact."""
    return load_media(source, Video, artifacts=ctx.artifacts)


@builtin("input:audio", label="Audio", primary_param="source")
def input_audio(*, source: str = "", ctx: NodeContext) -> Audio:
    """Sound from a file path, an http(s) URL, a data URL or an artifact."""
    return load_media(source, Audio, artifacts=ctx.artifacts)
