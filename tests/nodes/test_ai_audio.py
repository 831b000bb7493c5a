"""Text to speech and back: Piper speaks, Whisper listens."""

from __future__ import annotations

import shutil
import sys

import pytest

from pipeflow_nb.errors import MissingDependencyError
from pipeflow_nb.nodes.builtin._models import forget
from tests.nodes.helpers import run_node, wav_facts, word_error_rate

SENTENCE = "The quick brown fox jumps over the lazy dog. Offline models make real media."


@pytest.mark.slow
def test_transcriber_recovers_what_the_speech_node_said() -> None:
    speech = run_node("audio:speech", {"script": SENTENCE})["audio"]
    duration, rate, channels = wav_facts(speech)
    assert (rate, channels) == (22050, 1)
    assert 3.0 < duration < 10.0
    heard = run_node("audio:transcribe", {"audio": speech})
    assert word_error_rate(SENTENCE, heard["text"]) <= 0.2
    words = heard["words"]
    assert [w["word"].strip(".,").lower() for w in words[:3]] == ["the", "quick", "brown"]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and words[-1]["end"] <= duration + 0.1


@pytest.mark.slow
def test_speech_is_deterministic_and_speed_changes_length() -> None:
    a = run_node("audio:speech", text="Hello there.")["audio"]
    b = run_node("audio:speech", text="Hello there.")["audio"]
    slow = run_node("audio:speech", text="Hello there.", speed=0.5)["audio"]
    assert a == b
    assert wav_facts(slow)[0] > 1.5 * wav_facts(a)[0]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="Debian espeak-ng not installed")
def test_espeak_fallback_speaks() -> None:
    speech = run_node("audio:speech", text="Hello world.", engine="espeak-ng")["audio"]
    duration, _, channels = wav_facts(speech)
    assert channels == 1 and 0.5 < duration < 3.0


def test_missing_piper_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # as if piper-tts were not installed
    forget("speech:piper:joe")
    try:
        with pytest.raises(MissingDependencyError, match=r"pipeflow-nb\[speech\]"):
            run_node("audio:speech", text="Hi", engine="piper")
    finally:
        forget("speech:piper:joe")


def test_speech_needs_text() -> None:
    with pytest.raises(ValueError, match="nothing to say"):
        run_node("audio:speech", text="   ")


@pytest.mark.slow
def test_transcribe_reads_silence_as_nothing_much() -> None:
    tone = run_node("audio:tone", seconds=1.0, volume=0.0001)["audio"]
    heard = run_node("audio:transcribe", {"audio": tone})
    assert len(heard["text"].split()) <= 3


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="Debian espeak-ng not installed")
def test_auto_falls_back_to_espeak_without_piper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # as if piper-tts were not installed
    forget("speech:piper:joe")
    try:
        speech = run_node("audio:speech", text="Hello world.")["audio"]
        espeak = run_node("audio:speech", text="Hello world.", engine="espeak-ng")["audio"]
        assert speech == espeak
    finally:
        forget("speech:piper:joe")


@pytest.mark.slow
def test_transcribe_reports_progress_by_segment() -> None:
    speech = run_node("audio:speech", text=SENTENCE)["audio"]
    reports: list[tuple[float, float, str | None]] = []
    run_node("audio:transcribe", {"audio": speech}, progress=reports)
    assert reports and all(m == "transcribing" for _, _, m in reports)
    value, maximum, _ = reports[-1]
    assert maximum == pytest.approx(speech.duration_ms / 1000, abs=0.05)
    assert 0 < value <= maximum
