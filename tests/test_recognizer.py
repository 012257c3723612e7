"""The speech recogniser and the recognised-word timeline (real Whisper, real piper speech made here)."""

from __future__ import annotations

import difflib
import re

import numpy as np
import pytest
import soundfile

from speaker.errors import SpeakerError, SpeakerWarning
from speaker.settings import VoicePreset
from speaker.speech import synthesize
from speaker.timing import AudioFile, recognize_words, segment_bounds, timeline_for_audio, timeline_from_words
from speaker.timing.espeak import word_phones
from speaker.timing.recognized import stretches
from speaker.timing.whisper import model as whisper_model
from speaker.types import PHONES, Word

TEXT = "The museum opens at noon. Please keep your tickets until the end of the visit."
#: Largest median |start difference| (s) between piper's word starts and the recognised ones.
WORD_AGREEMENT = 0.12


def plain(text: str) -> str:
    return re.sub(r"[^a-z' ]", "", text.lower())


@pytest.fixture(scope="module")
def spoken():
    return synthesize(TEXT, VoicePreset(noise_scale=0.3, noise_w=0.3, sentence_pause=0.8))


@pytest.fixture(scope="module")
def heard(spoken):
    return recognize_words(spoken.samples, spoken.sample_rate)


def test_the_recogniser_hears_what_piper_said(spoken, heard):
    assert heard.language == "en"
    said = plain(TEXT).split()
    got = plain(" ".join(w.text for w in heard.words)).split()
    matcher = difflib.SequenceMatcher(a=said, b=got, autojunk=False)
    assert matcher.ratio() >= 0.9, got
    starts = [abs(a.start - b.start) for a, b in zip(heard.words, spoken.words)]
    assert np.median(starts) < WORD_AGREEMENT
    for before, after in zip(heard.words, heard.words[1:]):
        assert before.start < before.end <= after.start + 1e-6


def test_a_language_given_that_the_recording_does_not_sound_like_is_told(spoken):
    import warnings

    from speaker.timing import recognize_audio

    recording = AudioFile.from_samples(spoken.samples, spoken.sample_rate)
    with pytest.warns(SpeakerWarning, match=r"^The recording sounds like 'en' \(\d+% sure\), not 'fr' as given"):
        recognize_audio(recording, "fr")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpeakerWarning)  # the right language: nothing to tell
        assert recognize_audio(recording, "en-US").words


def test_recognised_words_are_aligned_into_phones(spoken, heard):
    speech = timeline_for_audio(spoken.samples, spoken.sample_rate, None)
    assert speech.source == "whisper+pocketsphinx-align"
    assert difflib.SequenceMatcher(a=[plain(w.text) for w in speech.words], b=plain(TEXT).split()).ratio() >= 0.9
    assert {p.symbol for p in speech.phones} <= set(PHONES)
    assert speech.phones[0].start == 0.0 and speech.phones[-1].end == pytest.approx(speech.duration)
    # The pause between the sentences stays silent.
    pause = [p for p in speech.phones if p.symbol == "SIL" and p.end - p.start > 0.4]
    assert pause, "the 0.8 s sentence pause should be a silence"


@pytest.mark.parametrize("kind", ["tones", "noise"])
def test_audio_without_speech_is_refused_in_one_sentence(kind):
    rate = 16000
    time = np.arange(rate * 4) / rate
    if kind == "tones":  # a little tune: three notes, repeated
        notes = np.array([262.0, 330.0, 392.0])[(time * 2).astype(int) % 3]
        samples = 0.3 * np.sin(2 * np.pi * notes * time)
    else:
        samples = 0.2 * np.random.default_rng(1).standard_normal(len(time))
    with pytest.raises(SpeakerError, match=r"^No speech was found in the audio") as caught:
        timeline_for_audio(samples.astype(np.float32), rate, None)
    assert "\n" not in str(caught.value)


def test_a_failed_alignment_stretch_warns_and_still_gives_a_timeline(spoken):
    # The second sentence's words are replaced by words that were not said:
    # that stretch cannot be aligned, the first one still is.
    first = [w for w in spoken.words if w.end <= spoken.words[4].end + 1e-6]
    second = [w for w in spoken.words if w.start > first[-1].end]
    wrong = [Word("zzzxq" if i % 2 else "日本", w.start, w.end) for i, w in enumerate(second)]
    with pytest.warns(SpeakerWarning, match=r"Alignment failed on 1 of 2 stretches"):
        speech = timeline_from_words(spoken.samples, spoken.sample_rate, first + wrong, "en")
    assert speech.source == "whisper+pocketsphinx-align, 1 of 2 stretches spread"
    assert len(speech.words) == len(first) + len(wrong)
    aligned = [p for p in speech.phones if p.symbol != "SIL" and p.end <= first[-1].end + 0.2]
    assert len(aligned) >= 10
    assert speech.phones[-1].end == pytest.approx(speech.duration)


def test_phonemes_of_other_languages_are_spread_inside_each_word():
    words = [Word("Olá", 0.0, 0.4), Word("mundo", 0.6, 1.1)]
    phones = word_phones(words, "pt")
    assert [p.symbol for p in phones if p.start >= 0.6] == ["M", "UW", "N", "D", "UH"]
    for phone in phones:
        assert any(w.start - 1e-9 <= phone.start < phone.end <= w.end + 1e-9 for w in words)
    assert {p.symbol for p in phones} <= set(PHONES)


def test_stretches_end_at_pauses_and_stay_short():
    words = [Word(f"w{i}", i * 0.3, i * 0.3 + 0.25) for i in range(80)]  # 24 s without a pause
    words += [Word("after", 30.0, 30.4)]
    runs = stretches(words)
    assert runs[-1] == [words[-1]]
    assert all(run[-1].end - run[0].start <= 10.0 for run in runs)
    assert [w for run in runs for w in run] == words


def test_segments_are_cut_in_pauses_between_words():
    rate = 1000
    audio = AudioFile.from_samples(np.full(rate * 100, 0.1, np.float32), rate)
    words = [Word("a", t, t + 0.4) for t in np.arange(0.0, 100.0, 0.5)]
    words = [w for w in words if not 24.0 < w.start < 26.0]  # a 1.6 s pause at 24.4-26.0 s
    bounds = segment_bounds(audio, words, seconds=30.0)
    assert bounds[0] == (0, bounds[0][1]) and bounds[-1][1] == audio.n_samples
    assert 24.4 <= bounds[0][1] / rate <= 26.0
    for (_, stop), (start, _) in zip(bounds, bounds[1:]):
        assert stop == start
        assert not any(w.start < stop / rate < w.end for w in words), "a segment cut inside a word"


def test_the_model_is_assembled_once_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEAKER_CACHE", str(tmp_path))
    folder = whisper_model.model_dir()
    assert folder.parent == tmp_path
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no partial folder left behind"
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert whisper_model.model_dir() == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp


def test_a_corrupt_model_part_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEAKER_CACHE", str(tmp_path / "cache"))
    good, side = whisper_model._part_files()
    bad = tmp_path / "model.bin.part2"
    bad.write_bytes(b"not the model")
    monkeypatch.setattr(whisper_model, "_part_files", lambda: ([good[0], bad], side))
    with pytest.raises(SpeakerError, match="checksum"):
        whisper_model.model_dir()
    assert not list((tmp_path / "cache").iterdir())


@pytest.mark.slow
def test_audio_without_transcript_gets_subtitles_from_the_recognised_words(spoken, grace_hopper_path, tmp_path):
    import speaker

    wav = tmp_path / "visit.wav"
    soundfile.write(str(wav), spoken.samples, spoken.sample_rate)
    out = tmp_path / "visit.mp4"
    result = speaker.speak(grace_hopper_path, audio=wav, out=out, max_side=320)
    assert result.timing_source == "whisper+pocketsphinx-align"
    srt = (tmp_path / "visit.srt").read_text(encoding="utf-8")
    vtt = (tmp_path / "visit.vtt").read_text(encoding="utf-8")
    assert "-->" in srt and vtt.startswith("WEBVTT")
    said = plain(" ".join(line for line in srt.splitlines() if line and "-->" not in line and not line.isdigit()))
    assert difflib.SequenceMatcher(a=said.split(), b=plain(TEXT).split()).ratio() >= 0.9


@pytest.mark.slow
def test_a_recording_in_segments_runs_on_across_the_seams(grace_hopper_path, tmp_path, monkeypatch):
    import speaker
    from speaker.motion import load_track
    from speaker.timebase import n_frames
    from speaker.timing import stream
    from speaker.video import probe

    text = ("The lighthouse keeper climbed the stairs. He carried a lamp and a notebook. "
            "From the top he could see the boats. They came home across the bay.")
    spoken = synthesize(text, VoicePreset(noise_scale=0.3, noise_w=0.3, sentence_pause=0.6))
    wav = tmp_path / "keeper.wav"
    soundfile.write(str(wav), spoken.samples, spoken.sample_rate)
    monkeypatch.setattr(stream, "SEGMENT_SECONDS", 3.0)  # a 10 s recording in several segments
    out = tmp_path / "keeper.mp4"
    segments = []
    result = speaker.speak(grace_hopper_path, audio=wav, out=out, max_side=240, export_track=tmp_path / "t.json",
                           motion="lively", progress=lambda stage, detail: segments.append(detail) if stage == "motion" else None)
    assert len(segments) >= 3
    assert result.frames == n_frames(spoken.duration, 25.0)
    info = probe(out)
    assert info["frame_count"] == result.frames
    assert abs(info["audio_duration"] - spoken.duration) < 0.05
    track = load_track(tmp_path / "t.json")
    assert len(track) == result.frames
    # Every seam is cross-faded: no step of the head at a seam is larger than the
    # largest step the motion itself makes, and the words of every segment are there.
    steps = np.abs(np.diff(track.head_pose[:, :3], axis=0)).max(axis=1)
    assert steps.max() < 1.0, steps.max()
    said = plain(" ".join(w.text for w in track.words)).split()
    assert difflib.SequenceMatcher(a=said, b=plain(text).split()).ratio() >= 0.9
