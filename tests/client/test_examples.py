"""The tutorial script runs end to end with nothing configured and shows what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeflow_nb.media import Image

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "publish_and_call.py"


@pytest.mark.slow
def test_publish_and_call_example(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEFLOW_")}
    env["PIPEFLOW_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "published wf_" in out and "/trigger" in out
    assert "caption   Poster: a lighthouse at dusk" in out
    assert "3/3" in done.stderr  # the progress bar reached every node
    # the history table lists both runs, completed
    table = out[out.index("id ") : out.index("webhook run")]
    assert table.count("COMPLETED") == 2
    assert "webhook run COMPLETED" in out
    assert "402 → InsufficientCreditsError: required 5000000" in out
    assert "render  Premium render  5000000" in out
    assert "422 → PipelineValidationError: rules ['dangling_edge', 'unknown_port']" in out
    assert "edge 'e1'" in out and "node 'b'" in out
    poster = Image.from_file(tmp_path / "out" / "poster.png")
    assert (poster.width, poster.height) == (96, 96)
