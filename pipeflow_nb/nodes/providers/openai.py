"""``model:openai:chat`` and ``model:openai:image``: any OpenAI-compatible API.

``base_url`` (param, else ``$OPENAI_BASE_URL``, else OpenAI) may point at any server that
speaks the API: vLLM, llama.cpp's server, Ollama, LM Studio, a gateway. The key comes from
the variable named by ``api_key_env`` (default ``OPENAI_API_KEY``); it is required for
OpenAI itself and optional elsewhere, since local servers often need none.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import httpx

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.nodes.providers._http import MissingAPIKeyError, check, download

__all__ = ["OPENAI_BASE_URL", "openai_chat", "openai_image"]

OPENAI_BASE_URL = "https://api.openai.com/v1"


def _endpoint(base_url: str, api_key_env: str) -> tuple[str, dict[str, str]]:
    base = (base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL).rstrip("/")
    key = os.environ.get(api_key_env, "").strip()
    if not key and base == OPENAI_BASE_URL:
        raise MissingAPIKeyError(api_key_env, "OpenAI")
    return base, ({"Authorization": f"Bearer {key}"} if key else {})


@builtin(
    "model:openai:chat",
    label="Chat (OpenAI-compatible)",
    primary_param="model",
    credits=1,
    deterministic=False,
)
async def openai_chat(
    prompt: str,
    system: str | None = None,
    *,
    model: str = "gpt-4o-mini",
    base_url: str = "",
    api_key_env: str = "OPENAI_API_KEY",
    temperature: float = 0.7,
    max_tokens: int = 512,
    seed: int | None = None,
    timeout_s: float = 120.0,
) -> str:
    """Answer the prompt with a chat model (``POST {base_url}/chat/completions``).

    ``system`` sets the system message. ``seed`` asks the server for reproducible sampling
    where it supports it.
    """
    base, headers = _endpoint(base_url, api_key_env)
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": prompt})
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": temperature,
        "max_tokens": max_tokens,
    }
    if seed is not None:
        body["seed"] = seed
    async with httpx.AsyncClient(timeout=timeout_s, headers=headers) as client:
        reply = check(await client.post(f"{base}/chat/completions", json=body), "chat").json()
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ValueError(
            f"the chat reply has no choices[0].message.content: {str(reply)[:300]}"
        ) from None
    return str(content or "")


@builtin(
    "model:openai:image",
    label="Image (OpenAI-compatible)",
    primary_param="model",
    credits=4,
    deterministic=False,
)
async def openai_image(
    prompt: str,
    *,
    model: str = "gpt-image-1",
    size: str = "1024x1024",
    base_url: str = "",
    api_key_env: str = "OPENAI_API_KEY",
    timeout_s: float = 300.0,
) -> Image:
    """Draw the prompt with an image model (``POST {base_url}/images/generations``); takes
    the first image, whether it comes back as ``b64_json`` or as a URL (downloaded)."""
    base, headers = _endpoint(base_url, api_key_env)
    body = {"model": model, "prompt": prompt, "size": size, "n": 1}
    async with httpx.AsyncClient(timeout=timeout_s, headers=headers) as client:
        reply = check(await client.post(f"{base}/images/generations", json=body), "images").json()
        try:
            first = reply["data"][0]
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"the image reply has no data[0]: {str(reply)[:300]}") from None
        if first.get("b64_json"):
            return Image(base64.b64decode(first["b64_json"]))
        if first.get("url"):
            image = await download(client, first["url"], Image)
            assert isinstance(image, Image)
            return image
    raise ValueError("the image reply's data[0] has neither b64_json nor url")
