"""The builder's controller: runs through the real engine, publishing checks node types."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeflow_nb import NodeRegistry, Pipeline, PipelineValidationError
from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.building import builder, publish_checked
from pipeflow_nb.cellnodes import CellNodes
from pipeflow_nb.client import Client, PollPolicy
from pipeflow_nb.history import RunHistory
from pipeflow_nb.nodes.builtin import builtin_definitions
from pipeflow_nb.server.background import BackgroundServer


def greeting() -> Pipeline:
    p = Pipeline("hello", registry=NodeRegistry(builtin_definitions()))
    name = p.add("input:text", id="name", text="Ada")
    p.add("text:template", id="greet", text=name, template="Hello, {text}!")
    p.add("input:text", id="other", text="unrelated")
    return p


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """The reference server on 127.0.0.1 offering the built-in node types, and a client."""
    root = tmp_path_factory.mktemp("service")
    registry = NodeRegistry(builtin_definitions())
    with (
        BackgroundServer(root / "home", registry=registry) as server,
        Client(
            server.base_url,
            server.api_key,
            poll=PollPolicy(initial=0.02, max_interval=0.2, timeout=60),
            artifacts=ArtifactStore(root / "artifacts"),
        ) as client,
    ):
        yield client


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


def test_publish_shows_only_with_a_client_and_publishes(service: Client) -> None:
    p = greeting()
    assert builder(p, live=False).publish_button.layout.display == "none"
    b = builder(p, client=service, live=False)
    assert b.publish_button.layout.display is None
    b.publish_button.click()
    assert p.workflow_id is not None and p.workflow_id.startswith("wf_")
    assert f"published: {p.workflow_id}" in b.message.value
    assert service.get_workflow(p.workflow_id).node("greet").data.params["template"] == (
        "Hello, {text}!"
    )


def test_publishing_cell_nodes_fails_naming_them(service: Client) -> None:
    p = greeting()
    CellNodes(p, {}).submit("shout", "loud = 'HI'")
    before = len(service.list_workflows())
    with pytest.raises(PipelineValidationError, match="node 'shout' has type 'cell:hello/shout'"):
        publish_checked(p, service)
    b = builder(p, client=service, live=False)
    b.publish_button.click()
    assert "cell:hello/shout" in b.message.value and "notebook cell" in b.message.value
    assert len(service.list_workflows()) == before
    assert p.workflow_id is None


def test_service_history_feeds_the_history_view(service: Client) -> None:
    p = greeting()
    workflow = publish_checked(p, service)
    for text in ("Ada", "Grace"):
        started = service.execute(workflow, inputs={"name": text})
        service.wait(started, progress=False)
    history = RunHistory()
    history.extend(service.executions(workflow), service.get_workflow(workflow))
    view = history.view()
    assert len(view.entries) == 2
    assert {e.execution.status.value for e in view.entries} == {"COMPLETED"}
    view.select(0)
    assert view.graph is not None
    assert view.graph.statuses["greet"] == "completed"  # the newest run: Grace
    assert view.graph.statuses["other"] == "cached"  # unchanged since the first run


def test_a_live_builder_follows_runs_started_from_code() -> None:
    p = greeting()
    b = builder(p)  # live: its graph is one of the pipeline's displayed graphs
    execution = p.run()
    assert b.graph.statuses == {"name": "completed", "greet": "completed", "other": "completed"}
    b.run_button.click()  # through the controller: fed once, not twice
    assert b.results[-1].id != execution.id
    assert b.graph.state.summary.execution_id == b.results[-1].id
    b.close()


def test_a_failed_run_names_its_node_in_the_builder() -> None:
    p = greeting()
    p.set_params("greet", template="{nope}")
    b = builder(p, live=False)
    b.run_button.click()
    assert b.graph.statuses["greet"] == "failed"
    assert "FAILED at node &#x27;greet&#x27;" in b.message.value
    assert "nope" in b.message.value
