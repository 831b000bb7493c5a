"""H.264 MP4 in and out of media values with PyAV (no system ffmpeg).

Every video written here is what browsers play: libx264, ``yuv420p``, even width and
height, and ``+faststart`` (the index at the front, so playback starts before the end of
the download). Audio, when given, is AAC.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from pipeflow_nb.errors import MediaError
from pipeflow_nb.media import Video
from pipeflow_nb.nodes.builtin._audio_io import AV_HINT, Samples, resample, to_channels
from pipeflow_nb.nodes.builtin._models import require

__all__ = ["decode_frames", "encode_mp4", "even"]

Frame = np.ndarray[Any, np.dtype[np.uint8]]
_AAC_RATE = 44100
_AAC_FRAME = 1024


def even(n: int) -> int:
    """The even number at or below ``n`` (at least 2): yuv420p needs even sides."""
    return max(2, n - n % 2)


def _rate(fps: float) -> Fraction:
    if not 0 < fps <= 120:
        raise ValueError(f"fps must be between 0 and 120, got {fps}")
    return Fraction(fps).limit_denominator(1001)


def encode_mp4(
    frames: Iterable[Frame],
    fps: float,
    *,
    audio: tuple[Samples, int] | None = None,
    crf: int = 20,
) -> Video:
    """Encode RGB frames (all one size) and optional ``(samples, rate)`` audio as MP4."""
    av = require("av", AV_HINT)
    rate = _rate(fps)
    # +faststart rewrites the file to move the index to the front, which needs a real
    # file rather than a memory buffer.
    with tempfile.TemporaryDirectory(prefix="pipeflow-video-") as tmp:
        target = Path(tmp) / "out.mp4"
        _write(av, target, frames, rate, audio, crf)
        return Video(target.read_bytes(), content_type="video/mp4")


def _write(
    av: Any,
    target: Path,
    frames: Iterable[Frame],
    rate: Fraction,
    audio: tuple[Samples, int] | None,
    crf: int,
) -> None:
    count = 0
    with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=rate, options={"crf": str(crf)})
        stream.pix_fmt = "yuv420p"
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=_AAC_RATE, layout="stereo")
        for frame in frames:
            if count == 0:
                height, width = even(frame.shape[0]), even(frame.shape[1])
                stream.width, stream.height = width, height
            pixels = np.ascontiguousarray(frame[:height, :width, :3])
            if pixels.shape[:2] != (height, width):
                raise MediaError(
                    f"frame {count} is {frame.shape[1]}×{frame.shape[0]}, expected {width}×{height}"
                )
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
            count += 1
        if count == 0:
            raise MediaError("no frames to encode")
        container.mux(stream.encode())
        if astream is not None and audio is not None:
            _encode_audio(av, container, astream, *audio)


def _encode_audio(av: Any, container: Any, stream: Any, samples: Samples, rate: int) -> None:
    pcm = to_channels(resample(samples, rate, _AAC_RATE), 2)
    planar = np.ascontiguousarray(pcm.T.astype(np.float32))
    for start in range(0, planar.shape[1], _AAC_FRAME):
        chunk = planar[:, start : start + _AAC_FRAME]
        if chunk.shape[1] < _AAC_FRAME:
            chunk = np.pad(chunk, ((0, 0), (0, _AAC_FRAME - chunk.shape[1])))
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(chunk), format="fltp", layout="stereo"
        )
        frame.sample_rate = _AAC_RATE
        frame.pts = start
        frame.time_base = Fraction(1, _AAC_RATE)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def decode_frames(video: Video) -> tuple[list[Frame], float]:
    """Every frame of the first video stream as RGB arrays, and the frame rate."""
    av = require("av", AV_HINT)
    try:
        with av.open(io.BytesIO(video.data), "r") as container:
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 24)
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    except (av.error.FFmpegError, IndexError) as exc:
        raise MediaError(f"cannot decode video ({video.content_type}): {exc}") from exc
    if not frames:
        raise MediaError("the video has no frames")
    return frames, fps
