"""Whisper base through faster-whisper: words with times, and the language."""

from __future__ import annotations

import os
import threading

import numpy as np

from ...errors import SpeakerError
from ...types import Word
from ..audio import resample
from ..core import Recognizer, Transcription
from .model import model_dir

#: Whisper's input rate.
SAMPLE_RATE = 16000
#: Beam width. 2 costs about 15 % less recognition time than Whisper's
#: default 5 (greedy 1: 25 % less) and hears and times the words as well
#: (25 GRID s1 sentences, scripts/check_alignment.py: 68 / 65 / 63 of 150
#: words heard as written with beam 2 / 1 / 5, aligned median boundary error
#: 10 / 15 / 20 ms); greedy decoding misheard a GRID letter sequence that
#: cost its clip's lip sync (scripts/eval_lipsync.py, clips: median r 0.72
#: with beam 2 and 5, 0.68 with 1).
BEAM_SIZE = 2
#: CTranslate2 weights on the CPU: int8 is about twice as fast as float32 at the same accuracy.
COMPUTE_TYPE = "int8"
#: A segment Whisper itself scores as this likely to be no speech...
NO_SPEECH_PROBABILITY = 0.6
#: ...and decoded with a mean log-probability below this is a hallucination
#: (music and noise make Whisper "hear" stock phrases); it is dropped.
HALLUCINATION_LOGPROB = -1.0
#: Words Whisper gives less than this probability in a segment that is
#: itself doubtful (see above) are dropped too.
WORD_PROBABILITY = 0.1

_shared: "WhisperRecognizer | None" = None
_shared_lock = threading.Lock()


def shared_recognizer() -> "WhisperRecognizer":
    """One recogniser per process: the web server and batch workers reuse the loaded model."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WhisperRecognizer()
        return _shared


def whisper_language(language: str | None) -> str | None:
    """``"en-US"`` -> ``"en"``; None stays None (detect).

    Raises
    ------
    SpeakerError
        Whisper does not know the language.
    """
    if language is None:
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = language.lower().replace("_", "-")
    for candidate in (code, code.split("-")[0], {"cmn": "zh", "yue": "yue"}.get(code.split("-")[0], "")):
        if candidate in _LANGUAGE_CODES:
            return candidate
    raise SpeakerError(f"The speech recogniser does not know the language '{language}'; "
                       "give an ISO 639-1 code such as en, de, fr or zh, or leave --language out to detect it.")


class WhisperRecognizer(Recognizer):
    """OpenAI's Whisper base (MIT), CTranslate2 conversion, int8 on the CPU."""

    name = "whisper-base"

    def __init__(self) -> None:
        # The model is loaded from a local folder: no hub, so HF_HUB_OFFLINE does not matter.
        from faster_whisper import WhisperModel

        threads = max(1, min(4, os.cpu_count() or 1))
        self._model = WhisperModel(
            str(model_dir()), device="cpu", compute_type=COMPUTE_TYPE, cpu_threads=threads, local_files_only=True
        )
        self._lock = threading.Lock()

    def language_of(self, samples: np.ndarray, sample_rate: int) -> tuple[str, float] | None:
        """The language Whisper hears in (the first 30 s of) the audio, and its probability."""
        audio = resample(np.asarray(samples, np.float32).reshape(-1), int(sample_rate), SAMPLE_RATE)
        with self._lock:
            language, probability, _ = self._model.detect_language(audio, vad_filter=True)
        return str(language), float(probability)

    def transcribe(self, samples: np.ndarray, sample_rate: int, language: str | None = None) -> Transcription:
        """Words heard in (up to about 30 s of) audio; see :meth:`Recognizer.transcribe`.

        Raises
        ------
        SpeakerError
            ``language`` is not one Whisper knows.
        """
        language = whisper_language(language)
        audio = resample(np.asarray(samples, np.float32).reshape(-1), int(sample_rate), SAMPLE_RATE)
        with self._lock:  # one CTranslate2 model, one decode at a time
            segments, info = self._model.transcribe(
                audio,
                language=language,
                beam_size=BEAM_SIZE,
                word_timestamps=True,
                vad_filter=True,
                condition_on_previous_text=False,
            )
            segments = list(segments)
        words: list[Word] = []
        for segment in segments:
            doubtful = segment.no_speech_prob > NO_SPEECH_PROBABILITY
            if doubtful and segment.avg_logprob < HALLUCINATION_LOGPROB:
                continue
            for word in segment.words or []:
                text = word.word.strip()
                if not text or word.end <= word.start:
                    continue
                if doubtful and word.probability < WORD_PROBABILITY:
                    continue
                words.append(Word(text, float(word.start), float(word.end)))
        return Transcription(words=words, language=str(info.language), language_probability=float(info.language_probability))
