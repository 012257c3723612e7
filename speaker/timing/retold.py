"""A transcript's words timed by the words a recogniser heard.

Forced alignment (pocketsphinx) knows English only, and gives up on a
recording it cannot follow. The transcript still says what was said, better
than the recogniser heard it: names, accents, punctuation, the words Whisper
missed. So its words are matched to the recognised ones in order
(:func:`speaker.timing.transcribed.anchors`, as a long transcript is cut)
and take their times: a matched word its counterpart's, a run of words
between two matches the time of the words heard between them (or, where none
was, the time between them), in proportion to their letters.
"""

from __future__ import annotations

from ..errors import warn
from ..text import has_words
from ..types import Word
from .transcribed import anchors, comparable_word, transcript_tokens

#: Below this share of the transcript's words matched one for one, the transcript is
#: taken not to be what the recording says.
LEAST_MATCHED_SHARE = 0.3
#: Transcript words between two matched ones get the time between those, or, where that
#: is shorter than this per word, share the time of the word before.
MIN_WORD_SECONDS = 0.08


def words_to_time(transcript: str | None, heard: list[Word]) -> list[Word]:
    """The words that time the mouth and make the subtitles when a transcript could not be aligned:
    its own on the times of the words recognised (:func:`transcript_on_heard`), or, without a
    transcript or when it is not what the recording says (told), the recognised words."""
    if not has_words(transcript):
        return heard
    words, matched = transcript_on_heard(transcript, heard)
    if matched < LEAST_MATCHED_SHARE:
        warn(f"Only {matched:.0%} of the transcript's words were heard in the recording: it does not seem to be "
             "what the recording says, so the subtitles give the words recognised.")
        return heard
    return words


def transcript_on_heard(transcript: str, heard: list[Word]) -> tuple[list[Word], float]:
    """The transcript's words with the times of the recognised words they match.

    Parameters
    ----------
    transcript : str
        What the recording says; its words are its whitespace-separated tokens
        holding a letter or digit (punctuation kept, for the subtitles).
    heard : list of Word
        The recogniser's words, in order, seconds.

    Returns
    -------
    words : list of Word
        One per transcript word, in order, each with a time of its own, within
        the span of ``heard``; empty when either has no words.
    matched : float
        Share of the transcript's words matched one for one (0..1): how well
        the transcript and the recording agree.
    """
    tokens = transcript_tokens(transcript)
    if not tokens or not heard:
        return [], 0.0
    matches = anchors(tokens, heard)
    heard_at = {id(word): position for position, word in enumerate(heard)}
    timed: list[Word] = []
    index, last_heard = 0, -1  # the heard word matched last
    while index < len(tokens):
        if index in matches:
            timed.append(Word(tokens[index], matches[index].start, matches[index].end))
            last_heard = heard_at[id(matches[index])]
            index += 1
            continue
        after = next((later for later in range(index, len(tokens)) if later in matches), len(tokens))
        next_heard = heard_at[id(matches[after])] if after < len(tokens) else len(heard)
        run = tokens[index:after]
        if next_heard - last_heard > 1:  # heard otherwise ("Monalisa" for "Mona Lisa"): when that was said
            start, end = heard[last_heard + 1].start, heard[next_heard - 1].end
        else:  # not heard at all: the time between the words around
            start = timed[-1].end if timed else heard[0].start
            end = heard[next_heard].start if next_heard < len(heard) else heard[-1].end
        if end - start < MIN_WORD_SECONDS * len(run) and timed:
            previous = timed.pop()
            run, start = [previous.text, *run], previous.start
        timed += spread_words(run, start, max(start, end))
        index = after
    return _without_empty_words(timed), len(matches) / len(tokens)


def spread_words(words: list[str], start: float, end: float) -> list[Word]:
    """``words`` one after another over ``[start, end]``, each in proportion to its letters."""
    letters = [max(1, len(comparable_word(word))) for word in words]
    total, at, spread = float(sum(letters)), start, []
    for word, count in zip(words, letters):
        step = (end - start) * count / total
        spread.append(Word(word, at, at + step))
        at += step
    return spread


def _without_empty_words(words: list[Word]) -> list[Word]:
    """Words given no time (before the first word heard) share the next timed word's."""
    kept: list[Word] = []
    waiting: list[str] = []
    for word in words:
        if word.end - word.start <= 0.0:
            waiting.append(word.text)
        elif waiting:
            kept += spread_words([*waiting, word.text], word.start, word.end)
            waiting = []
        else:
            kept.append(word)
    if waiting and kept:  # nothing timed after them: they share the last word's time
        last = kept.pop()
        kept += spread_words([last.text, *waiting], last.start, last.end)
    return kept
