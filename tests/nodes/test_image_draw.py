"""image:text, image:grid, image:pattern."""

from __future__ import annotations

import numpy as np
import pytest

from pipeflow_nb.media import Image
from tests.nodes.helpers import pil_of, run_node


def test_text_draws_inside_a_band_at_the_bottom(cat: Image) -> None:
    out = run_node("image:text", {"image": cat}, text="Hello", position="bottom")["image"]
    before, after = np.asarray(pil_of(cat)).astype(int), np.asarray(pil_of(out)).astype(int)
    changed = np.abs(before - after).sum(axis=2) > 0
    rows = np.nonzero(changed.any(axis=1))[0]
    assert pil_of(out).size == pil_of(cat).size
    assert rows.min() > before.shape[0] // 2  # only the lower half was touched


def test_text_input_wins_over_param_and_wraps_long_text() -> None:
    blank = Image.from_array(np.zeros((200, 120, 3), np.uint8))
    short = run_node("image:text", {"image": blank, "caption": "Hi"}, text="ignored")["image"]
    long = run_node(
        "image:text", {"image": blank}, text="a rather long caption that must wrap", size=14
    )["image"]
    lit_short = (np.asarray(pil_of(short)) > 128).any(axis=2).any(axis=1).sum()
    lit_long = (np.asarray(pil_of(long)) > 128).any(axis=2).any(axis=1).sum()
    assert lit_long > 2 * lit_short  # several lines of text, not one clipped line


def test_text_needs_words_and_a_real_colour(cat: Image) -> None:
    with pytest.raises(ValueError, match="no caption"):
        run_node("image:text", {"image": cat})
    with pytest.raises(ValueError, match="color"):
        run_node("image:text", {"image": cat}, text="x", color="blurple")


def test_grid_lays_out_rows_and_columns(cat: Image) -> None:
    out = run_node("image:grid", {"images": [cat] * 5}, columns=3, cell_width=40, gap=2)["image"]
    cell_h = round(80 * 40 / 120)
    assert pil_of(out).size == (3 * 40 + 4 * 2, 2 * cell_h + 3 * 2)


def test_grid_needs_images() -> None:
    with pytest.raises(ValueError, match="at least one"):
        run_node("image:grid", {"images": []})


@pytest.mark.parametrize("kind", ["gradient", "noise", "shapes", "checker"])
def test_pattern_is_seeded(kind: str) -> None:
    a = run_node("image:pattern", kind=kind, width=64, height=48, seed=7)["image"]
    b = run_node("image:pattern", kind=kind, width=64, height=48, seed=7)["image"]
    assert pil_of(a).size == (64, 48)
    assert a == b
    assert np.asarray(pil_of(a)).std() > 5  # not a flat fill
    if kind != "checker":
        c = run_node("image:pattern", kind=kind, width=64, height=48, seed=8)["image"]
        assert a != c


def test_pattern_rejects_huge_sizes() -> None:
    with pytest.raises(ValueError, match="8192"):
        run_node("image:pattern", width=10_000)
