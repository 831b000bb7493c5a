"""Shared browser-test plumbing: JupyterLab on loopback, headless Debian Chromium, Run All.

Used by the browser tests under ``tests/browser/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS_ROOT = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_or_skip() -> Path:
    """Debian's Chromium, or skip the test saying how to install it.

    Skipping (not failing) is deliberate: a machine without the system package can still
    run every other test, and `.ci/run` installs Chromium so CI always runs these.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian Chromium is missing: run `apt-get install chromium` (no Playwright download)"
        )
    pytest.importorskip(
        "playwright.sync_api", reason="pip install 'pipeflow-nb[test]' for playwright"
    )
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def start_lab(root: Path, state: Path) -> Iterator[dict[str, str]]:
    """JupyterLab serving ``root`` on loopback, its config and runtime kept under ``state``."""
    (state / "cfg/labconfig").mkdir(parents=True, exist_ok=True)
    (state / "cfg/labconfig/page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    port, token = free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=f"{state}/cfg",
        JUPYTER_RUNTIME_DIR=f"{state}/rt",
        JUPYTERLAB_SETTINGS_DIR=f"{state}/settings",
        JUPYTERLAB_WORKSPACES_DIR=f"{state}/ws",
        IPYTHONDIR=f"{state}/ipython",
        PIPEFLOW_HOME=f"{state}/pipeflow",
    )
    log_path = state / "lab.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("jupyter")),
                "lab",
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={port}",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                    break
                except OSError:
                    if proc.poll() is not None:
                        pytest.fail(f"jupyter lab exited: {log_path.read_text()[-2000:]}")
                    time.sleep(0.25)
            else:
                pytest.fail("jupyter lab did not answer within 60 s")
            yield {"base": base, "token": token, "log": str(log_path)}
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def accept_dialogs(page: Any, logs: list[str]) -> None:
    """Log and accept any JupyterLab modal, which would otherwise block every click."""

    def accept(dialog: Any) -> None:
        logs.append("dialog: " + dialog.inner_text())
        ok = dialog.locator(".jp-Dialog-button.jp-mod-accept")
        if ok.count():
            ok.first.click()
        else:
            page.keyboard.press("Escape")

    page.add_locator_handler(page.locator(".jp-Dialog"), accept)


def open_notebook(page: Any, lab: dict[str, str], name: str) -> None:
    """Open a notebook and wait for its kernel to be idle."""
    page.goto(f"{lab['base']}/lab/tree/{name}?token={lab['token']}")
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)


def run_all(page: Any) -> None:
    """Run > Run All Cells, retried until a prompt shows the notebook started."""
    cells = page.locator(".jp-Notebook .jp-Cell")
    for _attempt in range(3):
        try:
            cells.first.click()
            page.keyboard.press("Escape")
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item:not(.lm-mod-disabled)").filter(
                has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
            ).click(timeout=5_000)
            page.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]")).first.wait_for(
                timeout=10_000
            )
            return
        except Exception:
            page.keyboard.press("Escape")
    pytest.fail("Run All Cells did not start the notebook")


def _near(png: bytes, colour: str, tolerance: int) -> Any:
    """Boolean mask of the pixels within an L1 distance ``tolerance`` of ``#rrggbb``."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(BytesIO(png)).convert("RGB")).astype(int)
    hexa = colour.lstrip("#")
    target = np.array([int(hexa[i : i + 2], 16) for i in (0, 2, 4)])
    return np.abs(rgb - target).sum(axis=2) < tolerance


def pixel_counts(png: bytes, colours: dict[str, str], tolerance: int = 40) -> dict[str, int]:
    """How many pixels are near each named colour."""
    return {name: int(_near(png, colour, tolerance).sum()) for name, colour in colours.items()}


def centroid(png: bytes, colour: str, tolerance: int = 40) -> tuple[float, float]:
    """Mean position of the pixels near ``colour`` (a node drawn in it: its centre)."""
    import numpy as np

    ys, xs = np.nonzero(_near(png, colour, tolerance))
    assert len(xs), f"no {colour} pixels"
    return float(xs.mean()), float(ys.mean())
