"""Exact image tools (Pillow): resize, crop, adjust, blur, composite."""

from __future__ import annotations

from typing import Literal

from PIL import Image as PILImage
from PIL import ImageEnhance, ImageFilter, ImageOps

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.builtin._define import builtin

__all__ = ["image_adjust", "image_blur", "image_composite", "image_crop", "image_resize"]

Resample = Literal["lanczos", "bicubic", "bilinear", "nearest"]
_RESAMPLE = {
    "lanczos": PILImage.Resampling.LANCZOS,
    "bicubic": PILImage.Resampling.BICUBIC,
    "bilinear": PILImage.Resampling.BILINEAR,
    "nearest": PILImage.Resampling.NEAREST,
}


def _rgb(image: Image) -> PILImage.Image:
    """Decode to RGB or RGBA (palette and greyscale images become RGB)."""
    pil = image.to_pil()
    return pil if pil.mode in ("RGB", "RGBA") else pil.convert("RGBA" if "A" in pil.mode else "RGB")


def _target_size(size: tuple[int, int], width: int, height: int, scale: float) -> tuple[int, int]:
    w, h = size
    if scale > 0:
        return max(1, round(w * scale)), max(1, round(h * scale))
    if width <= 0 and height <= 0:
        raise ValueError("give width, height or scale")
    if width <= 0:
        return max(1, round(w * height / h)), height
    if height <= 0:
        return width, max(1, round(h * width / w))
    return width, height


@builtin("image:resize", label="Resize", primary_param="width")
def image_resize(
    image: Image,
    *,
    width: int = 0,
    height: int = 0,
    scale: float = 0.0,
    fit: Literal["stretch", "contain", "cover"] = "cover",
    resample: Resample = "lanczos",
) -> Image:
    """Resize to ``width``×``height`` (one may be 0 to keep the aspect) or by ``scale``.

    With both sides given, ``fit`` says how: ``cover`` fills the box and crops the
    overflow, ``contain`` fits inside it, ``stretch`` ignores the aspect ratio.
    """
    pil = _rgb(image)
    size = _target_size(pil.size, width, height, scale)
    method = _RESAMPLE[resample]
    if scale > 0 or width <= 0 or height <= 0 or fit == "stretch":
        return Image.from_pil(pil.resize(size, method))
    if fit == "contain":
        return Image.from_pil(ImageOps.contain(pil, size, method))
    return Image.from_pil(ImageOps.fit(pil, size, method))


def _parse_aspect(aspect: str) -> float:
    try:
        a, b = (float(part) for part in aspect.replace("/", ":").split(":"))
        if a <= 0 or b <= 0:
            raise ValueError
    except ValueError:
        raise ValueError(f"aspect must look like '16:9', got {aspect!r}") from None
    return a / b


@builtin("image:crop", label="Crop", primary_param="aspect")
def image_crop(
    image: Image,
    *,
    aspect: str = "",
    x: int = 0,
    y: int = 0,
    width: int = 0,
    height: int = 0,
) -> Image:
    """Cut out a rectangle: a centred ``aspect`` such as ``"1:1"``, or ``x, y, width, height``.

    A width or height of 0 means "to the edge".
    """
    pil = _rgb(image)
    w, h = pil.size
    if aspect:
        ratio = _parse_aspect(aspect)
        cw, ch = (w, round(w / ratio)) if w / h < ratio else (round(h * ratio), h)
        left, top = (w - cw) // 2, (h - ch) // 2
        return Image.from_pil(pil.crop((left, top, left + cw, top + ch)))
    if not (0 <= x < w and 0 <= y < h):
        raise ValueError(f"crop origin ({x}, {y}) is outside the {w}×{h} image")
    right = w if width <= 0 else min(w, x + width)
    bottom = h if height <= 0 else min(h, y + height)
    return Image.from_pil(pil.crop((x, y, right, bottom)))


@builtin("image:adjust", label="Adjust colours", primary_param="brightness")
def image_adjust(
    image: Image,
    *,
    brightness: float = 1.0,
    contrast: float = 1.0,
    saturation: float = 1.0,
    sharpness: float = 1.0,
    grayscale: bool = False,
) -> Image:
    """Change brightness, contrast, saturation and sharpness (1.0 leaves each unchanged)."""
    for name, value in (("brightness", brightness), ("contrast", contrast)):
        if value < 0:
            raise ValueError(f"{name} must be ≥ 0, got {value}")
    pil = _rgb(image)
    alpha = pil.getchannel("A") if pil.mode == "RGBA" else None
    out = pil.convert("RGB")
    for enhancer, factor in (
        (ImageEnhance.Brightness, brightness),
        (ImageEnhance.Contrast, contrast),
        (ImageEnhance.Color, 0.0 if grayscale else saturation),
        (ImageEnhance.Sharpness, sharpness),
    ):
        if factor != 1.0:
            out = enhancer(out).enhance(factor)
    if alpha is not None:
        out.putalpha(alpha)
    return Image.from_pil(out)


@builtin("image:blur", label="Blur", primary_param="radius")
def image_blur(
    image: Image, *, radius: float = 4.0, kind: Literal["gaussian", "box"] = "gaussian"
) -> Image:
    """Blur with a Gaussian (soft) or box (flat) kernel of ``radius`` pixels."""
    if radius < 0:
        raise ValueError(f"radius must be ≥ 0, got {radius}")
    flt = ImageFilter.GaussianBlur(radius) if kind == "gaussian" else ImageFilter.BoxBlur(radius)
    return Image.from_pil(_rgb(image).filter(flt))


@builtin("image:composite", label="Composite", primary_param="opacity")
def image_composite(
    base: Image,
    overlay: Image,
    *,
    x: float = 0.5,
    y: float = 0.5,
    scale: float = 0.3,
    opacity: float = 1.0,
) -> Image:
    """Place ``overlay`` on ``base``: centred at (``x``, ``y``) as fractions of the base size,
    ``scale`` × the base width wide, with ``opacity`` (the overlay's own alpha is kept)."""
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be between 0 and 1, got {opacity}")
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    below = _rgb(base)
    canvas = below.convert("RGBA")
    top = _rgb(overlay).convert("RGBA")
    ow = max(1, round(canvas.width * scale))
    top = top.resize((ow, max(1, round(top.height * ow / top.width))), PILImage.Resampling.LANCZOS)
    if opacity < 1.0:
        top.putalpha(top.getchannel("A").point(lambda v: round(v * opacity)))
    left = round(x * canvas.width - top.width / 2)
    upper = round(y * canvas.height - top.height / 2)
    layer = PILImage.new("RGBA", canvas.size, (0, 0, 0, 0))
    layer.paste(top, (left, upper))
    out = PILImage.alpha_composite(canvas, layer)
    return Image.from_pil(out if below.mode == "RGBA" else out.convert("RGB"))
