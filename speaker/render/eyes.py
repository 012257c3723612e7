"""Blinks: the upper lid slides down over the eye.

The mesh keeps the eye itself as in the photo; a blink pulls the skin
between the brow and the lid down until the lid line reaches its target,
so the lid (with its lashes) covers the eye instead of squashing it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .curves import catmull_rom

#: Eye landmark indices: outer corner, upper lid (2), inner corner, lower lid (2),
#: and the brow above; for the left and the right eye of the image.
EYES = (
    {"corners": (36, 39), "upper": (37, 38), "lower": (41, 40), "brow": (17, 18, 19, 20, 21)},
    {"corners": (42, 45), "upper": (43, 44), "lower": (47, 46), "brow": (22, 23, 24, 25, 26)},
)
#: Closures below this are not drawn (the eye is left exactly as in the photo).
MIN_CLOSURE = 0.02
#: The stretched lid skin reaches this fraction of the way from lid to brow.
LID_SKIN_REACH = 0.65
#: The stretched skin is at least this tall in the photo (eye widths), so
#: a thin lid is not smeared into streaks.
LID_MIN_SKIN = 0.3
#: Height of the lash band that slides with the lid edge, in eye widths.
LASH_BAND = 0.15
#: How far the lid over the eyeball is pulled towards the skin tone.
LID_TONE_BLEND = 0.55
#: Darkening of the lash line on a closing lid (fraction at full closure).
LASH_SHADE = 0.12
#: At full closure the lid line goes this fraction of the eye opening past
#: the lower-lid landmarks (which sit a little inside the visible lid edge).
CLOSE_OVERSHOOT = 0.08


@dataclass
class LidGeometry:
    """One eye's lid curves in the output frame (pixels).

    ``upper_old`` is where the photo's lid lands after the mesh warp,
    ``upper_new`` where the lid must be; both include the eye corners.
    ``brow`` are the posed brow landmarks, ``tone`` the RGB skin colour
    (see :func:`lid_tone`) that the lid takes over the eyeball.
    """

    upper_old: np.ndarray
    upper_new: np.ndarray
    brow: np.ndarray
    tone: np.ndarray


def _curve_v(curve_uv: np.ndarray, u: np.ndarray) -> np.ndarray:
    order = np.argsort(curve_uv[:, 0])
    return np.interp(u, curve_uv[order, 0], curve_uv[order, 1])


def draw_lid(
    frame: np.ndarray,
    image: np.ndarray,
    map_x: np.ndarray,
    map_y: np.ndarray,
    roi: tuple[int, int, int, int],
    lid: LidGeometry,
) -> None:
    """Draw a closing upper lid into ``frame`` in place.

    Parameters
    ----------
    frame : np.ndarray, shape (H, W, 3), uint8
        The warped frame (the eye as in the photo).
    image : np.ndarray, shape (H, W, 3), uint8
        The source photo.
    map_x, map_y : np.ndarray, shape (h, w), float32
        The mesh's backward map over the ROI (source pixel of each output pixel).
    roi : tuple of int
        ``(x0, y0, x1, y1)`` of the maps.
    lid : LidGeometry
    """
    corner_a, corner_b = lid.upper_old[0], lid.upper_old[-1]
    axis = corner_b - corner_a
    eye_width = float(np.linalg.norm(axis))
    if eye_width < 2:
        return
    along = axis / eye_width
    down = np.array([-along[1], along[0]])

    def to_uv(p):
        d = np.asarray(p, np.float64) - corner_a
        return np.stack([d @ along, d @ down], axis=-1)

    old_uv = to_uv(catmull_rom(lid.upper_old, closed=False))
    new_uv = to_uv(catmull_rom(lid.upper_new, closed=False))
    brow_v = float(np.mean(to_uv(lid.brow)[:, 1]))
    lowest_new = float(new_uv[:, 1].max())
    top_v = min(brow_v, float(old_uv[:, 1].min()) - 0.15 * eye_width)

    # Output pixels that may change: the eye's box from the brow to the new lid.
    corners = np.array([
        corner_a + along * u + down * v
        for u in (-1.0, eye_width + 1.0)
        for v in (top_v - 1.0, lowest_new + 2.0)
    ])
    x0 = int(max(roi[0], np.floor(corners[:, 0].min())))
    y0 = int(max(roi[1], np.floor(corners[:, 1].min())))
    x1 = int(min(roi[2], np.ceil(corners[:, 0].max()) + 1))
    y1 = int(min(roi[3], np.ceil(corners[:, 1].max()) + 1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return

    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    u = (xx - corner_a[0]) * along[0] + (yy - corner_a[1]) * along[1]
    v = (xx - corner_a[0]) * down[0] + (yy - corner_a[1]) * down[1]
    inside = (u > 0) & (u < eye_width)
    uc = np.clip(u, 0, eye_width)
    v_old = _curve_v(old_uv, uc)
    v_new = np.maximum(_curve_v(new_uv, uc), v_old)

    # The lash band just above the lid line slides down unchanged; the skin
    # above it stretches from [v_top, v_old - lash] onto [v_top, v_new - lash].
    lash_band = LASH_BAND * eye_width
    v_top = v_old - np.maximum(LID_SKIN_REACH * (v_old - top_v), LID_MIN_SKIN * eye_width + lash_band)
    slide = v_new - v_old
    skin_old = np.maximum(v_old - lash_band - v_top, 1e-3)
    skin_new = np.maximum(v_new - lash_band - v_top, 1e-3)
    stretched = np.where(
        v < v_new - lash_band,
        v_top + np.clip(v - v_top, 0, None) * (skin_old / skin_new),
        v - slide,
    )
    in_band = inside & (v >= v_top) & (v <= v_new + 1.0)
    v_src = np.where(in_band, stretched, v)
    src_x = corner_a[0] + u * along[0] + v_src * down[0]
    src_y = corner_a[1] + u * along[1] + v_src * down[1]

    # Compose with the mesh warp (both maps are in output pixels of the ROI).
    lid_map_x = cv2.remap(map_x, (src_x - roi[0]).astype(np.float32), (src_y - roi[1]).astype(np.float32),
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    lid_map_y = cv2.remap(map_y, (src_x - roi[0]).astype(np.float32), (src_y - roi[1]).astype(np.float32),
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    lid_pixels = cv2.remap(image, lid_map_x, lid_map_y, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE).astype(np.float32)

    # Over the eyeball the lid is lit like skin, not like the photo's
    # shadowed socket: pull it towards the skin tone with a dome profile.
    cover = np.clip((v - v_old) / np.maximum(v_new - v_old, 1e-3), 0, 1)
    across = np.clip(uc / eye_width, 0, 1)
    dome = np.sin(np.pi * cover) ** 0.5 * np.sin(np.pi * across) ** 0.5
    weight = (LID_TONE_BLEND * dome * inside * (v_new > v_old + 0.05)).astype(np.float32)[..., None]
    lid_pixels += (lid.tone.astype(np.float32) - lid_pixels) * weight

    # The lash line darkens as the lid comes down (lashes bunch at the edge).
    closed = np.clip((v_new - v_old) / max(0.3 * eye_width, 1.0), 0, 1)
    lash = np.exp(-0.5 * ((v - v_new) / max(0.035 * eye_width, 0.6)) ** 2)
    lid_pixels *= (1.0 - LASH_SHADE * closed * lash * inside)[..., None]

    alpha = (inside * np.clip(v_new + 0.5 - v, 0.0, 1.0) * (v_new > v_old + 0.05)).astype(np.float32)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    region += (lid_pixels - region) * alpha[..., None]
    frame[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def lid_tone(image: np.ndarray, landmarks: np.ndarray, eye: dict) -> np.ndarray:
    """Skin colour for a closed lid: the photo's skin above the lid and below the eye.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    eye : dict
        One entry of :data:`EYES`.

    Returns
    -------
    np.ndarray, shape (3,), float
        RGB (a mix of the photo's own colours, so grey stays grey).
    """
    lm = np.asarray(landmarks, np.float64)
    a, b = lm[eye["corners"][0]], lm[eye["corners"][1]]
    width = max(float(np.linalg.norm(b - a)), 2.0)
    along = (b - a) / width
    down = np.array([-along[1], along[0]])
    upper = lm[list(eye["upper"])].mean(axis=0)
    lower = lm[list(eye["lower"])].mean(axis=0)
    h, w = image.shape[:2]
    samples = []
    for centre in (upper - down * 0.3 * width, lower + down * 0.3 * width):
        pts = [centre + along * du * width + down * dv * width
               for du in np.linspace(-0.25, 0.25, 5) for dv in np.linspace(-0.08, 0.08, 3)]
        pts = np.clip(np.round(pts).astype(int), 0, [w - 1, h - 1])
        samples.append(np.median(image[pts[:, 1], pts[:, 0]].astype(np.float64), axis=0))
    return 0.5 * (samples[0] + samples[1])
