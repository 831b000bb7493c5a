"""Notebook widgets: the live pipeline graph, its inspector, output previews, run views.

Widgets only render models and events; the controller in :mod:`pipeflow_nb.display`
feeds them. Importing this package needs ``ipywidgets`` and ``ipycytoscape``
(``pip install 'pipeflow-nb[widgets]'``).
"""

from pipeflow_nb.widgets.graph import PipelineGraph
from pipeflow_nb.widgets.inspector import Inspector
from pipeflow_nb.widgets.previews import (
    AudioPreview,
    ImagePreview,
    JsonPreview,
    LinkPreview,
    TextPreview,
    VideoPreview,
    preview,
)

__all__ = [
    "AudioPreview",
    "ImagePreview",
    "Inspector",
    "JsonPreview",
    "LinkPreview",
    "PipelineGraph",
    "TextPreview",
    "VideoPreview",
    "preview",
]
