"""first_url: finding the output media in the many result shapes providers return."""

from __future__ import annotations

import pytest

from pipeflow_nb.nodes.providers._family import first_url, hosted_node


@pytest.mark.parametrize(
    ("result", "kind", "url"),
    [
        ({"images": [{"url": "https://x/a.png", "width": 8}]}, "image", "https://x/a.png"),
        ({"image": {"url": "https://x/b.png"}}, "image", "https://x/b.png"),
        ({"video": {"url": "https://x/v.mp4"}, "seed": 3}, "video", "https://x/v.mp4"),
        ({"audio_file": {"url": "https://x/s.wav"}}, "audio", "https://x/s.wav"),
        ({"audio_url": "https://x/t.mp3"}, "audio", "https://x/t.mp3"),
        (["https://x/1.webp", "https://x/2.webp"], "image", "https://x/1.webp"),
        ("data:image/png;base64,AAAA", "image", "data:image/png;base64,AAAA"),
        (
            {"data": {"files": [{"url": "https://x/f.mp4", "content_type": "video/mp4"}]}},
            "video",
            "https://x/f.mp4",
        ),
        ({"caption": "no media here"}, "image", None),
    ],
)
def test_first_url_finds_the_media(result: object, kind: str, url: str | None) -> None:
    assert first_url(result, kind) == url


def test_a_url_of_another_kind_is_skipped() -> None:
    result = {"files": [{"url": "https://x/a.wav", "content_type": "audio/wav"}]}
    assert first_url(result, "image") is None


def test_output_kind_is_checked() -> None:
    async def call(
        payload: dict[str, object], timeout: float, ctx: object
    ) -> tuple[object, object]:
        return None, None

    with pytest.raises(ValueError, match="output must be one of"):
        hosted_node(
            node_type="model:x:y",
            call=call,  # type: ignore[arg-type]
            output="hologram",  # type: ignore[arg-type]
            label="x",
            description="",
            credits=1,
            prompt_field="prompt",
            image_field=None,
            register=False,
            registry=None,
        )
