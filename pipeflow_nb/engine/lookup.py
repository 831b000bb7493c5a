"""How a node run meets the cache: its fingerprint, a hit, a wait, or why it re-runs."""

from __future__ import annotations

import concurrent.futures
import logging
from typing import TYPE_CHECKING, Any

from pipeflow_nb.engine.cache import Fingerprint, RerunReason, cache_key
from pipeflow_nb.engine.runstate import RunNode, RunOptions

if TYPE_CHECKING:
    from pipeflow_nb.engine.executor import Engine

__all__ = ["CacheLookup"]

_log = logging.getLogger(__name__)


class CacheLookup:
    """The cache side of one execution: look nodes up, record their results."""

    def __init__(self, engine: Engine, options: RunOptions):
        self.engine = engine
        self.options = options

    def __repr__(self) -> str:
        return f"CacheLookup({self.options.execution_id}, {self.engine.cache!r})"

    def fingerprint(self, st: RunNode, inputs: dict[str, Any]) -> Fingerprint | None:
        """The node's cache fingerprint, or ``None`` when a value has no stable hash."""
        spec = st.step.definition.spec
        try:
            return cache_key(spec.node_type, spec.version, st.step.resolved, inputs)
        except TypeError:  # a value with no stable form: this node is not cached
            return None

    def identity(self, st: RunNode) -> str:
        """The node as fingerprints remember it: workflow identity and node id."""
        return f"{self.options.identity}/{st.step.id}"

    def lookup(
        self, st: RunNode, inputs: dict[str, Any]
    ) -> tuple[Fingerprint | None, dict[str, Any] | None, concurrent.futures.Future[None] | None]:
        """``(fingerprint, cached outputs, in-flight run to wait for)``; sets the rerun reason."""
        cache = self.engine.cache
        if cache is None:
            return None, None, None
        fp = self.fingerprint(st, inputs)
        if fp is None:
            st.reason = RerunReason.NOT_CACHED
            return None, None, None
        step = st.step
        if self.options.force:
            st.reason = RerunReason.FORCED
            return fp, None, None
        if not step.definition.spec.deterministic and not step.pinned:
            st.reason = RerunReason.NON_DETERMINISTIC
            return fp, None, None
        hit = cache.get(fp.key)
        if hit is not None:
            return fp, hit, None
        waiting = self.engine.claim(fp.key)
        if waiting is None:
            st.claimed = fp.key
            st.reason = fp.reason_against(cache.last_fingerprint(self.identity(st)))
        return fp, None, waiting

    def after_wait(self, st: RunNode, fp: Fingerprint) -> dict[str, Any] | None:
        """The outputs another run just computed for ``fp``, or ``None`` if it failed."""
        cache = self.engine.cache
        assert cache is not None
        hit = cache.get(fp.key)
        if hit is None:
            st.reason = fp.reason_against(cache.last_fingerprint(self.identity(st)))
        return hit

    def store(
        self,
        st: RunNode,
        fingerprint: Fingerprint | None,
        outputs: dict[str, Any],
        duration_s: float,
    ) -> None:
        """Keep a node's fresh outputs (on disk too when worth it) and its fingerprint."""
        cache = self.engine.cache
        if cache is None or fingerprint is None:
            return
        spec = st.step.definition.spec
        try:
            persist = cache.should_persist(duration_s, spec.credits, outputs)
            cache.put(fingerprint.key, outputs, persist=persist)
            cache.record(self.identity(st), fingerprint, persist=persist)
        except OSError as exc:  # a full or read-only disk costs the cache, not the result
            _log.warning("could not cache the result of node %s: %s", st.step.id, exc)
