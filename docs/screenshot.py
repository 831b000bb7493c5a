"""Regenerate docs/live-graph.png: the quickstart's live graph in JupyterLab, after its run.

    .venv/bin/python docs/screenshot.py

Starts JupyterLab on 127.0.0.1 over a scratch copy of the notebooks (state and outputs stay
in a temporary folder), opens 01_quickstart.ipynb in Debian's Chromium through Playwright,
runs its cells up to the first run, clicks the last node so the inspector shows the
finished video, and saves a screenshot of the graph widget. Needs the test extras and
/usr/bin/chromium.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "live-graph.png"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _quickstart_until_the_run(root: Path) -> None:
    """The quickstart's cells up to its first run, then a marker to wait for."""
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "01_quickstart.ipynb", as_version=4)
    last = next(i for i, c in enumerate(nb.cells) if c.source.startswith("execution = p.run()"))
    nb.cells = [*nb.cells[: last + 1], nbformat.v4.new_code_cell('print("SCREENSHOT_READY")')]
    root.mkdir(parents=True)
    nbformat.write(nb, root / "quickstart.ipynb")


def _start_lab(scratch: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    root = scratch / "notebooks"
    _quickstart_until_the_run(root)
    (scratch / "cfg/labconfig").mkdir(parents=True)
    (scratch / "cfg/labconfig/page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=f"{scratch}/cfg",
        JUPYTER_RUNTIME_DIR=f"{scratch}/rt",
        JUPYTERLAB_SETTINGS_DIR=f"{scratch}/settings",
        JUPYTERLAB_WORKSPACES_DIR=f"{scratch}/ws",
        IPYTHONDIR=f"{scratch}/ipython",
        PIPEFLOW_HOME=f"{scratch}/home",
    )
    port, token = _free_port(), secrets.token_hex(16)
    lab = subprocess.Popen(
        [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.25)
    return lab, base, token


def _rightmost_node(png: bytes) -> tuple[float, float]:
    """Centre of the right-most completed node, from the canvas pixels."""
    import io

    import numpy as np
    from PIL import Image

    from pipeflow_nb.widgets.elements import STATUS_COLORS

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    hexa = STATUS_COLORS["completed"][0].lstrip("#")
    target = np.array([int(hexa[i : i + 2], 16) for i in (0, 2, 4)])
    ys, xs = np.nonzero(np.abs(rgb - target).sum(axis=2) < 24)
    right = xs >= xs.max() - 12
    return float(xs[right].mean()), float(ys[right].mean())


def _run_all(page: Any) -> None:
    for _attempt in range(3):
        try:
            page.locator(".jp-Notebook .jp-Cell").first.click()
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
    raise RuntimeError("Run All Cells did not start the notebook")


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        lab, base, token = _start_lab(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=BROWSER_ARGS
                )
                page = browser.new_page(viewport={"width": 1440, "height": 1800})
                page.add_locator_handler(
                    page.locator(".jp-Dialog"), lambda d: page.keyboard.press("Escape")
                )
                page.goto(f"{base}/lab/tree/quickstart.ipynb?token={token}")
                page.wait_for_selector(
                    '.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000
                )
                _run_all(page)
                done = page.locator(".jp-OutputArea-output", has_text="SCREENSHOT_READY")
                done.wait_for(timeout=300_000)
                graph = page.locator(".pf-pipeline-graph").first
                graph.evaluate("e => e.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(1500)  # the last status repaint
                # Open the inspector on the last node (the finished video): with the
                # left-to-right layout it is the right-most completed (green) node.
                canvas = page.locator(".pf-graph-canvas").first
                box = canvas.bounding_box()
                assert box is not None
                x, y = _rightmost_node(canvas.screenshot())
                page.mouse.click(box["x"] + x, box["y"] + y)
                page.locator(".pf-inspector video").first.wait_for(timeout=10_000)
                # A click also opens the node's tooltip, which would cover the graph.
                page.add_style_tag(content=".tippy-popper { display: none !important; }")
                page.wait_for_timeout(800)
                legend = graph.locator(".pf-legend").first
                top = graph.bounding_box()
                bottom = legend.bounding_box() if legend.count() else None
                assert top is not None
                height = (bottom["y"] + bottom["height"] - top["y"] + 8) if bottom else 560
                OUT.write_bytes(
                    page.screenshot(
                        clip={"x": top["x"], "y": top["y"], "width": top["width"], "height": height}
                    )
                )
                browser.close()
        finally:
            lab.terminate()
            lab.wait(30)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
