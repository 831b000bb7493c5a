"""model:openai:chat and model:openai:image against a fake OpenAI-compatible server."""

from __future__ import annotations

import base64

import pytest

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.providers import MissingAPIKeyError
from tests.nodes.helpers import arun_node
from tests.nodes.providers.fake_server import FakeProvider


async def test_chat_sends_messages_and_reads_the_reply(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}}]}
    fake.sequence("POST", "/v1/chat/completions", [(200, {}, reply)])
    out = await arun_node(
        "model:openai:chat",
        {"prompt": "Capital of France?", "system": "Be brief."},
        base_url=fake.url + "/v1",
        model="tiny",
        seed=3,
    )
    assert out == {"text": "Paris."}
    (call,) = fake.calls("POST", "/v1/chat/completions")
    assert call.headers["authorization"] == "Bearer sk-test"
    body = call.json()
    assert body["model"] == "tiny" and body["seed"] == 3
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?"},
    ]


async def test_local_servers_need_no_key(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake.sequence(
        "POST", "/v1/chat/completions", [(200, {}, {"choices": [{"message": {"content": "ok"}}]})]
    )
    out = await arun_node("model:openai:chat", {"prompt": "hi"}, base_url=fake.url + "/v1")
    assert out == {"text": "ok"}
    assert "authorization" not in fake.calls("POST", "/v1/chat/completions")[0].headers


async def test_openai_itself_needs_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        await arun_node("model:openai:chat", {"prompt": "hi"})


async def test_image_reads_b64_json(fake: FakeProvider, png: bytes) -> None:
    fake.sequence(
        "POST",
        "/v1/images/generations",
        [(200, {}, {"data": [{"b64_json": base64.b64encode(png).decode()}]})],
    )
    out = await arun_node(
        "model:openai:image", {"prompt": "a red square"}, base_url=fake.url + "/v1", size="256x256"
    )
    assert out["image"] == Image(png)
    assert fake.calls("POST", "/v1/images/generations")[0].json()["size"] == "256x256"


async def test_image_downloads_a_url(fake: FakeProvider, png: bytes) -> None:
    fake.sequence(
        "POST", "/v1/images/generations", [(200, {}, {"data": [{"url": f"{fake.url}/img/1.png"}]})]
    )
    fake.sequence("GET", "/img/1.png", [(200, {"content-type": "image/png"}, png)])
    out = await arun_node("model:openai:image", {"prompt": "x"}, base_url=fake.url + "/v1")
    assert out["image"] == Image(png)


async def test_server_errors_carry_the_message(fake: FakeProvider) -> None:
    from pipeflow_nb.errors import RateLimitError

    fake.sequence(
        "POST",
        "/v1/chat/completions",
        [
            (
                429,
                {"retry-after": "2"},
                {"error": {"message": "Rate limit reached", "type": "requests"}},
            )
        ],
    )
    with pytest.raises(RateLimitError, match="Rate limit reached") as info:
        await arun_node("model:openai:chat", {"prompt": "hi"}, base_url=fake.url + "/v1")
    assert info.value.retry_after == 2.0
