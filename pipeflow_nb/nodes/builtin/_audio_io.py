"""Audio samples in and out of media values: decode, resample, fit to a length."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from pipeflow_nb.errors import MediaError
from pipeflow_nb.media import Audio
from pipeflow_nb.nodes.builtin._models import require

__all__ = ["AV_HINT", "fit_length", "resample", "samples_of", "to_channels"]

AV_HINT = "pip install 'pipeflow-nb[media]' (PyAV, which carries FFmpeg)"
Samples = np.ndarray[Any, np.dtype[np.float32]]


def samples_of(audio: Audio) -> tuple[Samples, int]:
    """``(float32 samples (n, channels) in -1..1, sample rate)`` of WAV, MP3, OGG or FLAC."""
    if audio.content_type == "audio/wav":
        arr, rate = audio.to_array()
        return arr.astype(np.float32), rate
    av = require("av", AV_HINT)
    try:
        with av.open(io.BytesIO(audio.data), "r") as container:
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate
            resampler = av.AudioResampler(
                format="flt", layout=stream.codec_context.layout, rate=rate
            )
            chunks = [
                out.to_ndarray().reshape(-1, out.layout.nb_channels if out.layout else 1)
                for frame in container.decode(stream)
                for out in resampler.resample(frame)
            ]
    except (av.error.FFmpegError, IndexError) as exc:
        raise MediaError(f"cannot decode {audio.content_type} audio: {exc}") from exc
    if not chunks:
        raise MediaError("the audio has no samples")
    return np.concatenate(chunks).astype(np.float32), int(rate)


def resample(samples: Samples, rate: int, target: int) -> Samples:
    """Linear-interpolation resampling of ``(n, channels)`` samples from ``rate`` to ``target``."""
    if rate == target or len(samples) == 0:
        return samples
    n = max(1, round(len(samples) * target / rate))
    src = np.arange(len(samples), dtype=np.float64)
    dst = np.linspace(0, len(samples) - 1, n)
    return np.stack(
        [np.interp(dst, src, samples[:, c]) for c in range(samples.shape[1])], 1
    ).astype(np.float32)


def to_channels(samples: Samples, channels: int) -> Samples:
    """Mix down to mono or copy mono up to ``channels``."""
    have = samples.shape[1]
    if have == channels:
        return samples
    if channels == 1:
        return np.asarray(samples.mean(axis=1, keepdims=True), np.float32)
    mono = samples.mean(axis=1, keepdims=True) if have != 1 else samples
    return np.repeat(mono, channels, axis=1).astype(np.float32)


def fit_length(samples: Samples, n: int) -> Samples:
    """Cut to ``n`` samples, or pad with silence up to it."""
    if len(samples) >= n:
        return samples[:n]
    pad = np.zeros((n - len(samples), samples.shape[1]), np.float32)
    return np.concatenate([samples, pad])
