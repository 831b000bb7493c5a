"""The live graph in a real browser: JupyterLab 4 + Debian Chromium through Playwright.

A notebook shows a pipeline (its last expression), runs it (one node fails on purpose),
then shows the execution. The test watches the cytoscape canvas while the run goes and
checks by pixels that nodes turned orange (running) and ended green (completed) and red
(failed); clicks the failed node and checks the inspector; and checks that the image and
the video previews decoded; then re-runs the one failed run of a batch from its grid.
Screenshots land in ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeflow_nb.widgets.elements import STATUS_COLORS
from tests.browser.harness import (
    ARTIFACTS_ROOT,
    CHROMIUM_ARGS,
    accept_dialogs,
    centroid,
    chromium_or_skip,
    open_notebook,
    pixel_counts,
    start_lab,
)
from tests.browser.live_notebook import write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

ARTIFACTS = ARTIFACTS_ROOT / "browser"
TOLERANCE = 24  # L1 distance in RGB for "this pixel has that status colour"
NODE_PIXELS = 1500  # a drawn node covers several thousand pixels; edges and text far fewer
RUN_CELL = 3  # markdown, setup, `p`, then the cell that runs the pipeline
# Node fills are flat, so a tight match counts them while skipping most anti-aliased edge
# pixels (grey edges blended with white pass near the pending colour).
FILLS = {
    status: STATUS_COLORS[status][0]
    for status in ("pending", "running", "completed", "cached", "failed", "cancelled")
}


@pytest.fixture(scope="module")
def chromium() -> Path:
    return chromium_or_skip()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, chromium: Path) -> Iterator[dict[str, str]]:
    """JupyterLab on loopback with a token and throw-away config, runtime and settings dirs."""
    root = tmp_path_factory.mktemp("nbroot")
    write_notebook(root / "live.ipynb")
    with start_lab(root, tmp_path_factory.mktemp("jupyter-state")) as served:
        yield served


def _counts(png: bytes) -> dict[str, int]:
    return pixel_counts(png, FILLS, TOLERANCE)


def _centroid(png: bytes, status: str) -> tuple[float, float]:
    return centroid(png, FILLS[status], TOLERANCE)


def _run_from_menu(page: Any, cell: Any, label: str, started: Any) -> None:
    """Select ``cell``, pick Run > ``label``; retry until ``started`` shows up."""
    for _attempt in range(3):
        try:
            cell.locator(".jp-InputPrompt").click()
            page.keyboard.press("Escape")
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item:not(.lm-mod-disabled)").filter(
                has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(label)}$"))
            ).click(timeout=5_000)
            started.wait_for(timeout=10_000)
            return
        except Exception:
            page.keyboard.press("Escape")
    pytest.fail(f"Run > {label} did not start")


def test_live_graph_renders_animates_and_inspects(lab: dict[str, str], chromium: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    errors: list[str] = []
    logs: list[str] = []
    samples: list[dict[str, int]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: errors.append(str(e)))

            accept_dialogs(page, logs)
            open_notebook(page, lab, "live.ipynb")
            # Like a user: show the graph first, then run the pipeline while watching it.
            cells = page.locator(".jp-Notebook .jp-Cell")
            run_cell = cells.nth(RUN_CELL)
            ran = re.compile(r"\[(\*|\d+)\]")
            _run_from_menu(
                page,
                run_cell,
                "Run All Above Selected Cell",
                cells.nth(1).locator(".jp-InputPrompt", has_text=ran),
            )
            canvas = page.locator(".pf-graph-canvas").first
            canvas.wait_for(timeout=60_000)
            page.locator(".pf-graph-canvas canvas").first.wait_for(timeout=30_000)
            page.wait_for_timeout(800)  # the graph fits itself once its views exist
            before = _counts(canvas.screenshot())
            assert before["running"] < NODE_PIXELS and before["completed"] < NODE_PIXELS
            _run_from_menu(
                page,
                run_cell,
                "Run Selected Cell and All Below",
                run_cell.locator(".jp-InputPrompt", has_text=ran),
            )

            # 1. Colours change while the run goes.
            run_done = page.locator(".jp-OutputArea-output", has_text="RUN_DONE")
            started = time.monotonic()
            deadline = started + 60
            shot = 0
            while time.monotonic() < deadline:
                finished = run_done.count() > 0
                png = canvas.screenshot()
                samples.append(_counts(png) | {"t": round(time.monotonic() - started, 2)})
                if samples[-1]["running"] > NODE_PIXELS and shot < 6:
                    (ARTIFACTS / f"graph-running-{shot}.png").write_bytes(png)
                    shot += 1
                if finished:
                    break
                page.wait_for_timeout(150)
            assert run_done.count() > 0, "the run did not finish within 60 s"
            page.wait_for_timeout(600)  # the final repaint is sent with the last event
            final_png = canvas.screenshot()
            (ARTIFACTS / "graph-final.png").write_bytes(final_png)
            final = _counts(final_png)
            samples.append(final)

            body = page.inner_text("body")
            assert "Error displaying widget" not in body
            assert any(s["running"] > NODE_PIXELS for s in samples), samples
            assert any(s["pending"] > NODE_PIXELS for s in samples[:-1]) or any(
                s["completed"] < final["completed"] for s in samples[:-1]
            ), samples
            assert final["running"] < NODE_PIXELS and final["pending"] < NODE_PIXELS, final
            assert final["completed"] > 3 * NODE_PIXELS, final  # four nodes completed
            assert final["failed"] > NODE_PIXELS, final  # one node failed
            title = page.locator(".pf-graph-title").first.inner_text()
            assert "failed" in title and "shout" in title

            # 2. Hover over the failed node shows its error; a click opens the inspector.
            box = canvas.bounding_box()
            assert box is not None
            fx, fy = _centroid(final_png, "failed")
            page.mouse.move(box["x"] + fx, box["y"] + fy)
            hover = page.locator(".pf-hover", has_text="refusing to shout")
            hover.wait_for(timeout=10_000)
            page.mouse.click(box["x"] + fx, box["y"] + fy)
            inspector = page.locator(".pf-inspector").first
            inspector.locator(".pf-inspector-title", has_text="Shout").wait_for(timeout=10_000)
            assert "refusing to shout" in inspector.inner_text()
            assert "text:shout" in inspector.inner_text()
            page.locator(".pf-pipeline-graph").first.screenshot(
                path=str(ARTIFACTS / "graph-inspector.png")
            )

            # 3. Image and video previews are present and decodable.
            image = page.locator(".pf-outputs img.pf-preview-image").first
            image.wait_for(timeout=10_000)
            assert image.evaluate("i => i.complete && i.naturalWidth") == 160
            video = page.locator(".pf-outputs video.pf-preview-video").first
            video.wait_for(timeout=10_000)
            ready = video.evaluate(
                "v => new Promise(r => v.readyState >= 1 ? r(v.readyState)"
                " : v.addEventListener('loadedmetadata', () => r(v.readyState)))"
            )
            assert ready >= 1
            assert video.evaluate("v => v.videoWidth") == 64

            # 4. The execution's own display has its summary and outputs.
            summary = page.locator(".pf-execution-view").first
            summary.wait_for(state="attached", timeout=10_000)
            summary.scroll_into_view_if_needed()
            assert "FAILED" in summary.inner_text().upper()
            assert summary.locator("img.pf-preview-image").count() >= 1
            page.get_by_text("ALL_CELLS_DONE", exact=True).wait_for(timeout=30_000)

            # 5. The batch grid: one failed run, re-run alone through its button.
            grid = page.locator(".pf-batch-view").first
            grid.scroll_into_view_if_needed()
            assert grid.locator('.pf-batch-row[data-status="failed"]').count() == 1
            assert grid.locator('.pf-batch-row[data-status="completed"]').count() == 2
            grid.locator(".pf-rerun").first.click()
            grid.get_by_text("re-run #1: completed").wait_for(timeout=20_000)
            assert grid.locator('.pf-batch-row[data-status="completed"]').count() == 3
            assert grid.locator(".pf-rerun").count() == 0
            grid.screenshot(path=str(ARTIFACTS / "batch-grid.png"))
            # q.show() drew the batch pipeline; the re-run animated it: the brief came from
            # the cache (same input as the failed run), the fixed node completed.
            q_graph = page.locator(".pf-graph-canvas").nth(1)
            q_graph.scroll_into_view_if_needed()
            page.wait_for_timeout(600)
            q_png = q_graph.screenshot()
            (ARTIFACTS / "batch-pipeline-graph.png").write_bytes(q_png)
            q_counts = _counts(q_png)
            assert q_counts["completed"] > NODE_PIXELS, q_counts
            assert q_counts["cached"] > NODE_PIXELS, q_counts
            assert q_counts["failed"] < NODE_PIXELS, q_counts
            page.locator(".pf-pipeline-graph").first.screenshot(
                path=str(ARTIFACTS / "pipeline-graph.png")
            )
        finally:
            page.screenshot(path=str(ARTIFACTS / "page.png"), full_page=True)
            (ARTIFACTS / "console.log").write_text("\n".join(logs))
            (ARTIFACTS / "samples.json").write_text(json.dumps(samples, indent=1))
            shutil.copy(lab["log"], ARTIFACTS / "lab.log")
            browser.close()
    assert not errors, errors
