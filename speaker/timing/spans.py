"""Recognised word spans trimmed to the voice in them, before phones are spread inside them.

Whisper's word times come from its cross-attention (dynamic time warping over
20 ms tokens): a word usually starts where the previous one ended, so a word
after a pause holds the pause too (in a Mandarin clip of the shared set, "我"
was given 1.94-3.02 s, and the voice starts at 2.90 s). Phones spread evenly
over such a span open the mouth in the silence, up to a second early. The
voice-activity model (Silero, as the word-less stretches use it) says where
the voice is; each word keeps only its own voice (see :func:`trim_to_voice`). The English path aligns its stretches with
pocketsphinx, which finds the silences itself; this is for the spread phones
(other languages, and English stretches the aligner could not align).
"""

from __future__ import annotations

from ..types import Word

#: Voice-activity spans are widened by this much (s) on each side before a
#: word is trimmed to them: Silero decides per 32 ms window and starts a little
#: late on soft onsets (a fricative or a plosive's burst before the vowel).
VOICE_MARGIN = 0.06
#: A word is trimmed only where this much (s) or more of silence would go:
#: shorter differences are within the recogniser's own precision.
MIN_TRIM_SECONDS = 0.08
#: Voice shorter than this (s) inside a word's span is not where the word is
#: (a click, or the voice activity's flicker at an edge).
MIN_WORD_SECONDS = 0.08


def trim_to_voice(words: list[Word], activity: list[tuple[float, float]]) -> list[Word]:
    """Each word's span cut to its own voice: the silence at its edges and its neighbours' voice taken out.

    Whisper's word starts are early (at the previous word's end, across a
    pause) more often than late, and a word holds no pause of its own: where
    a word's span holds voice, a silence, and voice again, the voice that runs
    on from before the span is the previous word's (the recogniser ends words
    early, and the voice activity ends a little late), and voice that runs on
    past the span's end is the next word's.

    Parameters
    ----------
    words : list of Word
        Recognised words in time order, seconds.
    activity : list of (float, float)
        Voice-activity spans in seconds on the same clock, in time order
        (see :func:`speaker.timing.wordless.voice_activity`).

    Returns
    -------
    list of Word
        The same words. Of the stretches of voice inside a word's span (at
        least :data:`MIN_WORD_SECONDS` long, onsets :data:`VOICE_MARGIN`
        earlier), the first is dropped when it began before the word and the
        last when it runs on after it, as long as another remains; the word
        then spans the rest, where that takes at least
        :data:`MIN_TRIM_SECONDS` off either edge. A word that meets no voice
        is left as the recogniser timed it.
    """
    trimmed: list[Word] = []
    for word in words:
        parts = [(max(word.start, start - VOICE_MARGIN), min(word.end, end), start < word.start, end > word.end)
                 for start, end in activity if end > word.start and start - VOICE_MARGIN < word.end]
        parts = [part for part in parts if part[1] - part[0] >= MIN_WORD_SECONDS]
        if len(parts) > 1 and parts[0][2]:
            parts = parts[1:]  # the previous word's voice running on into this span
        if len(parts) > 1 and parts[-1][3]:
            parts = parts[:-1]  # the next word's voice, begun inside this span
        if not parts:
            trimmed.append(word)
            continue
        start, end = parts[0][0], parts[-1][1]
        if start - word.start < MIN_TRIM_SECONDS:
            start = word.start
        if word.end - end < MIN_TRIM_SECONDS:
            end = word.end
        trimmed.append(Word(word.text, start, end))
    return trimmed
