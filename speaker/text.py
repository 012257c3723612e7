"""Text checks shared by the stages (speech, timing, subtitles, scripts)."""

from __future__ import annotations

import re

#: A letter or digit in any script (a word character that is not "_").
_SPEAKABLE = re.compile(r"[^\W_]")


def has_words(text: str | None) -> bool:
    """True when ``text`` holds at least one letter or digit."""
    return bool(_SPEAKABLE.search(text or ""))


#: Writing systems that tell a text's language on their own, as (language, name, pattern).
#: Kana before Han: Japanese mixes Han characters with kana.
_SCRIPTS = (
    ("ja", "Japanese", re.compile(r"[\u3040-\u30ff]")),
    ("ko", "Korean", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("zh", "Chinese", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")),
)
#: The share of a text's letters a writing system must have to name its language.
SCRIPT_SHARE = 0.5
LANGUAGE_NAMES = {language: name for language, name, _ in _SCRIPTS}


def written_language(text: str | None) -> str | None:
    """The language that ``text``'s writing system tells (``"zh"``, ``"ja"``, ``"ko"``), or None.

    A writing system counts when at least :data:`SCRIPT_SHARE` of the text's
    letters are its own; Latin, Cyrillic and the other alphabets are shared by
    many languages and tell none.
    """
    letters = _SPEAKABLE.findall(text or "")
    if not letters:
        return None
    for language, _, pattern in _SCRIPTS:
        own = sum(1 for letter in letters if pattern.match(letter))
        if language == "ja":
            # Japanese: any kana among Han characters.
            han = sum(1 for letter in letters if _SCRIPTS[2][2].match(letter))
            if own and own + han >= SCRIPT_SHARE * len(letters):
                return language
        elif own >= SCRIPT_SHARE * len(letters):
            return language
    return None
