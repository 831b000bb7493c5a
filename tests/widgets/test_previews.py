from __future__ import annotations

import io

import ipywidgets as w
import pytest
from PIL import Image as PILImage

from pipeflow_nb.media import Image, Media
from pipeflow_nb.models.execution import MediaRef, NodeOutput
from pipeflow_nb.widgets.previews import (
    THUMBNAIL_PX,
    AudioPreview,
    ImagePreview,
    JsonPreview,
    LinkPreview,
    TextPreview,
    VideoPreview,
    output_previews,
    preview,
)
from tests.widgets.samples import beep, gradient_image, tiny_video


def test_image_preview_sends_png_bytes_as_a_thumbnail_and_toggles_full_size() -> None:
    img = gradient_image(200, 100)
    p = preview(img, name="image")
    assert isinstance(p, ImagePreview)
    # ipywidgets keeps bytes traits as memoryviews: they travel as binary comm buffers.
    assert isinstance(p.image.value, bytes | memoryview)
    assert bytes(p.image.value) == img.data
    assert p.image.format == "png"
    with PILImage.open(io.BytesIO(bytes(p.image.value))) as decoded:
        assert decoded.size == (200, 100)
    assert p.image.layout.width == f"{THUMBNAIL_PX}px"
    assert repr(p) == "ImagePreview('image': png 200×100, thumbnail)"
    p.toggle.value = True
    assert p.full_size and p.image.layout.width == "200px"
    assert repr(p) == "ImagePreview('image': png 200×100, full size)"
    p.toggle.value = False
    assert p.image.layout.width == f"{THUMBNAIL_PX}px"


def test_jpeg_keeps_its_format() -> None:
    jpeg = Image.from_pil(gradient_image().to_pil(), format="JPEG")
    assert preview(jpeg).image.format == "jpeg"


def test_video_preview_is_a_player_with_mp4_bytes() -> None:
    video = tiny_video(frames=5)
    p = preview(video, name="video")
    assert isinstance(p, VideoPreview)
    assert bytes(p.video.value) == video.data and bytes(p.video.value[4:8]) == b"ftyp"
    assert p.video.format == "mp4"
    assert (p.video.controls, p.video.autoplay, p.video.loop) == (True, False, False)
    assert repr(p) == "VideoPreview('video': mp4)"


def test_audio_preview_is_a_player_with_wav_bytes() -> None:
    audio = beep()
    p = preview(audio, name="audio")
    assert isinstance(p, AudioPreview)
    assert bytes(p.audio.value[:4]) == b"RIFF" and p.audio.format == "wav"
    assert p.audio.controls and not p.audio.autoplay
    assert repr(p) == "AudioPreview('audio': wav)"


def test_text_and_json_previews_escape_and_pretty_print() -> None:
    t = preview("<script>alert(1)</script>", name="text")
    assert isinstance(t, TextPreview)
    assert "<script>" not in t.value and "&lt;script&gt;" in t.value
    assert repr(t) == "TextPreview('text': 25 chars)"
    j = preview({"b": 1, "a": [1, 2]}, name="json")
    assert isinstance(j, JsonPreview)
    assert "&quot;a&quot;: [" in j.value
    assert j.value.index("&quot;a") < j.value.index("&quot;b")
    assert repr(j) == "JsonPreview('json': dict)"
    assert isinstance(preview(3.5), JsonPreview)
    assert isinstance(preview(True), JsonPreview)


def test_long_text_is_cut() -> None:
    t = preview("x" * 10_000)
    assert t.value.count("x") < 5000 and "…" in t.value


def test_media_without_a_preview_kind_and_unknown_values_fall_back_to_text() -> None:
    blob = Media(b"\x00\x01", content_type="application/octet-stream")
    assert isinstance(preview(blob), TextPreview)
    assert isinstance(preview(object()), TextPreview)


def test_media_refs_become_links_and_fetch_nothing() -> None:
    ref = MediaRef(url="https://cdn.example/x.png", content_type="image/png", width=4, height=3)
    p = preview(ref, name="image")
    assert isinstance(p, LinkPreview)
    assert 'href="https://cdn.example/x.png"' in p.value and "4×3" in p.value


def test_output_previews_prefer_python_values_then_the_wire_description() -> None:
    img = gradient_image()
    assert [repr(x) for x in output_previews({"image": img, "n": 2})] == [
        "ImagePreview('image': png 64×48, thumbnail)",
        "JsonPreview('n': int)",
    ]
    wire = NodeOutput(images=[MediaRef(url="/f/a.png", port="image")], text="hi", json={"k": 1})
    assert [type(x).__name__ for x in output_previews({}, wire)] == [
        "LinkPreview",
        "TextPreview",
        "JsonPreview",
    ]
    assert output_previews({}, None) == []


@pytest.mark.parametrize("value", [gradient_image(), "text", {"a": 1}])
def test_every_preview_is_a_widget_with_a_stable_repr(value: object) -> None:
    a, b = preview(value, name="x"), preview(value, name="x")
    assert isinstance(a, w.Widget)
    assert repr(a) == repr(b) and "0x" not in repr(a)


def test_media_bytes_leave_as_binary_buffers_not_base64_json() -> None:
    from ipywidgets.widgets.widget import _remove_buffers

    for p, inner in (
        (preview(gradient_image()), "image"),
        (preview(tiny_video(frames=3)), "video"),
        (preview(beep()), "audio"),
    ):
        state, paths, buffers = _remove_buffers(getattr(p, inner).get_state())
        assert paths == [["value"]]
        assert len(buffers) == 1 and len(buffers[0]) > 0
        assert "value" not in state


def test_lazy_media_are_not_read_by_the_widget(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pipeflow_nb.artifacts import ArtifactStore

    store = ArtifactStore(tmp_path)
    lazy = store.media(store.put_media(gradient_image()))
    lazy.path.unlink()  # any read would now fail loudly
    p = preview(lazy, name="image")
    assert repr(p) == "UnloadedPreview('image': image/png)"
    assert "not loaded" in p.value
