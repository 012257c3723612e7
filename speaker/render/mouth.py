"""The inside of an opened mouth, painted in the photo's own colours.

When the target inner lips (landmarks 60-67) part further than in the
photo, the mesh warp only stretches the thin seam between the lips. This
module paints what should show there: a dark cavity shaded by depth, the
upper teeth (one by one: incisors, laterals, canines and premolars with
dark gaps between them, rounded biting edges and a darker gum line), the
lower teeth when the jaw drops far, and the tongue on wide openings, all
with the photo's grain (:mod:`speaker.render.grain`). A photo that shows
its own teeth keeps them, carried by the upper lip; as such a mouth closes
the lower lip covers them instead of squashing them, also where a smile's
teeth reach past the inner-lip corners (:func:`cover_side_teeth`). Every colour is the photo's lip, skin or teeth colour scaled in brightness
or mixed with its own grey, so a greyscale photo stays exactly grey and a
sepia one stays sepia.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..imaging import luma
from .curves import catmull_rom

#: Cavity luma as a fraction of the reference luma (below), next to the
#: lips and deep inside (so the cavity is clearly darker than the lips on any
#: photo, greyscale included), and the share of the lip's chroma it keeps.
CAVITY_EDGE_OF_LUMA = 0.40
CAVITY_DEEP_OF_LUMA = 0.19
CAVITY_SATURATION = 1.0
#: The reference luma is the geometric mean of lip and skin luma, at most
#: CAVITY_REFERENCE_MAX_OF_LIP times the lip's: on a face whose lips are
#: much darker than its skin (lips in a moustache's shadow, Mark Twain's)
#: the darker of the two made the opening a near-black hole beside pale skin.
CAVITY_REFERENCE_MAX_OF_LIP = 1.5
#: Blur (share of the opening's height) of the cavity's distance-from-the-lips
#: cue: the inside darkens gradually from the lips inwards, not at once.
CAVITY_DEPTH_BLUR = 0.5
#: Weights of the two depth cues of the cavity: distance from the lips
#: (blurred mask) and height in the opening (the lower back is darkest).
DEPTH_FROM_EDGES = 0.6
DEPTH_FROM_BELOW = 0.4
#: Tongue luma relative to the lip's (capped by the lip/skin reference) and
#: its chroma relative to the lip's (a darker, reddish tone).
TONGUE_OF_LUMA = 0.5
TONGUE_SATURATION = 1.05
#: Tongue shows from this opening (height over inner width), fully at +ramp.
TONGUE_FROM = 0.12
TONGUE_RAMP = 0.2
#: Saturation of synthetic teeth relative to the skin's (0 grey, 1 skin's).
TEETH_SATURATION = 0.8
#: Synthetic teeth brightness relative to the face's bright tones, and at
#: most this many times the skin's luma (white hair or a white collar
#: would make them glare).
TEETH_BRIGHTNESS = 0.84
TEETH_MAX_OF_SKIN = 1.3
#: The visible teeth end at this share of the inner half width: the dark
#: corners beside them (the buccal corridor) show no teeth; from BUCCAL_FROM
#: outwards the teeth fade by up to BUCCAL_SHADOW towards the cavity's edge
#: tone, the arch turning away from the light (a row lit to the corners
#: read as a white rim along the lip).
TEETH_REACH = 0.9
BUCCAL_FROM = 0.4
BUCCAL_SHADOW = 0.75
#: Upper lip's shadow on the teeth (darkening at the top of the band) and
#: dimming towards the mouth corners (at the inner-lip corners).
TEETH_LIP_SHADOW = 0.4
TEETH_CORNER_DIM = 0.45
#: Inner-lip gap (face widths) beyond the photo's own at which the interior
#: starts to show, and over which it fades fully in.
OPEN_THRESHOLD = 0.004
OPEN_RAMP = 0.02
#: Photo's inner-lip gap (face widths) above which its own teeth are used.
PHOTO_OPEN_GAP = 0.025
#: Share of the photo's own opening (from the upper lip down) that moves
#: with the upper lip as the photo's real teeth.
REAL_TEETH_SHARE = 0.8
#: Upper teeth height: at most this fraction of the opening and of the outer mouth width.
UPPER_TEETH_OF_OPENING = 0.36
UPPER_TEETH_OF_WIDTH = 0.10
#: The visible upper teeth from the middle of the mouth outwards: where each
#: tooth ends, in inner-mouth half widths (central incisor, lateral, canine,
#: a premolar; narrower outwards as the arch turns away from the camera).
TOOTH_EDGES = (0.0, 0.34, 0.6, 0.8, 0.93)
#: Darkening at the gaps between teeth and their half width (inner-mouth
#: half widths, at least TOOTH_GAP_MIN px); teeth are drawn one by one only
#: when the inner mouth is at least TEETH_DETAIL_FROM px wide.
TOOTH_GAP_DARKNESS = 0.35
TOOTH_GAP_HALF = 0.012
TOOTH_GAP_MIN = 0.45
TEETH_DETAIL_FROM = 24.0
#: A gap is drawn beside a tooth at least TOOTH_GAP_FROM_PX wide, fully from
#: TOOTH_GAP_FROM_PX + TOOTH_GAP_RAMP_PX; its darkness under the upper lip is
#: TOOTH_GAP_UNDER_LIP of that at the biting edge.
TOOTH_GAP_FROM_PX = 3.0
TOOTH_GAP_RAMP_PX = 5.0
TOOTH_GAP_UNDER_LIP = 0.3
#: Each tooth's biting edge is rounded at its sides by this share of the
#: teeth height, and its face is shaded convex (darker at its sides).
TOOTH_EDGE_ROUNDING = 0.18
TOOTH_SIDE_SHADE = 0.12
#: Gum line above the teeth: its height (share of the teeth height, dipping
#: between the teeth), its colour (the lip's, darkened) and its opacity.
GUM_HEIGHT = 0.16
GUM_OF_LIP = 0.7
GUM_OPACITY = 0.75
#: Small per-tooth brightness differences, so the row is not uniform.
TOOTH_TONE_SPREAD = (0.0, -0.03, -0.02, -0.1)
#: Photo teeth on a closing mouth: they are painted (unsquashed, carried by
#: the upper lip, cut by the lower lip) once the inner lips are this share
#: of the photo's gap closer together, fully at twice it.
REAL_TEETH_COVER_FROM = 0.05
#: Synthetic teeth are fully lit once the opening is this share of the outer
#: mouth width; below it they shade towards the cavity's tone at its edge.
TEETH_LIT_FROM_OPENING = 0.15
#: Lower teeth show from this jaw_open on, fully at +LOWER_TEETH_RAMP.
LOWER_TEETH_FROM = 0.7
LOWER_TEETH_RAMP = 0.3
LOWER_TEETH_OF_WIDTH = 0.025
LOWER_TEETH_OF_OPENING = 0.18
LOWER_TEETH_SHADE = 0.55
#: Half width of the lower teeth (inner mouth half widths).
LOWER_TEETH_HALF_WIDTH = 0.55
#: Feathering of the cavity's edge against the lips, pixels (Gaussian sigma);
#: the feather never reaches more than one pixel past the lip line.
EDGE_FEATHER = 0.6
#: Sub-pixel bits for anti-aliased polygons.
SHIFT_BITS = 4
#: A photo's own edges are about this soft at its own pixel scale (Gaussian
#: sigma, its pixels); on a small photo enlarged for the render
#: (:attr:`speaker.types.Portrait.upscale`) they are that many times softer,
#: and the painted inside is blurred to match (:func:`photo_softness`).
PHOTO_EDGE_SOFTNESS = 0.5


def photo_softness(upscale: float) -> float:
    """Blur (render pixels, Gaussian sigma) that gives painted detail the softness of a photo enlarged ``upscale`` times.

    The render's own pixels are already as soft as :data:`PHOTO_EDGE_SOFTNESS`;
    the blur adds what is missing, ``PHOTO_EDGE_SOFTNESS * sqrt(upscale**2 - 1)``
    (0 for a photo worked on at its own size). Mona Lisa's 197 px, enlarged
    2.6 times, gets 1.2 px: her painted teeth and the cavity's edge were
    crisp within her soft lips, a cut-out.
    """
    return PHOTO_EDGE_SOFTNESS * float(np.sqrt(max(float(upscale) ** 2 - 1.0, 0.0)))


@dataclass(frozen=True)
class MouthPalette:
    """Colours (RGB float, 0-255) of the mouth's inside, from the photo."""

    lip: np.ndarray
    skin: np.ndarray
    teeth: np.ndarray
    cavity_edge: np.ndarray
    cavity_deep: np.ndarray
    tongue: np.ndarray


@dataclass(frozen=True)
class PhotoTeeth:
    """The photo's own open mouth, whose upper part moves with the upper lip.

    Attributes
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
        The photo.
    inner : np.ndarray, shape (8, 2)
        Neutral inner-lip landmarks 60..67, pixels.
    """

    image: np.ndarray
    inner: np.ndarray


def _polygon_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(pts * (1 << SHIFT_BITS)).astype(np.int32)], 255,
                 lineType=cv2.LINE_AA, shift=SHIFT_BITS)
    return mask


def _tint(colour: np.ndarray, brightness: float, saturation: float) -> np.ndarray:
    """A colour of the given luma whose chroma is ``saturation`` times that of ``colour``."""
    y = max(float(luma(colour)), 1e-3)
    return brightness * (1.0 + saturation * (np.asarray(colour, np.float64) / y - 1.0))


def _lip_mask(shape: tuple[int, int], landmarks: np.ndarray) -> np.ndarray:
    """Boolean (H, W) mask of the lips: inside the outer lip line, outside the inner one."""
    return (_polygon_mask(shape, landmarks[48:60]) > 128) & ~(_polygon_mask(shape, landmarks[60:68]) > 0)


def _photo_has_teeth(image: np.ndarray, landmarks: np.ndarray, face_width: float) -> np.ndarray | None:
    """Mean colour of the bright quarter of the photo's mouth opening, if the
    mouth is open and that is brighter than the lips (teeth); else None."""
    lm = np.asarray(landmarks, np.float64)
    gaps = [np.linalg.norm(lm[u] - lm[d]) for u, d in ((61, 67), (62, 66), (63, 65))]
    if np.mean(gaps) <= PHOTO_OPEN_GAP * face_width:
        return None
    shape = image.shape[:2]
    pixels = image.reshape(-1, 3).astype(np.float64)
    inside = pixels[(_polygon_mask(shape, lm[60:68]) > 128).ravel()]
    lips = _lip_mask(shape, lm)
    if len(inside) < 8 or lips.sum() < 4:
        return None
    y = luma(inside)
    bright = inside[y >= np.percentile(y, 75)].mean(axis=0)
    return bright if luma(bright) > luma(np.median(pixels[lips.ravel()], axis=0)) else None


def photo_teeth(image: np.ndarray, landmarks: np.ndarray, face_width: float) -> PhotoTeeth | None:
    """The photo's own teeth to keep under the upper lip, or None (closed mouth, no teeth).

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    face_width : float
        Pixels.
    """
    if _photo_has_teeth(image, landmarks, face_width) is None:
        return None
    return PhotoTeeth(image, np.asarray(landmarks, np.float64)[60:68].copy())


#: Samples per inner-lip segment of the photo's mouth line.
SEAM_SAMPLES = 12


def _seam_luma(image: np.ndarray, landmarks: np.ndarray) -> float:
    """Median luma of the photo's line between the lips (the darkest pixel of three across it, at
    points along the middle of the inner lips from corner to corner); teeth on an open mouth make it bright."""
    lm = np.asarray(landmarks, np.float64)
    line = np.array([lm[60], (lm[61] + lm[67]) / 2, (lm[62] + lm[66]) / 2, (lm[63] + lm[65]) / 2, lm[64]])
    t = np.linspace(0.0, 1.0, SEAM_SAMPLES, endpoint=False)[:, None]
    points = np.concatenate([a + t * (b - a) for a, b in zip(line[:-1], line[1:])])
    h, w = image.shape[:2]
    x = np.clip(np.round(points[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.round(points[:, 1]).astype(int)[:, None] + np.arange(-1, 2)[None, :], 0, h - 1)
    level = luma(image[y, x[:, None]].astype(np.float64))  # (samples, 3)
    return float(np.median(level.min(axis=1)))


def sample_palette(image: np.ndarray, landmarks: np.ndarray, face_width: float) -> MouthPalette:
    """Sample lip, skin and teeth colours from the neutral photo.

    The cavity is a much darker, slightly desaturated tint of the lip colour
    whose luma is a fixed fraction of a reference between lip and skin luma
    (see :data:`CAVITY_REFERENCE_MAX_OF_LIP`), so it is clearly darker than
    the lips on every photo, and never lighter than the photo's own line
    between the lips (:func:`_seam_luma`): where the photo shows that line
    black, the mouth's inside is that dark too. A grey photo gives grey
    colours and a sepia one sepia colours.

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

    lips = _lip_mask(shape, lm)
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
    skin = np.maximum(skin, 1.0)

    teeth = _photo_has_teeth(image, landmarks, face_width)
    if teeth is None:
        bright = float(np.percentile(luma(face_pixels), 95))
        teeth = _tint(skin, min(TEETH_BRIGHTNESS * bright, TEETH_MAX_OF_SKIN * float(luma(skin))), TEETH_SATURATION)
    lip_luma, skin_luma = float(luma(lip)), float(luma(skin))
    reference = min(float(np.sqrt(lip_luma * skin_luma)), CAVITY_REFERENCE_MAX_OF_LIP * lip_luma)
    deep = CAVITY_DEEP_OF_LUMA * reference
    edge = CAVITY_EDGE_OF_LUMA * reference
    seam = _seam_luma(image, lm)
    if seam < deep:
        # The photo's own mouth line is darker: the inside keeps that darkness, and the
        # edge keeps its step above the deep tone (the cavity still darkens inwards).
        edge, deep = edge - (deep - max(seam, 1.0)), max(seam, 1.0)
    return MouthPalette(
        lip=lip,
        skin=skin,
        teeth=np.clip(teeth, 0, 255),
        cavity_edge=_tint(lip, edge, CAVITY_SATURATION),
        cavity_deep=_tint(lip, deep, CAVITY_SATURATION),
        tongue=np.clip(_tint(lip, TONGUE_OF_LUMA * reference, TONGUE_SATURATION), 0, 255),
    )


def opening_strength(gap_target: float, gap_photo: float, face_width: float) -> float:
    """How much of the painted interior shows (0..1), from inner-lip gaps in pixels."""
    extra = (gap_target - gap_photo) / face_width - OPEN_THRESHOLD
    return float(np.clip(extra / OPEN_RAMP, 0.0, 1.0))


def _curve_profile(curve_uv: np.ndarray, u: np.ndarray) -> np.ndarray:
    """v of a curve given as (M, 2) (u, v) samples, at each u (clamped at the ends)."""
    order = np.argsort(curve_uv[:, 0], kind="stable")
    return np.interp(u, curve_uv[order, 0], curve_uv[order, 1]).astype(np.float32)


def _lip_curves(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smooth upper and lower inner-lip curves (corner to corner) of 8 inner-lip points."""
    upper = catmull_rom(pts[[0, 1, 2, 3, 4]], closed=False, samples=8)
    lower = catmull_rom(pts[[4, 5, 6, 7, 0]], closed=False, samples=8)
    return upper, lower


def _mouth_axes(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Centre, along and down unit vectors and half width of an inner-lip polygon."""
    across = pts[4] - pts[0]
    width = max(float(np.linalg.norm(across)), 1.0)
    along = across / width
    down = np.array([-along[1], along[0]])
    return (pts[0] + pts[4]) / 2, along, down, width / 2


def _smooth_step(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def _teeth_taper(u: np.ndarray) -> np.ndarray:
    """Visible teeth height from the middle (u=0, 1) to the end of the visible row (|u| >= TEETH_REACH, 0)."""
    return np.clip(1.0 - (np.abs(u) / TEETH_REACH) ** 2.5, 0.0, 1.0) ** 0.7


def _buccal_shadow(u: np.ndarray) -> np.ndarray:
    """Share (h, w) by which teeth fade to the cavity's edge tone towards the mouth corners."""
    t = np.clip((np.abs(u) - BUCCAL_FROM) / (TEETH_REACH - BUCCAL_FROM), 0.0, 1.0)
    return (BUCCAL_SHADOW * t * t * (3.0 - 2.0 * t)).astype(np.float32)


#: A turned mouth's midline (inner lips 62 and 66) lies off the middle of its
#: inner-lip corners by this share of the half width where its opening starts
#: to be drawn as a side view, fully at +SIDE_VIEW_RAMP (about 25 and 45
#: degrees of yaw). A frontal mouth keeps its landmark outline.
SIDE_VIEW_FROM = 0.35
SIDE_VIEW_RAMP = 0.3
#: A side view's opening closes at the front in a rounded end this many
#: times its height long (the lips' fronts roll together there), and
#: narrows towards the near corner with this power of an ellipse's profile.
SIDE_VIEW_FRONT_CAP = 0.25
SIDE_VIEW_CORNER_POWER = 1.5
#: Samples along each lip curve of a side view's opening.
SIDE_VIEW_SAMPLES = 33


def side_view_share(inner: np.ndarray) -> float:
    """How much an inner-lip outline is seen from the side (0 frontal .. 1 turned 45 degrees or more).

    Parameters
    ----------
    inner : np.ndarray, shape (8, 2)
        Inner-lip landmarks 60..67, pixels.
    """
    return _smooth_step((abs(_midline_offset(np.asarray(inner, np.float64))) - SIDE_VIEW_FROM) / SIDE_VIEW_RAMP)


def _midline_offset(pts: np.ndarray) -> float:
    """Where the mouth's midline (inner lips 62 and 66) lies along the mouth, in half widths from the
    middle of the inner-lip corners (0 frontal; its sign is the side the mouth's front turns to)."""
    centre, along, _, half = _mouth_axes(pts)
    return float(np.mean((pts[[2, 6]] - centre) @ along)) / half


def _side_view_curves(pts: np.ndarray, upper_curve: np.ndarray, lower_curve: np.ndarray,
                      share: float) -> tuple[np.ndarray, np.ndarray]:
    """A turned mouth's opening as a side view shows it: a rounded gap between two lips.

    On a face turned 45 degrees or more the landmarker bunches the far half of
    the inner lips at the front of the mouth, so their outline is a triangle
    from the near corner to a straight front edge (a hard black wedge). Here
    the opening keeps its height at the midline and its near corner, but its
    edges bow like a frontal opening foreshortened, narrowing into the near
    corner, and its front closes in a rounded end
    (:data:`SIDE_VIEW_FRONT_CAP`) where the lips' fronts meet, blended with
    the landmark outline by ``share`` (:func:`side_view_share`).

    Parameters
    ----------
    pts : np.ndarray, shape (8, 2)
        Inner-lip points 60..67, pixels.
    upper_curve, lower_curve : np.ndarray, shape (M, 2)
        Their smooth upper and lower curves (:func:`_lip_curves`).
    share : float
        0..1.

    Returns
    -------
    upper, lower : np.ndarray, shape (SIDE_VIEW_SAMPLES, 2)
        Upper curve from corner 60 to corner 64, lower curve back, pixels.
    """
    centre, along, down, half = _mouth_axes(pts)

    def to_uv(curve):
        d = curve - centre
        return np.stack([(d @ along) / half, d @ down], axis=-1)

    upper_uv, lower_uv = to_uv(upper_curve), to_uv(lower_curve)
    midline = _midline_offset(pts)
    front = 1.0 if midline >= 0 else -1.0  # the mouth's front is the side its midline is pushed to
    u = np.linspace(-1.0, 1.0, SIDE_VIEW_SAMPLES)
    ahead = front * u  # -1 at the near corner, 1 at the front
    rise = max(-float(upper_uv[:, 1].min()), 0.25)
    drop = max(float(lower_uv[:, 1].max()), 0.25)
    cap = min(SIDE_VIEW_FRONT_CAP * (rise + drop) / half, 1.0)
    peak = float(np.clip(min(abs(midline), 1.0 - cap), -0.5, 0.95))
    behind = np.clip((peak - ahead) / (peak + 1.0), 0.0, 1.0)
    beyond = np.clip((ahead - peak) / (1.0 - peak), 0.0, 1.0)
    profile = np.where(ahead < peak, (1.0 - behind ** 2) ** SIDE_VIEW_CORNER_POWER, np.sqrt(1.0 - beyond ** 2))
    v_up = (1.0 - share) * _curve_profile(upper_uv, u) - share * rise * profile
    v_lo = (1.0 - share) * _curve_profile(lower_uv, u) + share * drop * profile

    def to_xy(v):
        return centre + (u * half)[:, None] * along + v[:, None] * down

    return to_xy(v_up), to_xy(v_lo)[::-1]


def paint_interior(
    frame: np.ndarray,
    inner: np.ndarray,
    outer_width: float,
    strength: float,
    jaw_open: float,
    lower_lip_tuck: float,
    palette: MouthPalette,
    limit: tuple[int, int, int, int],
    real_teeth: PhotoTeeth | None = None,
    grain: np.ndarray | None = None,
    covering: float = 0.0,
    softness: float = 0.0,
) -> None:
    """Paint the mouth's inside into ``frame`` in place.

    The opening is filled with a dark cavity shaded by depth (darkest low in
    the middle), a tongue at the bottom of wide openings, lower teeth when the
    jaw drops far, and upper teeth under the upper lip: the photo's own when
    it shows them (moved with the upper lip, not stretched), otherwise a
    shaded band whose height grows with the opening. The edge against the
    lips is anti-aliased and feathered by about a pixel; nothing is painted
    more than a pixel outside the inner-lip outline.

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
    real_teeth : PhotoTeeth or None
        The photo's own open mouth (see :func:`photo_teeth`).
    grain : np.ndarray, shape (limit height, limit width), float32, optional
        Noise added to the painted pixels (grey levels, see
        :func:`speaker.render.grain.grain_field`), over the ``limit`` region.
    covering : float
        0..1, on a photo with its own teeth whose mouth is closing (strength
        0): how much the photo's teeth are painted unsquashed, cut by the
        target lower lip (see :func:`covering_share`).
    softness : float
        Further blur of what is painted and of its edge, pixels (Gaussian
        sigma; :func:`photo_softness` of an enlarged photo); the edge then
        reaches that much further past the inner-lip outline.
    """
    if strength <= 0.0 and not (real_teeth is not None and covering > 0.0):
        return
    pad = 3 + int(np.ceil(2.0 * softness))
    x0 = int(max(limit[0], np.floor(inner[:, 0].min()) - pad))
    y0 = int(max(limit[1], np.floor(inner[:, 1].min()) - pad))
    x1 = int(min(limit[2], np.ceil(inner[:, 0].max()) + pad + 1))
    y1 = int(min(limit[3], np.ceil(inner[:, 1].max()) + pad + 1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    shape = (y1 - y0, x1 - x0)
    pts = np.asarray(inner, np.float64) - np.array([x0, y0], np.float64)
    upper_curve, lower_curve = _lip_curves(pts)
    side_view = side_view_share(pts)
    if side_view > 0.0:
        upper_curve, lower_curve = _side_view_curves(pts, upper_curve, lower_curve, side_view)
    hard = _polygon_mask(shape, np.concatenate([upper_curve[:-1], lower_curve[:-1]])).astype(np.float32) / 255.0
    if not hard.any():
        return
    # Feather the edge by about a pixel, but never beyond one pixel of the outline.
    # The smooth curve bulges past the landmark polygon between landmarks;
    # the lips are drawn along that polygon, so stay within a pixel of it.
    straight = np.zeros(shape, np.uint8)
    cv2.fillPoly(straight, [np.round(pts).astype(np.int32)], 1)
    if side_view > 0.0:
        # A side view's rounded outline replaces the landmark outline's straight edges.
        cv2.fillPoly(straight, [np.round(np.concatenate([upper_curve, lower_curve])).astype(np.int32)], 1)
    grow = 1 + int(np.ceil(softness))
    reach = cv2.dilate(straight, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)).astype(np.float32)
    mask = np.minimum(cv2.GaussianBlur(hard, (0, 0), float(np.hypot(EDGE_FEATHER, softness))), reach)

    centre, along, down, half = _mouth_axes(pts)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    du, dv = (xx - np.float32(centre[0])), (yy - np.float32(centre[1]))
    u = (du * np.float32(along[0]) + dv * np.float32(along[1])) / np.float32(half)
    v = du * np.float32(down[0]) + dv * np.float32(down[1])

    def to_uv(curve):
        d = curve - centre
        return np.stack([(d @ along) / half, d @ down], axis=-1)

    upper_uv, lower_uv = to_uv(upper_curve), to_uv(lower_curve)
    v_up = _curve_profile(upper_uv, u)
    v_lo = _curve_profile(lower_uv, u)
    gap = np.maximum(v_lo - v_up, 0.5)
    mid = np.abs(upper_uv[:, 0]) < 0.5
    opening = float(np.mean(_curve_profile(lower_uv, upper_uv[mid, 0]) - upper_uv[mid, 1])) if mid.any() else 0.5
    midline = _midline_offset(pts)
    width = 2.0 * half
    if side_view > 0.0:
        # A side view's far half is foreshortened: its opening is measured at its midline and its
        # widths are the near half's twice (teeth, their light and the tongue scale with those).
        at_midline = np.abs(upper_uv[:, 0] - np.clip(midline, -MIDLINE_MAX_OFFSET, MIDLINE_MAX_OFFSET)) < 0.25
        if at_midline.any():
            side_opening = float(np.mean(_curve_profile(lower_uv, upper_uv[at_midline, 0]) - upper_uv[at_midline, 1]))
            opening = (1.0 - side_view) * opening + side_view * side_opening
        scale = 1.0 + side_view * min(abs(midline), 1.0)
        outer_width, width = outer_width * scale, width * scale
    opening = max(opening, 0.5)
    below_lip = np.clip((v - v_up) / gap, 0.0, 1.0)
    arch, arch_half = _arch_coordinate(u, midline, half)
    corner_dim = (1.0 - TEETH_CORNER_DIM * np.clip(np.abs(arch), 0, 1) ** 2)[..., None]

    # Cavity: darker away from the lips and towards the lower back of the mouth.
    depth = cv2.GaussianBlur(hard, (0, 0), max(0.8, CAVITY_DEPTH_BLUR * opening))
    depth = np.clip(depth / max(float(depth.max()), 1e-3), 0, 1)
    darkness = np.clip(DEPTH_FROM_EDGES * depth + DEPTH_FROM_BELOW * below_lip + 0.2 * np.clip(np.abs(arch), 0, 1) ** 2,
                       0.0, 1.0)
    colour = palette.cavity_edge + (palette.cavity_deep - palette.cavity_edge) * darkness[..., None]

    def layer(paint, weight):
        nonlocal colour
        colour = colour + (paint - colour) * weight[..., None]

    # Tongue: a soft, darker reddish mound resting on the floor of wide openings.
    tongue_weight = float(np.clip((opening / width - TONGUE_FROM) / TONGUE_RAMP, 0, 1))
    if tongue_weight > 0:
        top = v_lo - 0.38 * gap
        rise = (v - top) / np.maximum(0.38 * gap, 0.5)  # 0 at the tongue's top, 1 on the lip
        inside = np.clip(3.0 * rise, 0, 1) * np.clip(1.0 - (np.abs(arch) / 0.75) ** 4, 0, 1)
        shade = np.clip(1.1 - 0.35 * rise - 0.3 * np.abs(arch), 0.55, 1.1)[..., None]
        layer(palette.tongue * shade, 0.85 * tongue_weight * inside)

    lower_weight = float(np.clip((jaw_open - LOWER_TEETH_FROM) / LOWER_TEETH_RAMP, 0, 1))
    if lower_weight > 0:
        h = (min(LOWER_TEETH_OF_WIDTH * outer_width, LOWER_TEETH_OF_OPENING * opening)
             * _teeth_taper(arch / LOWER_TEETH_HALF_WIDTH))
        band = np.clip(v - (v_lo - h) + 0.5, 0, 1) * np.clip(h, 0, 1)
        lower = palette.teeth * LOWER_TEETH_SHADE * corner_dim
        buccal = _buccal_shadow(arch / LOWER_TEETH_HALF_WIDTH)[..., None]
        layer(lower + (palette.cavity_edge - lower) * buccal, lower_weight * band)

    photo_pixels = None
    if real_teeth is not None:
        real, weight = _real_teeth_layer(real_teeth, u, v - v_up, half)
        layer(real, weight)
        photo_pixels = weight
        if strength <= 0.0:
            # Closing: only the photo's teeth, over its own squashed opening.
            mask = mask * weight
            strength = covering
    else:
        h = min(UPPER_TEETH_OF_OPENING * opening, UPPER_TEETH_OF_WIDTH * outer_width)
        h = max(h, float(np.clip(lower_lip_tuck, 0, 1)) * opening)
        if h > 0.5:
            paint, band = _upper_teeth(arch, v - v_up, h, arch_half, palette, corner_dim)
            # Little light reaches teeth behind a slit: they stay in the lips' shadow
            # (a fully lit sliver read as a white speck between nearly closed lips).
            lit = float(_smooth_step(opening / max(TEETH_LIT_FROM_OPENING * outer_width, 1e-6)))
            paint = palette.cavity_edge + lit * (paint - palette.cavity_edge)
            layer(paint, band)

    alpha = (mask * float(strength))[..., None]
    region = frame[y0:y1, x0:x1].astype(np.float32)
    paint = np.clip(colour, 0, 255).astype(np.float32)
    if softness > 0.0:
        softened = cv2.GaussianBlur(paint, (0, 0), softness)
        # The photo's own teeth are as soft as the photo already.
        keep = photo_pixels[..., None] if photo_pixels is not None else 0.0
        paint = softened + (paint - softened) * keep
    if grain is not None:
        noise = grain[y0 - limit[1] : y1 - limit[1], x0 - limit[0] : x1 - limit[0]]
        if photo_pixels is not None:
            noise = noise * (1.0 - photo_pixels)  # the photo's own teeth carry its grain already
        paint = paint + noise[..., None]
    region += (paint - region) * alpha
    frame[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def covering_share(gap_target: float, gap_photo: float) -> float:
    """How much a photo's own teeth are painted as its open mouth closes (0..1), from inner-lip gaps in pixels."""
    if gap_photo <= 0:
        return 0.0
    closed = (gap_photo - gap_target) / gap_photo
    return float(np.clip((closed - REAL_TEETH_COVER_FROM) / REAL_TEETH_COVER_FROM, 0.0, 1.0))


#: The midline's offset from the middle of the inner-lip corners is clamped
#: to this share of the half width (a profile's far half is never empty).
MIDLINE_MAX_OFFSET = 0.8


def _arch_coordinate(u: np.ndarray, midline: float, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Position along the dental arch: 0 at the mouth's midline, -1 and 1 at the inner-lip corners.

    On a turned face the midline (inner lips 62 and 66) is off the middle
    of the corners: the far half of the mouth is foreshortened. Teeth,
    tongue and shading are laid out about the midline, each half stretched
    to its own corner, so the incisors stay at the front of a turned mouth
    and the far teeth narrow.

    Parameters
    ----------
    u : np.ndarray, shape (h, w)
        Across the mouth, -1 at one inner-lip corner, 1 at the other.
    midline : float
        ``u`` of the midline.
    half : float
        Half the inner mouth width, pixels.

    Returns
    -------
    arch : np.ndarray, shape (h, w)
    arch_half : np.ndarray, shape (h, w)
        Pixels per unit of ``arch`` on each side of the midline.
    """
    midline = float(np.clip(midline, -MIDLINE_MAX_OFFSET, MIDLINE_MAX_OFFSET))
    near = u < midline
    side = np.where(near, np.float32(1.0 + midline), np.float32(1.0 - midline))
    return ((u - np.float32(midline)) / side).astype(np.float32), (side * np.float32(half)).astype(np.float32)


def _upper_teeth(u: np.ndarray, below_lip: np.ndarray, height: float, half: float | np.ndarray,
                 palette: MouthPalette, corner_dim: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The upper teeth under the upper lip, tooth by tooth.

    Parameters
    ----------
    u : np.ndarray, shape (h, w)
        Across the mouth, -1 at one inner corner, 1 at the other.
    below_lip : np.ndarray, shape (h, w)
        Pixels below the upper inner lip.
    height : float
        Teeth height in the middle, pixels.
    half : float or np.ndarray, shape (h, w)
        Half the inner mouth width, pixels (on a turned face, the pixels of
        one unit of ``u`` on each side of the midline, see :func:`_arch_coordinate`).
    palette : MouthPalette
    corner_dim : np.ndarray, shape (h, w, 1)
        Dimming towards the mouth corners.

    Returns
    -------
    colour : np.ndarray, shape (h, w, 3)
    weight : np.ndarray, shape (h, w)
        Where the teeth cover the cavity.
    """
    across = np.abs(u)
    taper = _teeth_taper(u)
    below = np.clip(below_lip / max(height, 1.0), 0, 1)
    # The upper lip shades the top of the teeth; the biting edge is a touch darker.
    shade = (1.0 - TEETH_LIP_SHADOW * (1.0 - below) ** 3) * (1.0 - 0.08 * below ** 4)
    edge = height * taper
    if float(np.max(half) + np.min(half)) >= TEETH_DETAIL_FROM:
        edges = np.asarray(TOOTH_EDGES, np.float32)
        tooth = np.clip(np.searchsorted(edges, across, side="right") - 1, 0, len(edges) - 2)
        start, end = edges[tooth], edges[tooth + 1]
        within = np.clip((across - start) / (end - start), 0, 1)      # 0..1 across each tooth
        side = 1.0 - np.sin(np.pi * within)                             # 0 mid-tooth, 1 at its sides
        edge = edge * (1.0 - TOOTH_EDGE_ROUNDING * side ** 2)
        gap_half = np.maximum(TOOTH_GAP_HALF * half, TOOTH_GAP_MIN) / half
        to_gap = np.minimum(across - start, end - across)
        # Neighbouring teeth touch over most of their height: the line between
        # them is faint under the lip and opens into a notch at the biting
        # edge. A tooth only a few pixels wide shows no gaps at all (one dark
        # line every three pixels read as a comb).
        tooth_pixels = (end - start) * half
        resolved = np.clip((tooth_pixels - TOOTH_GAP_FROM_PX) / TOOTH_GAP_RAMP_PX, 0.0, 1.0)
        along_tooth = TOOTH_GAP_UNDER_LIP + (1.0 - TOOTH_GAP_UNDER_LIP) * below ** 2
        gap = np.exp(-0.5 * (to_gap / gap_half) ** 2) * (across < edges[-1]) * resolved * along_tooth
        tone = 1.0 + np.asarray(TOOTH_TONE_SPREAD, np.float32)[tooth]
        shade = shade * tone * (1.0 - TOOTH_SIDE_SHADE * side ** 2) * (1.0 - TOOTH_GAP_DARKNESS * gap)
        gum_edge = GUM_HEIGHT * height * (1.0 - 0.5 * np.sin(np.pi * within))
        gum = GUM_OPACITY * np.clip((gum_edge - below_lip) / max(0.5 * gum_edge.max(), 0.7), 0, 1)
    else:
        gum = np.zeros_like(u)
    weight = np.clip(edge - below_lip + 0.5, 0, 1) * np.clip(below_lip + 1.0, 0, 1)
    teeth = palette.teeth * corner_dim * shade[..., None]
    teeth = teeth + (palette.cavity_edge - teeth) * _buccal_shadow(u)[..., None]
    gum_colour = GUM_OF_LIP * palette.lip * corner_dim
    colour = teeth + (gum_colour - teeth) * gum[..., None]
    return colour, weight


def _real_teeth_layer(
    real: PhotoTeeth, u: np.ndarray, below_upper: np.ndarray, half: float
) -> tuple[np.ndarray, np.ndarray]:
    """The photo's own teeth carried by the target upper lip.

    Parameters
    ----------
    real : PhotoTeeth
    u : np.ndarray, shape (h, w)
        Position across the target mouth, -1 at one inner corner, 1 at the other.
    below_upper : np.ndarray, shape (h, w)
        Pixels below the target upper inner lip.
    half : float
        Half the target inner mouth width, pixels.

    Returns
    -------
    colour : np.ndarray, shape (h, w, 3), float32
    weight : np.ndarray, shape (h, w), float32
        Where the photo's teeth cover the cavity.
    """
    pts = real.inner
    centre, along, down, photo_half = _mouth_axes(pts)
    upper_curve, lower_curve = _lip_curves(pts)

    def to_uv(curve):
        d = curve - centre
        return np.stack([(d @ along) / photo_half, d @ down], axis=-1)

    up = _curve_profile(to_uv(upper_curve), u)
    lo = _curve_profile(to_uv(lower_curve), u)
    scale = photo_half / max(half, 1.0)
    v_src = up + below_upper * np.float32(scale)
    a = u * np.float32(photo_half)
    map_x = (centre[0] + a * along[0] + v_src * down[0]).astype(np.float32)
    map_y = (centre[1] + a * along[1] + v_src * down[1]).astype(np.float32)
    colour = cv2.remap(real.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    keep = REAL_TEETH_SHARE * np.maximum(lo - up, 0.0)
    weight = np.clip(keep - below_upper * np.float32(scale) + 0.5, 0, 1) * np.clip(below_upper + 1.0, 0, 1)
    weight *= np.clip(1.0 - np.abs(u), 0, 1) ** 0.25
    return colour.astype(np.float32), weight.astype(np.float32)


#: A smile's teeth reach past dlib's inner-lip corners, into the ring between
#: the inner and the outer lip lines, where the mesh squashes them as the
#: mouth closes. There they are the ring's pixels brighter than this share of
#: the way from the lips' median luma to the teeth's; the lower lip covers
#: them fully once the inner-lip gap has closed by SIDE_TEETH_COVERED_AT of
#: the photo's.
SIDE_TEETH_LEVEL = 0.4
SIDE_TEETH_COVERED_AT = 0.6
#: The gaps between a smile's teeth (dark lines up to this share of the mouth
#: width across) count as teeth: the lower lip covers the row as one.
SIDE_TEETH_GAP_CLOSING = 0.03
#: Teeth lie within this share of the mouth width of the inner-lip outline.
SIDE_TEETH_REACH = 0.06


@dataclass(frozen=True)
class SideTeeth:
    """The photo's teeth, also those outside the inner-lip outline.

    Attributes
    ----------
    box : tuple of int
        ``(x0, y0, x1, y1)`` of the photo the mask covers.
    mask : np.ndarray, shape (y1 - y0, x1 - x0), float32
        0..1: how much each photo pixel is a tooth (the gaps between teeth
        included: the lower lip covers the row as one).
    lip : np.ndarray, shape (y1 - y0, x1 - x0, 3), float32
        What covers each tooth pixel: the photo's lower lip below it in its
        column, continued upwards from the lip's inner edge (RGB 0-255; the
        photo's own pixel where no lower lip lies below).
    between : np.ndarray, shape (y1 - y0, x1 - x0), float32
        0..1: the photo's opening between its inner lips (teeth, their
        shadowed tops, gums, the dark corners): squashed into the seam of a
        closing mouth, covered wherever the warp brings it outside the
        target opening.
    """

    box: tuple[int, int, int, int]
    mask: np.ndarray
    lip: np.ndarray
    between: np.ndarray


def side_teeth(image: np.ndarray, landmarks: np.ndarray, face_width: float) -> SideTeeth | None:
    """Find the photo's teeth inside the outer lip line, or None.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    face_width : float
        Pixels.
    """
    teeth = _photo_has_teeth(image, landmarks, face_width)
    if teeth is None:
        return None
    lm = np.asarray(landmarks, np.float64)
    h, w = image.shape[:2]
    x0, y0 = np.maximum(np.floor(lm[48:60].min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(lm[48:60].max(axis=0)).astype(int) + 3, [w, h])
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    local = lm - [x0, y0]
    shape = (y1 - y0, x1 - x0)
    # The teeth inside the inner lips too: squashed by the mesh into the
    # closing seam, they are covered as well (the unsquashed ones that still
    # show are painted over them by :func:`paint_interior`).
    ring = _polygon_mask(shape, local[48:60]) > 128
    lip_only = ring & ~(_polygon_mask(shape, local[60:68]) > 0)
    level = luma(image[y0:y1, x0:x1].astype(np.float64))
    if lip_only.sum() < 4:
        return None
    lips = float(np.median(level[lip_only]))
    threshold = lips + SIDE_TEETH_LEVEL * (float(luma(teeth)) - lips)
    # Teeth lie along the line between the lips; bright pixels further into the lips are their
    # highlights (covered, a lower lip's highlight turned into a dull blotch).
    inner = (_polygon_mask(shape, local[60:68]) > 0).astype(np.uint8)
    mouth_width = float(np.linalg.norm(lm[54] - lm[48]))
    near_line = cv2.distanceTransform(1 - inner, cv2.DIST_L2, 3) <= max(SIDE_TEETH_REACH * mouth_width, 1.0)
    bright = ring & near_line & (level > threshold)
    if not bright.any():
        return None
    # The dark lines between teeth are covered with them: painted over tooth by tooth, the
    # lower lip's edge followed every gap and read as a ragged smear.
    across = max(3, int(round(SIDE_TEETH_GAP_CLOSING * mouth_width)) | 1)
    closed = cv2.morphologyEx(bright.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, across), np.uint8)) > 0
    closed &= ring

    def soft(hard: np.ndarray) -> np.ndarray:
        return np.minimum(cv2.GaussianBlur(hard.astype(np.float32), (0, 0), 0.7) * 1.5, 1.0).astype(np.float32)

    covered = closed | (inner > 0)
    return SideTeeth((int(x0), int(y0), int(x1), int(y1)), soft(closed),
                     _lower_lip_above(image[y0:y1, x0:x1], covered, lip_only & ~covered), soft(inner > 0))


def _lower_lip_above(photo: np.ndarray, teeth: np.ndarray, lip: np.ndarray) -> np.ndarray:
    """Each tooth pixel's cover: its column's lower lip continued upwards (see :class:`SideTeeth`).

    Parameters
    ----------
    photo : np.ndarray, shape (h, w, 3), uint8
    teeth, lip : np.ndarray, shape (h, w), bool
        The tooth pixels and the lip pixels that are no teeth.

    Returns
    -------
    np.ndarray, shape (h, w, 3), float32
        At a tooth pixel ``d`` rows above the lowest tooth of its run, the
        lip pixel ``d`` rows below the run (mirrored across the lip's inner
        edge, the lip's own shading continued); elsewhere the photo.
    """
    cover = photo.astype(np.float32).copy()
    height = photo.shape[0]
    for column in np.flatnonzero(teeth.any(axis=0)):
        rows = np.flatnonzero(teeth[:, column])
        for run in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1):
            below = np.flatnonzero(lip[run[-1] + 1:, column])
            if below.size == 0:
                continue
            edge = run[-1] + 1 + int(below[0])
            mirrored = np.clip(edge + (run[-1] - run), edge, height - 1)
            lip_rows = lip[mirrored, column]
            mirrored = np.where(lip_rows, mirrored, edge)
            cover[run, column] = photo[mirrored, column]
    return cover


def side_teeth_cover(gap_target: float, gap_photo: float) -> float:
    """How much of the side teeth the lower lip covers (0..1), from inner-lip gaps in pixels."""
    if gap_photo <= 0:
        return 0.0
    closed = float(np.clip((gap_photo - gap_target) / gap_photo / SIDE_TEETH_COVERED_AT, 0.0, 1.0))
    return closed * closed * (3.0 - 2.0 * closed)


def cover_side_teeth(frame: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, origin: tuple[int, int],
                     teeth: SideTeeth, cover: float, outer: np.ndarray, inner: np.ndarray) -> None:
    """Paint the photo's lower lip over its teeth where the warp has brought them, in place.

    A flat lip colour painted tooth by tooth read as a ragged pink smear.

    Parameters
    ----------
    frame : np.ndarray, shape (H, W, 3), uint8
        The warped frame.
    map_x, map_y : np.ndarray, shape (h, w), float32
        The backward map the region starting at ``origin`` (x, y) was drawn with.
    teeth : SideTeeth
    cover : float
        0..1 (:func:`side_teeth_cover`).
    outer : np.ndarray, shape (12, 2)
        Target outer-lip landmarks 48..59 after head pose, pixels (the
        teeth can only be within them).
    inner : np.ndarray, shape (8, 2)
        Target inner-lip landmarks 60..67 after head pose, pixels: outside
        them the photo's squashed opening (:attr:`SideTeeth.between`) is
        covered as well.
    """
    if cover <= 0.0:
        return
    h, w = map_x.shape
    bx0 = int(max(np.floor(outer[:, 0].min()) - 2 - origin[0], 0))
    by0 = int(max(np.floor(outer[:, 1].min()) - 2 - origin[1], 0))
    bx1 = int(min(np.ceil(outer[:, 0].max()) + 3 - origin[0], w))
    by1 = int(min(np.ceil(outer[:, 1].max()) + 3 - origin[1], h))
    if bx1 - bx0 < 1 or by1 - by0 < 1:
        return
    sx = map_x[by0:by1, bx0:bx1] - np.float32(teeth.box[0])
    sy = map_y[by0:by1, bx0:bx1] - np.float32(teeth.box[1])
    weight = cv2.remap(teeth.mask, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    fx0, fy0 = origin[0] + bx0, origin[1] + by0
    between = cv2.remap(teeth.between, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    opening = _polygon_mask(weight.shape, np.asarray(inner, np.float64) - [fx0, fy0]).astype(np.float32) / 255.0
    weight = np.maximum(weight, between * (1.0 - opening)) * np.float32(cover)
    region = frame[fy0:fy0 + (by1 - by0), fx0:fx0 + (bx1 - bx0)].astype(np.float32)
    paint = cv2.remap(teeth.lip, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    region += (paint - region) * weight[..., None]
    frame[fy0:fy0 + (by1 - by0), fx0:fx0 + (bx1 - bx0)] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


#: The photo's line between closed lips is measured over this reach either side of the
#: middle of the inner lips (face widths), and at most this half height is taken as the line's.
SEAM_REACH = 0.05
SEAM_MAX_HALF = 0.01


def seam_half_height(image: np.ndarray, landmarks: np.ndarray, face_width: float) -> float:
    """Half the height (pixels) of the photo's dark line between closed lips, 0 if its lips part.

    The line is the run of pixels, through the middle of the inner lips and across the mouth,
    darker than halfway from the line's darkest pixel to the lips' median luma.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Neutral landmarks, pixels.
    face_width : float
        Pixels.
    """
    lm = np.asarray(landmarks, np.float64)
    if _photo_has_teeth(image, lm, face_width) is not None:
        return 0.0
    _, _, down, _ = _mouth_axes(lm[60:68])
    middle = (lm[62] + lm[66]) / 2
    steps = np.arange(-SEAM_REACH * face_width, SEAM_REACH * face_width + 0.25, 0.25)
    points = middle + steps[:, None] * down
    h, w = image.shape[:2]
    x = np.clip(points[:, 0], 0, w - 1).astype(np.float32)
    y = np.clip(points[:, 1], 0, h - 1).astype(np.float32)
    level = luma(cv2.remap(image, x[None], y[None], cv2.INTER_LINEAR)[0].astype(np.float64))
    lips = _lip_mask(image.shape[:2], lm)
    if lips.sum() < 4:
        return 0.0
    lip = float(np.median(luma(image[lips].astype(np.float64))))
    centre_index = int(np.argmin(np.abs(steps)))
    darkest = int(np.argmin(level[max(centre_index - 8, 0) : centre_index + 9])) + max(centre_index - 8, 0)
    threshold = level[darkest] + 0.5 * (lip - level[darkest])
    if not level[darkest] < threshold:
        return 0.0
    low = high = darkest
    while low > 0 and level[low - 1] < threshold:
        low -= 1
    while high < len(level) - 1 and level[high + 1] < threshold:
        high += 1
    return float(min(0.25 * (high - low + 1) / 2.0, SEAM_MAX_HALF * face_width))
