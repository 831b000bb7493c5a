"""Shared fixtures: every test gets its own PIPEFLOW_HOME so nothing touches the user's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def pipeflow_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh PIPEFLOW_HOME for the test."""
    home = tmp_path / "pipeflow-home"
    home.mkdir()
    monkeypatch.setenv("PIPEFLOW_HOME", str(home))
    return home
