"""The controller behind the builder widget: runs through the engine, publishes through a client.

>>> b = builder(p)                         # palette, graph, forms; Run animates the graph
>>> b = builder(p, client=Client(...))     # adds Publish
>>> b = builder(p, history=RunHistory(p))  # every run from the builder lands in the history

The widget (:class:`~pipeflow_nb.widgets.builder.Builder`) only edits the pipeline and
calls back; this module owns the engine and the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from pipeflow_nb.models.execution import Execution
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.publishing import check_publishable
from pipeflow_nb.running import run_pipeline

if TYPE_CHECKING:
    from pipeflow_nb.history import RunHistory
    from pipeflow_nb.pipeline import Pipeline
    from pipeflow_nb.widgets.builder import Builder

__all__ = ["PublishingClient", "builder", "publish_checked"]


class PublishingClient(Protocol):
    """What the builder needs from a client (``pipeflow_nb.client.Client`` fits)."""

    def nodes(self) -> list[NodeTypeSpec]:
        """The node types the service offers."""
        ...

    def publish(self, pipeline: Any) -> Workflow:
        """Create or update the workflow."""
        ...


def publish_checked(pipeline: Pipeline, client: PublishingClient) -> Workflow:
    """Publish, after checking that the service offers every node type the pipeline uses.

    Cell nodes and notebook ``@node`` functions fail here with a message naming them.
    """
    check_publishable(pipeline, [spec.node_type for spec in client.nodes()])
    return client.publish(pipeline)


def builder(
    pipeline: Pipeline,
    *,
    client: PublishingClient | None = None,
    history: RunHistory | None = None,
    live: bool = True,
) -> Builder:
    """A builder widget for ``pipeline`` with Run / Run to selected (and Publish with a client).

    ``live``: the graph repaints as runs progress, including ``pipeline.run()`` called from
    code (off in tests, which flush by hand).
    """
    from pipeflow_nb.display import GraphFeed, live_graph
    from pipeflow_nb.widgets.builder import Builder

    widget: Builder | None = None

    def run(target: str | None) -> Execution:
        assert widget is not None
        workflow = pipeline.to_workflow()
        # A live graph is fed by every run of the pipeline already; a manual one is fed here.
        feeds = [] if live else [GraphFeed(widget.graph)]
        execution = run_pipeline(pipeline, target, observers=feeds)
        widget.graph.load_execution(execution)
        widget.graph.flush()
        if history is not None:
            history.record(execution, workflow)
        return execution

    def publish() -> Workflow:
        assert client is not None
        return publish_checked(pipeline, client)

    widget = Builder(
        pipeline,
        on_run=run,
        on_publish=publish if client is not None else None,
        graph=live_graph(pipeline) if live else None,
    )
    return widget
