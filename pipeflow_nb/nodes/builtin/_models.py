"""Optional packages and heavy models: imported on demand, loaded once per process.

Node functions call :func:`require` to import an optional package (a clear
:class:`MissingDependencyError` names the pip extra when it is absent) and :func:`shared`
to build a model the first time it is needed and reuse it afterwards. Loading is
thread-safe: the engine runs sync nodes in worker threads, and two threads asking for the
same model at once wait for one load rather than loading it twice. The AI node types
also declare ``concurrency=1``: each library already uses both cores of a small machine,
so the engine runs one call of a model at a time and schedules other work meanwhile.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, TypeVar

from pipeflow_nb.errors import MissingDependencyError

__all__ = ["exclusive", "forget", "loaded", "require", "shared"]

T = TypeVar("T")

_models: dict[str, Any] = {}
_locks: dict[str, threading.Lock] = {}
_use_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def require(module: str, install_hint: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` carrying ``install_hint``.

    >>> av = require("av", "pip install 'pipeflow-nb[media]'")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module, install_hint) from exc
    except OSError as exc:  # a wheel whose shared library needs a missing system package
        raise MissingDependencyError(module, f"{install_hint} ({exc})") from exc


def shared(key: str, build: Callable[[], T]) -> T:
    """The process-wide object stored under ``key``, built by ``build()`` on first use."""
    try:
        return _models[key]  # type: ignore[no-any-return]
    except KeyError:
        pass
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        if key not in _models:
            _models[key] = build()
        return _models[key]  # type: ignore[no-any-return]


@contextmanager
def exclusive(key: str) -> Iterator[None]:
    """Hold the lock of ``key`` while using a model whose library is not thread-safe."""
    with _guard:
        lock = _use_locks.setdefault(key, threading.Lock())
    with lock:
        yield


def loaded() -> list[str]:
    """Keys of the models loaded so far in this process."""
    return sorted(_models)


def forget(key: str | None = None) -> None:
    """Drop one loaded model (or all of them) so the memory can be reclaimed."""
    with _guard:
        if key is None:
            _models.clear()
        else:
            _models.pop(key, None)
