"""Sample photos and the caption font that ship inside the package (see ``LICENSES.md``).

Importing this module registers the photos as media sources, so ``input:image`` accepts
``"astronaut"`` (alias ``"person"``), ``"chelsea"`` (alias ``"cat"``) and ``"coffee"``:

>>> from pipeflow_nb import Image
>>> from pipeflow_nb.sources import load_media
>>> load_media("cat", Image).width
451
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeflow_nb.sources import register_sample

__all__ = ["SAMPLE_PHOTOS", "font_path", "sample_path"]

_HERE = Path(__file__).resolve().parent

#: Sample name → file name; the aliases say what is in the picture.
SAMPLE_PHOTOS = {
    "astronaut": "astronaut.jpg",
    "person": "astronaut.jpg",
    "chelsea": "chelsea.jpg",
    "cat": "chelsea.jpg",
    "coffee": "coffee.jpg",
}


def sample_path(name: str) -> Path:
    """The file of a bundled sample photo (``KeyError`` listing the names when unknown)."""
    try:
        return _HERE / SAMPLE_PHOTOS[name]
    except KeyError:
        raise KeyError(f"no sample {name!r}; samples: {', '.join(sorted(SAMPLE_PHOTOS))}") from None


def font_path() -> Path:
    """The bundled DejaVu Sans Bold TrueType font used for captions."""
    return _HERE / "fonts" / "DejaVuSans-Bold.ttf"


def _locator(filename: str) -> Callable[[], Path]:
    return lambda: _HERE / filename


def _register() -> None:
    for name, filename in SAMPLE_PHOTOS.items():
        register_sample(name, _locator(filename))


_register()
