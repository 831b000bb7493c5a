"""The node catalog as a readable table, for the terminal (``pipeflow nodes``) and notebooks.

>>> print(render_catalog(query="resize"))            # doctest: +SKIP
NODE TYPE     PORTS                      PARAMS                                  COST
─────────────────────────────────────────────────────────────────────────────────────
image:resize  in  image: IMAGE           width=0, height=0, scale=0.0, fit=cover  free
              out image: IMAGE           (stretch|contain|cover), resample=...
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable
from typing import Any

from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.ports import Port
from pipeflow_nb.nodes.registry import NodeRegistry, default_registry

__all__ = ["NodeCatalogView", "catalog", "describe_params", "describe_ports", "render_catalog"]

_WIDTHS = (26, 34, 44, 8)  # node type, ports, params, cost


def describe_ports(ports: Iterable[Port]) -> list[str]:
    """One ``name: TYPE`` entry per port; ``?`` marks optional inputs, ``*`` many-edge ones."""
    out = []
    for port in ports:
        mark = "*" if port.many else ("?" if not port.required else "")
        out.append(f"{port.name}{mark}: {port.type.value}")
    return out


def _default(prop: dict[str, Any]) -> str:
    if "default" not in prop:
        return " (required)"
    value = prop["default"]
    if value is None:
        return "=none"
    if isinstance(value, bool):
        return "=true" if value else "=false"
    return f"={value}" if value != "" else "=''"


def _choices(prop: dict[str, Any]) -> str:
    options = prop.get("enum")
    if options is None:
        options = next((p["enum"] for p in prop.get("anyOf", []) if "enum" in p), None)
    return f" ({'|'.join(str(o) for o in options)})" if options else ""


def describe_params(schema: dict[str, Any]) -> list[str]:
    """``name=default (choices)`` for every param in a params JSON schema."""
    props = schema.get("properties", {})
    return [f"{name}{_default(prop)}{_choices(prop)}" for name, prop in props.items()]


def _cost(spec: NodeTypeSpec) -> str:
    cost = "free" if spec.credits == 0 else f"{spec.credits} cr"
    return cost if spec.deterministic else f"{cost} ~"


def _cell(items: list[str], width: int) -> list[str]:
    text = ", ".join(items)
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def _rows(spec: NodeTypeSpec) -> list[tuple[str, str, str, str]]:
    ports = [f"in  {p}" for p in describe_ports(spec.inputs) or ["-"]]
    ports += [f"out {p}" for p in describe_ports(spec.outputs) or ["-"]]
    port_lines = [line for p in ports for line in textwrap.wrap(p, _WIDTHS[1])]
    label = textwrap.wrap(spec.label, _WIDTHS[0], initial_indent="  ", subsequent_indent="  ")
    long_name = len(spec.node_type) > _WIDTHS[0]
    columns = [
        label if long_name else [spec.node_type, *label],
        port_lines,
        _cell(describe_params(spec.params_schema), _WIDTHS[2]),
        [_cost(spec)],
    ]
    height = max(len(c) for c in columns)
    padded = [c + [""] * (height - len(c)) for c in columns]
    rows: list[tuple[str, str, str, str]] = list(zip(*padded, strict=True))
    # A name too long for its column gets a line of its own above the rest.
    return [(spec.node_type, "", "", ""), *rows] if long_name else rows


def render_catalog(
    registry: NodeRegistry | None = None,
    query: str = "",
    *,
    category: str | None = None,
) -> str:
    """The node types matching ``query`` (every word, in name, label, category or
    description) and ``category``, grouped by category, as a plain-text table.

    COST is credits per run (``free`` for local nodes); ``~`` marks node types whose output
    may differ between runs (not cached).
    """
    specs = (registry if registry is not None else default_registry()).search(
        query, category=category
    )
    if not specs:
        where = f" in category {category!r}" if category else ""
        return f"no node types match {query!r}{where}"
    header = ("NODE TYPE", "PORTS", "PARAMS", "COST")
    rule = "─" * (sum(_WIDTHS) + 3 * 2)
    lines = [_line(header), rule]
    current = None
    for spec in sorted(specs, key=lambda s: (s.category, s.node_type)):
        if spec.category != current:
            if current is not None:
                lines.append("")
            current = spec.category
            lines.append(f"[{current}]")
        lines += [_line(row) for row in _rows(spec)]
    lines += ["", f"{len(specs)} node type{'s' if len(specs) != 1 else ''}; ~ = not deterministic"]
    return "\n".join(lines)


def _line(row: tuple[str, ...]) -> str:
    if row[0] and not any(row[1:]):
        return row[0]
    return "  ".join(cell.ljust(w) for cell, w in zip(row, _WIDTHS, strict=True)).rstrip()


class NodeCatalogView:
    """A searchable listing that shows itself as a table in a notebook and a terminal.

    >>> catalog("upscale")                               # doctest: +SKIP
    """

    def __init__(
        self, registry: NodeRegistry | None = None, query: str = "", category: str | None = None
    ):
        self._registry = registry if registry is not None else default_registry()
        self.query = query
        self.category = category

    @property
    def specs(self) -> list[NodeTypeSpec]:
        """The matching node type specs, sorted by category then name."""
        found = self._registry.search(self.query, category=self.category)
        return sorted(found, key=lambda s: (s.category, s.node_type))

    def search(self, query: str = "", *, category: str | None = None) -> NodeCatalogView:
        """A narrower view (the query words are added to this view's)."""
        return NodeCatalogView(
            self._registry, f"{self.query} {query}".strip(), category or self.category
        )

    def __len__(self) -> int:
        return len(self.specs)

    def __repr__(self) -> str:
        return render_catalog(self._registry, self.query, category=self.category)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("node type", "ports", "params", "cost", "about"))
        rows = []
        for spec in self.specs:
            ports = [f"in {p}" for p in describe_ports(spec.inputs)]
            ports += [f"out {p}" for p in describe_ports(spec.outputs)]
            cells = (
                f"<code>{html.escape(spec.node_type)}</code><br>{html.escape(spec.label)}",
                "<br>".join(html.escape(p) for p in ports),
                "<br>".join(html.escape(p) for p in describe_params(spec.params_schema)),
                html.escape(_cost(spec)),
                html.escape(spec.description),
            )
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        return (
            f"<table class='pipeflow-catalog'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )


def catalog(
    query: str = "", *, category: str | None = None, registry: NodeRegistry | None = None
) -> NodeCatalogView:
    """The node catalog (optionally filtered), ready to display in a notebook cell."""
    return NodeCatalogView(registry, query, category)
