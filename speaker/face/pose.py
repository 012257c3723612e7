"""The head pose of a photo's face: the generic 3D face fitted to its landmarks by PnP.

dlib's 68 points are trained mostly on faces that look at the camera; on a
face turned beyond about 30 degrees the far half of the jawline slides onto
the visible cheek's outline instead of following the hidden jaw. The fit
uses the points that stay reliable when the head turns (brows, eyes, nose,
mouth, chin and the near half of the jaw), and gives the pose, the depth of
every landmark and where the generic face puts the hidden ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..face_model import GENERIC_FACE, eye_line_degrees

#: Landmarks that stay reliable on a turned face: brows, nose, eyes, mouth and the chin.
RELIABLE = tuple(range(17, 68)) + (7, 8, 9)
#: Jaw landmarks on each half of the face (0-7 is the image left of a frontal face).
LEFT_JAW = tuple(range(0, 8))
RIGHT_JAW = tuple(range(9, 17))
#: Beyond this yaw (degrees) the far half of the jawline is taken from the fit.
FIT_FAR_JAW_FROM = 25.0
#: Focal length of the fitting camera in image long sides: long enough to be
#: nearly orthographic, as a portrait lens is at a portrait's distance.
FOCAL_OF_SIDE = 4.0
#: Starting yaws (degrees) tried by the fit; the one with the smallest error wins.
START_YAWS = (0.0, -45.0, 45.0)


@dataclass(frozen=True)
class FacePose:
    """A face's pose from the generic 3D face.

    Attributes
    ----------
    yaw, pitch, roll : float
        Degrees. ``yaw`` is positive when the nose turns to the image right
        (the sign of :func:`speaker.face.estimate_yaw_degrees`), ``pitch``
        positive when it points down, ``roll`` clockwise in the image.
    projected : np.ndarray, shape (68, 2)
        The fitted generic face's landmarks in pixels.
    depth : np.ndarray, shape (68,)
        Each landmark's depth towards the camera, pixels, mean zero.
    error : float
        Mean distance of the reliable landmarks from the fit, in eye
        distances (outer corner 36 to 45); about 0.03-0.06 for a real face.
    """

    yaw: float
    pitch: float
    roll: float
    projected: np.ndarray
    depth: np.ndarray
    error: float


def fit_pose(landmarks: np.ndarray, image_size: tuple[int, int]) -> FacePose:
    """Fit the generic 3D face to 68 landmarks.

    Parameters
    ----------
    landmarks : np.ndarray, shape (68, 2)
        iBUG-68 landmarks in pixels.
    image_size : tuple of int
        ``(width, height)`` of the photo, pixels.

    Returns
    -------
    FacePose
    """
    import cv2

    lm = np.asarray(landmarks, np.float64)
    width, height = image_size
    focal = FOCAL_OF_SIDE * max(width, height)
    camera = np.array([[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]])
    # OpenCV's camera looks along +z; the model's z points towards the camera.
    model = GENERIC_FACE * np.array([1.0, 1.0, -1.0])
    reliable = list(RELIABLE)
    eye_span = max(float(np.linalg.norm(lm[45] - lm[36])), 1.0)
    model_span = float(np.linalg.norm(model[45] - model[36]))
    distance = focal * model_span / eye_span
    centre = lm[[36, 45, 48, 54]].mean(axis=0)
    start_t = np.array([(centre[0] - width / 2) * distance / focal, (centre[1] - height / 2) * distance / focal,
                        distance])
    roll = math.radians(eye_line_degrees(lm))

    best = None
    for start_yaw in START_YAWS:
        rotation = _rotation(math.radians(start_yaw), roll)
        rvec, _ = cv2.Rodrigues(rotation)
        ok, rvec, tvec = cv2.solvePnP(model[reliable], lm[reliable], camera, None, rvec.copy(),
                                      start_t.reshape(3, 1).copy(), useExtrinsicGuess=True,
                                      flags=cv2.SOLVEPNP_ITERATIVE)
        if not ok or float(tvec.ravel()[2]) <= 0:
            continue
        projected = cv2.projectPoints(model, rvec, tvec, camera, None)[0][:, 0]
        error = float(np.linalg.norm(projected[reliable] - lm[reliable], axis=1).mean()) / eye_span
        if best is None or error < best[0]:
            best = (error, rvec, tvec, projected)
    if best is None:
        return FacePose(0.0, 0.0, math.degrees(roll), lm.copy(), np.zeros(68), math.inf)
    error, rvec, tvec, projected = best
    rotation, _ = cv2.Rodrigues(rvec)
    forward = -rotation[:, 2]  # the model's +z (towards the camera) in camera coordinates
    yaw = math.degrees(math.atan2(forward[0], -forward[2]))
    pitch = math.degrees(math.asin(float(np.clip(forward[1], -1.0, 1.0))))
    scale = focal / float(tvec.ravel()[2])  # pixels per face width
    camera_z = (model @ rotation.T)[:, 2]
    depth = -(camera_z - camera_z.mean()) * scale
    return FacePose(yaw, pitch, math.degrees(roll), projected, depth, error)


def complete_turned_face(landmarks: np.ndarray, pose: FacePose) -> np.ndarray:
    """Landmarks whose far jawline, on a turned face, never folds over onto the face.

    Parameters
    ----------
    landmarks : np.ndarray, shape (68, 2)
        dlib's landmarks, pixels.
    pose : FacePose
        Their fit (:func:`fit_pose`).

    Returns
    -------
    np.ndarray, shape (68, 2), float32
        Unchanged below :data:`FIT_FAR_JAW_FROM` degrees of yaw. Beyond it
        each far jaw point is dlib's where dlib put it on the visible outline
        of the far cheek (further from the nose than the fitted face's hidden
        jaw point), else, where dlib's point has slid in over the face, the
        fitted face's. (The fitted hidden points themselves, all taken, would
        bunch up behind the nose and leave the far cheek to the head's rigid
        outline points: a warp with a seam beside the nose.)
    """
    result = np.asarray(landmarks, np.float64).copy()
    if abs(pose.yaw) >= FIT_FAR_JAW_FROM and math.isfinite(pose.error):
        far = list(RIGHT_JAW if pose.yaw > 0 else LEFT_JAW)
        side = 1.0 if pose.yaw > 0 else -1.0
        # Distance outwards from the nose bridge along the eye line.
        axis = result[45] - result[36]
        axis = side * axis / max(float(np.linalg.norm(axis)), 1e-6)
        dlib_out = (result[far] - result[27]) @ axis
        fit_out = (pose.projected[far] - result[27]) @ axis
        slid_in = dlib_out < fit_out
        result[np.array(far)[slid_in]] = pose.projected[np.array(far)[slid_in]]
    return result.astype(np.float32)


def _rotation(yaw: float, roll: float) -> np.ndarray:
    """Camera-frame rotation (3, 3) of the model: yaw about the vertical, then roll in the image (radians)."""
    cy, sy = math.cos(yaw), math.sin(yaw)
    cr, sr = math.cos(roll), math.sin(roll)
    # Turning the nose to the image right: the model's -z (towards the camera) gains +x.
    yaw_matrix = np.array([[cy, 0.0, -sy], [0.0, 1.0, 0.0], [sy, 0.0, cy]])
    roll_matrix = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
    return roll_matrix @ yaw_matrix
