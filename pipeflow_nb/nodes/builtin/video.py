"""Video tools (PyAV): zoom and pan over a still, slideshows, sound tracks, GIFs, frames."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator
from typing import Literal

import numpy as np
from PIL import Image as PILImage
from PIL import ImageOps

from pipeflow_nb.errors import NodeExecutionError
from pipeflow_nb.media import Audio, Image, Video
from pipeflow_nb.nodes.builtin._audio_io import fit_length, samples_of
from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.nodes.builtin._video_io import Frame, decode_frames, encode_mp4, even
from pipeflow_nb.nodes.context import NodeContext

__all__ = [
    "video_add_audio",
    "video_frame",
    "video_from_image",
    "video_slideshow",
    "video_to_gif",
]

Motion = Literal["zoom-in", "zoom-out", "pan-left", "pan-right", "pan-up", "pan-down", "none"]


def _check_timing(seconds: float, fps: float) -> int:
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    if not 0 < fps <= 120:
        raise ValueError(f"fps must be between 0 and 120, got {fps}")
    return max(1, round(seconds * fps))


def _out_size(width: int, height: int, size: tuple[int, int]) -> tuple[int, int]:
    w, h = size
    if width > 0 and height > 0:
        return even(width), even(height)
    if width > 0:
        return even(width), even(round(h * width / w))
    if height > 0:
        return even(round(w * height / h)), even(height)
    return even(w), even(h)


def _reporting(frames: Iterable[Frame], total: int, ctx: NodeContext) -> Iterator[Frame]:
    """Pass frames through, reporting encoding progress about twenty times, and stop when
    the execution is cancelled (the engine drops a cancelled node's result anyway)."""
    step = max(1, total // 20)
    for i, frame in enumerate(frames, 1):
        if ctx.cancelled:
            raise NodeExecutionError(ctx.node_id, f"cancelled after {i - 1} of {total} frames")
        yield frame
        if i % step == 0 or i == total:
            ctx.progress(i, total, "encoding")


def _ease(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * t)


def _camera(
    pil: PILImage.Image, n: int, motion: Motion, zoom: float, size: tuple[int, int]
) -> Iterator[Frame]:
    """Frames of a virtual camera moving over ``pil``: a sub-pixel crop box per frame."""
    w, h = pil.size
    ow, oh = size
    for i in range(n):
        t = _ease(i / (n - 1)) if n > 1 else 0.0
        if motion == "zoom-in":
            z = 1 + (zoom - 1) * t
        elif motion == "zoom-out":
            z = zoom - (zoom - 1) * t
        else:
            z = zoom if motion != "none" else 1.0
        bw, bh = w / z, h / z
        cx, cy = w / 2, h / 2
        slack_x, slack_y = (w - bw) / 2, (h - bh) / 2
        if motion == "pan-left":
            cx += slack_x * (1 - 2 * t)
        elif motion == "pan-right":
            cx -= slack_x * (1 - 2 * t)
        elif motion == "pan-up":
            cy += slack_y * (1 - 2 * t)
        elif motion == "pan-down":
            cy -= slack_y * (1 - 2 * t)
        box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
        yield np.asarray(pil.resize((ow, oh), PILImage.Resampling.BICUBIC, box=box))


@builtin("video:from-image", label="Zoom / pan video", primary_param="motion")
def video_from_image(
    image: Image,
    *,
    motion: Motion = "zoom-in",
    seconds: float = 4.0,
    fps: float = 24.0,
    zoom: float = 1.3,
    width: int = 0,
    height: int = 0,
    ctx: NodeContext,
) -> Video:
    """A video of a camera moving over the image (Ken Burns): zoom in or out, or pan.

    ``zoom`` is how far in the camera gets (1.3 = 30 %); pans happen at that zoom. The
    output keeps the image's aspect unless both ``width`` and ``height`` are given.
    """
    n = _check_timing(seconds, fps)
    if not 1.0 <= zoom <= 10.0:
        raise ValueError(f"zoom must be between 1 and 10, got {zoom}")
    pil = image.to_pil().convert("RGB")
    size = _out_size(width, height, pil.size)
    if width > 0 and height > 0:
        pil = ImageOps.fit(pil, size, PILImage.Resampling.LANCZOS)
    return encode_mp4(_reporting(_camera(pil, n, motion, zoom, size), n, ctx), fps)


@builtin("video:slideshow", label="Slideshow", primary_param="seconds_per_image")
def video_slideshow(
    images: list[Image],
    *,
    seconds_per_image: float = 2.0,
    fade: float = 0.5,
    fps: float = 24.0,
    width: int = 0,
    height: int = 0,
    ctx: NodeContext,
) -> Video:
    """The connected images in turn, each shown ``seconds_per_image`` with ``fade`` seconds of
    cross-fade into the next. Every image is cropped to fill the first image's frame (or
    ``width``×``height``)."""
    if not images:
        raise ValueError("no images: connect at least one image")
    hold = _check_timing(seconds_per_image, fps)
    if not 0 <= fade < seconds_per_image:
        raise ValueError(f"fade must be ≥ 0 and shorter than seconds_per_image, got {fade}")
    first = images[0].to_pil()
    size = _out_size(width, height, first.size)
    slides = [
        np.asarray(ImageOps.fit(img.to_pil().convert("RGB"), size, PILImage.Resampling.LANCZOS))
        for img in images
    ]
    blend = round(fade * fps)

    def frames() -> Iterator[Frame]:
        for k, slide in enumerate(slides):
            last = k == len(slides) - 1
            for i in range(hold):
                into = i - (hold - blend)
                if not last and blend and into >= 0:
                    a = (into + 1) / (blend + 1)
                    mixed = slide * (1 - a) + slides[k + 1] * a
                    yield mixed.astype(np.uint8)
                else:
                    yield slide

    return encode_mp4(_reporting(frames(), hold * len(slides), ctx), fps)


@builtin("video:add-audio", label="Add sound", primary_param="fit")
def video_add_audio(
    video: Video,
    audio: Audio,
    *,
    fit: Literal["longest", "video", "audio", "shortest"] = "longest",
    volume: float = 1.0,
    ctx: NodeContext,
) -> Video:
    """Put ``audio`` on the video as its sound track (AAC).

    ``fit`` sets the length: ``longest`` holds the last frame while the sound goes on (or
    pads the sound with silence), ``video`` keeps the video's length, ``audio`` follows
    the sound, ``shortest`` cuts both to the shorter.
    """
    if volume < 0:
        raise ValueError(f"volume must be ≥ 0, got {volume}")
    frames, fps = decode_frames(video)
    samples, rate = samples_of(audio)
    video_s, audio_s = len(frames) / fps, len(samples) / rate
    seconds = {
        "longest": max(video_s, audio_s),
        "video": video_s,
        "audio": audio_s,
        "shortest": min(video_s, audio_s),
    }[fit]
    n = max(1, round(seconds * fps))
    frames = frames[:n] + [frames[-1]] * max(0, n - len(frames))
    track = fit_length(samples * volume, round(n / fps * rate))
    return encode_mp4(_reporting(frames, n, ctx), fps, audio=(track, rate))


@builtin("video:to-gif", label="To GIF", primary_param="fps")
def video_to_gif(video: Video, *, fps: float = 10.0, width: int = 320) -> Image:
    """An animated GIF of the video at ``fps`` frames per second, ``width`` pixels wide
    (0 keeps the size), looping forever, with one adaptive palette per frame."""
    frames, src_fps = decode_frames(video)
    step = max(1.0, src_fps / fps) if fps > 0 else 1.0
    picked = [frames[int(i * step)] for i in range(max(1, int(len(frames) / step)))]
    pils = [PILImage.fromarray(f) for f in picked]
    if width > 0:
        h = max(1, round(pils[0].height * width / pils[0].width))
        pils = [p.resize((width, h), PILImage.Resampling.LANCZOS) for p in pils]
    quantised = [p.quantize(colors=256, method=PILImage.Quantize.MEDIANCUT) for p in pils]
    buf = io.BytesIO()
    quantised[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=quantised[1:],
        duration=round(1000 * step / src_fps),
        loop=0,
    )
    return Image(
        buf.getvalue(),
        content_type="image/gif",
        metadata={"width": pils[0].width, "height": pils[0].height, "frames": len(pils)},
    )


@builtin("video:frame", label="Frame", primary_param="time")
def video_frame(video: Video, *, time: float = 0.0) -> Image:
    """The frame shown at ``time`` seconds (negative counts back from the end: -0.001 is the
    last frame)."""
    frames, fps = decode_frames(video)
    index = math.floor(time * fps) if time >= 0 else len(frames) + math.floor(time * fps)
    if not 0 <= index < len(frames):
        raise ValueError(
            f"time {time} s is outside the video ({len(frames) / fps:.2f} s, {len(frames)} frames)"
        )
    return Image.from_array(frames[index])
