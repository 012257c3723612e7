"""Speech in which the recogniser heard no words: the audio model moves the mouth there.

Whisper drops what it cannot make into words (mumbling, a word in another
language, laughter while talking, a passage it judged a hallucination), and
the word-timed phone timeline is then silent although someone is audibly
speaking. A voice-activity detector (Silero, as shipped with faster-whisper)
finds such stretches; the audio-to-articulation model times the mouth inside
them, and the phones keep timing it everywhere else.
"""

from __future__ import annotations

import numpy as np

from ..errors import warn
from ..types import ARTICULATION_NAMES, ArticulationCurve, Speech, Word
from .audio import resample

#: Silero's rate.
VAD_RATE = 16000
#: Voice activity at least this long (s), after the word spans are taken
#: out, is a stretch of word-less speech (shorter ones are word edges the
#: recogniser timed a little short, which the phones' co-articulation covers).
MIN_WORDLESS_SECONDS = 0.4
#: Word spans are widened by this much (s) on each side before they are taken
#: out of the voice activity (the recogniser's word times are good to tens of ms).
WORD_MARGIN = 0.15
#: Pauses shorter than this (ms) do not split Silero's speech spans.
VAD_MIN_SILENCE_MS = 200
#: The audio model's curve fades in and out over this much (s) at a stretch's edges.
FADE_SECONDS = 0.08
#: Audio on each side of a stretch (s) given to the model as context.
CONTEXT_SECONDS = 0.5


def voice_activity(samples: np.ndarray, sample_rate: int) -> list[tuple[float, float]]:
    """``(start, end)`` seconds of speech found by the Silero voice-activity model.

    Parameters
    ----------
    samples : np.ndarray, shape (N,), float32
        Mono audio in [-1, 1].
    sample_rate : int
        Samples per second.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    audio = resample(np.asarray(samples, np.float32).reshape(-1), int(sample_rate), VAD_RATE)
    if audio.size < VAD_RATE // 10:
        return []
    spans = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=VAD_MIN_SILENCE_MS, speech_pad_ms=0))
    return [(span["start"] / VAD_RATE, span["end"] / VAD_RATE) for span in spans]


def wordless_stretches(activity: list[tuple[float, float]], words: list[Word]) -> list[tuple[float, float]]:
    """The parts of ``activity`` at least :data:`MIN_WORDLESS_SECONDS` long that no word (widened by :data:`WORD_MARGIN`) covers.

    Parameters
    ----------
    activity : list of (float, float)
        Speech spans in seconds, in time order.
    words : list of Word
        Recognised words, seconds on the same clock.

    Returns
    -------
    list of (float, float)
        Seconds, in time order.
    """
    covered = sorted((w.start - WORD_MARGIN, w.end + WORD_MARGIN) for w in words)
    stretches: list[tuple[float, float]] = []
    for start, end in activity:
        cursor = start
        for first, last in covered:
            if last <= cursor or first >= end:
                continue
            if first - cursor >= MIN_WORDLESS_SECONDS:
                stretches.append((cursor, first))
            cursor = max(cursor, last)
        if end - cursor >= MIN_WORDLESS_SECONDS:
            stretches.append((cursor, end))
    return stretches


def with_audio_model_where_wordless(speech: Speech, offset: float = 0.0,
                                    activity: list[tuple[float, float]] | None = None) -> Speech:
    """``speech`` with an audio-model curve inside its word-less stretches of speech (zero elsewhere).

    Parameters
    ----------
    speech : Speech
        A timeline from recognised words (its ``words`` are the recogniser's).
    offset : float
        Seconds from the start of the whole recording to ``speech`` (for the
        times quoted in the warning only).
    activity : list of (float, float), optional
        The voice activity of ``speech.samples`` (seconds), if already
        found (:func:`voice_activity`); found here otherwise.

    Returns
    -------
    Speech
        The same timeline; where speech had no recognised word, ``articulation``
        holds the audio model's curve (faded in and out over
        :data:`FADE_SECONDS`, zero outside the stretches) and ``source`` says
        how many stretches it times. Unchanged when there are none, or, with a
        warning, when the audio model is not installed.
    """
    from . import audio_model_available

    if activity is None:
        activity = voice_activity(speech.samples, speech.sample_rate)
    stretches = wordless_stretches(activity, speech.words)
    if not stretches:
        return speech
    where = ", ".join(f"{a + offset:.1f}-{b + offset:.1f} s" for a, b in stretches[:3]) + (
        " ..." if len(stretches) > 3 else "")
    if not audio_model_available():
        warn(f"No words were recognised in {_stretches(stretches)} of speech ({where}) and the audio model is "
             "not installed; the mouth stays still there.")
        return speech
    from .audio_model import predict_articulation

    rate = speech.sample_rate
    curve: np.ndarray | None = None
    curve_rate = 100.0
    for start, end in stretches:
        first = max(0, int((start - CONTEXT_SECONDS) * rate))
        stop = min(len(speech.samples), int((end + CONTEXT_SECONDS) * rate))
        predicted = predict_articulation(speech.samples[first:stop], rate)
        curve_rate = predicted.rate
        if curve is None:
            curve = np.zeros((int(speech.duration * curve_rate) + 1, len(ARTICULATION_NAMES)), np.float32)
        times = first / rate + np.arange(len(predicted.values)) / curve_rate
        rows = np.clip(np.round(times * curve_rate).astype(int), 0, len(curve) - 1)
        fade = np.clip(np.minimum(times - start, end - times) / FADE_SECONDS + 1.0, 0.0, 1.0)
        curve[rows] = np.maximum(curve[rows], predicted.values * fade[:, None].astype(np.float32))
    warn(f"No words were recognised in {_stretches(stretches)} of speech ({where}); the audio model moves "
         "the mouth there.")
    return speech.with_timings(articulation=ArticulationCurve(curve, curve_rate),
                               source=f"{speech.source}, audio model in {len(stretches)} word-less stretches")


def _stretches(stretches: list) -> str:
    """"1 stretch", "3 stretches"."""
    return f"{len(stretches)} stretch{'' if len(stretches) == 1 else 'es'}"
