"""Gaze: small saccades between fixations, and the eyes holding still while the head turns.

The gaze of a frame is where the irises sit in the eye openings relative to
the photo's own gaze (assumed to look at the camera), ``(dx, dy)`` in eye
widths: dx along the line of the eyes (image right positive), dy across it
(down positive).

- Fixations last 0.5-3 s (shorter when looking away than when looking at
  the camera). Fixation ends are drawn to pauses and phrase boundaries, and
  a fixation that begins at one is more often a look away (speakers glance
  away as they plan the next phrase and come back to the listener).
- Most looks away are followed by a return to the camera; a fixation on the
  camera is often a tiny re-fixation around it, so the eyes never freeze.
- A saccade lasts 30-60 ms, longer for larger jumps (the "main sequence"),
  with a minimum-jerk ease in and out. At 25 fps that is one or two frames:
  on video a saccade is nearly a jump, as it is in life.
- :func:`counter_rotation`: while the head turns, the eyes stay on the
  camera, so the irises move the other way inside the eye openings
  (vestibulo-ocular reflex).
"""

from __future__ import annotations

import numpy as np

from ..errors import SpeakerError
from ..types import HEAD_POSE_NAMES

YAW = HEAD_POSE_NAMES.index("yaw")
PITCH = HEAD_POSE_NAMES.index("pitch")

#: Largest look away (eye widths) along and across the line of the eyes,
#: before the style's factor.
MAX_ALONG = 0.12
MAX_ACROSS = 0.05
#: A look away goes at least this share of MAX_ALONG sideways.
MIN_ALONG_SHARE = 0.35
#: Per style, a factor on the amplitudes (the eyes stay alive when the head is still).
STYLE_AMPLITUDE = {"still": 0.5, "calm": 0.85, "lively": 1.0}
#: Fixation durations (s): median and the clip range; looks away are shorter.
FIXATION_RANGE = (0.5, 3.0)
CENTRE_FIXATION_MEDIAN = 1.5
AWAY_FIXATION_MEDIAN = 0.8
FIXATION_SPREAD = 0.45          # sigma of the log-normal
#: From the camera: chance of looking away (else a small re-fixation near
#: it); higher when the fixation starts at a boundary.
LOOK_AWAY = 0.45
LOOK_AWAY_AT_BOUNDARY = 0.75
#: From a look away: chance of coming back to the camera (else another point away).
RETURN_TO_CENTRE = 0.75
#: Re-fixations "on the camera" land within this many eye widths of it.
CENTRE_JITTER = 0.015
#: A saccade within this many seconds of a boundary moves to it, with this chance.
SNAP_WINDOW = 0.8
SNAP_PROBABILITY = 0.75
#: Saccade duration (s) = SACCADE_BASE + SACCADE_PER_DEGREE * amplitude in
#: degrees, clipped to SACCADE_RANGE.
SACCADE_BASE = 0.021
SACCADE_PER_DEGREE = 0.0022
SACCADE_RANGE = (0.03, 0.06)
#: Eyeball radius in eye widths (about 12 mm for a 30 mm wide eye opening):
#: turns degrees of eye rotation into iris travel, and back.
EYEBALL_RADIUS = 0.4
#: Share of a head turn the eyes cancel by turning the other way.
COUNTER_ROTATION_GAIN = 1.0


def _minimum_jerk(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t ** 3 * (10.0 - 15.0 * t + 6.0 * t * t)


def saccade_duration(amplitude: float) -> float:
    """Seconds a saccade of ``amplitude`` eye widths of iris travel lasts."""
    degrees = np.degrees(np.arcsin(min(amplitude / EYEBALL_RADIUS, 1.0)))
    return float(np.clip(SACCADE_BASE + SACCADE_PER_DEGREE * degrees, *SACCADE_RANGE))


def fixations(duration: float, boundaries: list[float], amplitude: float,
              rng: np.random.Generator) -> list[tuple[float, np.ndarray]]:
    """Seeded fixations: (start of the saccade that leads to it in s, target (2,) eye widths).

    The first fixation is the photo's gaze, starting at 0 s.
    """
    boundaries = np.asarray(sorted(boundaries), dtype=np.float64)
    centre = np.zeros(2)
    result = [(0.0, centre)]
    away = False
    hold_start = 0.0
    while True:
        median = AWAY_FIXATION_MEDIAN if away else CENTRE_FIXATION_MEDIAN
        hold = float(np.clip(median * np.exp(FIXATION_SPREAD * rng.standard_normal()), *FIXATION_RANGE))
        time = hold_start + hold
        at_boundary = False
        if boundaries.size and rng.random() < SNAP_PROBABILITY:
            nearest = float(boundaries[np.argmin(np.abs(boundaries - time))])
            if abs(nearest - time) <= SNAP_WINDOW and FIXATION_RANGE[0] <= nearest - hold_start <= FIXATION_RANGE[1]:
                time, at_boundary = nearest, True
        if time >= duration:
            return result
        if away:
            away = rng.random() >= RETURN_TO_CENTRE
        else:
            away = rng.random() < (LOOK_AWAY_AT_BOUNDARY if at_boundary else LOOK_AWAY)
        if away:
            along = rng.choice((-1.0, 1.0)) * rng.uniform(MIN_ALONG_SHARE, 1.0) * MAX_ALONG
            across = rng.uniform(-1.0, 1.0) * MAX_ACROSS
            target = amplitude * np.array([along, across])
        else:
            target = amplitude * rng.uniform(-CENTRE_JITTER, CENTRE_JITTER, 2)
        result.append((time, target))
        hold_start = time + saccade_duration(float(np.linalg.norm(target - result[-2][1])))


def gaze_track(count: int, fps: float, boundaries: list[float], style: str = "calm",
               seed: int = 0) -> np.ndarray:
    """Gaze per frame from fixations and saccades (without head counter-rotation).

    Parameters
    ----------
    count : int
        Number of frames.
    fps : float
        Frames per second.
    boundaries : list of float
        Seconds of pauses and phrase boundaries (saccades are drawn there).
    style : {"still", "calm", "lively"}
        Scales the amplitudes (:data:`STYLE_AMPLITUDE`).
    seed : int
        Seed of the saccade times and targets: same inputs, same gaze.

    Returns
    -------
    np.ndarray, shape (T, 2), float32
        ``(dx, dy)`` in eye widths, 0 the photo's own gaze. Between saccades
        the gaze holds still.

    Raises
    ------
    SpeakerError
        Unknown style.
    """
    if style not in STYLE_AMPLITUDE:
        raise SpeakerError(f"Unknown motion style '{style}'; use one of {', '.join(STYLE_AMPLITUDE)}.")
    times = np.arange(count) / fps
    rng = np.random.default_rng(np.random.SeedSequence([seed % 2**63, 0x6A2E]))
    gaze = np.zeros((count, 2))
    previous = np.zeros(2)
    for start, target in fixations(count / fps, boundaries, STYLE_AMPLITUDE[style], rng)[1:]:
        length = saccade_duration(float(np.linalg.norm(target - previous)))
        progress = _minimum_jerk((times - start) / length)[:, None]
        gaze = np.where(times[:, None] >= start, previous + progress * (target - previous), gaze)
        previous = target
    return gaze.astype(np.float32)


def counter_rotation(head_pose: np.ndarray) -> np.ndarray:
    """Iris shift that keeps the eyes on the camera while the head turns.

    Parameters
    ----------
    head_pose : np.ndarray, shape (T, 6)
        Columns :data:`~speaker.types.HEAD_POSE_NAMES` (degrees for yaw and pitch).

    Returns
    -------
    np.ndarray, shape (T, 2), float32
        ``(dx, dy)`` eye widths: a yaw that moves the nose to the image's
        right moves the irises left inside the eye openings, a nod down
        moves them up.
    """
    pose = np.asarray(head_pose, np.float64)
    turn = np.sin(np.radians(pose[:, [YAW, PITCH]]))
    return (-COUNTER_ROTATION_GAIN * EYEBALL_RADIUS * turn).astype(np.float32)
