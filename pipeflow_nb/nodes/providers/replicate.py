"""``model:replicate:<owner/model>``: any Replicate model through the predictions API.

Create a node type with :func:`replicate_node`::

    from pipeflow_nb.nodes.providers import replicate_node
    sdxl = replicate_node("black-forest-labs/flux-schnell", output="image", credits=3)
    pinned = replicate_node("stability-ai/sdxl:7762fd07…", output="image")  # a version

An official model (``owner/name``) is run with ``POST /models/{owner}/{name}/predictions``,
a pinned version (``owner/name:version``) with ``POST /predictions``; both send
``{"input": payload}``. The prediction's ``urls.get`` is polled until it ``succeeded``,
``failed`` or was ``canceled``, and the output (URLs, or text pieces) is downloaded right
away. The key comes from ``REPLICATE_API_TOKEN``; ``REPLICATE_API_BASE`` overrides the base.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from typing import Any

import httpx

from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.nodes.providers._family import OutputKind, first_url, hosted_node
from pipeflow_nb.nodes.providers._http import MEDIA_KINDS, api_key, check, download, poll
from pipeflow_nb.nodes.registry import NodeFunction, NodeRegistry

__all__ = ["REPLICATE_API_BASE", "PredictionFailed", "replicate_flux_schnell", "replicate_node"]

REPLICATE_API_BASE = "https://api.replicate.com/v1"
_TERMINAL = {"succeeded", "failed", "canceled"}
_MODEL = re.compile(r"^[\w.\-]+/[\w.\-]+(:[0-9a-f]{8,})?$")


class PredictionFailed(RuntimeError):
    """A Replicate prediction ended ``failed`` or ``canceled``; names it and the error."""

    def __init__(self, prediction_id: str, status: str, error: Any):
        self.prediction_id = prediction_id
        self.status = status
        self.error = error
        super().__init__(
            f"replicate prediction {prediction_id} {status}: {error or 'no reason given'}"
        )


def _base() -> str:
    return os.environ.get("REPLICATE_API_BASE", REPLICATE_API_BASE).rstrip("/")


async def _run_replicate(
    model: str, output: OutputKind, payload: dict[str, Any], timeout_s: float, ctx: NodeContext
) -> tuple[Any, Any]:
    headers = {"Authorization": f"Bearer {api_key('REPLICATE_API_TOKEN', 'Replicate')}"}
    name, _, version = model.partition(":")
    if version:
        url, body = f"{_base()}/predictions", {"version": version, "input": payload}
    else:
        url, body = f"{_base()}/models/{name}/predictions", {"input": payload}
    async with httpx.AsyncClient(timeout=60.0, headers=headers) as client:
        prediction: dict[str, Any] = check(await client.post(url, json=body), "replicate").json()
        get_url = (
            prediction.get("urls", {}).get("get") or f"{_base()}/predictions/{prediction['id']}"
        )

        async def fetch() -> dict[str, Any]:
            current: dict[str, Any] = check(await client.get(get_url), "replicate").json()
            ctx.progress(0.0, 1.0, str(current.get("status")))
            return current

        if prediction.get("status") not in _TERMINAL:
            try:
                prediction = await poll(
                    fetch,
                    lambda p: p.get("status") in _TERMINAL,
                    what=f"replicate prediction {prediction['id']}",
                    status_of=lambda p: p.get("status"),
                    timeout_s=timeout_s,
                )
            except (asyncio.CancelledError, TimeoutError):
                cancel = prediction.get("urls", {}).get("cancel")
                if cancel:
                    await asyncio.shield(_cancel(client, cancel))
                raise
        if prediction.get("status") != "succeeded":
            raise PredictionFailed(
                prediction["id"], prediction.get("status", "?"), prediction.get("error")
            )
        return await _value(client, prediction.get("output"), output), prediction


async def _cancel(client: httpx.AsyncClient, url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # best effort: the run is abandoned anyway
        await client.post(url)


async def _value(client: httpx.AsyncClient, out: Any, output: OutputKind) -> Any:
    if output == "json":
        return out
    if output == "text":
        # Language models stream tokens, so their output is a list of text pieces.
        return "".join(out) if isinstance(out, list) else str(out)
    url = first_url(out, output)
    if url is None:
        raise ValueError(f"the prediction output has no {output} URL: {str(out)[:300]}")
    return await download(client, url, MEDIA_KINDS[output])


def replicate_node(
    model: str,
    *,
    output: OutputKind = "image",
    credits: int = 1,
    label: str | None = None,
    description: str | None = None,
    prompt_field: str | None = "prompt",
    image_field: str | None = "image",
    timeout_s: float = 600.0,
    concurrency: int | None = 4,
    register: bool = True,
    registry: NodeRegistry | None = None,
) -> NodeFunction:
    """The node type ``model:replicate:<model>`` (``owner/name`` or ``owner/name:version``),
    registered unless ``register=False``. The options are those of ``fal_node``."""
    if not _MODEL.match(model):
        raise ValueError(
            f"a Replicate model looks like 'owner/name' or 'owner/name:<version id>', got {model!r}"
        )

    async def call(payload: dict[str, Any], timeout: float, ctx: NodeContext) -> tuple[Any, Any]:
        return await _run_replicate(model, output, payload, timeout, ctx)

    return hosted_node(
        node_type=f"model:replicate:{model}",
        call=call,
        output=output,
        label=label or f"Replicate {model.split(':')[0]}",
        description=description or f"Runs the Replicate model {model} (needs REPLICATE_API_TOKEN).",
        credits=credits,
        prompt_field=prompt_field,
        image_field=image_field,
        register=register,
        registry=registry,
        timeout_s=timeout_s,
        concurrency=concurrency,
    )


#: FLUX.1 [schnell] on Replicate, listed in the catalog as an example of the family.
replicate_flux_schnell = replicate_node(
    "black-forest-labs/flux-schnell",
    output="image",
    credits=3,
    label="FLUX schnell (Replicate)",
    description="Text to image with FLUX.1 [schnell] on Replicate (needs REPLICATE_API_TOKEN).",
    register=False,
)
