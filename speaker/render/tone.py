"""A toned photo's own colours, for what the renderer paints (shut lids, lash lines, the mouth's inside).

A sepia, selenium or cyanotype print has one colour for each grey level:
its shadows a deep brown, its light tones cream. Paint that takes its hue
from one part of the photo and its grey level from another leaves that
rule: a lash line in the hue of the photo's darkest lid line but lighter,
or a lid brightened by scaling a shadowed skin's colour, came out more
saturated than any pixel of the photo at that grey level (Apsaroke's shut
lid 0.69 against 0.59 in red minus blue per luma), an orange oval on a
brown print. :func:`photo_tone` reads the print's colour at each grey
level, and :func:`keep_photo_tone` gives painted pixels that colour at
their own grey level, so a toned photo stays toned as a grey one stays grey.
"""

from __future__ import annotations

import numpy as np

from ..imaging import LUMA

#: Grey levels per bin of the photo's colour by grey level.
LUMA_BIN = 8
#: A bin needs this many pixels to say its colour; others are interpolated.
MIN_BIN_PIXELS = 30
#: A photo is toned when, at each grey level, nine pixels in ten lie within
#: this many levels (chroma distance) of that level's median colour
#: (weighted over the levels). Sepia prints of the test material spread
#: 3.5-3.7 (JPEG's chroma noise included); the colour photos and paintings
#: 15 and more.
TONED_SPREAD = 7.0


def photo_tone(image: np.ndarray) -> np.ndarray | None:
    """The colour of a toned photo at each grey level, or None for a colour or grey photo.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8

    Returns
    -------
    np.ndarray, shape (256, 3), float32, or None
        Per luma 0-255, the median offset of R, G and B from the luma (so
        ``luma + offset`` is the photo's colour there); None when the photo
        is grey (no chroma) or not toned (its colours are not one per grey
        level, see :data:`TONED_SPREAD`).
    """
    pixels = np.asarray(image[::2, ::2], np.float32).reshape(-1, 3)
    lumas = pixels @ LUMA.astype(np.float32)
    offsets = pixels - lumas[:, None]
    bins = np.clip((lumas // LUMA_BIN).astype(int), 0, 255 // LUMA_BIN)
    centres, medians, spreads, counts = [], [], [], []
    for index in np.unique(bins):
        inside = bins == index
        if inside.sum() < MIN_BIN_PIXELS:
            continue
        median = np.median(offsets[inside], axis=0)
        spreads.append(np.percentile(np.linalg.norm(offsets[inside] - median, axis=1), 90))
        centres.append(float(np.mean(lumas[inside])))
        medians.append(median)
        counts.append(int(inside.sum()))
    if not counts:
        return None
    medians = np.asarray(medians, np.float32)
    if float(np.abs(medians).max()) < 1.0:
        return None  # grey: the renderer keeps its channels equal itself
    if float(np.average(spreads, weights=counts)) > TONED_SPREAD:
        return None
    levels = np.arange(256, dtype=np.float32)
    return np.stack([np.interp(levels, centres, medians[:, channel]) for channel in range(3)], axis=1).astype(np.float32)


def keep_photo_tone(region: np.ndarray, before: np.ndarray, tone: np.ndarray) -> None:
    """Give the pixels of ``region`` that differ from ``before`` the photo's colour at their grey level, in place.

    Parameters
    ----------
    region : np.ndarray, shape (h, w, 3), uint8
        Part of a frame after painting.
    before : np.ndarray, shape (h, w, 3), uint8
        The same part before painting (the warped photo).
    tone : np.ndarray, shape (256, 3), float32
        :func:`photo_tone` of the photo.
    """
    painted = np.any(region != before, axis=-1)
    if not painted.any():
        return
    colours = region[painted].astype(np.float32)
    lumas = colours @ LUMA.astype(np.float32)
    toned = lumas[:, None] + tone[np.clip(np.rint(lumas), 0, 255).astype(int)]
    region[painted] = np.clip(toned + 0.5, 0, 255).astype(np.uint8)
