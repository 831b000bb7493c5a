"""audio:tone and audio:mix, checked with the wave module and an FFT."""

from __future__ import annotations

import numpy as np
import pytest

from pipeflow_nb.media import Audio
from tests.nodes.helpers import run_node, wav_facts


def _peak_hz(audio: Audio) -> float:
    samples, rate = audio.to_array()
    spectrum = np.abs(np.fft.rfft(samples[:, 0]))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


@pytest.mark.parametrize("waveform", ["sine", "square", "sawtooth", "triangle"])
def test_tone_has_its_length_rate_and_pitch(waveform: str) -> None:
    tone = run_node("audio:tone", frequency=440, seconds=0.5, sample_rate=16000, waveform=waveform)[
        "audio"
    ]
    assert wav_facts(tone) == (0.5, 16000, 1)
    assert _peak_hz(tone) == pytest.approx(440, abs=3)


def test_tone_rejects_frequencies_above_nyquist() -> None:
    with pytest.raises(ValueError, match="frequency"):
        run_node("audio:tone", frequency=9000, sample_rate=16000)


def test_mix_takes_the_highest_rate_and_longest_length() -> None:
    low = run_node("audio:tone", frequency=220, seconds=1.0, sample_rate=16000)["audio"]
    high = run_node("audio:tone", frequency=880, seconds=0.5, sample_rate=44100)["audio"]
    mixed = run_node("audio:mix", {"tracks": [low, high]})["audio"]
    duration, rate, channels = wav_facts(mixed)
    assert (rate, channels) == (44100, 1)
    assert duration == pytest.approx(1.0, abs=0.001)
    samples, _ = mixed.to_array()
    spectrum = np.abs(np.fft.rfft(samples[:22050, 0]))
    freqs = np.fft.rfftfreq(22050, 1 / 44100)
    strongest = sorted(freqs[np.argsort(spectrum)[-2:]].round())
    assert strongest == [220, 880]


def test_mix_normalises_only_when_it_would_clip() -> None:
    loud = run_node("audio:tone", volume=0.9, seconds=0.2)["audio"]
    mixed, _ = run_node("audio:mix", {"tracks": [loud, loud]})["audio"].to_array()
    assert np.abs(mixed).max() == pytest.approx(1.0, abs=0.01)
    quiet = run_node("audio:tone", volume=0.2, seconds=0.2)["audio"]
    mixed, _ = run_node("audio:mix", {"tracks": [quiet, quiet]})["audio"].to_array()
    assert np.abs(mixed).max() == pytest.approx(0.4, abs=0.01)


def test_mix_checks_volumes_against_tracks() -> None:
    tone = run_node("audio:tone", seconds=0.1)["audio"]
    with pytest.raises(ValueError, match="2 values for 1 tracks"):
        run_node("audio:mix", {"tracks": [tone]}, volumes=[1.0, 0.5])


def _encode(tone: Audio, codec: str, fmt: str) -> bytes:
    """Re-encode a WAV tone with PyAV, to feed the nodes something other than WAV."""
    import io

    import av

    samples, rate = tone.to_array()
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples.T.astype(np.float32)), format="fltp", layout="mono"
        )
        frame.sample_rate = rate
        container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return buf.getvalue()


@pytest.mark.parametrize(
    ("codec", "fmt", "content_type"),
    [("libmp3lame", "mp3", "audio/mpeg"), ("flac", "flac", "audio/flac")],
)
def test_mix_reads_compressed_audio(codec: str, fmt: str, content_type: str) -> None:
    tone = run_node("audio:tone", frequency=330, seconds=0.6, sample_rate=44100)["audio"]
    compressed = Audio(_encode(tone, codec, fmt), content_type=content_type)
    out = run_node("audio:mix", {"tracks": [compressed]})["audio"]
    duration, rate, _ = wav_facts(out)
    assert rate == 44100
    assert duration == pytest.approx(0.6, abs=0.06)  # MP3 adds a little padding
    assert _peak_hz(out) == pytest.approx(330, abs=5)
