"""Driving a portrait with a video: the driver is one of our own renders, so its motion is known."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from speaker.errors import SpeakerError, SpeakerWarning
from speaker.types import ARTICULATION_NAMES, Track

FPS = 25.0
FRAMES = 45
JAW = ARTICULATION_NAMES.index("jaw_open")


@pytest.fixture(scope="module")
def portrait(astronaut_path):
    from speaker import face

    image, grayscale = face.load_image(astronaut_path)
    return face.find_portrait(image, grayscale)


@pytest.fixture(scope="module")
def known_track(portrait) -> Track:
    """Head turns, nods and tilts, a talking jaw and one blink, made by hand."""
    from speaker.motion.landmarks import mouth_landmarks

    times = np.arange(FRAMES) / FPS
    articulation = np.zeros((FRAMES, len(ARTICULATION_NAMES)))
    articulation[:, JAW] = 0.8 * np.sin(2 * np.pi * 1.3 * times) ** 2 * (times > 0.3)
    eyelid = np.zeros(FRAMES)
    eyelid[30:36] = [0.3, 0.8, 1.0, 1.0, 0.6, 0.2]
    pose = np.zeros((FRAMES, 6))
    pose[:, 5] = 1.0
    pose[:, 0] = 6 * np.sin(2 * np.pi * 0.5 * times)
    pose[:, 1] = 3 * np.sin(2 * np.pi * 0.7 * times + 1)
    pose[:, 2] = 4 * np.sin(2 * np.pi * 0.4 * times)
    return Track(fps=FPS, landmarks=mouth_landmarks(portrait.landmarks, articulation, eyelid),
                 head_pose=pose.astype(np.float32), articulation=articulation.astype(np.float32),
                 eyelid=eyelid.astype(np.float32), image_size=portrait.size)


@pytest.fixture(scope="module")
def driver_frames(portrait, known_track) -> list[np.ndarray]:
    from speaker import render

    return list(render.render_frames(portrait, known_track))


@pytest.fixture(scope="module")
def performer(driver_frames):
    from speaker import face

    return face.follow_face(driver_frames, FPS)


def r(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.corrcoef(first, second)[0, 1])


def test_retargeted_track_matches_the_track_that_made_the_driver(performer, portrait, known_track):
    from speaker import motion

    assert performer.found.all() and len(performer) == FRAMES
    track = motion.drive_track(performer, portrait)
    assert len(track) == FRAMES and track.fps == FPS and track.image_size == portrait.size
    for column, name in enumerate(("yaw", "pitch", "roll")):
        assert r(track.head_pose[:, column], known_track.head_pose[:, column]) > 0.9, name
        gain = track.head_pose[:, column].std() / known_track.head_pose[:, column].std()
        assert 0.6 < gain < 1.4, (name, gain)
    assert r(track.articulation[:, JAW], known_track.articulation[:, JAW]) > 0.8
    # The blink comes through within a frame or two, and the eyes are open elsewhere.
    assert track.eyelid[29:37].max() > 0.6 and track.eyelid[:25].max() < 0.3
    # The chin drops with the jaw, as on the known track.
    chin = track.landmarks[:, 8, 1]
    assert r(chin, known_track.landmarks[:, 8, 1]) > 0.8


def test_track_at_another_frame_rate_keeps_the_timing(performer, portrait):
    from speaker import motion

    native = motion.drive_track(performer, portrait)
    faster = motion.drive_track(performer, portrait, fps=50.0)
    assert len(faster) == 2 * FRAMES
    assert np.allclose(faster.head_pose[::2, 0], native.head_pose[:, 0], atol=1e-3)


def test_a_face_lost_for_a_stretch_holds_its_pose_and_is_found_again(driver_frames):
    from speaker import face

    blank = np.full_like(driver_frames[0], 128)
    frames = driver_frames[:15] + [blank] * 10 + driver_frames[25:]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        followed = face.follow_face(frames, FPS)
    messages = [str(w.message) for w in caught if issubclass(w.category, SpeakerWarning)]
    assert len(messages) == 1 and "lost" in messages[0] and "0.6 s" in messages[0]
    assert not followed.found[15:25].any() and followed.found[25:].all()
    held = followed.landmarks[15:25]
    assert np.allclose(held, held[0]) and np.abs(held[0] - followed.landmarks[14]).max() < 1.0
    assert np.abs(followed.landmarks[30] - followed.landmarks[14]).max() > 0.5  # it moves again after


def test_a_video_with_no_face_is_a_user_error():
    from speaker import face

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(3)]
    with pytest.raises(SpeakerError, match="No face was found in the driving video"):
        face.follow_face(frames, FPS)


def test_a_sound_file_given_as_the_driving_video_is_one_sentence(tmp_path):
    import soundfile

    from speaker.video import read_video

    soundfile.write(str(tmp_path / "talk.wav"), np.zeros(16000, np.float32), 16000)
    with pytest.raises(SpeakerError, match=r"Cannot read .*talk\.wav as a video: ffmpeg finds no picture in it"):
        read_video(tmp_path / "talk.wav")


def test_a_still_picture_given_as_the_driving_video_is_refused(astronaut_path):
    from speaker.video import read_video

    with pytest.raises(SpeakerError, match=r"astronaut\.png is a still picture, not a video"):
        read_video(astronaut_path)


def test_drive_with_text_is_refused(astronaut_path, tmp_path):
    done = subprocess.run([sys.executable, "-m", "speaker", "--image", str(astronaut_path), "--drive",
                           str(tmp_path / "v.mp4"), "--text", "Hello"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.startswith("speaker: error: --drive")


@pytest.mark.slow
def test_drive_command_end_to_end(astronaut_path, driver_frames, portrait, tmp_path):
    from speaker import motion, video

    driver = tmp_path / "driver.mp4"
    tone = (0.2 * np.sin(2 * np.pi * 220 * np.arange(int(FRAMES / FPS * 16000)) / 16000)).astype(np.float32)
    video.write_video(driver, iter(driver_frames), size=portrait.size, fps=FPS, samples=tone, sample_rate=16000,
                      n_frames=FRAMES)
    out, exported = tmp_path / "performed.mp4", tmp_path / "performed.json"
    done = subprocess.run([sys.executable, "-m", "speaker", "--image", str(astronaut_path), "--drive", str(driver),
                           "-o", str(out), "--export-track", str(exported)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    info = video.probe(out)
    assert info["frame_count"] == FRAMES and info["fps"] == FPS and info["audio_codec"] == "aac"
    assert abs(info["audio_duration"] - FRAMES / FPS) < 0.06
    assert len(motion.load_track(exported)) == FRAMES
    # The exported track renders again.
    again = subprocess.run([sys.executable, "-m", "speaker", "render", "--image", str(astronaut_path), "--track",
                            str(exported), "-o", str(tmp_path / "again.mp4"), "-q"], capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    missing = subprocess.run([sys.executable, "-m", "speaker", "--image", str(astronaut_path), "--drive",
                              str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "n.mp4")], capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


@pytest.mark.slow
def test_a_driving_video_with_a_silent_sound_track_is_muxed_silent_without_a_warning(astronaut_path, driver_frames,
                                                                                    portrait, tmp_path):
    from speaker import video
    from speaker.pipeline import drive

    driver = tmp_path / "quiet.mp4"
    video.write_video(driver, iter(driver_frames), size=portrait.size, fps=FPS,
                      samples=np.zeros(int(FRAMES / FPS * 16000), np.float32), sample_rate=16000, n_frames=FRAMES)
    result = drive(astronaut_path, driver, tmp_path / "performed.mp4")
    assert result.warnings == [] and video.probe(result.path)["audio_codec"] == "aac"


def test_a_track_carried_over_to_another_face_keeps_its_performance_at_that_faces_size(portrait, known_track):
    """The same performance on a face twice as large elsewhere in a larger photo."""
    import dataclasses

    from speaker.motion import retarget_track
    from speaker.motion.landmarks import mouth_landmarks

    known = dataclasses.replace(known_track, head_pose=known_track.head_pose.copy())
    known.head_pose[:, 3] = 2.0  # a shift of 2 px on the astronaut
    larger = dataclasses.replace(portrait, landmarks=portrait.landmarks * 2 + 100, image=np.zeros((1200, 1200, 3),
                                 np.uint8), box=portrait.box * 2 + 100)
    carried = retarget_track(known, larger)
    assert len(carried) == len(known) and carried.image_size == (1200, 1200) and carried.fps == known.fps
    for kept in ("articulation", "eyelid", "gaze"):
        assert np.array_equal(getattr(carried, kept), getattr(known, kept))
    assert np.allclose(carried.head_pose[:, :3], known.head_pose[:, :3]) and np.allclose(carried.head_pose[:, 3], 4.0)
    # The mouth and lids move as the speech path moves the new face (the track has no words: lips from together).
    expected = mouth_landmarks(larger.landmarks, known.articulation, known.eyelid, own_mouth=0.0)
    assert np.allclose(carried.landmarks[:, 36:68], expected[:, 36:68], atol=1e-3)
    assert np.allclose(carried.landmarks[:, 17:27], larger.landmarks[17:27], atol=1e-3)  # the brows did not move
