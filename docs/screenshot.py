"""Regenerate docs/live-graph.png: the quickstart's live graph in JupyterLab, after its run.

    .venv/bin/python docs/screenshot.py

Starts JupyterLab on 127.0.0.1 over a scratch copy of the notebooks (state and outputs stay
in a temporary folder), opens 01_quickstart.ipynb in Debian's Chromium through Playwright,
runs its cells up to the first run, clicks the last node so the inspector shows the
finished video, and saves a screenshot of the graph widget. Needs the test extras and
/usr/bin/chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "live-graph.png"
sys.path.insert(0, str(ROOT))  # the browser-test harness starts JupyterLab the same way

from tests.browser.harness import (  # noqa: E402
    CHROMIUM_ARGS,
    accept_dialogs,
    open_notebook,
    run_all,
    start_lab,
)


def _quickstart_until_the_run(root: Path) -> None:
    """The quickstart's cells up to its first run, then a marker to wait for."""
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "01_quickstart.ipynb", as_version=4)
    last = next(i for i, c in enumerate(nb.cells) if c.source.startswith("execution = p.run()"))
    nb.cells = [*nb.cells[: last + 1], nbformat.v4.new_code_cell('print("SCREENSHOT_READY")')]
    root.mkdir(parents=True)
    nbformat.write(nb, root / "quickstart.ipynb")


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


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        _quickstart_until_the_run(scratch / "notebooks")
        with start_lab(scratch / "notebooks", scratch / "state") as lab, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1440, "height": 1800})
            accept_dialogs(page, [])
            open_notebook(page, lab, "quickstart.ipynb")
            run_all(page)
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
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
