"""Publish a pipeline and call it: the client tour in one script.

With nothing configured, ``pf.Client()`` starts the bundled reference server on 127.0.0.1
(using ``$PIPEFLOW_HOME``, default ``~/.pipeflow``), so this runs offline. Set
``PIPEFLOW_BASE_URL`` and ``PIPEFLOW_API_KEY`` to run the same script against a hosted
service instead.

    python examples/publish_and_call.py [output-folder]

It walks through: publish → execute → wait with a progress bar → outputs → history
table → webhook trigger → what a 402 (credits) and a 422 (invalid graph) look like.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import pipeflow_nb as pf
from pipeflow_nb.models import Execution, Workflow


@pf.node(category="image", credits=1)
def poster(title: str, *, size: int = 96) -> pf.Image:
    """A square poster whose colour is derived from the title."""
    rgb = [sum(title.encode()) * k % 256 for k in (3, 5, 7)]
    return pf.Image.from_array(np.full((size, size, 3), rgb, dtype=np.uint8))


@pf.node(category="model", credits=5_000_000)
def premium_render(title: str) -> str:
    """Stands for a hosted model far too expensive for the key's credits."""
    return title


def build() -> pf.Pipeline:
    """Title → caption and poster."""
    p = pf.Pipeline("poster", description="A caption and a poster from a title")
    title = p.add("input:text", id="title", text="a lighthouse at dusk")
    p.add("text:template", id="caption", text=title, template="Poster: {text}")
    p.add(poster, id="poster", title=title)
    return p


def summarise(execution: Execution) -> str:
    """One line per node: status, time and credits."""
    lines = [f"{execution.id}: {execution.status.value}, {execution.credits_used} credits"]
    for run in execution.node_runs:
        lines.append(
            f"  {run.node_id:<8} {run.status.value:<10} {run.duration_ms or 0:>5} ms"
            f"  {run.credits} credits"
        )
    return "\n".join(lines)


def main(out_dir: Path) -> None:
    with pf.Client() as client:
        # 1. Publish: creates the workflow (or updates it when p.workflow_id is set).
        p = build()
        workflow = client.publish(p)
        print(f"published {workflow.id} (version {workflow.version})")
        print(f"webhook   {client.webhook_url(workflow)}")

        # 2. Execute, then wait: a progress bar of completed nodes, outputs fetched as
        #    soon as they exist (hosted URLs expire) into the local artifact store.
        started = client.execute(workflow, inputs={"title": "a lighthouse at dusk"})
        execution = client.wait(started, progress=True)

        # 3. Outputs: Python values, media already local.
        print(summarise(execution))
        print("caption  ", execution.output("caption"))
        image = execution.output("poster")
        saved = image.save(out_dir / "poster.png")
        print(f"poster    {image.width}x{image.height} saved to {saved}")

        # 4. History, newest first, fetched page by page (a table in a notebook).
        client.wait(client.execute(workflow, inputs={"title": "a harbour"}), progress=False)
        print(client.executions(workflow, limit=10).collect())

        # 5. The webhook: anyone holding its URL can start a run, no API key needed.
        accepted = client.trigger_webhook(workflow, {"source": "example"})
        print("webhook run", client.wait(accepted, progress=False).status.value)

        # 6. A 402: the run needs more credits than the key has; nothing runs.
        premium = pf.Pipeline("premium")
        premium.add(premium_render, id="render", title=premium.add("input:text", id="t", text="x"))
        expensive = client.publish(premium)
        print("estimate sufficient:", client.estimate(expensive).sufficient)
        try:
            client.execute(expensive)
        except pf.InsufficientCreditsError as err:
            print(f"402 → {type(err).__name__}: required {err.required}, available {err.available}")
            print(err)

        # 7. A 422: the service lists every broken rule, naming nodes and edges.
        broken = Workflow.model_validate(
            {
                "name": "broken",
                "nodes": [
                    {"id": "a", "data": {"nodeType": "input:text", "params": {"text": "x"}}},
                    {"id": "b", "data": {"nodeType": "text:template", "params": {}}},
                ],
                "edges": [
                    {"id": "e1", "source": "a", "target": "ghost"},
                    {"id": "e2", "source": "a", "target": "b", "targetHandle": "in-nope"},
                ],
            }
        )
        try:
            client.create_workflow(broken)
        except pf.PipelineValidationError as err:
            print(f"422 → {type(err).__name__}: rules {err.rules}")
            print(err)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd() / "outputs"
    target.mkdir(parents=True, exist_ok=True)
    main(target)
