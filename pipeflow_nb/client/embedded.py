"""The embedded default: a reference server on 127.0.0.1 for clients with nothing configured.

The first client request without a base URL (argument or ``PIPEFLOW_BASE_URL``) starts one
server for the whole process, on a free loopback port, with the user's ``PIPEFLOW_HOME``,
its dev key and the process's default node registry, so ``@node`` functions defined in a
notebook run there. It stops when the interpreter exits. Nothing happens at import.
"""

from __future__ import annotations

import atexit
import importlib
import threading
from typing import Any

__all__ = ["ensure_server", "running_server", "stop_server"]

_lock = threading.Lock()
_server: Any = None
_address: tuple[str, str | None] | None = None


def ensure_server() -> tuple[str, str | None]:
    """``(base_url, api_key)`` of the embedded server, starting it on first use.

    The key is ``None`` when the home has keys but no saved dev key (set
    ``PIPEFLOW_API_KEY`` then).
    """
    global _server, _address
    with _lock:
        if _address is None:
            try:
                # Imported by name: the server stack is an optional extra.
                background = importlib.import_module("pipeflow_nb.server.background")
            except ImportError as exc:
                from pipeflow_nb.errors import MissingDependencyError

                raise MissingDependencyError(
                    f"the embedded reference server ({exc.name or exc})",
                    'pip install "pipeflow-nb[server]", or set PIPEFLOW_BASE_URL',
                ) from None
            from pipeflow_nb.artifacts import default_home
            from pipeflow_nb.nodes.registry import default_registry

            server = background.BackgroundServer(default_home(), registry=default_registry())
            base_url = server.start()
            key = server.api_key
            _server, _address = server, (str(base_url), str(key) if key else None)
            atexit.register(stop_server)
        return _address


def running_server() -> Any:
    """The embedded server, or ``None`` when none was started."""
    return _server


def stop_server() -> None:
    """Stop the embedded server (idempotent); the next request starts a new one."""
    global _server, _address
    with _lock:
        server, _server, _address = _server, None, None
    if server is not None:
        server.stop()
