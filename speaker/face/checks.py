"""Does the photo show what the landmarks say it shows?

dlib's 68-point predictor always returns a whole frontal face, also on a
true profile, where it makes up the hidden half and lays the mouth and the
far eye onto a cheek. The 3D fit cannot tell: the made-up face is a
plausible face. The photo can: a mouth's lips meet in a line darker than
the skin around them (the shadow between closed lips, the opening between
parted ones), a cheek has none.
"""

from __future__ import annotations

import numpy as np

from ..imaging import LUMA
#: The darker third of the pixels along the inner-lip line must be darker
#: than this share of the median of the skin around the mouth (a ring
#: SKIN_RING mouth widths outside the outer lip line). On the 19 evaluation
#: portraits real mouths measure 0.09-0.54 (beards, paintings, smiles with
#: teeth); the mouths dlib laid onto a cheek of the two true profiles 0.66
#: (cameraman_profile_gray) and 0.79 (native_woman_1926_turned).
SEAM_MAX_OF_SKIN = 0.6
SKIN_RING = (0.1, 0.3)
#: Thickness of the inner-lip line, mouth widths (at least 1 px).
SEAM_THICKNESS = 0.04


def lip_seam_darkness(image: np.ndarray, landmarks: np.ndarray) -> float:
    """How dark the line between the lips is against the skin around the mouth.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        iBUG-68 landmarks, pixels.

    Returns
    -------
    float
        Mean luma of the darker third of the pixels on the inner-lip line
        (landmarks 60-67, :data:`SEAM_THICKNESS` thick) over the median luma
        of a ring :data:`SKIN_RING` mouth widths outside the outer lip line
        (48-59); NaN when the mouth is too small or off the photo.
    """
    import cv2

    lm = np.asarray(landmarks, np.float64)
    mouth_width = float(np.linalg.norm(lm[54] - lm[48]))
    if mouth_width < 6:
        return float("nan")
    pad = int(np.ceil(SKIN_RING[1] * mouth_width)) + 3
    h, w = image.shape[:2]
    x0, y0 = np.maximum(np.floor(lm[48:68].min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(lm[48:68].max(axis=0)).astype(int) + pad, [w, h])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return float("nan")
    level = image[y0:y1, x0:x1].astype(np.float64) @ LUMA
    local = np.round(lm - [x0, y0]).astype(np.int32)
    outer = np.zeros(level.shape, np.uint8)
    cv2.fillPoly(outer, [local[48:60]], 1)
    seam = np.zeros(level.shape, np.uint8)
    cv2.polylines(seam, [local[60:68]], True, 1, max(1, int(round(SEAM_THICKNESS * mouth_width))))
    kernel = np.ones((3, 3), np.uint8)
    far = cv2.dilate(outer, kernel, iterations=max(1, int(SKIN_RING[1] * mouth_width)))
    near = cv2.dilate(outer, kernel, iterations=max(1, int(SKIN_RING[0] * mouth_width)))
    ring = (far > 0) & ~(near > 0)
    line = level[seam > 0]
    if line.size < 3 or ring.sum() < 3:
        return float("nan")
    darker = np.sort(line)[: max(1, line.size // 3)].mean()
    return float(darker / max(float(np.median(level[ring])), 1.0))


def mouth_is_on_the_photo(image: np.ndarray, landmarks: np.ndarray) -> bool:
    """Whether the photo shows lips where the landmarks put the mouth (see :func:`lip_seam_darkness`)."""
    darkness = lip_seam_darkness(image, landmarks)
    return not np.isfinite(darkness) or darkness <= SEAM_MAX_OF_SKIN


def mouth_within_frame(landmarks: np.ndarray, height: int, width: int) -> bool:
    """Whether any inner-lip point (60-67, pixels) lies inside a ``height`` x ``width`` photo.

    A photo cut off across the face (below the nose, say) still gives a
    face, and the landmarker extends it past the edge; the mouth it puts
    there would open where nobody sees it.
    """
    inner = np.asarray(landmarks, np.float64)[60:68]
    inside = (inner[:, 0] >= 0) & (inner[:, 0] <= width - 1) & (inner[:, 1] >= 0) & (inner[:, 1] <= height - 1)
    return bool(inside.any())


#: iBUG-68 index of each landmark's mirror image (left and right swap).
MIRROR_INDEX = (list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30]
                + [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46] + [39, 38, 37, 36, 41, 40]
                + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])
#: The landmarker looks again on the mirrored face box grown by this share of its width.
MIRROR_CROP_GROW = 0.5
#: Mean distance (eye distances, outer corners 36-45) between the inner
#: landmarks (brows, eyes, nose, mouth) and those the landmarker fits in the
#: mirrored face box (mapped back), beyond which they are not where the face
#: is. On the 19 evaluation portraits with dlib, faces it sees measure
#: 0.006-0.048 (beards, turned heads up to 42 degrees, paintings); a bowed
#: head with a hand over the mouth (auden_head_down: lids put on wrinkles,
#: the mouth on the fingers) 0.078.
MAX_MIRROR_DISAGREEMENT = 0.06


def mirror_disagreement(landmarker, image: np.ndarray, box: np.ndarray, landmarks: np.ndarray) -> float:
    """How far the landmarker's fit moves when it sees the face mirrored.

    A face the landmarker really sees is found again, point for point, on
    the mirror image; where it guessed (a hand over the mouth, lids laid on
    wrinkles, a made-up hidden half) the guess from the mirrored start lands
    elsewhere.

    Parameters
    ----------
    landmarker : object
        A face backend (:mod:`speaker.face.core`); its ``fit(image, box)``
        when it has one (the mirrored box itself), else ``detect`` on the
        mirrored face box grown by :data:`MIRROR_CROP_GROW`.
    image : np.ndarray, shape (H, W, 3), uint8
    box : np.ndarray, shape (4,)
        The face's box ``(x0, y0, x1, y1)``, pixels.
    landmarks : np.ndarray, shape (68, 2)
        The landmarks found on ``image``, pixels.

    Returns
    -------
    float
        Mean distance of points 17-67 from the mirrored fit's (mapped back),
        in eye distances; NaN when the mirrored face is not found (``detect`` only).
    """
    lm = np.asarray(landmarks, np.float64)
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    fit = getattr(landmarker, "fit", None)
    if fit is not None:
        # The same box, mirrored: the fit starts from the mirror of where it started.
        points = fit(np.ascontiguousarray(image[:, ::-1]), np.array([w - x1, y0, w - x0, y1]))
        back = np.asarray(points, np.float64).copy()
        back[:, 0] = w - 1 - back[:, 0]
        back = back[MIRROR_INDEX]
    else:
        grow = MIRROR_CROP_GROW * (x1 - x0)
        cx0, cy0 = max(int(x0 - grow), 0), max(int(y0 - grow), 0)
        cx1, cy1 = min(int(np.ceil(x1 + grow)), w), min(int(np.ceil(y1 + grow)), h)
        found = landmarker.detect(np.ascontiguousarray(image[cy0:cy1, cx0:cx1][:, ::-1]))
        if not found:
            return float("nan")
        crop_w = cx1 - cx0
        centre = np.array([crop_w - 1 - ((x0 + x1) / 2 - cx0), (y0 + y1) / 2 - cy0])
        _, _, points = min(found, key=lambda d: float(np.hypot(*(np.asarray(d[0][:2] + d[0][2:]) / 2 - centre))))
        back = np.asarray(points, np.float64).copy()
        back[:, 0] = crop_w - 1 - back[:, 0]
        back = back[MIRROR_INDEX] + [cx0, cy0]
    eye_span = max(float(np.linalg.norm(lm[45] - lm[36])), 1.0)
    return float(np.linalg.norm(back[17:] - lm[17:], axis=1).mean() / eye_span)


def landmarks_are_reliable(landmarker, image: np.ndarray, box: np.ndarray, landmarks: np.ndarray) -> bool:
    """Whether the landmarks are where the face is (see :func:`mirror_disagreement`)."""
    disagreement = mirror_disagreement(landmarker, image, box, landmarks)
    return not np.isfinite(disagreement) or disagreement <= MAX_MIRROR_DISAGREEMENT

