"""Checks of the inputs every motion maker takes (speech, idle, drive)."""

from __future__ import annotations

import math
import zlib

import numpy as np

from ..errors import SpeakerError
from ..types import Portrait


def check_frame_rate(fps: float) -> None:
    """Refuse a frame rate that is not a positive finite number."""
    if not (math.isfinite(fps) and fps > 0):
        raise SpeakerError(f"The frame rate must be a positive number, not {fps!r}.")


def check_scale(scale: float) -> None:
    """Refuse a motion scale that is negative or not finite."""
    if not math.isfinite(scale) or scale < 0:
        raise SpeakerError("The motion scale must be a non-negative number.")


def neutral_landmarks(portrait: Portrait) -> np.ndarray:
    """The photo's 68 landmarks as float64, shape (68, 2), pixels; refused when unusable."""
    neutral = np.asarray(portrait.landmarks, np.float64)
    if neutral.shape != (68, 2) or not np.all(np.isfinite(neutral)):
        raise SpeakerError("The portrait needs 68 finite face landmarks.")
    return neutral


def face_seed(seed: int, portrait: Portrait) -> int:
    """``seed`` mixed with the portrait's face (its landmarks): the seed of its sway, blinks and saccades.

    Different portraits with one seed (a batch's default, screens of a gallery
    started together) then blink and sway each in their own time; the same
    portrait and seed still give the same track.
    """
    face = np.ascontiguousarray(np.asarray(portrait.landmarks, np.float32)).tobytes()
    return int(np.random.SeedSequence([seed % 2**63, zlib.crc32(face)]).generate_state(1, np.uint64)[0] % 2**31)
