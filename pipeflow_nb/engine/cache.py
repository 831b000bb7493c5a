"""Node result caching: keys, a memory cache, a persistent on-disk cache, rerun reasons.

A node's cache key is the SHA-256 of its type, its spec version, its resolved params and
the content hashes of its input values, so a node re-runs only when one of those changed.
Entries live in memory (bounded, least recently used first out) and, for work worth
keeping, on disk under the artifact store (media as artifacts, the rest pickled), so a
new process reuses finished work.

Each node also leaves a *fingerprint* (version, params hash, inputs hash) under its
identity (workflow + node id), which is how the engine tells why a node re-ran:
``not cached``, ``param changed``, ``input changed``, ``code changed``, ``forced`` or
``non-deterministic``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.media import Media, content_hash

__all__ = ["Cache", "Fingerprint", "RerunReason", "cache_key"]

_log = logging.getLogger(__name__)


class RerunReason:
    """Why a node ran instead of coming from the cache."""

    NOT_CACHED = "not cached"
    PARAM_CHANGED = "param changed"
    INPUT_CHANGED = "input changed"
    CODE_CHANGED = "code changed"
    FORCED = "forced"
    NON_DETERMINISTIC = "non-deterministic"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What a node's cache key was made of, kept to explain the next miss."""

    node_type: str
    version: str
    params: str
    inputs: str

    @property
    def key(self) -> str:
        """The cache key these parts make."""
        raw = f"{self.node_type}\x00{self.version}\x00{self.params}\x00{self.inputs}"
        return hashlib.sha256(raw.encode()).hexdigest()

    def reason_against(self, previous: Fingerprint | None) -> str:
        """Why this fingerprint misses, given the one the node had last time."""
        if previous is None or previous.node_type != self.node_type:
            return RerunReason.NOT_CACHED
        if previous.version != self.version:
            return RerunReason.CODE_CHANGED
        if previous.params != self.params:
            return RerunReason.PARAM_CHANGED
        if previous.inputs != self.inputs:
            return RerunReason.INPUT_CHANGED
        return RerunReason.NOT_CACHED


def cache_key(
    node_type: str, version: str, params: Mapping[str, Any], inputs: Mapping[str, Any]
) -> Fingerprint:
    """The fingerprint (and so the key) of a node run; ``inputs`` holds content hashes."""
    return Fingerprint(
        node_type=node_type,
        version=version,
        params=content_hash(dict(params)),
        inputs=content_hash(dict(inputs)),
    )


@dataclass(frozen=True, slots=True)
class _StoredMedia:
    cls: type[Media]
    key: str
    content_type: str


class Cache:
    """Memory plus disk cache of node outputs, shared by every execution of an engine.

    ``root`` is the disk directory (``None``: memory only). Entries whose run took at
    least ``persist_min_s`` seconds, charged credits or produced media are written to disk;
    cheaper work is recomputed rather than read back. Thread-safe.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        artifacts: ArtifactStore | None = None,
        max_entries: int = 4096,
        persist_min_s: float = 0.01,
    ):
        self.root = Path(root) if root is not None else None
        self.artifacts = artifacts or ArtifactStore(
            self.root.parent if self.root is not None else None
        )
        self.max_entries = max_entries
        self.persist_min_s = persist_min_s
        self._memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._fingerprints: dict[str, Fingerprint | None] = {}
        self._on_disk: set[str] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        where = str(self.root) if self.root is not None else "memory only"
        return f"Cache({where}, {len(self._memory)} in memory)"

    @classmethod
    def for_store(cls, artifacts: ArtifactStore, **options: Any) -> Cache:
        """The default cache of an artifact store: ``<store>/cache`` on disk."""
        return cls(artifacts.root / "cache", artifacts=artifacts, **options)

    # --- entries ---------------------------------------------------------------------------
    def get(self, key: str) -> dict[str, Any] | None:
        """The outputs stored under ``key``, from memory or disk, or ``None``."""
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
                return hit
            on_disk = self._disk_keys()
        if key not in on_disk or self.root is None:
            return None
        try:
            with open(self._entry_path(key), "rb") as fh:
                stored = pickle.load(fh)
            outputs = {port: self._revive(v) for port, v in stored.items()}
        except Exception as exc:  # a damaged or stale entry is a miss, not a failure
            _log.warning("ignoring unreadable cache entry %s: %s", key, exc)
            return None
        self._remember(key, outputs)
        return outputs

    def put(self, key: str, outputs: Mapping[str, Any], *, persist: bool = False) -> None:
        """Store outputs in memory and, with ``persist``, on disk.

        Media are kept in memory as values read lazily from the artifact store, so a
        long batch does not hold every image it made in RAM.
        """
        remembered = dict(outputs)
        for port, value in remembered.items():
            if isinstance(value, Media) or (
                isinstance(value, list) and value and isinstance(value[0], Media)
            ):
                remembered[port] = self._revive(self._freeze(value))
        self._remember(key, remembered)
        if persist and self.root is not None:
            self._write(key, outputs)

    def should_persist(self, duration_s: float, credits: int, outputs: Mapping[str, Any]) -> bool:
        """Whether a result is worth writing to disk."""
        if self.root is None:
            return False
        return (
            duration_s >= self.persist_min_s
            or credits > 0
            or any(isinstance(v, Media) for v in outputs.values())
        )

    def clear(self) -> None:
        """Forget every entry and fingerprint, in memory and on disk."""
        with self._lock:
            self._memory.clear()
            self._fingerprints.clear()
            self._on_disk = set()
        if self.root is not None and self.root.is_dir():
            for path in self.root.rglob("*"):
                if path.is_file():
                    path.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self._memory)

    # --- fingerprints ----------------------------------------------------------------------
    def last_fingerprint(self, identity: str) -> Fingerprint | None:
        """The fingerprint the node ``identity`` had when it last ran."""
        with self._lock:
            if identity in self._fingerprints:
                return self._fingerprints[identity]
        found: Fingerprint | None = None
        if self.root is not None:
            try:
                raw = json.loads(self._fingerprint_path(identity).read_text())
                found = Fingerprint(**raw)
            except (OSError, ValueError, TypeError):
                found = None
        with self._lock:
            self._fingerprints.setdefault(identity, found)
        return found

    def record(self, identity: str, fingerprint: Fingerprint, *, persist: bool = False) -> None:
        """Remember the fingerprint of the node ``identity``'s latest run."""
        with self._lock:
            self._fingerprints[identity] = fingerprint
        if persist and self.root is not None:
            body = json.dumps(
                {
                    "node_type": fingerprint.node_type,
                    "version": fingerprint.version,
                    "params": fingerprint.params,
                    "inputs": fingerprint.inputs,
                }
            )
            self._atomic_write(self._fingerprint_path(identity), body.encode())

    # --- disk ------------------------------------------------------------------------------
    def _entry_path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / "entries" / key[:2] / f"{key}.pkl"

    def _fingerprint_path(self, identity: str) -> Path:
        assert self.root is not None
        digest = hashlib.sha256(identity.encode()).hexdigest()
        return self.root / "fingerprints" / f"{digest}.json"

    def _disk_keys(self) -> set[str]:
        # Listed once per cache, so a miss costs no file-system call.
        if self._on_disk is None:
            found: set[str] = set()
            entries = self.root / "entries" if self.root is not None else None
            if entries is not None and entries.is_dir():
                found = {p.stem for p in entries.glob("*/*.pkl")}
            self._on_disk = found
        return self._on_disk

    def _write(self, key: str, outputs: Mapping[str, Any]) -> None:
        try:
            stored = {port: self._freeze(v) for port, v in outputs.items()}
            body = pickle.dumps(stored, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # values that cannot be pickled stay memory-only
            _log.debug("cache entry %s kept in memory only: %s", key, exc)
            return
        self._atomic_write(self._entry_path(key), body)
        with self._lock:
            self._disk_keys().add(key)

    def _freeze(self, value: Any) -> Any:
        if isinstance(value, Media):
            return _StoredMedia(type(value), self.artifacts.put_media(value), value.content_type)
        if isinstance(value, list) and value and all(isinstance(v, Media) for v in value):
            return [self._freeze(v) for v in value]
        return value

    def _revive(self, value: Any) -> Any:
        if isinstance(value, _StoredMedia):
            path = self.artifacts.path(value.key)
            if not path.is_file():
                raise KeyError(f"artifact {value.key} is gone")
            return value.cls(path=path, content_type=value.content_type, sha256=value.key[:64])
        if isinstance(value, list) and value and isinstance(value[0], _StoredMedia):
            return [self._revive(v) for v in value]
        return value

    @staticmethod
    def _atomic_write(path: Path, body: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _remember(self, key: str, outputs: dict[str, Any]) -> None:
        with self._lock:
            self._memory[key] = outputs
            self._memory.move_to_end(key)
            while len(self._memory) > self.max_entries:
                self._memory.popitem(last=False)
