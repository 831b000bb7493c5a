"""Video nodes, checked by decoding the MP4s with PyAV directly."""

from __future__ import annotations

import numpy as np
import pytest

from pipeflow_nb.media import Audio, Image, Video
from tests.nodes.helpers import frames_of, pil_of, probe_video, run_node


def _zoom(cat: Image, **params: object) -> Video:
    return run_node("video:from-image", {"image": cat}, **params)["video"]  # type: ignore[no-any-return]


def test_from_image_writes_browser_ready_h264(cat: Image) -> None:
    video = _zoom(cat, seconds=1.0, fps=12, width=101)  # odd width must become even
    facts = probe_video(video)
    assert (facts.codec, facts.pix_fmt) == ("h264", "yuv420p")
    assert (facts.width, facts.height) == (100, 66)
    assert facts.frames == 12
    assert facts.duration_s == pytest.approx(1.0, abs=0.01)
    assert facts.faststart
    assert video.content_type == "video/mp4"


def test_zoom_in_ends_closer_than_it_starts(cat: Image) -> None:
    frames = frames_of(_zoom(cat, seconds=0.5, fps=10, zoom=2.0))

    # Zooming in magnifies: neighbouring pixels grow more alike.
    def roughness(f: np.ndarray) -> float:  # type: ignore[type-arg]
        return float(np.abs(np.diff(f.astype(int), axis=1)).mean())

    assert roughness(frames[-1]) < 0.8 * roughness(frames[0])


def test_pan_moves_the_picture(cat: Image) -> None:
    frames = frames_of(_zoom(cat, motion="pan-right", seconds=0.5, fps=10, zoom=1.5))
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 5


def test_from_image_rejects_bad_timing(cat: Image) -> None:
    with pytest.raises(ValueError, match="seconds"):
        _zoom(cat, seconds=0)
    with pytest.raises(ValueError, match="zoom"):
        _zoom(cat, zoom=0.5)


def test_slideshow_cross_fades(cat: Image) -> None:
    black = Image.from_array(np.zeros((80, 120, 3), np.uint8))
    video = run_node(
        "video:slideshow", {"images": [black, cat]}, seconds_per_image=1.0, fade=0.5, fps=10
    )["video"]
    facts = probe_video(video)
    assert (facts.codec, facts.pix_fmt, facts.frames) == ("h264", "yuv420p", 20)
    means = [f.mean() for f in frames_of(video)]
    assert means[0] < 3  # black slide
    assert means[4] < 3 < means[7] < means[12]  # the fade brightens towards the cat


def test_add_audio_longest_holds_the_last_frame(cat: Image) -> None:
    video = _zoom(cat, seconds=1.0, fps=10)
    tone = run_node("audio:tone", seconds=2.0)["audio"]
    out = run_node("video:add-audio", {"video": video, "audio": tone})["video"]
    facts = probe_video(out)
    assert facts.audio_codec == "aac"
    assert facts.frames == 20
    assert facts.duration_s == pytest.approx(2.0, abs=0.05)
    assert facts.audio_duration_s == pytest.approx(2.0, abs=0.1)
    frames = frames_of(out)
    held = np.abs(frames[12].astype(int) - frames[19].astype(int)).mean()
    moving = np.abs(frames[0].astype(int) - frames[9].astype(int)).mean()
    assert held < 1.0 < moving  # the last frame is held (up to codec noise)


def test_add_audio_fit_video_keeps_the_video_length(cat: Image) -> None:
    video = _zoom(cat, seconds=1.0, fps=10)
    tone = run_node("audio:tone", seconds=2.0)["audio"]
    facts = probe_video(
        run_node("video:add-audio", {"video": video, "audio": tone}, fit="video")["video"]
    )
    assert facts.frames == 10
    assert facts.audio_duration_s == pytest.approx(1.0, abs=0.1)


def test_to_gif_is_animated_and_resized(cat: Image) -> None:
    gif = run_node("video:to-gif", {"video": _zoom(cat, seconds=1.0, fps=12)}, fps=6, width=60)[
        "image"
    ]
    pil = pil_of(gif)
    assert gif.content_type == "image/gif"
    assert pil.format == "GIF" and pil.size == (60, 40)
    assert pil.n_frames == 6


def test_frame_picks_by_time(cat: Image) -> None:
    video = run_node(
        "video:slideshow",
        {"images": [Image.from_array(np.zeros((40, 60, 3), np.uint8)), cat]},
        seconds_per_image=1.0,
        fade=0.0,
        fps=10,
    )["video"]
    first = np.asarray(pil_of(run_node("video:frame", {"video": video}, time=0.0)["image"]))
    last = np.asarray(pil_of(run_node("video:frame", {"video": video}, time=-0.01)["image"]))
    assert first.mean() < 3 < last.mean()
    with pytest.raises(ValueError, match="outside the video"):
        run_node("video:frame", {"video": video}, time=5.0)


def test_a_broken_video_is_a_media_error() -> None:
    from pipeflow_nb.errors import MediaError

    with pytest.raises(MediaError, match="cannot decode video"):
        run_node("video:frame", {"video": Video(b"\x00\x00\x00\x18ftypjunk" + b"\x00" * 64)})


def test_audio_type_is_checked_at_the_port() -> None:
    tone = run_node("audio:tone", seconds=0.1)["audio"]
    assert isinstance(tone, Audio)


def test_encoding_reports_progress(cat: Image) -> None:
    reports: list[tuple[float, float, str | None]] = []
    run_node("video:from-image", {"image": cat}, progress=reports, seconds=2.0, fps=20)
    assert reports[-1] == (40, 40, "encoding")
    values = [value for value, _, _ in reports]
    assert values == sorted(values) and 10 <= len(values) <= 21


def test_a_cancelled_execution_stops_encoding(cat: Image) -> None:
    from pipeflow_nb.errors import NodeExecutionError
    from pipeflow_nb.nodes.context import NodeContext
    from pipeflow_nb.nodes.registry import default_registry

    definition = default_registry().get("video:from-image")
    ctx = NodeContext(node_id="zoom", node_type="video:from-image")
    ctx.cancel_event.set()
    with pytest.raises(NodeExecutionError, match="'zoom': cancelled after 0 of 24 frames"):
        definition.func(**definition.call_args({"image": cat}, {"seconds": 1.0, "fps": 24}, ctx))
