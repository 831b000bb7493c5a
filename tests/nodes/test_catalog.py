"""The catalog listing: text table for the terminal, HTML table for notebooks."""

from __future__ import annotations

from pipeflow_nb.nodes.catalog import catalog, describe_params, render_catalog
from pipeflow_nb.nodes.registry import NodeRegistry, default_registry, define_node


def test_table_shows_ports_params_and_cost() -> None:
    text = render_catalog(query="upscale")
    lines = text.splitlines()
    assert lines[0].split() == ["NODE", "TYPE", "PORTS", "PARAMS", "COST"]
    assert "[image]" in lines
    row = next(line for line in lines if line.startswith("image:upscale"))
    assert "in  image: IMAGE" in row and "scale=4 (2|3|4)" in row and row.endswith("free")
    assert any("out method: TEXT" in line for line in lines)
    assert lines[-1] == "1 node type; ~ = not deterministic"


def test_hosted_nodes_show_credits_and_nondeterminism() -> None:
    text = render_catalog(category="model")
    assert "model:openai:chat" in text
    chat = next(line for line in text.splitlines() if line.startswith("model:openai:chat"))
    assert chat.endswith("1 cr ~")
    # A name longer than its column sits on a line of its own.
    assert "model:replicate:black-forest-labs/flux-schnell" in text.splitlines()


def test_search_matches_every_word_and_reports_no_match() -> None:
    assert "video:slideshow" in render_catalog(query="slideshow video")
    assert "image:resize" not in render_catalog(query="slideshow video")
    assert render_catalog(query="no such node") == "no node types match 'no such node'"


def test_every_builtin_declares_category_credits_determinism_and_version() -> None:
    for spec in default_registry().specs():
        assert spec.category and spec.version, spec.node_type
        if spec.category in ("image", "video", "audio", "text", "input", "utility"):
            assert spec.credits == 0, spec.node_type
        if spec.category == "model":
            assert spec.credits > 0 and not spec.deterministic, spec.node_type


def test_notebook_view_renders_html_and_narrows() -> None:
    view = catalog("image")
    narrower = view.search("text")
    assert 0 < len(narrower) < len(view)
    html = narrower._repr_html_()
    assert "<code>image:text</code>" in html and "<table" in html
    assert repr(narrower) == render_catalog(query="image text")


def test_params_with_choices_and_required_values() -> None:
    def f(*, mode: str, size: int = 3, flag: bool = False) -> int:
        return size

    spec = define_node(f, node_type="test:f").spec
    assert describe_params(spec.params_schema) == ["mode (required)", "size=3", "flag=false"]
    registry = NodeRegistry([define_node(f, node_type="test:f")])
    assert "test:f" in render_catalog(registry)
