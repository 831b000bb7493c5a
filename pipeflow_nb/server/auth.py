"""Who is calling: Bearer keys, their scopes and expiry, with the API's exact 401/403 bodies."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pipeflow_nb.server.problems import ApiProblem
from pipeflow_nb.server.store import ApiKey, KeyRepo, hash_key

__all__ = ["Identity", "KEY_PREFIXES", "KeyResolver", "require_scope"]

#: Accepted key prefixes (``wf_live_`` is the hosted service's spelling).
KEY_PREFIXES = ("sk-", "wf_live_")

MISSING = "Missing Authorization header"
BAD_FORMAT = "Invalid API key format. Expected: Bearer sk-..."
INVALID = "Invalid API key"
EXPIRED = "API key has expired"


@dataclass(frozen=True)
class Identity:
    """The result of reading the ``Authorization`` header: a key, or why there is none."""

    key: ApiKey | None
    problem: str | None

    def require(self) -> ApiKey:
        """The key, or the 401 that explains its absence."""
        if self.key is None:
            raise ApiProblem(401, self.problem or MISSING)
        return self.key


class KeyResolver:
    """Reads the header and finds the key; lookups are cached for a second.

    The short cache keeps per-request cost low under polling while a revocation from
    the CLI (another process) still takes effect within a second.
    """

    def __init__(self, keys: KeyRepo, *, ttl_s: float = 1.0):
        self._keys = keys
        self._ttl_s = ttl_s
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyResolver(ttl_s={self._ttl_s})"

    def identify(self, authorization: str | None) -> Identity:
        """Who an ``Authorization`` header value names."""
        if authorization is None or not authorization.strip():
            return Identity(None, MISSING)
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIXES) or " " in token:
            return Identity(None, BAD_FORMAT)
        key = self._lookup(token)
        if key is None or not key.is_active:
            return Identity(None, INVALID)
        if key.expired(datetime.now(UTC)):
            return Identity(None, EXPIRED)
        return Identity(key, None)

    def _lookup(self, token: str) -> ApiKey | None:
        digest = hash_key(token)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and now - hit[0] < self._ttl_s:
            return hit[1]
        key = self._keys.find(token)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, key)
        return key

    def forget(self) -> None:
        """Drop cached lookups (after keys change in this process)."""
        with self._lock:
            self._cache.clear()


def require_scope(identity: Identity, scope: str) -> ApiKey:
    """The caller's key if it carries ``scope``; 401 or 403 otherwise."""
    key = identity.require()
    if scope not in key.scopes:
        raise ApiProblem(403, f"Forbidden: missing scope {scope}")
    return key
