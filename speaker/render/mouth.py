"""The inside of an opened mouth, painted in the photo's own colours.

When the target inner lips (landmarks 60-67) part further than in the
photo, the mesh warp only stretches the thin seam between the lips. This
module paints what should show there: a dark cavity shaded by depth, the
upper teeth, the lower teeth when the jaw drops far, and a hint of tongue.
Every colour is the photo's lip, skin or teeth colour scaled in brightness
or mixed with its own grey, so a greyscale photo stays exactly grey and a
sepia one stays sepia.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .curves import catmull_rom

#: Rec. 601 luma weights (R, G, B).
LUMA = np.array([0.299, 0.587, 0.114])

#: Brightness of the cavity relative to the lip colour, near the lips and deep inside.
CAVITY_EDGE_SHADE = 0.36
CAVITY_DEEP_SHADE = 0.10
#: Tongue brightness relative to the lip colour.
TONGUE_SHADE = 0.5
#: Saturation of synthetic teeth relative to the skin's (0 grey, 1 skin's).
TEETH_SATURATION = 0.45
#: Synthetic teeth brightness relative to the face's bright tones.
TEETH_BRIGHTNESS = 0.92
#: Inner-lip gap (face widths) beyond the photo's own at which the interior
#: starts to show, and over which it fades fully in.
OPEN_THRESHOLD = 0.004
OPEN_RAMP = 0.02
#: Photo's inner-lip gap (face widths) above which its own teeth are sampled.
PHOTO_OPEN_GAP = 0.025
#: Upper teeth height: at most this fraction of the opening and of the outer mouth width.
UPPER_TEETH_OF_OPENING = 0.4
UPPER_TEETH_OF_WIDTH = 0.11
#: Lower teeth show from this jaw_open on, fully at +LOWER_TEETH_RAMP.
LOWER_TEETH_FROM = 0.6
LOWER_TEETH_RAMP = 0.3
LOWER_TEETH_OF_WIDTH = 0.035
#: Teeth taper from the middle to the mouth corners (at inner lips 60..64).
TEETH_TAPER = (0.0, 0.7, 1.0, 0.7, 0.0)
LOWER_TEETH_HALF_WIDTH = 0.4
#: Sub-pixel bits for anti-aliased polygons.
SHIFT_BITS = 4


def luma(rgb: np.ndarray) -> np.ndarray:
    """Luma of RGB colours, shape (..., 3) -> (...)."""
    return np.asarray(rgb, np.float64) @ LUMA


@dataclass(frozen=True)
class MouthPalette:
    """Colours (RGB float, 0-255) of the mouth's inside, from the photo."""

    lip: np.ndarray
    skin: np.ndarray
    teeth: np.ndarray
    cavity_edge: np.ndarray
    cavity_deep: np.ndarray
    tongue: np.ndarray


def _polygon_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(pts * (1 << SHIFT_BITS)).astype(np.int32)], 255,
                 lineType=cv2.LINE_AA, shift=SHIFT_BITS)
    return mask


def _tint(colour: np.ndarray, brightness: float, saturation: float) -> np.ndarray:
    """A colour of the given luma whose chroma is ``saturation`` times that of ``colour``."""
    y = max(float(luma(colour)), 1e-3)
    return brightness * (1.0 + saturation * (colour / y - 1.0))


def sample_palette(image: np.ndarray, landmarks: np.ndarray, face_width: float) -> MouthPalette:
    """Sample lip, skin and teeth colours from the neutral photo.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    face_width : float
        Pixels.
    """
    lm = np.asarray(landmarks, np.float64)
    shape = image.shape[:2]
    pixels = image.reshape(-1, 3).astype(np.float64)

    lips = _polygon_mask(shape, lm[48:60]) > 128
    lips &= ~(_polygon_mask(shape, lm[60:68]) > 0)
    lip = np.median(pixels[lips.ravel()], axis=0) if lips.sum() >= 4 else None

    radius = max(2, int(round(0.06 * face_width)))
    cheeks = np.zeros(shape, np.uint8)
    for a, b in ((2, 31), (14, 35)):
        centre = 0.4 * lm[a] + 0.6 * lm[b]
        cv2.circle(cheeks, (int(round(centre[0])), int(round(centre[1]))), radius, 255, -1)
    skin = np.median(pixels[cheeks.ravel() > 0], axis=0) if cheeks.any() else None
    face = _polygon_mask(shape, lm[np.r_[0:17, 26:16:-1]]) > 128
    face_pixels = pixels[face.ravel()] if face.sum() >= 16 else pixels
    if skin is None:
        skin = np.median(face_pixels, axis=0)
    if lip is None:
        lip = skin * 0.8
    # Keep the cavity a tint of the lip even for very dark or washed-out lips.
    lip = np.maximum(lip, 1.0)

    gaps = [np.linalg.norm(lm[u] - lm[d]) for u, d in ((61, 67), (62, 66), (63, 65))]
    teeth = None
    if np.mean(gaps) > PHOTO_OPEN_GAP * face_width:
        inner = _polygon_mask(shape, lm[60:68]) > 128
        inside = pixels[inner.ravel()]
        if len(inside) >= 8:
            y = luma(inside)
            bright = inside[y >= np.percentile(y, 75)]
            if luma(bright.mean(axis=0)) > luma(lip):
                teeth = bright.mean(axis=0)
    if teeth is None:
        bright = float(np.percentile(luma(face_pixels), 95))
        teeth = _tint(skin, TEETH_BRIGHTNESS * bright, TEETH_SATURATION)
    return MouthPalette(
        lip=lip,
        skin=skin,
        teeth=np.clip(teeth, 0, 255),
        cavity_edge=lip * CAVITY_EDGE_SHADE,
        cavity_deep=lip * CAVITY_DEEP_SHADE,
        tongue=lip * TONGUE_SHADE,
    )


def opening_strength(gap_target: float, gap_photo: float, face_width: float) -> float:
    """How much of the painted interior shows (0..1), from inner-lip gaps in pixels."""
    extra = (gap_target - gap_photo) / face_width - OPEN_THRESHOLD
    return float(np.clip(extra / OPEN_RAMP, 0.0, 1.0))


def _offset_polygon(curve: np.ndarray, normal: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Closed polygon: a curve and the same curve moved along ``normal`` by ``heights``."""
    moved = curve + heights[:, None] * normal
    return np.concatenate([curve, moved[::-1]])


def paint_interior(
    frame: np.ndarray,
    inner: np.ndarray,
    outer_width: float,
    strength: float,
    jaw_open: float,
    lower_lip_tuck: float,
    palette: MouthPalette,
    limit: tuple[int, int, int, int],
) -> None:
    """Paint the mouth's inside into ``frame`` in place.

    Parameters
    ----------
    frame : np.ndarray, shape (H, W, 3), uint8
        The warped frame.
    inner : np.ndarray, shape (8, 2)
        Target inner-lip landmarks 60..67 after head pose, pixels.
    outer_width : float
        Width of the mouth (corner to corner of the outer lips), pixels.
    strength : float
        0..1, from :func:`opening_strength`.
    jaw_open, lower_lip_tuck : float
        Articulation values 0..1.
    palette : MouthPalette
    limit : tuple of int
        ``(x0, y0, x1, y1)`` region the painting must stay inside.
    """
    if strength <= 0.0:
        return
    pad = 3
    x0 = int(max(limit[0], np.floor(inner[:, 0].min()) - pad))
    y0 = int(max(limit[1], np.floor(inner[:, 1].min()) - pad))
    x1 = int(min(limit[2], np.ceil(inner[:, 0].max()) + pad + 1))
    y1 = int(min(limit[3], np.ceil(inner[:, 1].max()) + pad + 1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    shape = (y1 - y0, x1 - x0)
    pts = inner - np.array([x0, y0], np.float64)
    mask = _polygon_mask(shape, catmull_rom(pts, closed=True)).astype(np.float32) / 255.0
    if not mask.any():
        return

    across = pts[4] - pts[0]
    inner_width = max(float(np.linalg.norm(across)), 1.0)
    along = across / inner_width
    down = np.array([-along[1], along[0]])
    opening = float(np.mean([(pts[d] - pts[u]) @ down for u, d in ((1, 7), (2, 6), (3, 5))]))
    opening = max(opening, 0.5)

    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    centre = (pts[0] + pts[4]) / 2
    u = ((xx - centre[0]) * along[0] + (yy - centre[1]) * along[1]) / (inner_width / 2)

    # Cavity: darker towards the middle and the back (depth from a blurred mask).
    sigma = max(0.8, 0.35 * opening)
    depth = cv2.GaussianBlur(mask, (0, 0), sigma)
    depth = np.clip(depth / max(float(depth.max()), 1e-3), 0, 1)
    depth = depth * depth * (3 - 2 * depth)
    depth = np.clip(depth + 0.25 * np.clip(np.abs(u), 0, 1), 0, 1)
    colour = palette.cavity_edge + (palette.cavity_deep - palette.cavity_edge) * depth[..., None]

    def layer(poly_or_mask, paint, weight):
        nonlocal colour
        m = poly_or_mask if poly_or_mask.dtype == np.float32 else (
            _polygon_mask(shape, poly_or_mask).astype(np.float32) / 255.0)
        m = m * weight
        colour = colour + (paint - colour) * m[..., None]

    # Tongue: an ellipse low in the mouth, lighter on top.
    tongue_weight = float(np.clip((opening / inner_width - 0.12) / 0.25, 0, 1))
    if tongue_weight > 0:
        base = (pts[5] + pts[6] + pts[7]) / 3
        t_centre = base + down * 0.08 * opening
        axes = (0.3 * inner_width, 0.3 * opening)
        tongue = np.zeros(shape, np.uint8)
        angle = float(np.degrees(np.arctan2(along[1], along[0])))
        cv2.ellipse(tongue, (int(round(t_centre[0] * 16)), int(round(t_centre[1] * 16))),
                    (int(round(axes[0] * 16)), int(round(axes[1] * 16))), angle, 0, 360, 255,
                    -1, cv2.LINE_AA, SHIFT_BITS)
        tmask = tongue.astype(np.float32) / 255.0
        v = ((xx - t_centre[0]) * down[0] + (yy - t_centre[1]) * down[1]) / max(axes[1], 1.0)
        shade = np.clip(0.95 - 0.3 * (v + 1) - 0.25 * np.abs(u), 0.45, 1.0)
        layer(tmask, palette.tongue * shade[..., None], 0.8 * tongue_weight)

    teeth_u_shade = np.clip(1.0 - 0.35 * np.abs(u) ** 2, 0.5, 1.0)[..., None]
    taper = np.array(TEETH_TAPER)

    lower_weight = float(np.clip((jaw_open - LOWER_TEETH_FROM) / LOWER_TEETH_RAMP, 0, 1))
    if lower_weight > 0:
        h = min(LOWER_TEETH_OF_WIDTH * outer_width, 0.3 * opening)
        # A crescent resting on the lowest part of the lower lip.
        bottom = pts[6]
        above = (bottom[0] - xx) * down[0] + (bottom[1] - yy) * down[1]
        crescent = np.clip(h + 0.5 - above, 0, 1) * np.exp(-((u / LOWER_TEETH_HALF_WIDTH) ** 4))
        poly = crescent.astype(np.float32)
        layer(poly, palette.teeth * 0.85 * teeth_u_shade, 0.8 * lower_weight)

    h = min(UPPER_TEETH_OF_OPENING * opening, UPPER_TEETH_OF_WIDTH * outer_width)
    h = max(h, float(np.clip(lower_lip_tuck, 0, 1)) * opening)
    if h > 0.5:
        curve = pts[[0, 1, 2, 3, 4]]
        poly = _offset_polygon(curve, down, h * taper)
        # Shadow of the upper lip on the teeth and a faint darker biting edge.
        v = ((xx - curve[2, 0]) * down[0] + (yy - curve[2, 1]) * down[1]) / max(h, 1.0)
        vshade = np.clip(0.85 + 0.6 * v, 0.85, 1.0) * np.clip(1.1 - 0.15 * v, 0.9, 1.0)
        paint = palette.teeth * teeth_u_shade * vshade[..., None]
        if inner_width > 40:
            # Hint of the incisors' separations, only where there are pixels for it.
            for k in (-2, -1, 0, 1, 2):
                line = np.exp(-0.5 * ((u - k * 0.2) * inner_width / 2 / 0.7) ** 2)
                paint = paint * (1.0 - 0.12 * line[..., None])
        layer(poly, paint, 1.0)

    alpha = (mask * float(strength))[..., None]
    region = frame[y0:y1, x0:x1].astype(np.float32)
    region += (np.clip(colour, 0, 255).astype(np.float32) - region) * alpha
    frame[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
