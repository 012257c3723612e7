"""End to end, as a user runs it: real piper, pocketsphinx, dlib and ffmpeg, measured on the decoded MP4."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

import speaker
from speaker import face, speech, video
from speaker.settings import load_voice_preset

pytestmark = pytest.mark.slow

FPS = 25.0


def decode(path: Path) -> np.ndarray:
    """All frames of a (short) video, shape (T, H, W, 3) uint8."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    width, height = next(reader)["size"]
    return np.stack([np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader])


def assert_av_lengths_match(path: Path, audio_seconds: float) -> dict:
    info = video.probe(path)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac", info
    assert info["pix_fmt"] == "yuv420p"
    assert abs(info["video_duration"] - info["audio_duration"]) <= 1.0 / FPS + 1e-3, info
    assert abs(info["video_duration"] - audio_seconds) <= 1.0 / FPS + 1e-3, info
    return info


def test_demo_command_writes_video_and_subtitles(tmp_path):
    done = subprocess.run([sys.executable, "-m", "speaker", "demo", "--text", "Hello, I am Grace Hopper."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "speaker-demo.mp4"
    assert out.exists()
    info = video.probe(out)
    assert info["width"] % 2 == 0 and info["height"] % 2 == 0
    assert (tmp_path / "speaker-demo.srt").read_text().startswith("1\n")
    assert (tmp_path / "speaker-demo.vtt").read_text().startswith("WEBVTT")
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory):
    """Two sentences with bilabials and open vowels, 2 s of silence between them,
    and the true phone timeline (piper's)."""
    import soundfile

    preset = load_voice_preset("default")
    first, second = "Mama made a map.", "Bob is home."
    spoken = speech.concatenate([speech.synthesize(first, preset), speech.synthesize(second, preset)], pause=2.0)
    path = tmp_path_factory.mktemp("audio") / "mama.wav"
    soundfile.write(str(path), spoken.samples, spoken.sample_rate)
    return path, f"{first} {second}", spoken


@pytest.fixture(scope="module")
def still_video(spoken_wav, tmp_path_factory, grace_hopper_path):
    """Grace Hopper lip-syncing the recording with its transcript, head still."""
    wav, text, spoken = spoken_wav
    out = tmp_path_factory.mktemp("video") / "mama.mp4"
    result = speaker.speak(grace_hopper_path, audio=wav, transcript=text, out=out, motion="still", seed=1,
                           export_mouth_cues=out.with_suffix(".json"))
    return result, decode(out), spoken


def test_mouth_cues_of_a_recording_name_it_as_rhubarb_does(still_video, spoken_wav):
    result, _, _ = still_video
    cues = json.loads(Path(result.path).with_suffix(".json").read_text())
    assert cues["metadata"]["soundFile"] == str(spoken_wav[0])
    assert cues["mouthCues"] and {cue["value"] for cue in cues["mouthCues"]} <= set("ABCDEFGX")


def mouth_box(portrait) -> tuple[slice, slice]:
    lips = portrait.landmarks[48:68]
    (x0, y0), (x1, y1) = lips.min(0), lips.max(0)
    pad = 0.15 * (x1 - x0)
    return slice(int(y0 - pad), int(y1 + pad)), slice(int(x0 + pad), int(x1 - pad))


def test_audio_with_transcript_gives_equal_lengths(still_video):
    result, frames, spoken = still_video
    assert result.timing_source.startswith("pocketsphinx")
    assert len(frames) == result.frames
    assert_av_lengths_match(result.path, spoken.duration)


def test_mouth_opens_on_vowels_and_closes_on_bilabials_and_silence(still_video, grace_hopper_path):
    result, frames, spoken = still_video
    image, grayscale = face.load_image(grace_hopper_path)
    portrait = face.find_portrait(image, grayscale)
    rows, cols = mouth_box(portrait)
    source = portrait.image[rows, cols].astype(np.float32)

    def change_at(t: float) -> float:
        index = min(int(round(t * FPS)), len(frames) - 1)
        return float(np.abs(frames[index][rows, cols].astype(np.float32) - source).mean())

    vowels = [p for p in spoken.phones if p.symbol in {"AA", "AE", "AH", "EY", "OW"} and p.end - p.start > 0.06]
    bilabials = [p for p in spoken.phones if p.symbol in {"M", "B", "P"}]
    # In a long pause the mouth rests as in the photo (short pauses may hold a breath).
    pauses = [p for p in spoken.phones if p.symbol == "SIL" and p.end - p.start > 1.5]
    assert vowels and bilabials and pauses
    open_change = np.median([change_at((p.start + p.end) / 2) for p in vowels])
    closed_change = np.median([change_at((p.start + p.end) / 2) for p in bilabials])
    silent_change = np.median([change_at((p.start + p.end) / 2) for p in pauses])
    assert open_change > 6.0, open_change
    assert closed_change < open_change / 2, (closed_change, open_change)
    assert silent_change < open_change / 3, (silent_change, open_change)


def test_background_far_from_face_does_not_change(still_video):
    _, frames, _ = still_video
    # Grace Hopper's face spans x 180..366 of 512: the left 60 columns lie over a head-width away.
    far = frames[:, :, :60].astype(np.float32)
    assert np.abs(far - far[0]).mean(axis=(1, 2, 3)).max() < 1.0


def test_text_to_video_with_exports(astronaut_path, tmp_path):
    out = tmp_path / "astronaut.mp4"
    result = speaker.speak(
        astronaut_path, text="Bob made a map of the moon. Then we went home.", out=out, seed=3,
        export_track=tmp_path / "track.json", export_mouth_cues=tmp_path / "cues.tsv",
        preview=tmp_path / "sheet.png",
    )
    assert result.path == out and result.timing_source == "piper"
    assert set(result.stage_seconds) >= {"face", "speech", "motion", "render", "encode"}
    assert_av_lengths_match(out, result.audio_seconds)
    track = json.loads((tmp_path / "track.json").read_text())
    assert len(track["landmarks"]) == result.frames
    cues = (tmp_path / "cues.tsv").read_text().strip().splitlines()
    assert cues and all(line.split("\t")[1] in "ABCDEFGHX" for line in cues)
    assert (tmp_path / "sheet.png").stat().st_size > 10_000
    srt = (tmp_path / "astronaut.srt").read_text()
    assert "moon" in srt and "-->" in srt


def test_same_seed_gives_identical_frames(astronaut_path, tmp_path):
    text = "Pat bought a bike."
    first = speaker.speak(astronaut_path, text=text, out=tmp_path / "a.mp4", seed=7, subtitles=False)
    second = speaker.speak(astronaut_path, text=text, out=tmp_path / "b.mp4", seed=7, subtitles=False)
    assert np.array_equal(decode(first.path), decode(second.path))


def test_greyscale_photo_gives_greyscale_video(grayscale_portrait_path, tmp_path):
    out = tmp_path / "gray.mp4"
    speaker.speak(grayscale_portrait_path, text="Ahh, a wide open mouth.", out=out, subtitles=False)
    frames = decode(out).astype(np.int16)
    spread = np.abs(frames[..., 0] - frames[..., 1]) + np.abs(frames[..., 1] - frames[..., 2])
    assert spread.max() <= 6, spread.max()


def test_audio_without_transcript(spoken_wav, grace_hopper_path, tmp_path):
    wav, _, spoken = spoken_wav
    out = tmp_path / "no_transcript.mp4"
    result = speaker.speak(grace_hopper_path, audio=wav, out=out, subtitles=False)
    assert_av_lengths_match(out, spoken.duration)
    assert result.timing_source
    # An empty transcript (a file saved before it was written) is told, and the words are heard instead.
    empty = speaker.speak(grace_hopper_path, audio=wav, transcript="  \n", out=out, subtitles=False)
    assert empty.warnings[0].startswith("The transcript has no words") and empty.timing_source == result.timing_source


def test_edited_track_renders_again(astronaut_path, spoken_wav, tmp_path):
    wav, _, _ = spoken_wav
    first = speaker.speak(astronaut_path, text="Hello there.", out=tmp_path / "first.mp4", seed=2,
                          export_track=tmp_path / "track.json", subtitles=False)
    track = json.loads((tmp_path / "track.json").read_text())
    done = subprocess.run([sys.executable, "-m", "speaker", "render", "--image", str(astronaut_path),
                           "--track", str(tmp_path / "track.json"), "-o", str(tmp_path / "again.mp4")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    again, original = decode(tmp_path / "again.mp4"), decode(first.path)
    assert again.shape == original.shape and len(again) == len(track["landmarks"])
    assert np.abs(again.astype(np.float32) - original).mean() < 1.0


def _dlib_models():
    import importlib.util

    import dlib

    folder = Path(importlib.util.find_spec("face_recognition_models").submodule_search_locations[0]) / "models"
    return (dlib.get_frontal_face_detector(), dlib.shape_predictor(str(folder / "shape_predictor_68_face_landmarks.dat")),
            dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")))


def test_rendered_face_keeps_its_identity_and_its_mouth_follows_the_track(astronaut_path, tmp_path):
    import dlib

    out = tmp_path / "id.mp4"
    speaker.speak(astronaut_path, text="Ahh, what a wide open sky! Bob made a map.", out=out, seed=4,
                  export_track=tmp_path / "track.json", subtitles=False)
    track = json.loads((tmp_path / "track.json").read_text())
    frames = decode(out)
    image, grayscale = face.load_image(astronaut_path)
    portrait = face.find_portrait(image, grayscale)
    detector, predictor, recogniser = _dlib_models()
    x0, y0, x1, y1 = portrait.box.astype(int)
    box = dlib.rectangle(int(x0), int(y0), int(x1), int(y1))

    def descriptor(picture):
        return np.array(recogniser.compute_face_descriptor(picture, predictor(picture, box)))

    def opening(points):
        points = np.asarray(points, np.float64)
        gap = np.mean([np.linalg.norm(points[u] - points[d]) for u, d in ((61, 67), (62, 66), (63, 65))])
        return gap / np.linalg.norm(points[16] - points[0])

    source = descriptor(portrait.image)
    distances = [np.linalg.norm(descriptor(frame) - source) for frame in frames[::5]]
    assert np.median(distances) < 0.3, distances  # the same person is conventionally < 0.6

    measured = [opening([(p.x, p.y) for p in predictor(frame, box).parts()]) for frame in frames]
    commanded = [opening(points) for points in track["landmarks"]]
    assert np.corrcoef(measured, commanded)[0, 1] > 0.7, np.corrcoef(measured, commanded)[0, 1]


def test_a_track_is_carried_over_to_another_portrait(astronaut_path, grace_hopper_path, tmp_path):
    """One performance, many faces: the astronaut's track moves Grace Hopper's mouth where it opened."""
    from speaker import motion
    from speaker.pipeline import render_track

    speaker.speak(astronaut_path, text="Bob made a map of the moon.", out=tmp_path / "first.mp4", seed=2,
                  export_track=tmp_path / "track.json", subtitles=False, motion="still")
    track = motion.load_track(tmp_path / "track.json")
    result = render_track(grace_hopper_path, tmp_path / "track.json", tmp_path / "grace.mp4", subtitles=False)
    assert result.warnings == ["The track was made for another portrait (512x512); its motion, mouth and blinks "
                               "are carried over to this face."]
    frames = decode(result.path)
    grace = face.load_portrait(grace_hopper_path)
    assert frames.shape[0] == len(track) and frames.shape[1:3] == grace.image.shape[:2]
    x0, y0 = grace.landmarks[48:68].min(axis=0).astype(int)
    x1, y1 = grace.landmarks[48:68].max(axis=0).astype(int) + 6

    def mouth_change(index: int) -> float:
        return float(np.abs(frames[index, y0:y1, x0:x1].astype(np.float32) - grace.image[y0:y1, x0:x1]).mean())

    widest, rest = int(np.argmax(track.articulation[:, 0])), int(np.argmin(track.articulation.sum(axis=1)))
    assert track.articulation[widest, 0] > 0.4 and track.articulation[rest].max() < 0.05
    assert mouth_change(widest) > 3 * mouth_change(rest) + 5, (mouth_change(widest), mouth_change(rest))


# ----------------------------------------------------------------------------- progress while frames are drawn


def test_a_long_render_tells_its_frames_done_about_once_a_second(grace_hopper_path, tmp_path):
    from speaker.pipeline import RENDER_PROGRESS_SECONDS, ProgressUpdate

    calls: list[tuple[float, str, str]] = []

    def progress(stage: str, detail: str) -> None:
        calls.append((time.perf_counter(), stage, detail))

    # 480 frames: seconds of drawing on a shared core, so several updates however the load varies.
    result = speaker.animate(grace_hopper_path, tmp_path / "idle.mp4", seconds=8, fps=60, progress=progress)
    assert result.frames == 480
    updates = [(when, stage, detail) for when, stage, detail in calls if isinstance(detail, ProgressUpdate)]
    starts = [stage for _, stage, detail in calls if not isinstance(detail, ProgressUpdate)]
    assert starts == ["face", "motion", "render"]
    assert len(updates) >= 2 and {stage for _, stage, _ in updates} == {"render"}, calls
    fractions = [detail.fraction for _, _, detail in updates]
    assert all(earlier < later for earlier, later in zip(fractions, fractions[1:])) and 0 < fractions[-1] <= 1
    assert [str(detail) for _, _, detail in updates] == [f"{round(f * 480)} of 480 frames" for f in fractions]
    # Throttled by the clock: each update at least a second after the call before it, whatever the frame rate.
    times = [when for when, _, _ in calls]
    first_update = len(calls) - len(updates)
    gaps = [later - earlier for earlier, later in zip(times[first_update - 1:], times[first_update:])]
    assert min(gaps) >= 0.99 * RENDER_PROGRESS_SECONDS, gaps


class RenderRefused(Exception):
    """What a caller's progress callback raises to end a run (the web page's JobStopped is one)."""


def ffmpeg_children() -> list[str]:
    """The names of this process's child processes that are an ffmpeg, living or not yet reaped."""
    names = []
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                names.append(Path(f"/proc/{pid}/comm").read_text().strip())
            except FileNotFoundError:  # ended and reaped meanwhile
                pass
    return [name for name in names if "ffmpeg" in name]


@pytest.mark.parametrize("text", [
    # One sentence: one track, its frames drawn while the encoder pulls them.
    "Good morning to all of you who came along the river today, and welcome to the old house.",
    # Two sentences: speech segments, a video encoder and an audio encoder running beside the frames.
    "Good morning to all of you who came along the river today. Welcome to the old house on the hill.",
], ids=["one sentence", "sentence by sentence"])
def test_a_progress_callback_raising_while_frames_are_drawn_reaches_the_caller_and_leaves_nothing(
        grace_hopper_path, tmp_path, monkeypatch, text):
    from speaker.pipeline import ProgressUpdate

    folder, scratch = tmp_path / "out", tmp_path / "tmp"
    folder.mkdir()
    scratch.mkdir()
    # The encoders' temporary folders go here, where no other run's are.
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    at_refusal: list[str] = []

    def progress(stage: str, detail: str) -> None:
        if isinstance(detail, ProgressUpdate):
            at_refusal.extend(path.name for path in folder.iterdir())
            at_refusal.extend(ffmpeg_children())
            raise RenderRefused(detail)

    with pytest.raises(RenderRefused):
        speaker.speak(grace_hopper_path, text=text, out=folder / "grace.mp4", fps=60, seed=1,
                      export_track=folder / "grace.json", preview=folder / "grace.png", progress=progress)
    assert any("grace-staged-" in name for name in at_refusal), at_refusal  # the video was being written
    assert any("ffmpeg" in name for name in at_refusal), at_refusal  # by an encoder running then
    assert list(folder.iterdir()) == [] and list(scratch.iterdir()) == []
    assert ffmpeg_children() == []


@pytest.mark.parametrize("out, extras, told", [
    ("grace.mp4", {"preview": ""}, "--preview must name a file (given: '')."),
    ("grace.mp4", {"export_track": 123}, "--export-track must name a file (given: 123)."),
    ("", {}, "-o must name a file (given: '')."),
    (5, {}, "-o must name a file (given: 5)."),
])
def test_an_output_name_that_names_no_file_is_one_sentence(grace_hopper_path, tmp_path, monkeypatch, out, extras, told):
    """The staged outputs read the names before the settings are validated: an empty name was taken for the
    current folder ("Cannot write to .: it is a folder"), a number raised a TypeError from inside pathlib."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(speaker.SpeakerError) as raised:
        speaker.speak(grace_hopper_path, text="Hello.", out=out, **extras)
    assert str(raised.value) == told
    assert list(tmp_path.iterdir()) == []
