"""A generic 3D face: the 68 iBUG landmarks of an average adult, for fitting and warping.

Below the stages: the face stage fits it to a photo's landmarks (head pose,
hidden points of a turned face, per-landmark depth) and the render stage
falls back on its depth when a portrait carries none.

Coordinates are face-local, in face widths (jaw landmark 0 to 16 is 1):
``x`` to the image right of a frontal face, ``y`` down, ``z`` towards the
camera, origin between the eye centres. ``x`` and ``y`` are the mean of
dlib's landmarks on six frontal portraits (Grace Hopper, the astronaut and
four public-domain photographs), made left-right symmetric; ``z`` is hand-built
from average adult proportions (nose tip about 2 cm in front of the eyes,
the jaw's ends about 6 cm behind them for a 14 cm wide face).
"""

from __future__ import annotations

import math

import numpy as np

#: (68, 3) float64: x, y, z of each iBUG-68 landmark, face widths.
GENERIC_FACE = np.array(
    [
        # jaw 0..16
        [-0.500, 0.023, -0.42], [-0.488, 0.152, -0.40], [-0.467, 0.278, -0.37], [-0.440, 0.401, -0.31],
        [-0.397, 0.519, -0.23], [-0.327, 0.622, -0.14], [-0.230, 0.705, -0.06], [-0.121, 0.767, -0.01],
        [0.000, 0.783, 0.02],
        [0.121, 0.767, -0.01], [0.230, 0.705, -0.06], [0.327, 0.622, -0.14], [0.397, 0.519, -0.23],
        [0.440, 0.401, -0.31], [0.467, 0.278, -0.37], [0.488, 0.152, -0.40], [0.500, 0.023, -0.42],
        # brows 17..26
        [-0.417, -0.067, -0.12], [-0.357, -0.134, -0.04], [-0.267, -0.159, 0.00], [-0.174, -0.152, 0.02],
        [-0.087, -0.120, 0.03], [0.087, -0.120, 0.03], [0.174, -0.152, 0.02], [0.267, -0.159, 0.00],
        [0.357, -0.134, -0.04], [0.417, -0.067, -0.12],
        # nose bridge 27..30, nostrils 31..35
        [0.000, -0.018, 0.02], [0.000, 0.069, 0.06], [0.000, 0.155, 0.10], [0.000, 0.243, 0.16],
        [-0.100, 0.301, 0.06], [-0.051, 0.315, 0.09], [0.000, 0.329, 0.11], [0.051, 0.315, 0.09],
        [0.100, 0.301, 0.06],
        # eyes 36..47
        [-0.312, 0.004, -0.07], [-0.258, -0.033, -0.02], [-0.193, -0.033, -0.01], [-0.135, 0.014, -0.02],
        [-0.196, 0.024, -0.01], [-0.261, 0.025, -0.02],
        [0.135, 0.014, -0.02], [0.193, -0.033, -0.01], [0.258, -0.033, -0.02], [0.312, 0.004, -0.07],
        [0.261, 0.025, -0.02], [0.196, 0.024, -0.01],
        # outer lips 48..59
        [-0.196, 0.454, -0.02], [-0.125, 0.426, 0.04], [-0.053, 0.412, 0.07], [0.000, 0.426, 0.08],
        [0.053, 0.412, 0.07], [0.125, 0.426, 0.04], [0.196, 0.454, -0.02], [0.127, 0.513, 0.03],
        [0.056, 0.539, 0.05], [0.000, 0.546, 0.06], [-0.056, 0.539, 0.05], [-0.127, 0.513, 0.03],
        # inner lips 60..67
        [-0.169, 0.457, -0.01], [-0.053, 0.451, 0.05], [0.000, 0.459, 0.06], [0.053, 0.451, 0.05],
        [0.169, 0.457, -0.01], [0.054, 0.480, 0.04], [0.000, 0.487, 0.05], [-0.054, 0.480, 0.04],
    ],
    dtype=np.float64,
)

#: (68,) depth of each landmark towards the camera, face widths.
GENERIC_DEPTH = GENERIC_FACE[:, 2].copy()

#: iBUG-68 points of each eye: 36-41 on the image left of a frontal face, 42-47 on its right.
EYE_POINTS = (tuple(range(36, 42)), tuple(range(42, 48)))


def far_eye(yaw: float) -> int:
    """Which eye (an index into :data:`EYE_POINTS`) is turned away from the camera.

    Parameters
    ----------
    yaw : float
        Degrees, positive when the nose turns to the image right.
    """
    return 1 if yaw > 0 else 0


def line_degrees(start: np.ndarray, end: np.ndarray) -> float:
    """Tilt of the line from ``start`` to ``end`` (each shape (2,), pixels), degrees.

    0 is level, running to the image right; positive turns clockwise on the
    screen (image ``y`` points down).
    """
    dx, dy = np.asarray(end, np.float64)[:2] - np.asarray(start, np.float64)[:2]
    return math.degrees(math.atan2(dy, dx))


def eye_line_degrees(landmarks: np.ndarray) -> float:
    """Tilt of the line through the outer eye corners (iBUG 36 to 45), degrees; the face's roll.

    Parameters
    ----------
    landmarks : np.ndarray, shape (68, 2)
        iBUG-68 points, pixels.
    """
    return line_degrees(landmarks[36], landmarks[45])
