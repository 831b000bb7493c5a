"""The key-free demo, end to end through Pipeline.run(): sample photo → style → upscale →
zoom video + spoken caption → video with sound."""

from __future__ import annotations

import pytest

from pipeflow_nb.media import Video
from pipeflow_nb.pipeline import Pipeline
from tests.nodes.helpers import probe_video

CAPTION = "Chelsea the cat, painted and zoomed."


def demo_pipeline() -> Pipeline:
    """The demo as a notebook user would build it."""
    p = Pipeline("painted cat")
    photo = p.add("input:image", source="cat")
    small = p.add("image:resize", image=photo, width=300)
    painted = p.add("image:style", image=small, style=19)
    big = p.add("image:upscale", image=painted, scale=2)
    zoom = p.add("video:from-image", image=big.out("image"), seconds=2.5, fps=12, width=480)
    caption = p.add("input:text", text=CAPTION)
    voice = p.add("audio:speech", script=caption)
    p.add("video:add-audio", video=zoom, audio=voice)
    return p


@pytest.mark.slow
def test_demo_runs_end_to_end_and_its_outputs_are_right() -> None:
    p = demo_pipeline()
    execution = p.run()
    final_id = next(h.id for h in p if h.node_type == "video:add-audio")
    upscale_id = next(h.id for h in p if h.node_type == "image:upscale")
    speech_id = next(h.id for h in p if h.node_type == "audio:speech")
    assert execution.outputs[upscale_id]["method"] == "realesr-animevideov3-x2"
    assert execution.outputs[upscale_id]["image"].width == 600
    video = execution.outputs[final_id]["video"]
    assert isinstance(video, Video)
    facts = probe_video(video)
    speech_s = execution.outputs[speech_id]["audio"].duration_ms / 1000
    assert (facts.codec, facts.pix_fmt, facts.audio_codec) == ("h264", "yuv420p", "aac")
    assert (facts.width, facts.height) == (480, 320)
    assert facts.faststart
    # The sound is longer than the 2.5 s zoom, so the last frame is held until it ends.
    assert facts.duration_s == pytest.approx(max(2.5, speech_s), abs=0.1)
    assert facts.audio_duration_s == pytest.approx(facts.duration_s, abs=0.1)
