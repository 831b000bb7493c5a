"""Turn a node's Python output values into the wire's :class:`NodeOutput`.

Media values are saved into the artifact store and described by a :class:`MediaRef`
whose URL comes from ``url_for(key)`` (``artifact:<key>`` unless the caller serves the
store over HTTP, as the reference server does).
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Callable, Mapping
from typing import Any

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine._fast import build, build_from
from pipeflow_nb.media import Audio, Image, Media, Video
from pipeflow_nb.models.execution import MediaRef, NodeOutput
from pipeflow_nb.sources import ARTIFACT_SCHEME

__all__ = ["artifact_url", "stored_media", "to_node_output"]

UrlFor = Callable[[str], str]


def artifact_url(key: str) -> str:
    """The default media URL: ``artifact:<key>``."""
    return ARTIFACT_SCHEME + key


def _media_ref(media: Media, port: str, artifacts: ArtifactStore, url_for: UrlFor) -> MediaRef:
    key = artifacts.put_media(media)
    width = height = duration_ms = None
    if isinstance(media, Image):
        width, height = media.width, media.height
    elif isinstance(media, Video):
        meta = media.metadata
        width, height, duration_ms = meta.get("width"), meta.get("height"), meta.get("duration_ms")
    elif isinstance(media, Audio):
        duration_ms = media.metadata.get("duration_ms")
    return build(
        MediaRef,
        url=url_for(key),
        content_type=media.content_type,
        width=width,
        height=height,
        duration_ms=duration_ms,
        port=port,
    )


def to_node_output(
    outputs: Mapping[str, Any],
    *,
    artifacts: ArtifactStore,
    url_for: UrlFor = artifact_url,
) -> NodeOutput:
    """Describe ``{port: value}`` as a :class:`NodeOutput`, saving media into ``artifacts``.

    Images, videos and audio (also inside lists) become media references; strings are
    text (several text ports are joined by blank lines); everything else is JSON (one
    value, or a dict by port when several ports hold JSON).
    """
    if len(outputs) == 1:
        (value,) = outputs.values()
        if isinstance(value, int | float | bool | dict) or value is None:
            # The common case of one JSON or number output, without the general walk.
            return build_from(
                NodeOutput, {"images": [], "videos": [], "audio": [], "text": None, "json_": value}
            )
    refs: dict[str, list[MediaRef]] = {"images": [], "videos": [], "audio": []}
    texts: list[str] = []
    json_values: dict[str, Any] = {}
    for port, value in outputs.items():
        items = value if isinstance(value, list) and value else [value]
        if all(isinstance(v, Media) for v in items):
            for media in items:
                ref = _media_ref(media, port, artifacts, url_for)
                bucket = (
                    "images"
                    if isinstance(media, Image)
                    else "videos"
                    if isinstance(media, Video)
                    else "audio"
                )
                refs[bucket].append(ref)
        elif isinstance(value, str):
            texts.append(str(value))
        elif value is not None:
            json_values[port] = _json_safe(value)
    json_value: Any = None
    if len(json_values) == 1:
        json_value = next(iter(json_values.values()))
    elif json_values:
        json_value = json_values
    return build(
        NodeOutput,
        images=refs["images"],
        videos=refs["videos"],
        audio=refs["audio"],
        text="\n\n".join(texts) if texts else None,
        json_=json_value,
    )


def _json_safe(value: Any) -> Any:
    """The value if it is JSON; else its ``tolist()`` (numpy), else a short description.

    ANY ports (notebook cell nodes, say) carry arbitrary Python objects; the wire
    description must still serialise, while the Python value stays in ``outputs``.
    """
    if isinstance(value, bool | int | float):
        return value
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        pass
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and getattr(value, "size", _JSON_ITEMS + 1) <= _JSON_ITEMS:
        try:
            converted = tolist()
            json.dumps(converted)
            return converted
        except (TypeError, ValueError):
            pass
    return {"$type": type(value).__name__, "repr": reprlib.repr(value)}


_JSON_ITEMS = 10_000


def stored_media(outputs: Mapping[str, Any], artifacts: ArtifactStore) -> dict[str, Any]:
    """The same outputs with each media value replaced by a lazy one read from the store.

    Used for batch runs so a thousand runs' media stay on disk rather than in memory.
    Outputs without media are returned as they are.
    """
    if not any(isinstance(v, Media | list) for v in outputs.values()):
        return dict(outputs) if not isinstance(outputs, dict) else outputs
    result: dict[str, Any] = {}
    for port, value in outputs.items():
        if isinstance(value, Media):
            result[port] = artifacts.media(artifacts.put_media(value))
        elif isinstance(value, list) and value and all(isinstance(v, Media) for v in value):
            result[port] = [artifacts.media(artifacts.put_media(v)) for v in value]
        else:
            result[port] = value
    return result
