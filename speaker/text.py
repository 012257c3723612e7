"""Text checks shared by the stages (speech, timing, subtitles, scripts)."""

from __future__ import annotations

import re

#: A letter or digit in any script (a word character that is not "_").
_SPEAKABLE = re.compile(r"[^\W_]")


def has_words(text: str | None) -> bool:
    """True when ``text`` holds at least one letter or digit."""
    return bool(_SPEAKABLE.search(text or ""))
