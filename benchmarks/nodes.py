"""Each offline AI node against a direct call of the same library, in one run.

For every node, a fresh process loads the model once (both paths share it), then runs
the node (params validated, media decoded and encoded, outputs checked, as the engine
calls it) and the bare library call on the same input, interleaved, and keeps the median
of each. The overhead ratio is node / direct - 1 (target: 10 % or less), on wall time and
on the process's CPU time (steadier when other work shares the machine). Peak RSS is the
child process's maximum resident memory, model included.

    python benchmarks/nodes.py            # every node
    python benchmarks/nodes.py upscale    # some of them
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPEATS = {
    "upscale": 11,
    "style": 11,
    "ocr": 3,
    "faces": 15,
    "speech": 9,
    "transcribe": 7,
    "generate": 5,
    "embed": 21,
}
SENTENCE = "The quick brown fox jumps over the lazy dog. Offline models make real media."


def _node(node_type: str, inputs: dict[str, Any], **params: Any) -> Callable[[], Any]:
    from pipeflow_nb.nodes.context import NodeContext
    from pipeflow_nb.nodes.registry import default_registry

    definition = default_registry().get(node_type)

    def run() -> Any:
        ctx = NodeContext(node_id="bench", node_type=node_type)
        return definition.outputs_from(definition.func(**definition.call_args(inputs, params, ctx)))

    return run


def _photo(width: int) -> Any:
    from pipeflow_nb.media import Image
    from pipeflow_nb.nodes.builtin.image import image_resize
    from pipeflow_nb.sources import load_media

    return image_resize(load_media("cat", Image), width=width)


def case(name: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """``(node call, direct library call)`` for one node, sharing one loaded model."""
    import numpy as np

    import pipeflow_nb.samples  # noqa: F401  (registers the sample photos)
    from pipeflow_nb.nodes.builtin import ai_audio, ai_image, ai_text
    from pipeflow_nb.nodes.builtin._models import shared

    if name == "upscale":
        img = _photo(128)
        pil = img.to_pil().convert("RGB")
        model = shared("esrgan:2", lambda: ai_image._esrgan(2))
        return _node("image:upscale", {"image": img}), lambda: model.process_pil(pil)
    if name == "style":
        img = _photo(300)
        pil = img.to_pil().convert("RGB")
        engine = shared("style", ai_image._style_engine)
        return _node("image:style", {"image": img}, style=19), lambda: engine.stylize(
            pil, style=19, max_size=1024
        )
    if name == "ocr":
        from pipeflow_nb.nodes.builtin.image_draw import image_pattern, image_text

        page = image_text(
            image_pattern(width=360, height=90, color1="white", color2="white"),
            text="Invoice 4521 paid",
            position="center",
            size=28,
            color="black",
            background_opacity=0.0,
        )
        bgr = np.asarray(page.to_pil().convert("RGB"))[:, :, ::-1]
        engine = shared("ocr", ai_image._ocr_engine)
        return _node("image:ocr", {"image": page}), lambda: engine(bgr)
    if name == "faces":
        import cv2

        from pipeflow_nb.media import Image
        from pipeflow_nb.sources import load_media

        person = load_media("person", Image)
        grey = cv2.cvtColor(np.asarray(person.to_pil().convert("RGB")), cv2.COLOR_RGB2GRAY)
        cascade = shared("faces:haar", ai_image._face_cascade)
        return _node("image:faces", {"image": person}), lambda: cascade.detectMultiScale(
            grey, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40)
        )
    if name == "speech":
        from piper import SynthesisConfig

        voice = shared("speech:piper:joe", ai_audio._piper_voice)
        config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        return _node("audio:speech", {}, text=SENTENCE), lambda: [
            c.audio_float_array for c in voice.synthesize(SENTENCE, syn_config=config)
        ]
    if name == "transcribe":
        speech = ai_audio.audio_speech(text=SENTENCE)
        samples, rate = speech.to_array()
        from pipeflow_nb.nodes.builtin._audio_io import resample

        mono16k = np.ascontiguousarray(resample(samples, rate, 16000)[:, 0])
        model = shared("whisper:tiny.en", ai_audio._whisper)

        def direct() -> Any:
            segments, _ = model.transcribe(
                mono16k,
                language="en",
                beam_size=1,
                temperature=0.0,
                word_timestamps=True,
                condition_on_previous_text=False,
            )
            return list(segments)

        return _node("audio:transcribe", {"audio": speech}), direct
    if name == "generate":
        server = shared("llm:gemma3-270m", ai_text._llm)
        request = {"prompt": "Once upon a time", "max_tokens": 24, "temperature": 0.7, "seed": 1}
        return _node(
            "text:generate", {"prompt": "Once upon a time"}, max_tokens=24, seed=1
        ), lambda: server.handle_completions(request)
    if name == "embed":
        model = shared("embed:e5-small", ai_text._e5)
        return _node("text:embed", {"text": SENTENCE}), lambda: model.passage([SENTENCE])
    raise SystemExit(f"unknown case {name!r}; cases: {', '.join(REPEATS)}")


def measure(name: str) -> dict[str, Any]:
    """Time node and direct calls, interleaved, in this process."""
    node, direct = case(name)
    node(), direct()  # warm up: first calls pay for lazy sessions and caches
    wall: dict[str, list[float]] = {"node": [], "direct": []}
    cpu: dict[str, list[float]] = {"node": [], "direct": []}
    for i in range(REPEATS[name]):
        order = (("node", node), ("direct", direct))
        for label, fn in order if i % 2 == 0 else order[::-1]:
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[label].append(time.perf_counter() - start)
            cpu[label].append(time.process_time() - start_cpu)
    med = {k: statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    return {
        "name": name,
        "node_s": med["node"],
        "direct_s": med["direct"],
        "overhead": med["node"] / med["direct"] - 1,
        # CPU time of this process (all its threads) hardly depends on what else the
        # machine is doing, so on a shared machine it is the steadier measure.
        "overhead_cpu": med_cpu["node"] / med_cpu["direct"] - 1,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "repeats": REPEATS[name],
    }


def main(names: list[str]) -> None:
    rows = []
    for name in names or list(REPEATS):
        out = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            print(f"{name}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        f"{'node':<12}{'direct ms':>11}{'node ms':>10}{'wall +%':>9}{'CPU +%':>9}"
        f"{'peak RSS MB':>13}{'runs':>6}"
    )
    for r in rows:
        print(
            f"{r['name']:<12}{r['direct_s'] * 1000:>11.1f}{r['node_s'] * 1000:>10.1f}"
            f"{r['overhead'] * 100:>8.1f}%{r['overhead_cpu'] * 100:>8.1f}%"
            f"{r['peak_rss_mb']:>13.0f}{r['repeats']:>6}"
        )
    print(
        "ms: median wall time per call; +%: node / direct - 1 on median wall time and on "
        "median process CPU time"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2])))
    else:
        main(sys.argv[1:])
