"""image:resize, crop, adjust, blur, composite: sizes checked with PIL, pixels with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from pipeflow_nb.media import Image
from tests.nodes.helpers import pil_of, run_node


def _solid(w: int, h: int, rgb: tuple[int, int, int]) -> Image:
    return Image.from_array(np.full((h, w, 3), rgb, np.uint8))


def test_resize_keeps_aspect_when_one_side_is_given(cat: Image) -> None:
    out = run_node("image:resize", {"image": cat}, width=60)["image"]
    assert pil_of(out).size == (60, 40)


@pytest.mark.parametrize(
    ("fit", "size"), [("cover", (50, 50)), ("contain", (50, 33)), ("stretch", (50, 50))]
)
def test_resize_fits_a_box_three_ways(cat: Image, fit: str, size: tuple[int, int]) -> None:
    out = run_node("image:resize", {"image": cat}, width=50, height=50, fit=fit)["image"]
    assert pil_of(out).size == size


def test_resize_by_scale_and_rejects_no_size(cat: Image) -> None:
    assert pil_of(run_node("image:resize", {"image": cat}, scale=0.5)["image"]).size == (60, 40)
    with pytest.raises(ValueError, match="width, height or scale"):
        run_node("image:resize", {"image": cat})


def test_resize_rejects_an_unknown_resample_by_param_name(cat: Image) -> None:
    with pytest.raises(ValueError, match="resample"):
        run_node("image:resize", {"image": cat}, width=10, resample="magic")


def test_crop_to_aspect_is_centred() -> None:
    arr = np.zeros((40, 100, 3), np.uint8)
    arr[:, 30:70] = 255  # a white centre band exactly 40 wide
    out = run_node("image:crop", {"image": Image.from_array(arr)}, aspect="1:1")["image"]
    pil = pil_of(out)
    assert pil.size == (40, 40)
    assert np.asarray(pil).min() == 255


def test_crop_rectangle_and_bad_origin(cat: Image) -> None:
    out = run_node("image:crop", {"image": cat}, x=10, y=5, width=30, height=20)["image"]
    assert pil_of(out).size == (30, 20)
    assert np.array_equal(np.asarray(pil_of(out)), np.asarray(pil_of(cat))[5:25, 10:40])
    with pytest.raises(ValueError, match="outside"):
        run_node("image:crop", {"image": cat}, x=500)
    with pytest.raises(ValueError, match="16:9"):
        run_node("image:crop", {"image": cat}, aspect="wide")


def test_adjust_brightness_and_grayscale() -> None:
    grey = _solid(8, 8, (100, 100, 100))
    brighter = np.asarray(
        pil_of(run_node("image:adjust", {"image": grey}, brightness=1.5)["image"])
    )
    assert brighter.mean() == pytest.approx(150, abs=1)
    red = _solid(8, 8, (200, 20, 20))
    out = np.asarray(pil_of(run_node("image:adjust", {"image": red}, grayscale=True)["image"]))
    assert out[..., 0].tolist() == out[..., 1].tolist() == out[..., 2].tolist()


def test_adjust_unchanged_is_pixel_identical(cat: Image) -> None:
    out = run_node("image:adjust", {"image": cat})["image"]
    assert np.array_equal(np.asarray(pil_of(out)), np.asarray(pil_of(cat)))


def test_blur_smooths_an_edge() -> None:
    arr = np.zeros((20, 20, 3), np.uint8)
    arr[:, 10:] = 255
    out = np.asarray(
        pil_of(run_node("image:blur", {"image": Image.from_array(arr)}, radius=3)["image"])
    )
    assert 0 < out[10, 9, 0] < 255 and 0 < out[10, 10, 0] < 255
    with pytest.raises(ValueError, match="radius"):
        run_node("image:blur", {"image": Image.from_array(arr)}, radius=-1)


def test_composite_places_overlay_at_the_centre() -> None:
    base = _solid(100, 100, (0, 0, 255))
    overlay = _solid(10, 10, (255, 0, 0))
    out = np.asarray(
        pil_of(run_node("image:composite", {"base": base, "overlay": overlay}, scale=0.2)["image"])
    )
    assert out.shape == (100, 100, 3)
    assert out[50, 50].tolist() == [255, 0, 0]
    assert out[5, 5].tolist() == [0, 0, 255]


def test_composite_opacity_blends() -> None:
    base = _solid(20, 20, (0, 0, 0))
    overlay = _solid(20, 20, (200, 200, 200))
    out = run_node("image:composite", {"base": base, "overlay": overlay}, scale=1.0, opacity=0.5)[
        "image"
    ]
    assert np.asarray(pil_of(out))[10, 10, 0] == pytest.approx(100, abs=2)
