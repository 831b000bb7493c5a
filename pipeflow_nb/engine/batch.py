"""Batches: one execution per combination of iterator configs (``zip`` or ``product``).

Runs share the engine's cache, so a node that does not depend on the iterated values
runs once for the whole batch (concurrent runs wait for the one computing it); media
outputs of the runs are kept in the artifact store, not in memory.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from pipeflow_nb.models.execution import Batch, Execution, IteratorConfig

if TYPE_CHECKING:
    from pipeflow_nb.engine.executor import Engine
    from pipeflow_nb.engine.plan import CompiledWorkflow
    from pipeflow_nb.models.workflow import Workflow
    from pipeflow_nb.pipeline import Pipeline

__all__ = ["MAX_BATCH_RUNS", "BatchTooLargeError", "combinations", "run_batch"]

MAX_BATCH_RUNS = 1000
"""At most this many runs per batch, as the service allows."""


class BatchTooLargeError(ValueError):
    """The iterator configs combine into more runs than a batch may have."""


def parse_configs(configs: Sequence[IteratorConfig | Mapping[str, Any]]) -> list[IteratorConfig]:
    """Iterator configs from models or plain dicts (``ValueError`` naming the bad one)."""
    parsed = []
    for i, config in enumerate(configs):
        if isinstance(config, IteratorConfig):
            parsed.append(config)
            continue
        try:
            parsed.append(IteratorConfig.model_validate(config))
        except ValidationError as exc:
            raise ValueError(f"iterator config #{i} is invalid: {exc.errors()[0]['msg']}") from None
    if not parsed:
        raise ValueError("a batch needs at least one iterator config")
    return parsed


def combinations(
    configs: Sequence[IteratorConfig], mode: Literal["zip", "product"]
) -> list[list[Any]]:
    """The value of each config for each run, in input order.

    ``zip`` needs equal lengths; more than :data:`MAX_BATCH_RUNS` runs raise
    :class:`BatchTooLargeError` before any combination is built.
    """
    lengths = [len(c.values) for c in configs]
    if mode == "zip":
        if len(set(lengths)) > 1:
            described = ", ".join(
                f"{c.node_id}.{c.param or '<primary>'}: {n}"
                for c, n in zip(configs, lengths, strict=True)
            )
            raise ValueError(f"zip mode needs iterator configs of equal length ({described})")
        total = lengths[0]
    elif mode == "product":
        total = math.prod(lengths)
    else:
        raise ValueError(f"unknown batch mode {mode!r}; use 'zip' or 'product'")
    if total > MAX_BATCH_RUNS:
        raise BatchTooLargeError(
            f"the batch would have {total} runs ({mode} of {' x '.join(map(str, lengths))}); "
            f"at most {MAX_BATCH_RUNS} are allowed"
        )
    if mode == "zip":
        return [list(v) for v in zip(*(c.values for c in configs), strict=True)]
    return [list(v) for v in itertools.product(*(c.values for c in configs))]


def _param_of(engine: Engine, workflow: Workflow, config: IteratorConfig) -> str:
    if config.param is not None:
        return config.param
    try:
        node = workflow.node(config.node_id)
    except KeyError:
        raise ValueError(
            f"iterator config names node {config.node_id!r}, which is not in the workflow"
        ) from None
    primary = engine.registry.get(node.node_type).spec.primary_param
    if primary is None:
        raise ValueError(
            f"iterator config for node {config.node_id!r} names no param and "
            f"{node.node_type} has no primary param"
        )
    return primary


async def run_batch(
    engine: Engine,
    workflow: Workflow | Pipeline | CompiledWorkflow,
    iterator_configs: Sequence[IteratorConfig | Mapping[str, Any]],
    *,
    mode: Literal["zip", "product"] = "zip",
    max_parallel: int = 4,
    batch_id: str | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    workflow_id: str | None = None,
    **kwargs: Any,
) -> Batch:
    """Run every combination with at most ``max_parallel`` runs at once.

    Other keyword arguments go to :meth:`Engine.execute` for every run (``observers``
    then see the events of all runs, told apart by ``execution_id``).
    """
    if max_parallel < 1:
        raise ValueError(f"max_parallel must be at least 1, got {max_parallel}")
    compiled = engine.compile(workflow)
    wf = compiled.workflow
    configs = parse_configs(iterator_configs)
    params = [_param_of(engine, wf, c) for c in configs]
    configs = [c.model_copy(update={"param": p}) for c, p in zip(configs, params, strict=True)]
    combos = combinations(configs, mode)
    labels = [f"{c.node_id}.{p}" for c, p in zip(configs, params, strict=True)]
    batch_id = batch_id or str(uuid.uuid4())
    runs: list[Execution | None] = [None] * len(combos)
    started = itertools.count()
    queue = iter(range(len(combos)))

    def overrides_for(values: list[Any]) -> dict[str, dict[str, Any]]:
        merged = {k: dict(v) for k, v in (overrides or {}).items()}
        for config, param, value in zip(configs, params, values, strict=True):
            merged.setdefault(config.node_id, {})[param] = value
        return merged

    # Check every combination's params before anything runs, so bad input loses nothing.
    prepared = [
        compiled.prepare(overrides=overrides_for(values), artifacts=engine.artifacts)
        for values in combos
    ]

    async def lane() -> None:
        for index in queue:
            runs[index] = await engine.execute(
                compiled,  # already compiled and checked: skips the lookup
                _prepared=prepared[index],
                batch_id=batch_id,
                workflow_id=workflow_id,
                input_index=index,
                run_index_in_batch=next(started),
                keep_media_in_memory=False,
                **kwargs,
            )

    await asyncio.gather(*(lane() for _ in range(min(max_parallel, len(combos)))))
    return Batch(
        id=batch_id,
        workflow_id=workflow_id or wf.id,
        mode=mode,
        runs=[r for r in runs if r is not None],
        combinations=[dict(zip(labels, values, strict=True)) for values in combos],
    )
