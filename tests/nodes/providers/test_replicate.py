"""model:replicate:<owner/model> against a fake predictions API."""

from __future__ import annotations

import pytest

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.providers import MissingAPIKeyError, PredictionFailed, replicate_node
from tests.nodes.helpers import arun_node
from tests.nodes.providers.fake_server import FakeProvider

MODEL = "black-forest-labs/flux-schnell"


@pytest.fixture
def replicate(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_test")
    monkeypatch.setenv("REPLICATE_API_BASE", fake.url + "/v1")
    return fake


def _prediction(fake: FakeProvider, status: str, **extra: object) -> dict[str, object]:
    return {
        "id": "p1",
        "status": status,
        "urls": {
            "get": f"{fake.url}/v1/predictions/p1",
            "cancel": f"{fake.url}/v1/predictions/p1/cancel",
        },
        **extra,
    }


async def test_official_model_runs_and_downloads(replicate: FakeProvider, png: bytes) -> None:
    replicate.sequence(
        "POST", f"/v1/models/{MODEL}/predictions", [(201, {}, _prediction(replicate, "starting"))]
    )
    replicate.sequence(
        "GET",
        "/v1/predictions/p1",
        [
            (200, {}, _prediction(replicate, "processing")),
            (200, {}, _prediction(replicate, "succeeded", output=[f"{replicate.url}/files/o.png"])),
        ],
    )
    replicate.sequence("GET", "/files/o.png", [(200, {"content-type": "image/png"}, png)])
    out = await arun_node(replicate_node(MODEL), {"prompt": "a fox"}, arguments={"num_outputs": 1})
    assert out["image"] == Image(png)
    assert out["result"]["status"] == "succeeded"
    (create,) = replicate.calls("POST", f"/v1/models/{MODEL}/predictions")
    assert create.headers["authorization"] == "Bearer r8_test"
    assert create.json() == {"input": {"prompt": "a fox", "num_outputs": 1}}


async def test_pinned_version_uses_the_predictions_endpoint_and_joins_text(
    replicate: FakeProvider,
) -> None:
    model = "meta/llama:0123456789abcdef"
    replicate.sequence(
        "POST",
        "/v1/predictions",
        [(201, {}, _prediction(replicate, "succeeded", output=["Hel", "lo", "!"]))],
    )
    out = await arun_node(replicate_node(model, output="text"), {"prompt": "hi"})
    assert out["text"] == "Hello!"
    body = replicate.calls("POST", "/v1/predictions")[0].json()
    assert body == {"version": "0123456789abcdef", "input": {"prompt": "hi"}}


async def test_failed_prediction_names_it_and_the_error(replicate: FakeProvider) -> None:
    replicate.sequence(
        "POST", f"/v1/models/{MODEL}/predictions", [(201, {}, _prediction(replicate, "starting"))]
    )
    replicate.sequence(
        "GET",
        "/v1/predictions/p1",
        [(200, {}, _prediction(replicate, "failed", error="CUDA out of memory"))],
    )
    with pytest.raises(PredictionFailed, match="p1 failed: CUDA out of memory"):
        await arun_node(replicate_node(MODEL), {"prompt": "x"})


async def test_missing_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    with pytest.raises(MissingAPIKeyError, match="REPLICATE_API_TOKEN"):
        await arun_node(replicate_node(MODEL), {"prompt": "x"})


def test_model_names_are_checked() -> None:
    with pytest.raises(ValueError, match="owner/name"):
        replicate_node("just-a-name", register=False)
