"""Audio-only lip sync: mouth articulation straight from the sound.

Used when there is audio but no transcript (any language). A small temporal
convolution network (``models/audio2viseme.onnx``, trained by
``scripts/train_audio2viseme.py`` to reproduce the phone path's articulation)
maps normalised log-mel spectra (:mod:`.features`) to the six parameters of
:data:`speaker.types.ARTICULATION_NAMES` at 100 frames per second. Only
numpy, soxr and onnxruntime run here; onnxruntime is imported on first use.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

import numpy as np

from ...errors import SpeakerError
from ...types import ARTICULATION_NAMES, ArticulationCurve
from . import features

__all__ = ["predict_articulation", "model_path", "MODEL_FILE"]

#: File name of the network inside the ``speaker.models`` package.
MODEL_FILE = "audio2viseme.onnx"
#: Audio is analysed in chunks of this many seconds so memory stays bounded.
CHUNK_SECONDS = 30.0
#: Seconds shared by neighbouring chunks; longer than the network's receptive
#: field so the cross-fade hides the chunk edges.
OVERLAP_SECONDS = 1.0
#: Frames below this level (dB under the loudest frame of the chunk) are silent.
SILENCE_RELATIVE_DB = -50.0
#: Frames quieter than this RMS (full scale 1.0; about -70 dBFS) are silent
#: whatever the rest of the audio does.
SILENCE_ABSOLUTE_RMS = 3e-4
#: Only runs of at least this many silent frames (10 ms) are pauses; shorter
#: ones are stop closures (a "p" is silent with the lips shut) and are left
#: to the network.
PAUSE_MIN_FRAMES = 25
#: Frames at the start of a pause left to the network, for the mouth's
#: movement to rest (the phone path takes 0.12 s).
PAUSE_TAIL_FRAMES = 12
#: Frames at the end of a pause left to the network: the lips part for a
#: breath before speech (the phone path opens them up to 0.45 s ahead, and
#: the network sees 0.56 s ahead).
PAUSE_LEAD_FRAMES = 45
#: Frames of the moving average that turns the pause mask into a smooth gate.
GATE_SMOOTHING_FRAMES = 7
#: Frames of audio context the network gets beyond each chunk (more than
#: its receptive field of +-56 frames).
CONTEXT_FRAMES = 64
#: Light smoothing of the network output: a normalised [1, 2, 1] kernel.
SMOOTHING_KERNEL = np.array([0.25, 0.5, 0.25], dtype=np.float32)

_session = None
_session_lock = threading.Lock()


def model_path() -> Path:
    """Where the shipped network lives (may not exist in a broken install)."""
    return Path(str(resources.files("speaker.models") / MODEL_FILE))


def _get_session():
    """The onnxruntime session of the network, created once and cached."""
    global _session
    with _session_lock:
        if _session is None:
            path = model_path()
            if not path.is_file():
                raise SpeakerError(
                    f"The audio lip-sync model {MODEL_FILE} is missing from speaker/models; reinstall speaker."
                )
            import onnxruntime

            options = onnxruntime.SessionOptions()
            # Two cores shared with rendering: stay on one thread, deterministic.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            try:
                _session = onnxruntime.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
            except Exception as error:  # corrupt file: onnxruntime raises its own types
                raise SpeakerError(f"The audio lip-sync model {path} cannot be loaded ({error}).") from error
        return _session


def _as_mono(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.ndim == 2:
        # (N, channels) as soundfile gives, or (channels, N) if channels are fewer than samples.
        samples = samples.mean(axis=1) if samples.shape[0] >= samples.shape[1] else samples.mean(axis=0)
    if samples.ndim != 1:
        raise SpeakerError("The audio must be mono or multi-channel samples, not a higher-dimensional array.")
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max)
    samples = samples.astype(np.float32)
    if not np.all(np.isfinite(samples)):
        raise SpeakerError("The audio contains invalid (NaN or infinite) samples.")
    return samples


def _silence_gate(samples_16k: np.ndarray) -> np.ndarray:
    """Per-frame weight in [0, 1]: 0 inside pauses, 1 elsewhere, shape (T,)."""
    silent = (features.frame_energy_db(samples_16k) < SILENCE_RELATIVE_DB) | (
        features.frame_rms(samples_16k) < SILENCE_ABSOLUTE_RMS
    )
    gate = np.ones(silent.size, np.float32)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], silent.astype(np.int8), [0]])))
    for first, stop in zip(edges[::2], edges[1::2]):
        if stop - first < PAUSE_MIN_FRAMES:
            continue
        # The audio's own start and end need no movement into rest.
        inner_first = first if first == 0 else first + PAUSE_TAIL_FRAMES
        inner_stop = stop if stop == silent.size else stop - PAUSE_LEAD_FRAMES
        if inner_stop > inner_first:
            gate[inner_first:inner_stop] = 0.0
    half = GATE_SMOOTHING_FRAMES // 2
    kernel = np.ones(GATE_SMOOTHING_FRAMES, np.float32) / GATE_SMOOTHING_FRAMES
    smoothed = np.convolve(np.pad(gate, half, mode="edge"), kernel, mode="valid")
    # Where the audio is silent to its very edge the mouth is at rest exactly.
    return np.where(gate == 0.0, 0.0, smoothed).astype(np.float32)


def _run_frames(audio_16k: np.ndarray, first: int, stop: int) -> np.ndarray:
    """Network output for frames ``first .. stop - 1`` of the audio, shape (stop - first, 6).

    The network also sees :data:`CONTEXT_FRAMES` of real audio on each side
    where there is some. After the audio's end it sees silence (the quietest
    frame of the piece) rather than the zero padding of its convolutions,
    which after normalisation looks like speech about to start (and would
    open the mouth for a breath). Before the start the zero padding stays,
    as in training, where it taught the network to time the pre-speech
    breath from the leading silence it can see.
    """
    session = _get_session()
    total = features.n_feature_frames(audio_16k.size)
    low, high = max(0, first - CONTEXT_FRAMES), min(total, stop + CONTEXT_FRAMES)
    hop = features.HOP_SAMPLES
    piece = audio_16k[low * hop: (high - 1) * hop + 1]
    piece_features = features.log_mel_features(piece)
    silence = np.repeat(piece_features.min(axis=0, keepdims=True), CONTEXT_FRAMES, axis=0)
    inputs = np.concatenate([piece_features, silence])[None]
    values = session.run(None, {session.get_inputs()[0].name: inputs})[0][0]
    keep = slice(first - low, stop - low)
    gate = _silence_gate(piece)[first - low: stop - low]
    return values[keep] * gate[:, None]


def predict_articulation(samples: np.ndarray, sample_rate: int) -> ArticulationCurve:
    """Mouth articulation predicted from audio alone.

    Parameters
    ----------
    samples : np.ndarray, shape (N,) or (N, C)
        Audio samples, float in [-1, 1] or integer PCM; channels are averaged.
    sample_rate : int
        Samples per second of ``samples`` (any rate; resampled to 16 kHz).

    Returns
    -------
    ArticulationCurve
        ``values`` of shape (M, 6) float32 in [0, 1], columns
        :data:`speaker.types.ARTICULATION_NAMES`, row ``i`` at ``i / 100`` s,
        ``M = floor(duration * 100) + 1``; ``rate`` is 100.0. Silent stretches
        are at rest (zeros).

    Raises
    ------
    SpeakerError
        Empty or invalid audio, a bad sample rate, or the model file missing.
    """
    if not sample_rate or int(sample_rate) <= 0:
        raise SpeakerError(f"The audio sample rate must be positive, not {sample_rate}.")
    mono = _as_mono(samples)
    if mono.size == 0:
        raise SpeakerError("The audio is empty.")
    audio = features.resample(mono, int(sample_rate), features.FEATURE_SAMPLE_RATE)
    total = features.n_feature_frames(audio.size)
    chunk_frames = int(round(CHUNK_SECONDS * features.FRAME_RATE))
    overlap_frames = int(round(OVERLAP_SECONDS * features.FRAME_RATE))

    if total <= chunk_frames + overlap_frames:
        values = _run_frames(audio, 0, total)
    else:
        # Equal chunks (none left tiny, so each has enough frames to normalise on).
        count = int(np.ceil((total - overlap_frames) / (chunk_frames - overlap_frames)))
        length = int(np.ceil((total + (count - 1) * overlap_frames) / count))
        values = np.zeros((total, len(ARTICULATION_NAMES)), np.float32)
        weights = np.zeros((total, 1), np.float32)
        fade_in = np.linspace(0.0, 1.0, overlap_frames + 2, dtype=np.float32)[1:-1]
        for index in range(count):
            start = index * (length - overlap_frames)
            stop = min(total, start + length)
            chunk_values = _run_frames(audio, start, stop)
            ramp = np.ones(stop - start, np.float32)
            if start > 0:
                ramp[:overlap_frames] = fade_in
            if stop < total:
                ramp[-overlap_frames:] = np.minimum(ramp[-overlap_frames:], fade_in[::-1])
            values[start:stop] += chunk_values * ramp[:, None]
            weights[start:stop] += ramp[:, None]
        values /= np.maximum(weights, 1e-6)

    if values.shape[0] >= len(SMOOTHING_KERNEL):
        padded = np.pad(values, ((1, 1), (0, 0)), mode="edge")
        values = (
            SMOOTHING_KERNEL[0] * padded[:-2] + SMOOTHING_KERNEL[1] * padded[1:-1] + SMOOTHING_KERNEL[2] * padded[2:]
        )
    return ArticulationCurve(values=np.clip(values, 0.0, 1.0).astype(np.float32), rate=float(features.FRAME_RATE))
