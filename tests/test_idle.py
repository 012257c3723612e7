"""Idle motion (`speaker animate`): a silent portrait that breathes, looks, blinks and returns to its pose."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from speaker.errors import SpeakerError
from speaker.types import ARTICULATION_NAMES


@pytest.fixture(scope="module")
def portrait(astronaut_path):
    from speaker import face

    image, grayscale = face.load_image(astronaut_path)
    return face.find_portrait(image, grayscale)


@pytest.fixture(scope="module")
def minute(portrait):
    from speaker.motion import idle_track

    return idle_track(portrait, 60.0, 25.0, seed=3)


def blink_count(eyelid: np.ndarray) -> int:
    shut = eyelid >= 0.9
    return int((shut[1:] & ~shut[:-1]).sum() + shut[0])


def test_a_minute_has_natural_blinks_small_turns_and_no_drift(minute, portrait):
    assert len(minute) == 1500 and minute.words == []
    assert 8 <= blink_count(minute.eyelid) <= 30             # people blink about 15 times a minute
    rotations = np.abs(minute.head_pose[:, :3])
    assert 1.5 < rotations.max() <= 8.0                      # it turns, within a few degrees
    # No drift: over the minute the pose averages out at the photo's, and the
    # last seconds come back near it.
    assert np.abs(minute.head_pose[:, :3].mean(axis=0)).max() < 1.0
    assert np.abs(minute.head_pose[:, 3:5].mean(axis=0)).max() < 0.02 * portrait.face_width
    assert np.abs(minute.head_pose[-250:, 0]).min() < 0.5
    # It opens and ends on the photo's own pose and gaze, so the video loops without a jump.
    for frame in (0, -1):
        assert np.abs(minute.head_pose[frame, :5]).max() < 0.05 * max(1.0, portrait.face_width / 100)
        assert abs(minute.head_pose[frame, 5] - 1.0) < 1e-3 and np.abs(minute.gaze[frame]).max() < 1e-3


def test_it_breathes_glances_and_smiles_but_never_talks(minute, portrait):
    from speaker.motion.landmarks import mouth_landmarks

    ty = minute.head_pose[:, 4]
    spectrum = np.abs(np.fft.rfft(ty - ty.mean()))
    frequencies = np.fft.rfftfreq(len(ty), 1 / 25.0)
    breathing = spectrum[(frequencies > 0.18) & (frequencies < 0.35)].max()
    assert breathing > 0.5 * spectrum[frequencies > 0.05].max()   # a breath every 3-5 s stands out
    assert np.abs(minute.gaze[:, 0]).max() > 0.03                  # the eyes move
    spread = minute.articulation[:, ARTICULATION_NAMES.index("lip_spread")]
    assert 0.2 < spread.max() <= 0.5 and (spread > 0.05).mean() < 0.5   # a faint smile now and then
    others = np.delete(minute.articulation, ARTICULATION_NAMES.index("lip_spread"), axis=1)
    assert np.all(others == 0)                                     # the jaw never opens
    # The inner lips keep the photo's own gap at rest.
    rest = mouth_landmarks(portrait.landmarks, np.zeros(len(ARTICULATION_NAMES)))
    calm = spread < 1e-6
    assert np.allclose(minute.landmarks[calm][:, 60:68], rest[60:68], atol=0.01)


def test_seeded_and_reproducible(portrait):
    from speaker.motion import idle_track

    first, again = idle_track(portrait, 8.0, 25.0, seed=1), idle_track(portrait, 8.0, 25.0, seed=1)
    other = idle_track(portrait, 8.0, 25.0, seed=2)
    assert np.array_equal(first.head_pose, again.head_pose) and np.array_equal(first.eyelid, again.eyelid)
    assert not np.array_equal(first.head_pose, other.head_pose)
    still = idle_track(portrait, 8.0, 25.0, seed=1, scale=0.0)
    assert np.allclose(still.head_pose[:, :5], 0.0) and blink_count(still.eyelid) >= 1


def test_bad_duration_is_a_user_error(portrait):
    from speaker.motion import idle_track

    with pytest.raises(SpeakerError, match="duration"):
        idle_track(portrait, 0.0, 25.0)


@pytest.mark.slow
def test_animate_command_writes_a_silent_video_and_its_track(astronaut_path, tmp_path):
    from speaker import motion, video

    out = tmp_path / "alive.mp4"
    done = subprocess.run([sys.executable, "-m", "speaker", "animate", "--image", str(astronaut_path),
                           "--seconds", "2", "-o", str(out), "--export-track", str(tmp_path / "alive.json")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    info = video.probe(out)
    assert info["frame_count"] == 50 and abs(info["audio_duration"] - 2.0) < 0.05
    assert len(motion.load_track(tmp_path / "alive.json")) == 50
    # Nothing was spoken: the report speaks of the video, and of no mouth timing.
    assert "s per second of video)." in done.stdout and "Mouth timed" not in done.stdout


def test_animate_without_a_face_is_one_sentence(noise_image_path, tmp_path):
    done = subprocess.run([sys.executable, "-m", "speaker", "animate", "--image", str(noise_image_path),
                           "-o", str(tmp_path / "x.mp4")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.startswith("speaker: error: No face")
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize("seconds, told", [
    ("x", "--seconds must be a number (given: 'x')."),
    (-5, "--seconds must be above 0 and at most 3600."),
    (float("nan"), "--seconds must be above 0 and at most 3600."),
])
def test_animate_from_python_with_seconds_that_are_no_length_is_one_sentence(astronaut_path, tmp_path, seconds, told):
    from speaker.pipeline import animate

    with pytest.raises(SpeakerError) as raised:
        animate(astronaut_path, tmp_path / "x.mp4", seconds=seconds)
    assert str(raised.value) == told
    assert list(tmp_path.iterdir()) == []
