"""Speech the recogniser found no words in: the audio model moves the mouth there (real VAD, model and piper speech)."""

from __future__ import annotations

import numpy as np
import pytest

from speaker.errors import SpeakerWarning
from speaker.motion import articulation_from_speech
from speaker.settings import VoicePreset
from speaker.speech import synthesize
from speaker.timing import audio_model_available, recognize_words, timeline_from_words
from speaker.timing.stream import time_segment
from speaker.timing.wordless import voice_activity, with_audio_model_where_wordless, wordless_stretches
from speaker.types import Word

FPS = 25.0
JAW = 0


@pytest.fixture(scope="module")
def spoken():
    text = "The museum opens at noon. Please keep your tickets until the end of the visit."
    return synthesize(text, VoicePreset(noise_scale=0.3, noise_w=0.3, sentence_pause=0.8))


def test_word_spans_are_taken_out_of_the_voice_activity():
    words = [Word("a", 0.2, 0.6), Word("b", 0.7, 1.0)]
    assert wordless_stretches([(0.0, 3.0)], words) == [(pytest.approx(1.15), 3.0)]
    # A gap shorter than the minimum between two words is no stretch.
    assert wordless_stretches([(0.0, 1.1)], words) == []
    assert wordless_stretches([(0.0, 1.0)], []) == [(0.0, 1.0)]


def test_voice_activity_finds_piper_speech_and_its_pause(spoken):
    spans = voice_activity(spoken.samples, spoken.sample_rate)
    noon, please = spoken.words[4], spoken.words[5]
    # The 0.8 s pause after "noon." ends one span and the next begins at "Please".
    assert any(abs(end - noon.end) < 0.2 for _, end in spans), spans
    assert any(abs(start - please.start) < 0.2 for start, _ in spans), spans
    assert spans[0][0] < spoken.words[0].start + 0.2 and spans[-1][1] > spoken.words[-1].end - 0.2


@pytest.mark.skipif(not audio_model_available(), reason="the audio model does not ship in this build")
def test_words_the_recogniser_dropped_are_moved_by_the_audio_model(spoken):
    # As if the recogniser had heard only the first sentence.
    heard = [Word(w.text, w.start, w.end) for w in spoken.words[:5]]
    timed = timeline_from_words(spoken.samples, spoken.sample_rate, heard, "en")
    still = articulation_from_speech(timed, FPS)[:, JAW]
    with pytest.warns(SpeakerWarning, match="No words were recognised in 1 stretch of speech"):
        filled = with_audio_model_where_wordless(timed)
    assert "audio model in 1 word-less stretches" in filled.source
    moving = articulation_from_speech(filled, FPS)[:, JAW]
    second = slice(int((spoken.words[5].start + 0.1) * FPS), int((spoken.words[-1].end - 0.1) * FPS))
    first = slice(int(spoken.words[0].start * FPS), int(spoken.words[4].end * FPS))
    assert still[second].max() < 0.05  # no phones there: the mouth was still
    assert moving[second].max() > 0.3 and moving[second].std() > 0.05  # now it speaks
    np.testing.assert_allclose(moving[first], still[first], atol=1e-6)  # the phones keep the first sentence


def test_fully_recognised_speech_gets_no_audio_model(spoken, recwarn):
    heard = recognize_words(spoken.samples, spoken.sample_rate, "en")
    speech = time_segment(spoken.samples, spoken.sample_rate, heard.words, "en")
    assert speech.articulation is None and speech.source == "whisper+pocketsphinx-align"
    assert not [w for w in recwarn if "No words were recognised" in str(w.message)]


def test_a_segment_with_a_curve_after_one_without_keeps_its_curve_in_place():
    from speaker.pipeline.segments import _with_lead_in
    from speaker.types import ArticulationCurve, Speech

    rate = 16000
    previous = Speech(samples=np.zeros(2 * rate, np.float32), sample_rate=rate, source="phones")
    values = np.zeros((101, 6), np.float32)
    values[50] = 1.0  # at 0.5 s of this segment
    current = Speech(samples=np.zeros(rate, np.float32), sample_rate=rate,
                     articulation=ArticulationCurve(values, 100.0), source="phones")
    joined = _with_lead_in(previous, current, 0.3)
    assert joined.duration == pytest.approx(1.3)
    peak = int(np.argmax(joined.articulation.values[:, 0]))
    assert peak / joined.articulation.rate == pytest.approx(0.8)  # 0.5 s + the 0.3 s lead


def test_a_long_recording_names_each_timing_source_once():
    from speaker.pipeline.segments import distinct_sources

    segments = ["whisper+pocketsphinx-align", "whisper+pocketsphinx-align, 1 of 6 stretches spread"] * 60
    segments.append("whisper+pocketsphinx-align, 2 of 5 stretches spread, audio model in 3 word-less stretches")
    assert distinct_sources(segments) == [
        "whisper+pocketsphinx-align (some stretches spread; audio model in word-less stretches)"]
