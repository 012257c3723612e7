"""The video stage with the real ffmpeg binary: encoding, atomic writes, probing, subtitles."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from speaker.errors import SpeakerError
from speaker.timebase import n_frames
from speaker.types import Word
from speaker.video import check_writable, probe, write_subtitles, write_video, write_video_segments
from speaker.video.subtitles import MAX_CUE_SECONDS, MAX_LINE_CHARS, MAX_LINES, format_timestamp, group_cues

WIDTH, HEIGHT, FPS, RATE = 96, 64, 25.0, 22050


def synthetic_frames(count: int, width: int = WIDTH, height: int = HEIGHT):
    """Frames whose red level encodes the frame number and whose green is a fixed ramp."""
    for index in range(count):
        frame = np.zeros((height, width, 3), np.uint8)
        frame[..., 0] = (index * 5) % 250
        frame[..., 1] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
        frame[..., 2] = 40
        yield frame


def tone(seconds: float) -> np.ndarray:
    times = np.arange(int(round(seconds * RATE))) / RATE
    return (0.3 * np.sin(2 * np.pi * 440.0 * times)).astype(np.float32)


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if ".partial-" in name or ".write-test-" in name)


@pytest.mark.parametrize("seconds", [2.0, 2.03])
def test_encodes_h264_aac_as_long_as_the_audio(tmp_path, seconds):
    samples = tone(seconds)
    count = n_frames(seconds, FPS)
    out = write_video(tmp_path / "clip.mp4", synthetic_frames(count), (WIDTH, HEIGHT), FPS, samples, RATE, count)
    assert out == tmp_path / "clip.mp4" and out.is_file()
    info = probe(out)
    assert info["video_codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["audio_codec"] == "aac" and info["sample_rate"] == RATE
    assert (info["width"], info["height"]) == (WIDTH, HEIGHT) and info["fps"] == FPS
    assert info["frame_count"] == count
    assert info["audio_duration"] == pytest.approx(seconds, abs=0.005)
    assert abs(info["video_duration"] - info["audio_duration"]) <= 1.0 / FPS
    assert leftovers(tmp_path) == []


def test_frames_arrive_in_order_and_in_rgb(tmp_path):
    count = 20
    write_video(tmp_path / "order.mp4", synthetic_frames(count), (WIDTH, HEIGHT), FPS, tone(count / FPS), RATE)
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "order.mp4"))
    meta = next(reader)
    assert tuple(meta["size"]) == (WIDTH, HEIGHT)
    decoded = [np.frombuffer(raw, np.uint8).reshape(HEIGHT, WIDTH, 3) for raw in reader]
    assert len(decoded) == count
    for index in (0, 7, 19):
        expected = next(f for i, f in enumerate(synthetic_frames(count)) if i == index)
        # Red carries the frame number, blue is constant: swapped channels or frames fail here.
        assert abs(float(decoded[index][..., 0].mean()) - expected[..., 0].mean()) < 4
        assert abs(float(decoded[index][..., 2].mean()) - 40) < 4


def test_frame_count_follows_n_frames(tmp_path):
    samples = tone(1.0)
    write_video(tmp_path / "short.mp4", synthetic_frames(10), (WIDTH, HEIGHT), FPS, samples, RATE, n_frames=25)
    assert probe(tmp_path / "short.mp4")["frame_count"] == 25  # last frame held

    consumed = []

    def counting(count):
        for index, frame in enumerate(synthetic_frames(count)):
            consumed.append(index)
            yield frame

    write_video(tmp_path / "long.mp4", counting(100), (WIDTH, HEIGHT), FPS, samples, RATE, n_frames=25)
    assert probe(tmp_path / "long.mp4")["frame_count"] == 25
    assert len(consumed) <= 26  # frames past the end are not rendered


def test_silent_video_without_audio(tmp_path):
    write_video(tmp_path / "silent.mp4", synthetic_frames(12), (WIDTH, HEIGHT), FPS, None, RATE)
    info = probe(tmp_path / "silent.mp4")
    assert info["frame_count"] == 12 and info["audio_codec"] is None


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_generator_failing_midway_leaves_no_file(tmp_path, failure):
    out = tmp_path / "broken.mp4"

    def failing():
        yield from synthetic_frames(10)
        raise failure("renderer crashed")

    with pytest.raises(failure, match="renderer crashed"):
        write_video(out, failing(), (WIDTH, HEIGHT), FPS, tone(2.0), RATE, 50)
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_the_previous_file(tmp_path):
    out = tmp_path / "talk.mp4"
    out.write_bytes(b"previous video")

    def failing():
        yield from synthetic_frames(3)
        raise ValueError("bad frame")

    with pytest.raises(ValueError):
        write_video(out, failing(), (WIDTH, HEIGHT), FPS, tone(1.0), RATE)
    assert out.read_bytes() == b"previous video"
    assert leftovers(tmp_path) == []


def test_wrong_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="even"):
        write_video(tmp_path / "odd.mp4", synthetic_frames(5, 95, 64), (95, 64), FPS, tone(0.2), RATE)
    with pytest.raises(ValueError, match="shape"):
        write_video(tmp_path / "bad.mp4", synthetic_frames(5, 64, 64), (WIDTH, HEIGHT), FPS, tone(0.2), RATE)
    assert os.listdir(tmp_path) == []


def test_unwritable_destinations_raise_speaker_errors(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(SpeakerError, match=r"^Cannot write to .*a-file: it is not a folder\.$"):
        check_writable(blocker / "out.mp4")
    with pytest.raises(SpeakerError, match="does not exist"):
        check_writable(tmp_path / "missing" / "out.mp4")
    with pytest.raises(SpeakerError, match="is a folder"):
        check_writable(tmp_path)

    started = []

    def frames():
        started.append(True)
        yield from synthetic_frames(5)

    # write_video checks before it renders anything.
    with pytest.raises(SpeakerError, match="Cannot write to"):
        write_video(tmp_path / "missing" / "out.mp4", frames(), (WIDTH, HEIGHT), FPS, tone(0.2), RATE)
    assert started == []
    check_writable(tmp_path / "fine.mp4")
    assert sorted(os.listdir(tmp_path)) == ["a-file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_raises_speaker_error(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(SpeakerError, match="Cannot write to .*locked"):
            check_writable(folder / "out.mp4")
    finally:
        folder.chmod(0o755)


# --- subtitles ------------------------------------------------------------------

SRT_TIME = r"(\d\d):(\d\d):(\d\d),(\d\d\d)"
VTT_TIME = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"


def _seconds(groups) -> float:
    hours, minutes, seconds, millis = map(int, groups)
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


SAMPLE_TEXT = (
    "Hello there. This is a rather long sentence that certainly will not fit on a single line "
    "of text, and keeps going well past five seconds of speech without a single stop"
)


def _sample_words() -> list[Word]:
    """Timed words of SAMPLE_TEXT, the comma as its own token (as a TTS front end may give it)."""
    words, time = [], 0.2
    for token in SAMPLE_TEXT.split():
        if token.endswith(","):
            words += [Word(token[:-1], time, time + 0.25), Word(",", time + 0.25, time + 0.25)]
        else:
            words.append(Word(token, time, time + 0.25))
        time += 0.3
        if token == "there.":
            time += 0.2
        if token == "line":
            time += 0.6  # a pause
    return words


def test_vtt_cue_text_escapes_what_webvtt_reads_as_markup(tmp_path):
    words = [Word("Smith", 0.0, 0.3), Word("&", 0.3, 0.4), Word("Sons:", 0.4, 0.8), Word("a<b", 0.8, 1.2)]
    srt_path, vtt_path = write_subtitles(words, tmp_path / "shop")
    assert "Smith & Sons: a<b" in srt_path.read_text(encoding="utf-8")  # SRT shows text as written
    assert "Smith &amp; Sons: a&lt;b" in vtt_path.read_text(encoding="utf-8")


def test_subtitles_are_valid_srt_and_vtt(tmp_path):
    words = _sample_words()
    srt_path, vtt_path = write_subtitles(words, tmp_path / "talk")
    assert (srt_path, vtt_path) == (tmp_path / "talk.srt", tmp_path / "talk.vtt")
    assert leftovers(tmp_path) == []

    blocks = srt_path.read_text(encoding="utf-8").strip().split("\n\n")
    cues = []
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        assert lines[0] == str(number)
        match = re.fullmatch(f"{SRT_TIME} --> {SRT_TIME}", lines[1])
        assert match, lines[1]
        start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:])
        text_lines = lines[2:]
        assert 1 <= len(text_lines) <= 2 and all(len(line) <= MAX_LINE_CHARS for line in text_lines)
        cues.append((start, end, " ".join(text_lines)))
    assert len(cues) == 3
    for (start, end, _), (next_start, _, _) in zip(cues, cues[1:]):
        assert start < end <= next_start
    assert all(end - start <= MAX_CUE_SECONDS for start, end, _ in cues)
    # Every word once, in order, the punctuation token glued on.
    assert " ".join(text for _, _, text in cues).split() == SAMPLE_TEXT.split()
    assert cues[0][2] == "Hello there."  # a sentence end closes the cue
    assert cues[0][0] == pytest.approx(0.2, abs=0.001)
    assert any(text.endswith(" line") for _, _, text in cues)  # the pause after "line" splits

    vtt = vtt_path.read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n")
    stamps = re.findall(f"^{VTT_TIME} --> {VTT_TIME}$", vtt, flags=re.MULTILINE)
    assert len(stamps) == len(cues)
    assert [(_seconds(s[:4]), _seconds(s[4:])) for s in stamps] == [(c[0], c[1]) for c in cues]
    assert "," not in "".join(re.findall(r"\d\d:\d\d:\d\d.\d\d\d", vtt))


LINCOLN = ("Four score and seven years ago our fathers brought forth on this continent a new nation, "
           "conceived in liberty, and dedicated to the proposition that all men are created equal and")


def _spoken(text: str, speaker: str, start: float) -> list[Word]:
    """Words 0.3 s apart with no pause, each naming its speaker (as a dialogue gives them)."""
    return [Word(token, start + 0.3 * index, start + 0.3 * index + 0.25, speaker)
            for index, token in enumerate(text.split())]


def _cue_texts(subtitles: str, first_text_line: int) -> list[str]:
    """Each cue's text lines joined by newlines (the blocks of an .srt, or of a .vtt after its header)."""
    return ["\n".join(block.split("\n")[first_text_line:]) for block in subtitles.strip().split("\n\n")]


def test_every_cue_of_a_dialogue_names_its_speaker_and_holds_only_their_words(tmp_path):
    """Lincoln's unfinished line runs on into Grace's without a pause: only the new speaker ends his last cue."""
    lincoln = _spoken(LINCOLN, "Lincoln", 0.5)
    grace = _spoken("Indeed.", "Grace", lincoln[-1].end + 0.05)
    srt_path, vtt_path = write_subtitles(lincoln + grace, tmp_path / "dialogue")

    srt_cues = _cue_texts(srt_path.read_text(encoding="utf-8"), 2)
    assert len(srt_cues) >= 4  # the long line needs several cues
    assert all(len(line) <= MAX_LINE_CHARS for cue in srt_cues for line in cue.split("\n"))
    said = []
    for cue in srt_cues:
        name, _, text = cue.partition(": ")
        assert name in ("Lincoln", "Grace") and "Lincoln:" not in text and "Grace:" not in text, cue
        said.append((name, text.split()))
    assert said[-1] == ("Grace", ["Indeed."])  # not joined by "and", the last word of Lincoln's line
    assert [word for name, words in said[:-1] for word in words] == LINCOLN.split()
    assert {name for name, _ in said[:-1]} == {"Lincoln"}

    vtt = vtt_path.read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n")
    vtt_cues = _cue_texts(vtt.removeprefix("WEBVTT\n\n"), 1)
    expected = [f"<v {name}>{cue}</v>" for (name, _), cue in zip(said, srt_cues)]
    assert vtt_cues == expected and len(vtt_cues) == len(srt_cues)


def test_a_speakers_name_is_escaped_in_the_voice_span(tmp_path):
    _, vtt_path = write_subtitles(_spoken("Hello.", "Tom & Jerry", 0.2), tmp_path / "escaped")
    assert "<v Tom &amp; Jerry>Tom &amp; Jerry: Hello.</v>" in vtt_path.read_text(encoding="utf-8")


def test_words_without_a_speaker_give_cues_without_names(tmp_path):
    srt_path, vtt_path = write_subtitles(_sample_words(), tmp_path / "talk")
    assert "<v" not in vtt_path.read_text(encoding="utf-8")
    assert srt_path.read_text(encoding="utf-8").split("\n")[2] == "Hello there."


def test_slow_speech_is_split_at_five_seconds(tmp_path):
    words = [Word(f"w{index}", 0.5 * index, 0.5 * index + 0.45) for index in range(30)]  # 15 s, no pauses
    srt_path, _ = write_subtitles(words, tmp_path / "slow")
    times = re.findall(f"{SRT_TIME} --> {SRT_TIME}", srt_path.read_text())
    spans = [(_seconds(t[:4]), _seconds(t[4:])) for t in times]
    assert len(spans) >= 3
    assert all(end - start <= MAX_CUE_SECONDS for start, end in spans)


def _steady(text: str, step: float = 0.3) -> list[Word]:
    """The words of ``text`` at an even pace, without pauses."""
    return [Word(token, step * index, step * index + 0.25) for index, token in enumerate(text.split())]


def _assert_within_limits(cues) -> None:
    for cue in cues:
        assert len(cue.lines) <= MAX_LINES and all(len(line) <= MAX_LINE_CHARS for line in cue.lines), cue
        assert cue.end - cue.start <= MAX_CUE_SECONDS + 1e-9, cue


#: Plain words before and after a phrase, so that a line or cue limit falls somewhere in it for some lead.
_LEAD = "the old painter walked slowly along the river every morning with his dog and then".split()
_TAIL = "went home and slept in the small house by the quiet river bank."


@pytest.mark.parametrize("phrase", [
    "Mr. Hayes", "St. Louis", "Dr. Smith", "J. Smith", "e.g. oil", "Oct. 4, 1822", "May 24, 1883", "Sept. 1862",
    "4 July 1776", "$1.5 million", "1.5 million dollars", "44 BC", "AD 800", "Baker St.",
])
def test_no_cue_or_line_ends_inside_words_read_together(phrase):
    """Wherever the limits fall (each lead of plain words moves them), the phrase stays in one line of one cue."""
    for lead in range(len(_LEAD) + 1):
        text = " ".join([*_LEAD[:lead], phrase, _TAIL])
        cues = group_cues(_steady(text))
        shown = " | ".join(" / ".join(cue.lines) for cue in cues)
        assert phrase in shown, shown
        assert " ".join(shown.replace(" | ", " ").replace(" / ", " ").split()) == text
        _assert_within_limits(cues)


def test_a_comma_in_a_date_does_not_end_the_cue_but_the_comma_after_it_does():
    words = _steady("Rutherford Hayes was born on Oct. 4, 1822, in Delaware, Ohio, to a family of farmers.")
    expected = ["Rutherford Hayes was born on Oct. 4, 1822,", "in Delaware, Ohio, to a family of farmers."]
    assert [" ".join(cue.lines) for cue in group_cues(words)] == expected
    # Nor does a pause there, as a speaker may make at the comma.
    paused = words[:7] + [replace(word, start=word.start + 0.5, end=word.end + 0.5) for word in words[7:]]
    assert [" ".join(cue.lines) for cue in group_cues(paused)] == expected


def test_a_sentences_last_word_takes_the_name_before_it_whole():
    """The cue is full before "today."; "Hayes" alone would leave "Mr." at the end of the cue before."""
    text = "He was the first to shake hands with Mr. Hayes today."
    step = (MAX_CUE_SECONDS + 0.05) / (len(text.split()) - 1)
    words = [Word(token, index * step, (index + 1) * step) for index, token in enumerate(text.split())]
    assert [" ".join(cue.lines) for cue in group_cues(words)] == [
        "He was the first to shake hands with", "Mr. Hayes today."]


def test_words_read_together_that_no_cue_holds_are_split_at_the_limits():
    cues = group_cues(_steady("Dr. J. R. R. Tolkien", step=1.4))  # 5.85 s said together
    assert [" ".join(cue.lines) for cue in cues] == ["Dr. J. R. R.", "Tolkien"]
    _assert_within_limits(cues)


def test_sentences_without_words_read_together_break_as_before():
    text = ("Four score and seven years ago our fathers brought forth on this continent a new nation, conceived "
            "in liberty, and dedicated to the proposition that all men are created equal. Now we are engaged in "
            "a great civil war, testing whether that nation, or any nation so conceived and so dedicated, can "
            "long endure.")
    assert [cue.lines for cue in group_cues(_steady(text))] == [
        ["Four score and seven years ago our fathers", "brought forth on this continent a new"],
        ["nation, conceived in liberty, and", "dedicated to the proposition that all men"],
        ["are created equal."],
        ["Now we are engaged in a great civil war,"],
        ["testing whether that nation, or any", "nation so conceived and so dedicated,"],
        ["can long endure."],
    ]


def test_timestamp_formats():
    assert format_timestamp(1.2344, ",") == "00:00:01,234"
    assert format_timestamp(3723.4567, ".") == "01:02:03.457"
    assert format_timestamp(59.9996, ",") == "00:01:00,000"


def test_no_words_gives_empty_but_valid_files(tmp_path):
    srt_path, vtt_path = write_subtitles([], tmp_path / "v1.2")
    assert srt_path.name == "v1.2.srt" and srt_path.read_text() == ""
    assert vtt_path.read_text().startswith("WEBVTT")


def _decoded_audio(path: Path) -> np.ndarray:
    import subprocess

    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32)


def test_segments_keep_their_audio_in_order_and_in_time(tmp_path):
    # Three segments, each a tone of its own pitch: the AAC encoded beside the frames
    # must come out as long as the input and with the pitches where they were.
    pitches, seconds = (300.0, 600.0, 1200.0), 1.0
    times = np.arange(int(seconds * RATE)) / RATE
    segments = [((0.3 * np.sin(2 * np.pi * pitch * times)).astype(np.float32), synthetic_frames(int(seconds * FPS)))
                for pitch in pitches]
    out = tmp_path / "segments.mp4"
    write_video_segments(out, iter(segments), (WIDTH, HEIGHT), FPS, RATE)
    info = probe(out)
    assert info["audio_codec"] == "aac" and info["frame_count"] == 3 * int(seconds * FPS)
    assert abs(info["audio_samples"] - 3 * len(times)) <= 1
    audio = _decoded_audio(out)
    for index, pitch in enumerate(pitches):
        middle = audio[int((index + 0.25) * RATE):int((index + 0.75) * RATE)]
        spectrum = np.abs(np.fft.rfft(middle))
        assert abs(np.argmax(spectrum) * RATE / len(middle) - pitch) < 5
    assert leftovers(tmp_path) == []


def test_segments_failing_midway_leave_nothing(tmp_path):
    def segments():
        yield tone(1.0), synthetic_frames(25)
        raise RuntimeError("the renderer broke")

    with pytest.raises(RuntimeError, match="renderer broke"):
        write_video_segments(tmp_path / "broken.mp4", segments(), (WIDTH, HEIGHT), FPS, RATE)
    assert os.listdir(tmp_path) == []
