"""Retargeting: a performer's face, followed through a video, moves the portrait.

Everything is measured relative to the performer's own neutral frame (the
first frame where the face was found, unless told otherwise) and carried over
to the portrait's proportions, so the photo's own face, pose and expression
are the rest state:

- head pose: roll and scale from a similarity fit of the eye corners (a
  nearly flat, rigid part of the face) onto the neutral frame; yaw and pitch
  from how far the nose tip moves against the ends of the jaw line (the nose
  stands :data:`NOSE_DEPTH` face widths in front of them); translation from
  the eyes' centre, less the shift the rotation itself causes about the top
  of the neck (:data:`PIVOT_DEPTH` behind the eyes);
- expression: after that fit, each landmark's displacement from the neutral
  frame in face widths (the lips and jaw relative to the nose base, which
  moves with them when the head turns; lids and brows relative to the eye
  corners), scaled by the ratio of the portrait's mouth width, lower-face
  height, eye opening and brow height to the performer's, and added to the
  portrait's landmarks;
- articulation (jaw_open, lip_spread, lip_round) read off the retargeted
  mouth, eyelid closure off the performer's eye opening, gaze off the iris
  inside the eye opening (held through blinks).

The result is an ordinary :class:`~speaker.types.Track`.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import SpeakerError
from ..timebase import frame_times, n_frames
from ..types import ARTICULATION_NAMES, HEAD_POSE_NAMES, PerformerFaces, Portrait, Track
from .checks import check_frame_rate, check_scale, neutral_landmarks
from .landmarks import (INNER_LOWER, INNER_UPPER, MOUTH, ROUND_WIDTH_GAIN, SPREAD_WIDTH_GAIN, face_frame,
                        mouth_calibration, mouth_landmarks)

YAW, PITCH, ROLL, TX, TY, SCALE = range(len(HEAD_POSE_NAMES))
JAW, SPREAD, ROUND = (ARTICULATION_NAMES.index(name) for name in ("jaw_open", "lip_spread", "lip_round"))

#: Eye corners: the rigid, nearly flat points the head's roll and scale are fitted on.
EYE_CORNERS = [36, 39, 42, 45]
#: Depth of the nose tip in front of the jaw line's ends (landmarks 0 and 16), face widths.
NOSE_DEPTH = 0.58
#: The head turns about the top of the neck, this far behind the eyes (face widths).
PIVOT_DEPTH = 0.62
#: Landmark groups that carry expression, and the point their displacement is taken against.
MOUTH_AND_JAW = np.r_[4:13, 48:68]
BROWS = np.arange(17, 27)
EYES = np.arange(36, 48)
NOSE_BASE = 33
CHIN = 8
JAW_LINE = np.arange(4, 13)
#: Eye opening (share of the neutral's) at or above which the lids count as
#: open, and at or below which as shut.
EYE_OPEN_RATIO = 0.85
EYE_SHUT_RATIO = 0.3
#: Gaze smoothing (Gaussian sigma, seconds): the iris finder is noisy.
GAZE_SIGMA = 0.04
#: Rotations taken from the performer are soft-limited to this (degrees, a
#: tanh knee): beyond it the nose-against-jaw reading is unreliable and the
#: warped photo tears at the cheek.
MAX_ROTATION = 18.0


def _align_to_neutral(points: np.ndarray, neutral: np.ndarray):
    """Similarity (per frame) that brings the eye corners onto the neutral frame's.

    Returns the aligned landmarks (T, 68, 2), the rotation that was undone
    (T,) in radians (image coordinates, y down) and the scale undone (T,).
    """
    source = points[:, EYE_CORNERS]                                  # (T, 4, 2)
    target = neutral[EYE_CORNERS]
    source_mean = source.mean(axis=1, keepdims=True)
    target_mean = target.mean(axis=0)
    a = source - source_mean
    b = (target - target_mean)[None]
    dot = (a * b).sum(axis=(1, 2))
    cross = (a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]).sum(axis=1)
    angle = np.arctan2(cross, dot)
    scale = np.hypot(dot, cross) / np.maximum((a ** 2).sum(axis=(1, 2)), 1e-9)
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)   # (T, 2, 2)
    centred = points - source_mean
    aligned = scale[:, None, None] * np.einsum("tij,tnj->tni", rotation, centred) + target_mean
    return aligned, angle, scale


def _eye_opening(points: np.ndarray) -> np.ndarray:
    """Mean lid opening of both eyes per frame, pixels; ``points`` (T, 68, 2)."""
    pairs = [(37, 41), (38, 40), (43, 47), (44, 46)]
    return np.mean([np.linalg.norm(points[:, lower] - points[:, upper], axis=-1) for upper, lower in pairs], axis=0)


def _in_frame(points: np.ndarray, origin: np.ndarray, axes: np.ndarray, unit: float) -> np.ndarray:
    """Pixels to face-frame coordinates (face widths)."""
    return ((points - origin) @ axes.T) / unit


def _proportions(face: np.ndarray) -> dict[str, float]:
    """Sizes of a face's parts in its own face frame (face widths); ``face`` (68, 2)."""
    eye_width = 0.5 * (abs(face[39, 0] - face[36, 0]) + abs(face[45, 0] - face[42, 0]))
    eye_open = np.mean([face[lower, 1] - face[upper, 1] for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46))])
    brow = np.mean(face[36:48, 1]) - np.mean(face[17:27, 1])
    return {
        "mouth_width": abs(face[54, 0] - face[48, 0]),
        "lower_face": face[8, 1] - face[NOSE_BASE, 1],
        "eye_width": eye_width,
        "eye_open": max(eye_open, 1e-3),
        "brow": max(brow, 1e-3),
    }


def _ratio(portrait: float, performer: float) -> float:
    # Odd detections (a squinting neutral frame) must not blow the motion up.
    return float(np.clip(portrait / max(performer, 1e-6), 0.5, 2.0))


def _gaze(performer: PerformerFaces, neutral_index: int, fps: float) -> np.ndarray:
    """Iris offsets (T, 2) in eye widths against the neutral frame, held through blinks."""
    points = performer.landmarks.astype(np.float64)
    irises = performer.irises.astype(np.float64)
    offsets = np.full((len(performer), 2, 2), np.nan)
    for eye, (outer, inner) in enumerate(((36, 39), (42, 45))):
        left, right = points[:, outer], points[:, inner]
        along = right - left
        width = np.linalg.norm(along, axis=-1, keepdims=True)
        along = along / np.maximum(width, 1e-6)
        across = np.stack([-along[:, 1], along[:, 0]], -1)
        relative = irises[:, eye] - 0.5 * (left + right)
        offsets[:, eye, 0] = (relative * along).sum(-1) / width[:, 0]
        offsets[:, eye, 1] = (relative * across).sum(-1) / width[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # frames with both eyes shut give NaN, as they should
        both = np.nanmean(offsets, axis=1)
    valid = np.isfinite(both).all(axis=1) & performer.found
    if not valid.any():
        return np.zeros((len(performer), 2))
    index = np.maximum.accumulate(np.where(valid, np.arange(len(valid)), -1))
    index[index < 0] = int(np.argmax(valid))
    held = both[index]
    reference = held[neutral_index] if valid[neutral_index] else np.median(both[valid], axis=0)
    gaze = held - reference
    if len(gaze) > 2:
        from scipy.ndimage import gaussian_filter1d, median_filter

        gaze = median_filter(gaze, size=(3, 1), mode="nearest")
        gaze = gaussian_filter1d(gaze, GAZE_SIGMA * fps, axis=0, mode="nearest")
    return gaze


def _resample(values: np.ndarray, source_fps: float, times: np.ndarray) -> np.ndarray:
    """Linear interpolation of per-frame values (T, ...) at ``times`` seconds."""
    source_times = np.arange(len(values)) / source_fps
    flat = values.reshape(len(values), -1)
    out = np.stack([np.interp(times, source_times, flat[:, k]) for k in range(flat.shape[1])], axis=1)
    return out.reshape((len(times),) + values.shape[1:])


def drive_track(performer: PerformerFaces, portrait: Portrait, fps: float | None = None,
                scale: float = 1.0, neutral_frame: int | None = None) -> Track:
    """The track that makes the portrait perform what the performer does.

    Parameters
    ----------
    performer : PerformerFaces
        The performer's landmarks per video frame (from :func:`speaker.face.follow_face`).
    portrait : Portrait
        The face to drive; its landmarks and pose are the performer's neutral frame.
    fps : float, optional
        Frame rate of the track; by default the video's.
    scale : float
        Multiplies the head's motion (rotations and translations; 0 keeps the
        head still while the face still moves).
    neutral_frame : int, optional
        The performer's neutral frame; by default the first frame the face was found on.

    Returns
    -------
    Track
        ``n_frames(video duration, fps)`` frames, no words.

    Raises
    ------
    SpeakerError
        No face on any frame, a bad frame rate or scale, unusable landmarks.
    """
    if not performer.found.any():
        raise SpeakerError("No face was found in the driving video.")
    fps = float(performer.fps if fps is None else fps)
    check_frame_rate(fps)
    check_scale(scale)
    photo = neutral_landmarks(portrait)
    if neutral_frame is None:
        neutral_frame = int(np.argmax(performer.found))
    elif not 0 <= neutral_frame < len(performer):
        raise SpeakerError(f"The neutral frame must be between 0 and {len(performer) - 1}.")

    points = performer.landmarks.astype(np.float64)
    neutral = points[neutral_frame]
    origin, axes, unit = face_frame(neutral)
    aligned, undone_angle, undone_scale = _align_to_neutral(points, neutral)
    face = _in_frame(aligned, origin, axes, unit)                    # (T, 68, 2) face widths
    rest = face[neutral_frame]

    # Head pose.
    nose = face[:, 30] - 0.5 * (face[:, 0] + face[:, 16])
    turn = (nose - nose[neutral_frame]) / NOSE_DEPTH
    yaw = np.degrees(np.arcsin(np.clip(turn[:, 0], -0.95, 0.95)))
    pitch = np.degrees(np.arcsin(np.clip(turn[:, 1], -0.95, 0.95)))
    roll = np.degrees(-(undone_angle - undone_angle[neutral_frame]))
    roll = (roll + 180.0) % 360.0 - 180.0
    yaw, pitch, roll = (MAX_ROTATION * np.tanh(angle / MAX_ROTATION) for angle in (yaw, pitch, roll))
    eyes_centre = _in_frame(points[:, 36:48].mean(axis=1), origin, axes, unit)
    shift = eyes_centre - eyes_centre[neutral_frame]
    shift[:, 0] -= PIVOT_DEPTH * np.sin(np.radians(yaw))
    shift[:, 1] -= PIVOT_DEPTH * np.sin(np.radians(pitch))
    nearer = (undone_scale[neutral_frame] / undone_scale) / (0.5 * (1.0 + np.cos(np.radians(yaw))))

    photo_origin, photo_axes, photo_unit = face_frame(photo)
    head_pose = np.zeros((len(performer), 6))
    head_pose[:, YAW], head_pose[:, PITCH], head_pose[:, ROLL] = yaw * scale, pitch * scale, roll * scale
    head_pose[:, [TX, TY]] = scale * photo_unit * (shift @ photo_axes)
    head_pose[:, SCALE] = 1.0 + scale * (nearer - 1.0)

    # Expression, in face widths, scaled to the portrait's proportions.
    photo_face = _in_frame(photo, photo_origin, photo_axes, photo_unit)
    theirs, ours = _proportions(rest), _proportions(photo_face)
    # The lips part as far as the performer's do, whatever gap either neutral
    # face has: both mouths are taken from their lips-together shape.
    closed = np.zeros(len(ARTICULATION_NAMES))
    photo_face[MOUTH] = _in_frame(mouth_landmarks(photo, closed, own_mouth=0.0), photo_origin, photo_axes,
                                  photo_unit)[MOUTH]
    rest_closed = rest.copy()
    rest_closed[MOUTH] = _in_frame(mouth_landmarks(neutral, closed, own_mouth=0.0), origin, axes, unit)[MOUTH]
    delta = np.zeros_like(face)
    delta[:, MOUTH_AND_JAW] = (face[:, MOUTH_AND_JAW] - rest_closed[MOUTH_AND_JAW]) - \
        (face[:, NOSE_BASE] - rest[NOSE_BASE])[:, None]
    delta[:, MOUTH_AND_JAW, 0] *= _ratio(ours["mouth_width"], theirs["mouth_width"])
    delta[:, MOUTH_AND_JAW, 1] *= _ratio(ours["lower_face"], theirs["lower_face"])
    delta[:, EYES] = face[:, EYES] - rest[EYES]
    delta[:, EYES, 0] *= _ratio(ours["eye_width"], theirs["eye_width"])
    delta[:, EYES, 1] *= _ratio(ours["eye_open"], theirs["eye_open"])
    delta[:, BROWS] = face[:, BROWS] - rest[BROWS]
    delta[:, BROWS, 1] *= _ratio(ours["brow"], theirs["brow"])
    # The jaw line is a silhouette that slides round the face as the head
    # turns; only the chin's drop is read from it, and the jaw takes the
    # measured shape of a dropping jaw (the speech path's calibration).
    basis = mouth_calibration()["basis"]
    chin_drop = delta[:, CHIN, 1] / max(basis[CHIN, 1], 1e-6)
    delta[:, JAW_LINE] = chin_drop[:, None, None] * basis[JAW_LINE][None]
    moved = photo_face[None] + delta
    # Lips may meet but never pass through each other.
    for upper, lower in zip(INNER_UPPER, INNER_LOWER):
        moved[:, lower, 1] = np.maximum(moved[:, lower, 1], moved[:, upper, 1])
    landmarks = photo_origin + photo_unit * (moved @ photo_axes)

    articulation = np.zeros((len(performer), len(ARTICULATION_NAMES)))
    gap = np.mean([moved[:, lower, 1] - moved[:, upper, 1] for upper, lower in zip(INNER_UPPER, INNER_LOWER)], axis=0)
    articulation[:, JAW] = np.clip(gap / mouth_calibration()["inner_opening_p99"], 0.0, 1.0)
    width = (moved[:, 54, 0] - moved[:, 48, 0]) / max(photo_face[54, 0] - photo_face[48, 0], 1e-6)
    articulation[:, SPREAD] = np.clip((width - 1.0) / SPREAD_WIDTH_GAIN, 0.0, 1.0)
    articulation[:, ROUND] = np.clip((1.0 - width) / ROUND_WIDTH_GAIN, 0.0, 1.0)

    opening = _eye_opening(aligned) / max(_eye_opening(aligned[neutral_frame:neutral_frame + 1])[0], 1e-6)
    eyelid = np.clip((EYE_OPEN_RATIO - opening) / (EYE_OPEN_RATIO - EYE_SHUT_RATIO), 0.0, 1.0)
    gaze = _gaze(performer, neutral_frame, performer.fps)

    count = n_frames(len(performer) / performer.fps, fps)
    if count != len(performer) or abs(fps - performer.fps) > 1e-6:
        times = frame_times(count, fps)
        landmarks, head_pose, articulation, eyelid, gaze = (
            _resample(values, performer.fps, times) for values in (landmarks, head_pose, articulation, eyelid, gaze)
        )
    return Track(
        fps=fps,
        landmarks=landmarks.astype(np.float32),
        head_pose=head_pose.astype(np.float32),
        articulation=articulation.astype(np.float32),
        eyelid=eyelid.astype(np.float32),
        image_size=portrait.size,
        words=[],
        gaze=gaze.astype(np.float32),
    )


def retarget_track(track: Track, portrait: Portrait) -> Track:
    """A track made for another portrait, carried over to this one (one performance, many faces).

    The track's articulation, eyelids, gaze, words and head rotation are the
    face's own parameters and are kept; the landmarks are made again from
    this portrait's face as the speech path makes them
    (:func:`~speaker.motion.landmarks.mouth_landmarks`: the photo's own mouth
    shows where no word is said, as a speech track's does); the brows move
    as far, in face widths, as the track's did from its rest frame (the one
    with the mouth and lids most at rest); the head's translation is scaled
    from the other face's width to this one's.

    Parameters
    ----------
    track : Track
        Made for another portrait (another photo, or another face of it).
    portrait : Portrait
        The face to move.

    Returns
    -------
    Track
        As long and at the frame rate of ``track``, for ``portrait``.

    Raises
    ------
    SpeakerError
        Unusable landmarks.
    """
    from ..types import Phone, Speech
    from .articulation import own_mouth_weight

    photo = neutral_landmarks(portrait)
    theirs = track.landmarks.astype(np.float64)
    rest = int(np.argmin(track.articulation.sum(axis=1) + track.eyelid))
    their_origin, their_axes, their_unit = face_frame(theirs[rest])
    origin, axes, unit = face_frame(photo)

    times = frame_times(len(track), track.fps)
    if track.words:
        spoken = Speech(samples=np.zeros(1, np.float32), sample_rate=16000,
                        phones=[Phone("AH", word.start, word.end) for word in track.words])
        own_mouth = own_mouth_weight(spoken, times)
    else:
        own_mouth = 0.0  # a driven track: its mouth was measured from lips together, as drive_track does
    landmarks = mouth_landmarks(photo, track.articulation, track.eyelid, own_mouth=own_mouth).astype(np.float64)
    brows = _in_frame(theirs[:, BROWS], their_origin, their_axes, their_unit)
    lift = brows - brows[rest]
    landmarks[:, BROWS] = photo[BROWS] + unit * (lift @ axes)
    head_pose = track.head_pose.astype(np.float64).copy()
    head_pose[:, [TX, TY]] *= unit / their_unit
    return Track(
        fps=track.fps,
        landmarks=landmarks.astype(np.float32),
        head_pose=head_pose.astype(np.float32),
        articulation=track.articulation.copy(),
        eyelid=track.eyelid.copy(),
        image_size=portrait.size,
        words=list(track.words),
        gaze=track.gaze.copy(),
    )
