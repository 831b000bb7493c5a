"""``Pipeline``: the mutable notebook builder that produces immutable :class:`Workflow` snapshots.

>>> p = Pipeline("greeting")
>>> name = p.add("input:text", text="Ada")
>>> hello = p.add("text:template", text=name, template="Hello, {text}!")
>>> p.validate()
>>> wf = p.to_workflow()

Every edit is checked when it is made, with the same rule names a service reports
(``unknown_port``, ``port_type_mismatch``, ``cycle``, ``bad_param``, ...); a rejected
edit leaves the pipeline as it was.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any, Literal

from pipeflow_nb.errors import PipelineValidationError, UnknownNodeTypeError
from pipeflow_nb.handles import Change, InputRef, NodeHandle, OutputRef, Source, Target
from pipeflow_nb.media import Media
from pipeflow_nb.models.execution import Batch, Execution, IteratorConfig
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.ports import Port
from pipeflow_nb.models.validation import resolve_edge_ports, validate_workflow
from pipeflow_nb.models.workflow import (
    NodeData,
    Position,
    Rule,
    Violation,
    WireEdge,
    WireNode,
    Workflow,
)
from pipeflow_nb.nodes.registry import NodeDefinition, NodeFunction, NodeRegistry, default_registry
from pipeflow_nb.wiring import plan_edge

if TYPE_CHECKING:
    from pipeflow_nb.engine import Engine
    from pipeflow_nb.engine.dask import DaskRunner
    from pipeflow_nb.models.execution import Execution

__all__ = ["Change", "InputRef", "NodeHandle", "OutputRef", "Pipeline"]


@dataclass
class _Node:
    id: str
    node_type: str
    label: str
    category: str
    params: dict[str, Any]
    position: Position
    extra: dict[str, Any] = field(default_factory=dict)
    data_extra: dict[str, Any] = field(default_factory=dict)


RunListener = Callable[["Execution", Workflow, dict[str, dict[str, Any]]], None]
"""``callback(execution, workflow, overrides)``, called after each run (:meth:`Pipeline.on_run`)."""


class Pipeline:
    """A pipeline being built: nodes, edges, params and positions, edited in place."""

    def __init__(
        self,
        name: str = "untitled",
        *,
        description: str = "",
        registry: NodeRegistry | None = None,
    ):
        self.name = name
        self.description = description
        self._registry = registry
        self._nodes: dict[str, _Node] = {}
        self._edges: dict[str, WireEdge] = {}
        self._listeners: list[Callable[[Change], None]] = []
        self._run_listeners: list[RunListener] = []
        self.workflow_id: str | None = None
        """The service id, once published."""
        self._meta: dict[str, Any] = {}

    # --- basics -----------------------------------------------------------------------------
    @property
    def registry(self) -> NodeRegistry:
        """The node types this pipeline draws on (the default registry unless given)."""
        if self._registry is None:
            self._registry = default_registry()
        return self._registry

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}: {len(self._nodes)} nodes, {len(self._edges)} edges)"

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and node_id in self._nodes

    def __iter__(self) -> Iterator[NodeHandle]:
        return (NodeHandle(self, nid) for nid in self._nodes)

    def __getitem__(self, node_id: str) -> NodeHandle:
        self._node(node_id)
        return NodeHandle(self, node_id)

    @property
    def node_ids(self) -> list[str]:
        """Node ids in insertion order."""
        return list(self._nodes)

    @property
    def edges(self) -> list[WireEdge]:
        """The edges, in insertion order."""
        return list(self._edges.values())

    def on_change(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``callback(change)`` after every edit; returns a function that unsubscribes."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def on_run(self, callback: RunListener) -> Callable[[], None]:
        """Call ``callback(execution, workflow, overrides)`` after every run of the pipeline.

        ``workflow`` is the graph as it ran and ``overrides`` the params given for that run
        only. Returns a function that unsubscribes.
        """
        self._run_listeners.append(callback)
        return lambda: (
            self._run_listeners.remove(callback) if callback in self._run_listeners else None
        )

    def _emit(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def _node(self, node_id: str) -> _Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            known = ", ".join(self._nodes) or "none"
            raise KeyError(
                f"pipeline {self.name!r} has no node {node_id!r} (nodes: {known})"
            ) from None

    def _definition(self, node_type: str | NodeFunction) -> NodeDefinition:
        if isinstance(node_type, NodeFunction):
            if node_type.node_type not in self.registry:
                self.registry.register(node_type)
            return self.registry.get(node_type.node_type)
        return self.registry.get(node_type)

    # --- editing ----------------------------------------------------------------------------
    def add(
        self,
        node_type: str | NodeFunction,
        *,
        id: str | None = None,
        label: str | None = None,
        position: tuple[float, float] | None = None,
        **values: Any,
    ) -> NodeHandle:
        """Add a node; keyword values are params, or upstream nodes for input ports.

        ``p.add("image:resize", image=photo, width=512)`` connects ``photo``'s output to the
        ``image`` input and sets the ``width`` param. A list of nodes feeds a port that
        accepts several edges.
        """
        definition = self._definition(node_type)
        spec = definition.spec
        node_id = id if id is not None else self._fresh_id(spec.node_type)
        violations: list[Violation] = []
        if node_id in self._nodes:
            violations.append(
                Violation(
                    rule=Rule.DUPLICATE_ID,
                    node_id=node_id,
                    message=f"node id {node_id!r} is already used",
                )
            )
        params: dict[str, Any] = {}
        links: list[tuple[Source, str]] = []
        for key, value in values.items():
            port = spec.input(key)
            if port is not None:
                sources = value if isinstance(value, list | tuple) and port.many else [value]
                for src in sources:
                    if not isinstance(src, NodeHandle | OutputRef):
                        violations.append(
                            Violation(
                                rule=Rule.BAD_PARAM,
                                node_id=node_id,
                                param=key,
                                message=f"{key!r} is an input port of {spec.node_type}; pass a "
                                f"node "
                                f"(e.g. p.add('input:text', text=...)), not {type(src).__name__}",
                            )
                        )
                    else:
                        links.append((src, key))
            elif key in spec.param_names:
                params[key] = self._store_media(value)
            else:
                violations.append(
                    Violation(
                        rule=Rule.BAD_PARAM,
                        node_id=node_id,
                        param=key,
                        message=f"{spec.node_type} has no param or input {key!r} "
                        f"(params: {', '.join(sorted(spec.param_names)) or 'none'}; "
                        f"inputs: {', '.join(p.name for p in spec.inputs) or 'none'})",
                    )
                )
        violations += [
            Violation(rule=Rule.BAD_PARAM, node_id=node_id, param=name, message=msg)
            for name, msg in definition.param_errors(params)
        ]
        planned: list[WireEdge] = []
        for src, port_name in links:
            edge, problems = self._plan_edge(
                src, InputRef(node_id, port_name), new_spec=spec, pending=planned
            )
            violations += problems
            if edge is not None:
                planned.append(edge)
        if violations:
            raise PipelineValidationError(violations)
        x, y = position if position is not None else self._next_position(links)
        self._nodes[node_id] = _Node(
            id=node_id,
            node_type=spec.node_type,
            label=label or spec.label,
            category=spec.category,
            params=params,
            position=Position(x=x, y=y),
        )
        self._emit(Change("node_added", node_id=node_id))
        for edge in planned:
            self._edges[edge.id] = edge
            self._emit(Change("edge_added", edge_id=edge.id, node_id=node_id))
        return NodeHandle(self, node_id)

    def connect(self, source: Source, target: Target) -> str:
        """Connect an output to an input; returns the new edge id."""
        edge, violations = self._plan_edge(source, target)
        if violations or edge is None:
            raise PipelineValidationError(violations)
        self._edges[edge.id] = edge
        self._emit(Change("edge_added", edge_id=edge.id, node_id=edge.target))
        return edge.id

    def disconnect(self, edge: str | WireEdge) -> None:
        """Remove an edge by id."""
        edge_id = edge.id if isinstance(edge, WireEdge) else edge
        if edge_id not in self._edges:
            raise KeyError(f"pipeline {self.name!r} has no edge {edge_id!r}")
        del self._edges[edge_id]
        self._emit(Change("edge_removed", edge_id=edge_id))

    def remove(self, node: str | NodeHandle) -> None:
        """Remove a node and every edge touching it."""
        node_id = node.id if isinstance(node, NodeHandle) else node
        self._node(node_id)
        for edge_id in [e.id for e in self._edges.values() if node_id in (e.source, e.target)]:
            del self._edges[edge_id]
            self._emit(Change("edge_removed", edge_id=edge_id))
        del self._nodes[node_id]
        self._emit(Change("node_removed", node_id=node_id))

    def set_params(self, node: str | NodeHandle, **params: Any) -> None:
        """Change some params of a node; all are validated before any is applied."""
        node_id = node.id if isinstance(node, NodeHandle) else node
        record = self._node(node_id)
        definition = self.registry.get(record.node_type)
        merged = {**record.params, **{k: self._store_media(v) for k, v in params.items()}}
        problems = definition.param_errors(merged)
        if problems:
            raise PipelineValidationError(
                [
                    Violation(rule=Rule.BAD_PARAM, node_id=node_id, param=name, message=msg)
                    for name, msg in problems
                ]
            )
        record.params = merged
        self._emit(Change("node_updated", node_id=node_id))

    def set_label(self, node: str | NodeHandle, label: str) -> None:
        """Rename a node's label (its id stays)."""
        node_id = node.id if isinstance(node, NodeHandle) else node
        self._node(node_id).label = label
        self._emit(Change("node_updated", node_id=node_id))

    def move(self, node: str | NodeHandle, x: float, y: float, *, notify: bool = True) -> None:
        """Set a node's canvas position."""
        node_id = node.id if isinstance(node, NodeHandle) else node
        self._node(node_id).position = Position(x=x, y=y)
        if notify:
            self._emit(Change("node_updated", node_id=node_id))

    def _plan_edge(
        self,
        source: Source,
        target: Target,
        *,
        new_spec: NodeTypeSpec | None = None,
        pending: Iterable[WireEdge] = (),
    ) -> tuple[WireEdge | None, list[Violation]]:
        src = source.out() if isinstance(source, NodeHandle) else source
        dst = target.in_() if isinstance(target, NodeHandle) else target
        if isinstance(source, NodeHandle) and source._pipeline is not self:
            foreign = f"node {source.id!r} belongs to another pipeline"
            return None, [Violation(rule=Rule.DANGLING_EDGE, node_id=source.id, message=foreign)]
        return plan_edge(
            src,
            dst,
            node_types={nid: n.node_type for nid, n in self._nodes.items()},
            edges=[*self._edges.values(), *pending],
            registry=self.registry,
            pipeline_name=self.name,
            new_spec=new_spec,
        )

    # --- helpers ----------------------------------------------------------------------------
    def _fresh_id(self, node_type: str) -> str:
        base = node_type.split(":")[-1].split("/")[-1].replace("-", "_") or "node"
        if base not in self._nodes:
            return base
        return next(f"{base}_{i}" for i in itertools.count(2) if f"{base}_{i}" not in self._nodes)

    def _next_position(self, links: list[tuple[Source, str]]) -> tuple[float, float]:
        parents = [s.id if isinstance(s, NodeHandle) else s.node_id for s, _ in links]
        if parents:
            px = max(self._nodes[p].position.x for p in parents if p in self._nodes)
            column = [n for n in self._nodes.values() if n.position.x == px + 220]
            return px + 220, 120.0 * len(column)
        roots = [n for n in self._nodes.values() if n.position.x == 0]
        return 0.0, 120.0 * len(roots)

    @staticmethod
    def _store_media(value: Any) -> Any:
        if isinstance(value, Media):
            from pipeflow_nb.artifacts import ArtifactStore
            from pipeflow_nb.sources import ARTIFACT_SCHEME

            return ARTIFACT_SCHEME + ArtifactStore().put_media(value)
        return value

    # --- snapshots --------------------------------------------------------------------------
    def to_workflow(self) -> Workflow:
        """An immutable snapshot in the service's graph format."""
        nodes = [
            WireNode(
                id=n.id,
                position=n.position,
                **n.extra,
                data=NodeData(
                    label=n.label,
                    node_type=n.node_type,
                    category=n.category,
                    params=dict(n.params),
                    **n.data_extra,
                ),
            )
            for n in self._nodes.values()
        ]
        return Workflow(
            id=self.workflow_id,
            name=self.name,
            description=self.description,
            nodes=nodes,
            edges=list(self._edges.values()),
            **self._meta,
        )

    def to_json(self, *, indent: int | None = 2) -> str:
        """The workflow as JSON text (service format)."""
        return self.to_workflow().to_json(indent=indent)

    def publish(self, client: Any = None) -> Workflow:
        """Create or update this pipeline on the service (``client``, else the default one).

        Sets :attr:`workflow_id`; the returned workflow carries the id and webhook URL.
        """
        if client is None:
            from pipeflow_nb.helpers import default_client

            client = default_client()
        published: Workflow = client.publish(self)
        return published

    @classmethod
    def from_workflow(cls, workflow: Workflow, *, registry: NodeRegistry | None = None) -> Pipeline:
        """A pipeline from a workflow (params written straight on ``data`` become params).

        The workflow is loaded as it is, even when invalid, so it can be inspected and fixed;
        call :meth:`validate` to see what is wrong.
        """
        p = cls(workflow.name, description=workflow.description, registry=registry)
        p.workflow_id = workflow.id
        meta_fields = {"webhook_id", "is_active", "version", "created_at", "updated_at"}
        p._meta = {k: getattr(workflow, k) for k in meta_fields if getattr(workflow, k) is not None}
        p._meta.update(workflow.model_extra or {})
        for wn in workflow.nodes:
            spec = p.registry.spec(wn.node_type)
            names = spec.param_names if spec else set()
            loose = wn.data.loose_params(names)
            data_extra = {k: v for k, v in (wn.data.model_extra or {}).items() if k not in loose}
            p._nodes[wn.id] = _Node(
                id=wn.id,
                node_type=wn.node_type,
                label=wn.data.label,
                category=wn.data.category or (spec.category if spec else ""),
                params=wn.data.all_params(names),
                position=wn.position,
                extra={"type": wn.type, **(wn.model_extra or {})},
                data_extra=data_extra,
            )
        for edge in workflow.edges:
            p._edges[edge.id] = edge
        return p

    @classmethod
    def from_json(cls, text: str | bytes, *, registry: NodeRegistry | None = None) -> Pipeline:
        """A pipeline from workflow JSON (the service's format, or a ``{data: ...}`` envelope)."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        if isinstance(raw, dict) and "nodes" not in raw and isinstance(raw.get("data"), dict):
            raw = raw["data"]
        return cls.from_workflow(Workflow.model_validate(raw), registry=registry)

    def copy(self, name: str | None = None) -> Pipeline:
        """An independent copy (same registry)."""
        clone = Pipeline.from_workflow(self.to_workflow(), registry=self._registry)
        clone.name = name or self.name
        return clone

    # --- running ----------------------------------------------------------------------------
    def _engine(self, engine: Engine | DaskRunner | None) -> Engine | DaskRunner:
        if engine is not None:
            return engine
        from pipeflow_nb.engine.executor import shared_engine

        return shared_engine(self.registry)

    async def run_async(
        self,
        *,
        inputs: dict[str, Any] | None = None,
        overrides: dict[str, dict[str, Any]] | None = None,
        target: str | NodeHandle | None = None,
        force: bool = False,
        raise_on_failure: bool = True,
        engine: Engine | DaskRunner | None = None,
        target_node_id: str | NodeHandle | None = None,
        **options: Any,
    ) -> Execution:
        """Run the pipeline on the engine and return the :class:`Execution`.

        ``inputs`` sets input nodes' values and ``overrides`` params, by node id;
        ``target`` (or ``target_node_id``) runs that node and its ancestors only;
        ``force`` ignores the cache.
        Other options (``observers``, ``fail_fast``, ``node_timeout_s``, ``trigger_data``,
        ...) go to :meth:`Engine.execute`. A failed run raises
        :class:`~pipeflow_nb.errors.ExecutionFailed` carrying the execution (a cancelled one
        :class:`~pipeflow_nb.errors.ExecutionCancelled`) unless ``raise_on_failure=False``.
        """
        from pipeflow_nb.errors import ExecutionCancelled, ExecutionFailed
        from pipeflow_nb.models.execution import ExecutionStatus

        target = target if target is not None else target_node_id
        target_id = target.id if isinstance(target, NodeHandle) else target
        options["observers"] = (*options.get("observers", ()), *self._display_observers())
        workflow = self.to_workflow()
        execution = await self._engine(engine).execute(
            workflow,
            inputs=_by_id(inputs),
            overrides=_by_id(overrides),
            target_node_id=target_id,
            force=force,
            **options,
        )
        for listener in list(self._run_listeners):
            listener(execution, workflow, _by_id(overrides) or {})
        if raise_on_failure and execution.status == ExecutionStatus.FAILED:
            raise ExecutionFailed(execution)
        if raise_on_failure and execution.status == ExecutionStatus.CANCELLED:
            raise ExecutionCancelled(execution)
        return execution

    def run(
        self,
        *,
        inputs: dict[str, Any] | None = None,
        overrides: dict[str, dict[str, Any]] | None = None,
        target: str | NodeHandle | None = None,
        force: bool = False,
        raise_on_failure: bool = True,
        engine: Engine | DaskRunner | None = None,
        target_node_id: str | NodeHandle | None = None,
        **options: Any,
    ) -> Execution:
        """Run the pipeline and wait for it: works in a script and in a running kernel.

        Same arguments as :meth:`run_async`.
        """
        from pipeflow_nb.engine.blocking import run_blocking

        return run_blocking(
            self.run_async(
                inputs=inputs,
                overrides=overrides,
                target=target,
                force=force,
                raise_on_failure=raise_on_failure,
                engine=engine,
                target_node_id=target_node_id,
                **options,
            )
        )

    async def run_batch_async(
        self,
        iterator_configs: dict[str, list[Any]] | list[IteratorConfig | dict[str, Any]],
        *,
        mode: Literal["zip", "product"] = "zip",
        max_parallel: int = 4,
        engine: Engine | DaskRunner | None = None,
        **options: Any,
    ) -> Batch:
        """Run one execution per combination of values; returns the :class:`Batch`.

        ``iterator_configs`` is a list of ``{"nodeId", "param", "values"}`` configs, or a
        dict ``{"node" or "node.param": values}``; ``mode`` is ``"zip"`` or ``"product"``.
        """
        options["observers"] = (*options.get("observers", ()), *self._display_observers())
        batch = await self._engine(engine).execute_batch(
            self.to_workflow(),
            _iterator_configs(iterator_configs),
            mode=mode,
            max_parallel=max_parallel,
            **options,
        )
        display = sys.modules.get("pipeflow_nb.display")
        if display is not None:
            display.remember_batch(batch, self)
        return batch

    def _display_observers(self) -> list[Callable[[Any], None]]:
        # Live graphs of this pipeline on screen animate its runs. Only a session that has
        # displayed something has loaded the display module; others pay nothing.
        display = sys.modules.get("pipeflow_nb.display")
        return [] if display is None else list(display.observers_for(self))

    def run_batch(
        self,
        iterator_configs: dict[str, list[Any]] | list[IteratorConfig | dict[str, Any]],
        *,
        mode: Literal["zip", "product"] = "zip",
        max_parallel: int = 4,
        engine: Engine | DaskRunner | None = None,
        **options: Any,
    ) -> Batch:
        """Sync form of :meth:`run_batch_async`."""
        from pipeflow_nb.engine.blocking import run_blocking

        return run_blocking(
            self.run_batch_async(
                iterator_configs,
                mode=mode,
                max_parallel=max_parallel,
                engine=engine,
                **options,
            )
        )

    # --- validation -------------------------------------------------------------------------
    def violations(self) -> list[Violation]:
        """Every broken graph rule (empty when valid)."""
        return validate_workflow(self.to_workflow(), self.registry)

    def validate(self) -> None:
        """Raise :class:`PipelineValidationError` listing every violation, if any."""
        found = self.violations()
        if found:
            raise PipelineValidationError(found)

    def spec_of(self, node: str | NodeHandle) -> NodeTypeSpec:
        """The spec of a node's type."""
        node_id = node.id if isinstance(node, NodeHandle) else node
        node_type = self._node(node_id).node_type
        spec = self.registry.spec(node_type)
        if spec is None:
            raise UnknownNodeTypeError(node_type)
        return spec

    def edge_ports(self, edge: WireEdge) -> tuple[Port | None, Port | None]:
        """The output and input ports an edge joins."""
        return resolve_edge_ports(edge, self.spec_of(edge.source), self.spec_of(edge.target))

    def show(self) -> None:
        """Display the live graph (statuses, inspector, previews); ``run()`` then animates it.

        Outside a Jupyter kernel (or without ipywidgets) a static table is shown instead.
        ``pipeflow_nb.display.live_graph(p)`` returns the widget without displaying it.
        """
        from pipeflow_nb.display import show_pipeline

        show_pipeline(self)

    def show_batch(self, batch: Any, **run_options: Any) -> None:
        """Display a batch result as a grid whose failed runs re-run alone through this pipeline.

        ``run_options`` (e.g. ``engine=``) are passed to :meth:`run` for each re-run.
        """
        from pipeflow_nb.display import show_batch

        show_batch(batch, self, **run_options)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from pipeflow_nb.display import pipeline_bundle

        return pipeline_bundle(self, self._static_mimebundle_())

    def _static_mimebundle_(self) -> dict[str, Any]:
        rows = "".join(
            f"<tr><td><code>{escape(n.id)}</code></td><td>{escape(n.node_type)}</td>"
            f"<td>{escape(n.label)}</td></tr>"
            for n in self._nodes.values()
        )
        return {
            "text/plain": repr(self),
            "text/html": f"<b>{escape(self.name)}</b> ({len(self._nodes)} nodes, "
            f"{len(self._edges)} "
            f"edges)<table><tr><th>id</th><th>type</th><th>label</th></tr>"
            f"{rows}</table>",
        }


def _by_id(values: dict[Any, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {(k.id if isinstance(k, NodeHandle) else k): v for k, v in values.items()}


def _iterator_configs(
    configs: dict[str, list[Any]] | list[IteratorConfig | dict[str, Any]],
) -> list[IteratorConfig | dict[str, Any]]:
    if not isinstance(configs, dict):
        return list(configs)
    result: list[IteratorConfig | dict[str, Any]] = []
    for key, values in configs.items():
        node_id = key.id if isinstance(key, NodeHandle) else key
        node_part, _, param = node_id.partition(".")
        result.append(IteratorConfig(node_id=node_part, param=param or None, values=list(values)))
    return result
