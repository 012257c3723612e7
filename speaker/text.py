"""Text checks shared by the stages (speech, timing, subtitles, scripts)."""

from __future__ import annotations

import re

#: A letter or digit in any script (a word character that is not "_").
_SPEAKABLE = re.compile(r"[^\W_]")


def has_words(text: str | None) -> bool:
    """True when ``text`` holds at least one letter or digit."""
    return bool(_SPEAKABLE.search(text or ""))


#: Writing systems that tell a text's language on their own: kana (Japanese),
#: Hangul (Korean) and Han characters (Chinese, when no kana is among them).
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
#: The share of a text's letters a writing system must have to name its language.
SCRIPT_SHARE = 0.5
LANGUAGE_NAMES = {"zh": "Chinese", "ja": "Japanese", "ko": "Korean"}


def written_language(text: str | None) -> str | None:
    """The language that ``text``'s writing system tells (``"zh"``, ``"ja"``, ``"ko"``), or None.

    A writing system counts when at least :data:`SCRIPT_SHARE` of the text's
    letters are its own; Latin, Cyrillic and the other alphabets are shared by
    many languages and tell none.
    """
    letters = _SPEAKABLE.findall(text or "")
    share = SCRIPT_SHARE * len(letters)

    def count(pattern: re.Pattern) -> int:
        return sum(1 for letter in letters if pattern.match(letter))

    kana, hangul, han = count(_KANA), count(_HANGUL), count(_HAN)
    if kana and kana + han >= share:
        return "ja"  # Japanese writes Han characters among its kana
    if letters and hangul >= share:
        return "ko"
    if letters and han >= share:
        return "zh"
    return None
