"""input:image / input:video / input:audio and the bundled samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeflow_nb.errors import MediaError
from pipeflow_nb.samples import SAMPLE_PHOTOS, font_path
from tests.nodes.helpers import pil_of, run_node


@pytest.mark.parametrize(
    ("name", "size"), [("person", (384, 384)), ("cat", (451, 300)), ("coffee", (450, 300))]
)
def test_samples_load_by_name(name: str, size: tuple[int, int]) -> None:
    image = run_node("input:image", source=name)["image"]
    assert image.content_type == "image/jpeg"
    assert pil_of(image).size == size


def test_sample_files_are_small_and_licensed() -> None:
    folder = font_path().parent.parent
    for filename in set(SAMPLE_PHOTOS.values()):
        assert (folder / filename).stat().st_size < 80_000
        assert filename in (folder / "LICENSES.md").read_text()
    assert (folder / "fonts" / "LICENSE-DejaVu.txt").is_file()


def test_video_and_audio_inputs_read_files(tmp_path: Path) -> None:
    tone = run_node("audio:tone", seconds=0.2)["audio"]
    video = run_node(
        "video:from-image",
        {"image": run_node("input:image", source="cat")["image"]},
        seconds=0.2,
        fps=10,
        width=64,
    )["video"]
    assert run_node("input:audio", source=str(tone.save(tmp_path)))["audio"] == tone
    assert run_node("input:video", source=str(video.save(tmp_path)))["video"] == video


def test_an_unknown_source_lists_the_samples() -> None:
    with pytest.raises(MediaError, match="astronaut"):
        run_node("input:image", source="no-such-thing")
