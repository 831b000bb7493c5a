"""``model:fal:<endpoint>``: any fal.ai model through fal's queue API.

Create a node type for an endpoint with :func:`fal_node`, then use it like any other::

    from pipeflow_nb.nodes.providers import fal_node
    flux = fal_node("fal-ai/flux/schnell", output="image", credits=3)
    img = p.add(flux, prompt=brief, arguments={"image_size": "square_hd"})
    # or by name, once created: p.add("model:fal:fal-ai/flux/schnell", ...)

The run submits ``POST {queue}/{endpoint}`` with the payload (the ``prompt`` input, the
``image`` input as a data URL, and the ``arguments`` param), polls the returned
``status_url`` until ``COMPLETED``, fetches ``response_url`` and downloads the first output
of the chosen kind. The key comes from ``FAL_KEY``; ``FAL_QUEUE_URL`` overrides the queue
host (for a proxy or a test server).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import httpx

from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.nodes.providers._family import OutputKind, first_url, hosted_node
from pipeflow_nb.nodes.providers._http import MEDIA_KINDS, api_key, check, download, poll
from pipeflow_nb.nodes.registry import NodeFunction, NodeRegistry

__all__ = ["FAL_QUEUE_URL", "fal_flux_schnell", "fal_node"]

FAL_QUEUE_URL = "https://queue.fal.run"


def _queue_url() -> str:
    return os.environ.get("FAL_QUEUE_URL", FAL_QUEUE_URL).rstrip("/")


async def _run_fal(
    endpoint: str, output: OutputKind, payload: dict[str, Any], timeout_s: float, ctx: NodeContext
) -> tuple[Any, Any]:
    headers = {"Authorization": f"Key {api_key('FAL_KEY', 'fal')}"}
    async with httpx.AsyncClient(timeout=60.0, headers=headers) as client:
        submitted = check(await client.post(f"{_queue_url()}/{endpoint}", json=payload), "fal")
        ticket = submitted.json()
        request_id = ticket["request_id"]
        status_url = (
            ticket.get("status_url") or f"{_queue_url()}/{endpoint}/requests/{request_id}/status"
        )
        response_url = (
            ticket.get("response_url") or f"{_queue_url()}/{endpoint}/requests/{request_id}"
        )

        async def status() -> dict[str, Any]:
            body: dict[str, Any] = check(await client.get(status_url), "fal").json()
            position = body.get("queue_position")
            where = f" (position {position})" if position is not None else ""
            ctx.progress(0.0, 1.0, f"{body.get('status', '?')}{where}")
            return body

        try:
            await poll(
                status,
                lambda s: s.get("status") == "COMPLETED",
                what=f"fal request {request_id}",
                status_of=lambda s: s.get("status"),
                timeout_s=timeout_s,
            )
        except (asyncio.CancelledError, TimeoutError):
            cancel_url = ticket.get("cancel_url") or f"{response_url}/cancel"
            await asyncio.shield(_cancel(client, cancel_url))
            raise
        result = check(await client.get(response_url), "fal").json()
        return await _value(client, result, output), result


async def _cancel(client: httpx.AsyncClient, url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # best effort: the run is abandoned anyway
        await client.put(url)


async def _value(client: httpx.AsyncClient, result: Any, output: OutputKind) -> Any:
    if output == "json":
        return result
    if output == "text":
        if isinstance(result, dict):
            for key in ("output", "text", "response"):
                if isinstance(result.get(key), str):
                    return result[key]
        raise ValueError(f"the fal result has no text output (keys: {sorted(result)})")
    url = first_url(result, output)
    if url is None:
        raise ValueError(f"the fal result has no {output} URL: {str(result)[:300]}")
    return await download(client, url, MEDIA_KINDS[output])


def fal_node(
    endpoint: str,
    *,
    output: OutputKind = "image",
    credits: int = 1,
    label: str | None = None,
    description: str | None = None,
    prompt_field: str | None = "prompt",
    image_field: str | None = "image_url",
    timeout_s: float = 600.0,
    concurrency: int | None = 4,
    register: bool = True,
    registry: NodeRegistry | None = None,
) -> NodeFunction:
    """The node type ``model:fal:<endpoint>`` for a fal.ai model (registered unless
    ``register=False``; calling again for the same endpoint replaces it).

    ``output`` says what the node returns besides the raw ``result`` JSON: ``image``,
    ``video`` or ``audio`` (the first such URL in the result, downloaded), ``text`` or
    ``json``. ``prompt_field`` / ``image_field`` name the payload keys the ``prompt`` and
    ``image`` inputs fill (``None`` to drop that input). ``credits`` is what one run costs;
    ``concurrency`` caps simultaneous runs (provider rate limits).
    """
    endpoint = endpoint.strip("/")
    if not endpoint or " " in endpoint:
        raise ValueError(f"a fal endpoint looks like 'fal-ai/flux/schnell', got {endpoint!r}")

    async def call(payload: dict[str, Any], timeout: float, ctx: NodeContext) -> tuple[Any, Any]:
        return await _run_fal(endpoint, output, payload, timeout, ctx)

    return hosted_node(
        node_type=f"model:fal:{endpoint}",
        call=call,
        output=output,
        label=label or f"fal {endpoint}",
        description=description or f"Runs the fal.ai model {endpoint} (needs FAL_KEY).",
        credits=credits,
        prompt_field=prompt_field,
        image_field=image_field,
        register=register,
        registry=registry,
        timeout_s=timeout_s,
        concurrency=concurrency,
    )


#: FLUX.1 [schnell] text-to-image, listed in the catalog as an example of the family.
fal_flux_schnell = fal_node(
    "fal-ai/flux/schnell",
    output="image",
    credits=3,
    label="FLUX schnell (fal)",
    description="Text to image with FLUX.1 [schnell] on fal.ai (needs FAL_KEY).",
    register=False,
)
