"""The far eye of a turned face, seated on the photo's eye opening.

dlib's shape predictor starts from the detector's box, and on a face turned
beyond about 25 degrees its fit of the far eye (foreshortened, beside the
nose bridge) depends on that box: on ``chief_headdress_3q`` (32 degrees)
the detector's box gives a far eye 0.4 eye widths up and out of the eye,
its outer corner on the temple, while the same box moved by 5% of its
width gives the eye itself. The near eye and the rest of the face barely
change. So the far eye is fitted from a few boxes about the detector's
(and their mirror images), and the fit whose outline is darkest against
the skin around it (lashes, iris and the lid's shadow make the opening
darker than skin) is taken, when it is clearly darker than the first fit's
and near it.
"""

from __future__ import annotations

import numpy as np

from ..face_model import EYE_POINTS, far_eye
from .checks import MIRROR_INDEX
from .facemesh import SNAP_GAIN, SNAP_REACH

#: Scales of the detector's box (about its centre) the far eye is fitted from...
BOX_SCALES = (0.9, 1.0, 1.1)
#: ... and shifts of it, as shares of its width, both along and down.
BOX_SHIFTS = (-0.05, 0.0, 0.05)


def seat_far_eye(landmarker, image: np.ndarray, box: np.ndarray, landmarks: np.ndarray,
                 yaw: float) -> np.ndarray:
    """The landmarks with the far eye's six points from the fit that lies on the eye's opening.

    Parameters
    ----------
    landmarker : object
        A face backend with ``fit(image, box) -> (68, 2)``
        (:class:`speaker.face.dlib.DlibLandmarker`); without one the
        landmarks are returned unchanged.
    image : np.ndarray, shape (H, W, 3), uint8
    box : np.ndarray, shape (4,)
        The detector's face box ``(x0, y0, x1, y1)``, pixels.
    landmarks : np.ndarray, shape (68, 2)
        The landmarker's fit on ``box``, pixels.
    yaw : float
        The face's yaw in degrees (its sign says which eye is the far one).

    Returns
    -------
    np.ndarray, shape (68, 2), float32
        Only the far eye's points (:func:`speaker.face_model.far_eye`) may differ: they are the
        candidate fit's whose opening is darkest (by
        :func:`speaker.imaging.eye_opening_darkness`) among the fits on
        :data:`BOX_SCALES` x :data:`BOX_SHIFTS` boxes and their mirror
        images, when it is at least :data:`~speaker.face.facemesh.SNAP_GAIN`
        darker than the given fit's and its centre within
        :data:`~speaker.face.facemesh.SNAP_REACH` eye widths of it (a jump
        further lands on the brow's or the socket's shadow).
    """
    from ..imaging import eye_opening_darkness

    result = np.asarray(landmarks, np.float64).copy()
    fit = getattr(landmarker, "fit", None)
    if fit is None:
        return result.astype(np.float32)
    eye = list(EYE_POINTS[far_eye(yaw)])
    points = result[eye]
    width = float(np.linalg.norm(points[3] - points[0]))
    start = eye_opening_darkness(image, points)
    if not np.isfinite(start) or width <= 0:
        return result.astype(np.float32)
    best, best_points = start, points
    for candidate in _candidate_fits(fit, image, box):
        moved = float(np.linalg.norm((candidate[eye] - points).mean(axis=0))) / width
        if moved > SNAP_REACH:
            continue
        darkness = eye_opening_darkness(image, candidate[eye])
        if np.isfinite(darkness) and darkness < best:
            best, best_points = darkness, candidate[eye]
    if best <= start * (1.0 - SNAP_GAIN):
        result[eye] = best_points
    return result.astype(np.float32)


def _candidate_fits(fit, image: np.ndarray, box: np.ndarray):
    """The landmarker's fits (68, 2) float64 on boxes about ``box``, each also on the mirror image (mapped back)."""
    width = image.shape[1]
    mirrored = np.ascontiguousarray(image[:, ::-1])
    x0, y0, x1, y1 = (float(v) for v in box)
    side = x1 - x0
    centre = np.array([(x0 + x1) / 2.0, (y0 + y1) / 2.0])
    for scale in BOX_SCALES:
        half = np.array([scale * (x1 - x0), scale * (y1 - y0)]) / 2.0
        for shift_along in BOX_SHIFTS:
            for shift_down in BOX_SHIFTS:
                middle = centre + np.array([shift_along, shift_down]) * side
                low, high = middle - half, middle + half
                yield np.asarray(fit(image, np.array([low[0], low[1], high[0], high[1]])), np.float64)
                back = np.asarray(fit(mirrored, np.array([width - high[0], low[1], width - low[0], high[1]])),
                                  np.float64).copy()
                back[:, 0] = width - 1 - back[:, 0]
                yield back[MIRROR_INDEX]
