"""Pure helpers that turn a run's reported outputs into local values from the artifact store."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeflow_nb.artifacts import ArtifactStore, is_valid_key
from pipeflow_nb.media import Text
from pipeflow_nb.models.execution import Execution, MediaRef, NodeOutput, NodeRun
from pipeflow_nb.sources import ARTIFACT_SCHEME

__all__ = [
    "artifact_key",
    "decode_data_url",
    "local_values",
    "media_refs",
    "with_outputs",
]


_KIND_BY_LIST = {"images": "image", "videos": "video", "audio": "audio"}


def artifact_key(url: str) -> str | None:
    """The artifact key a URL names (``artifact:<key>`` or ``…/files/<key>``), if any."""
    if url.startswith(ARTIFACT_SCHEME):
        key = url[len(ARTIFACT_SCHEME) :]
        return key if is_valid_key(key) else None
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return last if is_valid_key(last) else None


def decode_data_url(url: str) -> tuple[bytes, str] | None:
    """Bytes and content type of a ``data:`` URL (``None`` for any other URL)."""
    if not url.startswith("data:") or "," not in url:
        return None
    head, payload = url[5:].split(",", 1)
    content_type = head.split(";")[0] or "application/octet-stream"
    if head.endswith(";base64"):
        return base64.b64decode(payload), content_type
    return unquote(payload).encode(), content_type


def media_refs(runs: Iterable[NodeRun]) -> list[MediaRef]:
    """Every media reference in these node runs, in node order."""
    return [ref for run in runs if run.output is not None for ref in run.output.media]


def _media_names(output: NodeOutput) -> list[tuple[str, MediaRef]]:
    named: list[tuple[str, MediaRef]] = []
    for field_name, kind in _KIND_BY_LIST.items():
        refs: list[MediaRef] = getattr(output, field_name)
        for index, ref in enumerate(refs):
            fallback = kind if len(refs) == 1 else f"{kind}_{index}"
            named.append((ref.port or fallback, ref))
    return named


def local_values(
    output: NodeOutput | None, keys: Mapping[str, str], store: ArtifactStore
) -> dict[str, Any]:
    """A node's outputs by port: media from the store (when fetched), text and JSON as is."""
    if output is None:
        return {}
    values: dict[str, Any] = {}
    for name, ref in _media_names(output):
        key = keys.get(ref.url)
        if key is not None and store.exists(key):
            values[name] = store.media(key)
    if output.text is not None:
        values["text"] = Text(output.text)
    if output.json_ is not None:
        values["json"] = output.json_
    return values


def with_outputs(execution: Execution, keys: Mapping[str, str], store: ArtifactStore) -> Execution:
    """The execution with ``outputs`` filled from its node runs and the fetched artifacts."""
    outputs = {
        run.node_id: values
        for run in execution.node_runs
        if (values := local_values(run.output, keys, store))
    }
    return execution.model_copy(update={"outputs": outputs})
