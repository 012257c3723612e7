"""Phone timelines from recognised words: aligned stretch by stretch (English) or spread (other languages).

The recogniser's word times are good to a few tens of milliseconds but say
nothing of the phones inside a word. For English, pocketsphinx aligns the
recognised words to the audio, one stretch (words between pauses) at a time,
so a stretch it cannot align costs that stretch only: its phones are then
spread inside the recogniser's word spans, with a warning. For other
languages the phones are always spread (espeak-ng phonemes).
"""

from __future__ import annotations

import numpy as np

from ..errors import SpeakerError, warn
from ..text import is_english
from ..types import Phone, Speech, Word
from .core import AlignmentError, cover_timeline, load_backend
from .espeak import has_voice, word_phones
from .spans import trim_to_voice

#: A pause between recognised words at least this long (s) ends a stretch.
STRETCH_PAUSE = 0.3
#: Stretches are cut at their largest pause once longer than this (s): a
#: failed alignment then costs little and pocketsphinx stays fast.
STRETCH_MAX_SECONDS = 10.0
#: Audio given to the aligner around a stretch's words (s), within the pauses.
STRETCH_PAD = 0.5
#: The aligner used for English stretches.
ALIGNER = "pocketsphinx"


def stretches(words: list[Word]) -> list[list[Word]]:
    """Runs of words between pauses of at least :data:`STRETCH_PAUSE`, at most about :data:`STRETCH_MAX_SECONDS` long."""
    runs: list[list[Word]] = []
    for word in words:
        if runs and word.start - runs[-1][-1].end < STRETCH_PAUSE:
            runs[-1].append(word)
        else:
            runs.append([word])
    result: list[list[Word]] = []
    pending = list(runs)
    while pending:
        run = pending.pop(0)
        if run[-1].end - run[0].start <= STRETCH_MAX_SECONDS or len(run) < 2:
            result.append(run)
            continue
        gaps = [run[i + 1].start - run[i].end for i in range(len(run) - 1)]
        # Prefer the largest pause in the middle half, so the pieces are of similar size.
        middle = range(len(gaps) // 4, max(len(gaps) // 4 + 1, 3 * len(gaps) // 4))
        cut = max(middle, key=lambda i: gaps[i]) + 1
        pending[:0] = [run[:cut], run[cut:]]
    return result


def timeline_from_words(
    samples: np.ndarray, sample_rate: int, words: list[Word], language: str, recognizer: str = "whisper",
    offset: float = 0.0, activity: list[tuple[float, float]] | None = None,
) -> Speech:
    """A phone timeline for audio whose words the recogniser heard.

    Parameters
    ----------
    samples : np.ndarray, shape (N,), float32
        Mono audio in [-1, 1].
    sample_rate : int
        Samples per second.
    words : list of Word
        Recognised words in time order, seconds from the start of ``samples``.
    language : str
        ISO 639-1 code of the speech.
    recognizer : str
        Name of the recogniser, for ``source``.
    offset : float
        Seconds from the start of the whole recording to ``samples`` (for
        the times quoted in warnings only).
    activity : list of (float, float), optional
        Voice-activity spans of ``samples`` (seconds), if already found; the
        spans of words whose phones are spread are trimmed to them (see
        :func:`speaker.timing.spans.trim_to_voice`). Found when needed.

    Returns
    -------
    Speech
        Words (aligned times where alignment worked) and phones covering the
        audio. ``source`` is ``"<recognizer>+pocketsphinx-align"`` (English),
        with ``", N of M stretches spread"`` when some stretches fell back, or
        ``"<recognizer>+espeak-spread"``.

    Raises
    ------
    SpeakerError
        espeak-ng knows neither the language nor English.
    """
    duration = len(samples) / float(sample_rate)
    if not words:
        return Speech(samples=samples, sample_rate=sample_rate, phones=cover_timeline([], duration),
                      source=f"{recognizer} (no words)")
    if not is_english(language):
        spread_language = language
        if not has_voice(language):
            warn(f"espeak-ng has no voice for the language '{language}'; the recognised words are "
                 "phonemized as English.")
            spread_language = "en"
        words = trim_to_voice(words, _activity(samples, sample_rate, activity))
        phones = word_phones(words, spread_language)
        return Speech(samples=samples, sample_rate=sample_rate, words=list(words),
                      phones=cover_timeline(phones, duration), source=f"{recognizer}+espeak-spread")

    aligner = load_backend(ALIGNER)
    runs = stretches(words)
    timed_words: list[Word] = []
    phones: list[Phone] = []
    failed: list[tuple[float, float, str]] = []
    for index, run in enumerate(runs):
        # Up to the middle of the pause on either side: the recogniser often ends a word
        # early, and the aligner needs the word's end and a little silence after it.
        before = 0.5 * (runs[index - 1][-1].end + run[0].start) if index else 0.0
        after = 0.5 * (run[-1].end + runs[index + 1][0].start) if index + 1 < len(runs) else duration
        start = max(before, run[0].start - STRETCH_PAD, 0.0)
        end = min(after, run[-1].end + STRETCH_PAD, duration)
        first, last = int(round(start * sample_rate)), int(round(end * sample_rate))
        try:
            if last - first < int(0.05 * sample_rate):
                raise AlignmentError("the stretch is too short")
            aligned = aligner.align_strict(samples[first:last], sample_rate, " ".join(w.text for w in run))
            if len(aligned.words) != len(run):
                raise AlignmentError("some recognised words could not be aligned")
        except (AlignmentError, RuntimeError) as error:
            failed.append((run[0].start, run[-1].end, str(error)))
            activity = _activity(samples, sample_rate, activity)
            run = trim_to_voice(run, activity)
            timed_words += run
            phones += word_phones(run, "en")
            continue
        stretch_start = first / float(sample_rate)
        timed_words += [Word(w.text, w.start + stretch_start, w.end + stretch_start) for w in aligned.words]
        phones += [Phone(p.symbol, p.start + stretch_start, p.end + stretch_start, p.stress)
                   for p in aligned.phones if p.symbol != "SIL"]
    source = f"{recognizer}+pocketsphinx-align"
    if failed:
        where = ", ".join(f"{a + offset:.1f}-{b + offset:.1f} s" for a, b, _ in failed[:3]) + (" ..." if len(failed) > 3 else "")
        warn(f"Alignment failed on {len(failed)} of {len(runs)} stretches of recognised words ({where}: "
             f"{failed[0][2]}); their phones are spread inside the recognised word times.")
        source += f", {len(failed)} of {len(runs)} stretches spread"
    return Speech(samples=samples, sample_rate=sample_rate, words=timed_words,
                  phones=cover_timeline(phones, duration), source=source)


def _activity(samples: np.ndarray, sample_rate: int,
              activity: list[tuple[float, float]] | None) -> list[tuple[float, float]]:
    """``activity`` if given, else the voice activity of ``samples`` (Silero)."""
    if activity is not None:
        return activity
    from .wordless import voice_activity

    return voice_activity(samples, sample_rate)


def no_speech_error(where: str) -> SpeakerError:
    """The one sentence for audio in which the recogniser heard no words."""
    where = f" {where}" if where else ""
    return SpeakerError(
        f"No speech was found in the audio{where} (music, tones or noise?); give a recording of someone speaking."
    )
