"""The inner lips of a face-mesh fit seated on the photo's line between the lips.

dlib's inner-lip points of a closed mouth lie on the dark line between the lips, and the renderer opens
the mouth there. MediaPipe's face mesh puts them on the lips instead, a few pixels off the line (on the
native woman of 1926 three pixels below it, on the lower lip). Opened there, the line stays on the upper
lip as a dark stroke, a strip of the lower lip rides up with the upper lip, and the lower lip that drops
is a thin strip of its lower edge. Here each inner-lip point of a closed mouth is moved across the mouth
onto the darkest line measured along it.
"""

from __future__ import annotations

import cv2
import numpy as np

from .image import sample_bilinear

#: Places along the mouth (shares of the way from inner corner 60 to 64) where the line is looked for.
LINE_SAMPLES = np.linspace(0.05, 0.95, 19)
#: The line is looked for this share of the lips' height either side of the inner-lip line, and is
#: taken where its darkest pixel is at least LINE_CONTRAST grey levels darker than the pixels
#: LINE_HALF_WIDTH pixels above and below it.
SEARCH_OF_LIP_HEIGHT = 0.3
LINE_CONTRAST = 20.0
LINE_HALF_WIDTH = 3.0
#: At least this many of the samples must find the line, else nothing moves.
MIN_LINE_SAMPLES = 5
#: A photo's mouth counts as closed while its inner lips are at most this share of the lips' height apart.
CLOSED_GAP = 0.15
#: Upper and lower inner-lip points on the line are kept this far apart (pixels) so they stay distinct,
#: and the outer lips at least OUTER_MARGIN pixels beyond them.
PAIR_SPLIT = 0.25
OUTER_MARGIN = 1.0
#: A corner whose distance to the mouth's midline is below this share of the other's is the far corner
#: of a turned mouth.
FAR_CORNER_SHARE = 0.5

UPPER_INNER = (61, 62, 63)
LOWER_INNER = (67, 66, 65)
UPPER_OUTER = (49, 50, 51, 52, 53)
LOWER_OUTER = (59, 58, 57, 56, 55)


def seat_inner_lips(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Landmarks whose inner lips (60-67, and the corners 48 and 54 with them) lie on the photo's lip line.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
        The photo.
    landmarks : np.ndarray, shape (68, 2)
        iBUG-68 points of a face-mesh fit, pixels.

    Returns
    -------
    np.ndarray, shape (68, 2), float64
        Unchanged when the mouth is open or no clear line is found. Else every inner-lip point moved
        across the mouth (perpendicular to the line from corner 60 to 64) onto the line as measured at
        its place along the mouth (the nearest measure beyond the measured span), upper and lower points
        of a pair together; outer lip points that would then lie inside the lips' line are moved out.
    """
    result = np.asarray(landmarks, np.float64).copy()
    start, end = result[60].copy(), result[64].copy()
    length = float(np.linalg.norm(end - start))
    if length < 4.0:
        return result
    along = (end - start) / length
    down = np.array([-along[1], along[0]])
    if (result[57] - result[51]) @ down < 0:
        down = -down
    lip_height = float((result[57] - result[51]) @ down)
    if lip_height < 3.0:
        return result
    gaps = [(result[lo] - result[up]) @ down for up, lo in zip(UPPER_INNER, LOWER_INNER)]
    if float(np.mean(gaps)) > CLOSED_GAP * lip_height:
        return result

    grey = cv2.GaussianBlur(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY), (3, 3), 0)
    grey = grey.astype(np.float32)
    reach = SEARCH_OF_LIP_HEIGHT * lip_height
    offsets = np.arange(-reach - LINE_HALF_WIDTH, reach + LINE_HALF_WIDTH + 0.25, 0.5)
    places, found = [], []
    inner_line = _inner_line(result, start, along, down, length)
    for share in LINE_SAMPLES:
        base = start + share * length * along + inner_line(share) * down
        points = (base + offsets[:, None] * down).astype(np.float32)
        level = sample_bilinear(grey, points)
        within = np.flatnonzero(np.abs(offsets) <= reach)
        darkest = int(within[np.argmin(level[within])])
        side = int(round(LINE_HALF_WIDTH / 0.5))
        lo, hi = max(darkest - side, 0), min(darkest + side, len(level) - 1)
        if min(level[lo], level[hi]) - level[darkest] >= LINE_CONTRAST:
            places.append(share)
            found.append(offsets[darkest])
    if len(found) < MIN_LINE_SAMPLES:
        return result
    # A running median: one sample on a shadow or a stray hair does not bend the line.
    found = np.asarray(found)
    smooth = np.array([np.median(found[max(i - 2, 0) : i + 3]) for i in range(len(found))])

    def seat(index: int, split: float) -> None:
        share = float((result[index] - start) @ along) / length
        shift = float(np.interp(share, places, smooth)) + inner_line(share) - float((result[index] - start) @ down)
        result[index] = result[index] + (shift + split) * down

    moved_from = result.copy()
    for up, lo in zip(UPPER_INNER, LOWER_INNER):
        seat(up, -PAIR_SPLIT)
        seat(lo, PAIR_SPLIT)
    # On a turned face the far corner is foreshortened onto the lips' front, against the silhouette,
    # where the darkest line is the background's edge: it stays (the corner much nearer the midline).
    midline = (moved_from[62] + moved_from[66]) / 2
    reach_60, reach_64 = (float(np.linalg.norm(moved_from[corner] - midline)) for corner in (60, 64))
    far_corner = 60 if reach_60 < FAR_CORNER_SHARE * reach_64 else 64 if reach_64 < FAR_CORNER_SHARE * reach_60 else None
    for corner, outer in ((60, 48), (64, 54)):
        if corner == far_corner:
            continue
        seat(corner, 0.0)
        result[outer] = moved_from[outer] + (result[corner] - moved_from[corner])
    new_line = _inner_line(result, start, along, down, length)
    for outers, sign in ((UPPER_OUTER, -1.0), (LOWER_OUTER, 1.0)):
        for index in outers:
            share = float((result[index] - start) @ along) / length
            depth = sign * (float((result[index] - start) @ down) - new_line(share))
            if depth < OUTER_MARGIN:
                result[index] = result[index] + sign * (OUTER_MARGIN - depth) * down
    return result


def _inner_line(landmarks: np.ndarray, start: np.ndarray, along: np.ndarray, down: np.ndarray,
                length: float):
    """The closed inner lips' line across the mouth: offset (pixels, along ``down``) at a share along it."""
    middle = np.array([landmarks[60], *((landmarks[u] + landmarks[d]) / 2 for u, d in zip(UPPER_INNER, LOWER_INNER)),
                       landmarks[64]])
    shares = (middle - start) @ along / length
    offsets = (middle - start) @ down
    order = np.argsort(shares, kind="stable")

    def line(share: float) -> float:
        return float(np.interp(share, shares[order], offsets[order]))

    return line
