from __future__ import annotations

import numpy as np

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine.outputs import stored_media, to_node_output
from pipeflow_nb.media import Image


def test_media_are_saved_and_referenced_with_the_given_url(store: ArtifactStore) -> None:
    image = Image.from_array(np.zeros((2, 3, 3), dtype="uint8"))
    output = to_node_output(
        {"image": image, "caption": "a box", "score": 0.5},
        artifacts=store,
        url_for=lambda key: f"/api/v1/files/{key}",
    )
    key = image.sha256 + ".png"
    assert [r.url for r in output.images] == [f"/api/v1/files/{key}"]
    assert (output.images[0].width, output.images[0].height, output.images[0].port) == (
        3,
        2,
        "image",
    )
    assert store.get(key) == image.data
    assert output.text == "a box"
    assert output.json_ == 0.5
    assert output.to_wire()["images"][0]["contentType"] == "image/png"


def test_several_text_and_json_ports(store: ArtifactStore) -> None:
    output = to_node_output({"a": "one", "b": "two", "x": 1, "y": [2]}, artifacts=store)
    assert output.text == "one\n\ntwo"
    assert output.json_ == {"x": 1, "y": [2]}
    assert to_node_output({"n": 3}, artifacts=store).to_wire() == {
        "images": [],
        "videos": [],
        "audio": [],
        "json": 3,
    }


def test_stored_media_reads_back_from_the_store(store: ArtifactStore) -> None:
    image = Image.from_array(np.ones((2, 2, 3), dtype="uint8"))
    kept = stored_media({"image": image, "n": 1}, store)
    assert kept["n"] == 1
    assert kept["image"] == image
    assert kept["image"].path == store.path(image.sha256 + ".png")
