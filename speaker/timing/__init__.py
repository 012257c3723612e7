"""Phone timelines for given audio: forced alignment, phone recognition, or an
audio-to-articulation model.

>>> samples, rate = load_audio("speech.wav")
>>> speech = timeline_for_audio(samples, rate, transcript="he could wait no longer")
>>> [(phone.symbol, phone.start) for phone in speech.phones][:3]
"""

from __future__ import annotations

from importlib import resources
from typing import Literal

import numpy as np

from ..errors import SpeakerError
from ..types import Speech
from .audio import load_audio, resample
from .core import load_backend

__all__ = ["align", "load_audio", "recognize", "resample", "timeline_for_audio", "audio_model_available"]

#: The backend used for alignment and phone recognition.
DEFAULT_BACKEND = "pocketsphinx"
#: File name of the audio-to-articulation model in ``speaker.models``.
AUDIO_MODEL_FILE = "audio2viseme.onnx"


def align(samples: np.ndarray, sample_rate: int, transcript: str) -> Speech:
    """Words and phones of ``transcript`` timed in the audio (forced alignment).

    Parameters
    ----------
    samples : np.ndarray, shape (N,), float32
        Mono audio in [-1, 1].
    sample_rate : int
        Samples per second.
    transcript : str
        What is said.

    Returns
    -------
    Speech
        The samples with words (as written) and phones (seconds) covering
        the audio. ``source`` is ``"pocketsphinx-align"``, or starts with
        ``"pocketsphinx-phones (alignment failed"`` when the transcript could
        not be aligned and the phones were recognised instead (no words).

    Raises
    ------
    SpeakerError
        The transcript holds no words.
    """
    if not transcript or not any(ch.isalnum() for ch in transcript):
        raise SpeakerError("The transcript is empty; give the words said in the audio.")
    return load_backend(DEFAULT_BACKEND).align(_mono(samples), int(sample_rate), transcript)


def recognize(samples: np.ndarray, sample_rate: int, method: Literal["phones", "audio-model"] = "phones") -> Speech:
    """A timeline for audio without a transcript.

    Parameters
    ----------
    samples : np.ndarray, shape (N,), float32
    sample_rate : int
    method : {"phones", "audio-model"}
        ``"phones"``: pocketsphinx phone recognition (phones set, words
        empty). ``"audio-model"``: the audio-to-articulation model
        (``articulation`` set, phones and words empty).

    Raises
    ------
    SpeakerError
        Unknown method, or the audio model is missing.
    """
    samples = _mono(samples)
    if method == "phones":
        return load_backend(DEFAULT_BACKEND).recognize(samples, int(sample_rate))
    if method == "audio-model":
        from .audio_model import predict_articulation

        curve = predict_articulation(samples, int(sample_rate))
        return Speech(samples=samples, sample_rate=int(sample_rate), articulation=curve, source="audio-model")
    raise SpeakerError(f"Unknown lip-sync method '{method}'; use 'phones' or 'audio-model'.")


def audio_model_available() -> bool:
    """True when the trained audio-to-articulation model ships with speaker."""
    try:
        return resources.files("speaker.models").joinpath(AUDIO_MODEL_FILE).is_file()
    except (ModuleNotFoundError, FileNotFoundError):
        return False


def timeline_for_audio(
    samples: np.ndarray,
    sample_rate: int,
    transcript: str | None,
    method: Literal["auto", "phones", "audio-model"] = "auto",
    language: str = "en",
) -> Speech:
    """The timeline the pipeline animates for a user's audio.

    ``"auto"``: for English, align to the transcript when there is one, else
    recognise phones (on real English speech both measure better than the
    audio model); for any other language, the audio model, which makes no
    assumption about the language (pocketsphinx knows only English).
    ``"phones"``: align when there is a transcript, else recognise phones.
    ``"audio-model"``: the audio model, with the words of the alignment
    added when there is an English transcript (for subtitles).

    Parameters
    ----------
    samples : np.ndarray, shape (N,), float32
    sample_rate : int
    transcript : str or None
        What is said, if known.
    method : str
        See above.
    language : str
        Language of the speech, an ISO 639-1 code such as ``"en"`` or ``"de"``.

    Returns
    -------
    Speech
        See :func:`align` and :func:`recognize`.
    """
    has_transcript = bool(transcript and any(ch.isalnum() for ch in transcript))
    english = language.lower().split("-")[0].split("_")[0] == "en"
    if method == "auto":
        method = "phones" if english or not audio_model_available() else "audio-model"
    if method == "phones":
        return align(samples, sample_rate, transcript) if has_transcript else recognize(samples, sample_rate)
    if method == "audio-model":
        speech = recognize(samples, sample_rate, "audio-model")
        if has_transcript and english:
            speech = speech.with_timings(words=align(samples, sample_rate, transcript).words)
        return speech
    raise SpeakerError(f"Unknown lip-sync method '{method}'; use 'auto', 'phones' or 'audio-model'.")


def _mono(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1) if samples.shape[1] <= 8 else samples.mean(axis=0)
    return samples.reshape(-1)
