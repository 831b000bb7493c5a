"""``ParamForm``: the params of one node, as controls generated from its params schema.

Each change calls ``on_change({param: value})``; the callback (the builder, which owns
the pipeline) applies it and returns an error message to show next to the field, or
``None``. Values set from code arrive through :meth:`ParamForm.set_values` without
calling back.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

import ipywidgets as w

from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.widgets.fields import FormField, form_fields, parse_field_value

__all__ = ["ParamForm", "SEED_MAX"]

SEED_MAX = 2**31 - 1
"""The dice button picks seeds in ``0..SEED_MAX``."""

OnParamChange = Callable[[dict[str, Any]], str | None]

_INT_LIMIT = 2**53


def _shown(field: FormField, value: Any) -> Any:
    """The control value for a param value (JSON as text, absent numbers as blanks)."""
    if field.kind == "json":
        return "" if value is None else json.dumps(value)
    if _as_text(field):
        return "" if value is None else str(value)
    if value is None:
        defaults: dict[str, Any] = {"boolean": False, "integer": 0, "seed": 0, "number": 0.0}
        if field.kind == "enum":
            return field.options[0] if field.options else None
        return defaults.get(field.kind, "")
    return value


def _as_text(field: FormField) -> bool:
    # Optional numbers may be blank, which number boxes cannot show.
    return field.nullable and field.kind in ("integer", "number")


def _control(field: FormField, value: Any) -> w.Widget:
    shown = _shown(field, value)
    common: dict[str, Any] = {"description": field.label, "tooltip": field.description}
    style = {"description_width": "120px"}
    if field.kind == "enum":
        return w.Dropdown(options=list(field.options), value=shown, style=style, **common)
    if field.kind == "boolean":
        return w.Checkbox(value=bool(shown), indent=False, **common)
    if _as_text(field) or field.kind == "json":
        box = w.Textarea if field.kind == "json" else w.Text
        return box(value=shown, placeholder="(none)", style=style, **common)
    if field.kind in ("integer", "seed"):
        low = int(field.minimum) if field.minimum is not None else -_INT_LIMIT
        high = int(field.maximum) if field.maximum is not None else _INT_LIMIT
        return w.BoundedIntText(value=int(shown), min=low, max=high, style=style, **common)
    if field.kind == "number":
        low_f = float(field.minimum) if field.minimum is not None else -float(_INT_LIMIT)
        high_f = float(field.maximum) if field.maximum is not None else float(_INT_LIMIT)
        return w.BoundedFloatText(value=float(shown), min=low_f, max=high_f, style=style, **common)
    box = w.Textarea if field.multiline else w.Text
    return box(value=str(shown), style=style, **common)


class ParamForm(w.VBox):  # type: ignore[misc]
    """Controls for a node's params, generated from its type's params schema."""

    def __init__(
        self,
        spec: NodeTypeSpec,
        values: Mapping[str, Any] | None = None,
        *,
        on_change: OnParamChange | None = None,
        rng: random.Random | None = None,
    ):
        self.spec = spec
        self.fields = form_fields(spec.params_schema)
        self.on_change = on_change
        self.rng = rng or random.Random()
        self.controls: dict[str, w.Widget] = {}
        self.errors: dict[str, w.HTML] = {}
        self.dice: dict[str, w.Button] = {}
        self._quiet = False
        rows: list[w.Widget] = []
        current = dict(values or {})
        for field in self.fields:
            value = current.get(field.name, field.default)
            control = _control(field, value)
            control.add_class(f"pf-param-{field.name}")
            control.observe(self._changed(field), names="value")
            self.controls[field.name] = control
            error = w.HTML()
            error.add_class("pf-param-error")
            self.errors[field.name] = error
            parts = [control]
            if field.kind == "seed":
                dice = w.Button(description="🎲", tooltip="random seed", layout={"width": "40px"})
                dice.add_class("pf-dice")
                dice.on_click(lambda _b, name=field.name: self.roll(name))
                self.dice[field.name] = dice
                parts.append(dice)
            rows.append(w.VBox([w.HBox(parts), error]))
        if not rows:
            rows.append(w.HTML("<i>no params</i>"))
        super().__init__(rows)
        self.add_class("pf-param-form")

    def __repr__(self) -> str:
        kinds = ", ".join(f"{f.name}:{f.kind}" for f in self.fields)
        return f"ParamForm({self.spec.node_type}: {kinds or 'no params'})"

    def field(self, name: str) -> FormField:
        """The field of a param (``KeyError`` naming the params when absent)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.spec.node_type} has no param {name!r} ({list(self.controls)})")

    def values(self) -> dict[str, Any]:
        """Every param as the form currently shows it."""
        return {f.name: parse_field_value(f, self._raw(f)) for f in self.fields}

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show these values (from the pipeline) without calling ``on_change``."""
        self._quiet = True
        try:
            for f in self.fields:
                if f.name in values:
                    self.controls[f.name].value = _shown(f, values[f.name])
                    self.errors[f.name].value = ""
        finally:
            self._quiet = False

    def roll(self, name: str) -> int:
        """Put a random seed in a seed field (as the dice button does); returns it."""
        seed = self.rng.randint(0, SEED_MAX)
        self.controls[name].value = seed
        return seed

    def _raw(self, field: FormField) -> Any:
        raw = self.controls[field.name].value
        if _as_text(field):
            text = str(raw).strip()
            if not text:
                return None
            try:
                return int(text) if field.kind == "integer" else float(text)
            except ValueError:
                raise ValueError(f"param {field.name!r}: {text!r} is not a number") from None
        return raw

    def _changed(self, field: FormField) -> Callable[[Mapping[str, Any]], None]:
        def handle(_change: Mapping[str, Any]) -> None:
            if self._quiet or self.on_change is None:
                return
            try:
                value = parse_field_value(field, self._raw(field))
            except ValueError as exc:
                self.errors[field.name].value = self._error_html(str(exc))
                return
            problem = self.on_change({field.name: value})
            self.errors[field.name].value = self._error_html(problem) if problem else ""

        return handle

    @staticmethod
    def _error_html(message: str) -> str:
        return f'<span style="color:#b71c1c;font-size:11px">{escape(message)}</span>'
