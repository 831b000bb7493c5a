"""Building trusted wire models quickly.

The engine creates several models per node (events, node runs, outputs) from values it
produced itself, so validating them again is wasted work; ``model_construct`` skips
validation but still inspects every default factory's signature on each call, which
dominates the per-node cost of small nodes. :func:`build` fills defaults from a table
made once per class, then sets the instance state exactly as ``model_construct`` does.

Instances of a frozen model share one fields-set per combination of given fields: it is
only ever read (assignment is refused; copies copy it), and one set fewer per model is
measurably less garbage-collector work when a batch keeps thousands of node runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["build", "build_from"]

M = TypeVar("M", bound=BaseModel)
_setattr = object.__setattr__
_new = object.__new__
# The slot setters of BaseModel's own state: cheaper than ``object.__setattr__`` by name.
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_Table = tuple[
    dict[str, Any], list[tuple[str, Callable[[], Any]]], bool, int, dict[Any, set[str]] | None
]
_TABLES: dict[type[BaseModel], _Table] = {}
_ALL = "all"


def _table(cls: type[BaseModel]) -> _Table:
    plain: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for name, field in cls.model_fields.items():
        if field.default_factory is not None:
            factories.append((name, field.default_factory))  # type: ignore[arg-type]
        elif not field.is_required():
            plain[name] = field.default
    extra = cls.model_config.get("extra") == "allow"
    shared: dict[Any, set[str]] | None = None
    if cls.model_config.get("frozen"):
        shared = {_ALL: set(cls.model_fields)}
    table = (plain, factories, extra, len(cls.model_fields), shared)
    _TABLES[cls] = table
    return table


def build(cls: type[M], /, **values: Any) -> M:
    """An instance of ``cls`` from trusted values given by field name (no validation)."""
    plain, factories, extra, _, shared = _TABLES.get(cls) or _table(cls)
    data = plain.copy()
    data.update(values)
    for name, factory in factories:
        if name not in values:
            data[name] = factory()
    model = _new(cls)
    _setattr(model, "__dict__", data)
    if shared is None:
        _set_fields_set(model, set(values))
    else:
        names = tuple(values)
        fields_set = shared.get(names)
        if fields_set is None:
            fields_set = shared.setdefault(names, set(names))
        _set_fields_set(model, fields_set)
    _set_extra(model, {} if extra else None)
    _set_private(model, None)
    return model


def build_from(cls: type[M], data: dict[str, Any], /) -> M:
    """Like :func:`build`, taking ownership of ``data`` (a fresh dict by field name).

    Cheapest when ``data`` names every field, as the engine's per-node models do.
    """
    plain, factories, extra, count, shared = _TABLES.get(cls) or _table(cls)
    full = len(data) == count
    fields_set = shared[_ALL] if full and shared is not None else set(data)
    if not full:  # some field left to its default
        for name, default in plain.items():
            data.setdefault(name, default)
        for name, factory in factories:
            if name not in data:
                data[name] = factory()
    model = _new(cls)
    _setattr(model, "__dict__", data)
    _set_fields_set(model, fields_set)
    _set_extra(model, {} if extra else None)
    _set_private(model, None)
    return model
