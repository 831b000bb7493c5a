"""Small real media and node types shared by the widget tests."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from pipeflow_nb.media import Audio, Image, Video
from pipeflow_nb.nodes.registry import Json, NodeRegistry, define_node


def gradient_image(width: int = 64, height: int = 48) -> Image:
    """A deterministic RGB gradient PNG."""
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :, None]
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None, None]
    rgb = np.concatenate(
        [
            np.broadcast_to(x, (height, width, 1)),
            np.broadcast_to(y, (height, width, 1)),
            np.full((height, width, 1), 128, np.uint8),
        ],
        axis=2,
    )
    return Image.from_array(rgb)


def tiny_video(frames: int = 10, size: int = 64) -> Video:
    """An H.264 MP4 of a moving bar, encoded with imageio-ffmpeg's bundled ffmpeg."""
    import imageio_ffmpeg

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.mp4"
        writer = imageio_ffmpeg.write_frames(
            str(path),
            (size, size),
            fps=10,
            codec="libx264",
            pix_fmt_out="yuv420p",
            macro_block_size=16,
            output_params=["-loglevel", "error"],
        )
        writer.send(None)
        for i in range(frames):
            frame = np.zeros((size, size, 3), np.uint8)
            frame[:, (i * size // frames) : (i * size // frames) + 6] = (255, 200, 0)
            writer.send(frame.tobytes())
        writer.close()
        return Video(path.read_bytes(), content_type="video/mp4")


def beep(seconds: float = 0.25, rate: int = 8000) -> Audio:
    """A 440 Hz sine as WAV."""
    t = np.arange(int(seconds * rate)) / rate
    return Audio.from_array((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate)


def prompt(*, text: str = "a lighthouse") -> str:
    return text


def paint(text: str, *, width: int = 64) -> Image:
    return gradient_image(width, 48)


def animate(image: Image, *, frames: int = 8) -> Video:
    return tiny_video(frames)


def tone(text: str) -> Audio:
    return beep()


def stats(image: Image) -> Json:
    return {"width": image.width, "height": image.height}


def explode(text: str) -> str:
    raise RuntimeError(f"refusing to shout {text!r}")


def picky(text: str, *, allow_bad: bool = False) -> str:
    if "bad" in text and not allow_bad:
        raise ValueError(f"will not take {text!r}")
    return text.upper()


def make_registry() -> NodeRegistry:
    """Node types for the widget tests, one per preview kind plus one that fails."""
    return NodeRegistry(
        [
            define_node(prompt, node_type="input:prompt", category="input", primary_param="text"),
            define_node(paint, node_type="image:paint", category="image", credits=3),
            define_node(animate, node_type="video:animate", category="video", credits=5),
            define_node(tone, node_type="audio:tone", category="audio"),
            define_node(stats, node_type="utility:stats", category="utility"),
            define_node(explode, node_type="utility:explode", category="utility"),
            define_node(picky, node_type="text:picky", category="text"),
        ]
    )


def demo_pipeline(registry: NodeRegistry, *, failing: bool = True) -> Any:
    """prompt → paint → (animate, stats); prompt → tone; prompt → explode (when failing)."""
    from pipeflow_nb import Pipeline

    p = Pipeline("demo", registry=registry)
    brief = p.add("input:prompt", id="brief", label="Brief", text="a lighthouse at dusk")
    img = p.add("image:paint", id="img", label="Paint", text=brief)
    p.add("video:animate", id="clip", label="Animate", image=img)
    p.add("utility:stats", id="stats", label="Stats", image=img)
    p.add("audio:tone", id="tone", label="Tone", text=brief)
    if failing:
        p.add("utility:explode", id="shout", label="Shout", text=brief)
    return p
