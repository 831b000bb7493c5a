"""The per-app state every route reaches through ``request.app.state.pipeflow``."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.server.auth import KeyResolver
from pipeflow_nb.server.homelock import HomeLock
from pipeflow_nb.server.limits import WindowLimiter
from pipeflow_nb.server.runner import Runner
from pipeflow_nb.server.settings import ServerSettings
from pipeflow_nb.server.store import Store

__all__ = ["API_PREFIX", "ServerContext", "ensure_dev_key", "file_url"]

API_PREFIX = "/api/v1"
log = logging.getLogger("pipeflow_nb.server")


def file_url(key: str) -> str:
    """The URL the API serves an artifact at."""
    return f"{API_PREFIX}/files/{key}"


def ensure_dev_key(store: Store, settings: ServerSettings) -> str | None:
    """On an empty home, create the dev key and save it (mode 0600); the key, or ``None``.

    When keys exist, the saved dev key (if any) is read back so embedded clients find it.
    """
    path = settings.dev_key_path
    if store.keys.count() == 0:
        plain, _ = store.keys.create(
            name="dev", plan=settings.dev_key_plan, credits=settings.dev_key_credits
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(plain + "\n")
        os.chmod(path, 0o600)
        log.warning("created a dev API key (plan %s); saved to %s", settings.dev_key_plan, path)
        return plain
    if path.is_file():
        return path.read_text().strip() or None
    return None


@dataclass
class ServerContext:
    """Settings, store, registry, artifacts, runner and limiters of one app."""

    settings: ServerSettings
    store: Store
    registry: NodeRegistry
    artifacts: ArtifactStore
    runner: Runner
    resolver: KeyResolver
    lock: HomeLock
    limiter: WindowLimiter = field(default_factory=WindowLimiter)
    dev_key: str | None = None

    @classmethod
    def open(cls, settings: ServerSettings, registry: NodeRegistry) -> ServerContext:
        """Open (and migrate) the store under ``settings.home`` and build the runner."""
        home = Path(settings.home)
        home.mkdir(parents=True, exist_ok=True)
        store = Store(settings.db_path)
        artifacts = ArtifactStore(settings.artifacts_dir)
        runner = Runner(
            store,
            registry,
            artifacts,
            max_workers=settings.max_workers,
            url_for=file_url,
            recover_policy=settings.recover_running,
            max_attempts=settings.max_attempts,
            node_timeout_s=settings.node_timeout_s,
        )
        lock = HomeLock(home)
        ctx = cls(settings, store, registry, artifacts, runner, KeyResolver(store.keys), lock)
        ctx.dev_key = ensure_dev_key(store, settings)
        return ctx

    def start(self) -> None:
        """Start the runner; it recovers interrupted runs only if no other server is live."""
        alone = self.lock.acquire()
        if not alone:
            log.warning(
                "another server is running on %s; leaving its running executions alone",
                self.settings.home,
            )
        self.runner.start(recover=alone)

    def now(self) -> float:
        """Epoch seconds from the settings' clock."""
        return self.settings.clock()

    def today(self) -> str:
        """The UTC day of :meth:`now`, ``YYYY-MM-DD``."""
        return datetime.fromtimestamp(self.now(), UTC).strftime("%Y-%m-%d")

    def close(self) -> None:
        """Stop the runner, close the store and release the home."""
        self.runner.stop()
        self.store.close()
        self.lock.release()
