"""Smooth curves through landmark points (for lid lines and lip outlines)."""

from __future__ import annotations

import numpy as np


def catmull_rom(points: np.ndarray, closed: bool, samples: int = 6) -> np.ndarray:
    """A centripetal-free (uniform) Catmull-Rom curve through the points.

    Parameters
    ----------
    points : np.ndarray, shape (N, 2)
    closed : bool
        Join the last point back to the first.
    samples : int
        Points per segment.

    Returns
    -------
    np.ndarray, shape (M, 2)
        The curve, passing through every input point.
    """
    p = np.asarray(points, np.float64)
    n = len(p)
    if n < 3:
        return p.copy()
    if closed:
        ext = np.concatenate([p[-1:], p, p[:2]])
        segments = n
    else:
        ext = np.concatenate([2 * p[:1] - p[1:2], p, 2 * p[-1:] - p[-2:-1]])
        segments = n - 1
    t = np.arange(samples) / samples
    t2, t3 = t * t, t * t * t
    w0 = -0.5 * t3 + t2 - 0.5 * t
    w1 = 1.5 * t3 - 2.5 * t2 + 1.0
    w2 = -1.5 * t3 + 2.0 * t2 + 0.5 * t
    w3 = 0.5 * t3 - 0.5 * t2
    out = []
    for i in range(segments):
        a, b, c, d = ext[i], ext[i + 1], ext[i + 2], ext[i + 3]
        out.append(w0[:, None] * a + w1[:, None] * b + w2[:, None] * c + w3[:, None] * d)
    if not closed:
        out.append(p[-1:])
    return np.concatenate(out)
