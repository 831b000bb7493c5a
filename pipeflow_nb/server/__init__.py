"""The reference server: the pipeline service API over SQLite and the local engine.

Importing :mod:`pipeflow_nb` does not import this package, and importing this package
loads FastAPI and uvicorn only when :func:`create_app` or :class:`BackgroundServer` is
first used (so the CLI's ``keys`` commands stay light).

>>> from pipeflow_nb.server import BackgroundServer
>>> with BackgroundServer(tmp_path) as server:
...     base_url = server.base_url
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["BackgroundServer", "create_app"]

_LAZY = {
    "BackgroundServer": "pipeflow_nb.server.background",
    "create_app": "pipeflow_nb.server.app",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeflow_nb.server' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover
    from pipeflow_nb.server.app import create_app
    from pipeflow_nb.server.background import BackgroundServer
