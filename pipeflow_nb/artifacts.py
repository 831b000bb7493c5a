"""A content-addressed store of artifacts on disk (the outputs behind ``/files/{key}``).

Keys are ``<sha256><ext>``, so the same bytes are stored once and a key can never name a
path outside the store. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from pipeflow_nb.media import Audio, Image, Media, Video, extension_for, sniff_content_type

__all__ = ["ArtifactStore", "default_home", "is_valid_key"]

_KEY = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{1,5}$")
_MEDIA_BY_PREFIX: dict[str, type[Media]] = {"image/": Image, "video/": Video, "audio/": Audio}


def default_home() -> Path:
    """``$PIPEFLOW_HOME``, or ``~/.pipeflow``."""
    return Path(os.environ.get("PIPEFLOW_HOME") or Path.home() / ".pipeflow").expanduser()


def is_valid_key(key: str) -> bool:
    """Whether ``key`` has the shape of an artifact key (``<64 hex><ext>``)."""
    return bool(_KEY.match(key))


class ArtifactStore:
    """Bytes on disk, addressed by their SHA-256.

    >>> store = ArtifactStore(tmp_path)
    >>> key = store.put(b"hello", "text/plain")
    >>> store.get(key)
    b'hello'
    """

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self.root = Path(root) if root is not None else default_home() / "artifacts"

    def __repr__(self) -> str:
        return f"ArtifactStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """Where the artifact lives; ``ValueError`` for anything that is not a valid key."""
        if not is_valid_key(key):
            raise ValueError(f"not an artifact key: {key!r}")
        return self.root / key[:2] / key

    def put(self, data: bytes, content_type: str | None = None) -> str:
        """Store bytes and return their key (storing the same bytes again is a no-op)."""
        content_type = content_type or sniff_content_type(data)
        key = hashlib.sha256(data).hexdigest() + extension_for(content_type)
        target = self.path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def put_media(self, media: Media) -> str:
        """Store a media value's bytes; the key reuses its hash."""
        key = media.sha256 + media.extension
        if not self.path(key).exists():
            self.put(media.data, media.content_type)
        return key

    def exists(self, key: str) -> bool:
        """Whether the key is stored."""
        return is_valid_key(key) and self.path(key).is_file()

    def get(self, key: str) -> bytes:
        """The bytes (``KeyError`` naming the key when absent)."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(f"no artifact {key!r} in {self.root}") from None

    def content_type(self, key: str) -> str:
        """The content type implied by the key's extension."""
        return sniff_content_type(b"", key)

    def media(self, key: str) -> Media:
        """The artifact as a lazily read media value (Image, Video or Audio)."""
        path = self.path(key)
        if not path.is_file():
            raise KeyError(f"no artifact {key!r} in {self.root}")
        content_type = self.content_type(key)
        cls = next((c for p, c in _MEDIA_BY_PREFIX.items() if content_type.startswith(p)), Media)
        return cls(path=path, content_type=content_type, sha256=key.split(".")[0])
