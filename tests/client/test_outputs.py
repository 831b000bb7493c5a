"""Reported outputs become local values from the artifact store (pure)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.client._outputs import artifact_key, decode_data_url, local_values, with_outputs
from pipeflow_nb.media import Image
from pipeflow_nb.models import Execution, NodeOutput

KEY = "ab" * 32 + ".png"


def test_artifact_key_from_urls() -> None:
    assert artifact_key(f"artifact:{KEY}") == KEY
    assert artifact_key(f"/api/v1/files/{KEY}") == KEY
    assert artifact_key(f"https://cdn.example/x/{KEY}?sig=1") == KEY
    assert artifact_key("https://cdn.example/x/photo.png") is None
    assert artifact_key("artifact:../../etc/passwd") is None


def test_data_urls() -> None:
    assert decode_data_url("data:text/plain;base64,aGk=") == (b"hi", "text/plain")
    assert decode_data_url("data:,a%20b") == (b"a b", "application/octet-stream")
    assert decode_data_url("https://x") is None


def test_values_by_port_with_fallback_names(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    key = store.put_media(Image.from_array(np.zeros((2, 2, 3), np.uint8)))
    output = NodeOutput.model_validate(
        {
            "images": [{"url": "u1", "port": "mask"}, {"url": "u2"}, {"url": "missing"}],
            "text": "caption",
            "json": {"n": 1},
        }
    )
    values = local_values(output, {"u1": key, "u2": key}, store)
    assert sorted(values) == ["image_1", "json", "mask", "text"]
    assert isinstance(values["mask"], Image) and values["text"] == "caption"
    execution = Execution.model_validate(
        {"id": "e", "nodeRuns": [{"nodeId": "a", "output": output.to_wire()}, {"nodeId": "b"}]}
    )
    filled = with_outputs(execution, {"u1": key}, store)
    assert list(filled.outputs) == ["a"] and filled.output("a", "mask").width == 2
    assert execution.outputs == {}  # the original is untouched
