"""Blinks: the upper lid comes down over the eye as the lid skin itself.

The mesh keeps the eye itself as in the photo. A closing lid is a second
warp, composed with the mesh's backward map: the band of lid skin between
the crease (a fixed line above the photo's lid line) and the lid line is
stretched down to the new lid edge, so the photo's own lid texture and its
crease come down over the eye. Over the eyeball the lid shades from the
photo's tone at the crease to the tone of the skin below the eye (a closed
lid bulges into the light; the stretched skin alone is often the socket's
shadow, which read as a grey patch in the outline of an open eye), in the
photo's own colours (grey stays grey), and never darker than the photo's
own lid skin (on eyes cast down and lit from above, the skin below the eye
is the one in shadow). At full closure the edge reaches the
lower lid along one smooth arc from corner to corner; a dark lash line is
drawn along it, as thick as a shut eye's bunched lashes and centred on the
arc, so that it lies over the photo's lower-lid margin and the two read as
one line. As the lid shuts it becomes one lit surface from its edge up
towards the brow (never past the face's outline): the fold and the socket's
shadow of the open eye flatten out (unless the photo's own lid skin is
the lighter: then that skin is the lit lid, and the lid's tone covers the
eyeball only). Its skin texture is the
photo's skin below the eye, mirrored across the lid edge, and its lash line
is no darker than the photo's own lid line and of its hue (a painter's brown,
not the varnish's yellow darkened to olive); past the eye's corners light
spots (the white beyond the landmarks' corners) are taken out. The lower lid rises with the
landmarks the motion stage gives it.

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

from ..imaging import LUMA, eye_opening_darkness, luma
from .curves import catmull_rom

#: Eye landmark indices: the corners, upper lid (2), lower lid (2), the brow
#: above and the face's outline level with each corner (the jaw line's top
#: point by the outer corner, the nose's bridge by the inner one); for the
#: left and the right eye of the image.
EYES = (
    {"corners": (36, 39), "upper": (37, 38), "lower": (41, 40), "brow": (17, 18, 19, 20, 21), "outline": (0, 27)},
    {"corners": (42, 45), "upper": (43, 44), "lower": (47, 46), "brow": (22, 23, 24, 25, 26), "outline": (27, 16)},
)
#: Closures below this are not drawn (the eye is left exactly as in the photo).
MIN_CLOSURE = 0.02
#: Closure at which the lid line reaches the lower lid (the eye is shut).
FULL_CLOSURE_AT = 0.9
#: At full closure the lid line goes this fraction of the eye opening past
#: the lower-lid landmarks (which sit a little inside the visible lid edge).
CLOSE_OVERSHOOT = 0.0
#: Closure over which the lash line fades in (so a tiny closure does not pop).
ONSET_CLOSURE = 0.12
#: Height of the lid skin that stretches down (lid line to crease), eye
#: widths, and at most this share of the way up to the brow.
LID_SKIN_HEIGHT = 0.32
LID_SKIN_OF_BROW = 0.45
#: A closed lid bulges out over the eyeball into the light: from the crease
#: (which keeps the photo's tones) down to the lid edge it shades over to the
#: tone of the skin just below the eye (a band LID_TONE_BAND eye widths below
#: the lower lid, over the middle of the eye) times LID_TONE_OF_UNDER_EYE
#: (the lid curves away from the light a little). The stretched skin keeps
#: its texture as relative detail, measured against its blur over
#: LID_LIFT_BLUR eye widths and limited to LID_DETAIL_RANGE (stretched
#: lashes or brow hairs would otherwise streak). The stretched band alone is
#: often the socket's shadow: dark, of another colour, ending in the photo's
#: lid line, it read as a grey patch in an almond outline, an eye still open.
LID_LIFT_BLUR = 0.08
LID_TONE_BAND = (0.12, 0.4)
LID_TONE_OF_UNDER_EYE = 0.9
LID_DETAIL_RANGE = (0.9, 1.1)
#: Share of the way from the crease to the lid edge (0 to 1) over which the
#: lid shades from the photo's tone to the under-eye tone.
LID_SHADE_FROM = (0.0, 0.45)
#: Lash line along the lid edge: darkening at its centre (at most; the
#: renderer scales it down to the photo's own lid line, :func:`photo_lash_darkness`)
#: and half height (eye widths, at least 0.6 px). A thinner, paler line (0.55, 0.022) left
#: dlib's landmarks on the outline of an open eye (peak eye aspect ratio 0.96
#: of open, median of 17 portraits; 0.66 with these). The line is centred on
#: the lid edge: drawn just above it, the photo's own lower-lid margin below
#: made a second dark line (or one as tall as a narrow open eye) that dlib
#: fitted as an opening (Pinkerton shut 0.90 of open; 0.60 centred). On a
#: half-closed lid the line hangs just above the edge, over the eye, and
#: comes onto the edge from OPENING_FROM_REACH of the way down. 0.06 since
#: the warp samples the photo bicubically (a sharper, so thinner-looking,
#: line: 0.05 gave shut/open below half on 9 of 17, over small poses 10).
LASH_DARKNESS = 0.9
LASH_HALF_HEIGHT = 0.06
#: The photo's own lid line is looked for this far (eye widths) either side
#: of its upper-lid landmarks (:func:`photo_lash_darkness`).
LASH_LINE_BAND = 0.06
#: The photo's own lashes and lid margin (this far above its lid line, eye
#: widths) are left out of the stretched skin: stretched, they would read as
#: a dark band, an eye still open, above the new edge.
LID_MARGIN_SKIP = 0.06
#: A shut lid is one smooth surface lit from its edge up towards the brow:
#: stretched over the eyeball it bulges into the light, and the fold and
#: the socket's shadow of the open eye flatten out. Kept, they ringed the
#: lid in a dark almond whose upper edge dlib took for the upper lid (peak
#: eye aspect ratio 0.88 of open on la_velata, 0.94 on Lincoln). A real shut
#: eye from a talking clip (lp_d0 frame 66), pasted into these portraits by
#: its corners with the skin up towards the brow, fell to 0.40 and 0.47; with
#: the eyeball alone, to 0.63 and 0.70.
#: The lid's tone covers a rounded box (a super-ellipse of this roundness)
#: over the lid edge: LID_SURFACE_BEYOND eye widths past each corner and
#: LID_SURFACE_REACH of the way from the photo's lid line up to the brow
#: points, fading out over its outer LID_SURFACE_SOFT. Its strength grows as
#: the square of the lid's reach, so a half-closed lid keeps most of the
#: photo's fold. The tone goes LID_TOWARDS_CHEEK of the way from the skin
#: below the eye (often in the socket's shadow) to the cheeks' when these are
#: lighter: the lid catches the light the cheeks do.
#: Where the photo's own lid skin is lighter than that tone (the floor of
#: :func:`photo_lid_luma` governs: eyes cast down and lit from above, a lit
#: lid), that skin already is the lit lid: the tone covers the eyeball only
#: and the socket above keeps the photo's folds (:attr:`LidWarp.eyeball`).
#: Spread up towards the brow, the lid skin's tone filled the socket in a
#: lighter oval (Apsaroke's near eye; the Chief's, Obama and Biden's, the
#: astronaut's socket lost its fold). Shut/open over the 17 portraits: 11
#: below half, none of the 10 lost (Obama and Biden 0.74 -> 0.46, Obama 2012
#: 0.475 -> 0.49, the astronaut 0.39 -> 0.28); over small head poses 10
#: below half (9), mean 0.592 (0.586; the Chief 0.96 -> 1.20).
LID_SURFACE_BEYOND = 0.25
LID_SURFACE_REACH = 0.85
LID_SURFACE_SOFT = 0.5
LID_SURFACE_ROUNDNESS = 4.0
LID_TOWARDS_CHEEK = 0.5
#: As the lid shuts its skin also covers the photo's eye opening below the
#: shut edge's arc, down to the lower-lid line and this far past it (eye
#: widths, at least 0.75 px), feathered; from OPENING_FROM_REACH of the way
#: down (a half-closed eye keeps its lower half as it was).
OPENING_FEATHER = 0.03
OPENING_FROM_REACH = 0.7
#: The shut lid's skin texture is the photo's skin below the eye: from
#: LID_TEXTURE_FROM[0] eye widths below the lower lid (past its margin and
#: lashes), over a band LID_TEXTURE_FROM[1] tall, mirrored across the lid
#: edge; its detail against a blur over LID_TEXTURE_BLUR eye widths, within
#: LID_TEXTURE_RANGE. The stretched lid skin alone, its lashes averaged
#: away, was a smooth patch beside the photo's wrinkles, grain or brushwork.
LID_TEXTURE_FROM = (0.12, 0.3)
LID_TEXTURE_BLUR = 0.1
LID_TEXTURE_RANGE = (0.8, 1.2)
#: A shut lid covers the whole eye opening, to the true corners, which often
#: lie past the landmarks' corners (on Mark Twain the white at the outer
#: corner reached 6 px, 0.15 eye widths, past it and shone beside the lash
#: line): at shut, within CANTHUS_REACH eye widths of a corner (fading out
#: to 1.5 times that distance), light spots smaller than that reach across
#: are taken out (a greyscale opening of the luma: the skin's shading stays,
#: a white triangle goes), past the corners only (inside them the lid's
#: cover hides the white). Keeping the corners no lighter than the lid's
#: tone left Twain's white at that tone, still lighter than the shaded
#: corner around it. Shut/open eye aspect ratio over the 17 portraits dlib
#: fits: 10 below half as before (Obama 2012 0.53 -> 0.47 in, Mona Lisa
#: 0.496 -> 0.52 out); mean over small head poses 0.586 (0.592 before);
#: with the corners' insides too, 8 below half, 0.580.
CANTHUS_REACH = 0.2
#: Only what is lighter than this many times the opening is taken down to
#: it (the skin's own texture within that range stays).
CANTHUS_SPOT = 1.1


@dataclass
class LidWarp:
    """One eye's closing lid over a box of the output frame.

    Attributes
    ----------
    box : tuple of int
        ``(x0, y0, x1, y1)`` output pixels the lid changes.
    source_dx, source_dy : np.ndarray, shape (y1 - y0, x1 - x0), float32
        Where each output pixel of the box takes its colour from, relative to
        itself, in the frame as it is without the lid (pixels).
    lash : np.ndarray, shape (y1 - y0, x1 - x0), float32
        Darkening 0..1 of the lash line at the lid edge.
    cover : np.ndarray, shape (y1 - y0, x1 - x0), float32
        0..1: how much each pixel takes the lid's tone: over the eyeball
        (0 at the crease, 1 from about halfway down to the lid edge) and,
        as the lid shuts, over the lid's surface up towards the brow
        (:data:`LID_SURFACE_REACH`).
    blur : float
        Pixels of the blur the lid's relative detail is measured against.
    tone : np.ndarray, shape (3,), float32, or None
        RGB the lid takes over the eyeball (:func:`lid_tone`); None: the
        cheeks' colour given to :func:`shade_lid`.
    texture_dx, texture_dy : np.ndarray, shape (y1 - y0, x1 - x0), float32, or None
        Where each pixel of the box takes its skin texture from, relative to
        itself in the frame (pixels): the skin below the eye, mirrored across
        the lid edge (:data:`LID_TEXTURE_FROM`).
    texture_blur : float
        Pixels of the blur that texture is measured against.
    least_luma : float
        The lid's tone is no darker than this luma, 0-255: the photo's own
        lid skin (:func:`photo_lid_luma`); 0 for no such bound.
    canthus : np.ndarray, shape (y1 - y0, x1 - x0), float32, or None
        0..1: how much each pixel by the eye's corners is
        rid of light spots (:data:`CANTHUS_REACH`).
    canthus_size : int
        Pixels across (odd) of the largest light spot taken out there.
    eyeball : np.ndarray, shape (y1 - y0, x1 - x0), float32, or None
        ``cover`` without the lid's surface up towards the brow: what the
        lid's tone covers when the photo's own lid skin is lighter than it.
    lash_colour : np.ndarray, shape (3,), float32, or None
        RGB of the photo's own upper lid line (:func:`photo_lash_colour`):
        the hue the lash line darkens towards; None keeps each pixel's own.
    """

    box: tuple[int, int, int, int]
    source_dx: np.ndarray
    source_dy: np.ndarray
    lash: np.ndarray
    cover: np.ndarray
    blur: float
    tone: np.ndarray | None = None
    texture_dx: np.ndarray | None = None
    texture_dy: np.ndarray | None = None
    texture_blur: float = 1.0
    least_luma: float = 0.0
    canthus: np.ndarray | None = None
    canthus_size: int = 3
    eyeball: np.ndarray | None = None
    lash_colour: np.ndarray | None = None


def lid_tone(image: np.ndarray, landmarks: np.ndarray, eye: dict) -> np.ndarray | None:
    """Colour a closed lid takes over the eyeball: the skin just below the eye.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    eye : dict
        One entry of :data:`EYES`.

    Returns
    -------
    np.ndarray, shape (3,), float32, or None
        RGB 0-255: :data:`LID_TONE_OF_UNDER_EYE` times the median colour of
        a band :data:`LID_TONE_BAND` eye widths below the lower lid over the
        middle three fifths of the eye; None when the band is off the photo.
    """
    window = _eye_window(image, landmarks, eye)
    if window is None:
        return None
    box, width, u, v, _, lower_v = window
    band = _under_eye_band(u, v - lower_v, width)
    if band.sum() < 3:
        return None
    return (LID_TONE_OF_UNDER_EYE * np.median(image[box][band].astype(np.float32), axis=0)).astype(np.float32)


def _under_eye_band(u: np.ndarray, below_lower: np.ndarray, width: float) -> np.ndarray:
    """Mask of the skin :data:`LID_TONE_BAND` eye widths below the lower lid, over the middle three fifths."""
    return ((u > 0.2 * width) & (u < 0.8 * width)
            & (below_lower > LID_TONE_BAND[0] * width) & (below_lower < LID_TONE_BAND[1] * width))


def _eye_window(image: np.ndarray, landmarks: np.ndarray, eye: dict):
    """One eye's neighbourhood of the photo in the eye's own coordinates.

    Returns
    -------
    tuple or None
        ``(box, width, u, v, upper_v, lower_v)``: the slices (rows, columns)
        of the photo around the eye (to :data:`LID_TONE_BAND` below it and
        more), the eye width (pixels), and per pixel of the box (each shape
        (h, w), pixels): along the eye from its first corner, across it
        (down), and where the upper and the lower lid line are across it at
        that ``u``. None when the box is off the photo.
    """
    lm = np.asarray(landmarks, np.float64)
    a, b = lm[eye["corners"][0]], lm[eye["corners"][1]]
    width, along, down = _eye_axes(a, b, 1.0)
    upper_uv = _to_uv(catmull_rom(np.array([a, *lm[list(eye["upper"])], b]), closed=False), a, along, down)
    lower_uv = _to_uv(catmull_rom(np.array([a, *lm[list(eye["lower"])], b]), closed=False), a, along, down)
    h, w = image.shape[:2]
    pad = int(np.ceil(width * (LID_TONE_BAND[1] + 0.3))) + 2
    x0, y0 = np.floor(np.minimum(a, b) - pad).astype(int)
    x1, y1 = np.ceil(np.maximum(a, b) + pad).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    u = (xx - a[0]) * along[0] + (yy - a[1]) * along[1]
    v = (xx - a[0]) * down[0] + (yy - a[1]) * down[1]
    return (slice(y0, y1), slice(x0, x1)), width, u, v, _curve_v(upper_uv, u), _curve_v(lower_uv, u)


def photo_lash_darkness(image: np.ndarray, landmarks: np.ndarray, eye: dict) -> float:
    """How dark the photo's own upper lid line is against the skin below the eye, 0..1.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    eye : dict
        One entry of :data:`EYES`.

    Returns
    -------
    float
        ``1 - line / skin``: ``line`` the median over the middle three fifths
        of the eye of each column's darkest luma within
        :data:`LASH_LINE_BAND` eye widths of the upper lid line, ``skin``
        the median luma of the band :data:`LID_TONE_BAND` below the lower
        lid; at most :data:`LASH_DARKNESS` (and that when either is off the
        photo). A shut lid's lash line is drawn no darker than this: a
        black line on a painted or faded lid read as eyeliner.
    """
    line = _upper_lid_line(image, landmarks, eye)
    if line is None:
        return LASH_DARKNESS
    line_luma, _, skin_luma = line
    return float(np.clip(1.0 - line_luma / max(skin_luma, 1.0), 0.0, LASH_DARKNESS))


#: A lid line darker than this luma (0-255) has too little colour left to tell its hue.
LASH_COLOUR_FROM_LUMA = 12.0


def photo_lash_colour(image: np.ndarray, landmarks: np.ndarray, eye: dict) -> np.ndarray | None:
    """RGB (3,) float32 of the photo's own upper lid line, the hue a shut lid's lash line takes.

    The per-channel median of each column's darkest pixel along the lid line
    (as :func:`photo_lash_darkness` finds it). Darkening a pixel keeps its
    own hue, and on a varnished painting a darkened yellow reads as an olive
    line where the painter's lid line is brown. None when the line is off the
    photo or darker than :data:`LASH_COLOUR_FROM_LUMA`.
    """
    line = _upper_lid_line(image, landmarks, eye)
    if line is None or line[0] < LASH_COLOUR_FROM_LUMA:
        return None
    return line[1]


def _upper_lid_line(image: np.ndarray, landmarks: np.ndarray, eye: dict) -> tuple[float, np.ndarray, float] | None:
    """The photo's upper lid line: its luma, its colour (3,), and the luma of the skin below the eye; or None.

    Over the middle three fifths of the eye, each column's darkest pixel
    within :data:`LASH_LINE_BAND` eye widths of the upper lid line: the
    median of their lumas and the per-channel median of their colours. The
    skin's is the median luma of the band :data:`LID_TONE_BAND` below the
    lower lid.
    """
    window = _eye_window(image, landmarks, eye)
    if window is None:
        return None
    box, width, u, v, upper_v, lower_v = window
    brightness = luma(image[box])
    skin = _under_eye_band(u, v - lower_v, width)
    on_line = (u > 0.2 * width) & (u < 0.8 * width) & (np.abs(v - upper_v) <= max(LASH_LINE_BAND * width, 1.0))
    if skin.sum() < 3 or on_line.sum() < 3:
        return None
    columns = np.round(u[on_line]).astype(int)
    lumas, colours = brightness[on_line], image[box][on_line].astype(np.float32)
    by_column = np.lexsort((lumas, columns))  # each column's darkest pixel first
    first = by_column[np.r_[True, np.diff(columns[by_column]) != 0]]
    return (float(np.median(lumas[first])), np.median(colours[first], axis=0).astype(np.float32),
            float(np.median(brightness[skin])))


def photo_lid_luma(image: np.ndarray, landmarks: np.ndarray, eye: dict) -> float:
    """Median luma (0-255) of the photo's lid skin, the least a shut lid's tone may be.

    Over the middle three fifths of the eye, from :data:`LID_MARGIN_SKIP` to
    :data:`LID_SKIN_HEIGHT` eye widths above the upper lid line; 0 when that
    band is off the photo. The parameters are those of :func:`lid_tone`.
    """
    window = _eye_window(image, landmarks, eye)
    if window is None:
        return 0.0
    box, width, u, v, upper_v, _ = window
    above = upper_v - v
    band = ((u > 0.2 * width) & (u < 0.8 * width)
            & (above > LID_MARGIN_SKIP * width) & (above < LID_SKIN_HEIGHT * width))
    if band.sum() < 3:
        return 0.0
    return float(np.median(luma(image[box])[band]))


def _curve_v(curve_uv: np.ndarray, u: np.ndarray) -> np.ndarray:
    order = np.argsort(curve_uv[:, 0])
    return np.interp(u, curve_uv[order, 0], curve_uv[order, 1])


def _closed_lid_line(lower_uv: np.ndarray, eye_width: float, samples: int = 24) -> np.ndarray:
    """Where the lid edge of a shut eye lies: one smooth arc from corner to corner.

    Parameters
    ----------
    lower_uv : np.ndarray, shape (K, 2)
        The lower-lid points as (along, down) from the first corner, pixels.
    eye_width : float
        Corner to corner, pixels (the second corner is at ``(eye_width, 0)``).

    Returns
    -------
    np.ndarray, shape (samples, 2)
        Points of the parabola through both corners that fits the lower-lid
        points best (least squares). Through the landmarks themselves the
        line bent at each point, and at the corners into a sharp kink.
    """
    u = np.clip(lower_uv[:, 0], 0.0, eye_width) / eye_width
    shape = 4.0 * u * (1.0 - u)
    depth = float(shape @ lower_uv[:, 1] / max(float(shape @ shape), 1e-9))
    along = np.linspace(0.0, 1.0, samples)
    return np.stack([along * eye_width, np.maximum(depth, 0.0) * 4.0 * along * (1.0 - along)], axis=1)


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


def lid_warp(upper: np.ndarray, lower: np.ndarray, brow: np.ndarray, closure: float,
             limit: tuple[int, int, int, int], outline: np.ndarray | None = None) -> LidWarp | None:
    """The warp that closes one eye's upper lid by ``closure``.

    Parameters
    ----------
    upper : np.ndarray, shape (4, 2)
        Outer corner, the two upper-lid points, inner corner, where the
        photo's lid lands in the output frame (pixels).
    lower : np.ndarray, shape (2, 2)
        The two lower-lid points in the output frame (in the order of the
        upper ones), pixels.
    brow : np.ndarray, shape (K, 2)
        The brow above, output pixels (the stretched skin stays below it).
    closure : float
        0 open to 1 shut.
    limit : tuple of int
        ``(x0, y0, x1, y1)`` the box must stay inside.
    outline : np.ndarray, shape (2, 2), optional
        The face's outline level with each corner (in the order of the
        corners), output pixels: the lid's surface reaches past a corner
        :data:`LID_SURFACE_BEYOND` eye widths at most and never past the
        outline (on a turned face the far eye's outer corner is at the
        outline, and the lid's tone spread onto the hair).

    Returns
    -------
    LidWarp or None
        None when the closure is too small or the eye too small to draw.
    """
    if closure < MIN_CLOSURE:
        return None
    corner_a = upper[0]
    eye_width, along, down = _eye_axes(corner_a, upper[-1])
    if eye_width < 2:
        return None
    reach = lid_reach(closure)
    old_uv = _to_uv(catmull_rom(upper, closed=False), corner_a, along, down)
    lower_uv = _closed_lid_line(_to_uv(np.asarray(lower, np.float64), corner_a, along, down), eye_width)
    brow_v = float(np.mean(_to_uv(brow, corner_a, along, down)[:, 1]))
    mid_old = float(_curve_v(old_uv, np.array([0.5 * eye_width]))[0])
    skin = max(min(LID_SKIN_HEIGHT * eye_width, LID_SKIN_OF_BROW * (mid_old - brow_v)), 1.0)
    lash_half = max(LASH_HALF_HEIGHT * eye_width, 0.6)
    # The lash line's lower half lies over the lower lid's margin.
    bottom_v = float(max(lower_uv[:, 1].max(), old_uv[:, 1].max())) + 2.0 * lash_half + 2.0
    surface_top_v = mid_old - LID_SURFACE_REACH * max(mid_old - brow_v, skin)
    top_v = min(float(old_uv[:, 1].min()) - skin, surface_top_v) - 1.0
    beyond = np.full(2, LID_SURFACE_BEYOND * eye_width)
    if outline is not None:
        past = _to_uv(outline, corner_a, along, down)[:, 0] * (-1.0, 1.0) - (0.0, eye_width)
        beyond = np.clip(past, 0.0, beyond)

    corners = np.array([corner_a + along * u + down * v for u in (-beyond[0] - 1.0, eye_width + beyond[1] + 1.0)
                        for v in (top_v, bottom_v)])
    x0 = int(max(limit[0], np.floor(corners[:, 0].min())))
    y0 = int(max(limit[1], np.floor(corners[:, 1].min())))
    x1 = int(min(limit[2], np.ceil(corners[:, 0].max()) + 1))
    y1 = int(min(limit[3], np.ceil(corners[:, 1].max()) + 1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None

    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    u = (xx - corner_a[0]) * along[0] + (yy - corner_a[1]) * along[1]
    v = (xx - corner_a[0]) * down[0] + (yy - corner_a[1]) * down[1]
    inside_u = (u > 0) & (u < eye_width)
    v_old = _curve_v(old_uv, u)
    v_new = np.maximum(v_old + reach * (_curve_v(lower_uv, u) - v_old), v_old)
    v_top = v_old - skin
    # The skin from the crease down to the lid margin is stretched onto the
    # crease to the new edge. The margin skipped grows with the closure, so a
    # barely closing lid keeps its lashes where they were.
    skip = np.minimum(min(LID_MARGIN_SKIP * eye_width, 0.5 * skin), 0.5 * (v_new - v_old))
    stretch = (v_old - skip - v_top) / np.maximum(v_new - v_top, 1e-6)
    covered = inside_u & (v >= v_top) & (v <= v_new)
    offset = np.where(covered, (v_top + (v - v_top) * stretch) - v, 0.0)

    across = np.clip(u / eye_width, 0.0, 1.0)
    onset = float(np.clip(closure / ONSET_CLOSURE, 0.0, 1.0))
    # The lash line hangs just above the edge of a half-closed lid and comes
    # onto the lower lid's margin as the lid meets it.
    shut = float(_smooth(np.array((reach - OPENING_FROM_REACH) / (1.0 - OPENING_FROM_REACH))))
    lash = (onset * LASH_DARKNESS * np.exp(-0.5 * ((v - (v_new - (1.0 - shut) * lash_half)) / lash_half) ** 2)
            * np.sin(np.pi * across) ** 0.4 * inside_u)
    down_lid = (v - v_top) / np.maximum(v_new - v_top, 1e-6)
    rise = _smooth((down_lid - LID_SHADE_FROM[0]) / (LID_SHADE_FROM[1] - LID_SHADE_FROM[0]))
    below_edge = np.clip(v_new + 0.5 - v, 0.0, 1.0)
    cover = onset * rise * below_edge * np.sin(np.pi * across) ** 0.5 * inside_u
    mid_new = mid_old + reach * (float(_curve_v(lower_uv, np.array([0.5 * eye_width]))[0]) - mid_old)
    # A rounded box (super-ellipse) rather than an ellipse: an ellipse left
    # the socket's shadow at the corners, an almond again.
    half_width = 0.5 * eye_width + np.where(u < 0.5 * eye_width, beyond[0], beyond[1])
    dome = (np.abs((u - 0.5 * eye_width) / half_width) ** LID_SURFACE_ROUNDNESS
            + (np.maximum(v_new - v, 0.0) / max(mid_new - surface_top_v, 1.0)) ** LID_SURFACE_ROUNDNESS
            ) ** (1.0 / LID_SURFACE_ROUNDNESS)
    surface = onset * reach ** 2 * below_edge * _smooth((1.0 - dome) / LID_SURFACE_SOFT)
    eyeball = cover
    cover = np.maximum(cover, surface)
    # Where the lower lid dips below the shut edge's smooth arc (often by the
    # inner corner) the eye's white showed under the lash line: the lid's
    # skin covers the opening down to the lower lid.
    lower_v = _curve_v(_to_uv(catmull_rom(np.array([corner_a, *lower, upper[-1]]), closed=False),
                              corner_a, along, down), u)
    feather = max(OPENING_FEATHER * eye_width, 0.75)
    opening = (v > v_new - 0.5) * _smooth((lower_v + feather - v) / (2.0 * feather))
    cover = np.maximum(cover, shut * opening * inside_u)
    eyeball = np.maximum(eyeball, shut * opening * inside_u)
    reach_px = max(CANTHUS_REACH * eye_width, 1.0)
    to_corner = np.minimum(np.hypot(u, v), np.hypot(u - eye_width, v))
    past_corner = _smooth(np.maximum(-u, u - eye_width) / max(0.1 * eye_width, 0.5) + 1.0)
    canthus = shut * past_corner * _smooth((1.5 * reach_px - to_corner) / (0.5 * reach_px)) if shut > 0 else None
    # The lid's skin texture: the skin below the eye, mirrored across the lid
    # edge and folded back and forth within a band there (further down are
    # cheekbones, glasses rims, moustaches).
    band = max(LID_TEXTURE_FROM[1] * eye_width, 1.0)
    height = np.maximum(v_new - v, 0.0)
    folded = band - np.abs(np.mod(height, 2.0 * band) - band)
    source_v = _curve_v(lower_uv, u) + LID_TEXTURE_FROM[0] * eye_width + folded
    texture_offset = source_v - v
    return LidWarp((x0, y0, x1, y1), (offset * down[0]).astype(np.float32),
                   (offset * down[1]).astype(np.float32), lash.astype(np.float32), cover.astype(np.float32),
                   max(LID_LIFT_BLUR * eye_width, 0.8), None,
                   (texture_offset * down[0]).astype(np.float32), (texture_offset * down[1]).astype(np.float32),
                   max(LID_TEXTURE_BLUR * eye_width, 1.0),
                   canthus=canthus.astype(np.float32) if canthus is not None else None,
                   canthus_size=int(2 * np.ceil(0.5 * reach_px) + 1), eyeball=eyeball.astype(np.float32))


#: An eye opening is darker than the skin around it (lashes, iris, the
#: shadow of the lid): the darker half of its pixels at most this share of
#: the median of a ring of skin around it. On the 19 evaluation portraits
#: real eyes measure 0.17-0.76; the far eye that dlib guessed onto the cheek
#: of a face in profile (native_woman_1926_turned) 0.79. Such an eye gets no lid.
EYE_MAX_OF_SURROUNDING = 0.78


def looks_like_an_eye(image: np.ndarray, landmarks: np.ndarray, eye: dict) -> bool:
    """Whether the photo shows an eye where an eye's landmarks are.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    eye : dict
        One entry of :data:`EYES`.

    Returns
    -------
    bool
        The darker half of the eye opening's pixels is darker (by
        :data:`EYE_MAX_OF_SURROUNDING`) than the skin in a ring around it.
    """
    lm = np.asarray(landmarks, np.float64)
    outline = lm[[eye["corners"][0], *eye["upper"], eye["corners"][1], *eye["lower"][::-1]]]
    darkness = eye_opening_darkness(image, outline)
    # Too small or off the photo to judge: leave it to the landmarks.
    return bool(not np.isfinite(darkness) or darkness <= EYE_MAX_OF_SURROUNDING)


def apply_lid_to_map(map_x: np.ndarray, map_y: np.ndarray, lid: LidWarp, origin: tuple[int, int]) -> None:
    """Compose a lid warp with a backward map, in place.

    Parameters
    ----------
    map_x, map_y : np.ndarray, shape (h, w), float32
        Photo coordinates each output pixel of a region samples.
    lid : LidWarp
    origin : tuple of int
        ``(x, y)`` of the region's first pixel in the output frame.
    """
    x0, y0, x1, y1 = lid.box
    bx0, by0 = x0 - origin[0], y0 - origin[1]
    gy, gx = np.mgrid[by0:by0 + (y1 - y0), bx0:bx0 + (x1 - x0)].astype(np.float32)
    sx, sy = gx + lid.source_dx, gy + lid.source_dy
    new_x = cv2.remap(map_x, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    new_y = cv2.remap(map_y, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    map_x[by0:by0 + (y1 - y0), bx0:bx0 + (x1 - x0)] = new_x
    map_y[by0:by0 + (y1 - y0), bx0:bx0 + (x1 - x0)] = new_y


def _skin_texture(frame: np.ndarray, lid: LidWarp) -> np.ndarray | None:
    """The relative detail (h, w) float32 of the skin the lid's texture comes from, or None.

    Each pixel of the lid's box samples the frame at its texture offset
    (:attr:`LidWarp.texture_dx`); its luma over its blur over
    ``lid.texture_blur`` pixels, limited to :data:`LID_TEXTURE_RANGE`.
    """
    if lid.texture_dx is None:
        return None
    x0, y0, x1, y1 = lid.box
    gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    source = cv2.remap(frame, gx + lid.texture_dx, gy + lid.texture_dy, cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REFLECT)
    lumas = source.astype(np.float32) @ np.asarray(LUMA, np.float32)
    level = cv2.GaussianBlur(lumas, (0, 0), lid.texture_blur)
    return np.clip(lumas / np.maximum(level, 1.0), *LID_TEXTURE_RANGE).astype(np.float32)


def shade_lid(frame: np.ndarray, lid: LidWarp, skin: np.ndarray, grain: np.ndarray | None = None,
              grain_origin: tuple[int, int] = (0, 0)) -> None:
    """Light the closed lid and darken its lash line, in place.

    Parameters
    ----------
    frame : np.ndarray, shape (H, W, 3), uint8
        The frame with the lid warped down.
    lid : LidWarp
    skin : np.ndarray, shape (3,)
        RGB of the photo's cheeks (0-255): the lid's tone over the eyeball
        when ``lid.tone`` (the skin below that eye) is None.
    grain : np.ndarray, shape (h, w), float32, optional
        The photo's grain (:func:`speaker.render.grain.grain_field`) over a
        region starting at ``grain_origin`` (x, y); added where light is,
        in proportion to it (the lifted lid would otherwise look smoother
        than the photo), on a lid without texture offsets only (the skin
        texture :func:`lid_warp` borrows has the photo's own grain).

    The lash line darkens each pixel by ``lid.lash`` but not below its own
    darkest tone (its peak darkening of the skin below the eye); a pixel
    already darker (the photo's lower-lid margin) is left as it is.
    """
    x0, y0, x1, y1 = lid.box
    region = frame[y0:y1, x0:x1].astype(np.float32)
    weights = np.asarray(LUMA, np.float32)
    cheek_tone = LID_TONE_OF_UNDER_EYE * np.asarray(skin, np.float32)
    tone = np.asarray(lid.tone if lid.tone is not None else cheek_tone, np.float32)
    under_eye_luma = float(tone @ weights) / LID_TONE_OF_UNDER_EYE
    # A shut lid bulges into the light: never darker than the cheeks' tone
    # (the skin below the eye is often in the socket's shadow).
    if float(cheek_tone @ weights) > float(tone @ weights):
        tone = tone + LID_TOWARDS_CHEEK * (cheek_tone - tone)
    # Nor darker than the photo's own lid skin: where the eye is cast down
    # and lit from above, the skin below it is the one in shadow. That skin
    # is then the lit lid itself: the tone covers the eyeball only.
    cover = lid.cover
    if 0.0 < float(tone @ weights) < lid.least_luma:
        tone = tone * np.float32(lid.least_luma / float(tone @ weights))
        if lid.eyeball is not None:
            cover = lid.eyeball
    tone_luma = float(tone @ weights)
    lumas = region @ weights
    level = cv2.GaussianBlur(lumas, (0, 0), lid.blur)
    detail = np.clip(lumas / np.maximum(level, 1.0), *LID_DETAIL_RANGE)
    # Stretched down, the eye's lashes and corners of white become streaks
    # across the lid: its detail is averaged along the eye (the lid's folds
    # run along it and stay; the grain below gives the skin back its texture).
    detail = cv2.GaussianBlur(detail, (0, 1), lid.blur)
    texture = _skin_texture(frame, lid)
    if texture is not None:
        detail = detail * texture
    region += cover[..., None] * (tone * detail[..., None] - region)
    if lid.canthus is not None:
        # The white at the eye's corners is under the shut lid: light spots
        # there go, the skin's shading stays.
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (lid.canthus_size, lid.canthus_size))
        corner_luma = np.maximum(region @ weights, 1.0)
        opened = cv2.morphologyEx(corner_luma, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
        region *= (1.0 - lid.canthus * (1.0 - np.minimum(CANTHUS_SPOT * opened / corner_luma, 1.0)))[..., None]
    light = cover * np.maximum(tone_luma - level, 0.0)
    skin_luma = tone_luma / LID_TONE_OF_UNDER_EYE
    if grain is not None and texture is None:  # the photo's own texture has its grain
        gx, gy = x0 - grain_origin[0], y0 - grain_origin[1]
        share = np.clip(light / max(0.25 * skin_luma, 1.0), 0.0, 1.0)
        region += (grain[gy:gy + (y1 - y0), gx:gx + (x1 - x0)] * share)[..., None]
    # The lash line darkens down to its own darkest tone and no further: over
    # the photo's dark lower-lid margin a multiplied line compounded into one
    # darker than the photo's own lid line (eyeliner on a faded painting).
    floor = (1.0 - float(lid.lash.max())) * under_eye_luma
    lumas = np.maximum(region @ weights, 1.0)
    kept = np.maximum(1.0 - lid.lash, np.minimum(floor / lumas, 1.0))
    darkened = region * kept[..., None]
    if lid.lash_colour is not None and float(lid.lash.max()) > 0.0:
        # Towards the colour of the photo's own lid line, each pixel's channels keeping their sum (the
        # grey that dlib reads the line in is their mean). The line's chroma is added as it is, not
        # scaled with the pixel's level: Grace Hopper's deep red lid line (48, 4, 0), its ratios
        # taken to a lighter line, drew red eyeliner on her shut lids.
        lash = np.asarray(lid.lash_colour, np.float32)
        share = np.clip((1.0 - kept) / float(lid.lash.max()), 0.0, 1.0)[..., None]
        darkened += share * (darkened.mean(axis=-1, keepdims=True) + (lash - lash.mean()) - darkened)
    frame[y0:y1, x0:x1] = np.clip(darkened + 0.5, 0, 255).astype(np.uint8)


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
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None  # the eye lies past the photo's edge
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
