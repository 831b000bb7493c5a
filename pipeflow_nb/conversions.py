"""Value conversions applied when an edge joins two different port types.

The table of which types connect lives in :mod:`pipeflow_nb.models.ports`; this module
holds what each named conversion does to a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pipeflow_nb.errors import MediaError
from pipeflow_nb.media import Image, Video
from pipeflow_nb.models.ports import PortType, conversion

__all__ = ["convert", "image_to_still_video"]


def _number_to_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_to_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _text_to_json(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def image_to_still_video(image: Image, seconds: float = 1.0, fps: int = 12) -> Video:
    """A short H.264 MP4 showing the image still (needs PyAV)."""
    try:
        import av
    except ImportError:
        raise MediaError("turning an image into a video needs PyAV: pip install av") from None
    import tempfile
    from pathlib import Path

    import numpy as np

    frame = image.to_pil().convert("RGB")
    width, height = frame.width - frame.width % 2, frame.height - frame.height % 2
    pixels = np.asarray(frame)[:height, :width]
    # +faststart rewrites the file after encoding, so the muxer needs a real, seekable file.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "still.mp4"
        _encode_still(av, path, pixels, width, height, max(1, round(seconds * fps)), fps)
        return Video(path.read_bytes(), content_type="video/mp4")


def _encode_still(
    av: Any, path: Any, pixels: Any, width: int, height: int, frames: int, fps: int
) -> None:
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        video_frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        for _ in range(frames):
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _video_first_frame(video: Video) -> Image:
    try:
        import av
    except ImportError:
        raise MediaError("reading a video frame needs PyAV: pip install av") from None
    import io

    with av.open(io.BytesIO(video.data), "r") as container:
        for frame in container.decode(video=0):
            return Image.from_pil(frame.to_image())  # type: ignore[no-untyped-call]
    raise MediaError("video has no frames")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "identity": lambda v: v,
    "number_to_text": _number_to_text,
    "boolean_to_text": lambda v: "true" if v else "false",
    "json_to_text": _json_to_text,
    "boolean_to_number": lambda v: int(bool(v)),
    "text_to_json": _text_to_json,
    "image_to_still_video": image_to_still_video,
    "video_first_frame": _video_first_frame,
}


def convert(value: Any, source: PortType, target: PortType) -> Any:
    """Convert a value crossing an edge from a ``source`` port to a ``target`` port."""
    name = conversion(source, target)
    if name is None:
        raise TypeError(f"a {source} value cannot feed a {target} port")
    return _CONVERTERS[name](value)
