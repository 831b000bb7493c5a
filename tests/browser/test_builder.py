"""The builder and a ``%%node`` cell in a real browser (JupyterLab 4 + Debian Chromium).

A palette click adds a node and the panel's Connect adds an edge; both are checked on the
canvas by pixels (the new node's category border, the edge colour) and in the panel's
lists; a dragged node's position must reach the pipeline's JSON. A ``%%node`` cell's image
preview must render and decode under the cell, and the history widget must draw a selected
run on its graph and compare two runs.
Screenshots land in ``test-artifacts/browser-builder/``.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pipeflow_nb.widgets.elements import CATEGORY_STYLES, STATUS_COLORS
from tests.browser.builder_notebook import write_notebook
from tests.browser.harness import (
    ARTIFACTS_ROOT,
    CHROMIUM_ARGS,
    accept_dialogs,
    centroid,
    chromium_or_skip,
    open_notebook,
    pixel_counts,
    run_all,
    start_lab,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

ARTIFACTS = ARTIFACTS_ROOT / "browser-builder"
COLOURS = {"text-node": CATEGORY_STYLES["text"][1], "edge": "#90a4ae"}
COMPLETED = STATUS_COLORS["completed"][0]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    chromium_or_skip()
    root = tmp_path_factory.mktemp("nbroot")
    write_notebook(root / "builder.ipynb")
    with start_lab(root, tmp_path_factory.mktemp("jupyter-state")) as served:
        yield served


def _wait_for(
    check: Callable[[], bool], timeout_s: float, what: str, page: Any, seen: Callable[[], Any]
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        page.wait_for_timeout(250)
    pytest.fail(f"timed out waiting for {what}; last seen: {seen()!r}")


def _run_code(page: Any, code: str) -> None:
    """Add a cell under the last one and run it (``insert_text`` skips auto-indent)."""
    page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")


def _options(select: Any) -> list[str]:
    texts: list[str] = select.evaluate("s => Array.from(s.options).map(o => o.text)")
    return [t.replace("\xa0", " ") for t in texts]  # ipywidgets shows spaces as nbsp


def test_palette_connect_and_cell_preview(lab: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    errors: list[str] = []
    logs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_or_skip()), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: errors.append(str(e)))
            accept_dialogs(page, logs)
            open_notebook(page, lab, "builder.ipynb")
            run_all(page)
            page.get_by_text("ALL_CELLS_DONE", exact=True).wait_for(timeout=60_000)

            builder = page.locator(".pf-builder").first
            canvas = builder.locator(".pf-graph-canvas").first
            canvas.locator("canvas").first.wait_for(timeout=30_000)
            page.wait_for_timeout(800)  # let the first layout paint
            before_png = canvas.screenshot()
            (ARTIFACTS / "builder-before.png").write_bytes(before_png)
            before = pixel_counts(before_png, COLOURS)
            assert "Error displaying widget" not in page.inner_text("body")

            # 1. A palette click adds a node, drawn on the canvas.
            builder.locator('.pf-palette-item[title^="text:template:"]').click()
            picker = builder.locator(".pf-node-picker select")
            _wait_for(
                lambda: "template" in _options(picker),
                20,
                "the new node in the panel",
                page,
                lambda: _options(picker),
            )
            added: dict[str, int] = {}

            def node_drawn() -> bool:
                added.update(pixel_counts(canvas.screenshot(), COLOURS))
                return added["text-node"] > before["text-node"] + 150

            _wait_for(
                node_drawn, 20, "the template node on the canvas", page, lambda: (before, added)
            )
            (ARTIFACTS / "builder-added.png").write_bytes(canvas.screenshot())

            # 2. Selecting the brief and clicking Connect adds an edge, drawn on the canvas.
            picker.select_option("brief")
            target = builder.locator(".pf-connect-target select")
            _wait_for(
                lambda: "template.text (TEXT)" in _options(target),
                20,
                "connect targets",
                page,
                lambda: _options(target),
            )
            target.select_option(index=_options(target).index("template.text (TEXT)"))
            builder.locator("button.pf-connect").click()
            edges = builder.locator(".pf-node-edges select")
            _wait_for(
                lambda: "brief.text->template.text" in _options(edges),
                20,
                "the edge",
                page,
                lambda: _options(edges),
            )
            connected: dict[str, int] = {}

            def edge_drawn() -> bool:
                connected.update(pixel_counts(canvas.screenshot(), COLOURS))
                return connected["edge"] > added["edge"] + 60

            _wait_for(edge_drawn, 20, "the edge on the canvas", page, lambda: (added, connected))
            (ARTIFACTS / "builder-connected.png").write_bytes(canvas.screenshot())
            assert connected["text-node"] > before["text-node"] + 150, connected

            # 3. Dragging a node keeps its new position in the pipeline's JSON.
            box = canvas.bounding_box()
            assert box is not None
            cx, cy = centroid(canvas.screenshot(), COLOURS["text-node"])
            page.mouse.move(box["x"] + cx, box["y"] + cy)
            page.mouse.down()
            page.mouse.move(box["x"] + cx + 90, box["y"] + cy + 30, steps=8)
            page.mouse.up()
            page.wait_for_timeout(500)
            (ARTIFACTS / "builder-dragged.png").write_bytes(canvas.screenshot())
            _run_code(page, 'print("POS", p.to_workflow().node("template").position)')
            moved = page.locator(".jp-OutputArea-output", has_text="POS x=")
            moved.first.wait_for(timeout=30_000)
            found = re.search(r"POS x=([-\d.]+) y=([-\d.]+)", moved.first.inner_text())
            assert found is not None, moved.first.inner_text()
            x, y = float(found[1]), float(found[2])
            assert x > 20 and y > 125, (x, y)  # added at (0, 120), dragged right and down

            # 4. The %%node cell previews its image output under the cell.
            cell = page.locator(".jp-CodeCell").filter(
                has=page.locator('.pf-cell-node[data-node="pic"]')
            )
            cell.first.wait_for(timeout=20_000)
            head = cell.first.locator(".pf-cell-node").inner_text()
            assert "pic" in head and "sketches" in head
            image = cell.first.locator(".jp-OutputArea-output img").first
            image.wait_for(timeout=20_000)
            assert image.evaluate("i => i.complete && i.naturalWidth") == 96
            assert "a red card" in cell.first.locator(".jp-OutputArea").inner_text()
            cell.first.screenshot(path=str(ARTIFACTS / "cell-node.png"))

            # 5. The history lists two runs; one is drawn on its graph, then two are compared.
            _run_code(
                page,
                "h = pf.RunHistory(p); p.run(); "
                'p.run(overrides={"brief": {"text": "a red fox"}}); '
                "v = h.view(); v.select(0); v",
            )
            history = page.locator(".pf-history").first
            history.wait_for(timeout=30_000)
            assert history.locator("tr[data-execution]").count() == 2
            detail = history.locator(".pf-history-detail .pf-graph-canvas").first
            detail.locator("canvas").first.wait_for(timeout=20_000)
            done: dict[str, int] = {}

            def run_drawn() -> bool:
                done.update(pixel_counts(detail.screenshot(), {"completed": COMPLETED}))
                return done["completed"] > 2 * 1500  # both nodes completed in that run

            _wait_for(run_drawn, 20, "the selected run on its graph", page, lambda: done)
            history.locator(".widget-dropdown select").nth(1).select_option(index=1)
            history.locator("button", has_text="Compare").click()
            comparison = history.locator(".pf-comparison")
            comparison.wait_for(timeout=20_000)
            assert "brief.text" in comparison.inner_text()
            assert "a red fox" in comparison.inner_text()
            history.screenshot(path=str(ARTIFACTS / "history.png"))
            page.screenshot(path=str(ARTIFACTS / "page.png"), full_page=True)
        finally:
            page.screenshot(path=str(ARTIFACTS / "page-end.png"), full_page=True)
            (ARTIFACTS / "console.log").write_text("\n".join(logs))
            shutil.copy(lab["log"], ARTIFACTS / "lab.log")
            browser.close()
    assert not errors, errors
