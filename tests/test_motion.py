"""Tests of the motion stage on real synthesized speech (piper) and a real face (dlib).

The phone timeline of piper's speech is the truth the mouth must follow:
lips shut on every p/b/m, open on open vowels, moving before a vowel is heard,
at rest in long pauses.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

from speaker.errors import SpeakerError
from speaker.motion import (
    animate,
    articulation_from_phones,
    articulation_from_speech,
    idle_track,
    load_track,
    mouth_landmarks,
    save_track,
    write_mouth_cues,
)
from speaker.motion.blinks import eyelid_track
from speaker.motion.head import pitch_track
from speaker.types import ARTICULATION_NAMES, ArticulationCurve, Phone, Portrait, Speech

FPS = 25.0
JAW = ARTICULATION_NAMES.index("jaw_open")
CLOSURE = ARTICULATION_NAMES.index("lip_closure")
ROUND = ARTICULATION_NAMES.index("lip_round")
SPREAD = ARTICULATION_NAMES.index("lip_spread")
BILABIALS = {"P", "B", "M"}
OPEN_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY"}
INNER_PAIRS = ((61, 67), (62, 66), (63, 65))
TEXT = "Bob bought a map. Oh, papa might be amazed by my palm."


def inner_gap(landmarks: np.ndarray) -> np.ndarray:
    """Mean distance between the inner upper and lower lip points, (..., ) pixels."""
    return np.mean([np.linalg.norm(landmarks[..., a, :] - landmarks[..., b, :], axis=-1)
                    for a, b in INNER_PAIRS], axis=0)


def mouth_width(landmarks: np.ndarray) -> np.ndarray:
    return np.linalg.norm(landmarks[..., 54, :] - landmarks[..., 48, :], axis=-1)


def frame_of(seconds: float) -> int:
    return int(round(seconds * FPS))


@pytest.fixture(scope="module")
def portrait() -> Portrait:
    """Grace Hopper with dlib's 68 landmarks."""
    import dlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    image = np.asarray(Image.open(path).convert("RGB"))
    models = Path(importlib.util.find_spec("face_recognition_models").submodule_search_locations[0]) / "models"
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(models / "shape_predictor_68_face_landmarks.dat"))
    box = detector(image, 1)[0]
    landmarks = np.array([(p.x, p.y) for p in predictor(image, box).parts()], np.float32)
    return Portrait(image=image, landmarks=landmarks,
                    box=np.array([box.left(), box.top(), box.right(), box.bottom()], np.float32))


@pytest.fixture(scope="module")
def open_mouth_portrait(portrait: Portrait) -> Portrait:
    """The same face with the lips parted at rest (lower lip 4 % of the face width down)."""
    landmarks = portrait.landmarks.copy()
    landmarks[list(range(55, 60)) + [65, 66, 67], 1] += 0.04 * portrait.face_width
    return Portrait(image=portrait.image, landmarks=landmarks, box=portrait.box)


@pytest.fixture(scope="module")
def speech() -> Speech:
    from speaker.settings import load_voice_preset
    from speaker.speech import synthesize

    # Without piper's noise the timings are the same on every run.
    preset = load_voice_preset("default").model_copy(update={"noise_scale": 0.0, "noise_w": 0.0})
    result = synthesize(TEXT, preset)
    assert any(p.symbol in BILABIALS for p in result.phones)
    return result


@pytest.fixture(scope="module")
def track(speech: Speech, portrait: Portrait):
    return animate(speech, portrait, FPS, style="calm", seed=3)


def test_track_shapes(track, speech, portrait):
    from speaker.timebase import n_frames

    count = n_frames(speech.duration, FPS)
    assert track.landmarks.shape == (count, 68, 2)
    assert track.head_pose.shape == (count, 6)
    assert track.articulation.shape == (count, len(ARTICULATION_NAMES))
    assert track.eyelid.shape == (count,)
    assert track.image_size == portrait.size
    assert np.all((track.articulation >= 0) & (track.articulation <= 1))
    # Only jaw, eyelids and mouth move; the rest of the face stays put.
    still = [i for i in range(68) if not (4 <= i <= 12 or 48 <= i <= 67
                                          or i in (37, 38, 40, 41, 43, 44, 46, 47))]
    assert np.allclose(track.landmarks[:, still], portrait.landmarks[still], atol=1e-3)


def test_bilabials_shut_the_lips(track, speech, portrait):
    bilabials = [p for p in speech.phones if p.symbol in BILABIALS]
    assert len(bilabials) >= 6
    for phone in bilabials:
        frame = frame_of(0.5 * (phone.start + phone.end))
        assert track.articulation[frame, CLOSURE] >= 0.99, phone
        assert inner_gap(track.landmarks[frame]) < 0.005 * portrait.face_width, phone


def test_short_bilabial_between_open_vowels_still_shuts():
    phones = [Phone("SIL", 0.0, 0.3), Phone("AA", 0.3, 0.5, 1), Phone("B", 0.5, 0.53),
              Phone("AA", 0.53, 0.73, 1), Phone("M", 0.73, 0.76), Phone("AE", 0.76, 0.9),
              Phone("SIL", 0.9, 1.5)]
    values = articulation_from_phones(phones, np.array([0.4, 0.515, 0.63, 0.745]))
    assert values[1, CLOSURE] == 1.0 and values[3, CLOSURE] == 1.0
    assert values[0, CLOSURE] < 0.2 and values[2, CLOSURE] < 0.5
    assert values[0, JAW] > 0.8


def test_bilabials_shut_a_mouth_open_at_rest(speech, open_mouth_portrait):
    rest_gap = inner_gap(open_mouth_portrait.landmarks)
    assert rest_gap > 0.03 * open_mouth_portrait.face_width
    track = animate(speech, open_mouth_portrait, FPS, seed=3)
    for phone in (p for p in speech.phones if p.symbol in BILABIALS):
        frame = frame_of(0.5 * (phone.start + phone.end))
        assert inner_gap(track.landmarks[frame]) < 0.005 * open_mouth_portrait.face_width, phone
    # At rest the photo keeps its own open mouth.
    rest = mouth_landmarks(open_mouth_portrait.landmarks, np.zeros(len(ARTICULATION_NAMES)))
    assert np.allclose(rest, open_mouth_portrait.landmarks, atol=1e-3)


def test_open_vowels_open_the_mouth(track, speech, portrait):
    width = mouth_width(portrait.landmarks)
    opened = []
    for phone in speech.phones:
        if phone.symbol in OPEN_VOWELS and phone.stress == 1 and phone.end - phone.start >= 0.12:
            frames = slice(frame_of(phone.start), frame_of(phone.end) + 1)
            opened.append(inner_gap(track.landmarks[frames]).max() / width)
            assert track.articulation[frames, JAW].max() > 0.45, phone
    assert len(opened) >= 2
    # Most stressed open vowels part the inner lips by more than a tenth of the mouth width.
    assert np.median(opened) > 0.1


def test_anticipation_before_vowel_onset(speech):
    """After a pause the lips start shaping the vowel before it is heard."""
    phones = speech.phones
    times = np.arange(0, speech.duration, 0.01)
    values = articulation_from_phones(phones, times)
    lips = values[:, [CLOSURE, SPREAD, ROUND]]          # the inhalation only opens the jaw
    checked = 0
    for previous, phone in zip(phones, phones[1:]):
        if previous.symbol == "SIL" and previous.end - previous.start >= 0.3 and phone.symbol != "SIL":
            moving = lips.max(axis=1) > 0.05
            window = (times > previous.start + 0.15) & (times < phone.start + 0.1)
            first = times[window][moving[window]][0]
            assert phone.start - 0.2 < first < phone.start - 0.03, (phone, first)
            checked += 1
    assert checked >= 1
    # On a hand-made timeline (pause too short for a breath): a wide vowel
    # after silence opens the jaw before its start.
    jaw = articulation_from_phones(
        [Phone("SIL", 0.0, 0.35), Phone("AA", 0.35, 0.55, 1), Phone("SIL", 0.55, 1.5)],
        np.array([0.15, 0.29, 0.45, 1.1]))[:, JAW]
    assert jaw[0] == 0.0 and jaw[1] > 0.1 and jaw[2] > 0.8 and jaw[3] == 0.0


def test_lips_part_for_a_breath_before_speech():
    """After a long enough pause the mouth opens to breathe in, then takes the first phone's shape."""
    timeline = [Phone("SIL", 0.0, 1.0), Phone("B", 1.0, 1.08), Phone("AA", 1.08, 1.3, 1),
                Phone("SIL", 1.3, 1.6), Phone("AA", 1.6, 1.8, 1), Phone("SIL", 1.8, 3.0)]
    times = np.array([0.3, 0.75, 1.04, 1.45])
    values = articulation_from_phones(timeline, times)
    assert np.all(values[0] == 0.0)                      # at rest well before the breath
    assert values[1, JAW] > 0.3 and values[1, CLOSURE] == 0.0
    assert values[2, CLOSURE] == 1.0                     # the bilabial still shuts the lips
    assert values[3, JAW] == 0.0                         # a 0.3 s pause holds no breath
    # Recogniser noise (a vowel-less burst of voiceless phones) is no speech.
    noisy = [Phone("SIL", 0.0, 0.3), Phone("T", 0.3, 0.35), Phone("K", 0.35, 0.42),
             Phone("SIL", 0.42, 1.0), *timeline[1:]]
    tone = np.zeros(48000, np.float32)
    for with_noise in (noisy, timeline):
        from_speech = articulation_from_speech(Speech(samples=tone, sample_rate=16000, phones=with_noise), FPS)
        assert np.all(from_speech[: frame_of(0.5)] < 0.01)


def zigzags(values: np.ndarray, amplitude: float = 0.05) -> int:
    """Places where a curve jumps up, down and up again (or the reverse) by > amplitude."""
    steps = np.diff(values)
    big = np.abs(steps) > amplitude
    turn = np.sign(steps[:-1]) * np.sign(steps[1:]) < 0
    return int(np.sum(turn[:-1] & turn[1:] & big[:-2] & big[1:-1] & big[2:]))


def test_no_jitter(track, portrait):
    second = np.abs(np.diff(track.articulation, 2, axis=0))
    assert second.max() < 1.0
    assert second[:, JAW].max() < 0.7
    assert all(zigzags(track.articulation[:, k]) == 0 for k in range(len(ARTICULATION_NAMES)))
    landmark_second = np.abs(np.diff(track.landmarks, 2, axis=0)).max()
    assert landmark_second < 0.08 * portrait.face_width
    pose_second = np.abs(np.diff(track.head_pose[:, :3], 2, axis=0)).max()
    assert pose_second < 0.5                       # degrees per frame squared


def test_noisy_audio_model_curve_is_smoothed():
    rng = np.random.default_rng(0)
    curve = np.clip(0.5 + 0.2 * rng.standard_normal((300, len(ARTICULATION_NAMES))), 0, 1)
    tone = 0.3 * np.sin(np.arange(48000) * 0.1)
    speech = Speech(samples=tone.astype(np.float32), sample_rate=16000,
                    articulation=ArticulationCurve(curve.astype(np.float32), 100.0))
    values = articulation_from_speech(speech, FPS)
    assert np.abs(np.diff(values, 2, axis=0)).max() < 0.3
    assert abs(values[:, ROUND].mean() - 0.5) < 0.05


def test_rest_in_long_silence(speech, portrait, open_mouth_portrait):
    """Long pauses rest at the portrait's own mouth; short ones close the lips."""
    rate = speech.sample_rate
    gap = 2.5
    samples = np.concatenate([speech.samples, np.zeros(int(gap * rate), np.float32), speech.samples])
    shift = len(speech.samples) / rate + gap
    phones = list(speech.phones[:-1]) + [Phone("SIL", speech.phones[-1].start, shift)]
    phones += [Phone(p.symbol, p.start + shift, p.end + shift, p.stress) for p in speech.phones]
    twice = Speech(samples=samples, sample_rate=rate, phones=phones)
    last_phone = max(p.end for p in speech.phones if p.symbol != "SIL")
    first_again = shift + min(p.start for p in speech.phones if p.symbol != "SIL")
    mouth = list(range(48, 68)) + list(range(4, 13))
    for face in (portrait, open_mouth_portrait):
        track = animate(twice, face, FPS, style="still", seed=3)
        rest = slice(frame_of(last_phone + 1.05), frame_of(first_again - 0.5))
        assert rest.stop - rest.start >= 10
        assert np.all(track.articulation[rest] == 0.0)
        assert np.allclose(track.landmarks[rest][:, mouth], face.landmarks[mouth], atol=1e-3)
    # The 0.6 s pause between the sentences: at rest, lips together even on
    # a photo with parted lips (no breath yet in its first half).
    pause = next(p for p in speech.phones if p.symbol == "SIL" and p.end - p.start >= 0.3)
    frames = slice(frame_of(pause.start + 0.13), frame_of(pause.end - 0.45) + 1)
    assert frames.stop > frames.start
    track = animate(speech, open_mouth_portrait, FPS, style="still", seed=3)
    assert np.all(track.articulation[frames] == 0.0)
    assert np.all(inner_gap(track.landmarks[frames]) < 0.005 * open_mouth_portrait.face_width)


def test_still_style_blinks_without_head_motion(speech, portrait):
    track = animate(speech, portrait, FPS, style="still", seed=1)
    assert np.all(track.head_pose == np.array([0, 0, 0, 0, 0, 1], np.float32))
    assert track.eyelid.max() > 0.95
    shut = track.eyelid > 0.95
    lids = track.landmarks[shut]
    assert np.allclose(lids[:, [37, 38, 43, 44]], lids[:, [41, 40, 47, 46]], atol=1e-3)


def test_blink_rate_and_durations(portrait):
    minute = Speech(samples=np.zeros(60 * 16000, np.float32), sample_rate=16000)
    track = animate(minute, portrait, FPS, style="still", seed=7)
    closing = np.flatnonzero(np.diff((track.eyelid > 0).astype(int)) == 1)
    assert 10 <= len(closing) <= 22
    assert np.diff(closing).min() / FPS > 1.2          # a refractory gap between blinks
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], track.eyelid > 0, [0]]))))[::2]
    assert runs.min() >= 2 and runs.max() <= 8        # frames: 80-320 ms at 25 fps
    assert np.all(track.articulation == 0.0)


def test_blinks_avoid_bilabial_frames():
    count = 1000
    closure = np.zeros(count)
    closure[::7] = 1.0                                  # a bilabial every 280 ms
    blinks = 0
    for seed in range(10):
        eyelid = eyelid_track(count, FPS, closure, boundaries=[], seed=seed)
        assert np.all(eyelid[closure >= 0.98] == 0.0)
        blinks += np.sum(np.diff((eyelid > 0).astype(int)) == 1)
    assert blinks >= 10 * 8                             # still ~15 a minute (40 s each)


def test_same_seed_same_track(speech, portrait, track):
    again = animate(speech, portrait, FPS, style="calm", seed=3)
    for name in ("landmarks", "head_pose", "articulation", "eyelid"):
        assert np.array_equal(getattr(track, name), getattr(again, name)), name
    other = animate(speech, portrait, FPS, style="calm", seed=4)
    assert not np.array_equal(track.head_pose, other.head_pose)


def test_head_motion_by_style(speech, portrait):
    calm = animate(speech, portrait, FPS, style="calm", seed=2).head_pose
    lively = animate(speech, portrait, FPS, style="lively", seed=2).head_pose
    doubled = animate(speech, portrait, FPS, style="lively", scale=3.0, seed=2).head_pose
    assert 0.2 < np.abs(calm[:, :3]).max() < 4.0
    assert np.abs(lively[:, :3]).std() > np.abs(calm[:, :3]).std()
    assert np.abs(doubled[:, :3]).max() <= 6.0
    assert np.abs(lively[:, 3:5]).max() < 0.05 * portrait.face_width
    assert np.all(np.abs(lively[:, 5] - 1) < 0.05)


def test_head_starts_at_the_photos_pose_and_does_not_sink(speech, portrait):
    for seed in range(4):
        pose = animate(speech, portrait, FPS, style="lively", seed=seed).head_pose
        assert np.abs(pose[0, :3]).max() < 0.3, pose[0]
        # Nods only push down; on the whole the head keeps the photo's pitch.
        assert abs(float(np.mean(pose[:, 1]))) < 0.5 * float(np.abs(pose[:, 1]).max())


def test_pitch_track_finds_a_tone():
    rate = 16000
    time = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * 140 * time)
    tone[rate // 2:] = 0.0
    pitch = pitch_track(tone, rate, np.array([0.2, 0.3, 0.8]))
    assert np.allclose(pitch[:2], 140, rtol=0.03) and pitch[2] == 0.0


def test_articulation_is_a_pure_function_of_times(speech):
    times = np.arange(0, speech.duration, 0.01)
    full = articulation_from_phones(speech.phones, times)
    part = articulation_from_phones(list(speech.phones), times[::7][::-1])
    assert np.array_equal(full[::7][::-1], part)


def test_articulation_without_phones(speech):
    rate = speech.sample_rate
    count = int(speech.duration * 100)
    curve = np.zeros((count, len(ARTICULATION_NAMES)), np.float32)
    curve[count // 4: count // 2, ROUND] = 0.8
    from_curve = articulation_from_speech(
        speech.with_timings(phones=[], articulation=ArticulationCurve(curve, 100.0)), FPS)
    frames = np.arange(len(from_curve)) / FPS
    middle = (frames > speech.duration * 0.3) & (frames < speech.duration * 0.45)
    assert np.all(from_curve[middle, ROUND] > 0.7)
    assert np.all(from_curve[frames > speech.duration * 0.6, ROUND] < 0.05)

    silence = np.zeros(rate // 2, np.float32)
    samples = np.concatenate([silence, speech.samples, silence])
    from_audio = articulation_from_speech(Speech(samples=samples, sample_rate=rate), FPS)
    quiet = slice(0, int(0.4 * FPS))
    assert np.all(from_audio[quiet] == 0.0)
    assert from_audio[:, JAW].max() > 0.3


def test_mouth_sizes():
    """Calibrated sizes: wide "ah" ~ a third of the mouth width; ee/oo width +/-15 %."""
    neutral = np.zeros((68, 2))
    neutral[:17, 0] = np.linspace(0, 200, 17)
    neutral[:17, 1] = 100 + 60 * np.sin(np.linspace(0, np.pi, 17))
    neutral[36:42] = [70, 60]
    neutral[42:48] = [130, 60]
    neutral[37:39, 1] = neutral[43:45, 1] = 55
    neutral[40:42, 1] = neutral[46:48, 1] = 65
    outer = np.linspace(64, 136, 7)
    neutral[48:55] = np.stack([outer, [130, 126, 124, 125, 124, 126, 130]], 1)
    neutral[55:60] = np.stack([outer[5:0:-1], [134, 138, 139, 138, 134]], 1)
    neutral[60:65] = np.stack([[70, 85, 100, 115, 130], [130] * 5], 1)
    neutral[65:68] = np.stack([[115, 100, 85], [130] * 3], 1)
    rest_width = mouth_width(neutral)
    rows = np.zeros((4, len(ARTICULATION_NAMES)))
    rows[0, JAW] = 1.0
    rows[1, SPREAD] = 1.0
    rows[2, ROUND] = 1.0
    rows[3, CLOSURE] = 1.0
    moved = mouth_landmarks(neutral, rows, eyelid=np.array([0, 0, 0, 1.0]))
    assert 0.25 < inner_gap(moved[0]) / rest_width < 0.42
    assert moved[0, 8, 1] > neutral[8, 1] + 0.03 * 200           # the chin drops
    assert 1.12 < mouth_width(moved[1]) / rest_width < 1.18
    assert 0.82 < mouth_width(moved[2]) / rest_width < 0.88
    assert inner_gap(moved[3]) < 1e-6
    assert np.allclose(moved[3, [37, 38, 43, 44]], moved[3, [41, 40, 47, 46]])
    assert np.allclose(moved[:3, 36:48], neutral[36:48])


def test_track_json_round_trip(track, tmp_path):
    path = tmp_path / "track.json"
    save_track(track, path)
    data = json.loads(path.read_text())
    assert data["version"] == 1 and data["articulation_names"] == list(ARTICULATION_NAMES)
    loaded = load_track(path)
    assert loaded.fps == track.fps and loaded.image_size == track.image_size
    assert np.allclose(loaded.landmarks, track.landmarks, atol=0.006)
    assert np.allclose(loaded.head_pose, track.head_pose, atol=0.006)
    assert np.allclose(loaded.articulation, track.articulation, atol=1e-4)
    assert np.allclose(loaded.eyelid, track.eyelid, atol=1e-4)
    assert [w.text for w in loaded.words] == [w.text for w in track.words]


def test_bad_track_files_raise_speaker_error(track, tmp_path):
    with pytest.raises(SpeakerError):
        load_track(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SpeakerError):
        load_track(broken)
    picture = tmp_path / "photo.jpg"  # the portrait given where the track goes
    picture.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)))
    with pytest.raises(SpeakerError, match=r"photo\.jpg is not a speaker track file \(the JSON that --export-track writes\)\.$"):
        load_track(picture)
    path = tmp_path / "track.json"
    save_track(track, path)
    data = json.loads(path.read_text())
    data["landmarks"] = data["landmarks"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(SpeakerError, match="landmarks"):
        load_track(path)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"mouthCues": []}))
    with pytest.raises(SpeakerError):
        load_track(other)


def test_mouth_cues_in_rhubarb_formats(track, speech, tmp_path):
    tsv = tmp_path / "cues.tsv"
    write_mouth_cues(track, tsv)
    rows = [line.split("\t") for line in tsv.read_text().splitlines()]
    starts = [float(start) for start, _ in rows]
    shapes = [shape for _, shape in rows]
    assert starts[0] == 0.0 and starts == sorted(starts)
    assert set(shapes) <= set("ABCDEFGHX")
    assert rows[-1][1] == "X" and abs(starts[-1] - track.duration) < 0.011
    assert all(a != b for a, b in zip(shapes[:-2], shapes[1:-1]))    # equal neighbours merged

    def shape_at(seconds: float) -> str:
        index = np.searchsorted(starts[:-1], seconds, side="right") - 1
        return shapes[index]

    for phone in (p for p in speech.phones if p.symbol in BILABIALS):
        assert shape_at(frame_of(0.5 * (phone.start + phone.end)) / FPS + 0.001) == "A", phone
    assert {"C", "D"} & set(shapes)

    cues_json = tmp_path / "cues.json"
    write_mouth_cues(track, cues_json)
    data = json.loads(cues_json.read_text())
    cues = data["mouthCues"]
    assert data["metadata"]["duration"] == pytest.approx(track.duration, abs=0.011)
    assert cues[0]["start"] == 0.0 and cues[-1]["end"] == data["metadata"]["duration"]
    assert all(a["end"] == b["start"] for a, b in zip(cues, cues[1:]))
    assert [c["value"] for c in cues] == shapes[:-1]
    with pytest.raises(SpeakerError):
        write_mouth_cues(track, tmp_path / "cues.xml")


def test_bad_arguments_raise_speaker_error(speech, portrait):
    with pytest.raises(SpeakerError):
        animate(speech, portrait, 0.0)
    with pytest.raises(SpeakerError):
        animate(speech, portrait, FPS, style="wild")
    with pytest.raises(SpeakerError):
        animate(speech, portrait, FPS, scale=-1.0)


# -- gaze ---------------------------------------------------------------------

def _saccades(gaze: np.ndarray) -> list[tuple[int, int]]:
    """Runs (first, last) of frame steps where the gaze moves."""
    moving = np.any(np.abs(np.diff(gaze, axis=0)) > 0, axis=1)
    runs, start = [], None
    for index, flag in enumerate(moving):
        if flag and start is None:
            start = index
        if not flag and start is not None:
            runs.append((start, index - 1))
            start = None
    if start is not None:
        runs.append((start, len(moving) - 1))
    return runs


def test_gaze_saccades_rate_amplitude_and_still_fixations():
    from speaker.motion.gaze import MAX_ACROSS, MAX_ALONG, STYLE_AMPLITUDE, gaze_track

    minutes = 3
    count = int(minutes * 60 * FPS)
    gaze = gaze_track(count, FPS, [], style="calm", seed=5)
    assert gaze.shape == (count, 2) and gaze.dtype == np.float32
    assert np.array_equal(gaze[0], [0, 0])          # starts at the photo's gaze
    runs = _saccades(gaze)
    # Fixations of 0.5-3 s: 20-120 saccades a minute.
    assert 20 * minutes <= len(runs) <= 120 * minutes
    # A saccade (30-60 ms) moves the gaze on at most 3 frame steps at 25 fps,
    # and the gaze holds exactly still for at least 0.5 s minus a frame between saccades.
    assert max(last - first + 1 for first, last in runs) <= 3
    gaps = [b[0] - a[1] - 1 for a, b in zip(runs[:-1], runs[1:])]
    assert min(gaps) >= int(0.5 * FPS) - 3
    # Amplitudes: within the style's range, some looks away are clearly visible,
    # and most fixations are back on the camera.
    amplitude = STYLE_AMPLITUDE["calm"]
    assert np.abs(gaze[:, 0]).max() <= MAX_ALONG * amplitude + 1e-6
    assert np.abs(gaze[:, 1]).max() <= MAX_ACROSS * amplitude + 1e-6
    held = np.array([gaze[last + 2] for _, last in runs if last + 2 < count])
    assert (np.abs(held[:, 0]) >= 0.5 * MAX_ALONG * amplitude).sum() >= 5
    assert np.mean(np.linalg.norm(held, axis=1) < 0.03) >= 0.4
    # The still style keeps the eyes alive, with smaller looks away.
    still = gaze_track(count, FPS, [], style="still", seed=5)
    assert len(_saccades(still)) >= 20 * minutes
    assert 0 < np.abs(still[:, 0]).max() < np.abs(gaze[:, 0]).max()


def test_gaze_shifts_gather_at_pauses():
    from speaker.motion.gaze import gaze_track

    count = int(180 * FPS)
    boundaries = list(np.arange(1.3, 180, 2.9))
    near = []
    for points in (boundaries, []):
        onsets = np.array([first for first, _ in _saccades(gaze_track(count, FPS, points, seed=2))]) / FPS
        distance = np.min(np.abs(onsets[:, None] - np.asarray(boundaries)[None]), axis=1)
        near.append(np.mean(distance <= 1.5 / FPS))
    # About two saccades per boundary gap here, so at most about half can be at one.
    assert near[0] >= 0.2 and near[0] >= 3 * near[1]


def test_gaze_is_seeded():
    from speaker.motion.gaze import gaze_track

    first = gaze_track(750, FPS, [3.0, 9.5], seed=11)
    assert np.array_equal(first, gaze_track(750, FPS, [3.0, 9.5], seed=11))
    assert not np.array_equal(first, gaze_track(750, FPS, [3.0, 9.5], seed=12))


def test_eyes_counter_rotate_against_the_head(speech, portrait, track):
    from speaker.motion.gaze import counter_rotation

    pose = np.zeros((3, 6), np.float32)
    pose[:, 5] = 1.0
    pose[1, 0] = 4.0       # nose to the image's right: irises go left in the eyes
    pose[2, 1] = 4.0       # nod down: irises go up
    shift = counter_rotation(pose)
    assert np.array_equal(shift[0], [0, 0])
    assert shift[1, 0] < -0.01 and shift[1, 1] == 0
    assert shift[2, 1] < -0.01 and shift[2, 0] == 0
    # In a track the gaze is the saccades plus the counter-rotation.
    assert track.gaze.shape == (len(track), 2) and np.all(np.isfinite(track.gaze))
    assert np.abs(track.gaze).max() > 0.01  # saccades of a short track: their size depends on the seed
    still = animate(speech, portrait, FPS, style="calm", seed=3, gaze=False)
    assert not still.gaze.any()
    assert np.array_equal(still.landmarks, track.landmarks)


def test_gaze_json_round_trip(track, tmp_path):
    path = tmp_path / "track.json"
    save_track(track, path)
    assert np.allclose(load_track(path).gaze, track.gaze, atol=1e-4)
    # Files written before gaze existed load with the photo's gaze.
    data = json.loads(path.read_text())
    del data["gaze"]
    path.write_text(json.dumps(data))
    old = load_track(path)
    assert old.gaze.shape == (len(track), 2) and not old.gaze.any()
    data["gaze"] = [[0.0, 0.0]] * (len(track) - 1)
    path.write_text(json.dumps(data))
    with pytest.raises(SpeakerError, match="gaze"):
        load_track(path)


def test_fitted_jaw_targets_keep_the_phonetic_order():
    """The jaw targets fitted to GRID's mouths (scripts/fit_phone_targets.py) stay phonetic:
    open vowels drop the jaw further than close ones, the close rounded vowel and the
    lip-rounding glide least, and a vowel in a word opens the jaw well beyond its consonants."""
    from speaker.motion.articulation import PHONE_TARGETS

    jaw = {phone: targets[0][JAW] for phone, targets in PHONE_TARGETS.items()}
    for open_vowel in ("AA", "AE", "AY", "AW"):
        for close in ("IH", "IY", "UW", "UH"):
            assert jaw[open_vowel] > jaw[close] + 0.2, (open_vowel, close)
    assert jaw["UW"] < 0.3 and jaw["W"] < 0.2
    assert all(0.0 <= value <= 1.0 for targets in PHONE_TARGETS.values() for target in targets for value in target)
    # "bat": the lips shut on the b, the vowel opens the jaw at least twice as wide as the t.
    phones = [Phone("SIL", 0.0, 0.3), Phone("B", 0.3, 0.38), Phone("AE", 0.38, 0.6), Phone("T", 0.6, 0.68),
              Phone("SIL", 0.68, 1.2)]
    values = articulation_from_phones(phones, np.array([0.34, 0.49, 0.66]))
    assert values[0, CLOSURE] == 1.0 and values[1, CLOSURE] < 0.1
    assert values[1, JAW] > 2 * values[2, JAW]


def test_different_faces_with_one_seed_blink_and_sway_in_their_own_time(speech, portrait, track):
    """Screens of a gallery started together, each with the default seed, do not blink in unison."""
    import dataclasses

    other_face = dataclasses.replace(portrait, landmarks=portrait.landmarks + np.float32(1.0))
    other = animate(speech, other_face, FPS, style="calm", seed=3)
    assert not np.array_equal(other.eyelid, track.eyelid)
    assert not np.allclose(other.head_pose, track.head_pose)
    again = animate(speech, portrait, FPS, style="calm", seed=3)  # the same face and seed: the same track
    assert np.array_equal(again.eyelid, track.eyelid) and np.array_equal(again.head_pose, track.head_pose)
    idle = idle_track(portrait, 4.0, FPS, seed=3).eyelid
    assert not np.array_equal(idle_track(other_face, 4.0, FPS, seed=3).eyelid, idle)
