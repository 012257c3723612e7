"""The warp mesh of a portrait: landmarks, extra points, depth and triangles.

Everything here depends on the portrait only and is built once. Points are
laid out in a face-local frame (``a`` along the eye line, ``b`` down the face,
in units of the face width) so that a tilted photo gets a tilted mesh.

Point groups, in the order of the point array:

- ``face``: the 68 iBUG landmarks (move with the head and the expression).
- ``forehead``: an arc above the brows (rigid with the head).
- ``outline``: the head's silhouette with its hair (rigid with the head).
- ``neck``: below the jaw (follows the head by :data:`NECK_FOLLOW`).
- ``collar``: shoulders/collar (follows by :data:`COLLAR_FOLLOW`).
- ``halo``: a ring around the head that takes :data:`HALO_FOLLOW` of the
  head's motion, so the background bends smoothly instead of tearing.
- ``beard``: two rows just outside the lower jawline that follow the jaw
  landmark they hang from (:data:`BEARD_ROWS`): the chin, a beard and the
  jawline below the mouth drop with an open jaw instead of stretching.
- ``ring``: the border of the region of interest; never moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face_model import GENERIC_DEPTH, far_eye
from ..types import Portrait

#: Generic depth of the 68 iBUG landmarks towards the camera, in face widths
#: (jaw landmark 0 to 16), zero near the plane of the eyes: the generic 3D
#: face's (see :mod:`speaker.face_model`), used when a portrait carries no depth.
GENERIC_LANDMARK_DEPTH = GENERIC_DEPTH

#: Centre of the head (for depths of the skull) and the pivot of head
#: rotations (the top of the neck), face-local (a, b, z) in face widths.
HEAD_CENTRE_Z = -0.6
PIVOT_LOCAL = (0.0, 0.40, -0.62)

#: Forehead arc: ellipse (centre b, semi-axes) and angles in degrees.
FOREHEAD_CENTRE_B = -0.12
FOREHEAD_AXES = (0.46, 0.44)
FOREHEAD_ANGLES = (150.0, 125.0, 105.0, 90.0, 75.0, 55.0, 30.0)
#: Head silhouette with hair: ellipse and angles (0 = right, 90 = top).
OUTLINE_CENTRE_B = -0.05
OUTLINE_AXES = (0.68, 0.86)
OUTLINE_ANGLES = tuple(float(t) for t in np.arange(-38.0, 219.0, 21.5))
#: Neck points (a, b) below the jaw and collar points further down.
NECK_POINTS = ((-0.30, 0.98), (0.0, 1.06), (0.30, 0.98), (-0.34, 1.20), (0.34, 1.20))
COLLAR_POINTS = ((-0.95, 1.40), (-0.5, 1.42), (0.0, 1.45), (0.5, 1.42), (0.95, 1.40))
#: Halo ring: ellipse around the head; points below HALO_MAX_B are left to
#: the neck and collar.
HALO_CENTRE_B = 0.0
HALO_AXES = (1.02, 1.22)
HALO_ANGLES = tuple(float(t) for t in np.arange(0.0, 360.0, 30.0))
HALO_MAX_B = 0.75
#: How much of the head's motion the lower parts take (0 still, 1 rigid).
NECK_FOLLOW = 0.45
COLLAR_FOLLOW = 0.12
HALO_FOLLOW = 0.28
#: How much of the chin's expressive drop the neck points follow.
NECK_CHIN_FOLLOW = 0.55
#: Region of interest: margin around all moving points, face widths.
ROI_MARGIN = 0.32
#: Points along each side of the fixed border ring (corners included).
RING_POINTS_PER_SIDE = 6
#: Minimum half-gap of the inner lips in the triangulation reference shape,
#: so the mouth opening is always triangulated on its own.
REFERENCE_HALF_GAP = 0.018

#: Beard/chin rows: (distance outside the jawline in face widths, share of
#: their jaw landmark's movement they take), hung from the jaw landmarks
#: BEARD_ANCHORS. Further out they take less, fading into the neck.
BEARD_ROWS = ((0.1, 1.0), (0.2, 0.8))
BEARD_ANCHORS = tuple(range(5, 12))
#: Depth of a beard point behind its jaw landmark, face widths.
BEARD_DEPTH_BEHIND = 0.04

GROUPS = ("face", "forehead", "outline", "neck", "collar", "halo", "ring", "beard")

#: Inner-lip polygon and lid landmarks (iBUG-68 indices).
INNER_LIPS = tuple(range(60, 68))
INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))


@dataclass
class FaceFrame:
    """The face-local frame of a portrait.

    Attributes
    ----------
    origin : np.ndarray, shape (2,)
        Midpoint between the eye centres, pixels.
    right, down : np.ndarray, shape (2,)
        Unit vectors of the local ``a`` and ``b`` axes in the image.
    width : float
        Face width in pixels (landmark 0 to 16).
    """

    origin: np.ndarray
    right: np.ndarray
    down: np.ndarray
    width: float

    def to_image(self, ab: np.ndarray) -> np.ndarray:
        """Face-local (a, b) in face widths, shape (N, 2) -> pixels (N, 2)."""
        ab = np.asarray(ab, np.float64).reshape(-1, 2)
        return self.origin + self.width * (ab[:, :1] * self.right + ab[:, 1:] * self.down)

    def to_local(self, xy: np.ndarray) -> np.ndarray:
        """Pixels (N, 2) -> face-local (a, b) in face widths (N, 2)."""
        d = (np.asarray(xy, np.float64).reshape(-1, 2) - self.origin) / self.width
        return np.stack([d @ self.right, d @ self.down], axis=1)


def face_frame(landmarks: np.ndarray) -> FaceFrame:
    """The face-local frame of 68 landmarks, shape (68, 2) pixels."""
    lm = np.asarray(landmarks, np.float64)
    left_eye = lm[36:42].mean(axis=0)
    right_eye = lm[42:48].mean(axis=0)
    right = right_eye - left_eye
    right /= max(np.linalg.norm(right), 1e-6)
    down = np.array([-right[1], right[0]])
    width = max(float(np.linalg.norm(lm[16] - lm[0])), 8.0)
    return FaceFrame((left_eye + right_eye) / 2, right, down, width)


@dataclass
class FaceMesh:
    """The precomputed warp mesh of one portrait.

    Attributes
    ----------
    points : np.ndarray, shape (N, 2), float64
        Neutral point positions in image pixels (the first 68 are the landmarks).
    depth : np.ndarray, shape (N,), float64
        Depth of each point towards the camera, pixels.
    group : np.ndarray, shape (N,), int
        Index into :data:`GROUPS` of each point.
    triangles : np.ndarray, shape (M, 3), int
        Vertex indices of the triangles.
    roi : tuple of int
        ``(x0, y0, x1, y1)`` the region that may change (x1, y1 exclusive).
    frame : FaceFrame
        The face-local frame.
    pivot : np.ndarray, shape (3,)
        Rotation pivot (x, y pixels, z pixels).
    beard_anchor : np.ndarray, shape (B,), int
        For each ``beard`` point (in point order), the jaw landmark it hangs from.
    beard_follow : np.ndarray, shape (B,)
        The share of that landmark's expressive movement it takes.
    """

    points: np.ndarray
    depth: np.ndarray
    group: np.ndarray
    triangles: np.ndarray
    roi: tuple[int, int, int, int]
    frame: FaceFrame
    pivot: np.ndarray
    beard_anchor: np.ndarray
    beard_follow: np.ndarray

    def indices(self, name: str) -> np.ndarray:
        """Indices of the points of one group."""
        return np.flatnonzero(self.group == GROUPS.index(name))


def _ellipse(centre_b: float, axes: tuple[float, float], angles_deg) -> np.ndarray:
    t = np.radians(np.asarray(angles_deg, np.float64))
    return np.stack([axes[0] * np.cos(t), centre_b - axes[1] * np.sin(t)], axis=1)


#: A landmark lies behind the face the photo shows at its place when it is inside the landmarks'
#: outline (more than HIDDEN_INSIDE face widths from it) and landmarks within HIDDEN_NEIGHBOURHOOD
#: face widths of it in the photo are more than HIDDEN_BEHIND face widths nearer the camera.
HIDDEN_INSIDE = 0.03
HIDDEN_NEIGHBOURHOOD = 0.15
HIDDEN_BEHIND = 0.3


def seen_depth(landmarks: np.ndarray, depth: np.ndarray, face_width: float) -> np.ndarray:
    """The depth of the surface the photo shows at each landmark: a hidden landmark takes its nearer neighbours'.

    On a near-profile the 3D fit puts the far half's landmarks (far jawline,
    far eye, far mouth corner) where the head has them, behind the near half
    of the face, and the photo shows the near half at their place. Turned by
    the head's motion with their own depth, they moved unlike the skin around
    them and the mesh folded: on the native woman (61 degrees) the far jaw's
    top (1.27 face widths behind the near eye's corner beside it) drew a dark
    line, the eye's corner mirrored, across her cheek at a 2 degree turn.
    Hidden so, a landmark moves as the surface in front of it: it takes the
    depth of those nearer neighbours, weighted by nearness. The face's
    outline (a frontal face's jaw by the ears, deep beside the brows' ends) is
    not hidden.

    Parameters
    ----------
    landmarks : np.ndarray, shape (68, 2)
        Pixels.
    depth : np.ndarray, shape (68,)
        Towards the camera, pixels.
    face_width : float
        Pixels.

    Returns
    -------
    np.ndarray, shape (68,), float64
    """
    lm = np.asarray(landmarks, np.float64)
    seen = np.asarray(depth, np.float64).copy()
    outline = cv2.convexHull(lm.astype(np.float32))
    inside = np.array([cv2.pointPolygonTest(outline, (float(x), float(y)), True) for x, y in lm]) / face_width
    apart = np.linalg.norm(lm[:, None] - lm[None], axis=-1) / face_width
    # A few passes: a hidden point's neighbours in front may be hidden points raised in the same pass.
    for _ in range(3):
        before = seen.copy()
        for index in np.flatnonzero(inside > HIDDEN_INSIDE):
            in_front = (apart[index] < HIDDEN_NEIGHBOURHOOD) & (before - before[index] > HIDDEN_BEHIND * face_width)
            if in_front.any():
                seen[index] = np.average(before[in_front], weights=1.0 / (apart[index, in_front] + 0.02))
        if np.array_equal(seen, before):
            break
    return seen


def _skull_depth(ab: np.ndarray) -> np.ndarray:
    """Depth (face widths) of points on the skull's front, from an ellipsoid."""
    a, b = ab[:, 0], ab[:, 1]
    inside = 1.0 - (a / 0.62) ** 2 - ((b - 0.1) / 1.0) ** 2
    return HEAD_CENTRE_Z + 0.62 * np.sqrt(np.clip(inside, 0.0, 1.0))


def build_mesh(portrait: Portrait) -> FaceMesh:
    """Build the warp mesh of a portrait.

    Parameters
    ----------
    portrait : Portrait
        The photo and its neutral landmarks.

    Returns
    -------
    FaceMesh
    """
    lm = np.asarray(portrait.landmarks, np.float64)
    frame = face_frame(lm)
    fw = frame.width
    height, width = portrait.image.shape[:2]

    forehead = _ellipse(FOREHEAD_CENTRE_B, FOREHEAD_AXES, FOREHEAD_ANGLES)
    outline = _ellipse(OUTLINE_CENTRE_B, OUTLINE_AXES, OUTLINE_ANGLES)
    neck = np.array(NECK_POINTS, np.float64)
    collar = np.array(COLLAR_POINTS, np.float64)
    halo = _ellipse(HALO_CENTRE_B, HALO_AXES, HALO_ANGLES)
    halo = halo[halo[:, 1] < HALO_MAX_B]

    # Place the extra points relative to the photo's own chin and brows, not
    # only to the average face: shift the lower groups with the chin.
    chin_b = frame.to_local(lm[8:9])[0, 1]
    lower_shift = np.array([0.0, chin_b - 0.78])
    neck = neck + lower_shift
    collar = collar + lower_shift

    extra_local = [forehead, outline, neck, collar, halo]
    extra_xy = [frame.to_image(p) for p in extra_local]
    beard_xy, beard_anchor, beard_follow = _beard_points(lm, fw)

    if portrait.depth is not None and np.all(np.isfinite(portrait.depth)):
        face_z = np.asarray(portrait.depth, np.float64)
        face_z = face_z - face_z.mean() + GENERIC_LANDMARK_DEPTH.mean() * fw
    else:
        face_z = GENERIC_LANDMARK_DEPTH * fw
    face_z = seen_depth(lm, face_z, fw)
    extra_z = [
        _skull_depth(forehead) * fw,
        np.full(len(outline), HEAD_CENTRE_Z * fw),
        np.full(len(neck), -0.35 * fw),
        np.full(len(collar), -0.3 * fw),
        np.full(len(halo), HEAD_CENTRE_Z * fw),
    ]

    moving = np.concatenate([lm] + extra_xy + [beard_xy])
    x0, y0 = moving.min(axis=0) - ROI_MARGIN * fw
    x1, y1 = moving.max(axis=0) + ROI_MARGIN * fw
    roi = (
        int(max(0, np.floor(x0))),
        int(max(0, np.floor(y0))),
        int(min(width, np.ceil(x1))),
        int(min(height, np.ceil(y1))),
    )
    # The fixed ring sits on the ROI's border (last pixel row/column inclusive).
    rx = np.linspace(roi[0], roi[2] - 1, RING_POINTS_PER_SIDE)
    ry = np.linspace(roi[1], roi[3] - 1, RING_POINTS_PER_SIDE)
    ring = np.concatenate(
        [
            np.stack([rx, np.full_like(rx, roi[1])], 1),
            np.stack([rx, np.full_like(rx, roi[3] - 1)], 1),
            np.stack([np.full_like(ry[1:-1], roi[0]), ry[1:-1]], 1),
            np.stack([np.full_like(ry[1:-1], roi[2] - 1), ry[1:-1]], 1),
        ]
    )
    # Extra points that fall outside the ROI (photo cut at the chin or the
    # top of the head) are dropped: the ring pins the border anyway.
    groups = [np.zeros(68, int)]
    kept_xy, kept_z = [lm], [face_z]
    for gi, (xy, z) in enumerate(zip(extra_xy, extra_z), start=1):
        inside = _inside(xy, roi)
        kept_xy.append(xy[inside])
        kept_z.append(z[inside])
        groups.append(np.full(int(inside.sum()), gi, int))
    kept_xy.append(ring)
    kept_z.append(np.zeros(len(ring)))
    groups.append(np.full(len(ring), GROUPS.index("ring"), int))
    inside = _inside(beard_xy, roi)
    kept_xy.append(beard_xy[inside])
    kept_z.append(face_z[beard_anchor[inside]] - BEARD_DEPTH_BEHIND * fw)
    groups.append(np.full(int(inside.sum()), GROUPS.index("beard"), int))

    points = np.concatenate(kept_xy)
    depth = np.concatenate(kept_z)
    group = np.concatenate(groups)

    # Slivers are judged in the shape that was triangulated: a closed mouth's inner-lip triangles
    # have no area in the photo (dlib puts 63 on 65 on Grace Hopper) but open with the lips;
    # dropped, they left a hole whose pixels showed the unwarped photo (her lower lip's
    # highlight as a speck on the opened upper lip).
    reference = _reference_shape(points, frame)
    triangles = _drop_slivers(delaunay(reference), reference)

    pivot_xy = frame.to_image(np.array([PIVOT_LOCAL[:2]]))[0]
    pivot = np.array([pivot_xy[0], pivot_xy[1], PIVOT_LOCAL[2] * fw])
    return FaceMesh(points, depth, group, triangles, roi, frame, pivot,
                    beard_anchor[inside], beard_follow[inside])


def _inside(xy: np.ndarray, roi: tuple[int, int, int, int]) -> np.ndarray:
    """Which points (N, 2) lie inside the ROI, clear of its border ring."""
    return (
        (xy[:, 0] > roi[0] + 2) & (xy[:, 0] < roi[2] - 3)
        & (xy[:, 1] > roi[1] + 2) & (xy[:, 1] < roi[3] - 3)
    )


def _beard_points(landmarks: np.ndarray, face_width: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of points outside the lower jawline (see :data:`BEARD_ROWS`).

    Returns
    -------
    xy : np.ndarray, shape (B, 2)
        Pixels.
    anchor : np.ndarray, shape (B,), int
        The jaw landmark each hangs from.
    follow : np.ndarray, shape (B,)
        Share of that landmark's movement each takes.
    """
    # Outward from the middle of the mouth, the way the jaw drops and the beard hangs.
    centre = landmarks[[51, 57]].mean(axis=0)
    xy, anchor, follow = [], [], []
    for distance, share in BEARD_ROWS:
        for index in BEARD_ANCHORS:
            out = landmarks[index] - centre
            out = out / max(float(np.linalg.norm(out)), 1e-6)
            xy.append(landmarks[index] + distance * face_width * out)
            anchor.append(index)
            follow.append(share)
    return np.array(xy, np.float64).reshape(-1, 2), np.array(anchor, int), np.array(follow, np.float64)


def _reference_shape(points: np.ndarray, frame: FaceFrame) -> np.ndarray:
    """Points with the inner lips held apart, for a triangulation whose
    mouth opening is made of inner-lip triangles only (so the lips can part
    and close without tearing)."""
    ref = points.copy()
    half = REFERENCE_HALF_GAP * frame.width
    for upper, lower in INNER_LIP_PAIRS:
        mid = (ref[upper] + ref[lower]) / 2
        gap = float((ref[lower] - ref[upper]) @ frame.down)
        h = max(gap / 2, half)
        ref[upper] = mid - h * frame.down
        ref[lower] = mid + h * frame.down
    return ref


#: Margin, in extents of the points, of the rectangle OpenCV triangulates in.
HULL_MARGIN = 10.0


def delaunay(points: np.ndarray) -> np.ndarray:
    """Delaunay triangles of distinct points, by OpenCV (scipy's import would cost a cold start half a second).

    Parameters
    ----------
    points : np.ndarray, shape (N, 2)
        Pixels.

    Returns
    -------
    np.ndarray, shape (M, 3), int64
        Vertex indices, each row ascending, rows sorted (a deterministic order).
    """
    # OpenCV's outer helper vertices sit a few rectangle sizes out, near enough to steal
    # thin triangles along the hull; a rectangle ten extents wider keeps them all.
    margin = HULL_MARGIN * (float(np.ptp(points, axis=0).max()) + 1.0)
    low = np.floor(points.min(axis=0) - margin)
    size = np.ceil(points.max(axis=0) + margin - low)
    subdivision = cv2.Subdiv2D((int(low[0]), int(low[1]), int(size[0]), int(size[1])))
    stored = np.asarray(points, np.float32)
    index_of = {}
    for index, (x, y) in enumerate(stored):
        subdivision.insert((float(x), float(y)))
        index_of.setdefault((float(x), float(y)), index)
    triangles = []
    # Triangles come back as corner coordinates; those touching the
    # subdivision's three outer helper vertices are not ours.
    for corners in subdivision.getTriangleList().reshape(-1, 3, 2):
        found = [index_of.get((float(x), float(y))) for x, y in corners]
        if None not in found:
            triangles.append(sorted(found))
    if not triangles:
        return np.zeros((0, 3), np.int64)
    return np.unique(np.array(triangles, np.int64), axis=0)


def _drop_slivers(triangles: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Remove zero-area triangles (collinear ring points) of ``points``, the triangulated shape."""
    p = points[triangles]
    e1, e2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    area = np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    return triangles[area > 1e-6]


#: On a face turned this far (degrees of the photo's fitted yaw) the far eye
#: is a sliver beside the nose bridge and is not blinked: a lid painted there
#: reads as a mark on the nose. On the generic face the far eye is
#: foreshortened to half the near one's width at 50 degrees and its inner
#: corner goes behind the nose bridge at about 59; the fits of real
#: near-profiles give 52-58 degrees where the far eye is already hidden.
FAR_EYE_HIDDEN_FROM_YAW = 50.0


def hidden_far_eye(pose: tuple[float, float, float] | None) -> int | None:
    """Which eye (0: landmarks 36-41, 1: 42-47) a near-profile hides behind its nose, if any.

    Parameters
    ----------
    pose : tuple of float or None
        The photo's head pose ``(yaw, pitch, roll)``, degrees (``Portrait.pose``);
        yaw positive when the nose turns to the image right.

    Returns
    -------
    int or None
        The far eye's index, or None below :data:`FAR_EYE_HIDDEN_FROM_YAW`.
    """
    if pose is None or not abs(float(pose[0])) >= FAR_EYE_HIDDEN_FROM_YAW:
        return None
    return far_eye(float(pose[0]))


def rotation_matrix(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rotation (3, 3) in the face-local frame (a right, b down, z to camera).

    Positive yaw moves the nose towards +a (image right for an upright face),
    positive pitch moves it down, positive roll turns the face clockwise in
    the image. Angles in degrees.
    """
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def pose_points(
    xy: np.ndarray, z: np.ndarray, pose: np.ndarray, mesh: FaceMesh, follow: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Apply a (fraction of a) head pose to points with depth.

    Parameters
    ----------
    xy : np.ndarray, shape (N, 2)
        Image positions before pose, pixels.
    z : np.ndarray, shape (N,)
        Depth towards the camera, pixels.
    pose : np.ndarray, shape (6,)
        yaw, pitch, roll (degrees), tx, ty (pixels), scale.
    mesh : FaceMesh
        Gives the face frame and the pivot.
    follow : float
        Fraction of the pose applied (1 rigid with the head).

    Returns
    -------
    xy : np.ndarray, shape (N, 2)
        Projected positions (weak perspective), pixels.
    z : np.ndarray, shape (N,)
        Depth after rotation, pixels (for drawing order).
    """
    yaw, pitch, roll, tx, ty, scale = (float(v) for v in pose)
    rot = rotation_matrix(yaw * follow, pitch * follow, roll * follow)
    fr = mesh.frame
    d = np.asarray(xy, np.float64) - mesh.pivot[:2]
    local = np.stack([d @ fr.right, d @ fr.down, np.asarray(z, np.float64) - mesh.pivot[2]], 1)
    turned = local @ rot.T
    s = 1.0 + (scale - 1.0) * follow
    out = mesh.pivot[:2] + s * (turned[:, :1] * fr.right + turned[:, 1:2] * fr.down)
    out = out + follow * np.array([tx, ty])
    return out, turned[:, 2] + mesh.pivot[2]


#: On a face turned this far (degrees of the photo's fitted yaw) the far jawline is hidden behind the chin
#: and lips, and its landmarks the fit puts there follow the lower lip and chin (:func:`hidden_jaw_weights`).
#: The three-quarter portraits (25-35 degrees) keep their jaw's own movement.
HIDDEN_JAW_FROM_YAW = 40.0
#: The outer lower lip, corner to corner, and the chin.
LOWER_LIP = (48, 59, 58, 57, 56, 55, 54)
CHIN = 8
#: On a near-profile (from FAR_EYE_HIDDEN_FROM_YAW) far jaw landmarks up to this far (face widths) beyond
#: the front of the mouth, between the lip and the chin, are hidden behind the chin's front too (on the
#: native woman 9-11 lie in the hair just past it), and follow the lowest front point of the lower lip
#: blended into the chin; lip points this close to the front (face widths) count as front points. On a
#: face turned less (dlib's points on Apsaroke, 42 degrees) they are the visible jawline and keep its
#: movement (taken with the lip, dlib re-detected her opening less: r 0.885 -> 0.848).
HIDDEN_JAW_PAST_FRONT = 0.1
FRONT_LIP_SPREAD = 0.01


def hidden_jaw_weights(landmarks: np.ndarray, pose: tuple[float, float, float] | None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Far jaw landmarks a turned face hides behind its lower lip and chin, and whose movement they take.

    On a near-profile the fit lays the far jawline over the lower face, between the lower lip and the
    chin (the native woman's landmark 12 sits on her lower lip). Moved as a jaw landmark it drops less
    than the lower lip around it when the jaw opens, so the lip slides over it and the mesh folds (a dark
    triangle under the lip). Such a point takes instead the movement of the lower lip at its place
    along the mouth, blended into the chin's by how far below the lip it lies.

    Parameters
    ----------
    landmarks : np.ndarray, shape (68, 2)
        The photo's landmarks, pixels.
    pose : tuple of float or None
        ``(yaw, pitch, roll)`` degrees (``Portrait.pose``); nothing is hidden below
        :data:`HIDDEN_JAW_FROM_YAW` of yaw.

    Returns
    -------
    indices : np.ndarray, shape (J,), int
        The hidden jaw landmarks.
    weights : np.ndarray, shape (J, 68)
        Each one's movement as weights of the landmarks' movements (rows sum to 1, zero on the hidden).
    """
    none = np.zeros(0, int), np.zeros((0, 68))
    if pose is None or not abs(float(pose[0])) >= HIDDEN_JAW_FROM_YAW:
        return none
    lm = np.asarray(landmarks, np.float64)
    local = face_frame(lm).to_local(lm)
    far = range(9, 17) if pose[0] > 0 else range(0, 8)
    lip = np.array(LOWER_LIP)
    order = np.argsort(local[lip, 0])
    lip_a, lip_b = local[lip[order], 0], local[lip[order], 1]
    (corner_a, corner_b), (other_a, other_b) = local[48], local[54]
    # The mouth's front is its far end (the far jaw's side); its lowest point there leads what lies beyond.
    ahead = 1.0 if pose[0] > 0 else -1.0
    front_a = lip_a[-1] if ahead > 0 else lip_a[0]
    at_front = lip[np.abs(local[lip, 0] - front_a) <= FRONT_LIP_SPREAD]
    front = int(at_front[np.argmax(local[at_front, 1])])
    indices, rows = [], []
    for index in far:
        a, b = local[index]
        # Within the mouth's span or just past its front, below the line between its corners (on a
        # turned, tilted face the far corner sits higher), not far below the chin.
        corner_line_b = corner_b + (a - corner_a) * (other_b - corner_b) / max(other_a - corner_a, 1e-9)
        past_front = ahead * (a - front_a) if abs(float(pose[0])) >= FAR_EYE_HIDDEN_FROM_YAW else -1.0
        if not (lip_a[0] < a < lip_a[-1] or 0.0 <= past_front <= HIDDEN_JAW_PAST_FRONT):
            continue
        if not corner_line_b < b < local[CHIN, 1] + 0.5:
            continue
        row = np.zeros(68)
        if past_front >= 0.0:
            row[front] = 1.0
            on_lip_b = local[front, 1]
        else:
            # The lower lip's point pair on either side of this one along the mouth, linearly.
            right = int(np.clip(np.searchsorted(lip_a, a), 1, len(lip_a) - 1))
            share = (a - lip_a[right - 1]) / max(lip_a[right] - lip_a[right - 1], 1e-9)
            row[lip[order][right - 1]] += 1.0 - share
            row[lip[order][right]] += share
            on_lip_b = (1.0 - share) * lip_b[right - 1] + share * lip_b[right]
        to_chin = float(np.clip((b - on_lip_b) / max(local[CHIN, 1] - on_lip_b, 1e-9), 0.0, 1.0))
        row *= 1.0 - to_chin
        row[CHIN] += to_chin
        indices.append(index)
        rows.append(row)
    if not indices:
        return none
    return np.array(indices, int), np.array(rows)
