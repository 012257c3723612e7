"""Text to Kokoro's phonemes: espeak-ng (through piper) for en/fr/es/it, misaki for Mandarin.

Kokoro was trained on misaki's phoneme set: IPA, with single letters for the
English diphthongs and affricates (``A`` = eɪ, ``I`` = aɪ, ``O`` = oʊ,
``ʧ`` = tʃ ...) and, for Mandarin, tone arrows after the vowel (``↗`` rising,
``↓`` low, ``↘`` falling, ``→`` level). Espeak's IPA is rewritten into that
set as misaki's own espeak fallback does.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Callable

from ...errors import SpeakerError

#: Primary language subtag -> espeak-ng voice (American English for plain "en").
ESPEAK_VOICES: dict[str, str] = {"en-us": "en-us", "en-gb": "en", "en": "en-us", "fr": "fr", "es": "es", "it": "it"}
#: Languages Kokoro speaks here, as preset language codes.
LANGUAGES = ("en-US", "en-GB", "zh", "fr", "es", "it")

#: espeak IPA -> misaki/Kokoro, every language (no pair overlaps another, so order is free).
_COMMON = (
    ("aɪ", "I"), ("aʊ", "W"), ("eɪ", "A"), ("oʊ", "O"), ("əʊ", "Q"), ("ɔɪ", "Y"),
    ("dʒ", "ʤ"), ("tʃ", "ʧ"), ("-", ""),
)
#: Affricates written as one letter outside English (Italian "zz", Spanish "tz").
_OTHER = (("dz", "ʣ"), ("ts", "ʦ"))
#: Further rewrites for English (misaki's espeak fallback), then per accent.
_ENGLISH = (
    ("ɚ", "əɹ"), ("r", "ɹ"), ("x", "k"), ("ç", "k"), ("ɐ", "ə"), ("ɬ", "l"), ("ʲ", ""), ("\u0303", ""),
)
_AMERICAN = (("ɜːɹ", "ɜɹ"), ("ɜː", "ɜɹ"), ("ɪə", "iə"), ("ː", ""), ("ɾ", "T"), ("ʔ", "t"))
_BRITISH = (("eə", "ɛː"), ("iə", "ɪə"), ("ɾ", "T"), ("ʔ", "t"))

#: espeak is one global engine in the process: one caller at a time.
_ESPEAK_LOCK = threading.Lock()


def language_key(language: str) -> str:
    """``"en-US"`` -> ``"en-us"``, ``"zh-CN"`` -> ``"zh"``, ``"fr-FR"`` -> ``"fr"``."""
    code = language.strip().lower().replace("_", "-")
    primary = code.split("-")[0]
    return code if primary == "en" and code in ESPEAK_VOICES else primary


def phonemizer(language: str) -> Callable[[str], str]:
    """A function giving Kokoro phonemes of one sentence in ``language``.

    Raises
    ------
    SpeakerError
        Kokoro does not speak the language here.
    """
    key = language_key(language)
    if key == "zh":
        return _mandarin
    if key not in ESPEAK_VOICES:
        raise SpeakerError(
            f"Kokoro voices here speak {', '.join(LANGUAGES)}, not '{language}'."
        )
    return functools.partial(_espeak, key)


@functools.lru_cache(maxsize=1)
def _espeak_engine():
    from piper.phonemize_espeak import EspeakPhonemizer

    return EspeakPhonemizer()


def _espeak(key: str, sentence: str) -> str:
    with _ESPEAK_LOCK:
        clauses = _espeak_engine().phonemize(ESPEAK_VOICES[key], sentence)
    phonemes = unicodedata.normalize("NFC", "".join("".join(clause) for clause in clauses))
    rewrites = _COMMON
    if key.startswith("en"):
        rewrites += _ENGLISH + (_BRITISH if key == "en-gb" else _AMERICAN)
    else:
        rewrites += _OTHER
    for old, new in rewrites:
        phonemes = phonemes.replace(old, new)
    return re.sub(r"\s+", " ", phonemes).strip()


@functools.lru_cache(maxsize=1)
def _mandarin_g2p():
    import logging

    try:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        from misaki import zh
    except ImportError:
        raise SpeakerError("Mandarin needs misaki's Chinese support: pip install 'misaki[zh]==0.9.4'.") from None
    return zh.ZHG2P()


def _mandarin(sentence: str) -> str:
    phonemes, _ = _mandarin_g2p()(sentence)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", phonemes or "")).strip()
