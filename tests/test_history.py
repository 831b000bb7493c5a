"""RunHistory follows a pipeline's runs, wherever they start."""

from __future__ import annotations

from pipeflow_nb import NodeRegistry, Pipeline
from pipeflow_nb.history import RunHistory
from pipeflow_nb.nodes.builtin import builtin_definitions


def greeting() -> Pipeline:
    p = Pipeline("greeting", registry=NodeRegistry(builtin_definitions()))
    name = p.add("input:text", id="name", text="Ada")
    p.add("text:template", id="greet", text=name, template="Hello, {text}!")
    return p


def test_runs_from_code_are_kept_with_graph_and_overrides() -> None:
    p = greeting()
    history = RunHistory(p)
    first = p.run()
    second = p.run(overrides={"name": {"text": "Grace"}})
    assert [e.execution.id for e in history.entries] == [second.id, first.id]
    newest = history.entries[0]
    assert newest.workflow is not None and newest.workflow.node("greet").node_type == (
        "text:template"
    )
    assert newest.params()["name"] == {"text": "Grace"}
    history.run()  # its own runs are kept once
    assert len(history) == 3
    history.unsubscribe()
    p.run()
    assert len(history) == 3


def test_limit_keeps_the_newest() -> None:
    p = greeting()
    history = RunHistory(p, limit=2)
    ids = [p.run(force=True).id for _ in range(3)]
    assert [e.execution.id for e in history.entries] == ids[:0:-1]


def test_a_history_that_does_not_follow() -> None:
    p = greeting()
    history = RunHistory(p, follow=False)
    p.run()
    assert len(history) == 0
    history.run()
    assert len(history) == 1
