"""Inline previews of node outputs: image thumbnails, video and audio players, text, JSON.

Media reach the browser as bytes in the ``value`` trait of ``ipywidgets.Image`` /
``Video`` / ``Audio``, which ipywidgets sends as binary comm buffers (never base64 inside
JSON). Previews only read bytes already in memory: the controller loads lazy media
before handing them over, so no widget touches a file or the network. A media reference
that has no bytes here (a hosted URL) is shown as a link the browser may follow.

>>> preview(Image.from_array(np.zeros((48, 64, 3), np.uint8)), name="image")
ImagePreview('image': png 64×48, thumbnail)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

import ipywidgets as w

from pipeflow_nb.media import Audio, Image, Media, Video
from pipeflow_nb.models.execution import MediaRef, NodeOutput

__all__ = [
    "AudioPreview",
    "ImagePreview",
    "JsonPreview",
    "LinkPreview",
    "TextPreview",
    "UnloadedPreview",
    "VideoPreview",
    "close_tree",
    "output_previews",
    "preview",
]

THUMBNAIL_PX = 160
"""Width of an image thumbnail."""
PLAYER_PX = 260
"""Width of a video player."""
TEXT_LIMIT = 4000
"""Characters of text or JSON shown before the rest is cut."""


def _size(n: int) -> str:
    return f"{n} B" if n < 1000 else f"{n / 1000:.1f} kB" if n < 1_000_000 else f"{n / 1e6:.1f} MB"


def _format_of(content_type: str) -> str:
    sub = content_type.split(";")[0].split("/")[-1].strip().lower()
    return {"mpeg": "mp3", "x-wav": "wav", "wave": "wav"}.get(sub, sub)


def _caption(name: str | None, details: str) -> w.HTML:
    title = f"<b>{escape(name)}</b> · " if name else ""
    return w.HTML(
        f'<span class="pf-caption" style="font-size:11px;color:#546e7a">{title}'
        f"{escape(details)}</span>"
    )


class ImagePreview(w.VBox):  # type: ignore[misc]
    """An image thumbnail; the toggle below it shows it at full size."""

    def __init__(self, image: Image, *, name: str | None = None):
        self.name = name
        self.content_type = image.content_type
        self.width, self.height = image.width, image.height
        self.image = w.Image(
            value=image.data,
            format=_format_of(image.content_type),
            layout=w.Layout(width=f"{THUMBNAIL_PX}px", height="auto"),
        )
        self.image.add_class("pf-preview-image")
        self.toggle = w.ToggleButton(
            value=False,
            description="full size",
            tooltip="show the image at its full size",
            icon="expand",
            layout=w.Layout(width="110px"),
        )
        self.toggle.observe(self._on_toggle, "value")
        details = f"{_format_of(self.content_type)} {self.width}×{self.height}, {_size(image.size)}"
        super().__init__([self.image, w.HBox([self.toggle, _caption(name, details)])])
        self.add_class("pf-preview")

    @property
    def full_size(self) -> bool:
        """Whether the image is shown at full size rather than as a thumbnail."""
        return bool(self.toggle.value)

    def _on_toggle(self, change: Mapping[str, Any]) -> None:
        self.image.layout.width = f"{self.width}px" if change["new"] else f"{THUMBNAIL_PX}px"
        self.toggle.description = "thumbnail" if change["new"] else "full size"
        self.toggle.icon = "compress" if change["new"] else "expand"

    def __repr__(self) -> str:
        mode = "full size" if self.full_size else "thumbnail"
        return (
            f"ImagePreview({self.name!r}: {_format_of(self.content_type)} "
            f"{self.width}×{self.height}, {mode})"
        )


class VideoPreview(w.VBox):  # type: ignore[misc]
    """A video player (controls on, no autoplay)."""

    def __init__(self, video: Video, *, name: str | None = None):
        self.name = name
        self.content_type = video.content_type
        self.video = w.Video(
            value=video.data,
            format=_format_of(video.content_type),
            autoplay=False,
            loop=False,
            controls=True,
            layout=w.Layout(width=f"{PLAYER_PX}px"),
        )
        self.video.add_class("pf-preview-video")
        details = f"{_format_of(self.content_type)} video, {_size(video.size)}"
        super().__init__([self.video, _caption(name, details)])
        self.add_class("pf-preview")

    def __repr__(self) -> str:
        return f"VideoPreview({self.name!r}: {_format_of(self.content_type)})"


class AudioPreview(w.VBox):  # type: ignore[misc]
    """An audio player (controls on, no autoplay)."""

    def __init__(self, audio: Audio, *, name: str | None = None):
        self.name = name
        self.content_type = audio.content_type
        self.audio = w.Audio(
            value=audio.data,
            format=_format_of(audio.content_type),
            autoplay=False,
            loop=False,
            controls=True,
        )
        self.audio.add_class("pf-preview-audio")
        details = f"{_format_of(self.content_type)} audio, {_size(audio.size)}"
        super().__init__([self.audio, _caption(name, details)])
        self.add_class("pf-preview")

    def __repr__(self) -> str:
        return f"AudioPreview({self.name!r}: {_format_of(self.content_type)})"


def _pre_box(css_class: str, name: str | None, shown: str, *, wrap: bool) -> str:
    """A titled, scrollable ``<pre>`` box (text wraps; JSON keeps its lines)."""
    title = f"<b>{escape(name)}</b><br>" if name else ""
    white_space = "white-space:pre-wrap;" if wrap else ""
    return (
        f'<div class="{css_class}" style="font-size:12px">{title}'
        f'<pre style="{white_space}max-height:180px;overflow:auto;margin:2px 0;'
        f'background:#f7f9fa;padding:4px">{escape(shown)}</pre></div>'
    )


class TextPreview(w.HTML):  # type: ignore[misc]
    """Text in a scrollable box (cut after :data:`TEXT_LIMIT` characters)."""

    def __init__(self, text: str, *, name: str | None = None):
        self.name = name
        self.text = str(text)
        shown = self.text if len(self.text) <= TEXT_LIMIT else self.text[:TEXT_LIMIT] + "…"
        super().__init__(_pre_box("pf-preview-text", name, shown, wrap=True))

    def __repr__(self) -> str:
        return f"TextPreview({self.name!r}: {len(self.text)} chars)"


class JsonPreview(w.HTML):  # type: ignore[misc]
    """A JSON value (object, list, number or boolean), pretty-printed."""

    def __init__(self, value: Any, *, name: str | None = None):
        self.name = name
        self.value_ = value
        text = json.dumps(value, indent=2, sort_keys=True, default=repr, ensure_ascii=False)
        self.text = text
        shown = text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…"
        super().__init__(_pre_box("pf-preview-json", name, shown, wrap=False))

    def __repr__(self) -> str:
        return f"JsonPreview({self.name!r}: {type(self.value_).__name__})"


class LinkPreview(w.HTML):  # type: ignore[misc]
    """A media output known only by its URL (a hosted file): a link, fetched by nothing here."""

    def __init__(self, ref: MediaRef, *, name: str | None = None):
        self.name = name
        self.ref = ref
        facts = [ref.content_type or "media"]
        if ref.width and ref.height:
            facts.append(f"{ref.width}×{ref.height}")
        if ref.duration_ms:
            facts.append(f"{ref.duration_ms / 1000:.1f} s")
        title = f"<b>{escape(name)}</b> · " if name else ""
        super().__init__(
            f'<span class="pf-preview-link" style="font-size:12px">{title}'
            f'<a href="{escape(ref.url, quote=True)}" target="_blank" rel="noopener">'
            f"{escape(ref.url)}</a> ({escape(', '.join(facts))})</span>"
        )

    def __repr__(self) -> str:
        return f"LinkPreview({self.name!r}: {self.ref.url})"


def _in_memory(media: Media) -> bool:
    # Media backed by a file read their bytes lazily; reading them is the controller's job.
    return media.path is None or media._data is not None


class UnloadedPreview(w.HTML):  # type: ignore[misc]
    """A media value whose bytes are still on disk: named, not read (widgets do no I/O)."""

    def __init__(self, media: Media, *, name: str | None = None):
        self.name = name
        self.media = media
        title = f"<b>{escape(name)}</b> · " if name else ""
        file_name = media.path.name if media.path is not None else "?"
        super().__init__(
            f'<span class="pf-preview-unloaded" style="font-size:12px">{title}'
            f"{escape(media.content_type)} not loaded ({escape(file_name)})</span>"
        )

    def __repr__(self) -> str:
        return f"UnloadedPreview({self.name!r}: {self.media.content_type})"


def preview(value: Any, *, name: str | None = None) -> w.Widget:
    """The preview widget for one output value (media must already be in memory)."""
    if isinstance(value, Media) and not _in_memory(value):
        return UnloadedPreview(value, name=name)
    if isinstance(value, Image):
        return ImagePreview(value, name=name)
    if isinstance(value, Video):
        return VideoPreview(value, name=name)
    if isinstance(value, Audio):
        return AudioPreview(value, name=name)
    if isinstance(value, Media):
        return TextPreview(repr(value), name=name)
    if isinstance(value, MediaRef):
        return LinkPreview(value, name=name)
    if isinstance(value, str):
        return TextPreview(value, name=name)
    if value is None or isinstance(value, bool | int | float | dict | list | tuple):
        return JsonPreview(value, name=name)
    return TextPreview(repr(value), name=name)


def output_previews(outputs: Mapping[str, Any], output: NodeOutput | None = None) -> list[w.Widget]:
    """Previews of a node's outputs: Python values by port, else the wire description."""
    if outputs:
        return [preview(value, name=port) for port, value in outputs.items()]
    if output is None:
        return []
    widgets: list[w.Widget] = [preview(ref, name=ref.port) for ref in output.media]
    if output.text is not None:
        widgets.append(preview(output.text, name="text"))
    if output.json_ is not None:
        widgets.append(preview(output.json_, name="json"))
    return widgets


def close_tree(widget: w.Widget) -> None:
    """Close a widget and every widget under it."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in ("image", "video", "audio", "toggle"):
        sub = getattr(widget, part, None)
        if isinstance(sub, w.Widget):
            sub.close()
    widget.close()
