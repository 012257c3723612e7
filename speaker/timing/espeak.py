"""Phones of recognised words from espeak-ng (the phonemizer piper ships), spread in each word's span.

For languages pocketsphinx cannot align (anything but English), the
recogniser's word times are the best timing there is: each word's espeak-ng
phonemes are laid evenly inside its span and turned into phone units by
:func:`speaker.phonetics.alignments_to_units` (one IPA table for the project).
"""

from __future__ import annotations

import threading
import unicodedata

from ..errors import SpeakerError
from ..phonetics import PRIMARY_STRESS, SECONDARY_STRESS, alignments_to_units
from ..types import Phone, Word

#: Recogniser language codes whose espeak-ng voice has another name.
ESPEAK_VOICES: dict[str, str] = {"en": "en-us", "zh": "cmn", "yue": "yue", "jw": "jv", "haw": "haw"}
#: Weight of a length mark (ː) against a phone letter's 1: a long vowel is longer.
LENGTH_WEIGHT = 0.6

_lock = threading.Lock()
_phonemizer = None


def espeak_voice(language: str) -> str:
    """The espeak-ng voice for an ISO 639-1 code (``"zh"`` -> ``"cmn"``)."""
    code = language.lower().replace("_", "-")
    return ESPEAK_VOICES.get(code, ESPEAK_VOICES.get(code.split("-")[0], code.split("-")[0]))


def _phonemes(voice: str, text: str) -> list[str]:
    global _phonemizer
    with _lock:  # espeak-ng keeps one global voice
        if _phonemizer is None:
            from piper.phonemize_espeak import EspeakPhonemizer

            _phonemizer = EspeakPhonemizer()
        try:
            sentences = _phonemizer.phonemize(voice, text)
        except RuntimeError:
            raise SpeakerError(f"espeak-ng has no voice for the language '{voice}'.") from None
    return [symbol for sentence in sentences for symbol in sentence]


def has_voice(language: str) -> bool:
    """True when espeak-ng can phonemize ``language``."""
    try:
        _phonemes(espeak_voice(language), "a")
    except SpeakerError:
        return False
    return True


def _weight(symbol: str) -> float:
    if symbol in (PRIMARY_STRESS, SECONDARY_STRESS) or not symbol.strip():
        return 0.0
    if symbol == "ː":
        return LENGTH_WEIGHT
    category = unicodedata.category(symbol)
    if category[0] in "PSNZ" or unicodedata.combining(symbol):
        return 0.0  # punctuation, tone digits, diacritics: no time of their own
    return 1.0


def word_phones(words: list[Word], language: str, sample_rate: int = 16000) -> list[Phone]:
    """Phones of each word, laid evenly (by phoneme) inside the word's span.

    Parameters
    ----------
    words : list of Word
        Recognised words, seconds.
    language : str
        ISO 639-1 code of the speech.
    sample_rate : int
        Resolution of the spreading (samples per second).

    Returns
    -------
    list of Phone
        Phones of :data:`speaker.types.PHONES` inside the words' spans (gaps
        between words are left to the caller, e.g. ``cover_timeline``).

    Raises
    ------
    SpeakerError
        espeak-ng has no voice for ``language``.
    """
    voice = espeak_voice(language)
    phones: list[Phone] = []
    for word in words:
        span = int(round((word.end - word.start) * sample_rate))
        symbols = [s for s in _phonemes(voice, word.text) if s.strip()]
        weights = [_weight(s) for s in symbols]
        if span <= 0 or sum(weights) <= 0:
            continue
        # Cumulative rounding keeps the samples adding up to the word's span exactly.
        total, cumulative, given, alignments = sum(weights), 0.0, 0, []
        for symbol, weight in zip(symbols, weights):
            cumulative += weight
            samples = int(round(span * cumulative / total)) - given
            given += samples
            alignments.append((symbol, samples))
        units, _ = alignments_to_units(alignments)
        cursor = word.start
        for unit in units:
            end = cursor + unit.samples / sample_rate
            if unit.samples > 0 and unit.symbol != "SIL":
                phones.append(Phone(unit.symbol, cursor, end, unit.stress))
            cursor = end
    return phones
