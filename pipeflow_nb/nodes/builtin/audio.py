"""Exact audio tools (numpy, WAV out): tones and mixing."""

from __future__ import annotations

from typing import Literal

import numpy as np

from pipeflow_nb.media import Audio
from pipeflow_nb.nodes.builtin._audio_io import fit_length, resample, samples_of, to_channels
from pipeflow_nb.nodes.builtin._define import builtin

__all__ = ["audio_mix", "audio_tone"]


@builtin("audio:tone", label="Tone", primary_param="frequency")
def audio_tone(
    *,
    frequency: float = 440.0,
    seconds: float = 1.0,
    waveform: Literal["sine", "square", "sawtooth", "triangle"] = "sine",
    volume: float = 0.5,
    sample_rate: int = 44100,
    fade: float = 0.01,
) -> Audio:
    """A pure tone as mono 16-bit WAV, with short fades so it starts and stops without clicks."""
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    if not 0 < frequency < sample_rate / 2:
        raise ValueError(f"frequency must be between 0 and {sample_rate / 2:g} Hz, got {frequency}")
    if not 0 <= volume <= 1:
        raise ValueError(f"volume must be between 0 and 1, got {volume}")
    n = round(seconds * sample_rate)
    phase = (np.arange(n) * frequency / sample_rate) % 1.0
    wave = {
        "sine": np.sin(2 * np.pi * phase),
        "square": np.where(phase < 0.5, 1.0, -1.0),
        "sawtooth": 2 * phase - 1,
        "triangle": 1 - 4 * np.abs(phase - 0.5),
    }[waveform]
    ramp = min(n // 2, round(max(fade, 0.0) * sample_rate))
    if ramp:
        envelope = np.ones(n)
        envelope[:ramp] = np.linspace(0, 1, ramp)
        envelope[-ramp:] = np.linspace(1, 0, ramp)
        wave = wave * envelope
    return Audio.from_array(volume * wave, sample_rate)


@builtin("audio:mix", label="Mix", primary_param="normalize")
def audio_mix(
    tracks: list[Audio],
    *,
    volumes: list[float] | None = None,
    normalize: bool = True,
    length: Literal["longest", "shortest", "first"] = "longest",
) -> Audio:
    """Mix the connected tracks into one WAV at the highest sample rate among them.

    ``volumes`` scales each track in edge order (default 1.0 each). ``normalize`` scales the
    mix down only when it would clip.
    """
    if not tracks:
        raise ValueError("no tracks to mix: connect at least one audio")
    gains = list(volumes) if volumes else [1.0] * len(tracks)
    if len(gains) != len(tracks):
        raise ValueError(f"volumes has {len(gains)} values for {len(tracks)} tracks")
    decoded = [samples_of(t) for t in tracks]
    rate = max(r for _, r in decoded)
    channels = max(s.shape[1] for s, _ in decoded)
    parts = [to_channels(resample(s, r, rate), channels) for s, r in decoded]
    sizes = [len(p) for p in parts]
    n = {"longest": max(sizes), "shortest": min(sizes), "first": sizes[0]}[length]
    mix = sum(
        (g * fit_length(p, n) for g, p in zip(gains, parts, strict=True)),
        np.zeros((n, channels), np.float32),
    )
    peak = float(np.abs(mix).max()) if mix.size else 0.0
    if normalize and peak > 1.0:
        mix = mix / peak
    return Audio.from_array(mix, rate)
