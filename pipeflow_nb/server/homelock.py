"""An exclusive lock on a server home, so only one live server recovers its runs.

Recovery after a restart requeues or fails runs left ``RUNNING``; if a second server
opened the same home while the first still runs (a terminal ``pipeflow serve`` and a
notebook's embedded server on ``~/.pipeflow``), it must not touch the first one's runs.
The lock is an ``flock`` on ``<home>/server.lock``, released when the process dies.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["HomeLock"]


class HomeLock:
    """``acquire()`` says whether this server is the only live one on the home."""

    def __init__(self, home: Path):
        self.path = home / "server.lock"
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"HomeLock({str(self.path)!r}, held={self.held})"

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock without waiting; ``False`` when another live server has it."""
        if self._fd is not None:
            return True
        try:
            import fcntl
        except ImportError:  # no flock on this platform: assume a single server
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        """Let go of the lock (closing the descriptor releases the flock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
