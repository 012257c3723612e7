"""Long recordings with a transcript, in pieces: the recogniser anchors the transcript, each piece is aligned alone.

Forced alignment of a whole long recording holds all of it (and
pocketsphinx's search over it) in memory: 10 minutes peak at about 1.3 GB
against 0.3 GB for one. Here Whisper first hears the recording window by
window (as without a transcript); the transcript's words are matched to the
heard words (longest common runs of the same spelling), and the recording
is cut, about every :data:`~speaker.timing.stream.SEGMENT_SECONDS`, in a
pause between two consecutive transcript words that both were heard in
order, and where the audio is quiet: the pause must hold no speech (a
voice-activity check), for a recogniser that misses a sentence makes its
neighbours look consecutive (GRID sentences all begin alike: "... soon. Lay"
matched the transcript's next "lay" across two sentences it never heard, and
the cut fell inside them), and its word times can run into a word. Each
piece's transcript words are then aligned to that piece's audio only; a piece
that still cannot be aligned keeps the transcript's words, timed by the words
recognised in it (:func:`~speaker.timing.retold.transcript_on_heard`), with a
warning saying how much of it was heard.

>>> with open_audio("talk.wav") as audio:
...     heard = recognize_audio(audio)
...     for offset, speech in transcript_segments(audio, transcript, heard.words):
...         ...
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator

from ..errors import warn
from ..types import Speech, Word
from .core import AlignmentError, load_backend
from . import stream
from .stream import AudioFile, LipsyncMethod, time_segment

#: Recordings longer than this (s) with a transcript are aligned piece by
#: piece; shorter ones in one pass (no recogniser needed, and one pass is
#: the most accurate).
WHOLE_ALIGNMENT_SECONDS = 120.0
#: Below this share of the transcript's words heard in order, the transcript
#: is taken not to be what the recording says.
MIN_ANCHORED_SHARE = 0.3
#: The aligner of transcript pieces.
ALIGNER = "pocketsphinx"
#: A cut needs at least this much (s) of silence (no voice activity) in the pause it is put in.
MIN_CUT_SILENCE = 0.1
#: Audio on each side of a pause (s) given to the voice-activity model with it, as context.
PAUSE_CONTEXT = 0.5


def comparable_word(text: str) -> str:
    """A word as compared between transcript and recogniser: case folded, accents dropped, letters
    and digits only ("Église," -> "eglise": a recogniser may hear the word and miss its accent)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[\W_]", "", "".join(character for character in decomposed if not unicodedata.combining(character)))


def transcript_tokens(transcript: str) -> list[str]:
    """The whitespace-separated tokens of a transcript that hold a letter or digit."""
    return [token for token in transcript.split() if comparable_word(token)]


def anchors(tokens: list[str], heard: list[Word]) -> dict[int, Word]:
    """Transcript token index -> the heard word it matches (same spelling, in order).

    Parameters
    ----------
    tokens : list of str
        The transcript's words.
    heard : list of Word
        The recogniser's words, seconds.

    Returns
    -------
    dict
        Matches from the longest common runs of equal words (difflib), so a
        word matches only where the order of both agrees.
    """
    matcher = difflib.SequenceMatcher(None, [comparable_word(t) for t in tokens],
                                      [comparable_word(w.text) for w in heard],
                                      autojunk=False)
    return {a + k: heard[b + k] for a, b, size in matcher.get_matching_blocks() for k in range(size)}


#: Seconds a piece may run past its length looking for a quiet pause before the
#: recogniser's pause is taken as it is: pieces stay bounded, so memory does too.
MAX_PIECE_OVERRUN = 30.0


def transcript_cuts(tokens: list[str], heard: list[Word], duration: float,
                    seconds: float | None = None, audio: AudioFile | None = None) -> list[tuple[float, int]]:
    """Where to cut a recording and its transcript: ``(seconds, first token after the cut)`` in order.

    Each cut is in the middle of the longest pause between two consecutive
    transcript tokens that are anchored to consecutive heard words, within
    :data:`~speaker.timing.stream.SEGMENT_SEARCH` s before ``seconds``
    (default :data:`~speaker.timing.stream.SEGMENT_SECONDS`) after the previous
    cut, else at the first such pause after it. No cut where none exists.

    With ``audio``, a pause is taken only where the recording is quiet
    (:func:`quiet_point`): none in which it holds speech no heard word covers
    (words the recogniser missed, so the two words around it need not be
    consecutive in the transcript at all), and the cut goes in the middle of
    the pause's silence rather than of the recogniser's word times. Where no
    quiet pause comes within :data:`MAX_PIECE_OVERRUN` s, the widest pause
    is taken as without the audio.
    """
    seconds = stream.SEGMENT_SECONDS if seconds is None else seconds
    search = min(stream.SEGMENT_SEARCH, seconds / 2)
    matched = anchors(tokens, heard)
    positions = {id(word): index for index, word in enumerate(heard)}
    # (cut time, pause length, first token after, words around) between tokens i, i+1 heard as consecutive words.
    candidates = []
    for index in range(len(tokens) - 1):
        before, after = matched.get(index), matched.get(index + 1)
        if before is None or after is None or positions[id(after)] != positions[id(before)] + 1:
            continue
        pause = after.start - before.end
        candidates.append((0.5 * (before.end + after.start), max(pause, 0.0), index + 1, before, after))
    checked: dict[int, float | None] = {}

    def cut_at(candidate) -> float | None:
        """Where the candidate's pause is cut, or None when the audio shows it is no pause."""
        if audio is None:
            return candidate[0]
        if candidate[2] not in checked:
            checked[candidate[2]] = quiet_point(audio, candidate[3], candidate[4])
        return checked[candidate[2]]

    cuts: list[tuple[float, int]] = []
    start = 0.0
    while duration - start > seconds:
        limit = start + seconds
        near = [c for c in candidates if limit - search <= c[0] <= limit and c[0] > start + 1.0]
        later = [c for c in candidates if limit < c[0] <= limit + MAX_PIECE_OVERRUN]
        chosen = next(((cut, c[2]) for c in [*sorted(near, key=lambda c: -c[1]), *later]
                       if (cut := cut_at(c)) is not None and cut > start + 1.0), None)
        if chosen is None:
            # No quiet pause for another piece's length (music under the voice, a noisy room): the
            # recogniser's pause as without the audio, so that no piece grows with the recording.
            fallback = near or [c for c in candidates if c[0] > limit][:1]
            if not fallback:
                break
            widest = max(fallback, key=lambda c: c[1])
            chosen = (widest[0], widest[2])
        cuts.append(chosen)
        start = chosen[0]
    return cuts


def quiet_point(audio: AudioFile, before: Word, after: Word) -> float | None:
    """The middle of the silence between two heard words, or None when the audio there is no pause.

    The voice-activity model (Silero, as for word-less speech) hears the
    pause with :data:`PAUSE_CONTEXT` s on each side. It is no pause when it
    holds a stretch of speech that neither word covers (see
    :func:`~speaker.timing.wordless.wordless_stretches`: words the recogniser
    did not hear), or less than :data:`MIN_CUT_SILENCE` s of silence within
    the words' times widened by :data:`~speaker.timing.wordless.WORD_MARGIN`
    (the recogniser timed a word into the pause).
    """
    from .wordless import WORD_MARGIN, voice_activity, wordless_stretches

    rate = audio.sample_rate
    first = max(0.0, before.end - PAUSE_CONTEXT)
    samples = audio.read(int(first * rate), int((after.start + PAUSE_CONTEXT) * rate))
    activity = [(first + a, first + b) for a, b in voice_activity(samples, rate)]
    if wordless_stretches([(max(a, before.end), min(b, after.start)) for a, b in activity
                           if b > before.end and a < after.start], [before, after]):
        return None
    # The silences between the stretches of speech, inside the pause (widened a little).
    low, high = before.end - WORD_MARGIN, after.start + WORD_MARGIN
    silences, cursor = [], low
    for a, b in activity:
        if b <= cursor:
            continue
        if a > cursor:
            silences.append((cursor, min(a, high)))
        cursor = max(cursor, b)
        if cursor >= high:
            break
    if cursor < high:
        silences.append((cursor, high))
    silences = [(a, b) for a, b in silences if b - a >= MIN_CUT_SILENCE]
    if not silences:
        return None
    a, b = max(silences, key=lambda span: span[1] - span[0])
    return 0.5 * (a + b)


def transcript_segments(audio: AudioFile, transcript: str, heard: list[Word], language: str = "en",
                        method: LipsyncMethod = "auto", seconds: float | None = None) -> Iterator[tuple[float, Speech]] | None:
    """The recording as segments timed from the transcript, piece by piece, or None when it does not match.

    Parameters
    ----------
    audio : AudioFile
    transcript : str
        What the whole recording says.
    heard : list of Word
        The recogniser's words of the whole recording (seconds from its start).
    language : str
        Language of the recogniser's words (for pieces timed from them).
    method : {"auto", "phones", "audio-model"}
        ``"audio-model"``: the audio model moves the mouth and the aligned
        transcript gives the words; otherwise the aligned phones.
    seconds : float, optional
        Target length of a segment (default :data:`~speaker.timing.stream.SEGMENT_SECONDS`).

    Returns
    -------
    iterator of (offset, Speech), or None
        As :func:`~speaker.timing.stream.timed_segments`: contiguous
        segments, times from each one's start. None (with a warning) when
        fewer than :data:`MIN_ANCHORED_SHARE` of the transcript's words were
        heard in order: the caller times the recording from the recognised
        words instead.
    """
    tokens = transcript_tokens(transcript)
    if len(anchors(tokens, heard)) < MIN_ANCHORED_SHARE * len(tokens):
        warn(f"Fewer than {MIN_ANCHORED_SHARE:.0%} of the transcript's words were heard in the recording; "
             "the mouth is timed from the recognised words instead.")
        return None
    cuts = transcript_cuts(tokens, heard, audio.duration, seconds, audio)
    return _aligned_pieces(audio, tokens, heard, cuts, language, method)


def _aligned_pieces(audio: AudioFile, tokens: list[str], heard: list[Word], cuts: list[tuple[float, int]],
                    language: str, method: LipsyncMethod) -> Iterator[tuple[float, Speech]]:
    rate = audio.sample_rate
    sample_cuts = [0] + [int(round(seconds * rate)) for seconds, _ in cuts] + [audio.n_samples]
    token_cuts = [0] + [token for _, token in cuts] + [len(tokens)]
    for piece in range(len(sample_cuts) - 1):
        start, stop = sample_cuts[piece], sample_cuts[piece + 1]
        begin, end = start / float(rate), stop / float(rate)
        samples = audio.read(start, stop)
        text = " ".join(tokens[token_cuts[piece]:token_cuts[piece + 1]])
        try:
            if not text:
                raise AlignmentError("no transcript words fall in it")
            timed = load_backend(ALIGNER).align_strict(samples, rate, text)
        except AlignmentError:
            inside = [Word(w.text, max(0.0, w.start - begin), min(end, w.end) - begin)
                      for w in heard if begin - 1e-6 <= w.start < end]
            words = _transcript_words_on_heard(text, inside, begin, end, len(samples) / float(rate))
            yield begin, time_segment(samples, rate, words, language, method, offset=begin)
            continue
        if method == "audio-model":
            from . import recognize

            timed = recognize(samples, rate, "audio-model").with_timings(words=timed.words)
        yield begin, timed


def _transcript_words_on_heard(text: str, inside: list[Word], begin: float, end: float, duration: float) -> list[Word]:
    """The words of a piece that could not be aligned: the transcript's own, timed by the words heard
    in it (or spread over it where none were), with a warning that says what is known of why."""
    from .retold import LEAST_MATCHED_SHARE, spread_words, transcript_on_heard

    words, matched = transcript_on_heard(text, inside) if text else ([], 0.0)
    timed_by = "its words there are timed by the words recognised"
    if not text:
        why, timed_by = "no word of the transcript falls in it", "the words recognised there are left out"
    elif not words:  # nothing heard in it: the words over the piece, as said somewhere in it
        words = spread_words(transcript_tokens(text), 0.0, duration)
        why = "the aligner found no way through it for its words, and no word was recognised there"
        timed_by = "its words there are spread over it"
    elif matched < LEAST_MATCHED_SHARE:
        why = (f"the aligner found no way through it for its words, and only {matched:.0%} of them were "
               "recognised there: the audio may not say that part of the transcript")
    else:
        why = f"the aligner found no way through it for its words, though {matched:.0%} of them were recognised there"
    warn(f"The transcript could not be aligned to the audio at {begin:.1f}-{end:.1f} s ({why}); {timed_by}.")
    return words
