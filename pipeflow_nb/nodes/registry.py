"""Node types: their specs, the code that runs them, and the registry that finds them.

A node type is a :class:`NodeDefinition`: a :class:`NodeTypeSpec` (what the wire and the
palette see) plus the Python function and its params model. The :func:`node` decorator
builds one from a typed function::

    @node(category="text")
    def shout(text: str, *, times: int = 2) -> str:
        return text.upper() * times

Positional-or-keyword arguments become input ports (their annotation gives the port
type; a default of ``None`` makes the port optional; ``list[Image]`` accepts several
edges). Keyword-only arguments become params. The return annotation gives the output
port (a ``TypedDict`` gives several). An argument annotated :class:`NodeContext` receives
the run context instead.

Third-party packages add node types through the entry-point group ``pipeflow_nb.nodes``:
each entry point names a module, a :class:`NodeFunction` or a ``NodeDefinition`` (or an
iterable of them), whose node types are registered when the default registry is built.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import inspect
import re
import threading
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from pipeflow_nb.errors import NodeDefinitionError, UnknownNodeTypeError
from pipeflow_nb.media import Audio, Image, Media, Text, Video
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.ports import Port, PortType
from pipeflow_nb.nodes.context import NodeContext

__all__ = [
    "ENTRY_POINT_GROUP",
    "Json",
    "NodeDefinition",
    "NodeFunction",
    "NodeRegistry",
    "coerce_output",
    "default_registry",
    "define_node",
    "node",
    "port_type_of",
]

ENTRY_POINT_GROUP = "pipeflow_nb.nodes"

#: Annotation for a JSON port carrying any JSON value (object, list, number, ...).
Json = typing.Annotated[Any, PortType.JSON]
_RESERVED = {"id", "label", "ctx_"}
_DEFAULT_OUTPUT_NAMES = {
    PortType.TEXT: "text",
    PortType.NUMBER: "number",
    PortType.BOOLEAN: "boolean",
    PortType.JSON: "json",
    PortType.IMAGE: "image",
    PortType.VIDEO: "video",
    PortType.AUDIO: "audio",
    PortType.ANY: "value",
}
_SIMPLE_TYPES: dict[Any, PortType] = {
    str: PortType.TEXT,
    Text: PortType.TEXT,
    int: PortType.NUMBER,
    float: PortType.NUMBER,
    bool: PortType.BOOLEAN,
    dict: PortType.JSON,
    list: PortType.JSON,
    Image: PortType.IMAGE,
    Video: PortType.VIDEO,
    Audio: PortType.AUDIO,
    Any: PortType.ANY,
    object: PortType.ANY,
}


def port_type_of(annotation: Any) -> tuple[PortType, bool, bool]:
    """``(port type, optional, many)`` for a type annotation; ``TypeError`` if unsupported."""
    optional = False
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        base, *extras = get_args(annotation)
        declared = next((e for e in extras if isinstance(e, PortType)), None)
        if declared is not None:
            return declared, port_type_of(base)[1] if base is not Any else False, False
        return port_type_of(base)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        if len(members) == 1:
            kind, _, many = port_type_of(members[0])
            return kind, optional, many
        kinds = {port_type_of(m)[0] for m in members}
        if kinds == {PortType.NUMBER}:
            return PortType.NUMBER, optional, False
        return PortType.ANY, optional, False
    if origin in (list, tuple, Sequence, Iterable):
        args = get_args(annotation)
        if args and args[0] in (Image, Video, Audio, str, Text, int, float):
            return _SIMPLE_TYPES[args[0]], False, True
        return PortType.JSON, False, False
    if origin is dict or is_typeddict(annotation):
        return PortType.JSON, False, False
    if annotation in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[annotation], False, False
    if isinstance(annotation, type) and issubclass(annotation, Media):
        return PortType.ANY, False, False
    raise TypeError(f"no port type for annotation {annotation!r}")


def coerce_output(value: Any, kind: PortType, where: str) -> Any:
    """Check and normalise a value a node returned for a port of type ``kind``.

    PIL images and numpy arrays become :class:`Image`; ints stay ints. ``TypeError``
    names ``where`` (node type and port) when the value does not fit.
    """
    if kind is PortType.ANY:
        return value
    if kind is PortType.IMAGE:
        if isinstance(value, Image):
            return value
        if type(value).__module__.startswith("PIL."):
            return Image.from_pil(value)
        if type(value).__name__ == "ndarray":
            return Image.from_array(value)
    elif (kind is PortType.VIDEO and isinstance(value, Video)) or (
        kind is PortType.AUDIO and isinstance(value, Audio)
    ):
        return value
    elif kind is PortType.TEXT and isinstance(value, str):
        return str(value)
    elif kind is PortType.NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    elif kind is PortType.NUMBER and type(value).__module__ == "numpy":
        return value.item()
    elif (kind is PortType.BOOLEAN and isinstance(value, bool)) or kind is PortType.JSON:
        return value
    raise TypeError(f"{where} must be {kind}, got {type(value).__name__}")


def _source_version(func: Callable[..., Any]) -> str:
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        code = getattr(func, "__code__", None)
        source = repr((code.co_code, code.co_consts)) if code else repr(func)
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def _label_of(name: str) -> str:
    return re.sub(r"[_\-]+", " ", name).strip().capitalize()


@dataclass(frozen=True)
class NodeDefinition:
    """A runnable node type: its spec, the function, and how to call it."""

    spec: NodeTypeSpec
    """What the wire and the palette see."""
    func: Callable[..., Any]
    """The implementation; sync functions run in worker threads, async ones on the loop."""
    params_model: type[BaseModel]
    """Validates params (its JSON schema is ``spec.params_schema``)."""
    context_arg: str | None = None
    """Name of the argument that receives the :class:`NodeContext`, if any."""
    output_mode: Literal["single", "mapping", "none"] = "single"
    """``single``: the return value is the one output; ``mapping``: a dict by port."""
    timeout_s: float | None = None
    """Per-run timeout."""
    concurrency: int | None = None
    """At most this many runs of the type at once (for rate-limited providers)."""

    @property
    def node_type(self) -> str:
        """The registry name."""
        return self.spec.node_type

    @property
    def is_async(self) -> bool:
        """Whether the function is a coroutine function."""
        return inspect.iscoroutinefunction(self.func)

    def param_errors(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(param, message)`` for every invalid or unknown param."""
        try:
            self.params_model.model_validate(dict(params))
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else "params"
                if err["type"] == "extra_forbidden":
                    known = ", ".join(sorted(self.spec.param_names)) or "none"
                    message = f"unknown param {name!r} (params: {known})"
                else:
                    message = f"param {name!r}: {err['msg']} (got {err.get('input')!r})"
                problems.append((name, message))
            return problems
        return []

    def resolve_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Validated params with defaults filled in (``ValueError`` listing every problem)."""
        problems = self.param_errors(params)
        if problems:
            raise ValueError("; ".join(m for _, m in problems))
        model = self.params_model.model_validate(dict(params))
        return {name: getattr(model, name) for name in type(model).model_fields}

    def call_args(
        self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: NodeContext | None
    ) -> dict[str, Any]:
        """Keyword arguments for the function: inputs, resolved params and the context."""
        kwargs = {**dict(inputs), **self.resolve_params(params)}
        if self.context_arg is not None:
            kwargs[self.context_arg] = ctx or NodeContext(node_id="", node_type=self.node_type)
        return kwargs

    def outputs_from(self, result: Any) -> dict[str, Any]:
        """Map a return value onto the output ports, checking each value's type."""
        ports = self.spec.outputs
        if self.output_mode == "none" or not ports:
            return {}
        if self.output_mode == "single":
            port = ports[0]
            return {port.name: coerce_output(result, port.type, f"{self.node_type}.{port.name}")}
        if not isinstance(result, Mapping):
            raise TypeError(
                f"{self.node_type} must return a dict with keys "
                f"{[p.name for p in ports]}, got {type(result).__name__}"
            )
        missing = [p.name for p in ports if p.name not in result]
        if missing:
            raise TypeError(f"{self.node_type} returned no value for output(s) {missing}")
        return {
            p.name: coerce_output(result[p.name], p.type, f"{self.node_type}.{p.name}")
            for p in ports
        }


class NodeFunction:
    """A function that is also a node type: call it as before, or add it to a pipeline."""

    def __init__(self, definition: NodeDefinition):
        self.definition = definition
        functools.update_wrapper(self, definition.func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.definition.func(*args, **kwargs)

    @property
    def node_type(self) -> str:
        """The registry name."""
        return self.definition.node_type

    @property
    def spec(self) -> NodeTypeSpec:
        """The node type's spec."""
        return self.definition.spec

    def __repr__(self) -> str:
        return f"<node {self.node_type}>"


def define_node(
    func: Callable[..., Any],
    *,
    name: str | None = None,
    node_type: str | None = None,
    category: str = "custom",
    label: str | None = None,
    description: str | None = None,
    outputs: Mapping[str, Any] | None = None,
    output: str | None = None,
    primary_param: str | None = None,
    credits: int = 0,
    deterministic: bool = True,
    version: str | None = None,
    timeout_s: float | None = None,
    concurrency: int | None = None,
    port_descriptions: Mapping[str, str] | None = None,
) -> NodeDefinition:
    """Build a :class:`NodeDefinition` from a typed function (see the module docstring).

    Raises :class:`NodeDefinitionError` naming the function for anything it cannot map.
    """
    fname = getattr(func, "__qualname__", repr(func))
    if not callable(func):
        raise NodeDefinitionError(f"{fname} is not callable")
    try:
        hints = get_type_hints(func, include_extras=True)
    except Exception as exc:  # a forward reference that does not resolve
        raise NodeDefinitionError(f"cannot read the annotations of {fname}: {exc}") from exc
    descriptions = dict(port_descriptions or {})
    inputs: list[Port] = []
    fields: dict[str, Any] = {}
    context_arg: str | None = None
    for pname, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise NodeDefinitionError(f"{fname}: *{pname} arguments cannot become ports or params")
        if pname in _RESERVED:
            raise NodeDefinitionError(f"{fname}: argument name {pname!r} is reserved")
        if pname not in hints:
            raise NodeDefinitionError(
                f"{fname}: argument {pname!r} has no type annotation; annotate it "
                "(e.g. `text: str`, `image: Image`, `*, size: int = 512`)"
            )
        annotation = hints[pname]
        if annotation is NodeContext:
            context_arg = pname
            continue
        if param.kind is param.KEYWORD_ONLY:
            default = ... if param.default is param.empty else param.default
            fields[pname] = (annotation, default)
            continue
        if param.kind is param.POSITIONAL_ONLY:
            raise NodeDefinitionError(
                f"{fname}: positional-only argument {pname!r} is not supported"
            )
        try:
            kind, optional, many = port_type_of(annotation)
        except TypeError as exc:
            raise NodeDefinitionError(f"{fname}: input {pname!r}: {exc}") from None
        has_default = param.default is not param.empty
        inputs.append(
            Port(
                name=pname,
                type=kind,
                many=many,
                required=not (optional or has_default or many),
                description=descriptions.get(pname, ""),
            )
        )

    out_ports, mode = _output_ports(func, fname, hints, outputs, output, descriptions)
    try:
        params_model = create_model(
            f"{getattr(func, '__name__', 'node').title().replace('_', '')}Params",
            __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=False),
            **fields,
        )
        schema = params_model.model_json_schema()
    except Exception as exc:
        raise NodeDefinitionError(f"{fname}: params cannot be described: {exc}") from exc
    for pname, prop in schema.get("properties", {}).items():
        if pname == "seed" or pname.endswith("_seed"):
            prop["x-widget"] = "seed"
    fn_name: str = name or getattr(func, "__name__", None) or "node"
    node_type = node_type or f"{category}:{fn_name.replace('_', '-')}"
    doc = inspect.getdoc(func) or ""
    try:
        spec = NodeTypeSpec(
            node_type=node_type,
            category=category,
            label=label or _label_of(fn_name),
            description=description if description is not None else doc.split("\n\n")[0],
            inputs=inputs,
            outputs=out_ports,
            params_schema=schema,
            primary_param=primary_param or next(iter(fields), None),
            credits=credits,
            deterministic=deterministic,
            version=version or _source_version(func),
        )
    except ValidationError as exc:
        raise NodeDefinitionError(f"{fname}: {exc.errors()[0]['msg']} ({node_type!r})") from None
    if spec.primary_param is not None and spec.primary_param not in fields:
        raise NodeDefinitionError(f"{fname}: primary_param {spec.primary_param!r} is not a param")
    return NodeDefinition(
        spec=spec,
        func=func,
        params_model=params_model,
        context_arg=context_arg,
        output_mode=mode,
        timeout_s=timeout_s,
        concurrency=concurrency,
    )


def _output_ports(
    func: Callable[..., Any],
    fname: str,
    hints: Mapping[str, Any],
    outputs: Mapping[str, Any] | None,
    output: str | None,
    descriptions: Mapping[str, str],
) -> tuple[list[Port], Literal["single", "mapping", "none"]]:
    def make(pname: str, annotation: Any) -> Port:
        try:
            kind, _, many = port_type_of(annotation)
        except TypeError as exc:
            raise NodeDefinitionError(f"{fname}: output {pname!r}: {exc}") from None
        if many:
            kind = PortType.JSON
        return Port(name=pname, type=kind, description=descriptions.get(pname, ""))

    if outputs is not None:
        ports = [make(k, v) for k, v in outputs.items()]
        return ports, "mapping" if len(ports) != 1 or output is None else "single"
    if "return" not in hints:
        raise NodeDefinitionError(
            f"{fname}: the return value has no type annotation; annotate it (e.g. `-> Image`) "
            "or `-> None` for a node without outputs"
        )
    ret = hints["return"]
    if ret is None or ret is type(None):
        return [], "none"
    base = get_args(ret)[0] if get_origin(ret) is typing.Annotated else ret
    if is_typeddict(base):
        fields = get_type_hints(base, include_extras=True)  # keep `Json` markers on fields
        return [make(k, v) for k, v in fields.items()], "mapping"
    port = make("x", ret)  # the full annotation: `Annotated[..., PortType.X]` decides the type
    port = port.model_copy(update={"name": output or _DEFAULT_OUTPUT_NAMES[port.type]})
    return [port], "single"


class NodeRegistry:
    """Node types by name. Thread-safe; lookups of unknown names suggest close matches."""

    def __init__(self, definitions: Iterable[NodeDefinition] = ()):
        self._defs: dict[str, NodeDefinition] = {}
        self._lock = threading.RLock()
        self._listeners: list[Callable[[NodeDefinition], None]] = []
        for d in definitions:
            self.register(d)

    def __repr__(self) -> str:
        return f"NodeRegistry({len(self._defs)} node types)"

    def __contains__(self, node_type: object) -> bool:
        return node_type in self._defs

    def __len__(self) -> int:
        return len(self._defs)

    def __iter__(self) -> Iterator[NodeDefinition]:
        return iter(sorted(self._defs.values(), key=lambda d: d.node_type))

    def register(
        self, item: NodeDefinition | NodeFunction, *, replace: bool = False
    ) -> NodeDefinition:
        """Add a node type; registering a name twice needs ``replace=True``.

        A function re-decorated under the same name from the same module and qualified
        name (a notebook cell run again) replaces its earlier version without asking.
        """
        definition = item.definition if isinstance(item, NodeFunction) else item
        with self._lock:
            old = self._defs.get(definition.node_type)
            if old is not None and not replace and not _same_origin(old.func, definition.func):
                raise NodeDefinitionError(
                    f"node type {definition.node_type!r} is already registered "
                    f"(by {_origin(old.func)}); pass replace=True or choose another name"
                )
            self._defs[definition.node_type] = definition
            listeners = list(self._listeners)
        for listener in listeners:
            listener(definition)
        return definition

    def unregister(self, node_type: str) -> None:
        """Remove a node type (``UnknownNodeTypeError`` when absent)."""
        with self._lock:
            if node_type not in self._defs:
                raise UnknownNodeTypeError(node_type, self._suggest(node_type))
            del self._defs[node_type]

    def on_register(self, callback: Callable[[NodeDefinition], None]) -> None:
        """Call ``callback(definition)`` whenever a node type is registered or replaced."""
        self._listeners.append(callback)

    def get(self, node_type: str) -> NodeDefinition:
        """The definition of a node type (``UnknownNodeTypeError`` with suggestions)."""
        try:
            return self._defs[node_type]
        except KeyError:
            raise UnknownNodeTypeError(node_type, self._suggest(node_type)) from None

    def _suggest(self, node_type: str) -> list[str]:
        return difflib.get_close_matches(node_type, list(self._defs), n=3, cutoff=0.6)

    # NodeCatalog protocol (validation)
    def spec(self, node_type: str) -> NodeTypeSpec | None:
        """The spec of a node type, or ``None``."""
        d = self._defs.get(node_type)
        return d.spec if d else None

    def node_types(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._defs)

    def check_params(self, node_type: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(param, message)`` for every invalid or unknown param of a node type."""
        d = self._defs.get(node_type)
        return d.param_errors(params) if d else []

    def specs(self, category: str | None = None) -> list[NodeTypeSpec]:
        """Every spec (of one category, if given), sorted by name."""
        return [d.spec for d in self if category is None or d.spec.category == category]

    def search(self, query: str = "", *, category: str | None = None) -> list[NodeTypeSpec]:
        """Specs whose name, label, category or description contain every word of ``query``."""
        words = query.lower().split()
        found = []
        for spec in self.specs(category):
            text = f"{spec.node_type} {spec.label} {spec.category} {spec.description}".lower()
            if all(w in text for w in words):
                found.append(spec)
        return found

    def copy(self) -> NodeRegistry:
        """An independent registry with the same node types."""
        with self._lock:
            return NodeRegistry(self._defs.values())

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register node types published by installed packages; returns their names."""
        added: list[str] = []
        for ep in metadata.entry_points(group=group):
            try:
                loaded = ep.load()
            except Exception as exc:
                raise NodeDefinitionError(
                    f"entry point {ep.name!r} ({ep.value}) failed to load: {exc}"
                ) from exc
            for definition in _definitions_in(loaded):
                self.register(definition, replace=True)
                added.append(definition.node_type)
        return added


def _definitions_in(obj: Any) -> list[NodeDefinition]:
    if isinstance(obj, NodeDefinition):
        return [obj]
    if isinstance(obj, NodeFunction):
        return [obj.definition]
    if isinstance(obj, types.ModuleType):
        return [v.definition for v in vars(obj).values() if isinstance(v, NodeFunction)]
    if isinstance(obj, Iterable):
        return [d for item in obj for d in _definitions_in(item)]
    raise NodeDefinitionError(f"cannot read node types from {obj!r}")


def _origin(func: Callable[..., Any]) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', '?')}"


def _same_origin(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    return _origin(a) == _origin(b)


_default: NodeRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> NodeRegistry:
    """The process-wide registry: built-in node types plus entry-point plugins.

    Built on first use (never at import), so ``import pipeflow_nb`` stays cheap.
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                from pipeflow_nb.nodes.builtin import builtin_definitions

                registry = NodeRegistry(builtin_definitions())
                registry.load_entry_points()
                _default = registry
    return _default


def node(
    func: Callable[..., Any] | None = None,
    *,
    registry: NodeRegistry | None = None,
    replace: bool = False,
    **options: Any,
) -> Any:
    """Turn a typed function into a node type and register it (default registry unless given).

    Usable bare (``@node``) or with options (``@node(category="image", credits=2)``); see
    :func:`define_node` for the options. Returns a :class:`NodeFunction`, still callable.
    """

    def wrap(f: Callable[..., Any]) -> NodeFunction:
        wrapped = NodeFunction(define_node(f, **options))
        target = registry if registry is not None else default_registry()
        target.register(wrapped, replace=replace)
        return wrapped

    return wrap(func) if func is not None else wrap
