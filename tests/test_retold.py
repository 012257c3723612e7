"""A transcript's words on the times of the words a recogniser heard (real words, no audio)."""

from __future__ import annotations

import pytest

from speaker.timing.retold import transcript_on_heard
from speaker.types import Word


def heard(text: str, step: float = 0.5) -> list[Word]:
    """Words as a recogniser gives them: one every ``step`` s, each 0.4 s long."""
    return [Word(word, index * step, index * step + 0.4) for index, word in enumerate(text.split())]


def spans(words: list[Word]) -> list[tuple[str, float, float]]:
    return [(word.text, round(word.start, 3), round(word.end, 3)) for word in words]


def test_the_transcripts_words_take_the_times_of_those_heard_accents_and_punctuation_its_own():
    words, matched = transcript_on_heard("Le musée du Louvre, à Paris.", heard("le musee du louvre a paris"))
    assert matched == 1.0
    assert spans(words) == [("Le", 0.0, 0.4), ("musée", 0.5, 0.9), ("du", 1.0, 1.4), ("Louvre,", 1.5, 1.9),
                            ("à", 2.0, 2.4), ("Paris.", 2.5, 2.9)]


def test_words_heard_otherwise_take_the_time_of_what_was_heard_there():
    # Whisper writes "Monalisa" and "9" where the transcript says "Mona Lisa" and "neuf".
    words, matched = transcript_on_heard("Mona Lisa vous attend à neuf heures.",
                                         heard("Monalisa vous attend à 9 heures."))
    assert matched == pytest.approx(4 / 7)
    assert spans(words)[:3] == [("Mona", 0.0, 0.2), ("Lisa", 0.2, 0.4), ("vous", 0.5, 0.9)]
    assert spans(words)[5] == ("neuf", 2.0, 2.4)


def test_words_not_heard_get_the_pause_around_them_or_share_the_word_before():
    words, _ = transcript_on_heard("Le grand musée est ouvert aujourd'hui.", heard("le musée est ouvert"))
    assert spans(words)[:3] == [("Le", 0.0, 0.4), ("grand", 0.4, 0.5), ("musée", 0.5, 0.9)]
    # Nothing heard after "ouvert": "aujourd'hui." shares its time, in proportion to the letters.
    assert spans(words)[-2:] == [("ouvert", 1.5, 1.65), ("aujourd'hui.", 1.65, 1.9)]
    first, _ = transcript_on_heard("Bonjour, le musée.", heard("le musée"))  # nothing heard before "le"
    assert [word.text for word in first] == ["Bonjour,", "le", "musée."] and first[0].end > first[0].start == 0.0


def test_every_word_has_a_time_of_its_own_in_order_whatever_was_heard():
    for transcript, said in (("Four score and seven years ago", "for scores in seven years a go"),
                             ("A short one.", "a much much longer thing was said here"),
                             ("Nothing alike at all here", "completely different words spoken")):
        words, matched = transcript_on_heard(transcript, heard(said))
        assert [word.text for word in words] == transcript.split()
        assert all(word.end > word.start for word in words)
        assert all(before.end <= after.start + 1e-9 for before, after in zip(words, words[1:]))
        assert words[0].start >= 0.0 and words[-1].end <= heard(said)[-1].end + 1e-9
    assert matched == 0.0  # the last: nothing alike, which the pipeline does not use
    assert transcript_on_heard("", heard("hello")) == ([], 0.0)
    assert transcript_on_heard("Hello.", []) == ([], 0.0)
