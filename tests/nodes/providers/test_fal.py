"""model:fal:<endpoint> against a fake fal queue that follows fal's documented shapes."""

from __future__ import annotations

import pytest

from pipeflow_nb.errors import BadRequestError, PollTimeout
from pipeflow_nb.media import Image
from pipeflow_nb.nodes.providers import MissingAPIKeyError, fal_node
from pipeflow_nb.nodes.registry import default_registry
from tests.nodes.helpers import arun_node
from tests.nodes.providers.fake_server import FakeProvider

ENDPOINT = "fal-ai/flux/schnell"


@pytest.fixture
def fal(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    monkeypatch.setenv("FAL_KEY", "test-key")
    monkeypatch.setenv("FAL_QUEUE_URL", fake.url)
    # fal's status and result URLs drop the endpoint's sub-path: the node must follow the
    # URLs it is given rather than build its own.
    base = f"{fake.url}/fal-ai/flux/requests/req-1"
    fake.sequence(
        "POST",
        f"/{ENDPOINT}",
        [
            (
                200,
                {},
                {
                    "request_id": "req-1",
                    "status_url": f"{base}/status",
                    "response_url": base,
                    "cancel_url": f"{base}/cancel",
                },
            )
        ],
    )
    return fake


async def test_submit_poll_and_download(fal: FakeProvider, png: bytes) -> None:
    fal.sequence(
        "GET",
        "/fal-ai/flux/requests/req-1/status",
        [
            (202, {}, {"status": "IN_QUEUE", "queue_position": 1}),
            (202, {}, {"status": "IN_PROGRESS"}),
            (200, {}, {"status": "COMPLETED"}),
        ],
    )
    result = {
        "images": [{"url": f"{fal.url}/cdn/out.png", "content_type": "image/png"}],
        "seed": 7,
    }
    fal.sequence("GET", "/fal-ai/flux/requests/req-1", [(200, {}, result)])
    fal.sequence("GET", "/cdn/out.png", [(200, {"content-type": "image/png"}, png)])
    node = fal_node(ENDPOINT, output="image", credits=3)
    out = await arun_node(node, {"prompt": "a lighthouse"}, arguments={"num_inference_steps": 2})
    assert out["image"] == Image(png)
    assert out["result"] == result
    (submit,) = fal.calls("POST", f"/{ENDPOINT}")
    assert submit.headers["authorization"] == "Key test-key"
    assert submit.json() == {"prompt": "a lighthouse", "num_inference_steps": 2}
    assert len(fal.calls("GET", "/fal-ai/flux/requests/req-1/status")) == 3
    spec = default_registry().spec(f"model:fal:{ENDPOINT}")
    assert spec is not None and spec.credits == 3 and not spec.deterministic


async def test_image_input_is_sent_as_a_data_url(fal: FakeProvider, png: bytes) -> None:
    fal.sequence("GET", "/fal-ai/flux/requests/req-1/status", [(200, {}, {"status": "COMPLETED"})])
    fal.sequence("GET", "/fal-ai/flux/requests/req-1", [(200, {}, {"text": "a red square"})])
    node = fal_node(ENDPOINT, output="text")
    out = await arun_node(node, {"image": Image(png)})
    assert out["text"] == "a red square"
    sent = fal.calls("POST", f"/{ENDPOINT}")[0].json()
    assert sent["image_url"].startswith("data:image/png;base64,")


async def test_a_failed_request_raises_with_fals_detail(fal: FakeProvider) -> None:
    fal.sequence("GET", "/fal-ai/flux/requests/req-1/status", [(200, {}, {"status": "COMPLETED"})])
    fal.sequence(
        "GET",
        "/fal-ai/flux/requests/req-1",
        [(422, {}, {"detail": "image_size must be one of square, portrait"})],
    )
    with pytest.raises(BadRequestError, match="image_size must be one of"):
        await arun_node(fal_node(ENDPOINT), {"prompt": "x"})


async def test_a_slow_request_times_out_and_is_cancelled(fal: FakeProvider) -> None:
    fal.sequence("GET", "/fal-ai/flux/requests/req-1/status", [(202, {}, {"status": "IN_QUEUE"})])
    fal.sequence(
        "PUT",
        "/fal-ai/flux/requests/req-1/cancel",
        [(202, {}, {"status": "CANCELLATION_REQUESTED"})],
    )
    with pytest.raises(PollTimeout, match="req-1 still IN_QUEUE"):
        await arun_node(fal_node(ENDPOINT), {"prompt": "x"}, timeout_s=0.6)
    assert len(fal.calls("PUT", "/fal-ai/flux/requests/req-1/cancel")) == 1


async def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAL_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match="FAL_KEY"):
        await arun_node(fal_node(ENDPOINT), {"prompt": "x"})


def test_endpoint_names_are_checked() -> None:
    with pytest.raises(ValueError, match="fal-ai/flux/schnell"):
        fal_node("not an endpoint", register=False)


async def test_nothing_to_send_is_an_error() -> None:
    with pytest.raises(ValueError, match="nothing to send"):
        await arun_node(fal_node(ENDPOINT))


def test_a_fal_node_runs_inside_a_pipeline(fal: FakeProvider, png: bytes) -> None:
    from pipeflow_nb.pipeline import Pipeline

    fal.sequence("GET", "/fal-ai/flux/requests/req-1/status", [(200, {}, {"status": "COMPLETED"})])
    fal.sequence(
        "GET",
        "/fal-ai/flux/requests/req-1",
        [(200, {}, {"images": [{"url": f"{fal.url}/cdn/o.png"}]})],
    )
    fal.sequence("GET", "/cdn/o.png", [(200, {"content-type": "image/png"}, png)])
    flux = fal_node(ENDPOINT, output="image", credits=3)
    p = Pipeline("hosted")
    brief = p.add("input:text", text="a lighthouse at dusk")
    image = p.add(flux, prompt=brief, arguments={"num_images": 1})
    small = p.add("image:resize", image=image.out("image"), width=6)
    execution = p.run()
    assert execution.outputs[small.id]["image"].width == 6
    assert fal.calls("POST", f"/{ENDPOINT}")[0].json() == {
        "prompt": "a lighthouse at dusk",
        "num_images": 1,
    }
