"""Conversions between seconds and video frames, and smoothing of curves sampled per frame, kept in one place.

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


#: Gaussian kernels reach this many standard deviations (scipy's default truncation).
GAUSSIAN_REACH = 4.0


def gaussian_smooth(values: np.ndarray, sigma: float, axis: int = 0) -> np.ndarray:
    """Gaussian smoothing along one axis, the ends held (the values beyond an end repeat it).

    The same numbers as ``scipy.ndimage.gaussian_filter1d(values, sigma,
    axis, mode="nearest")``, without importing scipy (half a second of a cold
    start, on the path to the first frame).

    Parameters
    ----------
    values : np.ndarray, any shape
        Samples along ``axis`` (e.g. (T,) or (T, K) per frame).
    sigma : float
        Standard deviation in samples; 0 or less returns a float copy.
    axis : int

    Returns
    -------
    np.ndarray, the shape of ``values``, its dtype if floating point, else float64
    """
    given = np.asarray(values)
    dtype = given.dtype if np.issubdtype(given.dtype, np.floating) else np.float64
    values = given.astype(np.float64)
    if sigma <= 0 or values.shape[axis] == 0:
        return values.astype(dtype)
    radius = int(GAUSSIAN_REACH * float(sigma) + 0.5)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    moved = np.moveaxis(values, axis, 0)
    padded = np.concatenate([np.repeat(moved[:1], radius, axis=0), moved, np.repeat(moved[-1:], radius, axis=0)])
    count = moved.shape[0]
    smoothed = np.zeros_like(moved)
    for shift, weight in enumerate(kernel):
        smoothed += weight * padded[shift:shift + count]
    return np.moveaxis(smoothed, 0, axis).astype(dtype, copy=False)
