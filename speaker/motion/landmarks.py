"""Articulation and eyelid closure to iBUG-68 landmarks.

Movements are computed in a face-normalised frame: origin between the mouth
corners of the neutral face (points 48 and 54), x along the eye line, y
perpendicular to it (down the face), unit = face width ``|p16 - p0|``. Their
sizes come from real talking faces: ``models/mouth_calibration.json``,
written by ``scripts/calibrate_mouth.py`` (dlib landmarks on every frame of
the GRID clips). Measured there: the inner lips open by 0.094 face widths at
the 95th percentile and 0.112 at the 99th (= 0.31 of the mouth width, "a wide
ah opens the inner lips by about a third of the mouth width"), the chin drops
0.54 per unit of inner opening, and the lower lip takes 79 % of the opening,
the upper lip 21 %. The per-point displacement of the jaw (4-12) and mouth
(48-67) per unit of opening is used as measured (made left-right symmetric).

The rest pose is the photo's own mouth, even when it is slightly open; lip
closure always brings the inner lips together. While the person speaks, the
articulated opening replaces the photo's own lip gap instead of adding to it
(``own_mouth`` < 1): a photo taken with parted lips still closes between
words and opens no wider than the articulation says.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np

from ..errors import SpeakerError
from ..face_model import EYE_POINTS

CALIBRATION_FILE = "mouth_calibration.json"

#: Mouth width change at full spread ("ee", wider) and full rounding ("oo",
#: narrower), as a fraction of the neutral width. The issue's target is
#: +/-15 %; GRID's ordinary speech spans -5.5 %..+6.2 % (5th-95th percentile).
SPREAD_WIDTH_GAIN = 0.15
ROUND_WIDTH_GAIN = 0.15
#: Rounded lips are pushed forward and look fuller: each outer lip moves out
#: by this much (face widths) at full rounding.
ROUND_POUT = 0.012
#: Upper lip lift at full upper_lip_raise (face widths), about the upper
#: lip's share of a wide opening.
RAISE_FULL = 0.025
#: Where the lower lip stops when tucked under the upper teeth (f, v): this
#: far (face widths) below the upper inner lip.
TUCK_GAP = 0.008
#: The outer lower lip follows the tucked inner lip only partly (it rolls in),
#: and rises by TUCK_OUTER_LIFT face widths even from a closed mouth.
TUCK_OUTER_FOLLOW = 0.7
TUCK_OUTER_LIFT = 0.015
#: Share of a blink's travel made by the lower lid (the upper lid does the rest).
LOWER_LID_SHARE = 0.2

#: Eye centres to mouth corners, down the face, on a face of average
#: proportions (the generic 3D face of :mod:`speaker.face_model`), face widths.
EYES_TO_MOUTH_OF_WIDTH = 0.454
#: A jaw narrower than this share of the width the face's height implies is
#: taken to be turned from the camera (long faces stay as measured).
TURNED_UNIT_SHARE = 0.9

UPPER_OUTER = [49, 50, 51, 52, 53]
LOWER_OUTER = [59, 58, 57, 56, 55]
INNER_UPPER = [61, 62, 63]
INNER_LOWER = [67, 66, 65]
#: Outer points that follow an inner pair during closure or tucking, with weights.
UPPER_FOLLOWERS = {61: [(50, 1.0), (49, 0.5)], 62: [(51, 1.0)], 63: [(52, 1.0), (53, 0.5)]}
LOWER_FOLLOWERS = {67: [(58, 1.0), (59, 0.5)], 66: [(57, 1.0)], 65: [(56, 1.0), (55, 0.5)]}
MOUTH = np.arange(48, 68)
UPPER_LIDS = [37, 38, 43, 44]
LOWER_LIDS = [41, 40, 47, 46]


@lru_cache(maxsize=1)
def mouth_calibration() -> dict:
    """The measured mouth constants (see ``scripts/calibrate_mouth.py``).

    Returns
    -------
    dict
        The JSON content, plus ``"basis"``: np.ndarray (68, 2), displacement
        of each landmark per unit of inner-lip opening (face widths).
    """
    try:
        text = (resources.files("speaker.models") / CALIBRATION_FILE).read_text(encoding="utf-8")
        data = json.loads(text)
        basis = np.zeros((68, 2))
        for index, (dx, dy) in data["opening_basis"].items():
            basis[int(index)] = (dx, dy)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SpeakerError(
            f"The mouth calibration {CALIBRATION_FILE} is missing or broken ({error}); "
            "reinstall speaker."
        ) from None
    data["basis"] = basis
    return data


def face_frame(neutral: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The face-normalised frame of a neutral face.

    Parameters
    ----------
    neutral : np.ndarray, shape (68, 2)
        Landmarks in pixels.

    Returns
    -------
    origin : np.ndarray, shape (2,)
        Between the mouth corners, pixels.
    axes : np.ndarray, shape (2, 2)
        Rows: unit x (along the eye line) and unit y (down the face) in pixels.
    unit : float
        Face width in pixels: the jaw's width (landmark 0 to 16), or on a
        face turned from the camera (whose jaw looks narrower) the width a
        face of average proportions with its eye-to-mouth height would have.
    """
    neutral = np.asarray(neutral, dtype=np.float64)
    eye_line = neutral[42:48].mean(axis=0) - neutral[36:42].mean(axis=0)
    norm = np.linalg.norm(eye_line)
    x_axis = eye_line / norm if norm > 1e-9 else np.array([1.0, 0.0])
    y_axis = np.array([-x_axis[1], x_axis[0]])
    unit = float(np.linalg.norm(neutral[16] - neutral[0]))
    eyes_to_mouth = float((neutral[[48, 54]].mean(axis=0) - 0.5 * (neutral[36:42].mean(axis=0)
                                                                    + neutral[42:48].mean(axis=0))) @ y_axis)
    unit = max(unit, TURNED_UNIT_SHARE * eyes_to_mouth / EYES_TO_MOUTH_OF_WIDTH)
    if unit < 1e-6:
        raise SpeakerError("The face landmarks are degenerate (zero face width).")
    origin = 0.5 * (neutral[48] + neutral[54])
    return origin, np.stack([x_axis, y_axis]), unit


def _close_lips(points: np.ndarray, amount: np.ndarray, upper_share: float) -> None:
    """Bring each inner lip pair together by ``amount`` (T, 1), in place.

    The upper lip makes ``upper_share`` of the travel, the outer lip points
    follow their inner ones.
    """
    for upper, lower in zip(INNER_UPPER, INNER_LOWER):
        gap = points[:, lower] - points[:, upper]                       # (T, 2)
        opened = (gap[:, 1] > 0.0)[:, None]
        gap = np.where(opened, gap, 0.0)
        upper_move = amount * upper_share * gap
        lower_move = -amount * (1.0 - upper_share) * gap
        points[:, upper] += upper_move
        points[:, lower] += lower_move
        for follower, weight in UPPER_FOLLOWERS[upper]:
            points[:, follower] += weight * upper_move
        for follower, weight in LOWER_FOLLOWERS[lower]:
            points[:, follower] += weight * lower_move


def _close_eyes(points: np.ndarray, eyelid: np.ndarray | float) -> None:
    """Close the open lids of ``points`` (T, 68, 2) by ``eyelid`` (scalar or (T,), 0..1), in place.

    The upper lid comes down and the lower lid up (:data:`LOWER_LID_SHARE`
    of the way) until they meet. Linear in the points, so any affine frame
    (face widths or pixels) gives the same lids.
    """
    shut = np.broadcast_to(np.asarray(eyelid, dtype=np.float64).reshape(-1), (points.shape[0],))
    shut = np.clip(shut, 0.0, 1.0)[:, None, None]
    upper_lids = points[:, UPPER_LIDS].copy()
    lower_lids = points[:, LOWER_LIDS].copy()
    travel = lower_lids - upper_lids
    points[:, UPPER_LIDS] = upper_lids + shut * (1.0 - LOWER_LID_SHARE) * travel
    points[:, LOWER_LIDS] = lower_lids - shut * LOWER_LID_SHARE * travel


def with_eyelids(landmarks: np.ndarray, neutral: np.ndarray, eyelid: np.ndarray) -> np.ndarray:
    """Landmarks whose eyes are the neutral face's closed by ``eyelid``, the rest as given.

    Only the eyelid moves the eye points (the jaw's basis and the lips'
    rules leave 36-47 where the photo has them), so a frame's eyes follow
    from its eyelid alone. Where tracks are mixed (a seam's cross-fade keeps
    the larger eyelid of the two), mixed landmarks would close the lids
    only part way while the eyelid says shut; this sets them from it.

    Parameters
    ----------
    landmarks : np.ndarray, shape (T, 68, 2)
        Pixels, before head pose.
    neutral : np.ndarray, shape (68, 2)
        The portrait's landmarks, pixels.
    eyelid : np.ndarray, shape (T,)
        Closure, 0 open to 1 shut.

    Returns
    -------
    np.ndarray, shape (T, 68, 2), the dtype of ``landmarks``
    """
    points = np.array(landmarks, dtype=np.float64, copy=True)
    eyes = list(EYE_POINTS[0] + EYE_POINTS[1])
    points[:, eyes] = np.asarray(neutral, np.float64)[eyes]
    _close_eyes(points, eyelid)
    return points.astype(np.asarray(landmarks).dtype, copy=False)


def mouth_landmarks(neutral: np.ndarray, articulation: np.ndarray,
                    eyelid: np.ndarray | float | None = None,
                    own_mouth: np.ndarray | float | None = None) -> np.ndarray:
    """Move the mouth, jaw and eyelids of a neutral face.

    Parameters
    ----------
    neutral : np.ndarray, shape (68, 2)
        The portrait's landmarks in pixels (its own mouth is the rest pose).
    articulation : np.ndarray, shape (K,) or (T, K)
        Columns :data:`speaker.types.ARTICULATION_NAMES`, in [0, 1].
    eyelid : float or np.ndarray of shape (T,), optional
        Eyelid closure, 0 open to 1 shut; None leaves the eyes as they are.
    own_mouth : float or np.ndarray of shape (T,), optional
        How much of the photo's own inner-lip gap is kept before the
        articulation moves the mouth: 1 (the default) keeps it (the portrait
        as given), 0 starts from closed lips (speaking: the articulated
        opening replaces the photo's).

    Returns
    -------
    np.ndarray, shape (68, 2) or (T, 68, 2), float32
        Landmarks in pixels; only points 4-12 (jaw), 37-38/40-41/43-44/46-47
        (eyelids) and 48-67 (mouth) move.
    """
    neutral = np.asarray(neutral, dtype=np.float64)
    if neutral.shape != (68, 2):
        raise ValueError(f"neutral landmarks must have shape (68, 2), not {neutral.shape}")
    articulation = np.asarray(articulation, dtype=np.float64)
    single = articulation.ndim == 1
    values = np.clip(np.atleast_2d(articulation), 0.0, 1.0)
    count = values.shape[0]
    jaw, closure, spread, round_, raise_, tuck = (values[:, k][:, None] for k in range(6))
    calibration = mouth_calibration()

    origin, axes, unit = face_frame(neutral)
    face = ((neutral - origin) @ axes.T) / unit            # (68, 2) face widths
    points = np.repeat(face[None], count, axis=0)          # (T, 68, 2)
    upper_share = calibration["upper_lip_share"]
    if own_mouth is not None:
        keep = np.broadcast_to(np.asarray(own_mouth, dtype=np.float64).reshape(-1), (count,))
        _close_lips(points, 1.0 - np.clip(keep, 0.0, 1.0)[:, None], upper_share)

    # Jaw drop: measured displacement of jaw and lips per unit of inner opening.
    opening = jaw * calibration["inner_opening_p99"]        # (T, 1)
    points += opening[:, :, None] * calibration["basis"][None]

    # Upper lip lift (teeth show): middle points fully, the outer ones half.
    lift = RAISE_FULL * raise_[:, 0]
    for index, weight in ((50, 1.0), (51, 1.0), (52, 1.0), (61, 1.0), (62, 1.0), (63, 1.0),
                          (49, 0.5), (53, 0.5)):
        points[:, index, 1] -= weight * lift

    # Width: spread widens, rounding narrows, about the mouth centre.
    width_factor = 1.0 + SPREAD_WIDTH_GAIN * spread - ROUND_WIDTH_GAIN * round_
    centre_x = points[:, [48, 54], 0].mean(axis=1, keepdims=True)
    points[:, MOUTH, 0] = centre_x + (points[:, MOUTH, 0] - centre_x) * width_factor
    pout = ROUND_POUT * round_[:, 0]
    points[:, UPPER_OUTER, 1] -= pout[:, None]
    points[:, LOWER_OUTER, 1] += pout[:, None]

    # Lower lip tucked under the upper teeth (f, v).
    for upper, lower in zip(INNER_UPPER, INNER_LOWER):
        target = points[:, upper, 1] + TUCK_GAP
        delta = np.minimum(target - points[:, lower, 1], 0.0) * tuck[:, 0]
        points[:, lower, 1] += delta
        for follower, weight in LOWER_FOLLOWERS[lower]:
            points[:, follower, 1] += TUCK_OUTER_FOLLOW * weight * delta
    for follower, weight in ((57, 1.0), (56, 0.8), (58, 0.8), (55, 0.4), (59, 0.4)):
        points[:, follower, 1] -= TUCK_OUTER_LIFT * weight * tuck[:, 0]

    # Lip closure: each inner pair meets at the measured upper/lower share.
    _close_lips(points, closure, upper_share)

    if eyelid is not None:
        _close_eyes(points, eyelid)

    pixels = origin + unit * (points @ axes)
    pixels = pixels.astype(np.float32)
    return pixels[0] if single else pixels
