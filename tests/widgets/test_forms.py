"""The generated param form: edits call back, code edits show, the dice rolls seeds."""

from __future__ import annotations

import random
from typing import Annotated, Any

from pydantic import Field

from pipeflow_nb.nodes.registry import define_node
from pipeflow_nb.widgets.forms import SEED_MAX, ParamForm


def gen(
    prompt: str,
    *,
    steps: Annotated[int, Field(ge=1, le=50)] = 20,
    seed: int = 0,
    limit: int | None = None,
) -> str:
    return prompt


SPEC = define_node(gen, category="model").spec


def test_controls_reflect_schema_and_values() -> None:
    form = ParamForm(SPEC, {"steps": 30})
    assert repr(form) == "ParamForm(model:gen: steps:integer, seed:seed, limit:integer)"
    steps = form.controls["steps"]
    assert (steps.value, steps.min, steps.max) == (30, 1, 50)
    assert form.controls["limit"].value == ""  # optional number shown blank
    assert form.values() == {"steps": 30, "seed": 0, "limit": None}


def test_changes_call_back_and_show_refusals() -> None:
    got: list[dict[str, Any]] = []

    def on_change(values: dict[str, Any]) -> str | None:
        got.append(values)
        return "too many" if values.get("limit", 0) and values["limit"] > 9 else None

    form = ParamForm(SPEC, on_change=on_change)
    form.controls["steps"].value = 5
    form.controls["limit"].value = "12"
    assert got == [{"steps": 5}, {"limit": 12}]
    assert "too many" in form.errors["limit"].value
    form.controls["limit"].value = "x"
    assert "&#x27;x&#x27; is not a number" in form.errors["limit"].value
    assert len(got) == 2  # not sent
    form.set_values({"steps": 7, "limit": None})  # from code: no call back
    assert len(got) == 2
    assert form.controls["steps"].value == 7 and form.errors["limit"].value == ""


def test_dice_rolls_a_seed() -> None:
    got: list[dict[str, Any]] = []
    form = ParamForm(SPEC, rng=random.Random(3), on_change=lambda v: got.append(v) or None)
    form.dice["seed"].click()
    expected = random.Random(3).randint(0, SEED_MAX)
    assert form.controls["seed"].value == expected
    assert got == [{"seed": expected}]
