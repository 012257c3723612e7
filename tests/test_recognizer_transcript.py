"""A long recording with a transcript, aligned piece by piece where Whisper heard its words (real piper, Whisper, pocketsphinx)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from speaker.errors import SpeakerWarning
from speaker.settings import VoicePreset
from speaker.speech import synthesize
from speaker.timing import AudioFile, recognize_audio, transcript_segments
from speaker.timing.transcribed import transcript_cuts, transcript_tokens
from speaker.types import Word

TEXT = ("The lighthouse keeper climbed the stairs. He carried a lamp and a notebook. "
        "From the top he could see the boats. They came home across the bay.")


def plain(text: str) -> str:
    return re.sub(r"[^a-z' ]", "", text.lower())


def test_cuts_fall_in_the_longest_pause_between_words_heard_in_order():
    tokens = transcript_tokens("one two three, four five six seven")
    heard = [Word("one", 0.0, 0.4), Word("two", 0.5, 0.9), Word("three", 1.0, 1.4),
             Word("four", 2.4, 2.8), Word("five", 2.9, 3.3), Word("sick", 3.4, 3.8), Word("seven", 4.6, 5.0)]
    # Segments of 3 s: the 1 s pause after "three" (the longest within the search).
    assert transcript_cuts(tokens, heard, 5.5, seconds=3.0) == [(1.9, 3)]
    # "six" was heard as "sick": no cut either side of it, even in the longer pause before "seven".
    cuts = transcript_cuts(tokens, heard, 5.5, seconds=4.5)
    assert all(token not in (5, 6) for _, token in cuts), cuts
    # Nothing heard in order: no cut at all (one piece).
    assert transcript_cuts(tokens, [Word("x", 0.0, 1.0)], 5.5, seconds=2.0) == []


@pytest.fixture(scope="module")
def spoken():
    return synthesize(TEXT, VoicePreset(noise_scale=0.3, noise_w=0.3, sentence_pause=0.7))


def test_a_transcript_is_aligned_piece_by_piece(spoken):
    audio = AudioFile.from_samples(spoken.samples, spoken.sample_rate)
    heard = recognize_audio(audio, "en")
    pieces = list(transcript_segments(audio, TEXT, heard.words, "en", seconds=3.0))
    assert len(pieces) >= 3
    offsets = [offset for offset, _ in pieces]
    ends = [offset + speech.duration for offset, speech in pieces]
    assert offsets[0] == 0.0 and np.allclose(offsets[1:], ends[:-1], atol=1e-3)
    assert abs(ends[-1] - spoken.duration) < 1e-3
    assert all(speech.source == "pocketsphinx-align" for _, speech in pieces)
    # The transcript's own words, every one, each near where piper said it.
    words = [Word(w.text, w.start + offset, w.end + offset) for offset, speech in pieces for w in speech.words]
    assert [w.text for w in words] == TEXT.split()
    errors = [abs(got.start - said.start) for got, said in zip(words, spoken.words)]
    assert np.median(errors) < 0.05 and max(errors) < 0.3, errors


def test_a_transcript_that_is_not_what_was_said_is_left_for_the_recognised_words(spoken):
    audio = AudioFile.from_samples(spoken.samples, spoken.sample_rate)
    heard = [Word("the", 0.1, 0.3), Word("lighthouse", 0.3, 0.9)]
    with pytest.warns(SpeakerWarning, match="timed from the recognised words"):
        assert transcript_segments(audio, "Completely different words are written here today.", heard) is None


#: Sentences that begin alike, as GRID's do ("lay red ...", "lay white ..."): where the recogniser misses one,
#: the word before it and the next sentence's first word look like two consecutive words of the transcript.
ALIKE = ("The lighthouse keeper climbed the stairs with a lamp and a notebook. The night was calm and clear. "
         "The boats came home. The gulls slept on the rocks below the tower.")


@pytest.fixture(scope="module")
def alike():
    spoken = synthesize(ALIKE, VoicePreset(noise_scale=0.3, noise_w=0.3, sentence_pause=0.7))
    audio = AudioFile.from_samples(spoken.samples, spoken.sample_rate)
    return spoken, audio, recognize_audio(audio, "en").words


def words_of(pieces) -> list[Word]:
    return [Word(w.text, w.start + offset, w.end + offset) for offset, speech in pieces for w in speech.words]


@pytest.mark.parametrize("seconds", [3.0, 5.0])
def test_a_sentence_the_recogniser_missed_is_no_pause_to_cut_in(alike, seconds):
    spoken, audio, heard = alike
    # Whisper hears nothing of "The night was calm and clear." (on a 3-minute GRID recording it missed two
    # sentences): "notebook. The(boats)" then matches the transcript's "notebook. The(night)", and the longest
    # pause between those two words holds the whole sentence unheard.
    missed = spoken.words[12:18]
    assert " ".join(w.text for w in missed) == "The night was calm and clear."
    heard = [w for w in heard if not (w.end > missed[0].start and w.start < missed[-1].end)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pieces = list(transcript_segments(audio, ALIKE, heard, "en", seconds=seconds))
    assert not [str(w.message) for w in caught if "could not be aligned" in str(w.message)]
    assert all(speech.source == "pocketsphinx-align" for _, speech in pieces)
    # Every word of the transcript, the missed sentence's too, aligned near where piper said it.
    words = words_of(pieces)
    assert [w.text for w in words] == ALIKE.split()
    errors = [abs(got.start - said.start) for got, said in zip(words, spoken.words)]
    assert np.median(errors) < 0.05 and max(errors) < 0.3, errors


def test_cuts_go_only_where_the_recording_is_quiet(alike):
    spoken, audio, heard = alike
    tokens = transcript_tokens(ALIKE)
    cuts = transcript_cuts(tokens, heard, spoken.duration, 3.0, audio)
    assert cuts
    # Each cut lies in a pause piper made between sentences, and splits the transcript there.
    sentence_pauses = [(a.end, b.start) for a, b in zip(spoken.words, spoken.words[1:]) if a.text.endswith(".")]
    for seconds, token in cuts:
        assert any(a <= seconds <= b for a, b in sentence_pauses), (seconds, sentence_pauses)
        assert tokens[token - 1].endswith(".")


def test_a_piece_that_cannot_be_aligned_keeps_the_transcripts_words(alike, monkeypatch):
    from speaker.timing import transcribed
    from speaker.timing.core import AlignmentError

    spoken, audio, heard = alike
    aligner = transcribed.load_backend(transcribed.ALIGNER)

    class FailsOnBoats:
        def align_strict(self, samples, rate, text):
            if "boats" in text:
                raise AlignmentError("the audio does not fit the transcript")
            return aligner.align_strict(samples, rate, text)

    monkeypatch.setattr(transcribed, "load_backend", lambda name: FailsOnBoats())
    with pytest.warns(SpeakerWarning, match=r"could not be aligned .*recognised there\); its words there are timed"):
        pieces = list(transcript_segments(audio, ALIKE, heard, "en", seconds=3.0))
    # Its words are the transcript's (not the recogniser's "gulps" or the like), every one, in order.
    words = words_of(pieces)
    assert [w.text for w in words] == ALIKE.split()
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))


@pytest.mark.slow
def test_a_long_recording_with_a_transcript_is_spoken_in_segments(spoken, grace_hopper_path, tmp_path, monkeypatch):
    import soundfile

    import speaker
    from speaker import timing
    from speaker.timing import stream

    wav = tmp_path / "keeper.wav"
    soundfile.write(str(wav), spoken.samples, spoken.sample_rate)
    # A 10 s recording taken as long: the same path as an hour with its transcript.
    monkeypatch.setattr(timing, "WHOLE_ALIGNMENT_SECONDS", 4.0)
    monkeypatch.setattr(stream, "SEGMENT_SECONDS", 3.0)
    segments = []
    result = speaker.speak(grace_hopper_path, audio=wav, transcript=TEXT, out=tmp_path / "keeper.mp4", max_side=240,
                           progress=lambda stage, detail: segments.append(detail) if stage == "motion" else None)
    assert len(segments) >= 3
    assert result.timing_source == "pocketsphinx-align" and not result.warnings
    subtitles = (tmp_path / "keeper.srt").read_text()
    assert plain(" ".join(line for line in subtitles.splitlines() if line and not line[0].isdigit())).split() \
        == plain(TEXT).split()
