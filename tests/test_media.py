from __future__ import annotations

import base64
import io
import wave

import numpy as np
import pytest
from PIL import Image as PILImage

from pipeflow_nb import Audio, Image, MediaError, Video
from pipeflow_nb.conversions import convert, image_to_still_video
from pipeflow_nb.media import content_hash, sniff_content_type
from pipeflow_nb.models import PortType


def _gradient(w: int = 64, h: int = 48) -> Image:
    arr = np.zeros((h, w, 3), np.uint8)
    arr[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)
    return Image.from_array(arr)


def test_image_from_array_pil_and_bytes_agree() -> None:
    img = _gradient()
    assert (img.width, img.height, img.content_type) == (64, 48, "image/png")
    again = Image.from_bytes(img.data)
    assert again == img and hash(again) == hash(img)
    assert Image.from_pil(img.to_pil()).to_array().shape == (48, 64, 3)
    jpeg = Image.from_pil(img.to_pil(), format="JPEG", quality=80)
    assert jpeg.content_type == "image/jpeg" and jpeg != img


def test_image_mimebundle_is_decodable_png() -> None:
    img = _gradient()
    bundle = img._repr_mimebundle_()
    decoded = PILImage.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    assert decoded.size == (64, 48)
    assert bundle["text/plain"].startswith("Image(png, 64×48, ")
    assert repr(img) == repr(Image.from_bytes(img.data))  # deterministic


def test_audio_from_array_writes_real_wav() -> None:
    t = np.linspace(0, 0.5, 8000, endpoint=False)
    audio = Audio.from_array(0.5 * np.sin(2 * np.pi * 440 * t), sample_rate=16000)
    with wave.open(io.BytesIO(audio.data)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (16000, 1, 8000)
    assert audio.duration_ms == 500 and audio.sample_rate == 16000
    samples, rate = Audio.from_bytes(audio.data).to_array()
    assert rate == 16000 and abs(float(samples.max()) - 0.5) < 0.01
    bundle = audio._repr_mimebundle_()
    assert bundle["text/html"].startswith('<audio controls src="data:audio/wav;base64,')


def test_video_is_probed_and_displayed() -> None:
    video = image_to_still_video(_gradient(65, 49), seconds=1.0, fps=10)
    meta = Video.from_bytes(video.data).metadata
    assert meta["codec"] == "h264" and meta["pix_fmt"] == "yuv420p"
    assert (meta["width"], meta["height"]) == (64, 48)  # cropped to even sizes
    assert meta["frames"] == 10
    assert "<video controls" in video._repr_mimebundle_()["text/html"]


def test_wrong_kind_and_garbage_are_clear_errors() -> None:
    with pytest.raises(MediaError, match="Image cannot hold 'audio/wav'"):
        Image(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    with pytest.raises(MediaError, match="cannot decode image"):
        Image(b"not an image at all", content_type="image/png").to_pil()
    with pytest.raises(MediaError, match="expected HxW"):
        Image.from_array(np.zeros((2, 2, 5), np.uint8))


def test_sniffing_and_hashing() -> None:
    assert sniff_content_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_content_type(b"", "clip.MP4") == "video/mp4"
    assert content_hash({"b": 1, "a": [1, 2]}) == content_hash({"a": [1, 2], "b": 1})
    assert content_hash(_gradient()) == f"image:{_gradient().sha256}"
    with pytest.raises(TypeError, match="cannot hash a value of type object"):
        content_hash({"x": object()})


def test_lazy_file_backed_media(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _gradient().save(tmp_path / "g.png")
    lazy = Image.from_file(path, lazy=True)
    assert lazy.size == path.stat().st_size and lazy.width == 64


def test_conversions_table() -> None:
    assert convert(3.0, PortType.NUMBER, PortType.TEXT) == "3"
    assert convert({"a": 1}, PortType.JSON, PortType.TEXT) == '{"a": 1}'
    assert convert('{"a": 1}', PortType.TEXT, PortType.JSON) == {"a": 1}
    still = convert(_gradient(), PortType.IMAGE, PortType.VIDEO)
    assert isinstance(still, Video)
    assert isinstance(convert(still, PortType.VIDEO, PortType.IMAGE), Image)
    with pytest.raises(TypeError, match="AUDIO value cannot feed a TEXT port"):
        convert(b"", PortType.AUDIO, PortType.TEXT)


def test_content_hash_of_arrays_and_frames() -> None:
    import numpy as np
    import pandas as pd

    a = np.arange(6).reshape(2, 3)
    assert content_hash(a) == content_hash(a.copy())
    assert content_hash(a) != content_hash(a.T.copy())
    assert content_hash(a) != content_hash(a.astype(float))
    with pytest.raises(TypeError, match="numpy array of Python objects"):
        content_hash(np.array([object()]))
    df = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert content_hash(df) == content_hash(df.copy())
    assert content_hash(df) != content_hash(df.rename(columns={"x": "z"}))
    assert content_hash(df) != content_hash(df.astype({"x": float}))
    assert content_hash(df["x"]) != content_hash(df["y"])
