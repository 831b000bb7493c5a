"""Test helpers: run a node type the way the engine does, and decode media with libraries
independent of pipeflow_nb (PIL, PyAV, wave)."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import Any

from pipeflow_nb.media import Audio, Image, Video
from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.nodes.registry import NodeFunction, default_registry


def run_node(
    node_type: str | NodeFunction,
    inputs: dict[str, Any] | None = None,
    *,
    progress: list[tuple[float, float, str | None]] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Validate params, call the node function and map its result onto output ports
    (progress reports are appended to ``progress`` when given)."""
    name = node_type if isinstance(node_type, str) else node_type.node_type
    definition = default_registry().get(name)
    ctx = NodeContext(node_id="n1", node_type=name)
    if progress is not None:
        reports = progress
        ctx.report = lambda value, maximum, message: reports.append((value, maximum, message))
    result = definition.func(**definition.call_args(inputs or {}, params, ctx))
    return definition.outputs_from(result)


@dataclass
class VideoFacts:
    codec: str
    pix_fmt: str
    width: int
    height: int
    frames: int
    duration_s: float
    audio_codec: str | None
    audio_duration_s: float | None
    faststart: bool


def probe_video(video: Video) -> VideoFacts:
    """Facts about an MP4 read with PyAV directly, counting frames by decoding them."""
    import av

    data = video.data
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        duration = float(stream.duration * stream.time_base)
        audio = container.streams.audio[0] if container.streams.audio else None
        audio_codec = audio.codec_context.name if audio else None
        audio_duration = float(audio.duration * audio.time_base) if audio else None
        facts = VideoFacts(
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            frames=frames,
            duration_s=duration,
            audio_codec=audio_codec,
            audio_duration_s=audio_duration,
            faststart=data.find(b"moov") < data.find(b"mdat"),
        )
    return facts


def frames_of(video: Video) -> list[Any]:
    """Every frame as an RGB numpy array, decoded with PyAV."""
    import av

    with av.open(io.BytesIO(video.data)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def pil_of(image: Image) -> Any:
    """The image decoded by PIL straight from its bytes."""
    from PIL import Image as PILImage

    pil = PILImage.open(io.BytesIO(image.data))
    pil.load()
    return pil


def wav_facts(audio: Audio) -> tuple[float, int, int]:
    """``(duration in seconds, sample rate, channels)`` read with the ``wave`` module."""
    with wave.open(io.BytesIO(audio.data)) as w:
        return w.getnframes() / w.getframerate(), w.getframerate(), w.getnchannels()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance divided by the reference length (case, punctuation
    ignored)."""
    import re

    ref = re.findall(r"[a-z0-9']+", reference.lower())
    hyp = re.findall(r"[a-z0-9']+", hypothesis.lower())
    dist = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, dist[0] = dist[0], i
        for j, h in enumerate(hyp, 1):
            prev, dist[j] = dist[j], min(dist[j] + 1, dist[j - 1] + 1, prev + (r != h))
    return dist[len(hyp)] / max(1, len(ref))


async def arun_node(
    node_type: str | NodeFunction, inputs: dict[str, Any] | None = None, **params: Any
) -> dict[str, Any]:
    """:func:`run_node` for async node functions (hosted models)."""
    name = node_type if isinstance(node_type, str) else node_type.node_type
    definition = default_registry().get(name)
    ctx = NodeContext(node_id="n1", node_type=name)
    result = await definition.func(**definition.call_args(inputs or {}, params, ctx))
    return definition.outputs_from(result)
