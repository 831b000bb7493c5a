from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeflow_nb import ArtifactStore, Image
from pipeflow_nb.errors import MediaError
from pipeflow_nb.sources import load_media


def test_put_get_is_content_addressed(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    key = store.put(b"hello", "text/plain")
    assert key.endswith(".txt") and store.put(b"hello", "text/plain") == key
    assert store.get(key) == b"hello" and store.exists(key)
    assert list(tmp_path.rglob(".tmp-*")) == []


def test_keys_cannot_escape_the_store(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    for bad in ["../etc/passwd", "/etc/passwd", "a" * 64 + ".png/../../x", "A" * 64 + ".png"]:
        assert not store.exists(bad)
        with pytest.raises(ValueError, match="not an artifact key"):
            store.path(bad)
    with pytest.raises(KeyError, match="no artifact"):
        store.get("0" * 64 + ".png")


def test_media_round_trip_through_the_store(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    img = Image.from_array(np.full((8, 8, 3), 200, np.uint8))
    key = store.put_media(img)
    back = store.media(key)
    assert isinstance(back, Image) and back == img and back.path == store.path(key)
    assert load_media(f"artifact:{key}", Image, artifacts=store) == img


def test_load_media_from_paths_data_urls_and_bytes(tmp_path: Path) -> None:
    img = Image.from_array(np.zeros((4, 6, 3), np.uint8))
    path = img.save(tmp_path / "x.png")
    assert load_media(str(path), Image) == img
    assert load_media(img.data_url(), Image) == img
    assert load_media(img.data, Image) == img
    with pytest.raises(MediaError, match="not a file, URL or sample name"):
        load_media("/no/such/file.png", Image)
    with pytest.raises(MediaError, match="no image source given"):
        load_media("", Image)


def test_bundled_samples_load_by_name_without_the_registry() -> None:
    import subprocess
    import sys

    code = "import pipeflow_nb as pf; print(pf.Image.load('cat').width > 100)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr
