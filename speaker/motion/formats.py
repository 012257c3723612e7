"""Saving and loading tracks, and mouth cues in Rhubarb Lip Sync's formats.

Track JSON schema (``format`` "speaker-track", ``version`` 1)
--------------------------------------------------------------
A UTF-8 JSON object::

    {
      "format": "speaker-track",
      "version": 1,
      "fps": 25.0,                         # frames per second
      "image_size": [width, height],       # pixels of the portrait
      "frame_count": T,
      "articulation_names": [...K names],  # speaker.types.ARTICULATION_NAMES
      "head_pose_names": ["yaw", "pitch", "roll", "tx", "ty", "scale"],
      "landmarks": [[[x, y] * 68] * T],    # pixels, before head pose, rounded to 0.01
      "head_pose": [[6 numbers] * T],      # degrees, degrees, degrees, px, px, factor
      "articulation": [[K numbers] * T],   # each in [0, 1]
      "eyelid": [T numbers],               # 0 open .. 1 shut
      "gaze": [[dx, dy] * T],              # eye widths (optional, absent = zeros)
      "words": [{"text": str, "start": s, "end": s}, ...]
    }

Columns of ``head_pose`` and ``articulation`` are read by name, so a file may
list them in another order; a missing articulation column is read as 0.
``gaze`` (iris position in the eye openings, see :class:`speaker.types.Track`)
was added within version 1: files without it are read with zeros (the
photo's gaze), and readers that predate it ignore it.
Rounding: landmarks and translations to 0.01 px, angles to 0.001 degree,
articulation, eyelid, gaze and scale to 1e-4.

Mouth cues
----------
:func:`write_mouth_cues` writes the track's mouth as Rhubarb Lip Sync's nine
mouth shapes, in its TSV format (``start<TAB>shape`` per cue, the last line
the end time with ``X``) or JSON format (``{"metadata": {"soundFile",
"duration"}, "mouthCues": [{"start", "end", "value"}]}``), times in seconds
with two decimals. Shapes: A closed lips (p, b, m), B slightly open with
clenched teeth, C open (eh), D wide open (ah), E slightly open rounded (ao,
er), F puckered (uw, w), G lower lip on the upper teeth (f, v), X rest. H
(tongue raised for l) is not produced: a track does not record the tongue.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import SpeakerError
from ..files import replaced_atomically
from ..types import ARTICULATION_NAMES, HEAD_POSE_NAMES, Track, Word

FORMAT_NAME = "speaker-track"
FORMAT_VERSION = 1

JAW = ARTICULATION_NAMES.index("jaw_open")
CLOSURE = ARTICULATION_NAMES.index("lip_closure")
SPREAD = ARTICULATION_NAMES.index("lip_spread")
ROUND = ARTICULATION_NAMES.index("lip_round")
RAISE = ARTICULATION_NAMES.index("upper_lip_raise")
TUCK = ARTICULATION_NAMES.index("lower_lip_tuck")

#: Thresholds of the articulation -> Rhubarb shape mapping.
SHAPE_CLOSED = 0.5       # lip_closure at or above: A
SHAPE_TUCKED = 0.5       # lower_lip_tuck at or above: G
SHAPE_PUCKER = 0.5       # lip_round at or above: F (jaw nearly shut) or E
SHAPE_PUCKER_JAW = 0.4
SHAPE_WIDE = 0.6         # jaw_open at or above: D
SHAPE_ROUNDED = 0.3      # lip_round at or above: E
SHAPE_OPEN = 0.3         # jaw_open at or above: C
SHAPE_MOVING = 0.08      # any of jaw, spread, raise above: B, else X


def _round_nested(array: np.ndarray, decimals: int) -> list:
    return np.round(np.asarray(array, dtype=np.float64), decimals).tolist()


def save_track(track: Track, path: str | Path) -> None:
    """Write a track as JSON (schema in the module docstring).

    Raises
    ------
    SpeakerError
        The file cannot be written.
    """
    pose = np.asarray(track.head_pose, dtype=np.float64)
    data = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "fps": float(track.fps),
        "image_size": [int(track.image_size[0]), int(track.image_size[1])],
        "frame_count": len(track),
        "articulation_names": list(ARTICULATION_NAMES),
        "head_pose_names": list(HEAD_POSE_NAMES),
        "landmarks": _round_nested(track.landmarks, 2),
        "head_pose": [[round(v, 3) for v in row[:3]] + [round(v, 2) for v in row[3:5]]
                      + [round(row[5], 4)] for row in pose.tolist()],
        "articulation": _round_nested(track.articulation, 4),
        "eyelid": _round_nested(track.eyelid, 4),
        "gaze": _round_nested(track.gaze, 4),
        "words": [{"text": w.text, "start": round(float(w.start), 4), "end": round(float(w.end), 4)}
                  for w in track.words],
    }
    path = Path(path)
    try:
        with replaced_atomically(path) as partial:
            partial.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    except OSError as error:
        raise SpeakerError(f"Cannot write the track to {path}: {error.strerror or error}.") from None


def _array(data: dict, key: str, shape: tuple, path: Path) -> np.ndarray:
    try:
        array = np.asarray(data[key], dtype=np.float32)
    except KeyError:
        raise SpeakerError(f"Track file {path} has no '{key}'.") from None
    except (TypeError, ValueError):
        raise SpeakerError(f"Track file {path} has a malformed '{key}' array.") from None
    if array.shape != shape or not np.all(np.isfinite(array)):
        raise SpeakerError(
            f"Track file {path}: '{key}' should have shape {shape} of finite numbers, "
            f"not {array.shape}."
        )
    return array


def load_track(path: str | Path) -> Track:
    """Read a track written by :func:`save_track`.

    Raises
    ------
    SpeakerError
        Missing, unreadable, not a track, a newer version, or inconsistent arrays.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpeakerError(f"Track file {path} does not exist.") from None
    except UnicodeDecodeError:
        # A picture or a video given where the track goes: it is no text at all.
        raise SpeakerError(f"{path} is not a speaker track file (the JSON that --export-track writes).") from None
    except OSError as error:
        raise SpeakerError(f"Cannot read the track file {path}: {error.strerror or error}.") from None
    except json.JSONDecodeError as error:
        raise SpeakerError(f"Track file {path} is not valid JSON ({error.msg}, line {error.lineno}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise SpeakerError(f"{path} is not a speaker track file.")
    version = data.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise SpeakerError(f"Track file {path} has version {version!r}; this speaker reads up to {FORMAT_VERSION}.")
    try:
        fps = float(data["fps"])
        width, height = (int(v) for v in data["image_size"])
        count = int(data["frame_count"])
        pose_names = [str(n) for n in data["head_pose_names"]]
        articulation_names = [str(n) for n in data["articulation_names"]]
    except (KeyError, TypeError, ValueError):
        raise SpeakerError(f"Track file {path} lacks fps, image_size, frame_count or column names.") from None
    if not (math.isfinite(fps) and fps > 0 and count > 0 and width > 0 and height > 0):
        raise SpeakerError(f"Track file {path} has a non-positive fps, size or frame count.")
    if sorted(pose_names) != sorted(HEAD_POSE_NAMES):
        raise SpeakerError(f"Track file {path} has head pose columns {pose_names}, expected {list(HEAD_POSE_NAMES)}.")
    unknown = set(articulation_names) - set(ARTICULATION_NAMES)
    if unknown or len(set(articulation_names)) != len(articulation_names):
        raise SpeakerError(f"Track file {path} has unknown or repeated articulation columns {sorted(unknown)}.")

    landmarks = _array(data, "landmarks", (count, 68, 2), path)
    pose_in = _array(data, "head_pose", (count, len(pose_names)), path)
    articulation_in = _array(data, "articulation", (count, len(articulation_names)), path)
    eyelid = _array(data, "eyelid", (count,), path)
    gaze = _array(data, "gaze", (count, 2), path) if "gaze" in data else np.zeros((count, 2), np.float32)
    head_pose = pose_in[:, [pose_names.index(n) for n in HEAD_POSE_NAMES]]
    articulation = np.zeros((count, len(ARTICULATION_NAMES)), np.float32)
    for column, name in enumerate(articulation_names):
        articulation[:, ARTICULATION_NAMES.index(name)] = articulation_in[:, column]
    try:
        words = [Word(str(w["text"]), float(w["start"]), float(w["end"])) for w in data.get("words", [])]
    except (KeyError, TypeError, ValueError):
        raise SpeakerError(f"Track file {path} has malformed words.") from None
    return Track(fps=fps, landmarks=landmarks, head_pose=head_pose,
                 articulation=np.clip(articulation, 0.0, 1.0), eyelid=np.clip(eyelid, 0.0, 1.0),
                 image_size=(width, height), words=words, gaze=gaze)


def mouth_shape(articulation: np.ndarray) -> str:
    """Rhubarb mouth shape ("A".."G" or "X") of one articulation vector (K,)."""
    a = np.asarray(articulation, dtype=np.float64)
    if a[CLOSURE] >= SHAPE_CLOSED:
        return "A"
    if a[TUCK] >= SHAPE_TUCKED:
        return "G"
    if a[ROUND] >= SHAPE_PUCKER:
        return "F" if a[JAW] < SHAPE_PUCKER_JAW else "E"
    if a[JAW] >= SHAPE_WIDE:
        return "D"
    if a[ROUND] >= SHAPE_ROUNDED:
        return "E"
    if a[JAW] >= SHAPE_OPEN:
        return "C"
    if max(a[JAW], a[SPREAD], a[RAISE]) > SHAPE_MOVING:
        return "B"
    return "X"


def mouth_cues(track: Track) -> list[tuple[float, float, str]]:
    """The track's mouth as Rhubarb cues: (start s, end s, shape), equal neighbours merged."""
    cues: list[list] = []
    for index, row in enumerate(np.asarray(track.articulation)):
        shape = mouth_shape(row)
        start = index / track.fps
        if cues and cues[-1][2] == shape:
            continue
        if cues:
            cues[-1][1] = start
        cues.append([start, None, shape])
    if cues:
        cues[-1][1] = len(track) / track.fps
    return [(float(s), float(e), shape) for s, e, shape in cues]


def _truncate(seconds: float) -> float:
    """Seconds truncated to a multiple of 0.01, as Rhubarb writes them."""
    return math.floor(seconds * 100 + 1e-6) / 100


#: Suffixes of the two formats of Rhubarb Lip Sync's mouth cues.
MOUTH_CUES_SUFFIXES = (".tsv", ".json")


def check_mouth_cues_name(path: str | Path) -> None:
    """Raise :class:`SpeakerError` when ``path`` names neither of :data:`MOUTH_CUES_SUFFIXES` (before any work)."""
    path = Path(path)
    if path.suffix.lower() not in MOUTH_CUES_SUFFIXES:
        raise SpeakerError(f"Mouth cues can be written as .tsv or .json, not '{path.suffix or path.name}'.")


def write_mouth_cues(track: Track, path: str | Path, sound_file: str = "") -> None:
    """Write the track's mouth cues in Rhubarb Lip Sync's TSV or JSON format.

    Parameters
    ----------
    track : Track
        The track (its articulation column is read).
    path : str or Path
        ``.tsv`` or ``.json`` (chosen by the suffix).
    sound_file : str
        Recorded as ``metadata.soundFile`` in JSON.

    Raises
    ------
    SpeakerError
        Unknown suffix or the file cannot be written.
    """
    path = Path(path)
    check_mouth_cues_name(path)
    suffix = path.suffix.lower()
    duration = _truncate(track.duration)
    cues = [(_truncate(s), _truncate(e), shape) for s, e, shape in mouth_cues(track)]
    # Rounding can make a very short cue empty; drop it, keep the timeline continuous.
    cues = [cue for cue in cues if cue[1] > cue[0]]
    for index in range(1, len(cues)):
        cues[index] = (cues[index - 1][1], cues[index][1], cues[index][2])
    if suffix == ".tsv":
        lines = [f"{start:.2f}\t{shape}" for start, _, shape in cues]
        lines.append(f"{duration:.2f}\tX")
        text = "\n".join(lines) + "\n"
    else:  # .json
        body = ",\n".join(
            f'    {{ "start": {start:.2f}, "end": {end:.2f}, "value": "{shape}" }}'
            for start, end, shape in cues
        )
        text = (
            "{\n  \"metadata\": {\n"
            f"    \"soundFile\": {json.dumps(sound_file)},\n"
            f"    \"duration\": {duration:.2f}\n"
            "  },\n  \"mouthCues\": [\n" + body + "\n  ]\n}\n"
        )
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise SpeakerError(f"Cannot write mouth cues to {path}: {error.strerror or error}.") from None
