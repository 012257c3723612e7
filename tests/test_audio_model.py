"""The audio-only lip-sync model: the shipped ONNX network and its runtime.

Runs the real network with onnxruntime on speech synthesized by piper; never
imports torch (the runtime must work without it).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from speaker.errors import SpeakerError
from speaker.timing import audio_model
from speaker.timing.audio_model import features, predict_articulation
from speaker.types import ARTICULATION_NAMES

JAW, CLOSURE = ARTICULATION_NAMES.index("jaw_open"), ARTICULATION_NAMES.index("lip_closure")

#: Not one of the training script's sentences; rich in p, b, m.
SENTENCE = "Maybe Pablo bought a pumpkin pie for my big brother."


@pytest.fixture(scope="module")
def speech():
    """Piper speech of SENTENCE with its phone timeline (22050 Hz)."""
    from speaker.settings import VoicePreset
    from speaker.speech import synthesize

    return synthesize(SENTENCE, VoicePreset())


@pytest.fixture(scope="module")
def phone_path(speech):
    """The phone path's articulation of ``speech`` at 100 Hz, shape (T, 6)."""
    from speaker.motion import articulation_from_phones

    count = features.n_feature_frames(int(round(speech.duration * features.FEATURE_SAMPLE_RATE)))
    return articulation_from_phones(speech.phones, np.arange(count) / features.FRAME_RATE)


def with_noise(samples: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    power = np.mean(samples[np.abs(samples) > 1e-3] ** 2)
    noise = rng.standard_normal(samples.size) * np.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(samples + noise, -1, 1).astype(np.float32)


def test_shipped_model_runs_without_torch():
    assert audio_model.model_path().is_file()
    assert audio_model.model_path().stat().st_size < 2_000_000
    rng = np.random.default_rng(1)
    predict_articulation(0.1 * rng.standard_normal(16000).astype(np.float32), 16000)
    assert "torch" not in sys.modules


@pytest.mark.parametrize("rate", [22050, 16000])
def test_three_seconds_give_301_rows_at_100_hz(rate):
    rng = np.random.default_rng(2)
    curve = predict_articulation(0.1 * rng.standard_normal(3 * rate).astype(np.float32), rate)
    assert curve.rate == 100.0
    assert curve.values.shape == (301, len(ARTICULATION_NAMES))
    assert curve.values.dtype == np.float32
    assert np.all((curve.values >= 0) & (curve.values <= 1))


def test_follows_phone_path_on_unseen_noisy_speech(speech, phone_path):
    noisy = with_noise(speech.samples, snr_db=20)
    predicted = predict_articulation(noisy, speech.sample_rate).values
    assert predicted.shape == phone_path.shape
    r_jaw = np.corrcoef(predicted[:, JAW], phone_path[:, JAW])[0, 1]
    r_closure = np.corrcoef(predicted[:, CLOSURE], phone_path[:, CLOSURE])[0, 1]
    # Measured 0.95 and 0.86 (model of scripts/train_audio2viseme.py, seed 0).
    assert r_jaw > 0.8, r_jaw
    assert r_closure > 0.7, r_closure


def test_lips_close_on_bilabials(speech):
    predicted = predict_articulation(with_noise(speech.samples, snr_db=20), speech.sample_rate).values
    times = np.arange(predicted.shape[0]) / 100.0
    bilabials = [p for p in speech.phones if p.symbol in ("P", "B", "M")]
    assert len(bilabials) >= 8
    closed = 0
    for phone in bilabials:
        near = (times >= phone.start - 0.04) & (times <= phone.end + 0.04)
        closed += predicted[near, CLOSURE].max() > 0.5
    # Lip closure in open vowels stays low.
    vowels = [p for p in speech.phones if p.symbol in ("AA", "AY", "AH", "AE")]
    vowel_closure = [predicted[(times >= p.start + 0.3 * (p.end - p.start)) & (times <= p.end - 0.3 * (p.end - p.start)), CLOSURE].mean()
                     for p in vowels if p.end - p.start > 0.05]
    # Measured: 10 of 12 closed (> 0.5), median vowel closure 0.19.
    assert closed >= len(bilabials) - 3, (closed, len(bilabials))
    assert np.median(vowel_closure) < 0.35


def test_silence_is_rest():
    rate = 16000
    assert np.all(predict_articulation(np.zeros(2 * rate, np.float32), rate).values == 0)
    faint = 1e-5 * np.random.default_rng(3).standard_normal(2 * rate).astype(np.float32)
    assert np.all(predict_articulation(faint, rate).values == 0)


def test_pauses_are_rest_and_speech_after_silence_is_not(speech):
    pause = np.zeros(speech.sample_rate, np.float32)
    audio = np.concatenate([pause, speech.samples, pause, speech.samples])
    values = predict_articulation(audio, speech.sample_rate).values
    first_end = 1.0 + speech.duration
    # Rest once the mouth has closed after the words, until the breath before the next ones.
    rest = slice(int(round((first_end + 0.15) * 100)), int(round((first_end + 0.45) * 100)))
    assert np.abs(values[rest]).max() < 0.02
    assert np.abs(values[:40]).max() < 0.02
    for start in (1.0, first_end + 1.0):
        spoken = values[int(start * 100): int((start + speech.duration) * 100)]
        assert spoken[:, JAW].max() > 0.5
        assert spoken[:, CLOSURE].max() > 0.9


def test_deterministic(speech):
    first = predict_articulation(speech.samples, speech.sample_rate).values
    second = predict_articulation(speech.samples.copy(), speech.sample_rate).values
    np.testing.assert_array_equal(first, second)


def test_long_audio_in_chunks_matches_one_pass(speech, monkeypatch):
    audio = np.tile(speech.samples, 6)  # ~ 20 s
    whole = predict_articulation(audio, speech.sample_rate).values
    monkeypatch.setattr(audio_model, "CHUNK_SECONDS", 6.0)
    chunked = predict_articulation(audio, speech.sample_rate).values
    assert chunked.shape == whole.shape
    assert np.corrcoef(chunked[:, JAW], whole[:, JAW])[0, 1] > 0.97
    # No jumps at the seams.
    assert np.abs(np.diff(chunked, axis=0)).max() < 0.35


def test_stereo_and_integer_input(speech):
    mono = predict_articulation(speech.samples, speech.sample_rate).values
    pcm = np.round(speech.samples * 32767).astype(np.int16)
    stereo = np.stack([pcm, pcm], axis=1)
    np.testing.assert_allclose(predict_articulation(stereo, speech.sample_rate).values, mono, atol=0.02)


@pytest.mark.parametrize(
    "samples, rate",
    [(np.zeros(0, np.float32), 16000), (np.full(100, np.nan, np.float32), 16000), (np.zeros(100, np.float32), 0)],
)
def test_bad_audio_is_a_user_error(samples, rate):
    with pytest.raises(SpeakerError):
        predict_articulation(samples, rate)


def test_missing_model_is_a_user_error(monkeypatch, tmp_path):
    monkeypatch.setattr(audio_model, "model_path", lambda: tmp_path / "absent.onnx")
    monkeypatch.setattr(audio_model, "_session", None)
    with pytest.raises(SpeakerError, match="missing"):
        predict_articulation(np.zeros(1600, np.float32), 16000)


def test_features_ignore_gain():
    rng = np.random.default_rng(4)
    audio = rng.standard_normal(16000).astype(np.float32) * np.hanning(16000).astype(np.float32)
    np.testing.assert_allclose(
        features.log_mel_features(audio), features.log_mel_features(0.01 * audio), atol=1e-3
    )
    assert features.log_mel_features(audio).shape == (101, features.MEL_BANDS)
