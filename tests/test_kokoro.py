"""speaker.speech.kokoro: the real Kokoro-82M model speaking every shipped preset."""

from __future__ import annotations

import re
from pathlib import Path

import onnx
import numpy as np
import pytest

from speaker.errors import SpeakerError
from speaker.motion.articulation import articulation_from_phones
from speaker.settings import list_voices, load_voice_preset, speaks, voice_for_language
from speaker.speech import load_voice, synthesize
from speaker.speech.kokoro import model
from speaker.types import ARTICULATION_NAMES, PHONES

#: One sentence per language, with bilabials and rounded vowels in each.
SENTENCES = {
    "en": "Bob made maps of the moon.",
    "zh": "我们明天去北京买面包。",
    "fr": "Bonjour, je m'appelle Marie.",
    "es": "Buenos días, me llamo Pedro.",
    "it": "Buongiorno, mi chiamo Paolo.",
}
CLOSURE = ARTICULATION_NAMES.index("lip_closure")
ROUND = ARTICULATION_NAMES.index("lip_round")


def sentence_for(preset) -> str:
    return SENTENCES[preset.language.split("-")[0]]


def assert_covers(speech) -> None:
    phones = speech.phones
    assert phones[0].start == 0.0
    assert phones[-1].end == pytest.approx(speech.duration, abs=1e-9)
    for before, after in zip(phones, phones[1:]):
        assert before.end == pytest.approx(after.start, abs=1e-9)
    assert {phone.symbol for phone in phones} <= set(PHONES)


@pytest.mark.parametrize("name", [preset.name for preset in list_voices()])
def test_every_preset_speaks_a_sentence(name):
    preset = load_voice_preset(name)
    text = sentence_for(preset)
    speech = synthesize(text, preset)
    assert 0.8 < speech.duration < 6.0
    assert float(np.sqrt(np.mean(speech.samples ** 2))) > 0.02
    assert float(np.max(np.abs(speech.samples))) <= 1.0
    assert_covers(speech)
    spoken = [phone for phone in speech.phones if phone.symbol != "SIL"]
    assert len(spoken) >= 10
    assert speech.words and speech.words[0].start < speech.words[-1].end <= speech.duration + 1e-9


def lip_closure_at_bilabials(speech) -> list[float]:
    times = np.arange(0.0, speech.duration, 0.01)
    articulation = articulation_from_phones(speech.phones, times)
    peaks = []
    for phone in speech.phones:
        if phone.symbol in ("M", "B", "P"):
            inside = (times >= phone.start) & (times < phone.end)
            peaks.append(float(articulation[inside, CLOSURE].max()) if inside.any() else 0.0)
    return peaks


@pytest.mark.parametrize("name, expected", [("heart", ["B", "B", "M", "M", "P", "M"]), ("xiaoxiao", ["M", "M", "P", "M", "M", "P"])])
def test_timeline_closes_the_lips_on_bilabials(name, expected):
    preset = load_voice_preset(name)
    speech = synthesize(sentence_for(preset), preset)
    assert speech.source == "kokoro"
    assert_covers(speech)
    assert [phone.symbol for phone in speech.phones if phone.symbol in ("M", "B", "P")] == expected
    closures = lip_closure_at_bilabials(speech)
    assert min(closures) > 0.8, closures


def test_mandarin_rounds_the_lips_and_keeps_tones_out_of_the_silences():
    speech = synthesize("我们明天去北京买面包。", load_voice_preset("xiaoxiao"))
    inner = speech.phones[1:-1]
    # Tone arrows lengthen their vowel; they are no pauses.
    assert all(phone.symbol != "SIL" for phone in inner)
    times = np.arange(0.0, speech.duration, 0.01)
    articulation = articulation_from_phones(speech.phones, times)
    rounded = [p for p in speech.phones if p.symbol in ("OW", "UW")]
    assert rounded
    for phone in rounded:
        inside = (times >= phone.start) & (times < phone.end)
        assert articulation[inside, ROUND].max() > 0.4


def test_mandarin_words_are_characters_timed_in_order():
    speech = synthesize("我们明天去北京买面包。", load_voice_preset("yunxi"))
    assert [word.text for word in speech.words] == list("我们明天去北京买面") + ["包。"]
    for before, after in zip(speech.words, speech.words[1:]):
        assert before.start < after.start and before.end <= after.start + 1e-9


def voiced_frames(speech, silent_db: float = -40.0) -> np.ndarray:
    """One bool per 10 ms frame: louder than ``silent_db`` below the loudest frame."""
    hop = speech.sample_rate // 100
    count = len(speech.samples) // hop
    rms = np.sqrt(np.mean(speech.samples[: count * hop].reshape(count, hop).astype(np.float64) ** 2, axis=1))
    return rms > rms.max() * 10.0 ** (silent_db / 20.0)


@pytest.mark.parametrize("name", ["heart", "michael"])
def test_words_end_where_their_sound_ends_and_start_where_it_starts(name):
    # The model's duration of each token is that of the next one's sound; read as
    # its own, a word before a comma or full stop held the pause (0.15-0.5 s of
    # silence) and every word came about 50 ms late.
    speech = load_voice(load_voice_preset(name)).synthesize("Bob made maps, and then he went home.")
    voiced = voiced_frames(speech)
    sounding = np.flatnonzero(voiced) * 0.01
    words = {word.text: word for word in speech.words}
    assert list(words) == ["Bob", "made", "maps,", "and", "then", "he", "went", "home."]
    assert abs(words["Bob"].start - sounding[0]) < 0.05
    assert abs(words["home."].end - (sounding[-1] + 0.01)) < 0.05
    # The comma's pause: where the sound stops after "maps," and starts again at "and".
    pause = [t for t in np.flatnonzero(~voiced) * 0.01 if words["maps,"].start < t < words["and"].end]
    quiet = max((list(group) for group in np.split(np.array(pause), np.flatnonzero(np.diff(pause) > 0.015) + 1)),
                key=len)
    assert quiet[-1] - quiet[0] > 0.1, "the comma makes a pause"
    assert abs(words["maps,"].end - quiet[0]) < 0.05
    assert abs(words["and"].start - (quiet[-1] + 0.01)) < 0.05
    # Each word spans its phones: it starts and ends at phone boundaries, holds no
    # silence, and words do not overlap.
    for before, after in zip(speech.words, speech.words[1:]):
        assert before.end <= after.start + 1e-9
    for word in speech.words:
        inside = [p for p in speech.phones if word.start - 1e-9 <= p.start and p.end <= word.end + 1e-9]
        assert inside and all(p.symbol != "SIL" for p in inside), word
        assert inside[0].start == pytest.approx(word.start) and inside[-1].end == pytest.approx(word.end)


def test_same_text_same_audio():
    preset = load_voice_preset("siwis")
    first = synthesize("Bonjour à tous.", preset, seed=3)
    second = synthesize("Bonjour à tous.", preset, seed=3)
    assert np.array_equal(first.samples, second.samples)


def test_long_sentence_is_split_for_the_model(monkeypatch):
    from speaker.speech.kokoro import voice as kokoro_voice

    # The model takes 510 tokens; a small limit splits a short sentence the same way.
    monkeypatch.setattr(kokoro_voice, "CHUNK_TOKENS", 40)
    text = ", ".join(["the moon was bright over the bay"] * 3) + "."
    assert len(kokoro_voice._chunk(list("ab, " * 30), 40)) == 3
    speech = load_voice(load_voice_preset("michael")).synthesize(text)
    assert speech.duration > 4.0
    assert_covers(speech)
    assert [word.text for word in speech.words] == text.split()


def test_model_is_assembled_once_with_a_duration_output(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEAKER_CACHE", str(tmp_path / "cache"))
    path = model.model_path()
    assert path.parent == tmp_path / "cache"
    assert [p.name for p in path.parent.iterdir()] == [model.CACHED_NAME]  # no partial file left
    graph = onnx.load(str(path), load_external_data=False)
    assert [output.name for output in graph.graph.output] == ["audio", model.DURATION_OUTPUT]
    modified = path.stat().st_mtime_ns
    assert model.model_path() == path and path.stat().st_mtime_ns == modified


def test_corrupt_model_part_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEAKER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(model, "MODEL_SHA256", "0" * 64)
    with pytest.raises(SpeakerError, match="corrupt"):
        model.model_path()
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_unknown_kokoro_voice_and_language():
    preset = load_voice_preset("heart")
    with pytest.raises(SpeakerError, match="No Kokoro voice 'af_nobody'"):
        load_voice(preset.model_copy(update={"kokoro_voice": "af_nobody"}))
    with pytest.raises(SpeakerError, match="not 'de'"):
        load_voice(preset.model_copy(update={"language": "de"}))


def test_languages_pick_their_default_voice():
    assert voice_for_language("zh").name == "xiaoxiao"
    assert voice_for_language("fr").name == "siwis"
    assert voice_for_language("en-GB").name == "emma"
    assert voice_for_language("en").name == "default"
    assert speaks(load_voice_preset("heart"), "en") and not speaks(load_voice_preset("heart"), "en-GB")
    with pytest.raises(SpeakerError, match="No bundled voice speaks 'de'.*Piper voice"):
        voice_for_language("de")


def test_chinese_subtitles_are_written_without_spaces_and_timed_by_character():
    from speaker.video.subtitles import MAX_LINE_CJK_CHARS, group_cues

    text = "世上本没有路，走的人多了，也便成了路。鲁迅先生说过这句话。"
    speech = synthesize(text, load_voice_preset("yunxi"))
    cues = group_cues(speech.words)
    lines = [line for cue in cues for line in cue.lines]
    assert "".join(lines) == text
    assert all(len(line) <= MAX_LINE_CJK_CHARS for line in lines)
    assert lines[0] == "世上本没有路，走的人多了，"
    for before, after in zip(cues, cues[1:]):
        assert before.end <= after.start + 1e-9


def test_an_english_kokoro_voice_says_years_and_abbreviations_as_spoken_and_subtitles_them_as_written():
    from speaker.video.subtitles import group_cues

    voice = load_voice(load_voice_preset("heart"))
    assert voice.phonemize("in 1822") == voice.phonemize("in eighteen twenty-two")
    assert voice.phonemize("on Oct. 4") == voice.phonemize("on October 4")
    sentence = "Mr. Hayes was born on Oct. 4, 1822, in Ohio."
    speech = voice.synthesize(sentence)
    assert [word.text for word in speech.words] == sentence.split()
    assert_covers(speech)
    by_text = {word.text: word for word in speech.words}
    assert by_text["1822,"].end - by_text["1822,"].start > 3 * (by_text["on"].end - by_text["on"].start)
    # No pause at "Mr." or "Oct.": they were said "Mister" and "October", without a full stop.
    inner = [phone for phone in speech.phones[1:-1] if phone.symbol == "SIL" and phone.end - phone.start > 0.25]
    assert not any(by_text["Mr."].start <= phone.start <= by_text["Oct."].end for phone in inner)
    assert [" ".join(cue.lines) for cue in group_cues(speech.words)][0].startswith("Mr. Hayes was born on Oct. 4,")
    # A voice of another language is given the text as written.
    french = load_voice(load_voice_preset("siwis"))
    assert french.phonemize("en 1822") != french.phonemize("en eighteen twenty-two")


@pytest.mark.slow
def test_mandarin_video_end_to_end(grace_hopper_path, tmp_path):
    from speaker import speak

    out = tmp_path / "luxun.mp4"
    result = speak(grace_hopper_path, text="我们明天去北京。", out=out, language="zh", max_side=320)
    assert result.timing_source == "kokoro" and result.audio_seconds > 1.0
    srt = out.with_suffix(".srt").read_text(encoding="utf-8")
    assert "我们明天去北京。" in srt


@pytest.mark.slow
def test_studio_pages_automatic_voice_speaks_chinese_text_with_the_mandarin_voice(grace_hopper_path):
    from speaker.studio.web_adapter import AUTOMATIC_VOICE, Studio

    studio = Studio()
    assert studio.voice_choices()[0][1] == AUTOMATIC_VOICE
    result = studio.make_video(str(grace_hopper_path), "你好。", None, None, max_side=320)
    assert result.video is not None, result.message
    assert "written in Chinese, so the voice xiaoxiao (zh) speaks it" in result.message
    english = studio.make_video(str(grace_hopper_path), "Hello.", None, None, max_side=320)
    assert english.video is not None and "Note" not in english.message, english.message


@pytest.mark.slow
def test_studio_page_speaks_text_with_a_kokoro_voice(grace_hopper_path):
    # The page's language field (default "en") is the recording's: a Mandarin voice reads text all the same.
    from speaker.studio.web_adapter import Studio

    result = Studio().make_video(str(grace_hopper_path), "你好。", None, None, voice="yunxi", language="en",
                                 max_side=320)
    assert result.video is not None, result.message


@pytest.mark.slow
def test_a_french_recordings_transcript_gives_the_subtitles_its_own_words(tmp_path):
    """Forced alignment knows English only: a French transcript's words are timed by Whisper's and
    written as the transcript writes them ("neuf", "Mona Lisa", its commas), not as Whisper heard them."""
    import soundfile

    from speaker import pipeline

    said = "Le musée du Louvre, à Paris, ouvre ses portes à neuf heures. Mona Lisa vous attend."
    speech = synthesize(said, load_voice_preset("siwis"))
    soundfile.write(str(tmp_path / "visite.wav"), speech.samples, speech.sample_rate)
    result = pipeline.speak(Path(__file__).parent / "data" / "grace_hopper.heic", audio=tmp_path / "visite.wav",
                            transcript=said, language="fr", out=tmp_path / "visite.mp4", max_side=256, fps=10)
    assert any("aligned sound by sound only in English" in note for note in result.warnings)
    subtitles = (tmp_path / "visite.srt").read_text(encoding="utf-8")
    cues = re.findall(r"^\d\d:\d\d:\d\d,\d\d\d --> .*\n((?:.+\n?)+)", subtitles, flags=re.MULTILINE)
    assert " ".join(" ".join(cue.split()) for cue in cues) == said
