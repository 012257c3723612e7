"""Log-mel features of the audio-only lip-sync model, in plain numpy.

Training (``scripts/train_audio2viseme.py``) and the runtime
(:func:`speaker.timing.audio_model.predict_articulation`) both call
:func:`log_mel_features`, so the network sees exactly the same numbers in
both places. The features are plain short-time spectra with no language
model behind them, so any language goes in.

Frame ``i`` is centred on ``i * HOP_SECONDS`` seconds, so the feature rate is
:data:`FRAME_RATE` frames per second and row ``i`` of the model output is the
articulation at time ``i / FRAME_RATE``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: All audio is resampled to this rate before analysis (Hz).
FEATURE_SAMPLE_RATE = 16000
#: Analysis window: 25 ms at 16 kHz.
WINDOW_SAMPLES = 400
#: Hop between frames: 10 ms at 16 kHz.
HOP_SAMPLES = 160
#: FFT size (the window is zero-padded to it).
FFT_SIZE = 512
#: Number of mel bands.
MEL_BANDS = 48
#: Lowest and highest mel filter edges (Hz); 7.6 kHz stays below Nyquist of 16 kHz.
MEL_LOW_HZ = 40.0
MEL_HIGH_HZ = 7600.0
#: Feature frames per second.
FRAME_RATE = FEATURE_SAMPLE_RATE / HOP_SAMPLES
#: Floor of the mel power relative to the loudest frame's mean power, so the
#: log does not blow up digital silence and the features ignore overall gain
#: (1e-8 = 80 dB below the peak).
RELATIVE_POWER_FLOOR = 1e-8
#: Absolute floor for all-zero input (avoids log(0)).
ABSOLUTE_POWER_FLOOR = 1e-12
#: Smallest standard deviation used in the per-utterance normalisation, so a
#: constant band (e.g. removed by a telephone filter) stays at zero instead of
#: amplifying rounding noise.
MIN_STD = 0.05


def resample(samples: np.ndarray, sample_rate: int, target_rate: int = FEATURE_SAMPLE_RATE) -> np.ndarray:
    """Resample mono audio with soxr.

    Parameters
    ----------
    samples : np.ndarray, shape (N,)
        Mono audio.
    sample_rate, target_rate : int
        Rates in Hz.

    Returns
    -------
    np.ndarray, shape (M,), float32
        The audio at ``target_rate``, ``M ~= N * target_rate / sample_rate``.
    """
    samples = np.asarray(samples, dtype=np.float32)
    if int(sample_rate) == int(target_rate) or samples.size == 0:
        return samples
    import soxr

    return soxr.resample(samples, int(sample_rate), int(target_rate), quality="HQ").astype(np.float32)


def n_feature_frames(n_samples_16k: int) -> int:
    """Number of centred frames for ``n_samples_16k`` samples at 16 kHz (at least 1)."""
    return max(1, int(n_samples_16k) // HOP_SAMPLES + 1)


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    # HTK mel scale.
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def _mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """Triangular mel filters over the FFT bins.

    Returns
    -------
    np.ndarray, shape (MEL_BANDS, FFT_SIZE // 2 + 1), float32
        Row ``b`` weights the power spectrum bins of band ``b`` (each row
        sums to one over its bins, so bands of different width are comparable).
    """
    bin_hz = np.arange(FFT_SIZE // 2 + 1) * FEATURE_SAMPLE_RATE / FFT_SIZE
    edges_hz = _mel_to_hz(np.linspace(_hz_to_mel(MEL_LOW_HZ), _hz_to_mel(MEL_HIGH_HZ), MEL_BANDS + 2))
    filters = np.zeros((MEL_BANDS, bin_hz.size), dtype=np.float64)
    for band in range(MEL_BANDS):
        low, centre, high = edges_hz[band], edges_hz[band + 1], edges_hz[band + 2]
        rising = (bin_hz - low) / (centre - low)
        falling = (high - bin_hz) / (high - centre)
        filters[band] = np.clip(np.minimum(rising, falling), 0.0, None)
        total = filters[band].sum()
        if total > 0:
            filters[band] /= total
    return filters.astype(np.float32)


def _framed(samples_16k: np.ndarray) -> np.ndarray:
    """Centred, zero-padded frames, shape (T, WINDOW_SAMPLES)."""
    count = n_feature_frames(samples_16k.size)
    half = WINDOW_SAMPLES // 2
    padded = np.zeros(count * HOP_SAMPLES + WINDOW_SAMPLES, dtype=np.float32)
    padded[half:half + samples_16k.size] = samples_16k
    return np.lib.stride_tricks.sliding_window_view(padded, WINDOW_SAMPLES)[::HOP_SAMPLES][:count]


def mel_power(samples_16k: np.ndarray) -> np.ndarray:
    """Mel power spectrogram of 16 kHz audio.

    Parameters
    ----------
    samples_16k : np.ndarray, shape (N,)
        Mono audio at :data:`FEATURE_SAMPLE_RATE`.

    Returns
    -------
    np.ndarray, shape (T, MEL_BANDS), float32
        Mean power per band, ``T = n_feature_frames(N)``.
    """
    samples_16k = np.asarray(samples_16k, dtype=np.float32)
    window = np.hanning(WINDOW_SAMPLES + 2)[1:-1].astype(np.float32)
    frames = _framed(samples_16k) * window
    spectrum = np.fft.rfft(frames, n=FFT_SIZE, axis=1)
    power = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)
    return power @ mel_filterbank().T


def frame_energy_db(samples_16k: np.ndarray) -> np.ndarray:
    """Frame energy in dB relative to the loudest frame (0 dB at the peak).

    Parameters
    ----------
    samples_16k : np.ndarray, shape (N,)
        Mono audio at :data:`FEATURE_SAMPLE_RATE`.

    Returns
    -------
    np.ndarray, shape (T,), float32
        ``T = n_feature_frames(N)``; values <= 0, -120 for digital silence.
    """
    frames = _framed(np.asarray(samples_16k, dtype=np.float32))
    energy = np.mean(frames.astype(np.float64) ** 2, axis=1)
    peak = float(energy.max()) if energy.size else 0.0
    if peak <= 0.0:
        return np.full(energy.shape, -120.0, dtype=np.float32)
    return np.maximum(10.0 * np.log10(np.maximum(energy, 1e-30) / peak), -120.0).astype(np.float32)


def frame_rms(samples_16k: np.ndarray) -> np.ndarray:
    """Root-mean-square amplitude per centred frame, shape (T,), float32 (full scale = 1)."""
    frames = _framed(np.asarray(samples_16k, dtype=np.float32))
    return np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)).astype(np.float32)


def log_mel_features(samples_16k: np.ndarray) -> np.ndarray:
    """Normalised log-mel features, the network's input.

    The log power is floored :data:`RELATIVE_POWER_FLOOR` below the
    utterance's loudest frame, then every band is shifted and scaled to zero
    mean and unit variance over the utterance, so loudness, microphone and
    channel colouring largely cancel out.

    Parameters
    ----------
    samples_16k : np.ndarray, shape (N,)
        Mono audio at :data:`FEATURE_SAMPLE_RATE`, any scale.

    Returns
    -------
    np.ndarray, shape (T, MEL_BANDS), float32
        ``T = n_feature_frames(N)`` frames at :data:`FRAME_RATE`.
    """
    power = mel_power(samples_16k).astype(np.float64)
    peak = float(power.mean(axis=1).max()) if power.size else 0.0
    floor = max(peak * RELATIVE_POWER_FLOOR, ABSOLUTE_POWER_FLOOR)
    log_power = np.log(np.maximum(power, floor))
    mean = log_power.mean(axis=0, keepdims=True)
    std = np.maximum(log_power.std(axis=0, keepdims=True), MIN_STD)
    return ((log_power - mean) / std).astype(np.float32)
