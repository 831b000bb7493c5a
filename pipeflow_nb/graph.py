"""Pure DAG algorithms on node ids: no models, no I/O.

Graphs are given as a sequence of node ids (their order breaks ties, so results are
deterministic) and a sequence of ``(source, target)`` pairs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Sequence

__all__ = [
    "adjacency",
    "ancestors",
    "cycles",
    "descendants",
    "levels",
    "ready",
    "toposort",
]

Edge = tuple[str, str]


def adjacency(
    nodes: Sequence[str], edges: Iterable[Edge]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Return ``(children, parents)`` maps; edges touching unknown ids are ignored."""
    known = set(nodes)
    children: dict[str, list[str]] = {n: [] for n in nodes}
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    for src, dst in edges:
        if src in known and dst in known:
            children[src].append(dst)
            parents[dst].append(src)
    return children, parents


def toposort(nodes: Sequence[str], edges: Iterable[Edge]) -> list[str]:
    """Kahn's algorithm, stable in the order of ``nodes``.

    Raises ``ValueError`` naming the nodes left over when the graph has a cycle.
    """
    children, parents = adjacency(nodes, edges)
    indegree = {n: len(parents[n]) for n in nodes}
    position = {n: i for i, n in enumerate(nodes)}
    queue = deque(n for n in nodes if indegree[n] == 0)
    order: list[str] = []
    while queue:
        node = queue.popleft()
        order.append(node)
        freed = []
        for child in children[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                freed.append(child)
        queue.extend(sorted(freed, key=position.__getitem__))
    if len(order) != len(nodes):
        left = [n for n in nodes if indegree[n] > 0]
        raise ValueError(f"graph has a cycle through {', '.join(left)}")
    return order


def levels(nodes: Sequence[str], edges: Iterable[Edge]) -> list[list[str]]:
    """Group nodes by longest distance from a root (each level only depends on earlier ones)."""
    edge_list = list(edges)
    _, parents = adjacency(nodes, edge_list)
    depth: dict[str, int] = {}
    for node in toposort(nodes, edge_list):
        depth[node] = 1 + max((depth[p] for p in parents[node]), default=-1)
    grouped: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in nodes:
        grouped[depth[node]].append(node)
    return grouped


def cycles(nodes: Sequence[str], edges: Iterable[Edge]) -> list[list[str]]:
    """Every strongly connected component that forms a cycle (self-loops included).

    Iterative Tarjan, so 100-node chains never hit the recursion limit.
    """
    children, _ = adjacency(nodes, edges)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child_pos = work.pop()
            if child_pos == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            kids = children[node]
            for pos in range(child_pos, len(kids)):
                child = kids[pos]
                if child not in index:
                    work.append((node, pos + 1))
                    work.append((child, 0))
                    recurse = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if recurse:
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in children[node]:
                    order = {n: i for i, n in enumerate(nodes)}
                    found.append(sorted(component, key=order.__getitem__))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _walk(start: Iterable[str], step: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    queue = deque(start)
    while queue:
        node = queue.popleft()
        for nxt in step.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def ancestors(nodes: Sequence[str], edges: Iterable[Edge], of: Iterable[str]) -> set[str]:
    """All nodes upstream of any node in ``of`` (not including those nodes)."""
    _, parents = adjacency(nodes, edges)
    return _walk(of, parents)


def descendants(nodes: Sequence[str], edges: Iterable[Edge], of: Iterable[str]) -> set[str]:
    """All nodes downstream of any node in ``of`` (not including those nodes)."""
    children, _ = adjacency(nodes, edges)
    return _walk(of, children)


def ready(
    parents: dict[str, list[str]], done: Collection[str], started: Collection[str]
) -> list[str]:
    """Nodes not yet started whose parents are all done, in ``parents`` order."""
    return [n for n, ps in parents.items() if n not in started and all(p in done for p in ps)]
