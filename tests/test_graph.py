from __future__ import annotations

import random

import pytest

from pipeflow_nb import graph


def test_toposort_is_stable_in_node_order() -> None:
    nodes = ["c", "a", "b", "d"]
    edges = [("a", "d"), ("c", "d"), ("b", "d")]
    assert graph.toposort(nodes, edges) == ["c", "a", "b", "d"]


def test_toposort_names_the_nodes_of_a_cycle() -> None:
    with pytest.raises(ValueError, match="cycle through b, c"):
        graph.toposort(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "b")])


def test_cycles_finds_every_component_and_self_loops() -> None:
    nodes = ["a", "b", "c", "d", "e"]
    edges = [("a", "b"), ("b", "a"), ("c", "d"), ("d", "e"), ("e", "c"), ("e", "e")]
    assert graph.cycles(nodes, edges) == [["a", "b"], ["c", "d", "e"]]
    assert graph.cycles(["x"], [("x", "x")]) == [["x"]]
    assert graph.cycles(nodes, [("a", "b"), ("b", "c")]) == []


def test_cycles_handles_long_chains_without_recursion() -> None:
    nodes = [f"n{i}" for i in range(5000)]
    edges = [(nodes[i], nodes[i + 1]) for i in range(4999)] + [("n4999", "n0")]
    assert len(graph.cycles(nodes, edges)[0]) == 5000


def test_ancestors_descendants_and_levels() -> None:
    nodes = ["a", "b", "c", "d", "e"]
    edges = [("a", "b"), ("b", "c"), ("a", "d"), ("d", "c")]
    assert graph.ancestors(nodes, edges, ["c"]) == {"a", "b", "d"}
    assert graph.descendants(nodes, edges, ["a"]) == {"b", "c", "d"}
    assert graph.levels(nodes, edges) == [["a", "e"], ["b", "d"], ["c"]]


def test_ready_lists_unstarted_nodes_whose_parents_are_done() -> None:
    parents = {"a": [], "b": ["a"], "c": ["a", "b"]}
    assert graph.ready(parents, done=set(), started=set()) == ["a"]
    assert graph.ready(parents, done={"a"}, started={"a"}) == ["b"]
    assert graph.ready(parents, done={"a", "b"}, started={"a", "b"}) == ["c"]


def test_random_dags_toposort_respects_every_edge() -> None:
    rng = random.Random(7)
    for _ in range(50):
        nodes = [f"n{i}" for i in range(30)]
        edges = [
            (nodes[i], nodes[j]) for i in range(30) for j in range(i + 1, 30) if rng.random() < 0.1
        ]
        shuffled = nodes[:]
        rng.shuffle(shuffled)
        order = {n: i for i, n in enumerate(graph.toposort(shuffled, edges))}
        assert all(order[s] < order[t] for s, t in edges)
        assert graph.cycles(shuffled, edges) == []
