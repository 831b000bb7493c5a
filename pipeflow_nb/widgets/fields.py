"""Pure form fields from a node type's params JSON schema (no ipywidgets here).

:func:`form_fields` reads the schema pydantic writes for a node's params and says which
control each param gets: ``text``, ``integer``/``number`` (with bounds), ``enum`` (a
dropdown), ``boolean`` (a checkbox), ``seed`` (a number with a dice button; schema
properties marked ``x-widget: seed``) or ``json`` (anything else, edited as JSON text).

>>> [f.kind for f in form_fields({"properties": {"width": {"type": "integer", "minimum": 1}}})]
['integer']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["FieldKind", "FormField", "form_fields", "parse_field_value"]

FieldKind = Literal["text", "integer", "number", "enum", "boolean", "seed", "json"]


@dataclass(frozen=True)
class FormField:
    """One param's control in a generated form."""

    name: str
    kind: FieldKind
    label: str
    description: str = ""
    default: Any = None
    has_default: bool = False
    required: bool = False
    nullable: bool = False
    """``None`` is a valid value (an optional param)."""
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[Any, ...] = ()
    """Choices of an ``enum`` field."""
    multiline: bool = False
    """A text field for long text (prompts, templates)."""


def _resolve(prop: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = defs.get(ref.rsplit("/", 1)[-1], {})
        return {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
    return prop


def _unwrap(prop: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """The schema of the value itself, and whether ``null`` is allowed too."""
    prop = _resolve(prop, defs)
    options = prop.get("anyOf") or prop.get("oneOf")
    if not options:
        return prop, prop.get("type") == "null"
    real = [_resolve(o, defs) for o in options if o.get("type") != "null"]
    nullable = len(real) < len(options)
    outer = {k: v for k, v in prop.items() if k not in ("anyOf", "oneOf")}
    if len(real) == 1:
        return {**real[0], **outer}, nullable
    kinds = {o.get("type") for o in real}
    if kinds <= {"integer", "number"}:
        return {**outer, "type": "number"}, nullable
    return outer, nullable


_MULTILINE_NAMES = ("prompt", "template", "text", "system", "instructions")


def _kind(name: str, prop: Mapping[str, Any]) -> FieldKind:
    if prop.get("x-widget") == "seed":
        return "seed"
    if "enum" in prop or "const" in prop:
        return "enum"
    kinds: dict[Any, FieldKind] = {
        "string": "text",
        "integer": "integer",
        "number": "number",
        "boolean": "boolean",
    }
    return kinds.get(prop.get("type"), "json")


def form_fields(schema: Mapping[str, Any]) -> list[FormField]:
    """The fields of a params schema, in the schema's property order."""
    defs: Mapping[str, Any] = schema.get("$defs", {})
    required = set(schema.get("required", []))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        prop, nullable = _unwrap(raw, defs)
        kind = _kind(name, {**prop, **({"x-widget": raw["x-widget"]} if "x-widget" in raw else {})})
        options: tuple[Any, ...] = ()
        if kind == "enum":
            options = tuple(prop["enum"]) if "enum" in prop else (prop["const"],)
        low = prop.get("minimum", prop.get("exclusiveMinimum"))
        high = prop.get("maximum", prop.get("exclusiveMaximum"))
        fields.append(
            FormField(
                name=name,
                kind=kind,
                label=str(raw.get("title") or prop.get("title") or name),
                description=str(raw.get("description") or prop.get("description") or ""),
                default=raw.get("default"),
                has_default="default" in raw,
                required=name in required,
                nullable=nullable,
                minimum=low if isinstance(low, int | float) else None,
                maximum=high if isinstance(high, int | float) else None,
                options=options,
                multiline=kind == "text"
                and (name in _MULTILINE_NAMES or name.endswith(_MULTILINE_NAMES)),
            )
        )
    return fields


def parse_field_value(field: FormField, raw: Any) -> Any:
    """A control's value as the param value (``ValueError`` naming the param when it is not).

    JSON fields take JSON text; an empty text or JSON field means ``None`` when the param
    is optional.
    """
    import json

    if field.kind == "json":
        text = str(raw).strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"param {field.name!r}: not valid JSON ({exc.msg})") from None
    if field.kind == "text" and raw == "" and field.nullable:
        return None
    if field.kind in ("integer", "seed") and raw is not None:
        return int(raw)
    return raw
