"""Fixtures for provider tests: a fake provider server and a PNG it can hand out."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from pipeflow_nb.media import Image
from tests.nodes.providers.fake_server import FakeProvider, serve


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    yield from serve()


@pytest.fixture
def png() -> bytes:
    arr = np.zeros((8, 12, 3), np.uint8)
    arr[:, :6] = (255, 0, 0)
    return Image.from_array(arr).data
