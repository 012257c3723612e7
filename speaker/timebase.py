"""Conversions between seconds and video frames, kept in one place.

Frame ``i`` shows the instant ``i / fps`` (its start), so a video of
``n_frames(duration, fps)`` frames lasts the audio's duration within one frame.
"""

from __future__ import annotations

import math

import numpy as np


def n_frames(duration: float, fps: float) -> int:
    """Number of frames that cover ``duration`` seconds (at least 1)."""
    return max(1, int(math.ceil(duration * fps - 1e-6)))


def frame_times(count: int, fps: float) -> np.ndarray:
    """Times in seconds of frames ``0 .. count-1``, shape (count,)."""
    return np.arange(count, dtype=np.float64) / fps


def to_frame(seconds: float, fps: float) -> int:
    """Index of the frame showing ``seconds``."""
    return int(math.floor(seconds * fps + 1e-6))


def to_seconds(frame: int, fps: float) -> float:
    """Start time in seconds of frame ``frame``."""
    return frame / fps
