"""A second landmarker for the faces dlib's 68 points cannot follow: MediaPipe's face mesh.

dlib's shape predictor was trained on faces that look roughly at the camera;
on a near-profile it lays a whole frontal face over the cheek, and on a
bowed head with a hand at the mouth it puts the lids on brow wrinkles. The
face mesh (468 points with depth, one small convolution network) was trained
on faces in every pose and fits the whole head as one shape: the hidden half
of a near-profile comes from that shape, and so does a mouth behind fingers.
It needs the face's box (dlib's detectors give it) and runs on 192 x 192
crops turned upright, about 30 ms each (about 2 s for the 72 passes of
:func:`fit_landmarks`, so only where dlib's fit failed).

Each eye is then refitted by MediaPipe's eye network on a 64 x 64 crop of
it (:func:`refine_eye`) and moved onto the eye's dark opening nearby
(:func:`snap_eye`): at 192 pixels a near-profile's eye is a few pixels wide.

The networks are ``models/face_landmark.onnx`` and ``models/iris_landmark.onnx``
(see ``models/face_landmark.md`` for where they come from), run by
onnxruntime; each is loaded once per process.
"""

from __future__ import annotations

import functools
import math
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import SpeakerError
from ..face_model import line_degrees

MODEL_FILE = "face_landmark.onnx"
#: MediaPipe's eye network: the lids' contour in a crop around one eye.
EYE_MODEL_FILE = "iris_landmark.onnx"
#: Side of its square eye crop, pixels, and the crop's side in eye widths (MediaPipe's own is 2.3).
EYE_INPUT_SIDE = 64
EYE_CROP_OF_WIDTH = 2.3
#: Eyes narrower than this (pixels) keep the face mesh's points: too few pixels to refine.
MIN_EYE_WIDTH = 8.0
#: In the eye network's 16-point lid contour (corner, lower lid left to
#: right, corner, upper lid left to right, in the crop's left-to-right
#: order), the points standing for dlib's: left corner, upper left, upper
#: right, right corner, lower right, lower left.
EYE_CONTOUR_TO_IBUG = (0, 11, 13, 8, 5, 3)
#: dlib's points of each eye in that order (left corner first, in the image).
IBUG_EYES = ((36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47))
#: Side of the square crop the network sees, pixels.
INPUT_SIDE = 192
#: The crop is the face's box grown by this much about its centre (MediaPipe's own tracker uses 1.5).
CROP_GROW = 1.5
#: First crops: the face's box grown by each of these about its centre
#: (dlib's boxes are tight, brow to chin), turned by each of these angles
#: (degrees; the network wants the face upright and a bowed or tilted head
#: may be far from it).
START_GROWS = (1.2, 1.4, 1.6)
START_ANGLES = (0.0, -30.0, 30.0)
#: After each fit the crop is taken again around the fitted points, turned
#: so the eyes lie level, this many times.
REFINE_PASSES = 3
#: Fits at least this sure of the face are the ones whose median is taken.
AGREED_PRESENCE = 0.9
#: Face presence (the network's second output, a probability) below this for every fit: not a face.
MIN_PRESENCE = 0.5

#: Mesh vertex standing for each iBUG-68 landmark. Eye corners, lids, nose
#: and lips are the anatomically matching vertices; the jawline and brows,
#: which the two conventions draw differently, are the vertices nearest to
#: dlib's points on seven frontal evaluation portraits (mean distance 0.05
#: eye spans over all 68).
MESH_TO_IBUG68 = (
    # jaw 0..16
    127, 227, 147, 215, 172, 136, 149, 148, 152, 377, 378, 365, 397, 435, 376, 447, 356,
    # brows 17..26
    46, 53, 52, 65, 55, 285, 295, 282, 283, 276,
    # nose 27..35
    168, 197, 5, 4, 75, 97, 2, 326, 305,
    # eyes 36..47
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
    # outer lips 48..59
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
    # inner lips 60..67
    78, 82, 13, 312, 308, 317, 14, 87,
)
#: Mesh vertices of the eye corners (outer right, outer left of the subject) that set the crop's turn.
EYE_CORNERS = (33, 263)


def model_path(name: str = MODEL_FILE) -> Path:
    """Where a network file (by default the face mesh's) is installed."""
    return Path(str(resources.files("speaker.models") / name))


def is_available() -> bool:
    """Whether the network files are installed (nothing is loaded)."""
    return model_path(MODEL_FILE).is_file() and model_path(EYE_MODEL_FILE).is_file()


@functools.lru_cache(maxsize=2)
def _session(name: str = MODEL_FILE):
    import onnxruntime

    path = model_path(name)
    if not path.is_file():
        raise SpeakerError(f"The face mesh model {name} is missing from speaker/models; reinstall speaker.")
    options = onnxruntime.SessionOptions()
    # One image at a time, a few times per photo: one thread, no spinning cores.
    options.intra_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def fit_landmarks(image: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The iBUG-68 landmarks of the face in ``box``, from its face mesh.

    The network is run from several first crops (:data:`START_GROWS` x
    :data:`START_ANGLES`), on the photo and on its mirror image, each crop
    refined :data:`REFINE_PASSES` times; the landmarks are the median, point
    by point, of the fits the network is sure of (presence at least
    :data:`AGREED_PRESENCE`), which on a near-profile is steadier than any one
    of them (single fits scatter by 0.06-0.13 eye spans about it), else the
    surest fit. Each eye is then refined (:func:`refine_eye`, :func:`snap_eye`).

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
        RGB pixels.
    box : np.ndarray, shape (4,)
        The face's box ``(x0, y0, x1, y1)``, pixels (a detector's, or any
        box around the face from brows to chin).

    Returns
    -------
    landmarks : np.ndarray, shape (68, 2), float32
        Pixels; on a turned face the hidden ones where the mesh's shape puts
        them (behind the nose, the far jaw behind the cheek).
    presence : float
        The network's highest probability, over the fits, that its crop
        holds a face, 0 to 1.
    spread : float
        Mean distance of the agreeing fits' points from the median, in eye
        spans (outer corners 36-45); NaN when no fit was sure.
    """
    from .checks import MIRROR_INDEX

    height, width = image.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    mirrored = np.ascontiguousarray(image[:, ::-1])
    fits = []
    for flip in (False, True):
        picture = mirrored if flip else image
        centre = np.array([width - (x0 + x1) / 2.0 if flip else (x0 + x1) / 2.0, (y0 + y1) / 2.0])
        side = max(x1 - x0, y1 - y0)
        for grow in START_GROWS:
            for angle in START_ANGLES:
                mesh, presence = _refined(picture, centre, grow * side, angle)
                points = mesh[list(MESH_TO_IBUG68), :2]
                if flip:
                    points = np.column_stack([width - points[:, 0], points[:, 1]])[MIRROR_INDEX]
                fits.append((presence, points))
    best = max(presence for presence, _ in fits)
    agreed = np.array([points for presence, points in fits if presence >= AGREED_PRESENCE])
    if len(agreed) == 0:
        landmarks, spread = max(fits, key=lambda fit: fit[0])[1].copy(), float("nan")
    else:
        landmarks = np.median(agreed, axis=0)
        eye_span = max(float(np.linalg.norm(landmarks[45] - landmarks[36])), 1.0)
        spread = float(np.linalg.norm(agreed - landmarks, axis=2).mean()) / eye_span
    for eye in IBUG_EYES:
        refined = refine_eye(image, landmarks[eye[0]], landmarks[eye[3]], landmarks[list(eye)])
        landmarks[list(eye)] = snap_eye(image, refined)
    return landmarks.astype(np.float32), best, spread


#: :func:`snap_eye` tries shifts of the eye up to this far (eye widths) in
#: steps of :data:`SNAP_STEP`, and takes one only if it darkens the opening
#: against the skin by at least :data:`SNAP_GAIN` (a share of the ratio).
SNAP_REACH = 0.4
SNAP_STEP = 0.1
SNAP_GAIN = 0.1


def snap_eye(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The eye's six points moved, whole, onto the eye's dark opening nearby.

    On a near-profile both networks can leave the eye a few pixels off the
    lids (on the cheek below the sclera); the opening (lashes, iris, the
    lid's shadow) is darker than the skin around it, so of the shifts within
    :data:`SNAP_REACH` eye widths the one that makes it darkest is taken,
    when it is clearly darker than where the eye was.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    points : np.ndarray, shape (6, 2)
        Left corner, upper left, upper right, right corner, lower right, lower left, pixels.

    Returns
    -------
    np.ndarray, shape (6, 2), float64
    """
    from ..imaging import eye_opening_darkness

    points = np.asarray(points, np.float64)
    width = float(np.linalg.norm(points[3] - points[0]))
    start = eye_opening_darkness(image, points)
    if width < MIN_EYE_WIDTH or not np.isfinite(start):
        return points
    along = (points[3] - points[0]) / width
    down = np.array([-along[1], along[0]])
    steps = np.arange(-SNAP_REACH, SNAP_REACH + 1e-9, SNAP_STEP) * width
    best, best_points = start, points
    for step_along in steps:
        for step_down in steps:
            moved = points + step_along * along + step_down * down
            darkness = eye_opening_darkness(image, moved)
            if np.isfinite(darkness) and darkness < best:
                best, best_points = darkness, moved
    return best_points if best <= start * (1.0 - SNAP_GAIN) else points


def refine_eye(image: np.ndarray, left: np.ndarray, right: np.ndarray, points: np.ndarray) -> np.ndarray:
    """One eye's six iBUG points from MediaPipe's eye network, in a crop about its corners.

    The face mesh sees the whole face at 192 pixels, where a near-profile's
    eye is a few pixels wide and lands off the lids; the eye network sees
    the eye alone at 64 pixels. It is run on the crop and on its mirror
    image and the two contours averaged.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    left, right : np.ndarray, shape (2,)
        The eye's corners as the face mesh has them (image left first), pixels.
    points : np.ndarray, shape (6, 2)
        The mesh's six points of the eye (returned unchanged when the eye is
        narrower than :data:`MIN_EYE_WIDTH`).

    Returns
    -------
    np.ndarray, shape (6, 2), float64
        Left corner, upper left, upper right, right corner, lower right,
        lower left, pixels.
    """
    left, right = np.asarray(left, np.float64), np.asarray(right, np.float64)
    width = float(np.linalg.norm(right - left))
    if width < MIN_EYE_WIDTH:
        return np.asarray(points, np.float64)
    centre = (left + right) / 2.0
    angle = line_degrees(left, right)
    crop, back = _upright_crop(image, centre, angle, EYE_INPUT_SIDE / (EYE_CROP_OF_WIDTH * width), EYE_INPUT_SIDE)
    session = _session(EYE_MODEL_FILE)
    contours = []
    for flip in (False, True):
        picture = np.ascontiguousarray(crop[:, ::-1]) if flip else crop
        outline = np.asarray(session.run(None, {session.get_inputs()[0].name: _tensor(picture)})[0], np.float64)
        outline = outline.reshape(-1, 3)[:16, :2].copy()
        if flip:
            # Mirrored back, the contour runs right to left: corners swap, each lid reverses.
            outline[:, 0] = EYE_INPUT_SIDE - outline[:, 0]
            outline = outline[[8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9]]
        contours.append(outline)
    contour = np.mean(contours, axis=0)[list(EYE_CONTOUR_TO_IBUG)]
    return contour @ back[:, :2].T + back[:, 2]


def _refined(image: np.ndarray, centre: np.ndarray, side: float, angle: float) -> tuple[np.ndarray, float]:
    """The mesh from a first crop, refitted :data:`REFINE_PASSES` times on a crop around itself, turned upright."""
    mesh, presence = _run(image, centre, side, angle)
    for _ in range(REFINE_PASSES):
        turn = line_degrees(mesh[EYE_CORNERS[0]], mesh[EYE_CORNERS[1]])
        low, high = mesh[:, :2].min(axis=0), mesh[:, :2].max(axis=0)
        mesh, presence = _run(image, (low + high) / 2.0, CROP_GROW * float((high - low).max()), turn)
    return mesh, presence


def _run(image: np.ndarray, centre: np.ndarray, side: float, angle: float) -> tuple[np.ndarray, float]:
    """One pass of the network on the square of ``side`` pixels about ``centre``, turned by ``angle`` degrees."""
    scale = INPUT_SIDE / max(side, 1.0)
    crop, back = _upright_crop(image, centre, angle, scale, INPUT_SIDE)
    session = _session()
    points, logit = session.run(None, {session.get_inputs()[0].name: _tensor(crop)})
    points = np.asarray(points, np.float64).reshape(468, 3)
    xy = points[:, :2] @ back[:, :2].T + back[:, 2]
    z = points[:, 2] / scale
    presence = 1.0 / (1.0 + math.exp(-float(np.asarray(logit).ravel()[0])))
    return np.column_stack([xy, z]), presence


def _upright_crop(image: np.ndarray, centre: np.ndarray, angle: float, scale: float,
                  side: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``side`` x ``side`` crop about ``centre``, turned by ``angle`` degrees and scaled, and the map back.

    Returns
    -------
    crop : np.ndarray, shape (side, side, 3), uint8
    back : np.ndarray, shape (2, 3)
        The affine map from crop pixels to photo pixels.
    """
    import cv2

    centre = np.asarray(centre, np.float64)
    warp = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
    warp[:, 2] += side / 2.0 - centre
    crop = cv2.warpAffine(np.ascontiguousarray(image), warp, (side, side), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    return crop, cv2.invertAffineTransform(warp)


def _tensor(crop: np.ndarray) -> np.ndarray:
    """A uint8 RGB crop as the networks' input: (1, 3, side, side) float32 in [0, 1]."""
    return (crop.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
