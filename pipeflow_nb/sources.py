"""Turn what a user points at (path, URL, bytes, data URL, artifact, sample) into media."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.errors import MediaError
from pipeflow_nb.media import Media, sniff_content_type

__all__ = ["ARTIFACT_SCHEME", "load_media", "register_sample", "sample_names"]

ARTIFACT_SCHEME = "artifact:"
M = TypeVar("M", bound=Media)

#: Named sample media: name → zero-argument function returning the file path.
_SAMPLES: dict[str, Callable[[], Path]] = {}


def register_sample(name: str, locate: Callable[[], Path]) -> None:
    """Make ``name`` usable wherever a media source is accepted."""
    _SAMPLES[name] = locate


def sample_names() -> list[str]:
    """Names of the registered samples (the bundled photos included)."""
    _load_bundled_samples()
    return sorted(_SAMPLES)


def _load_bundled_samples() -> None:
    # Importing the module registers the bundled photos; done on first need, not at import.
    import pipeflow_nb.samples  # noqa: F401


def load_media(
    source: Any,
    kind: type[M],
    *,
    artifacts: ArtifactStore | None = None,
    timeout_s: float = 30.0,
) -> M:
    """Load ``source`` as a ``kind`` (Image, Video or Audio).

    ``source`` may be a media value, bytes, ``artifact:<key>``, a ``data:`` URL, an
    ``http(s)://`` URL, a registered sample name or a file path.
    """
    if isinstance(source, kind):
        return source
    if isinstance(source, Media):
        raise MediaError(f"expected {kind.__name__}, got {type(source).__name__}")
    if isinstance(source, bytes | bytearray):
        return kind(bytes(source))
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str) or not source.strip():
        raise MediaError(f"no {kind.kind} source given (a path, URL, bytes or sample name)")
    source = source.strip()
    if source.startswith(ARTIFACT_SCHEME):
        store = artifacts or ArtifactStore()
        key = source[len(ARTIFACT_SCHEME) :]
        try:
            return kind(store.get(key), content_type=store.content_type(key))
        except (KeyError, ValueError) as exc:
            raise MediaError(f"no artifact {key!r}: {exc}") from None
    if source.startswith("data:"):
        header, _, payload = source.partition(",")
        content_type = header[5:].split(";")[0] or None
        try:
            data = (
                base64.b64decode(payload, validate=True)
                if ";base64" in header
                else payload.encode()
            )
        except ValueError as exc:
            raise MediaError(f"bad data URL: {exc}") from None
        return kind(data, content_type=content_type or sniff_content_type(data))
    if source.startswith(("http://", "https://")):
        return _download(source, kind, timeout_s)
    if source not in _SAMPLES:
        _load_bundled_samples()
    if source in _SAMPLES:
        return kind.from_file(_SAMPLES[source]())  # type: ignore[no-any-return]
    path = Path(source).expanduser()
    if path.is_file():
        return kind.from_file(path)  # type: ignore[no-any-return]
    known = ", ".join(sample_names()) or "none installed"
    raise MediaError(f"{source!r} is not a file, URL or sample name (samples: {known})")


def _download(url: str, kind: type[M], timeout_s: float) -> M:
    import httpx

    try:
        response = httpx.get(url, timeout=timeout_s, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise MediaError(f"cannot download {url}: {exc}") from None
    data = response.content
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    if not content_type.startswith(f"{kind.kind}/"):
        content_type = sniff_content_type(data, url.split("?")[0])
    return kind(data, content_type=content_type)
