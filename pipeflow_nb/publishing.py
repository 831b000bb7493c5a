"""Before a publish: which node types a service lacks (cells and notebook functions).

Cell nodes and ``@node`` functions defined in a notebook exist only in that kernel; a
service can run them only once they ship in a package installed there.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeflow_nb.errors import PipelineValidationError
from pipeflow_nb.models.workflow import Rule, Violation, Workflow
from pipeflow_nb.pipeline import Pipeline

__all__ = ["check_publishable", "local_only_node_types"]

_CELL_PREFIX = "cell:"


def local_only_node_types(
    pipeline: Pipeline | Workflow, service_node_types: Iterable[str]
) -> dict[str, list[str]]:
    """Node types the pipeline uses that a service does not offer: ``{type: [node ids]}``."""
    offered = set(service_node_types)
    workflow = pipeline.to_workflow() if isinstance(pipeline, Pipeline) else pipeline
    missing: dict[str, list[str]] = {}
    for wn in workflow.nodes:
        if wn.node_type not in offered:
            missing.setdefault(wn.node_type, []).append(wn.id)
    return missing


def check_publishable(pipeline: Pipeline | Workflow, service_node_types: Iterable[str]) -> None:
    """Raise :class:`PipelineValidationError` naming every node whose type the service lacks.

    Cell nodes and ``@node`` functions defined in the notebook exist only in this kernel;
    a service can run them only once they ship in a package installed there.
    """
    missing = local_only_node_types(pipeline, service_node_types)
    if not missing:
        return
    violations = []
    for node_type, node_ids in missing.items():
        where = "a notebook cell" if node_type.startswith(_CELL_PREFIX) else "this kernel"
        for node_id in node_ids:
            violations.append(
                Violation(
                    rule=Rule.UNKNOWN_NODE_TYPE,
                    node_id=node_id,
                    message=f"node {node_id!r} has type {node_type!r}, defined in {where} and "
                    "unknown to the service; publish its code as a node package installed on "
                    "the service, or run the pipeline locally",
                )
            )
    raise PipelineValidationError(violations)
