"""Blinks: the upper lid comes down over the eye as a sheet of lid skin.

The mesh keeps the eye itself as in the photo. A closing lid is painted
over the upper part of the eye opening, down to a lid line that reaches
the lower lid (and a little past it) at full closure: skin coloured like
the photo's lid skin just above the eye (sampled once per eye, across its
width), softly shaded, with a thin darker lash line along its edge. It
covers the iris and lashes completely instead of sliding the photo's
pixels, which left them showing through.

Gaze: the iris moves inside the eye opening by a warp of the photo that is
confined to the opening between the lid lines (:class:`GazeWarp`). Along
the line of the eye a band as wide as the iris shifts rigidly while the
white on either side stretches or compresses towards the corners, which
stay put; across it the iris centre shifts while the lid lines stay put.
Everything outside the opening (lids, lashes, glasses frames) is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .curves import catmull_rom
from .mouth import luma

#: Eye landmark indices: outer corner, upper lid (2), inner corner, lower lid (2),
#: and the brow above; for the left and the right eye of the image.
EYES = (
    {"corners": (36, 39), "upper": (37, 38), "lower": (41, 40), "brow": (17, 18, 19, 20, 21)},
    {"corners": (42, 45), "upper": (43, 44), "lower": (47, 46), "brow": (22, 23, 24, 25, 26)},
)
#: Closures below this are not drawn (the eye is left exactly as in the photo).
MIN_CLOSURE = 0.02
#: Closure at which the lid line reaches the lower lid (the eye is shut).
FULL_CLOSURE_AT = 0.9
#: At full closure the lid line goes this fraction of the eye opening past
#: the lower-lid landmarks (which sit a little inside the visible lid edge).
CLOSE_OVERSHOOT = 0.15
#: Closure over which the painted lid fades in (so a tiny closure does not pop).
ONSET_CLOSURE = 0.12
#: Lid skin is sampled this far above the upper lid line (eye widths).
SKIN_SAMPLE_FROM = 0.10
SKIN_SAMPLE_TO = 0.30
#: Luma-ranked share of the sampled pixels dropped as lashes, brow hair and
#: crease shadow (the darkest ones).
SKIN_DARK_DROP = 0.2
#: Across-eye samples of the lid skin colour.
SKIN_PROFILE_SAMPLES = 16
#: Share of the skin tone around the eye (above and below) mixed into the
#: lid colour: a closed lid over the eyeball catches more light than the
#: crease above it.
LID_TONE_MIX = 0.25
#: The lid is at least this bright relative to that tone (deep-set eyes have
#: a shadowed crease above them, but a closed lid bulges out into the light).
LID_MIN_OF_TONE = 0.7
#: The painted lid blends into the photo over this height above the photo's
#: lid line (eye widths, at least 1.5 px), covering the photo's lashes.
LID_BLEND_ABOVE = 0.12
#: Shading of the lid: highlight on the bulge over the eyeball and darkening
#: towards the edge.
LID_HIGHLIGHT = 0.06
LID_EDGE_SHADE = 0.12
#: Lash line along the lid edge: darkening at its centre and half height (eye widths, at least 0.6 px).
LASH_DARKNESS = 0.55
LASH_HALF_HEIGHT = 0.035


@dataclass
class LidGeometry:
    """One eye's lid curves in the output frame (pixels).

    ``upper_old`` is where the photo's lid lands after the mesh warp,
    ``upper_new`` where the lid edge must be; both include the eye corners.
    ``skin`` is the lid skin colour across the eye (see :func:`lid_skin_profile`)
    and ``closure`` the eyelid closure 0..1.
    """

    upper_old: np.ndarray
    upper_new: np.ndarray
    skin: np.ndarray
    closure: float


def _curve_v(curve_uv: np.ndarray, u: np.ndarray) -> np.ndarray:
    order = np.argsort(curve_uv[:, 0])
    return np.interp(u, curve_uv[order, 0], curve_uv[order, 1])


def lid_reach(closure: float) -> float:
    """Fraction of the way from the open upper lid to the lower lid that the lid edge goes."""
    return float(np.clip(closure / FULL_CLOSURE_AT, 0.0, 1.0)) * (1.0 + CLOSE_OVERSHOOT)


def _eye_axes(corner_a: np.ndarray, corner_b: np.ndarray, min_width: float = 0.0
              ) -> tuple[float, np.ndarray, np.ndarray]:
    """Width (at least ``min_width``) and unit vectors along and down of the eye from corner a to b."""
    axis = np.asarray(corner_b, np.float64) - corner_a
    width = max(float(np.linalg.norm(axis)), min_width)
    along = axis / max(width, 1e-9)
    return width, along, np.array([-along[1], along[0]])


def _to_uv(points: np.ndarray, origin: np.ndarray, along: np.ndarray, down: np.ndarray) -> np.ndarray:
    """Points (..., 2) in pixels as (u along, v down) coordinates from ``origin``."""
    d = np.asarray(points, np.float64) - origin
    return np.stack([d @ along, d @ down], axis=-1)


def draw_lid(frame: np.ndarray, lid: LidGeometry, limit: tuple[int, int, int, int]) -> None:
    """Paint a closing upper lid into ``frame`` in place.

    Parameters
    ----------
    frame : np.ndarray, shape (H, W, 3), uint8
        The warped frame (the eye as in the photo).
    lid : LidGeometry
    limit : tuple of int
        ``(x0, y0, x1, y1)`` region the painting must stay inside.
    """
    corner_a = lid.upper_old[0]
    eye_width, along, down = _eye_axes(corner_a, lid.upper_old[-1])
    if eye_width < 2:
        return
    old_uv = _to_uv(catmull_rom(lid.upper_old, closed=False), corner_a, along, down)
    new_uv = _to_uv(catmull_rom(lid.upper_new, closed=False), corner_a, along, down)
    blend = max(LID_BLEND_ABOVE * eye_width, 1.5)
    top_v = float(old_uv[:, 1].min()) - blend - 1.0
    bottom_v = float(max(new_uv[:, 1].max(), old_uv[:, 1].max())) + 1.5

    corners = np.array([corner_a + along * u + down * v
                        for u in (-1.0, eye_width + 1.0) for v in (top_v, bottom_v)])
    x0 = int(max(limit[0], np.floor(corners[:, 0].min())))
    y0 = int(max(limit[1], np.floor(corners[:, 1].min())))
    x1 = int(min(limit[2], np.ceil(corners[:, 0].max()) + 1))
    y1 = int(min(limit[3], np.ceil(corners[:, 1].max()) + 1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return

    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    u = (xx - corner_a[0]) * along[0] + (yy - corner_a[1]) * along[1]
    v = (xx - corner_a[0]) * down[0] + (yy - corner_a[1]) * down[1]
    across = np.clip(u / eye_width, 0.0, 1.0)
    v_old = _curve_v(old_uv, u)
    v_new = np.maximum(_curve_v(new_uv, u), v_old)

    onset = float(np.clip(lid.closure / ONSET_CLOSURE, 0.0, 1.0))
    alpha = (np.clip(u + 0.5, 0, 1) * np.clip(eye_width - u + 0.5, 0, 1)
             * np.clip((v - (v_old - blend)) / blend, 0, 1)
             * np.clip(v_new + 0.5 - v, 0, 1) * onset)
    if not alpha.any():
        return

    samples = np.linspace(0.0, 1.0, len(lid.skin))
    skin = np.stack([np.interp(across, samples, lid.skin[:, c]) for c in range(3)], axis=-1)
    bulge = np.sin(np.pi * across) ** 0.5
    cover = np.clip((v - v_old) / np.maximum(v_new - v_old, 1.0), 0, 1)
    shade = (1.0 + LID_HIGHLIGHT * bulge * np.sin(np.pi * cover)) * (1.0 - LID_EDGE_SHADE * cover ** 2)
    lash_half = max(LASH_HALF_HEIGHT * eye_width, 0.6)
    lash = np.exp(-0.5 * ((v - (v_new - lash_half)) / lash_half) ** 2) * np.sin(np.pi * across) ** 0.4
    shade = shade * (1.0 - LASH_DARKNESS * lash)
    paint = skin * shade[..., None]

    region = frame[y0:y1, x0:x1].astype(np.float64)
    region += (paint - region) * alpha[..., None]
    frame[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def lid_skin_profile(image: np.ndarray, landmarks: np.ndarray, eye: dict) -> np.ndarray:
    """The colour of the lid skin just above the eye, across the eye.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    eye : dict
        One entry of :data:`EYES`.

    Returns
    -------
    np.ndarray, shape (SKIN_PROFILE_SAMPLES, 3), float
        RGB from the outer to the inner corner (in landmark order): the
        brighter pixels of a strip above the upper lid, smoothed across and
        mixed with :func:`lid_tone` (a mix of the photo's own colours, so
        grey stays grey).
    """
    lm = np.asarray(landmarks, np.float64)
    a, b = lm[eye["corners"][0]], lm[eye["corners"][1]]
    width, along, down = _eye_axes(a, b, min_width=2.0)
    lid_curve = catmull_rom(np.array([a, lm[eye["upper"][0]], lm[eye["upper"][1]], b]), closed=False)
    lid_uv = _to_uv(lid_curve, a, along, down)
    brow_v = float(np.mean((lm[list(eye["brow"])] - a) @ down))
    h, w = image.shape[:2]
    tone = lid_tone(image, landmarks, eye)
    profile = []
    for t in np.linspace(0.1, 0.9, SKIN_PROFILE_SAMPLES):
        lid_v = float(_curve_v(lid_uv, np.array([t * width]))[0])
        # Stay below the brow (never sample brow hair).
        reach = min(SKIN_SAMPLE_TO * width, 0.7 * max(lid_v - brow_v, 1.0))
        start = min(SKIN_SAMPLE_FROM * width, 0.5 * reach)
        pts = [a + along * (t + du) * width + down * (lid_v - dv)
               for du in (-0.04, 0.0, 0.04) for dv in np.linspace(start, reach, 5)]
        pts = np.clip(np.round(pts).astype(int), 0, [w - 1, h - 1])
        pixels = image[pts[:, 1], pts[:, 0]].astype(np.float64)
        order = np.argsort(luma(pixels))
        keep = pixels[order[int(SKIN_DARK_DROP * len(order)):]]
        profile.append(np.median(keep, axis=0))
    profile = np.array(profile)
    # Smooth across the eye: the lid is one sheet of skin, not a row of samples.
    padded = np.concatenate([profile[:1], profile[:1], profile, profile[-1:], profile[-1:]])
    kernel = np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0
    profile = np.stack([np.convolve(padded[:, c], kernel, mode="valid") for c in range(3)], axis=-1)
    profile = (1.0 - LID_TONE_MIX) * profile + LID_TONE_MIX * tone
    floor = LID_MIN_OF_TONE * float(luma(tone))
    return np.clip(profile * np.maximum(floor / np.maximum(luma(profile), 1e-3), 1.0)[:, None], 0, 255)


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
    width, along, down = _eye_axes(lm[eye["corners"][0]], lm[eye["corners"][1]], min_width=2.0)
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


#: Gaze warp: the warp reaches this share of the eye opening (at least
#: GAZE_MARGIN_MIN px) past the lid lines, and fades in over twice that.
GAZE_MARGIN = 0.12
GAZE_MARGIN_MIN = 0.75
#: Half width of the band that shifts rigidly (the visible iris), eye widths.
IRIS_HALF_WIDTH = 0.18
#: The iris centre is looked for between these shares of the eye width, as
#: the centroid of this darkest share of the opening's pixels.
IRIS_SEARCH = (0.3, 0.7)
IRIS_DARK_SHARE = 0.35
#: Largest stretch the warp may put on the white of the eye: an output pixel
#: spans at least this fraction of a photo pixel (1 - this is the most the
#: displacement may change per pixel, so the warp never folds).
MIN_SAMPLING_RATE = 0.4


def _smooth(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass
class GazeWarp:
    """One eye's iris-shift weights over a box of the photo.

    Attributes
    ----------
    box : tuple of int
        ``(x0, y0, x1, y1)`` of the photo the weights cover.
    along, down : np.ndarray, shape (2,)
        Unit vectors along the eye (corner to corner, image right on an
        upright face) and across it (down).
    width : float
        Eye width (corner to corner), pixels.
    weight_along, weight_across : np.ndarray, shape (y1 - y0, x1 - x0), float32
        Share of the along and across gaze shift each photo pixel takes:
        1 on the iris, 0 at the corners, on the lid lines and outside.
    limits : np.ndarray, shape (2, 2)
        Largest gaze (eye widths) the warp takes without folding:
        ``[[-along, +along], [-across, +across]]`` magnitudes.
    iris : np.ndarray, shape (2,)
        Where the iris centre was found, pixels of the photo.
    """

    box: tuple[int, int, int, int]
    along: np.ndarray
    down: np.ndarray
    width: float
    weight_along: np.ndarray
    weight_across: np.ndarray
    limits: np.ndarray
    iris: np.ndarray


def gaze_warp(image: np.ndarray, landmarks: np.ndarray, eye: dict) -> GazeWarp | None:
    """Weights that move one eye's iris inside its opening.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    eye : dict
        One entry of :data:`EYES`.

    Returns
    -------
    GazeWarp or None
        None when the eye is too small or shut in the photo to move its iris.
    """
    lm = np.asarray(landmarks, np.float64)
    a, b = lm[eye["corners"][0]], lm[eye["corners"][1]]
    width, along, down = _eye_axes(a, b)
    if width < 6:
        return None
    upper = catmull_rom(np.array([a, *lm[list(eye["upper"])], b]), closed=False)
    lower = catmull_rom(np.array([a, *lm[list(eye["lower"])], b]), closed=False)
    upper_uv, lower_uv = _to_uv(upper, a, along, down), _to_uv(lower, a, along, down)
    opening = float(np.max(_curve_v(lower_uv, upper_uv[:, 0]) - upper_uv[:, 1]))
    if opening < 2:
        return None
    margin = max(GAZE_MARGIN * opening, GAZE_MARGIN_MIN)
    outline = np.concatenate([upper, lower])
    h, w = image.shape[:2]
    x0 = int(max(np.floor(outline[:, 0].min() - margin) - 2, 0))
    y0 = int(max(np.floor(outline[:, 1].min() - margin) - 2, 0))
    x1 = int(min(np.ceil(outline[:, 0].max() + margin) + 3, w))
    y1 = int(min(np.ceil(outline[:, 1].max() + margin) + 3, h))
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    u = (xx - a[0]) * along[0] + (yy - a[1]) * along[1]
    v = (xx - a[0]) * down[0] + (yy - a[1]) * down[1]
    v_up, v_lo = _curve_v(upper_uv, u), _curve_v(lower_uv, u)
    inside = (_smooth((v - v_up + margin) / (2 * margin)) * _smooth((v_lo - v + margin) / (2 * margin))
              * (u > 0) * (u < width))

    # The iris: the darkest part of the opening, away from the corners.
    brightness = luma(image[y0:y1, x0:x1])
    search = (inside > 0.5) & (u > 0.15 * width) & (u < 0.85 * width)
    if search.sum() < 4:
        return None
    dark = brightness[search] <= np.quantile(brightness[search], IRIS_DARK_SHARE)
    iris_u = float(np.clip(u[search][dark].mean(), IRIS_SEARCH[0] * width, IRIS_SEARCH[1] * width))
    half = IRIS_HALF_WIDTH * width
    band = (_smooth(u / (iris_u - half)) * _smooth((width - u) / (width - iris_u - half)))

    middle = 0.5 * (v_up + v_lo)
    across = np.where(v < middle, _smooth((v - v_up) / np.maximum(middle - v_up, 0.5)),
                      _smooth((v_lo - v) / np.maximum(v_lo - middle, 0.5)))
    weight_along = (band * inside).astype(np.float32)
    weight_across = (band * across * (u > 0) * (u < width)).astype(np.float32)

    # The limits keep the white of the eye from stretching too far. The lid
    # feather is left out: it shears the lid line along itself by a pixel or
    # two at most, which does not show.
    limits = np.zeros((2, 2))
    for row, weight, axis in ((0, band, along), (1, weight_across, down)):
        gy, gx = np.gradient(weight.astype(np.float64))
        slope = gx * axis[0] + gy * axis[1]           # change of weight per pixel along the axis
        # A positive shift stretches where the weight grows, a negative one where it falls.
        for column, steepest in enumerate((max(-slope.min(), 1e-6), max(slope.max(), 1e-6))):
            limits[row, column] = (1.0 - MIN_SAMPLING_RATE) / (width * steepest)
    iris_v = 0.5 * float(_curve_v(upper_uv, np.array([iris_u]))[0] + _curve_v(lower_uv, np.array([iris_u]))[0])
    return GazeWarp((x0, y0, x1, y1), along, down, width, weight_along, weight_across, limits,
                    a + along * iris_u + down * iris_v)


def gaze_limits(warps: list[GazeWarp]) -> np.ndarray:
    """The limits (2, 2) both eyes can take (the eyes move together)."""
    return np.min([warp.limits for warp in warps], axis=0)


def clamp_gaze(gaze: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Gaze (2,) eye widths limited to ``[[-along, +along], [-across, +across]]``."""
    g = np.asarray(gaze, np.float64)
    return np.clip(g, -limits[:, 0], limits[:, 1])


def shift_iris(map_x: np.ndarray, map_y: np.ndarray, warp: GazeWarp, gaze: np.ndarray) -> None:
    """Move the iris in a backward map, in place.

    Parameters
    ----------
    map_x, map_y : np.ndarray, shape (h, w), float32
        Photo coordinates each output pixel samples (a window of the full
        map that contains the eye); the photo point ``q`` is replaced by
        ``q - shift(q)``, so the photo's iris appears moved by the gaze.
    warp : GazeWarp
    gaze : np.ndarray, shape (2,)
        ``(along, across)`` in eye widths, already clamped.
    """
    x0, y0 = warp.box[:2]
    local_x, local_y = map_x - np.float32(x0), map_y - np.float32(y0)
    for weights, amount, axis in ((warp.weight_along, gaze[0], warp.along),
                                  (warp.weight_across, gaze[1], warp.down)):
        if amount == 0:
            continue
        share = cv2.remap(weights, local_x, local_y, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        shift = axis * (amount * warp.width)
        map_x -= share * np.float32(shift[0])
        map_y -= share * np.float32(shift[1])
