"""Idle motion: a portrait that lives without speaking.

A track with no speech in it, the sum of

- breathing: a slow rise and fall of the head (``ty``, a little ``scale`` and
  ``pitch``) at about 15 breaths a minute;
- the motion stage's head sway (:func:`speaker.motion.head.head_motion` on
  silence), which is zero-mean and bounded, so it never drifts;
- looks: now and then the head turns or tilts a few degrees towards some
  point, holds there, and comes back to the photo's own pose; the eyes lead
  the head in the same direction, and a blink often goes with the turn;
- blinks from :func:`speaker.motion.blinks.eyelid_track` (about 15 a minute)
  and small saccades from :func:`speaker.motion.gaze.gaze_track`;
- a faint smile now and then (corners drawn back and up a little).

Every event returns to the rest pose, and every oscillation is zero-mean, so
the face stays where the photo has it over minutes; over the last
:data:`END_SETTLE` seconds everything eases back to the photo's pose, so the
video ends as it began and loops without a jump. Everything is a pure
function of the inputs and the seed.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import SpeakerError
from ..timebase import frame_times, n_frames
from ..types import ARTICULATION_NAMES, HEAD_POSE_NAMES, Portrait, Speech, Track
from .blinks import eyelid_track
from .checks import check_frame_rate, check_scale, face_seed, neutral_landmarks
from .gaze import counter_rotation, gaze_track
from .head import head_motion
from .landmarks import face_frame, mouth_landmarks

YAW, PITCH, ROLL, TX, TY, SCALE = range(len(HEAD_POSE_NAMES))
SPREAD = ARTICULATION_NAMES.index("lip_spread")

#: Breathing: breaths per minute, and the rise of the head per breath
#: (face widths), the scale change (fraction) and the pitch (degrees).
BREATHS_PER_MINUTE = 15.0
BREATH_RISE = 0.004
BREATH_SCALE = 0.0015
BREATH_PITCH = 0.25
#: Sway style taken from the head stage for the idle face (on silence it is
#: calmed by the stage's pause factor).
SWAY_STYLE = "lively"
#: Looks: seconds between the end of one look and the start of the next
#: (uniform range), the time to turn and to come back, and how long the head
#: stays turned (s).
LOOK_GAP = (2.5, 7.0)
LOOK_TURN = (0.6, 1.1)
LOOK_HOLD = (0.8, 2.5)
#: Largest look (degrees of yaw, pitch, roll before ``scale``).
LOOK_YAW = 4.0
LOOK_PITCH = 2.0
LOOK_ROLL = 2.5
#: Eyes lead a look: iris travel (eye widths) per degree of yaw and pitch.
LOOK_EYES_PER_DEGREE = 0.012
#: Smiles: seconds between smiles (uniform), how long one lasts (rise, hold,
#: fall together), and its strength (share of a full lip spread).
SMILE_GAP = (6.0, 16.0)
SMILE_LENGTH = (2.0, 4.0)
SMILE_STRENGTH = (0.25, 0.45)
#: A full smile lifts the mouth corners by this much (face widths).
SMILE_CORNER_LIFT = 0.02
#: Seconds over which every motion but the blinks eases back to the photo's
#: pose at the end of the video (so that it loops).
END_SETTLE = 1.5
#: Seconds over which the motion grows from the photo's pose at the start.
START_SETTLE = 1.0


def smooth_bump(times: np.ndarray, start: float, rise: float, hold: float, fall: float) -> np.ndarray:
    """0 before ``start``, a smooth rise to 1, a hold, a smooth fall back to 0."""
    up = np.clip((times - start) / max(rise, 1e-6), 0.0, 1.0)
    down = np.clip((start + rise + hold + fall - times) / max(fall, 1e-6), 0.0, 1.0)
    shape = np.minimum(up, down)
    return 0.5 - 0.5 * np.cos(np.pi * shape)


def looks(duration: float, rng: np.random.Generator) -> list[tuple[float, float, float, np.ndarray]]:
    """Seeded looks: (start s, turn s, hold s, target (yaw, pitch, roll) degrees).

    Directions alternate sides more often than not, so the head does not
    linger on one side.
    """
    result = []
    time = rng.uniform(0.8, LOOK_GAP[1] * 0.6)
    side = rng.choice((-1.0, 1.0))
    while True:
        turn = rng.uniform(*LOOK_TURN)
        hold = rng.uniform(*LOOK_HOLD)
        if time + 2 * turn + hold > duration:
            return result
        side = -side if rng.random() < 0.7 else side
        target = np.array([
            side * rng.uniform(0.35, 1.0) * LOOK_YAW,
            rng.uniform(-1.0, 1.0) * LOOK_PITCH,
            rng.uniform(-1.0, 1.0) * LOOK_ROLL,
        ])
        result.append((time, turn, hold, target))
        time += 2 * turn + hold + rng.uniform(*LOOK_GAP)


def smiles(duration: float, rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """Seeded faint smiles: (start s, length s, strength 0..1)."""
    result = []
    time = rng.uniform(1.5, SMILE_GAP[0])
    while True:
        length = rng.uniform(*SMILE_LENGTH)
        if time + length > duration:
            return result
        result.append((time, length, rng.uniform(*SMILE_STRENGTH)))
        time += length + rng.uniform(*SMILE_GAP)


def breathing(times: np.ndarray, face_width: float, rng: np.random.Generator) -> np.ndarray:
    """Head pose offsets (T, 6) of quiet breathing (scale column around 0)."""
    rate = BREATHS_PER_MINUTE / 60.0 * rng.uniform(0.9, 1.1)
    phase = rng.uniform(0, 2 * np.pi)
    # A breath is a slow rise and a slower fall: a sine with its second harmonic.
    wave = np.sin(2 * np.pi * rate * times + phase) + 0.25 * np.sin(4 * np.pi * rate * times + phase)
    pose = np.zeros((times.size, 6))
    pose[:, TY] = -BREATH_RISE * face_width * wave        # the head rises on the in-breath
    pose[:, SCALE] = BREATH_SCALE * wave
    pose[:, PITCH] = -BREATH_PITCH * wave
    return pose


def idle_track(portrait: Portrait, duration: float, fps: float, scale: float = 1.0,
               seed: int = 0) -> Track:
    """A track of the portrait alive and silent.

    Parameters
    ----------
    portrait : Portrait
        The face; its own landmarks and pose are the rest the motion returns to.
    duration : float
        Seconds.
    fps : float
        Frames per second.
    scale : float
        Multiplies the head's motion (0 keeps the head still; blinks, eyes and
        smiles stay).
    seed : int
        Mixed with the face (:func:`.checks.face_seed`); same inputs and seed, same track.

    Returns
    -------
    Track
        ``T = n_frames(duration, fps)`` frames: landmarks (T, 68, 2) px,
        head_pose (T, 6), articulation (T, K) (lip_spread only, for smiles),
        eyelid (T,), gaze (T, 2); no words.

    Raises
    ------
    SpeakerError
        Non-positive duration or fps, negative scale, unusable landmarks.
    """
    if not (math.isfinite(duration) and duration > 0):
        raise SpeakerError(f"The duration must be a positive number of seconds, not {duration!r}.")
    check_frame_rate(fps)
    check_scale(scale)
    neutral = neutral_landmarks(portrait)
    seed = face_seed(seed, portrait)

    count = n_frames(duration, fps)
    times = frame_times(count, fps)
    face_width = portrait.face_width
    rng = np.random.default_rng(np.random.SeedSequence([seed % 2**63, 0x1D1E]))

    silence = Speech(samples=np.zeros(max(1, int(round(duration * 16000))), np.float32), sample_rate=16000)
    sway = head_motion(silence, times, face_width, style=SWAY_STYLE, scale=scale, seed=seed).astype(np.float64)
    sway[:, SCALE] -= 1.0
    breath = breathing(times, face_width, rng) * min(scale, 1.0)

    turned = np.zeros((count, 3))
    look_starts = []
    for start, turn, hold, target in looks(count / fps, rng):
        turned += smooth_bump(times, start, turn, hold, turn)[:, None] * target[None, :] * scale
        look_starts.append(start)
    head_pose = sway + breath
    head_pose[:, :3] += turned
    head_pose[:, SCALE] += 1.0
    # A turn carries the head's centre sideways a little, as in head.py.
    head_pose[:, TX] += 0.004 * face_width * turned[:, 0]
    head_pose[:, TY] += 0.004 * face_width * turned[:, 1]

    articulation = np.zeros((count, len(ARTICULATION_NAMES)))
    smile = np.zeros(count)
    for start, length, strength in smiles(count / fps, rng):
        rise = 0.3 * length
        smile = np.maximum(smile, strength * smooth_bump(times, start, rise, length - 2 * rise, rise))
    # The video begins and ends on the photo's own pose: it loops without a jump.
    ending = smooth_bump(times, 0.0, START_SETTLE, max(count / fps - START_SETTLE - END_SETTLE, 0.0), END_SETTLE)
    head_pose[:, :5] *= ending[:, None]
    head_pose[:, SCALE] = 1.0 + (head_pose[:, SCALE] - 1.0) * ending
    turned *= ending[:, None]
    smile *= ending
    articulation[:, SPREAD] = smile

    # People blink more as they turn their eyes and head: looks are blink places.
    eyelid = eyelid_track(count, fps, np.zeros(count), look_starts, seed=seed)
    landmarks = mouth_landmarks(neutral, articulation, eyelid, own_mouth=1.0).astype(np.float64)
    origin, axes, unit = face_frame(neutral)
    for corner in (48, 54):
        landmarks[:, corner] -= (SMILE_CORNER_LIFT * unit * smile)[:, None] * axes[1][None, :]

    eyes = gaze_track(count, fps, look_starts, style="calm", seed=seed).astype(np.float64)
    # The sway and breathing are small motions the eyes cancel (they stay on
    # the camera); on a look the eyes go first, the same way as the head.
    eyes += counter_rotation((sway + breath) * ending[:, None])
    eyes[:, 0] += LOOK_EYES_PER_DEGREE * turned[:, 0]
    eyes[:, 1] += LOOK_EYES_PER_DEGREE * turned[:, 1]
    eyes *= ending[:, None]
    return Track(
        fps=float(fps),
        landmarks=landmarks.astype(np.float32),
        head_pose=head_pose.astype(np.float32),
        articulation=articulation.astype(np.float32),
        eyelid=eyelid.astype(np.float32),
        image_size=portrait.size,
        words=[],
        gaze=eyes.astype(np.float32),
    )
