"""The lips of a turned face kept on the face: far lip points the landmarker put on the background come back
to the face's silhouette.

On a near-profile the far half of the mouth is foreshortened into a few pixels beside the silhouette, and a
landmarker's far lip corner and the lips' front points often land past it, on the hair or the wall behind.
The renderer moves the photo's pixels with the landmarks: lips laid on the background drag the background
in as lip when the jaw drops (a dark lower lip) and paint the mouth's opening past the face's edge.
"""

from __future__ import annotations

import cv2
import numpy as np

from .image import sample_bilinear

#: From this yaw (degrees) on, the far lip points are checked against the silhouette (the three-quarter
#: portraits, 25-35 degrees, keep their fits: their far lips are well inside the far cheek).
SILHOUETTE_FROM_YAW = 40.0
#: The photo's tones must differ this much (grey levels) between the lips' near half and what lies beyond
#: the far lip points for a silhouette to be found (else the background is too like the skin to tell).
MIN_SILHOUETTE_CONTRAST = 40.0
#: Dark lines thinner than this, in eye-to-mouth distances, are closed over before the scan (the line
#: between the lips, which the inner lip points lie on, is not the silhouette).
SEAM_CLOSING = 0.12
#: How far inside the silhouette the moved points are put, pixels (outer lips, inner lips, further in so
#: the far corners stay distinct points).
OUTER_MARGIN = 0.5
INNER_MARGIN = 1.5
#: No point is moved by more than this share of the mouth's width (a bigger jump is a shadow, not the edge).
MAX_SHIFT = 0.3

OUTER_LIPS = tuple(range(48, 60))
INNER_LIPS = tuple(range(60, 68))


def keep_lips_on_face(image: np.ndarray, landmarks: np.ndarray, yaw: float) -> np.ndarray:
    """Landmarks whose far lip points, on a turned face, lie inside the face's silhouette.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
        The photo.
    landmarks : np.ndarray, shape (68, 2)
        iBUG-68 points, pixels.
    yaw : float
        The photo's fitted yaw, degrees, positive when the nose turns to the image right.

    Returns
    -------
    np.ndarray, shape (68, 2), float64
        Unchanged below :data:`SILHOUETTE_FROM_YAW` or where no clear silhouette is seen. Else each lip
        point (48-67) lying past the silhouette is moved back along the eye line to just inside it, at
        its own height: the far corner foreshortened onto the face's edge.
    """
    result = np.asarray(landmarks, np.float64).copy()
    if not abs(yaw) >= SILHOUETTE_FROM_YAW:
        return result
    eye_line = result[42:48].mean(axis=0) - result[36:42].mean(axis=0)
    far = np.sign(yaw) * eye_line / max(float(np.linalg.norm(eye_line)), 1e-6)
    scale = float(np.linalg.norm(result[36:48].mean(axis=0) - result[48:68].mean(axis=0)))
    mouth_width = float(np.linalg.norm(result[54] - result[48]))
    if scale < 4.0 or mouth_width < 2.0:
        return result
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY).astype(np.float32)
    length = max(3, int(round(SEAM_CLOSING * scale)) | 1)
    grey = cv2.morphologyEx(cv2.GaussianBlur(grey, (3, 3), 0), cv2.MORPH_CLOSE,
                            cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    near = result[48] if yaw > 0 else result[54]
    lips = result[48:68]
    centre = lips.mean(axis=0)
    skin = float(np.median(sample_bilinear(grey, near + np.linspace(0.0, 0.5, 12)[:, None] * (centre - near))))
    farthest = lips[int(np.argmax((lips - near) @ far))]
    beyond = float(np.median(sample_bilinear(grey, farthest + np.linspace(0.1, 0.25, 8)[:, None] * scale * far)))
    if not abs(beyond - skin) >= MIN_SILHOUETTE_CONTRAST:
        return result
    centre_out = float((centre - near) @ far)
    for index in OUTER_LIPS + INNER_LIPS:
        point = result[index]
        out = float((point - near) @ far)
        if out <= centre_out:
            continue
        start = point - out * far  # the near corner's place along the eye line, at this point's height
        steps = np.arange(0.0, out + 1.0, 0.5)
        values = sample_bilinear(grey, start + steps[:, None] * far)
        off_face = np.abs(values - beyond) < np.abs(values - skin)
        # The first place from which the tones stay the background's for two pixels.
        run = np.convolve(off_face.astype(np.int32), np.ones(4, np.int32), "full")[3:len(off_face) + 3]
        edges = np.flatnonzero((run == 4) & (steps >= centre_out))
        if not len(edges):
            continue
        margin = INNER_MARGIN if index in INNER_LIPS else OUTER_MARGIN
        inside = float(steps[edges[0]]) - margin
        if inside < out and out - inside <= MAX_SHIFT * mouth_width:
            result[index] = start + inside * far
    return result
