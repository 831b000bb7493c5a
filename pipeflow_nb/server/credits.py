"""Credit costs from the registry: estimates, the 402 pre-check and its breakdown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.server.problems import ApiProblem
from pipeflow_nb.server.store import NodePlan

__all__ = ["Estimate", "estimate", "node_cost"]


@dataclass(frozen=True)
class Estimate:
    """What a run or batch will cost at most (cached nodes end up free)."""

    per_run: int
    """Credits of one run."""
    required: int
    """Credits of every run."""
    available: int
    """The key's balance minus what its unfinished runs have reserved."""
    breakdown: list[dict[str, Any]]
    """``{nodeId, nodeLabel, credits}`` per node, summed over the runs."""

    @property
    def sufficient(self) -> bool:
        """Whether the key can pay."""
        return self.required <= self.available

    def to_wire(self) -> dict[str, Any]:
        """The ``/estimate`` body."""
        return {
            "requiredCredits": self.required,
            "availableCredits": self.available,
            "sufficient": self.sufficient,
            "breakdown": self.breakdown,
        }

    def check(self) -> None:
        """Raise the 402 when the key cannot pay."""
        if not self.sufficient:
            raise ApiProblem(
                402,
                f"Insufficient credits. Required: {self.required}, Available: {self.available}",
                extras={
                    "insufficientCredits": True,
                    "requiredCredits": self.required,
                    "availableCredits": self.available,
                    "breakdown": self.breakdown,
                },
            )


def node_cost(registry: NodeRegistry, node_type: str) -> int:
    """Credits one successful run of a node type costs (0 when unknown)."""
    spec = registry.spec(node_type)
    return spec.credits if spec is not None else 0


def estimate(
    nodes: list[NodePlan], registry: NodeRegistry, *, runs: int, available: int
) -> Estimate:
    """The cost of ``runs`` runs over ``nodes`` against an ``available`` balance."""
    breakdown = [
        {
            "nodeId": n.node_id,
            "nodeLabel": n.label,
            "credits": node_cost(registry, n.node_type) * runs,
        }
        for n in nodes
    ]
    per_run = sum(node_cost(registry, n.node_type) for n in nodes)
    return Estimate(per_run, per_run * runs, available, breakdown)
