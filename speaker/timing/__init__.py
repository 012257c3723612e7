"""Phone timelines for given audio: forced alignment of a transcript, recognised
words (Whisper) aligned or spread, phone recognition, or an audio-to-articulation model.

>>> samples, rate = load_audio("speech.wav")
>>> speech = timeline_for_audio(samples, rate, transcript="he could wait no longer")
>>> speech = timeline_for_audio(samples, rate, None)          # Whisper hears the words
>>> [(phone.symbol, phone.start) for phone in speech.phones][:3]

Long recordings in pieces (memory flat with length)::

    with open_audio("talk.mp3") as audio:
        heard = recognize_audio(audio)
        for offset, speech in timed_segments(audio, heard.words, heard.language):
            ...
"""

from __future__ import annotations

from importlib import resources
from typing import Literal

import numpy as np

from ..errors import SpeakerError, warn
from ..text import has_words
from ..types import Speech
from .audio import load_audio, resample
from .core import AlignmentError, Transcription, load_backend
from .recognized import is_english, timeline_from_words
from .retold import transcript_on_heard, words_to_time
from .stream import (AudioFile, open_audio, recognize_audio, refuse_without_speech, segment_bounds,
                     time_segment, timed_segments)
from .transcribed import WHOLE_ALIGNMENT_SECONDS, transcript_segments

__all__ = [
    "align", "load_audio", "recognize", "resample", "timeline_for_audio", "audio_model_available",
    "AudioFile", "Transcription", "open_audio", "recognize_audio", "recognize_words", "refuse_without_speech",
    "segment_bounds", "time_segment", "timed_segments", "timeline_from_words", "transcript_timeline",
    "transcript_segments", "WHOLE_ALIGNMENT_SECONDS", "transcript_on_heard", "words_to_time",
]

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
    if not has_words(transcript):
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


def recognize_words(samples: np.ndarray, sample_rate: int, language: str | None = None) -> Transcription:
    """Words heard in audio held in memory (Whisper base, window by window); see :func:`recognize_audio`."""
    return recognize_audio(AudioFile.from_samples(_mono(samples), int(sample_rate)), language)


def transcript_timeline(samples: np.ndarray, sample_rate: int, transcript: str, method: str = "auto",
                        language: str | None = None) -> Speech | None:
    """The timeline from a user's transcript, or None when the recogniser must take over.

    English (or ``language`` None, taken as English): forced alignment of the
    transcript; when it fails, a warning and None. Other languages: a
    warning and None (pocketsphinx aligns English only). With method
    ``"audio-model"`` the mouth follows the audio model and the aligned
    transcript gives the words.
    """
    samples = _mono(samples)
    if language is not None and not is_english(language):
        warn(f"A transcript can be aligned sound by sound only in English, not '{language}'; its words are "
             "timed by the words recognised in the recording instead.")
        return None
    try:
        aligned = load_backend(DEFAULT_BACKEND).align_strict(samples, int(sample_rate), transcript)
    except AlignmentError as error:
        warn(f"The transcript could not be aligned to the audio ({error}); its words are timed by the words "
             "recognised in the recording instead.")
        return None
    if method == "audio-model":
        return recognize(samples, sample_rate, "audio-model").with_timings(words=aligned.words)
    return aligned


def timeline_for_audio(
    samples: np.ndarray,
    sample_rate: int,
    transcript: str | None,
    method: Literal["auto", "phones", "audio-model"] = "auto",
    language: str | None = None,
) -> Speech:
    """The timeline the pipeline animates for a user's audio held in memory.

    With a transcript: forced alignment (see :func:`transcript_timeline`),
    else, with a warning, the recogniser's path below. Without one, Whisper
    hears the words (and the language, unless given); then ``"auto"`` aligns
    the recognised words stretch by stretch (English) or spreads their
    espeak-ng phonemes in the word spans (other languages); ``"phones"`` uses
    pocketsphinx phone recognition and ``"audio-model"`` the audio model,
    both keeping the recognised words for subtitles. Long recordings go
    through :func:`open_audio` and :func:`timed_segments` instead, in pieces.

    Parameters
    ----------
    samples : np.ndarray, shape (N,), float32
    sample_rate : int
    transcript : str or None
        What is said, if known.
    method : {"auto", "phones", "audio-model"}
    language : str or None
        ISO 639-1 code of the speech; None detects it.

    Returns
    -------
    Speech

    Raises
    ------
    SpeakerError
        The recogniser heard no speech, or an unknown method.
    """
    if method not in ("auto", "phones", "audio-model"):
        raise SpeakerError(f"Unknown lip-sync method '{method}'; use 'auto', 'phones' or 'audio-model'.")
    samples = _mono(samples)
    if has_words(transcript):
        timed = transcript_timeline(samples, sample_rate, transcript, method, language)
        if timed is not None:
            return timed
    heard = recognize_words(samples, sample_rate, language)
    refuse_without_speech(heard, "")
    return time_segment(samples, int(sample_rate), words_to_time(transcript, heard.words), heard.language, method)


def _mono(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1) if samples.shape[1] <= 8 else samples.mean(axis=0)
    return samples.reshape(-1)
