"""Node types for open-ended families of hosted models (``model:fal:<endpoint>``, ...).

A family provider supplies one coroutine, ``call(payload, timeout_s, ctx) -> (value, raw)``;
:func:`hosted_node` wraps it in a node type whose inputs fill the request payload and whose
outputs are the typed value (downloaded media, or text) plus the raw JSON result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pipeflow_nb.media import Audio, Image, Video
from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.nodes.registry import (
    Json,
    NodeFunction,
    NodeRegistry,
    default_registry,
    define_node,
)

__all__ = ["OUTPUT_TYPES", "Call", "OutputKind", "first_url", "hosted_node"]

OutputKind = Literal["image", "video", "audio", "text", "json"]
OUTPUT_TYPES: dict[str, Any] = {
    "image": Image,
    "video": Video,
    "audio": Audio,
    "text": str,
    "json": Json,
}
Call = Callable[[dict[str, Any], float, NodeContext], Awaitable[tuple[Any, Any]]]


def hosted_node(
    *,
    node_type: str,
    call: Call,
    output: OutputKind,
    label: str,
    description: str,
    credits: int,
    prompt_field: str | None,
    image_field: str | None,
    register: bool,
    registry: NodeRegistry | None,
    timeout_s: float = 600.0,
    concurrency: int | None = 4,
) -> NodeFunction:
    """Build (and unless ``register=False``, register) a hosted-model node type.

    ``concurrency`` caps how many runs of it the engine starts at once (provider rate
    limits); ``None`` for no cap.
    """
    if output not in OUTPUT_TYPES:
        raise ValueError(f"output must be one of {', '.join(OUTPUT_TYPES)}, got {output!r}")
    default_timeout = timeout_s

    async def run_hosted_model(
        prompt: str | None = None,
        image: Image | None = None,
        *,
        arguments: dict[str, Any] | None = None,
        timeout_s: float = default_timeout,
        ctx: NodeContext,
    ) -> dict[str, Any]:
        payload = dict(arguments or {})
        if prompt is not None:
            if prompt_field is None:
                raise ValueError(f"{node_type} takes no prompt; put inputs in arguments")
            payload[prompt_field] = prompt
        if image is not None:
            if image_field is None:
                raise ValueError(f"{node_type} takes no image; put inputs in arguments")
            # Both fal and Replicate accept a data URL wherever a file URL is expected.
            payload[image_field] = image.data_url()
        if not payload:
            raise ValueError(f"{node_type}: nothing to send; connect a prompt or set arguments")
        value, raw = await call(payload, timeout_s, ctx)
        return {output: value, "result": raw}

    definition = define_node(
        run_hosted_model,
        node_type=node_type,
        category="model",
        label=label,
        description=description,
        outputs={output: OUTPUT_TYPES[output], "result": Json},
        credits=credits,
        deterministic=False,
        version="1",
        concurrency=concurrency,
        port_descriptions=_descriptions(output, prompt_field, image_field),
    )
    function = NodeFunction(definition)
    if register:
        target = registry if registry is not None else default_registry()
        target.register(function, replace=True)
    return function


def _descriptions(output: str, prompt_field: str | None, image_field: str | None) -> dict[str, str]:
    # Inputs and outputs share one description table, so the output wins a shared name.
    found = {
        "prompt": f"sent as {prompt_field!r}" if prompt_field else "",
        "image": f"sent as {image_field!r} (a data URL)" if image_field else "",
        "result": "the provider's raw JSON result",
    }
    found[output] = f"the {output} the model returned" + (
        " (downloaded)" if output in ("image", "video", "audio") else ""
    )
    return found


def first_url(value: Any, kind: str) -> str | None:
    """The first media URL of ``kind`` in a provider result.

    Looks at the usual keys first (``images``, ``image``, ``video``, ``audio``, ``*_url``,
    ``*_file``), then anywhere: a dict with a ``url`` whose ``content_type`` is of that kind,
    a URL string, or a list of them.
    """
    if isinstance(value, str):
        return value if value.startswith(("http://", "https://", "data:")) else None
    if isinstance(value, list):
        return next((u for u in (first_url(v, kind) for v in value) if u), None)
    if not isinstance(value, dict):
        return None
    for key in (f"{kind}s", kind, f"{kind}_url", f"{kind}_file", "output"):
        if key in value:
            found = first_url(value[key], kind)
            if found:
                return found
    url = value.get("url")
    content_type = str(value.get("content_type", ""))
    if isinstance(url, str) and (not content_type or content_type.startswith(f"{kind}/")):
        return url
    # A file object of another kind is skipped whole, so its own url is not searched.
    others = (v for k, v in value.items() if k != "url")
    return next((u for u in (first_url(v, kind) for v in others) if u), None)
