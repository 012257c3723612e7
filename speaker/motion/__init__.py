"""Motion: from speech and a portrait to a :class:`~speaker.types.Track`.

>>> track = animate(speech, portrait, fps=25.0, style="calm", seed=0)
>>> track.landmarks.shape, track.head_pose.shape   # (T, 68, 2), (T, 6)

Stages, one module each: :mod:`.articulation` (phones or audio -> mouth
parameters per frame), :mod:`.landmarks` (parameters -> moved landmarks),
:mod:`.head` (prosody -> head pose), :mod:`.blinks` (eyelid closure),
:mod:`.gaze` (saccades and the eyes' counter-rotation) and
:mod:`.formats` (track JSON, Rhubarb mouth cues). Everything is a pure
function of its inputs and the seed.
"""

from __future__ import annotations


import numpy as np

from ..errors import SpeakerError
from ..timebase import frame_times, n_frames
from ..types import ARTICULATION_NAMES, Portrait, Speech, Track
from .articulation import (articulation_from_phones, articulation_from_speech, loudness_envelope,
                           own_mouth_weight)
from .blinks import eyelid_track
from .checks import check_frame_rate, check_scale, face_seed, neutral_landmarks
from .formats import load_track, save_track, write_mouth_cues
from .gaze import counter_rotation, gaze_track
from .head import STYLES, head_motion
from .dialogue import listen
from .drive import drive_track, retarget_track
from .idle import idle_track
from .landmarks import mouth_landmarks

__all__ = [
    "animate",
    "articulation_from_phones",
    "articulation_from_speech",
    "drive_track",
    "idle_track",
    "listen",
    "load_track",
    "mouth_landmarks",
    "retarget_track",
    "save_track",
    "write_mouth_cues",
]

CLOSURE = ARTICULATION_NAMES.index("lip_closure")
#: Pauses at least this long (s) are places to blink; so are word ends.
BLINK_PAUSE = 0.15


def _pause_boundaries(speech: Speech, fps: float, count: int) -> list[float]:
    """Seconds of pause middles (or, with no phones, where quiet stretches begin)."""
    if speech.phones:
        return [0.5 * (p.start + p.end) for p in speech.phones
                if p.symbol == "SIL" and p.end - p.start >= BLINK_PAUSE]
    times = frame_times(count, fps)
    quiet = loudness_envelope(speech.samples, speech.sample_rate, times) < 0.05
    return [float(t) for t, q, before in zip(times[1:], quiet[1:], quiet[:-1]) if q and not before]


def _blink_boundaries(speech: Speech, fps: float, count: int) -> list[float]:
    """Seconds where a blink is natural: pauses and word ends."""
    boundaries = [word.end for word in speech.words]
    # Without phones, the words (when known) mark the pauses better than loudness does.
    if speech.phones or not speech.words:
        boundaries += _pause_boundaries(speech, fps, count)
    return sorted(boundaries)


def animate(speech: Speech, portrait: Portrait, fps: float, style: str = "calm",
            scale: float = 1.0, seed: int = 0, gaze: bool = True) -> Track:
    """Everything that moves, frame by frame, for a portrait saying the speech.

    Parameters
    ----------
    speech : Speech
        Audio with phones (preferred), an articulation curve, or neither
        (then the mouth follows loudness).
    portrait : Portrait
        The face; its own landmarks are the rest pose (before speech and
        in long pauses; while speaking the articulation replaces the
        photo's own lip gap).
    fps : float
        Frames per second.
    style : {"still", "calm", "lively"}
        Head motion amplitude (blinks happen in every style).
    scale : float
        Multiplies head motion amplitudes.
    seed : int
        Seed of head sway, blinks and saccades, mixed with the face
        (:func:`.checks.face_seed`): same inputs and seed, same track.
    gaze : bool
        Move the eyes: small saccades (smaller with style "still") and the
        counter-rotation that keeps them on the camera while the head
        turns. False keeps the photo's gaze (zeros).

    Returns
    -------
    Track
        ``T = speaker.timebase.n_frames(speech.duration, fps)`` frames:
        landmarks (T, 68, 2) px before head pose, head_pose (T, 6),
        articulation (T, K), eyelid (T,), gaze (T, 2).

    Raises
    ------
    SpeakerError
        Non-positive fps, unknown style, negative scale or unusable landmarks.
    """
    if not isinstance(fps, (int, float)):
        raise SpeakerError(f"The frame rate must be a positive number, not {fps!r}.")
    check_frame_rate(fps)
    if style not in STYLES:
        raise SpeakerError(f"Unknown motion style '{style}'; use one of {', '.join(STYLES)}.")
    check_scale(scale)
    neutral = neutral_landmarks(portrait)
    seed = face_seed(seed, portrait)

    count = n_frames(speech.duration, fps)
    times = frame_times(count, fps)
    articulation = articulation_from_speech(speech, fps)
    eyelid = eyelid_track(count, fps, articulation[:, CLOSURE],
                          _blink_boundaries(speech, fps, count), seed=seed)
    landmarks = mouth_landmarks(neutral, articulation, eyelid, own_mouth=own_mouth_weight(speech, times))
    head_pose = head_motion(speech, times, portrait.face_width, style=style, scale=scale, seed=seed)
    if gaze:
        eyes = gaze_track(count, fps, _pause_boundaries(speech, fps, count), style=style, seed=seed)
        eyes = eyes + counter_rotation(head_pose)
    else:
        eyes = np.zeros((count, 2))
    return Track(
        fps=float(fps),
        landmarks=landmarks.astype(np.float32),
        head_pose=head_pose.astype(np.float32),
        articulation=articulation.astype(np.float32),
        eyelid=eyelid.astype(np.float32),
        image_size=portrait.size,
        words=list(speech.words),
        gaze=eyes.astype(np.float32),
    )
