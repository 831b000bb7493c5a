"""``BackgroundServer``: the reference server on loopback in a daemon thread.

The client's embedded mode uses it, so a notebook gets a real server without a terminal.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.server.context import API_PREFIX

__all__ = ["BackgroundServer"]


class BackgroundServer:
    """Runs :func:`create_app` under uvicorn in a daemon thread.

    ``port=0`` picks a free port; :meth:`start` returns the base URL
    (``http://127.0.0.1:<port>/api/v1``) once the server accepts connections.
    """

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        registry: NodeRegistry | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        **settings: Any,
    ):
        self.home = home
        self.registry = registry
        self.host = host
        self.port = port
        self._settings = settings
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.api_key: str | None = None
        self.base_url: str | None = None

    def __repr__(self) -> str:
        where = self.base_url or "not started"
        return f"BackgroundServer({where})"

    def start(self, timeout_s: float = 30.0) -> str:
        """Start serving; returns the base URL (idempotent)."""
        if self.base_url is not None:
            return self.base_url
        import uvicorn

        from pipeflow_nb.server.app import create_app

        app = create_app(self.home, registry=self.registry, **self._settings)
        self.api_key = app.state.pipeflow.dev_key
        config = uvicorn.Config(
            app,
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="on",
            access_log=False,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=server.run, name="pipeflow-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the reference server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://{self.host}:{port}{API_PREFIX}"
        return self.base_url

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop serving and release the home (no-op when not running)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.should_exit = True
        if thread is not None:
            thread.join(timeout_s)
        self._server = None
        self._thread = None
        self.base_url = None

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
