"""Fixtures for client tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.client import Client
from tests.client.fakes import BASE, FAST_POLL, FAST_RETRY, Script


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def client(script: Script, store: ArtifactStore) -> Iterator[Client]:
    with Client(
        BASE,
        "sk-test",
        transport=httpx.MockTransport(script),
        retry=FAST_RETRY,
        poll=FAST_POLL,
        artifacts=store,
    ) as c:
        yield c
