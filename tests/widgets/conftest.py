from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine import Engine
from pipeflow_nb.nodes.registry import NodeRegistry
from tests.widgets.samples import make_registry


@pytest.fixture
def registry() -> NodeRegistry:
    return make_registry()


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def engine(registry: NodeRegistry, store: ArtifactStore) -> Iterator[Engine]:
    with Engine(registry, artifacts=store) as eng:
        yield eng
