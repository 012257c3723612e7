"""The photo's grain, for what the renderer paints (mouth interior, lifted lids).

Painted regions are smooth; beside a photo's film grain, JPEG noise or
wrinkles they look airbrushed on a close-up. :func:`skin_grain` measures
the fine detail of the photo's skin (what a small blur takes away) and
:func:`grain_field` makes a fixed noise field with the same strength: fixed
over the frames like the photo's own grain (it does not crawl), and the same
on every channel so a grey photo stays grey.

Both work at the photo's own pixel scale: a small photo enlarged for the
render (Mona Lisa's 197 px, 2.6 times; Lincoln's 220 px) has its grain at
two or three of the render's pixels, where a one-pixel measure saw almost
none (0.7 grey levels on Mona Lisa, 3.1 at her own scale) and the painted
mouth looked smoothed over beside her paint. Scales coarser than the photo's
pixel are left out on purpose: there the skin's detail is wrinkles and pores,
which a mouth's inside does not have (measured over 1-4 px on Grace Hopper's
cheeks it was 11 grey levels, and her cavity came out mottled).
"""

from __future__ import annotations

import cv2
import numpy as np

#: The blur (photo pixels, Gaussian sigma) whose residual counts as grain.
DETAIL_BLUR = 1.0
#: The noise is white noise blurred by this much (photo pixels) before
#: scaling, closer to a scanned photo's grain than single-pixel noise.
NOISE_BLUR = 0.5
#: Grain strength is capped (grey levels): a very noisy photo's painted
#: interior would otherwise sparkle.
MAX_GRAIN = 12.0
#: Seed of the noise field, so that a portrait renders the same every time.
SEED = 8


def _detail(luma: np.ndarray, upscale: float) -> np.ndarray:
    return luma - cv2.GaussianBlur(luma, (0, 0), DETAIL_BLUR * upscale)


def skin_grain(image: np.ndarray, landmarks: np.ndarray, upscale: float = 1.0) -> float:
    """The strength of the photo's fine detail on the cheeks, grey levels.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    upscale : float
        Pixels of ``image`` per pixel of the photo
        (:attr:`speaker.types.Portrait.upscale`): the detail is measured at
        the photo's own pixel scale.

    Returns
    -------
    float
        A robust standard deviation (1.4826 times the median absolute
        value) of the luma's detail over both cheeks, at most :data:`MAX_GRAIN`.
    """
    lm = np.asarray(landmarks, np.float64)
    face_width = max(float(np.linalg.norm(lm[16] - lm[0])), 8.0)
    radius = max(3, int(round(0.08 * face_width)))
    # The blur's border is measured outside the patch kept.
    margin = max(2, int(np.ceil(2 * DETAIL_BLUR * upscale)))
    values = []
    height, width = image.shape[:2]
    for a, b in ((2, 31), (14, 35)):
        cx, cy = (0.4 * lm[a] + 0.6 * lm[b]).round().astype(int)
        x0, y0 = max(cx - radius, 0), max(cy - radius, 0)
        x1, y1 = min(cx + radius + 1, width), min(cy + radius + 1, height)
        if x1 - x0 < 2 * margin + 1 or y1 - y0 < 2 * margin + 1:
            continue
        patch = image[y0:y1, x0:x1].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        values.append(_detail(patch, upscale)[margin:-margin, margin:-margin].ravel())
    if not values:
        return 0.0
    detail = np.concatenate(values)
    return float(min(1.4826 * np.median(np.abs(detail)), MAX_GRAIN))


def grain_field(shape: tuple[int, int], strength: float, upscale: float = 1.0) -> np.ndarray:
    """A fixed noise field whose detail has the given strength.

    Parameters
    ----------
    shape : tuple of int
        ``(h, w)`` pixels.
    strength : float
        Grey levels (the robust standard deviation of its detail, as
        :func:`skin_grain` measures at the same ``upscale``).
    upscale : float
        Pixels per photo pixel: the grain's size grows with it.

    Returns
    -------
    np.ndarray, shape (h, w), float32
        Zero-mean grey levels to add to every channel.
    """
    rng = np.random.default_rng(SEED)
    noise = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), NOISE_BLUR * upscale)
    measured = 1.4826 * float(np.median(np.abs(_detail(noise, upscale))))
    return (noise * np.float32(strength / max(measured, 1e-6))).astype(np.float32)
