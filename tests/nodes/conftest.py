"""Fixtures for node tests."""

from __future__ import annotations

import pytest

from pipeflow_nb.media import Image
from tests.nodes.helpers import run_node


@pytest.fixture
def cat() -> Image:
    """The bundled cat photo, shrunk to 120 px wide so model tests stay quick."""
    return run_node(
        "image:resize", {"image": run_node("input:image", source="cat")["image"]}, width=120
    )["image"]
