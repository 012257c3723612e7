"""The command line as a user meets it: help, voices, and one clear sentence for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


def run_speaker(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "speaker", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def assert_user_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("speaker: error: ")
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]


def test_help_lists_examples_and_is_instant():
    done = run_speaker("--help")
    assert done.returncode == 0
    assert "--image" in done.stdout and "examples:" in done.stdout and "speaker demo" in done.stdout
    # --help must not import the heavy stages.
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, speaker.cli as c\ntry: c.main(['--help'])\nexcept SystemExit: pass\n"
         "print(sorted(m for m in ('piper','dlib','pocketsphinx','onnxruntime','cv2') if m in sys.modules))"],
        capture_output=True, text=True)
    assert probe.stdout.strip().endswith("[]"), probe.stdout


def test_version_and_voices():
    assert run_speaker("--version").stdout.startswith("speaker ")
    done = run_speaker("voices")
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert {"default", "orator"} <= set(names)


@pytest.fixture()
def out(tmp_path) -> Path:
    return tmp_path / "result" / "out.mp4"


def assert_nothing_written(out: Path) -> None:
    folder = out.parent
    assert not out.exists()
    if folder.exists():
        assert list(folder.iterdir()) == []


def test_neither_text_nor_audio(grace_hopper_path, tmp_path):
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "-o", out), "--text", "--audio", "--drive",
                      "speaker animate")
    assert not out.exists()


def test_text_and_audio_together(grace_hopper_path, tmp_path):
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"")
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "hi", "--audio", wav, "-o", out), "not both")
    assert not out.exists()


@pytest.mark.parametrize("text", ["", "   ", "?!... --"])
def test_empty_or_punctuation_text(grace_hopper_path, tmp_path, text):
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", text, "-o", out), "empty")
    assert not out.exists()


def test_missing_image(tmp_path):
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", tmp_path / "nope.jpg", "--text", "Hello", "-o", out), "nope.jpg")
    assert not out.exists()


def test_corrupt_image(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", bad, "--text", "Hello", "-o", out), "bad.jpg")
    assert not out.exists()


def test_no_face(noise_image_path, tmp_path):
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", noise_image_path, "--text", "Hello", "-o", out), "face")
    assert not out.exists()


def test_face_index_out_of_range(grace_hopper_path, tmp_path):
    out = tmp_path / "out.mp4"
    done = run_speaker("--image", grace_hopper_path, "--text", "Hello", "--face", "3", "-o", out)
    assert_user_error(done, "1 face")
    assert not out.exists()


def test_unknown_voice(grace_hopper_path, tmp_path):
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "Hi", "--voice", "martian", "-o", out),
                      "martian", "orator")
    assert not out.exists()
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "Hi", "--voice", tmp_path / "mine.toml",
                                  "-o", out), "mine.toml does not exist", "speaker voices")


def test_unwritable_output_folder(grace_hopper_path, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = blocker / "out.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "Hello", "-o", out), "write")


def test_an_output_named_as_a_folder_or_another_format_is_refused_before_any_work(grace_hopper_path, tmp_path):
    (tmp_path / "films").mkdir()
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "Hello", "-o", tmp_path / "films"),
                      "films: it is a folder", "speaker.mp4")
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "Hello", "-o", tmp_path / "talk.gif"),
                      "talk.gif", "MP4", "talk.mp4")
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "Hello", "-o", tmp_path / "talk"),
                      "talk", "suffix", "talk.mp4")
    # No subtitles beside the folder (the video was once made, failed to move, and they stayed).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["films"] and list((tmp_path / "films").iterdir()) == []


def test_an_output_ending_in_a_slash_names_a_folder_and_is_refused(grace_hopper_path, tmp_path):
    done = run_speaker("--image", grace_hopper_path, "--text", "Hello", "-o", f"{tmp_path / 'videos'}/")
    assert done.returncode == 2 and done.stderr.strip().splitlines()[-1].endswith(
        "videos/ names a folder; give a file name in it, such as " + f"{tmp_path / 'videos'}/speaker.mp4")
    assert list(tmp_path.iterdir()) == []  # not a file named 'videos' with videos.srt beside it


def test_extras_named_as_formats_they_are_not_written_in_are_refused_before_any_work(grace_hopper_path, tmp_path):
    out = tmp_path / "talk.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "Hello", "-o", out,
                                  "--export-mouth-cues", tmp_path / "talk.xyz"), ".tsv or .json", "'.xyz'")
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "Hello", "-o", out,
                                  "--preview", tmp_path / "sheet.gif"), "contact sheet", "'.gif'", ".png or .jpg")
    assert_user_error(run_speaker("faces", "--image", grace_hopper_path, "-o", tmp_path / "faces.gif"),
                      "picture of the faces", "'.gif'")
    assert list(tmp_path.iterdir()) == []


def test_a_picture_is_written_in_the_format_its_name_says(grace_hopper_path, tmp_path):
    for name, magic in (("faces.jpg", b"\xff\xd8\xff"), ("faces.png", b"\x89PNG")):
        done = run_speaker("faces", "--image", grace_hopper_path, "-o", tmp_path / name, "-q")
        assert done.returncode == 0, done.stderr
        assert (tmp_path / name).read_bytes()[:len(magic)] == magic


def test_missing_text_file(grace_hopper_path, tmp_path):
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text-file", tmp_path / "script.txt", "-o", out),
                      "script.txt")


def test_transcript_without_audio(grace_hopper_path, tmp_path):
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "--text", "Hi", "--transcript", "hi", "-o", out),
                      "--audio")


def _write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    import soundfile

    soundfile.write(str(path), samples.astype(np.float32), rate)
    return path


def test_silent_audio(grace_hopper_path, tmp_path):
    wav = _write_wav(tmp_path / "silence.wav", np.zeros(16000 * 2))
    out = tmp_path / "out" / "x.mp4"
    out.parent.mkdir()
    assert_user_error(run_speaker("--image", grace_hopper_path, "--audio", wav, "-o", out), "silent")
    assert_nothing_written(out)


def test_a_recording_cut_short_is_one_sentence(grace_hopper_path, tmp_path):
    rng = np.random.default_rng(0)
    whole = _write_wav(tmp_path / "talk.flac", 0.2 * rng.standard_normal(16000 * 4))
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])  # a download that stopped
    out = tmp_path / "out" / "x.mp4"
    out.parent.mkdir()
    assert_user_error(run_speaker("--image", grace_hopper_path, "--audio", cut, "-o", out), "cut.flac",
                      "the file is damaged")
    assert_nothing_written(out)


def test_too_short_audio(grace_hopper_path, tmp_path):
    tone = 0.3 * np.sin(np.arange(1600) * 2 * np.pi * 220 / 16000)
    wav = _write_wav(tmp_path / "blip.wav", tone)
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "--audio", wav, "-o", out), "short")
    assert not out.exists()


def test_corrupt_audio(grace_hopper_path, tmp_path):
    bad = tmp_path / "narration.mp3"
    bad.write_bytes(np.random.default_rng(2).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    out = tmp_path / "out.mp4"
    assert_user_error(run_speaker("--image", grace_hopper_path, "--audio", bad, "-o", out), "narration.mp3")
    assert not out.exists()


def test_render_without_audio_tells_in_one_line_that_the_video_is_silent(grace_hopper_path, tmp_path):
    """A track holds no sound; a forgotten --audio is told, and a given one is muxed without that line."""
    import imageio_ffmpeg

    from speaker import face, motion

    def loudest(video: Path) -> float:
        raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(video), "-f", "f32le", "-ac", "1",
                              "-"], capture_output=True, check=True).stdout
        return float(np.abs(np.frombuffer(raw, np.float32)).max())

    track = tmp_path / "hopper.json"  # half a second alive, as 'speaker animate --export-track' writes it
    motion.save_track(motion.idle_track(face.load_portrait(grace_hopper_path), 0.5, 25.0), track)
    silent = run_speaker("render", "--image", grace_hopper_path, "--track", track, "-o", tmp_path / "silent.mp4",
                         "--no-subtitles", "-q")
    assert silent.returncode == 0, silent.stderr
    assert silent.stderr.splitlines() == [
        "speaker: warning: No --audio given: the video is silent (give --audio FILE to mux the track's recording)."]
    assert loudest(tmp_path / "silent.mp4") == 0.0

    tone = _write_wav(tmp_path / "hopper.wav", 0.3 * np.sin(np.arange(8000) * 2 * np.pi * 220 / 16000))
    sounding = run_speaker("render", "--image", grace_hopper_path, "--track", track, "--audio", tone,
                           "-o", tmp_path / "sounding.mp4", "--no-subtitles", "-q")
    assert sounding.returncode == 0, sounding.stderr
    assert sounding.stderr == ""
    assert loudest(tmp_path / "sounding.mp4") > 0.1


def test_voices_json_lists_every_preset():
    import json

    done = run_speaker("voices", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert all(set(row) == {"name", "language", "gender", "engine", "description"} for row in rows)
    by_name = {row["name"]: row for row in rows}
    assert by_name["heart"]["gender"] == "female" and by_name["heart"]["engine"] == "kokoro"
    assert by_name["xiaoxiao"]["language"] == "zh" and by_name["default"]["engine"] == "piper"
    assert {row["language"] for row in rows} >= {"en-US", "en-GB", "zh", "fr", "es", "it"}


def test_voices_has_help_like_every_subcommand_and_a_closed_pipe_is_no_error():
    done = run_speaker("voices", "--help")
    assert done.returncode == 0 and "--json" in done.stdout and "voice presets" in done.stdout
    assert run_speaker("voices", "--jsn").returncode == 2
    # `speaker voices --json | head -1`: the reader left (here before the listing is written), and no
    # traceback follows.
    listing = subprocess.Popen([sys.executable, "-m", "speaker", "voices", "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    listing.stdout.close()
    said = listing.stderr.read().decode()
    assert listing.wait() == 141 and "Traceback" not in said and "Exception ignored" not in said, said


def test_a_word_that_is_no_command_is_told_with_the_command_meant(grace_hopper_path):
    for word, meant in (("idle", "speaker animate"), ("voics", "speaker voices")):
        done = run_speaker(word)
        assert done.returncode == 2 and f"Unknown command '{word}' (did you mean '{meant}'?)" in done.stderr
        assert done.stderr.count("\n") == 1  # one line, no usage dump
    done = run_speaker(grace_hopper_path)
    assert done.returncode == 2 and "without its flag" in done.stderr and "--image PHOTO" in done.stderr


def test_language_without_a_voice_is_refused(grace_hopper_path, out):
    done = run_speaker("--image", grace_hopper_path, "--language", "de", "--text", "Guten Tag", "-o", out)
    assert_user_error(done, "'de'", "Piper voice", "--voice")
    assert_nothing_written(out)


def test_voice_that_does_not_speak_the_language_is_refused(grace_hopper_path, out):
    done = run_speaker("--image", grace_hopper_path, "--voice", "heart", "--language", "zh", "--text", "你好", "-o", out)
    assert_user_error(done, "heart", "en-US", "'zh'")
    assert_nothing_written(out)


def test_faces_lists_and_draws_a_photos_faces_as_face_counts_them(grace_hopper_path, tmp_path):
    from PIL import Image

    grace = Image.open(grace_hopper_path).convert("RGB").resize((256, 300))
    photo = Image.new("RGB", (900, 400), (120, 120, 120))
    photo.paste(grace, (40, 50))
    photo.paste(grace.transpose(Image.FLIP_LEFT_RIGHT), (600, 80))
    photo.save(tmp_path / "pair.png")
    done = run_speaker("faces", "--image", tmp_path / "pair.png", "-o", tmp_path / "faces.png")
    assert done.returncode == 0, done.stderr
    listed = [line.split() for line in done.stdout.splitlines() if line.strip().startswith("face ")]
    assert [words[1] for words in listed] == ["0:", "1:"] and done.stdout.startswith("2 faces in ")
    centres = [float(line.split("centre at (")[1].split(",")[0]) for line in done.stdout.splitlines()
               if "centre at" in line]
    assert 40 < centres[0] < 300 and 600 < centres[1] < 860  # in the photo's own pixels, left to right
    assert sum("the clearest" in line for line in done.stdout.splitlines()) == 1
    drawn = np.asarray(Image.open(tmp_path / "faces.png"))
    assert drawn.shape == (400, 900, 3) and not np.array_equal(drawn, np.asarray(photo))


def test_faces_bad_input_is_one_sentence_and_nothing_is_listed(noise_image_path, grace_hopper_path, tmp_path):
    done = run_speaker("faces", "--image", noise_image_path, "-o", tmp_path / "faces.png")
    assert_user_error(done, "No face was found")
    assert done.stdout == "" and not (tmp_path / "faces.png").exists()
    done = run_speaker("faces", "--image", grace_hopper_path, "-o", tmp_path / "missing" / "faces.png")
    assert_user_error(done, "does not exist")
    assert done.stdout == ""


def test_progress_prints_each_stage_start_and_an_update_only_after_a_quiet_while(capsys):
    import time

    from speaker.cli import UPDATE_LINE_SECONDS, _Progress
    from speaker.pipeline import ProgressUpdate

    def frames(done: int) -> ProgressUpdate:
        return ProgressUpdate(f"{done} of 400 frames", done / 400)

    assert UPDATE_LINE_SECONDS == 10.0
    quiet = 1.0  # the same rule as the 10 s a terminal gets, in a test's time
    progress = _Progress(True, update_seconds=quiet)
    progress("motion", "16.0 s of speech at 25 fps")
    progress("render", "400 frames")
    for done in (25, 50, 75):  # a render's updates every second: the start's line was just printed
        progress("render", frames(done))
    time.sleep(1.2 * quiet)
    progress("render", frames(100))
    progress("render", frames(125))
    progress("timing", "recognising the words")  # starts are printed however close together
    progress("timing", "aligning the transcript")
    progress("render", frames(150))
    shown = [" ".join(line.split()[3:]) for line in capsys.readouterr().err.splitlines()]
    assert shown == ["motion 16.0 s of speech at 25 fps", "render 400 frames", "render 100 of 400 frames",
                     "timing recognising the words", "timing aligning the transcript"]

    _Progress(False)("render", "400 frames")  # stderr not a terminal, or --quiet
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_a_run_stopped_by_sigterm_leaves_no_file_behind(grace_hopper_path, tmp_path):
    """``timeout`` and service managers stop with SIGTERM: the run's hidden partial files and its
    temporary folder go with it, as they do on Ctrl-C."""
    import os
    import signal
    import time

    out, scratch = tmp_path / "out" / "long.mp4", tmp_path / "tmp"
    out.parent.mkdir()
    scratch.mkdir()
    run = subprocess.Popen([sys.executable, "-m", "speaker", "animate", "--image", str(grace_hopper_path),
                            "--seconds", "120", "-o", str(out)], stderr=subprocess.PIPE, text=True,
                           env=dict(os.environ, TMPDIR=str(scratch)))
    deadline = time.monotonic() + 120
    while not any(out.parent.iterdir()) and time.monotonic() < deadline:  # the encoder has started writing
        time.sleep(0.2)
    assert any(out.parent.iterdir()), "the run never started writing"
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 128 + signal.SIGTERM and "speaker: stopped." in stderr and "Traceback" not in stderr
    assert list(out.parent.iterdir()) == [] and list(scratch.iterdir()) == []


def test_a_photo_of_several_faces_says_which_one_moved_and_how_to_choose_another(two_faces, tmp_path):
    """Without --face a group photo's user could not tell whose face was animated, nor that another could be."""
    done = run_speaker("animate", "--image", two_faces, "--seconds", "1", "-o", tmp_path / "pair.mp4")
    assert done.returncode == 0, done.stderr
    told = [line for line in done.stdout.splitlines() if line.startswith("The photo has")]
    assert len(told) == 1 and told[0].startswith("The photo has 2 faces; face "), done.stdout
    assert "--face N" in told[0] and f"speaker faces --image {two_faces} -o faces.png" in told[0]
    chosen = run_speaker("animate", "--image", two_faces, "--face", "0", "--seconds", "1", "-o", tmp_path / "left.mp4")
    assert chosen.returncode == 0, chosen.stderr
    assert "The photo has" not in chosen.stdout  # chosen by the user: nothing to tell
