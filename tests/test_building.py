"""The builder's controller: runs through the real engine, publishing checks node types."""

from __future__ import annotations

from typing import Any

import pytest

from pipeflow_nb import NodeRegistry, Pipeline, PipelineValidationError
from pipeflow_nb.building import builder, publish_checked
from pipeflow_nb.cellnodes import CellNodes
from pipeflow_nb.history import RunHistory
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.nodes.builtin import builtin_definitions


def greeting() -> Pipeline:
    p = Pipeline("hello", registry=NodeRegistry(builtin_definitions()))
    name = p.add("input:text", id="name", text="Ada")
    p.add("text:template", id="greet", text=name, template="Hello, {text}!")
    p.add("input:text", id="other", text="unrelated")
    return p


class ServiceCatalog:
    """Stands in for a client of a service offering only the built-in node types."""

    def __init__(self) -> None:
        self.published: list[Workflow] = []

    def nodes(self) -> list[NodeTypeSpec]:
        return [d.spec for d in builtin_definitions()]

    def publish(self, pipeline: Any) -> Workflow:
        workflow: Workflow = pipeline.to_workflow().model_copy(update={"id": "wf_1"})
        self.published.append(workflow)
        return workflow


def test_run_and_run_to_selected_go_through_the_engine() -> None:
    p = greeting()
    history = RunHistory(p)
    b = builder(p, history=history, live=False)
    b.run_button.click()
    assert b.graph.statuses == {"name": "completed", "greet": "completed", "other": "completed"}
    assert b.results[-1].outputs["greet"]["text"] == "Hello, Ada!"
    b.select("greet")
    assert b.form is not None
    b.form.controls["template"].value = "Bye, {text}!"
    b.run_to_button.click()
    execution = b.results[-1]
    assert {r.node_id: r.status.value for r in execution.node_runs} == {
        "name": "CACHED",
        "greet": "COMPLETED",
    }
    assert execution.node_run("greet").rerun_reason == "param changed"
    assert execution.outputs["greet"]["text"] == "Bye, {text}!".replace("{text}", "Ada")
    assert [e.execution.id for e in history.entries] == [execution.id, b.results[0].id]
    assert "finished: COMPLETED" in b.message.value


def test_publish_shows_only_with_a_client_and_checks_node_types() -> None:
    p = greeting()
    assert builder(p, live=False).publish_button.layout.display == "none"
    client = ServiceCatalog()
    b = builder(p, client=client, live=False)
    assert b.publish_button.layout.display is None
    b.publish_button.click()
    assert [w.id for w in client.published] == ["wf_1"]
    assert "published: wf_1" in b.message.value


def test_publishing_cell_nodes_fails_naming_them() -> None:
    p = greeting()
    CellNodes(p, {}).submit("shout", "loud = 'HI'")
    client = ServiceCatalog()
    with pytest.raises(PipelineValidationError, match="node 'shout' has type 'cell:hello/shout'"):
        publish_checked(p, client)
    b = builder(p, client=client, live=False)
    b.publish_button.click()
    assert client.published == []
    assert "cell:hello/shout" in b.message.value
