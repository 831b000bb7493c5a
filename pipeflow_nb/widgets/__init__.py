"""Notebook widgets: the live pipeline graph, its inspector, output previews, run views.

Widgets only render models and events; the controller in :mod:`pipeflow_nb.display`
feeds them. The widget classes need ``ipywidgets`` and ``ipycytoscape``
(``pip install 'pipeflow-nb[widgets]'``) and load on first use, so the pure modules
(:mod:`~pipeflow_nb.widgets.elements`, :mod:`~pipeflow_nb.widgets.state`,
:mod:`~pipeflow_nb.widgets.summary`) import without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "AudioPreview": "pipeflow_nb.widgets.previews",
    "BatchGrid": "pipeflow_nb.widgets.runs",
    "ExecutionView": "pipeflow_nb.widgets.runs",
    "ImagePreview": "pipeflow_nb.widgets.previews",
    "Inspector": "pipeflow_nb.widgets.inspector",
    "JsonPreview": "pipeflow_nb.widgets.previews",
    "LinkPreview": "pipeflow_nb.widgets.previews",
    "OutputsStrip": "pipeflow_nb.widgets.outputs",
    "PipelineGraph": "pipeflow_nb.widgets.graph",
    "TextPreview": "pipeflow_nb.widgets.previews",
    "UnloadedPreview": "pipeflow_nb.widgets.previews",
    "VideoPreview": "pipeflow_nb.widgets.previews",
    "preview": "pipeflow_nb.widgets.previews",
}

__all__ = [
    "AudioPreview",
    "BatchGrid",
    "ExecutionView",
    "ImagePreview",
    "Inspector",
    "JsonPreview",
    "LinkPreview",
    "OutputsStrip",
    "PipelineGraph",
    "TextPreview",
    "UnloadedPreview",
    "VideoPreview",
    "preview",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeflow_nb.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


if TYPE_CHECKING:  # pragma: no cover - names the lazy attributes for type checkers
    from pipeflow_nb.widgets.graph import PipelineGraph
    from pipeflow_nb.widgets.inspector import Inspector
    from pipeflow_nb.widgets.outputs import OutputsStrip
    from pipeflow_nb.widgets.previews import (
        AudioPreview,
        ImagePreview,
        JsonPreview,
        LinkPreview,
        TextPreview,
        UnloadedPreview,
        VideoPreview,
        preview,
    )
    from pipeflow_nb.widgets.runs import BatchGrid, ExecutionView
