"""speaker.timing: audio loading, pocketsphinx alignment and recognition (real components)."""

from __future__ import annotations

import difflib
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile

from speaker.errors import SpeakerError, SpeakerWarning
from speaker.settings import VoicePreset
from speaker.speech import synthesize
from speaker.timing import align, load_audio, recognize, resample, timeline_for_audio
from speaker.timing.core import AlignmentError, cover_timeline, load_backend
from speaker.timing.pocketsphinx.backend import chunk_bounds
from speaker.timing.pocketsphinx.text import guess_pronunciation, normalize_transcript, spoken_number
from speaker.types import PHONES, Phone

TEXT = "Peter picked a peck of pickled peppers, and the quick brown fox jumped over the lazy dog."
#: Largest median difference (seconds) allowed between piper's and pocketsphinx's times.
AGREEMENT = 0.060


def assert_covers(speech):
    assert speech.phones[0].start == 0.0
    assert speech.phones[-1].end == pytest.approx(speech.duration, abs=1e-9)
    for before, after in zip(speech.phones, speech.phones[1:]):
        assert before.end == pytest.approx(after.start, abs=1e-9)
        assert before.end > before.start
    assert {p.symbol for p in speech.phones} <= set(PHONES)


@pytest.fixture(scope="module")
def spoken():
    return synthesize(TEXT, VoicePreset(noise_scale=0.3, noise_w=0.3))


@pytest.fixture(scope="module")
def aligned(spoken):
    return align(spoken.samples, spoken.sample_rate, TEXT)


def matched_start_differences(reference, hypothesis):
    """|start difference| of items paired by symbol in order, seconds."""
    matcher = difflib.SequenceMatcher(a=[r[0] for r in reference], b=[h[0] for h in hypothesis], autojunk=False)
    return np.array([
        abs(hypothesis[block.b + k][1] - reference[block.a + k][1])
        for block in matcher.get_matching_blocks() for k in range(block.size)
    ])


def test_alignment_agrees_with_piper_phones(spoken, aligned):
    assert aligned.source == "pocketsphinx-align"
    assert_covers(aligned)
    ref = [(p.symbol, p.start) for p in spoken.phones if p.symbol != "SIL"]
    hyp = [(p.symbol, p.start) for p in aligned.phones if p.symbol != "SIL"]
    differences = matched_start_differences(ref, hyp)
    assert len(differences) >= 0.8 * len(ref)
    assert np.median(differences) < AGREEMENT


def test_alignment_words_agree_with_piper_words(spoken, aligned):
    assert [w.text for w in aligned.words] == [w.text for w in spoken.words]
    starts = np.array([abs(a.start - b.start) for a, b in zip(aligned.words, spoken.words)])
    ends = np.array([abs(a.end - b.end) for a, b in zip(aligned.words, spoken.words)])
    assert np.median(np.concatenate([starts, ends])) < AGREEMENT
    for before, after in zip(aligned.words, aligned.words[1:]):
        assert before.start < before.end <= after.start + 1e-9


def test_recognition_gives_a_plausible_timeline(spoken):
    heard = recognize(spoken.samples, spoken.sample_rate)
    assert heard.source == "pocketsphinx-phones" and heard.words == []
    assert_covers(heard)
    ref = [p.symbol for p in spoken.phones if p.symbol != "SIL"]
    hyp = [p.symbol for p in heard.phones if p.symbol != "SIL"]
    assert 0.4 * len(ref) < len(hyp) < 1.5 * len(ref)
    matched = sum(b.size for b in difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False).get_matching_blocks())
    assert matched > 0.25 * len(ref)
    # Speech is where piper spoke: the leading silence and the comma pause stay silent.
    assert heard.phones[0].symbol == "SIL"


def test_unalignable_transcript_falls_back_to_recognition_with_a_warning(spoken):
    with pytest.warns(SpeakerWarning, match="could not be aligned"):
        speech = align(spoken.samples, spoken.sample_rate, "日本語")
    assert speech.source == "pocketsphinx-phones"
    assert_covers(speech)
    with pytest.raises(SpeakerError, match="transcript is empty"):
        align(spoken.samples, spoken.sample_rate, " ?! ")


def test_strict_alignment_raises_instead_of_falling_back(spoken):
    with pytest.raises(AlignmentError):
        load_backend("pocketsphinx").align_strict(spoken.samples, spoken.sample_rate, "日本語")


def test_timeline_for_audio_chooses_by_transcript(spoken):
    # The first four words, cut a little after "peck" ends (a cut inside a word is misheard).
    samples = spoken.samples[: int((spoken.words[3].end + 0.15) * spoken.sample_rate)]
    with_words = timeline_for_audio(samples, spoken.sample_rate, "Peter picked a peck", method="auto")
    assert with_words.source == "pocketsphinx-align" and [w.text for w in with_words.words] == ["Peter", "picked", "a", "peck"]
    # Without a transcript, the whole sentence: Whisper hears a sentence cut after two
    # seconds less surely ("Keater pick" with piper's current noise).
    without = timeline_for_audio(spoken.samples, spoken.sample_rate, None, method="phones")
    assert without.source == "pocketsphinx-phones" and without.words  # recognised words kept for subtitles
    english = timeline_for_audio(spoken.samples, spoken.sample_rate, None, method="auto", language="en")
    assert english.source == "whisper+pocketsphinx-align" and english.phones
    heard = [w.text.strip(".,").lower() for w in english.words]
    # Whisper may drop the final /t/ of "picked" on a cut this short.
    assert heard[0] == "peter" and heard[1].startswith("pick")


def test_a_transcript_in_another_language_warns_and_uses_the_recogniser(spoken):
    samples = spoken.samples[: spoken.sample_rate * 2]
    with pytest.warns(SpeakerWarning, match="only in English"):
        speech = timeline_for_audio(samples, spoken.sample_rate, "Peter pickte", method="auto", language="de")
    assert speech.source.startswith("whisper+espeak-spread") and speech.phones


def test_out_of_dictionary_words_and_numbers_align():
    text = "Zorblax counted 42 frobnicated widgets."
    speech = synthesize(text, VoicePreset(noise_scale=0.0, noise_w=0.0))
    result = align(speech.samples, speech.sample_rate, text)
    assert result.source == "pocketsphinx-align"
    assert [w.text for w in result.words] == ["Zorblax", "counted", "42", "frobnicated", "widgets."]


def test_transcript_normalisation():
    assert spoken_number("1863") == "eighteen sixty three"
    assert spoken_number("1,205") == "one thousand two hundred five"
    assert spoken_number("3.5") == "three point five"
    assert spoken_number("21st") == "twenty first"
    assert normalize_transcript("Hello, world! It's 42.") == [
        ("hello", 0), ("world", 1), ("it's", 2), ("forty", 3), ("two", 3)]
    assert guess_pronunciation("zorblax") == "Z AO R B L AE K S"


def test_cover_timeline_fills_gaps():
    phones = cover_timeline([Phone("AA", 0.005, 0.3), Phone("B", 0.5, 0.6), Phone("M", 0.58, 0.7)], 1.0)
    assert [(p.symbol, round(p.start, 3), round(p.end, 3)) for p in phones] == [
        ("AA", 0.0, 0.3), ("SIL", 0.3, 0.5), ("B", 0.5, 0.59), ("M", 0.59, 0.7), ("SIL", 0.7, 1.0)]


def test_chunk_bounds_cut_at_quiet_points():
    rate = 1000
    samples = np.ones(50 * rate, np.float32)
    samples[17 * rate:17 * rate + 50] = 0.0  # a quiet moment within the search window
    bounds = chunk_bounds(samples, rate, max_seconds=20.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(samples)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert abs(bounds[0][1] - 17 * rate) < 60
    assert all(end - start <= 20 * rate for start, end in bounds)


# -- audio files -----------------------------------------------------------


@pytest.fixture(scope="module")
def tone():
    rate = 22050
    t = np.arange(int(1.5 * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate


@pytest.mark.parametrize("suffix", ["wav", "flac", "ogg"])
def test_load_audio_soundfile_formats(tmp_path, tone, suffix):
    samples, rate = tone
    path = tmp_path / f"tone.{suffix}"
    soundfile.write(str(path), np.stack([samples, samples], axis=1), rate)  # stereo -> mono
    loaded, loaded_rate = load_audio(path)
    assert loaded_rate == rate and loaded.dtype == np.float32 and loaded.ndim == 1
    assert len(loaded) == pytest.approx(len(samples), abs=2)
    assert np.max(np.abs(loaded)) == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("suffix", ["mp3", "m4a"])
def test_load_audio_through_ffmpeg(tmp_path, tone, suffix):
    samples, rate = tone
    wav = tmp_path / "tone.wav"
    soundfile.write(str(wav), samples, rate)
    path = tmp_path / f"tone.{suffix}"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(wav), str(path)], check=True)
    loaded, loaded_rate = load_audio(path)
    assert loaded_rate == rate
    assert abs(len(loaded) / loaded_rate - 1.5) < 0.1  # encoder padding only
    middle = loaded[len(loaded) // 4: 3 * len(loaded) // 4]
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)


def test_load_audio_errors(tmp_path, tone):
    samples, rate = tone
    with pytest.raises(SpeakerError, match="does not exist"):
        load_audio(tmp_path / "missing.wav")
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(SpeakerError, match="corrupt.mp3"):
        load_audio(corrupt)
    silent = tmp_path / "silent.wav"
    soundfile.write(str(silent), np.zeros(rate * 2, np.float32), rate)
    with pytest.raises(SpeakerError, match="silent"):
        load_audio(silent)
    short = tmp_path / "short.wav"
    soundfile.write(str(short), samples[: rate // 5], rate)
    with pytest.raises(SpeakerError, match="at least"):
        load_audio(short)


def test_resample_keeps_duration(tone):
    samples, rate = tone
    out = resample(samples, rate, 16000)
    assert out.dtype == np.float32 and len(out) == pytest.approx(len(samples) * 16000 / rate, abs=2)
