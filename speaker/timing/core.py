"""The interface of timing backends (aligners and recognizers), chosen by name.

A backend is a subpackage of :mod:`speaker.timing` whose ``load()`` returns a
:class:`TimingBackend`. Heavy libraries are imported only when a backend is
loaded.
"""

from __future__ import annotations

import abc
import importlib
from dataclasses import dataclass, field

import numpy as np

from ..errors import SpeakerError
from ..types import PHONES, Phone, Speech, Word

#: Backend name -> module holding its ``load() -> TimingBackend``.
BACKENDS: dict[str, str] = {
    "pocketsphinx": "speaker.timing.pocketsphinx",
}

#: Recogniser name -> module holding its ``load() -> Recognizer``.
RECOGNIZERS: dict[str, str] = {
    "whisper": "speaker.timing.whisper",
}

#: Gaps and overlaps shorter than this (seconds) are closed by moving a
#: boundary instead of inserting a silence.
MIN_SILENCE = 0.02

_PHONE_SET = frozenset(PHONES)


class TimingBackend(abc.ABC):
    """Finds when each word and phone is said in some audio."""

    @abc.abstractmethod
    def align(self, samples: np.ndarray, sample_rate: int, transcript: str) -> Speech:
        """Forced alignment of audio to the words said in it.

        Parameters
        ----------
        samples : np.ndarray, shape (N,), float32
            Mono audio in [-1, 1].
        sample_rate : int
            Samples per second.
        transcript : str
            What is said, as written.

        Returns
        -------
        Speech
            The same samples with words and phones (seconds) covering the
            audio; ``source`` names the backend and says when it had to
            fall back to recognition.
        """

    @abc.abstractmethod
    def align_strict(self, samples: np.ndarray, sample_rate: int, transcript: str) -> Speech:
        """Like :meth:`align`, but raises :class:`AlignmentError` instead of falling back."""

    @abc.abstractmethod
    def recognize(self, samples: np.ndarray, sample_rate: int) -> Speech:
        """Phones heard in the audio without a transcript (words left empty)."""


class AlignmentError(Exception):
    """Forced alignment found no path through a stretch of audio (the caller falls back and warns)."""


@dataclass
class Transcription:
    """Words a recogniser heard, with times in seconds from the start of the audio given."""

    words: list[Word] = field(default_factory=list)
    #: ISO 639-1 code of the language spoken (detected, or the hint given).
    language: str = "en"
    #: How sure the recogniser is of ``language`` (1.0 when it was given).
    language_probability: float = 1.0


class Recognizer(abc.ABC):
    """Hears the words said in some audio (speech to text with word times)."""

    #: Short name for progress lines and ``Speech.source``.
    name: str = "recognizer"

    @abc.abstractmethod
    def transcribe(self, samples: np.ndarray, sample_rate: int, language: str | None = None) -> Transcription:
        """Words with times in at most about 30 s of audio.

        Parameters
        ----------
        samples : np.ndarray, shape (N,), float32
            Mono audio in [-1, 1].
        sample_rate : int
            Samples per second.
        language : str or None
            ISO 639-1 hint; None detects the language.

        Returns
        -------
        Transcription
            Words in time order (empty when no speech is heard) and the language.
        """

    def language_of(self, samples: np.ndarray, sample_rate: int) -> tuple[str, float] | None:
        """The language the audio sounds like (ISO 639-1) and how sure that is (0..1), or None when the
        recogniser cannot tell (then a language given is taken on trust)."""
        return None


def _load_named(registry: dict[str, str], name: str, kind: str):
    """``load()`` of the module registered as ``name``; a SpeakerError naming the known ones otherwise."""
    module_name = registry.get(name)
    if module_name is None:
        known = ", ".join(sorted(registry))
        raise SpeakerError(f"Unknown {kind} '{name}'; known: {known}.")
    return importlib.import_module(module_name).load()


def load_recognizer(name: str) -> Recognizer:
    """The speech recogniser called ``name`` (loaded once per process by its module).

    Raises
    ------
    SpeakerError
        No recogniser of that name.
    """
    return _load_named(RECOGNIZERS, name, "speech recogniser")


def load_backend(name: str) -> TimingBackend:
    """The timing backend called ``name``.

    Raises
    ------
    SpeakerError
        No backend of that name.
    """
    return _load_named(BACKENDS, name, "timing backend")


def to_phone_symbol(symbol: str) -> str:
    """A backend's phone name as one of :data:`PHONES` (fillers and unknowns -> ``SIL``)."""
    base = symbol.strip().upper().rstrip("012")
    return base if base in _PHONE_SET else "SIL"


def cover_timeline(phones: list[Phone], duration: float) -> list[Phone]:
    """Make a phone list cover ``[0, duration]`` contiguously.

    Phones are sorted by start and clipped to the audio; gaps longer than
    :data:`MIN_SILENCE` become ``SIL`` phones, shorter ones and overlaps
    move the boundary to the middle; consecutive ``SIL`` phones are merged.

    Parameters
    ----------
    phones : list of Phone
        Times in seconds, possibly with gaps or overlaps.
    duration : float
        Seconds of audio.

    Returns
    -------
    list of Phone
        First starts at 0.0, last ends at ``duration``, each ends where the
        next starts.
    """
    kept = sorted(
        (phone for phone in phones if phone.end > phone.start and phone.start < duration),
        key=lambda phone: phone.start,
    )
    result: list[Phone] = []
    cursor = 0.0
    for phone in kept:
        start, end = max(0.0, phone.start), min(duration, phone.end)
        if start - cursor > MIN_SILENCE:
            result.append(Phone("SIL", cursor, start))
        elif result and start != cursor:
            middle = (cursor + start) / 2.0
            previous = result[-1]
            if middle <= previous.start:
                middle = cursor  # the overlap would swallow the previous phone
            result[-1] = Phone(previous.symbol, previous.start, middle, previous.stress)
            start = middle
        else:
            start = cursor if not result else start
        if end <= start:
            continue
        result.append(Phone(phone.symbol, start, end, phone.stress))
        cursor = end
    if duration - cursor > 0:
        if result and duration - cursor <= MIN_SILENCE:
            last = result[-1]
            result[-1] = Phone(last.symbol, last.start, duration, last.stress)
        else:
            result.append(Phone("SIL", cursor, duration))
    merged: list[Phone] = []
    for phone in result:
        if merged and phone.symbol == "SIL" and merged[-1].symbol == "SIL":
            merged[-1] = Phone("SIL", merged[-1].start, phone.end)
        else:
            merged.append(phone)
    if not merged:
        merged = [Phone("SIL", 0.0, duration)]
    return merged
