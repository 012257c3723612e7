"""Recognition of a recording in several pieces (real Whisper on piper speech made here)."""

from __future__ import annotations

import difflib
import re

import numpy as np

from speaker.settings import VoicePreset
from speaker.speech import synthesize
from speaker.timing import AudioFile, recognize_audio, stream

TEXT = ("The lighthouse keeper climbed the stairs. He carried a lamp and a notebook. "
        "From the top he could see the boats.")


def plain(text: str) -> str:
    return re.sub(r"[^a-z' ]", "", text.lower())


def test_words_of_a_recording_in_several_pieces_keep_the_recordings_clock(monkeypatch):
    spoken = synthesize(TEXT, VoicePreset(noise_scale=0.3, noise_w=0.3, sentence_pause=0.8))
    # Pieces of 4 s (cut at the quietest moment of their last 2 s) instead of
    # about 2 minutes: the same code path as an hour-long recording.
    monkeypatch.setattr(stream, "RECOGNITION_WINDOW", 4.0)
    monkeypatch.setattr(stream, "CUT_SEARCH", 2.0)
    pieces = []
    heard = recognize_audio(AudioFile.from_samples(spoken.samples, spoken.sample_rate),
                            on_window=lambda done, total: pieces.append(done))
    assert len(pieces) >= 2, pieces
    assert pieces[-1] == spoken.duration
    got = plain(" ".join(w.text for w in heard.words)).split()
    assert difflib.SequenceMatcher(a=plain(TEXT).split(), b=got, autojunk=False).ratio() >= 0.85, got
    # Each word where piper said it (times of later pieces are offset to the whole recording).
    names = [plain(w.text) for w in spoken.words]
    said = {name: w.start for name, w in zip(names, spoken.words) if names.count(name) == 1}
    errors = [abs(w.start - said[plain(w.text)]) for w in heard.words if plain(w.text) in said]
    assert len(errors) >= 0.8 * len(said)
    # (A piece's words left on its own clock would be off by whole pieces, 3-4 s.)
    assert np.median(errors) < 0.12 and np.percentile(errors, 90) < 0.25 and max(errors) < 1.0, errors
    for before, after in zip(heard.words, heard.words[1:]):
        assert before.start <= after.start
