from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Annotated, Literal, TypedDict

import pytest
from pydantic import Field

from pipeflow_nb import Audio, Image, NodeContext, Pipeline, Video
from pipeflow_nb.errors import NodeDefinitionError, UnknownNodeTypeError
from pipeflow_nb.models import PortType
from pipeflow_nb.nodes.registry import Json, NodeRegistry, define_node, node


def test_ports_and_params_come_from_annotations() -> None:
    registry = NodeRegistry()

    @node(category="image", registry=registry, credits=2, deterministic=False)
    def poster(
        image: Image,
        caption: str,
        music: Audio | None = None,
        extras: list[Image] | None = None,
        *,
        width: Annotated[int, Field(ge=16, le=4096)] = 512,
        mode: Literal["fit", "fill"] = "fit",
        seed: int = 0,
        ctx: NodeContext,
    ) -> Video:
        """Make a poster video."""
        raise AssertionError("not called in this test")

    spec = registry.get("image:poster").spec
    assert spec.label == "Poster" and spec.description == "Make a poster video."
    assert [(p.name, p.type, p.required, p.many) for p in spec.inputs] == [
        ("image", PortType.IMAGE, True, False),
        ("caption", PortType.TEXT, True, False),
        ("music", PortType.AUDIO, False, False),
        ("extras", PortType.IMAGE, False, True),
    ]
    assert [(p.name, p.type) for p in spec.outputs] == [("video", PortType.VIDEO)]
    props = spec.params_schema["properties"]
    assert props["width"]["minimum"] == 16 and props["width"]["maximum"] == 4096
    assert props["mode"]["enum"] == ["fit", "fill"]
    assert props["seed"]["x-widget"] == "seed"
    assert "ctx" not in props
    assert spec.credits == 2 and spec.deterministic is False
    assert spec.primary_param == "width"
    assert poster.definition.context_arg == "ctx"


def test_decorated_function_is_still_callable_and_addable() -> None:
    registry = NodeRegistry()

    @node(category="text", registry=registry)
    def shout(text: str, *, times: int = 2) -> str:
        return " ".join([text.upper()] * times)

    assert shout("hi", times=3) == "HI HI HI"
    p = Pipeline("t", registry=NodeRegistry([*registry, *_core_defs()]))
    src = p.add("input:text", text="hey")
    loud = p.add(shout, text=src, times=3)
    assert loud.node_type == "text:shout"
    p.validate()


def _core_defs() -> list:  # type: ignore[type-arg]
    from pipeflow_nb.nodes.builtin import builtin_definitions

    return builtin_definitions()


class Split(TypedDict):
    head: str
    count: int


class Stats(TypedDict):
    words: Json
    length: int


def test_json_annotations_give_json_ports() -> None:
    def stats(text: str) -> Stats:
        return {"words": text.split(), "length": len(text)}

    def embed(text: str) -> Json:
        return [0.1, 0.2]

    assert [(p.name, p.type) for p in define_node(stats).spec.outputs] == [
        ("words", PortType.JSON),
        ("length", PortType.NUMBER),
    ]
    assert [(p.name, p.type) for p in define_node(embed).spec.outputs] == [("json", PortType.JSON)]


def test_typed_dict_return_gives_several_outputs() -> None:
    def split(text: str) -> Split:
        return {"head": text[:1], "count": len(text)}

    definition = define_node(split, category="text")
    assert [(p.name, p.type) for p in definition.spec.outputs] == [
        ("head", PortType.TEXT),
        ("count", PortType.NUMBER),
    ]
    assert definition.outputs_from(split("abc")) == {"head": "a", "count": 3}
    with pytest.raises(TypeError, match="no value for output"):
        definition.outputs_from({"head": "a"})


def test_missing_annotations_are_definition_time_errors_naming_the_function() -> None:
    def untyped(text, *, n: int = 1) -> str:  # type: ignore[no-untyped-def]
        return str(text)

    with pytest.raises(NodeDefinitionError, match=r"untyped.*argument 'text' has no type"):
        define_node(untyped)

    def no_return(text: str):  # type: ignore[no-untyped-def]
        return text

    with pytest.raises(NodeDefinitionError, match="no_return: the return value has no type"):
        define_node(no_return)

    def weird(thing: complex) -> str:
        return ""

    with pytest.raises(NodeDefinitionError, match="input 'thing'"):
        define_node(weird)


def test_outputs_are_coerced_and_checked() -> None:
    import numpy as np

    def make(*, n: int = 4) -> Image:
        return np.zeros((n, n, 3), np.uint8)  # type: ignore[return-value]

    definition = define_node(make, category="image")
    out = definition.outputs_from(make())
    assert isinstance(out["image"], Image) and out["image"].width == 4

    def bad() -> int:
        return "three"  # type: ignore[return-value]

    with pytest.raises(TypeError, match=r"custom:bad.number must be NUMBER, got str"):
        define_node(bad).outputs_from(bad())


def test_params_are_validated_with_readable_messages() -> None:
    def f(*, size: Annotated[int, Field(ge=1)] = 4) -> int:
        return size

    definition = define_node(f)
    assert definition.resolve_params({}) == {"size": 4}
    problems = definition.param_errors({"size": 0, "colour": "red"})
    assert [name for name, _ in problems] == ["size", "colour"]
    assert "unknown param 'colour' (params: size)" in problems[1][1]


def test_registry_lookup_suggests_and_protects_names() -> None:
    registry = NodeRegistry()

    @node(registry=registry, name="echo")
    def first(text: str) -> str:
        return text

    with pytest.raises(UnknownNodeTypeError, match="did you mean custom:echo"):
        registry.get("custom:ecko")

    def other(text: str) -> str:
        return text

    with pytest.raises(NodeDefinitionError, match="already registered"):
        registry.register(define_node(other, name="echo"))
    registry.register(define_node(other, name="echo"), replace=True)
    assert registry.get("custom:echo").func is other


def test_redefining_the_same_function_replaces_it_and_changes_version() -> None:
    registry = NodeRegistry()
    namespace: dict[str, object] = {"node": node, "registry": registry}
    exec(
        textwrap.dedent("""
        @node(registry=registry)
        def cell(text: str) -> str:
            return text
    """),
        namespace,
    )
    v1 = registry.get("custom:cell").spec.version
    exec(
        textwrap.dedent("""
        @node(registry=registry)
        def cell(text: str) -> str:
            return text + "!"
    """),
        namespace,
    )
    assert registry.get("custom:cell").spec.version != v1


def test_search_and_default_registry() -> None:
    from pipeflow_nb import default_registry

    reg = default_registry()
    assert {
        "input:text",
        "input:number",
        "input:image",
        "text:template",
        "text:concat",
        "utility:json",
    } <= set(reg.node_types())
    assert [s.node_type for s in reg.search("template")] == ["text:template"]
    assert all(s.category == "input" for s in reg.search(category="input"))


def test_entry_point_plugins_are_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "acme_nodes.py"
    pkg.write_text(
        textwrap.dedent("""
        from pipeflow_nb.nodes.registry import NodeFunction, define_node

        def reverse(text: str) -> str:
            return text[::-1]

        reverse_node = NodeFunction(define_node(reverse, node_type="acme:reverse", category="acme"))
    """)
    )
    dist = tmp_path / "acme_nodes-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-nodes\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[pipeflow_nb.nodes]\nacme = acme_nodes\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = NodeRegistry()
    assert registry.load_entry_points() == ["acme:reverse"]
    assert registry.get("acme:reverse").func("abc") == "cba"
    sys.modules.pop("acme_nodes", None)
