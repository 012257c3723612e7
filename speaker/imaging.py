"""Pixel measures shared by the face stage and the renderer.

Both need to ask the photo the same questions (how bright is a colour, is
there a dark eye opening where the landmarks say an eye is); the answers
live here, below the stages, so the two cannot drift apart.
"""

from __future__ import annotations

import numpy as np

#: Rec. 601 luma weights (R, G, B).
LUMA = np.array([0.299, 0.587, 0.114])


def luma(rgb: np.ndarray) -> np.ndarray:
    """Luma of RGB colours, shape (..., 3) -> (...)."""
    return np.asarray(rgb, np.float64) @ LUMA


def eye_opening_darkness(image: np.ndarray, outline: np.ndarray) -> float:
    """How dark an eye's opening is against the skin around it.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    outline : np.ndarray, shape (6, 2)
        The eye's iBUG points (corner, upper lid, corner, lower lid), pixels.

    Returns
    -------
    float
        Mean luma of the darker half of the pixels inside the outline over
        the median luma of a ring 0.12-0.35 eye widths outside it (lashes,
        iris and the lid's shadow make a real opening darker than the skin:
        about 0.3-0.7); NaN when the eye is too small or off the photo.
    """
    import cv2

    points = np.asarray(outline, np.float64)
    width = float(np.linalg.norm(points[3] - points[0]))
    if width < 4:
        return float("nan")
    pad = int(np.ceil(0.6 * width)) + 2
    h, w = image.shape[:2]
    x0, y0 = np.maximum(np.floor(points.min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(points.max(axis=0)).astype(int) + pad, [w, h])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return float("nan")
    level = luma(image[y0:y1, x0:x1])
    inside = np.zeros(level.shape, np.uint8)
    cv2.fillPoly(inside, [np.round(points - [x0, y0]).astype(np.int32)], 1)
    kernel = np.ones((3, 3), np.uint8)
    ring = (cv2.dilate(inside, kernel, iterations=max(1, int(0.35 * width))) > 0) & ~(
        cv2.dilate(inside, kernel, iterations=max(1, int(0.12 * width))) > 0)
    opening = level[inside > 0]
    if opening.size < 3 or not ring.any():
        return float("nan")
    dark = np.sort(opening)[: max(1, opening.size // 2)].mean()
    return float(dark / max(float(np.median(level[ring])), 1.0))
