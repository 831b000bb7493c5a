"""Text utilities: templates and joining."""

from __future__ import annotations

import string
from typing import Any

from pipeflow_nb.nodes.builtin._define import builtin

__all__ = ["text_concat", "text_template"]


class _Fields(dict[str, Any]):
    """Mapping for ``str.format_map`` that reports every missing name, not just the first."""

    def __missing__(self, key: str) -> Any:
        raise KeyError(key)


@builtin("text:template", label="Template", primary_param="template")
def text_template(
    text: str | None = None, values: dict[str, Any] | None = None, *, template: str = "{text}"
) -> str:
    """Fill ``{name}`` placeholders from ``values`` and ``{text}`` from the text input."""
    fields = _Fields(values or {})
    if text is not None:
        fields["text"] = text
    wanted = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    missing = sorted({n.split(".")[0].split("[")[0] for n in wanted} - set(fields))
    if missing:
        have = ", ".join(sorted(fields)) or "nothing"
        raise KeyError(f"template needs {', '.join(missing)} but only {have} was given")
    return template.format_map(fields)


@builtin("text:concat", label="Join text", primary_param="separator")
def text_concat(texts: list[str], *, separator: str = " ") -> str:
    """Join every connected text, in edge order, with ``separator``."""
    return separator.join(texts)
