"""The reference server: the pipeline service API over SQLite and the local engine.

Importing :mod:`pipeflow_nb` does not import this package (FastAPI and uvicorn load
only when a server is made).

>>> from pipeflow_nb.server import BackgroundServer
>>> with BackgroundServer(tmp_path) as server:
...     base_url = server.base_url
"""

from __future__ import annotations

from pipeflow_nb.server.app import create_app
from pipeflow_nb.server.background import BackgroundServer

__all__ = ["BackgroundServer", "create_app"]
