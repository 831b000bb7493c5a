"""Media values: images, videos, audio and text that flow along pipeline edges.

Each value holds its bytes (in memory, or lazily in a file such as an artifact), a content
type, metadata (size, duration, fps) and a SHA-256 content hash, and shows itself inline
in a notebook through ``_repr_mimebundle_``.

>>> img = Image.from_array(np.zeros((48, 64, 3), np.uint8))
>>> img.width, img.height, img.content_type
(64, 48, 'image/png')
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import wave
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pipeflow_nb.errors import MediaError

if TYPE_CHECKING:
    import numpy as np
    import PIL.Image

__all__ = [
    "Audio",
    "Image",
    "Media",
    "Text",
    "Video",
    "content_hash",
    "extension_for",
    "sniff_content_type",
]

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "audio/wav": ".wav",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
    "text/plain": ".txt",
    "application/json": ".json",
    "application/octet-stream": ".bin",
}
_TYPES_BY_EXTENSION = {ext: ct for ct, ext in _EXTENSIONS.items()} | {
    ".jpeg": "image/jpeg",
    ".m4v": "video/mp4",
    ".mov": "video/mp4",
    ".oga": "audio/ogg",
}


def extension_for(content_type: str) -> str:
    """The file extension for a content type (``.bin`` when unknown)."""
    return _EXTENSIONS.get(content_type.split(";")[0].strip().lower(), ".bin")


def sniff_content_type(data: bytes, filename: str | None = None) -> str:
    """Guess a content type from magic bytes, then from the file name."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if filename:
        return _TYPES_BY_EXTENSION.get(Path(filename).suffix.lower(), "application/octet-stream")
    return "application/octet-stream"


def _human_size(n: int) -> str:
    return f"{n} B" if n < 1000 else f"{n / 1000:.1f} kB" if n < 1_000_000 else f"{n / 1e6:.1f} MB"


class Media:
    """Bytes with a content type and a content hash; the base of Image, Video and Audio.

    The bytes live in memory or in a file (``path``), read only when first needed, so a
    batch of a thousand outputs can stay on disk in the artifact store.
    """

    kind: ClassVar[str] = "media"
    _accepted_prefix: ClassVar[str] = ""

    def __init__(
        self,
        data: bytes | None = None,
        *,
        content_type: str | None = None,
        path: str | os.PathLike[str] | None = None,
        metadata: dict[str, Any] | None = None,
        sha256: str | None = None,
    ):
        if data is None and path is None:
            raise MediaError(f"{type(self).__name__} needs bytes or a path")
        self._data = data
        self._path = Path(path) if path is not None else None
        if content_type is None:
            sample = data if data is not None else self._read_head()
            content_type = sniff_content_type(sample, str(path) if path else None)
        if self._accepted_prefix and not content_type.startswith(self._accepted_prefix):
            raise MediaError(
                f"{type(self).__name__} cannot hold {content_type!r} "
                f"(expected {self._accepted_prefix}*)"
            )
        self.content_type = content_type
        self._metadata = dict(metadata or {})
        self._sha256 = sha256

    def _read_head(self) -> bytes:
        assert self._path is not None
        with open(self._path, "rb") as fh:
            return fh.read(32)

    # --- constructors ---------------------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes, content_type: str | None = None) -> Any:
        """Wrap bytes; the content type is sniffed when not given."""
        return cls(bytes(data), content_type=content_type)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, lazy: bool = False) -> Any:
        """Read a file (or, with ``lazy=True``, point at it and read on first use)."""
        p = Path(path)
        if not p.is_file():
            raise MediaError(f"no such file: {p}")
        if lazy:
            return cls(path=p)
        data = p.read_bytes()
        return cls(data, content_type=sniff_content_type(data, p.name))

    @classmethod
    def load(cls, source: Any) -> Any:
        """Load from a path, URL, bytes, data URL, ``artifact:<key>`` or a sample name.

        >>> Image.load("coffee").width
        """
        from pipeflow_nb.sources import load_media

        return load_media(source, cls)

    # --- bytes and identity ---------------------------------------------------------------
    @property
    def data(self) -> bytes:
        """The raw bytes (read from ``path`` on first use)."""
        if self._data is None:
            assert self._path is not None
            try:
                self._data = self._path.read_bytes()
            except OSError as exc:
                raise MediaError(f"cannot read {self._path}: {exc}") from exc
        return self._data

    @property
    def path(self) -> Path | None:
        """The backing file, when there is one."""
        return self._path

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes: the value's identity for caching and storage."""
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.data).hexdigest()
        return self._sha256

    @property
    def size(self) -> int:
        """Number of bytes."""
        if self._data is None and self._path is not None:
            return self._path.stat().st_size
        return len(self.data)

    @property
    def extension(self) -> str:
        """File extension matching the content type."""
        return extension_for(self.content_type)

    @property
    def metadata(self) -> dict[str, Any]:
        """Known facts about the media (width, height, duration_ms, fps, ...)."""
        return dict(self._metadata)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the bytes to ``path`` (a directory gets ``<hash><ext>`` inside it)."""
        p = Path(path)
        if p.is_dir():
            p = p / f"{self.sha256[:16]}{self.extension}"
        p.write_bytes(self.data)
        return p

    def data_url(self) -> str:
        """``data:<type>;base64,...`` for embedding in HTML."""
        return f"data:{self.content_type};base64,{base64.b64encode(self.data).decode()}"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.sha256 == self.sha256

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.sha256))

    def _describe(self) -> list[str]:
        return []

    def __repr__(self) -> str:
        sub = self.content_type.split("/")[-1]
        parts = [sub, *self._describe(), _human_size(self.size), f"sha256={self.sha256[:12]}"]
        return f"{type(self).__name__}({', '.join(parts)})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": repr(self)}


class Image(Media):
    """A still image (PNG, JPEG, GIF or WebP)."""

    kind = "image"
    _accepted_prefix = "image/"

    @classmethod
    def from_pil(cls, image: PIL.Image.Image, format: str = "PNG", **save_args: Any) -> Image:
        """Encode a PIL image (PNG by default; ``format="JPEG", quality=90`` for JPEG)."""
        buf = io.BytesIO()
        if format.upper() == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buf, format=format, **save_args)
        content_type = {
            "PNG": "image/png",
            "JPEG": "image/jpeg",
            "WEBP": "image/webp",
            "GIF": "image/gif",
        }[format.upper()]
        return cls(
            buf.getvalue(),
            content_type=content_type,
            metadata={"width": image.width, "height": image.height},
        )

    @classmethod
    def from_array(cls, array: np.ndarray[Any, Any], format: str = "PNG") -> Image:
        """Encode an ``HxW`` (grey), ``HxWx3`` (RGB) or ``HxWx4`` (RGBA) uint8 array."""
        import numpy as np
        from PIL import Image as PILImage

        arr = np.asarray(array)
        if arr.dtype != np.uint8:
            if np.issubdtype(arr.dtype, np.floating) and arr.size and float(arr.max()) <= 1.0:
                arr = arr * 255.0
            arr = np.clip(arr, 0, 255).astype(np.uint8)
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
            raise MediaError(f"expected HxW, HxWx3 or HxWx4 array, got shape {arr.shape}")
        return cls.from_pil(PILImage.fromarray(arr), format=format)

    def to_pil(self) -> PIL.Image.Image:
        """Decode to a PIL image (fully loaded)."""
        from PIL import Image as PILImage
        from PIL import UnidentifiedImageError

        try:
            img = PILImage.open(io.BytesIO(self.data))
            img.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise MediaError(f"cannot decode image ({self.content_type}): {exc}") from exc
        return img

    def to_array(self) -> np.ndarray[Any, Any]:
        """Decode to a uint8 numpy array (RGB or RGBA)."""
        import numpy as np

        img = self.to_pil()
        if img.mode not in ("RGB", "RGBA", "L"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        return np.asarray(img)

    @cached_property
    def _size(self) -> tuple[int, int]:
        if "width" in self._metadata and "height" in self._metadata:
            return int(self._metadata["width"]), int(self._metadata["height"])
        from PIL import Image as PILImage

        try:
            with PILImage.open(io.BytesIO(self.data)) as img:
                return img.size
        except OSError as exc:
            raise MediaError(f"cannot read image size: {exc}") from exc

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self._size[0]

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self._size[1]

    @property
    def metadata(self) -> dict[str, Any]:
        return {**self._metadata, "width": self.width, "height": self.height}

    def _describe(self) -> list[str]:
        return [f"{self.width}×{self.height}"]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        if self.content_type in ("image/png", "image/jpeg"):
            return {
                self.content_type: base64.b64encode(self.data).decode(),
                "text/plain": repr(self),
            }
        return {
            "text/html": f'<img src="{self.data_url()}" alt="{html.escape(repr(self))}"/>',
            "text/plain": repr(self),
        }


class Video(Media):
    """A video (H.264 MP4 or WebM); metadata is probed with PyAV when installed."""

    kind = "video"
    _accepted_prefix = "video/"

    @cached_property
    def _probe(self) -> dict[str, Any]:
        known: dict[str, Any] = {
            k: self._metadata[k]
            for k in ("width", "height", "fps", "duration_ms", "frames")
            if k in self._metadata
        }
        if len(known) == 5:
            return known
        try:
            import av
        except ImportError:
            return known
        try:
            with av.open(io.BytesIO(self.data), "r") as container:
                stream = container.streams.video[0]
                rate = float(stream.average_rate or 0)
                duration = (
                    float(stream.duration * stream.time_base)
                    if stream.duration is not None and stream.time_base
                    else (container.duration or 0) / 1e6
                )
                return {
                    "width": stream.codec_context.width,
                    "height": stream.codec_context.height,
                    "fps": rate,
                    "duration_ms": round(duration * 1000),
                    "frames": stream.frames or round(duration * rate),
                    "codec": stream.codec_context.name,
                    "pix_fmt": stream.codec_context.pix_fmt,
                } | known
        except (av.error.FFmpegError, IndexError) as exc:
            raise MediaError(f"cannot read video: {exc}") from exc

    @property
    def metadata(self) -> dict[str, Any]:
        return {**self._metadata, **self._probe}

    @property
    def width(self) -> int | None:
        """Width in pixels."""
        return self._probe.get("width")

    @property
    def height(self) -> int | None:
        """Height in pixels."""
        return self._probe.get("height")

    @property
    def duration_ms(self) -> int | None:
        """Length in milliseconds."""
        return self._probe.get("duration_ms")

    @property
    def fps(self) -> float | None:
        """Frames per second."""
        return self._probe.get("fps")

    def _describe(self) -> list[str]:
        p = self._probe
        out = []
        if p.get("width"):
            out.append(f"{p['width']}×{p['height']}")
        if p.get("duration_ms") is not None:
            out.append(f"{p['duration_ms'] / 1000:.2f} s")
        return out

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        width = min(self.width or 480, 480)
        return {
            "text/html": f'<video controls loop playsinline width="{width}" '
            f'src="{self.data_url()}"></video>',
            "text/plain": repr(self),
        }


class Audio(Media):
    """Sound (WAV, MP3, OGG or FLAC); WAV metadata is read with the standard library."""

    kind = "audio"
    _accepted_prefix = "audio/"

    @classmethod
    def from_array(cls, samples: np.ndarray[Any, Any], sample_rate: int) -> Audio:
        """Encode float samples in -1..1 (or int16), mono ``(n,)`` or ``(n, channels)``, as WAV."""
        import numpy as np

        arr = np.asarray(samples)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise MediaError(f"expected (n,) or (n, channels) samples, got shape {arr.shape}")
        if arr.dtype != np.int16:
            arr = (np.clip(arr.astype(np.float64), -1.0, 1.0) * 32767).astype(np.int16)
        buf = io.BytesIO()
        with wave.open(buf, "wb") as wav:
            wav.setnchannels(arr.shape[1])
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(np.ascontiguousarray(arr).tobytes())
        return cls(
            buf.getvalue(),
            content_type="audio/wav",
            metadata={
                "sample_rate": sample_rate,
                "channels": arr.shape[1],
                "duration_ms": round(1000 * arr.shape[0] / sample_rate),
            },
        )

    def to_array(self) -> tuple[np.ndarray[Any, Any], int]:
        """Decode WAV to ``(float32 samples (n, channels), sample_rate)``."""
        import numpy as np

        if self.content_type != "audio/wav":
            raise MediaError(f"to_array() reads WAV only, this is {self.content_type}")
        try:
            with wave.open(io.BytesIO(self.data)) as wav:
                width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
                raw = wav.readframes(wav.getnframes())
        except (wave.Error, EOFError) as exc:
            raise MediaError(f"cannot decode WAV: {exc}") from exc
        dtype = {1: np.uint8, 2: np.int16, 4: np.int32}.get(width)
        if dtype is None:
            raise MediaError(f"unsupported WAV sample width {width}")
        arr = np.frombuffer(raw, dtype=dtype).reshape(-1, channels).astype(np.float32)
        scale = {1: 128.0, 2: 32768.0, 4: 2147483648.0}[width]
        if width == 1:
            arr -= 128.0
        return arr / scale, rate

    @cached_property
    def _probe(self) -> dict[str, Any]:
        known: dict[str, Any] = {
            k: self._metadata[k]
            for k in ("sample_rate", "channels", "duration_ms")
            if k in self._metadata
        }
        if len(known) == 3 or self.content_type != "audio/wav":
            return known
        try:
            with wave.open(io.BytesIO(self.data)) as wav:
                rate, frames = wav.getframerate(), wav.getnframes()
                return {
                    "sample_rate": rate,
                    "channels": wav.getnchannels(),
                    "duration_ms": round(1000 * frames / rate),
                } | known
        except (wave.Error, EOFError) as exc:
            raise MediaError(f"cannot read WAV header: {exc}") from exc

    @property
    def metadata(self) -> dict[str, Any]:
        return {**self._metadata, **self._probe}

    @property
    def duration_ms(self) -> int | None:
        """Length in milliseconds."""
        return self._probe.get("duration_ms")

    @property
    def sample_rate(self) -> int | None:
        """Samples per second."""
        return self._probe.get("sample_rate")

    def _describe(self) -> list[str]:
        d = self.duration_ms
        return [f"{d / 1000:.2f} s"] if d is not None else []

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/html": f'<audio controls src="{self.data_url()}"></audio>',
            "text/plain": repr(self),
        }


class Text(str):
    """A text value that knows its content hash; plain ``str`` works wherever Text does."""

    kind: ClassVar[str] = "text"
    content_type: ClassVar[str] = "text/plain"

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the UTF-8 text."""
        return hashlib.sha256(self.encode()).hexdigest()


def content_hash(value: Any) -> str:
    """A stable SHA-256 of any pipeline value: media by their bytes, the rest as canonical JSON.

    Raises ``TypeError`` naming the type for values that have no stable form.
    """
    if isinstance(value, Media):
        return f"{value.kind}:{value.sha256}"
    digest = hashlib.sha256()
    digest.update(
        json.dumps(
            value, sort_keys=True, default=_hashable, ensure_ascii=False, separators=(",", ":")
        ).encode()
    )
    return digest.hexdigest()


def _hashable(value: Any) -> Any:
    if isinstance(value, Media):
        return {"$media": value.kind, "sha256": value.sha256}
    if isinstance(value, bytes):
        return {"$bytes": hashlib.sha256(value).hexdigest()}
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    frame = _frame_hash(value)
    if frame is not None:
        return frame
    if type(value).__name__ == "ndarray" and getattr(value, "dtype", None) is not None:
        # Notebook cells pass arrays around; object arrays hold pointers, so they stay out.
        if value.dtype.hasobject:
            raise TypeError("cannot hash a numpy array of Python objects for caching")
        data = value.tobytes(order="C")
        return {
            "$ndarray": hashlib.sha256(data).hexdigest(),
            "dtype": str(value.dtype),
            "shape": list(value.shape),
        }
    raise TypeError(f"cannot hash a value of type {type(value).__name__} for caching")


def _frame_hash(value: Any) -> dict[str, Any] | None:
    """A pandas DataFrame or Series by its values, index, columns and dtypes (else ``None``)."""
    kind = type(value)
    if kind.__module__.split(".")[0] != "pandas" or kind.__name__ not in ("DataFrame", "Series"):
        return None
    import pandas as pd

    rows = pd.util.hash_pandas_object(value, index=True).to_numpy()
    layout = repr((list(getattr(value, "columns", [])), [str(d) for d in _dtypes(value)]))
    return {
        "$pandas": type(value).__name__,
        "rows": hashlib.sha256(rows.tobytes()).hexdigest(),
        "layout": hashlib.sha256(layout.encode()).hexdigest(),
    }


def _dtypes(value: Any) -> list[Any]:
    dtypes = value.dtypes
    return list(dtypes) if hasattr(dtypes, "__iter__") else [dtypes]
