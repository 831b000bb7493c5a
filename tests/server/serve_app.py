"""Serve the app with the test node types: ``python -m tests.server.serve_app HOME PORT [WORKERS]``.

The restart test runs this in a child process so it can kill it like a crashed server.
"""

from __future__ import annotations

import sys

import uvicorn

from pipeflow_nb.server import create_app
from tests.server.nodes import make_registry


def main(argv: list[str]) -> None:
    home, port = argv[0], int(argv[1])
    workers = int(argv[2]) if len(argv) > 2 else 1
    policy = argv[3] if len(argv) > 3 else "rerun"
    app = create_app(home, registry=make_registry(), max_workers=workers, recover_running=policy)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
