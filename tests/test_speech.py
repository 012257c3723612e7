"""speaker.speech: piper TTS with phone and word timings (the real piper voice)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from speaker.errors import SpeakerError
from speaker.settings import VoicePreset
from speaker.speech import concatenate, load_voice, split_sentences, synthesize
from speaker.speech.core import load_engine
from speaker.speech.piper.voice import default_model_path
from speaker.phonetics import alignments_to_units
from speaker.types import PHONES, Phone, Speech, Word

#: Noise off: the same text gives the same durations, so tests can compare runs.
STEADY = VoicePreset(noise_scale=0.0, noise_w=0.0, sentence_pause=0.6)


def assert_covers(speech: Speech) -> None:
    """Phones are known symbols covering [0, duration] without gaps or overlaps."""
    phones = speech.phones
    assert phones[0].start == 0.0
    assert phones[-1].end == pytest.approx(speech.duration, abs=1e-9)
    for before, after in zip(phones, phones[1:]):
        assert before.end == pytest.approx(after.start, abs=1e-9)
    assert all(phone.end > phone.start for phone in phones)
    assert {phone.symbol for phone in phones} <= set(PHONES)
    total = sum(phone.end - phone.start for phone in phones)
    assert total == pytest.approx(speech.duration, abs=1e-6)


@pytest.fixture(scope="module")
def two_sentences() -> Speech:
    return synthesize("Bob made maps. The cat sat on a mat!", STEADY)


def test_phones_cover_the_audio(two_sentences):
    speech = two_sentences
    assert speech.sample_rate == 22050
    assert speech.samples.dtype == np.float32 and speech.samples.ndim == 1
    assert 1.5 < speech.duration < 6.0
    assert 0.5 < np.max(np.abs(speech.samples)) <= 1.0
    assert speech.source == "piper"
    assert_covers(speech)


def test_bilabials_of_bob_made_maps(two_sentences):
    spoken = [phone.symbol for phone in two_sentences.phones if phone.symbol != "SIL"]
    assert spoken[:10] == ["B", "AA", "B", "M", "EY", "D", "M", "AE", "P", "S"]
    # Stress marks become the stress of the next vowel.
    stressed = {phone.symbol: phone.stress for phone in two_sentences.phones[:8]}
    assert stressed["AA"] == 1


def test_sentence_pause_is_silent(two_sentences):
    words = two_sentences.words
    maps, the = words[2], words[3]
    assert maps.text == "maps." and the.text == "The"
    pauses = [p for p in two_sentences.phones if p.symbol == "SIL" and maps.end <= p.start + 1e-6 and p.end <= the.start + 1e-6]
    assert len(pauses) == 1 and pauses[0].end - pauses[0].start >= STEADY.sentence_pause
    rate = two_sentences.sample_rate
    span = two_sentences.samples[int(pauses[0].start * rate):int(pauses[0].end * rate) + 1]
    # The inserted pause is digital silence of exactly sentence_pause seconds.
    zero_runs = np.diff(np.flatnonzero(np.concatenate([[1.0], span, [1.0]]) != 0.0)) - 1
    assert zero_runs.max() >= int(STEADY.sentence_pause * rate) - 1
    shorter = synthesize("Bob made maps. The cat sat on a mat!", STEADY.model_copy(update={"sentence_pause": 0.0}))
    assert two_sentences.duration - shorter.duration == pytest.approx(0.6, abs=0.01)


def test_words_timed_in_order(two_sentences):
    words = two_sentences.words
    assert [w.text for w in words] == ["Bob", "made", "maps.", "The", "cat", "sat", "on", "a", "mat!"]
    for before, after in zip(words, words[1:]):
        assert before.start < before.end <= after.start + 1e-9
    assert words[-1].end <= two_sentences.duration
    # A word's span holds its own phones: "cat" is K AE T.
    cat = words[4]
    inside = [p.symbol for p in two_sentences.phones if cat.start - 1e-6 <= p.start and p.end <= cat.end + 1e-6]
    assert inside == ["K", "AE", "T"]


def test_numbers_spread_words_over_the_spoken_span():
    speech = synthesize("In 1863 it rained.", STEADY)
    assert [w.text for w in speech.words] == ["In", "1863", "it", "rained."]
    number = speech.words[1]
    # Said "eighteen sixty-three": the longest word by far.
    assert number.end - number.start > 3 * (speech.words[0].end - speech.words[0].start)
    assert_covers(speech)


def test_speed_changes_duration():
    normal = synthesize("Speak at the speed you were trained at.", STEADY)
    fast = synthesize("Speak at the speed you were trained at.", STEADY.model_copy(update={"speed": 2.0}))
    assert 0.4 < fast.duration / normal.duration < 0.75


@pytest.mark.parametrize("text", ["", "   \n ", "... !? -- ,"])
def test_empty_text_is_refused(text):
    with pytest.raises(SpeakerError, match="empty"):
        synthesize(text, STEADY)


def test_missing_model_is_a_speaker_error(tmp_path):
    with pytest.raises(SpeakerError, match="does not exist"):
        load_voice(VoicePreset(model=str(tmp_path / "nobody.onnx")))
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not an onnx model at all")
    (tmp_path / "corrupt.onnx.json").write_text("{}")
    with pytest.raises(SpeakerError, match="Cannot load the Piper voice config"):
        load_voice(VoicePreset(model=str(corrupt)))
    # A good config beside a file that is not a model.
    (tmp_path / "corrupt.onnx.json").write_text(Path(f"{default_model_path()}.json").read_text())
    with pytest.raises(SpeakerError, match="Cannot load the Piper voice .*corrupt.onnx"):
        load_voice(VoicePreset(model=str(corrupt)))


def test_unknown_engine_is_a_speaker_error():
    with pytest.raises(SpeakerError, match="Unknown speech engine"):
        load_engine("festival")


def test_voice_layers():
    voice = load_voice(STEADY)
    assert voice.sample_rate == 22050
    phonemes = voice.phonemize("Hello there. How are you?")
    assert len(phonemes) == 2 and "h" in phonemes[0]
    pieces = list(voice.stream("Hello there. How are you?"))
    assert len(pieces) == 2
    assert all(piece.phones[0].start == 0.0 for piece in pieces)


def test_split_sentences():
    text = 'Dr. Smith went home. Then J. Tolkien said: "Hi!" Ok...\nNew line here? yes  ...'
    assert split_sentences(text) == [
        "Dr. Smith went home.", 'Then J. Tolkien said: "Hi!"', "Ok...", "New line here?", "yes  ...",
    ]
    assert split_sentences(" ... !! ") == []


def test_ipa_units_keep_every_sample():
    # "bite me": b ˈa ɪ t ' ' m ˈi ː, then '.' and EOS.
    alignments = [("^", 100), ("b", 50), ("ˈ", 30), ("a", 40), ("ɪ", 60), ("t", 70), (" ", 20),
                  ("m", 40), ("ˈ", 10), ("i", 50), ("ː", 25), (".", 80), ("$", 5)]
    units, next_word = alignments_to_units(alignments)
    # The word gap is shared by its neighbours; '.' and EOS are pauses.
    assert [u.symbol for u in units] == ["SIL", "B", "AY", "T", "M", "IY", "SIL", "SIL"]
    assert sum(u.samples for u in units) == sum(n for _, n in alignments)
    assert [u.stress for u in units] == [0, 0, 1, 0, 0, 1, 0, 0]
    assert [u.word for u in units] == [-1, 0, 0, 0, 1, 1, -1, -1] and next_word == 2
    iy = units[5]
    assert iy.samples == 10 + 50 + 25  # stress mark and length mark join the vowel


def test_ipa_affricates_and_r_colour():
    units, _ = alignments_to_units([("^", 1), ("t", 1), ("ʃ", 1), ("ɜ", 1), ("ː", 1), ("ɹ", 1),
                                    ("d", 1), ("ʒ", 1), ("ɾ", 1), ("ɚ", 1), ("$", 1)])
    assert [u.symbol for u in units] == ["SIL", "CH", "ER", "JH", "D", "ER", "SIL"]
    assert sum(u.samples for u in units) == 11


def test_concatenate_shifts_times():
    rate = 100
    one = Speech(np.ones(50, np.float32), rate, [Word("a", 0.1, 0.4)], [Phone("AA", 0.0, 0.5)])
    two = Speech(np.ones(30, np.float32), rate, [Word("b", 0.0, 0.3)], [Phone("B", 0.0, 0.3)])
    joined = concatenate([one, two], pause=0.2)
    assert len(joined.samples) == 100 and np.all(joined.samples[50:70] == 0)
    assert [(p.symbol, p.start, p.end) for p in joined.phones] == [
        ("AA", 0.0, 0.5), ("SIL", 0.5, 0.7), ("B", 0.7, pytest.approx(1.0))]
    assert joined.words[1].start == pytest.approx(0.7)


def test_same_seed_gives_the_same_audio_and_another_seed_varies_it():
    from speaker.settings import load_voice_preset
    from speaker.speech import synthesize

    preset = load_voice_preset("default")
    first = synthesize("Bob made maps.", preset, seed=4)
    again = synthesize("Bob made maps.", preset, seed=4)
    other = synthesize("Bob made maps.", preset, seed=5)
    assert np.array_equal(first.samples, again.samples)
    assert first.phones == again.phones
    assert len(first.samples) != len(other.samples) or not np.array_equal(first.samples, other.samples)
    # Seeds 0 and 1 once gave the same noise (onnxruntime's engine takes a zero seed as one).
    zero, one = (synthesize("Bob made maps.", preset, seed=seed) for seed in (0, 1))
    assert len(zero.samples) != len(one.samples) or not np.array_equal(zero.samples, one.samples)


def test_stream_yields_the_script_sentence_by_sentence():
    from speaker.speech import synthesize_stream

    text = "Bob made maps. The cat sat on a mat! Then it slept."
    whole = synthesize(text, STEADY, seed=2)
    segments = list(synthesize_stream(text, STEADY, seed=2))
    assert len(segments) == 3
    # Every segment but the last carries the pause after its sentence.
    assert segments[0].phones[-1].symbol == "SIL"
    assert segments[0].phones[-1].end - segments[0].phones[-1].start >= STEADY.sentence_pause
    joined = np.concatenate([segment.samples for segment in segments])
    assert np.array_equal(joined, whole.samples)
    assert [w.text for s in segments for w in s.words] == [w.text for w in whole.words]


def test_stream_refuses_empty_text_at_once_and_stops_when_abandoned():
    from speaker.speech import synthesize_stream

    with pytest.raises(SpeakerError, match="empty"):
        synthesize_stream(" ... ", STEADY)
    stream = synthesize_stream("One. Two. Three. Four.", STEADY)
    first = next(iter(stream))
    assert first.duration > 0.2
    stream.close()
    stream._thread.join(timeout=30)
    assert not stream._thread.is_alive()


def test_piper_timing_graph_is_made_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEAKER_CACHE", str(tmp_path / "cache"))
    first = synthesize("Bob made maps.", STEADY, seed=3)
    cached = list((tmp_path / "cache" / "piper").glob("*.alignments.onnx"))
    assert len(cached) == 1
    made = cached[0].stat().st_mtime_ns
    again = synthesize("Bob made maps.", STEADY, seed=3)
    assert cached[0].stat().st_mtime_ns == made
    np.testing.assert_array_equal(first.samples, again.samples)
    assert [p.symbol for p in first.phones] == [p.symbol for p in again.phones]


def test_unwritable_cache_is_one_sentence(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv("SPEAKER_CACHE", str(blocker / "cache"))
    with pytest.raises(SpeakerError, match="set SPEAKER_CACHE"):
        load_voice(STEADY)


HAYES = ("Mr. Hayes was born on Oct. 4, 1822, in Ohio. He was the 19th president of the U.S. "
         "from 1877 to 1881.")


def test_an_english_voice_says_years_and_abbreviations_as_spoken():
    voice = load_voice(STEADY)
    assert voice.phonemize("in 1822") == voice.phonemize("in eighteen twenty-two")
    assert voice.phonemize("from 1877–1881") == voice.phonemize("from eighteen seventy-seven to eighteen eighty-one")
    assert voice.phonemize("on Oct. 4") == voice.phonemize("on October 4")
    # espeak reads "Mr." right but ends a sentence (a pause) at its full stop: one sentence here.
    assert len(voice.phonemize("Mr. Hayes was born on Oct. 4, 1822, in Ohio.")) == 1
    assert voice.phonemize("Mr. Hayes") != voice.phonemize("Mr.") + voice.phonemize("Hayes")


def test_a_voice_of_another_language_is_given_the_text_as_written():
    english, other = load_voice(STEADY), load_voice(STEADY.model_copy(update={"language": "de"}))
    assert other.phonemize("in 1822") == english._piper.phonemize("in 1822")
    assert other.phonemize("in 1822") != english.phonemize("in 1822")


def test_museum_label_is_two_sentences_with_written_subtitles_timed_by_the_spoken_words():
    from speaker.video.subtitles import group_cues

    assert split_sentences(HAYES) == [
        "Mr. Hayes was born on Oct. 4, 1822, in Ohio.",
        "He was the 19th president of the U.S. from 1877 to 1881.",
    ]
    speech = synthesize(HAYES, STEADY)
    assert_covers(speech)
    assert [word.text for word in speech.words] == HAYES.split()
    for before, after in zip(speech.words, speech.words[1:]):
        assert before.start < before.end <= after.start + 1e-9
    # "1822," spans "eighteen twenty-two", much longer than "in" after it.
    by_text = {word.text: word for word in speech.words}
    year, short = by_text["1822,"], by_text["in"]
    assert year.end - year.start > 3 * (short.end - short.start)
    # One silence only between the two sentences (the sentence pause), none after "Mr." or "Oct.".
    pauses = [phone for phone in speech.phones[1:-1] if phone.symbol == "SIL" and phone.end - phone.start > 0.3]
    assert len(pauses) == 1
    assert pauses[0].start >= by_text["Ohio."].end - 1e-9 and pauses[0].end <= by_text["He"].start + 1e-9
    cues = [" ".join(cue.lines) for cue in group_cues(speech.words)]
    assert " ".join(cues) == HAYES
    assert cues[0].startswith("Mr. Hayes was born on Oct. 4,")
    assert not any(cue.endswith(("Mr.", "Oct.", "U.S.")) for cue in cues)


def test_a_sentences_last_word_is_not_left_alone_in_its_cue():
    from speaker.types import Word
    from speaker.video.subtitles import MAX_CUE_SECONDS, group_cues

    # Eleven words at 0.45 s each: the cue closes at MAX_CUE_SECONDS with one word of the sentence left.
    text = "He was the president of the country from then to 1881."
    step = (MAX_CUE_SECONDS + 0.05) / 11
    words = [Word(token, index * step, (index + 1) * step) for index, token in enumerate(text.split())]
    cues = [" ".join(cue.lines) for cue in group_cues(words)]
    assert " ".join(cues) == text and len(cues) == 2 and len(cues[1].split()) == 2, cues
