"""Form fields from params schemas: every built-in node type, and each kind of control."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

import pytest
from pydantic import Field

from pipeflow_nb.nodes.registry import default_registry, define_node
from pipeflow_nb.widgets.fields import form_fields, parse_field_value


class Mode(Enum):
    FAST = "fast"
    GOOD = "good"


def sample(
    text: str,
    *,
    prompt: str = "a fox",
    width: Annotated[int, Field(ge=16, le=2048)] = 512,
    strength: float = 0.5,
    style: Literal["photo", "sketch"] = "photo",
    mode: Mode = Mode.FAST,
    upscale: bool = False,
    seed: int = 0,
    limit: int | None = None,
    tags: list[str] | None = None,
) -> str:
    return text


def test_each_kind_of_control_from_a_schema() -> None:
    spec = define_node(sample, category="text").spec
    fields = {f.name: f for f in form_fields(spec.params_schema)}
    kinds = {name: f.kind for name, f in fields.items()}
    assert kinds == {
        "prompt": "text",
        "width": "integer",
        "strength": "number",
        "style": "enum",
        "mode": "enum",
        "upscale": "boolean",
        "seed": "seed",
        "limit": "integer",
        "tags": "json",
    }
    assert (fields["width"].minimum, fields["width"].maximum) == (16, 2048)
    assert fields["style"].options == ("photo", "sketch")
    assert fields["mode"].options == ("fast", "good")
    assert fields["prompt"].multiline and not fields["style"].multiline
    assert fields["limit"].nullable and not fields["width"].nullable
    assert fields["width"].default == 512 and fields["width"].has_default


def test_parse_field_values() -> None:
    fields = {f.name: f for f in form_fields(define_node(sample, category="t").spec.params_schema)}
    assert parse_field_value(fields["tags"], '["a", "b"]') == ["a", "b"]
    assert parse_field_value(fields["tags"], "  ") is None
    assert parse_field_value(fields["seed"], 7.0) == 7
    with pytest.raises(ValueError, match="param 'tags': not valid JSON"):
        parse_field_value(fields["tags"], "[oops")


def test_every_builtin_node_type_gets_a_form() -> None:
    from pipeflow_nb.widgets.forms import ParamForm

    registry = default_registry()
    assert len(registry) >= 5
    for definition in registry:
        spec = definition.spec
        fields = form_fields(spec.params_schema)
        assert [f.name for f in fields] == list(spec.params_schema.get("properties", {}))
        form = ParamForm(spec)
        assert set(form.controls) == {f.name for f in fields}, spec.node_type
        # the form's initial values are the defaults, and the params model accepts them
        values = {k: v for k, v in form.values().items() if k in definition.spec.param_names}
        required = set(spec.params_schema.get("required", []))
        ok = {k: v for k, v in values.items() if k not in required or v not in ("", None)}
        problems = definition.param_errors(ok)
        assert problems == [] or all(name in required for name, _ in problems), (
            spec.node_type,
            problems,
        )
        for field in fields:
            if field.kind == "seed":
                assert field.name in form.dice
