"""Recognised word spans trimmed to the voice before phones are spread in them (real VAD, piper speech made here)."""

from __future__ import annotations

import numpy as np
import pytest

from speaker.settings import VoicePreset
from speaker.speech import synthesize
from speaker.timing import timeline_from_words
from speaker.timing.spans import trim_to_voice
from speaker.timing.wordless import voice_activity
from speaker.types import Word

#: Silence put before the speech (s), and how close (s) a trimmed onset must land to the voice's true start.
LEAD_SILENCE = 1.0
ONSET_TOLERANCE = 0.1


@pytest.fixture(scope="module")
def spoken():
    """Piper speech after a second of silence, with a 0.8 s pause between its two sentences."""
    speech = synthesize("The museum opens at noon. Please keep your tickets until the end of the visit.",
                        VoicePreset(noise_scale=0.3, noise_w=0.3, sentence_pause=0.8))
    lead = np.zeros(int(LEAD_SILENCE * speech.sample_rate), np.float32)
    words = [Word(w.text, w.start + LEAD_SILENCE, w.end + LEAD_SILENCE) for w in speech.words]
    return np.concatenate([lead, speech.samples]), speech.sample_rate, words


def as_recogniser_times(words: list[Word]) -> list[Word]:
    """Whisper's habit: each word starts where the previous ended (the first at 0), across pauses."""
    return [Word(w.text, words[i - 1].end if i else 0.0, w.end) for i, w in enumerate(words)]


def test_word_spans_lose_the_silence_before_their_voice():
    words = [Word("a", 0.0, 1.0), Word("b", 1.0, 1.5), Word("c", 1.5, 3.0), Word("d", 3.0, 3.2)]
    activity = [(0.6, 1.6), (2.5, 3.4)]
    trimmed = trim_to_voice(words, activity)
    assert trimmed[0] == Word("a", pytest.approx(0.54), 1.0)  # the voice starts at 0.6 (less the margin)
    assert trimmed[1] == words[1]  # all voice: unchanged
    # "c" holds the end of b's voice, a pause, then its own voice: it starts after the pause.
    assert trimmed[2] == Word("c", pytest.approx(2.44), 3.0)
    assert trimmed[3] == words[3]
    # A word whose end runs into the next word's voice keeps its own voice only.
    late_end = [Word("f", 6.0, 7.0), Word("g", 7.0, 7.5)]
    assert trim_to_voice(late_end, [(6.0, 6.4), (6.9, 7.6)])[0] == Word("f", 6.0, pytest.approx(6.4))
    # A word with no voice at all keeps the recogniser's times.
    assert trim_to_voice([Word("e", 5.0, 5.5)], activity) == [Word("e", 5.0, 5.5)]


def test_trimmed_onsets_land_at_the_voice_after_silence(spoken):
    samples, rate, words = spoken
    heard = as_recogniser_times(words)
    trimmed = trim_to_voice(heard, voice_activity(samples, rate))
    after_pause = next(i for i in range(1, len(words)) if words[i].start - words[i - 1].end > 0.5)
    for index in (0, after_pause):
        assert heard[index].start < words[index].start - 0.5  # the recogniser's span held the silence
        assert abs(trimmed[index].start - words[index].start) < ONSET_TOLERANCE, (index, trimmed[index], words[index])
    # Words inside a sentence keep their times (within the recogniser's precision).
    inside = [i for i in range(len(words)) if i not in (0, after_pause)]
    assert all(abs(trimmed[i].start - heard[i].start) < 1e-9 for i in inside)


def test_spread_phones_start_with_the_voice_not_in_the_silence(spoken):
    samples, rate, words = spoken
    speech = timeline_from_words(samples, rate, as_recogniser_times(words), "es")  # spread, not aligned
    assert speech.source == "whisper+espeak-spread"
    first = next(p for p in speech.phones if p.symbol != "SIL")
    assert abs(first.start - words[0].start) < ONSET_TOLERANCE, (first, words[0])
    pause_start = words[next(i for i in range(1, len(words)) if words[i].start - words[i - 1].end > 0.5) - 1].end
    pause_end = pause_start + 0.8
    in_pause = [p for p in speech.phones if p.symbol != "SIL" and p.start < pause_end - ONSET_TOLERANCE
                and p.end > pause_start + ONSET_TOLERANCE]
    assert not in_pause, in_pause
