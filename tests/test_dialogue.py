"""Dialogue: the script format, listening faces, and several faces of one photo rendered at once."""

from __future__ import annotations

import re
import subprocess
import sys

import imageio.v3
import numpy as np
import pytest

from speaker.errors import SpeakerError
from speaker.script import ScriptLine, parse_script
from speaker.types import ARTICULATION_NAMES, Scene, Track

JAW = ARTICULATION_NAMES.index("jaw_open")


def test_script_lines_headers_and_comments():
    script = parse_script("# a scene\nvoice 1 = orator   # the slow one\nname 0 = Ada\n\n0: Hello there.\n"
                          "1: Good morning, # not a comment here\n")
    assert script.lines == [ScriptLine(0, "Hello there."), ScriptLine(1, "Good morning, # not a comment here")]
    assert script.voices == {1: "orator"} and script.names == {0: "Ada"}
    assert script.faces == [0, 1] and script.label(0) == "Ada" and script.label(1) == "Face 1"


def test_a_named_face_speaks_lines_that_start_with_its_name():
    script = parse_script("name 0 = Obama\nname 1 = Joe Biden\nObama: Hello.\njoe biden: Hi. Time: 5 pm.\n0: Bye.\n")
    assert script.lines == [ScriptLine(0, "Hello."), ScriptLine(1, "Hi. Time: 5 pm."), ScriptLine(0, "Bye.")]
    with pytest.raises(SpeakerError, match=r"Line 1 .*'NAME: words' after 'name N = NAME'"):
        parse_script("Obama: Hello.\nname 0 = Obama\n")  # a name is known once its header is read


@pytest.mark.parametrize("text, fragment", [
    ("", "no lines"),
    ("# only a comment\nvoice 0 = calm\n", "no lines"),
    ("0: Hello.\nBob says hi\n", "Line 2"),
    ("0: ...\n", "no words"),
])
def test_bad_scripts_are_one_sentence(text, fragment):
    with pytest.raises(SpeakerError, match=fragment):
        parse_script(text)


@pytest.fixture(scope="module")
def portraits(two_faces):
    from speaker import face

    image, grayscale = face.load_image(two_faces)
    return [face.find_portrait(image, grayscale, face_index=index) for index in (0, 1)]


def rest_track(portrait, frames: int, jaw: float = 0.0) -> Track:
    from speaker.motion.landmarks import mouth_landmarks

    articulation = np.zeros((frames, len(ARTICULATION_NAMES)), np.float32)
    articulation[:, JAW] = jaw
    pose = np.tile(np.array([0, 0, 0, 0, 0, 1], np.float32), (frames, 1))
    return Track(fps=25.0, landmarks=mouth_landmarks(portrait.landmarks, articulation), head_pose=pose,
                 articulation=articulation, eyelid=np.zeros(frames, np.float32), image_size=portrait.size)


def test_each_face_without_a_voice_header_speaks_in_the_language_its_lines_are_written_in():
    from speaker.pipeline.performances import _face_voices

    script = parse_script("voice 2 = michael\n0: 早上好。\n1: Good morning.\n2: 你好。\n")
    voices, told = _face_voices(script)
    assert len(told) == 2  # face 2's voice was given: kept, and told that it does not speak Chinese
    assert told[0].startswith("Face 2's lines are written in Chinese, but the voice 'michael' speaks en-US; "
                              "voices that speak it: xiaoxiao, yunxi.")
    assert re.match(r"Face 0's lines are written in Chinese, so the voice \w+ \(zh\)", told[1])
    assert voices[0].language.startswith("zh") and voices[1].name == "default" and voices[2].name == "michael"


def test_faces_without_voice_headers_get_different_speakers_of_the_same_kind():
    from speaker.pipeline.performances import _face_voices
    from speaker.settings import same_speaker

    # orator is the default voice's speaker, slower: face 1 would be heard as the same man.
    script = parse_script("voice 0 = orator\n0: Good morning.\n1: Good morning to you.\n2: And to you.\n")
    voices, told = _face_voices(script)
    assert same_speaker(voices[0], voices[1]) is False and voices[1].gender == "male"
    assert voices[1].language == "en-US" and "face 0 speaks with orator, default's speaker, so" in told[0]
    # No third bundled American man: face 2 shares a voice, and is told which header parts them.
    assert same_speaker(voices[2], voices[0]) and "'voice 2 = PRESET' header" in told[1]

    script = parse_script("0: 你好。\n1: 你好吗？\n")
    voices, told = _face_voices(script)
    assert voices[0].name == voices[1].name == "xiaoxiao" and "one speaker's voice (xiaoxiao)" in told[-1]  # the other Mandarin voice is a man's


def test_a_scene_is_the_photo_plus_each_faces_own_change(portraits):
    from speaker import render

    assert [p.face_count for p in portraits] == [2, 2]
    talking, listening = rest_track(portraits[0], 1, jaw=0.9), rest_track(portraits[1], 1)
    listening.head_pose[:, 0] = 4.0                                          # face 1 turns its head
    frame = next(render.render_scene(Scene(portraits, [talking, listening])))
    photo = portraits[0].image.astype(int)
    alone = [next(render.render_frames(p, t)).astype(int) for p, t in ((portraits[0], talking), (portraits[1], listening))]
    assert np.abs(frame.astype(int) - np.clip(photo + (alone[0] - photo) + (alone[1] - photo), 0, 255)).max() <= 1
    # Each change stays in its own face's half of the photo.
    split = int(portraits[0].box[2] + portraits[1].box[0]) // 2
    assert np.abs(alone[0] - photo)[:, split:].max() == 0 and np.abs(alone[0] - photo)[:, :split].max() > 40
    assert np.abs(alone[1] - photo)[:, :split].max() == 0 and np.abs(alone[1] - photo)[:, split:].max() > 40
    with pytest.raises(ValueError):
        Scene(portraits, [talking])


def test_a_listener_turns_and_looks_towards_the_speaker_and_nods(portraits):
    from speaker import motion

    track = rest_track(portraits[1], 150)                                      # 6 s
    listening = motion.listen(track, [(1.0, 5.0, -1.0)], seed=0)               # the speaker is on the left
    inside = slice(40, 120)
    assert (listening.head_pose[inside, 0] < -1.5).all() and (listening.gaze[inside, 0] < -0.04).all()
    assert listening.head_pose[inside, 1].max() > 0.8                          # a nod
    assert np.allclose(listening.head_pose[:15], track.head_pose[:15])         # before the turn: unchanged
    assert np.array_equal(listening.landmarks, track.landmarks)                # the mouth stays as it was


def test_a_script_naming_a_face_that_is_not_there(two_faces, tmp_path):
    done = subprocess.run([sys.executable, "-m", "speaker", "dialogue", "--image", str(two_faces), "--script",
                           str(_write(tmp_path / "s.txt", "0: Hello.\n2: Hi.\n")), "-o", str(tmp_path / "d.mp4")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "face 2" in done.stderr and "2 faces" in done.stderr and not (tmp_path / "d.mp4").exists()


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.replace(",", ".").split(":")
    return 3600 * int(hours) + 60 * int(minutes) + float(seconds)


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def inner_opening(frame: np.ndarray, box: np.ndarray) -> float:
    """dlib's inner-lip gap (pixels of the frame) of the face in ``box``, fitted on the crop enlarged twice.

    The faces of the two-face photo are about 90 px wide, where dlib's lips jump by several pixels as the
    head turns (a listener's still mouth: standard deviation 1.9 px, 0.2 px fitted at twice the size).
    """
    import cv2

    from speaker import face

    x0, y0, x1, y1 = (int(v) for v in box)
    pad = int(0.5 * (x1 - x0))
    crop = frame[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad]
    crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    detections = face.get_landmarker("dlib").detect(crop)
    assert detections, "the face must stay detectable"
    points = max(detections, key=lambda d: d[0][2] - d[0][0])[2]
    return 0.5 * float(np.mean([points[lower, 1] - points[upper, 1] for upper, lower in ((61, 67), (62, 66), (63, 65))]))


@pytest.mark.slow
def test_dialogue_end_to_end_each_mouth_moves_in_its_own_lines(two_faces, portraits, tmp_path):
    from speaker import pipeline, video

    script = "name 0 = Grace\n0: Good morning, how are you today?\n1: I am very well, thank you.\n"
    out = tmp_path / "dialogue.mp4"
    result = pipeline.dialogue(two_faces, script, out, preview=tmp_path / "sheet.png")
    assert result.face_count == 2 and result.frames == video.probe(out)["frame_count"]
    sheet = imageio.v3.imread(tmp_path / "sheet.png")  # Grace speaks, Face 1 speaks, the middle (a blink if any)
    assert tmp_path / "sheet.png" in result.extra_files and sheet.shape[1] == 3 * 320 and sheet.shape[0] > 300
    subtitles = (tmp_path / "dialogue.srt").read_text()
    assert "Grace: Good" in subtitles and "Face 1: I am" in subtitles
    reader = video.read_video(out)
    frames = list(reader.frames)
    cues = [(_seconds(start), _seconds(end)) for start, end in
            re.findall(r"(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)", subtitles)]
    assert len(cues) == 2

    def spoken_in(cue):  # the frames of a line, less its first and last tenth of a second
        return [f for i, f in enumerate(frames) if cue[0] + 0.1 < i / reader.fps < cue[1] - 0.1]

    first, second = spoken_in(cues[0]), spoken_in(cues[1])
    for speaker, listener, own, other in ((0, 1, first, second), (1, 0, second, first)):
        box = portraits[speaker].box
        # A speaking mouth opens and closes; a listening one stays as it is.
        speaking = np.std([inner_opening(f, box) for f in own[::2]])
        listening = np.std([inner_opening(f, box) for f in other[::2]])
        assert speaking > 2.0 * listening + 0.3, (speaker, speaking, listening)


@pytest.mark.slow
def test_every_subtitle_of_a_dialogue_names_its_speaker(two_faces, tmp_path):
    """A line too long for one cue: each of its cues names the speaker (.srt text, .vtt voice span too)."""
    from speaker import pipeline

    script = ("name 0 = Lincoln\nname 1 = Grace\nLincoln: Four score and seven years ago our fathers brought forth "
              "on this continent a new nation, conceived in liberty.\nGrace: And dedicated to the proposition that "
              "all men are created equal.\n")
    pipeline.dialogue(two_faces, script, tmp_path / "lincoln.mp4")
    srt = [block.split("\n")[2:] for block in (tmp_path / "lincoln.srt").read_text().strip().split("\n\n")]
    names = [lines[0].partition(": ")[0] for lines in srt]
    assert len(srt) >= 3 and names == sorted(names, key=["Lincoln", "Grace"].index) and set(names) == {"Lincoln", "Grace"}
    assert all(": " not in " ".join(lines).partition(": ")[2] for lines in srt)  # one name a cue: no two speakers
    vtt = (tmp_path / "lincoln.vtt").read_text().removeprefix("WEBVTT\n\n").strip().split("\n\n")
    assert [block.split("\n", 1)[1] for block in vtt] == [f"<v {name}>" + "\n".join(lines) + "</v>"
                                                            for name, lines in zip(names, srt)]


def test_a_faces_track_is_rendered_on_that_face_and_carried_over_to_another(two_faces, portraits, tmp_path):
    """A dialogue writes one track per face; rendered without --face, face 1's track moves face 1, though
    face 0 is the one animated when no face is chosen; with --face 0 it moves face 0 instead."""
    from speaker import pipeline, video
    from speaker.motion.formats import save_track

    save_track(rest_track(portraits[1], 10, jaw=0.9), tmp_path / "scene.face1.json")
    result = pipeline.render_track(two_faces, tmp_path / "scene.face1.json", tmp_path / "right.mp4", subtitles=False)
    frame = next(iter(video.read_video(result.path).frames)).astype(int)
    change = np.abs(frame - portraits[0].image.astype(int)).mean(axis=2)

    def mouth_change(portrait):  # mean change about the mouth: its jaw dropped, or the video's coding alone
        x0, y0 = portrait.landmarks[48:68].min(axis=0).astype(int) - 4
        x1, y1 = portrait.landmarks[48:68].max(axis=0).astype(int) + 4
        return float(change[y0:y1, x0:x1].mean())

    speaking, still = mouth_change(portraits[1]), mouth_change(portraits[0])
    assert speaking > 4 * still + 5, (speaking, still)  # Eileen Collins speaks; Grace is still

    left = pipeline.render_track(two_faces, tmp_path / "scene.face1.json", tmp_path / "left.mp4", face=0,
                                 subtitles=False)
    assert left.warnings == ["The track was made for face 1 of this photo; its motion, mouth and blinks are "
                             "carried over to face 0 of this photo."]
    frame = next(iter(video.read_video(left.path).frames)).astype(int)
    change = np.abs(frame - portraits[0].image.astype(int)).mean(axis=2)
    speaking, still = mouth_change(portraits[0]), mouth_change(portraits[1])
    assert speaking > 4 * still + 5, (speaking, still)  # now Grace speaks; Eileen Collins is still
