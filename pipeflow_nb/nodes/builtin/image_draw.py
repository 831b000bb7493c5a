"""Drawn images (Pillow, numpy): captions, contact sheets, seeded procedural patterns."""

from __future__ import annotations

import math
import textwrap
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from PIL import Image as PILImage
from PIL import ImageColor, ImageDraw, ImageFont

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.samples import font_path

__all__ = ["image_grid", "image_pattern", "image_text"]


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


def _color(value: str, field: str) -> tuple[int, ...]:
    try:
        return ImageColor.getrgb(value)
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a colour (try 'white' or '#ffcc00')") from None


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """Wrap ``text`` so that no line is wider than ``width`` pixels."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        chars = max(1, len(paragraph))
        while chars > 1:
            candidate = textwrap.wrap(paragraph, chars) or [""]
            if max(draw.textlength(line, font=font) for line in candidate) <= width:
                break
            chars -= max(1, chars // 10)
        lines += textwrap.wrap(paragraph, chars) or [""]
    return "\n".join(lines)


@builtin("image:text", label="Caption", primary_param="text")
def image_text(
    image: Image,
    caption: str | None = None,
    *,
    text: str = "",
    position: Literal["top", "center", "bottom"] = "bottom",
    size: int = 0,
    color: str = "white",
    background: str = "black",
    background_opacity: float = 0.55,
    margin: int = 0,
) -> Image:
    """Write a caption on the image with the bundled DejaVu Sans Bold font.

    The ``caption`` input wins over the ``text`` param. ``size`` 0 picks a size from the
    image height; long text wraps to the width. A translucent band behind the text keeps
    it readable on any picture.
    """
    words = caption if caption is not None else text
    if not words.strip():
        raise ValueError("no caption: connect a text input or set the text param")
    if not 0.0 <= background_opacity <= 1.0:
        raise ValueError(f"background_opacity must be between 0 and 1, got {background_opacity}")
    source = image.to_pil()
    canvas = source.convert("RGBA")
    w, h = canvas.size
    font = _font(size if size > 0 else max(10, h // 14))
    pad = margin if margin > 0 else max(4, int(font.size) // 2)
    layer = PILImage.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    wrapped = _wrap(draw, words, font, w - 2 * pad)
    left, top, right, bottom = draw.multiline_textbbox((0, 0), wrapped, font=font, align="center")
    tw, th = right - left, bottom - top
    y = {"top": pad, "center": (h - th) // 2, "bottom": h - th - pad}[position] - top
    band = (0, max(0, y + top - pad // 2), w, min(h, y + bottom + pad // 2))
    fill = (*_color(background, "background")[:3], round(255 * background_opacity))
    draw.rectangle(band, fill=fill)
    ink = (*_color(color, "color")[:3], 255)
    draw.multiline_text(((w - tw) // 2 - left, y), wrapped, font=font, fill=ink, align="center")
    out = PILImage.alpha_composite(canvas, layer)
    return Image.from_pil(out if source.mode == "RGBA" else out.convert("RGB"))


@builtin("image:grid", label="Contact sheet", primary_param="columns")
def image_grid(
    images: list[Image],
    *,
    columns: int = 0,
    cell_width: int = 256,
    gap: int = 4,
    background: str = "white",
) -> Image:
    """Lay the connected images out in a grid, each scaled to ``cell_width`` (0: no scaling).

    ``columns`` 0 makes the grid as square as possible.
    """
    if not images:
        raise ValueError("no images to lay out: connect at least one image")
    tiles = [img.to_pil().convert("RGB") for img in images]
    if cell_width > 0:
        tiles = [
            t.resize((cell_width, max(1, round(t.height * cell_width / t.width)))) for t in tiles
        ]
    cols = columns if columns > 0 else math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    cw, ch = max(t.width for t in tiles), max(t.height for t in tiles)
    sheet = PILImage.new(
        "RGB",
        (cols * cw + (cols + 1) * gap, rows * ch + (rows + 1) * gap),
        _color(background, "background")[:3],
    )
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        x = gap + c * (cw + gap) + (cw - tile.width) // 2
        y = gap + r * (ch + gap) + (ch - tile.height) // 2
        sheet.paste(tile, (x, y))
    return Image.from_pil(sheet)


def _gradient(rng: np.random.Generator, w: int, h: int, colors: list[Any]) -> np.ndarray[Any, Any]:
    angle = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = xx * math.cos(angle) / max(w, 1) + yy * math.sin(angle) / max(h, 1)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    a, b = (np.array(c[:3], np.float32) for c in colors[:2])
    return np.asarray(a + (b - a) * t[..., None], np.uint8)


def _noise(rng: np.random.Generator, w: int, h: int, colors: list[Any]) -> np.ndarray[Any, Any]:
    # Value noise: random lattices at a few scales, smoothly upsampled and summed.
    total = np.zeros((h, w), np.float32)
    for octave, weight in ((4, 0.5), (8, 0.25), (16, 0.15), (32, 0.1)):
        grid = rng.random((octave + 1, octave + 1)).astype(np.float32)
        layer = PILImage.fromarray((grid * 255).astype(np.uint8)).resize(
            (w, h), PILImage.Resampling.BICUBIC
        )
        total += weight * np.asarray(layer, np.float32) / 255
    t = (total - total.min()) / max(float(total.max() - total.min()), 1e-6)
    a, b = (np.array(c[:3], np.float32) for c in colors[:2])
    return np.asarray(a + (b - a) * t[..., None], np.uint8)


def _shapes(rng: np.random.Generator, w: int, h: int, colors: list[Any]) -> np.ndarray[Any, Any]:
    canvas = PILImage.new("RGB", (w, h), tuple(colors[0][:3]))
    draw = ImageDraw.Draw(canvas, "RGBA")
    for _ in range(12):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.05, 0.25) * min(w, h)
        fill = (*(int(v) for v in rng.integers(0, 256, 3)), int(rng.integers(90, 200)))
        box = (cx - r, cy - r, cx + r, cy + r)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=fill)
        else:
            draw.rectangle(box, fill=fill)
    return np.asarray(canvas)


def _checker(rng: np.random.Generator, w: int, h: int, colors: list[Any]) -> np.ndarray[Any, Any]:
    cell = max(2, min(w, h) // 8)
    yy, xx = np.mgrid[0:h, 0:w]
    mask = ((xx // cell + yy // cell) % 2).astype(bool)
    out = np.empty((h, w, 3), np.uint8)
    out[~mask], out[mask] = colors[0][:3], colors[1][:3]
    return out


_PATTERNS = {"gradient": _gradient, "noise": _noise, "shapes": _shapes, "checker": _checker}


@builtin("image:pattern", label="Pattern", primary_param="kind")
def image_pattern(
    *,
    kind: Literal["gradient", "noise", "shapes", "checker"] = "gradient",
    width: int = 256,
    height: int = 256,
    seed: int = 0,
    color1: str = "#1d3557",
    color2: str = "#f4a261",
) -> Image:
    """A procedural image (gradient, value noise, random shapes, checkerboard) from ``seed``.

    A plain drawing utility for test inputs and backgrounds; the same seed always draws
    the same picture.
    """
    if not (1 <= width <= 8192 and 1 <= height <= 8192):
        raise ValueError(f"size must be 1..8192 on each side, got {width}×{height}")
    colors = [_color(color1, "color1"), _color(color2, "color2")]
    rng = np.random.default_rng(seed)
    return Image.from_array(_PATTERNS[kind](rng, width, height, colors))
