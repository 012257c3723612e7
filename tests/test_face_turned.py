"""Near-profiles and faces dlib cannot fit: the face mesh of speaker.face.facemesh, on faces the test makes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from test_face import grace, grace_portrait  # noqa: F401  (the same photo's fixtures)

from speaker.errors import SpeakerError, SpeakerWarning
from speaker.face import _fit_with_mesh, _refusal, find_portrait, fit_pose, get_landmarker
from speaker.face.checks import MIRROR_INDEX
from speaker.face.facemesh import fit_landmarks

#: How far our renderer turns Grace Hopper's head for a near-profile dlib can no longer fit.
NEAR_PROFILE_YAW = 60.0


def _eye_span(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[45] - landmarks[36]))


def test_mesh_landmarks_match_dlibs_on_a_frontal_face(grace, grace_portrait):
    """On a face dlib fits well, the mesh's 68 points lie where dlib's do, point for point."""
    landmarks, presence, spread = fit_landmarks(grace, grace_portrait.box)
    assert landmarks.shape == (68, 2) and landmarks.dtype == np.float32
    assert presence > 0.9
    assert spread < 0.1
    error = np.linalg.norm(landmarks - grace_portrait.landmarks, axis=1) / _eye_span(grace_portrait.landmarks)
    assert np.median(error[17:]) < 0.08, np.round(error, 3)
    assert error[17:].max() < 0.3


def test_mesh_sees_the_mirror_image_mirrored(grace, grace_portrait):
    width = grace.shape[1]
    x0, y0, x1, y1 = grace_portrait.box
    landmarks, _, _ = fit_landmarks(grace, grace_portrait.box)
    mirrored, _, _ = fit_landmarks(np.ascontiguousarray(grace[:, ::-1]), np.array([width - x1, y0, width - x0, y1]))
    back = np.column_stack([width - mirrored[:, 0], mirrored[:, 1]])[MIRROR_INDEX]
    assert np.linalg.norm(back - landmarks, axis=1).mean() < 0.03 * _eye_span(landmarks)


@pytest.fixture(scope="module")
def near_profile(grace_portrait):
    """Grace Hopper's head turned 60 degrees by our own renderer, where her landmarks went, and its portrait."""
    from speaker.render import Renderer
    from speaker.render.mesh import build_mesh, pose_points
    from speaker.types import TrackFrame

    pose = np.array([NEAR_PROFILE_YAW, 0, 0, 0, 0, 1.0], np.float32)
    frame = Renderer(grace_portrait).render(TrackFrame(grace_portrait.landmarks, pose, np.zeros(6, np.float32),
                                                       0.0, np.zeros(2, np.float32)))
    mesh = build_mesh(grace_portrait)
    truth, _ = pose_points(grace_portrait.landmarks.astype(np.float64), mesh.depth[:68], pose, mesh)
    with pytest.warns(SpeakerWarning, match="MediaPipe's face mesh fitted it instead") as told:
        portrait = find_portrait(frame, False)
    assert len(told) == 1  # one line for the user, not one per detector pass
    return frame, truth, portrait


def test_near_profile_dlib_cannot_fit_is_found_by_the_mesh(near_profile):
    """dlib's fit of the turned head fails its checks; the mesh's is accepted, turned the
    right way, with eyes, nose and mouth where the renderer put them."""
    frame, truth, portrait = near_profile
    landmarker = get_landmarker("dlib")
    box, _, guessed = landmarker.detect(frame)[0]
    assert _refusal(landmarker, frame, box, guessed, fit_pose(guessed, frame.shape[1::-1])) is not None
    assert portrait.pose[0] > 30  # turned to the image right, as rendered
    assert portrait.depth is not None and np.all(np.isfinite(portrait.depth))
    near_half = list(range(17, 22)) + list(range(27, 31)) + list(range(36, 42)) + [48, 49, 50, 51, 57, 58, 59, 60, 61,
                                                                                   62, 66, 67]
    error = np.linalg.norm(portrait.landmarks[near_half] - truth[near_half], axis=1) / _eye_span(truth)
    assert np.median(error) < 0.15, np.round(error, 2)


def test_near_profile_opens_its_mouth_where_its_mouth_is(near_profile):
    """Animated, the mesh-fitted near-profile opens a dark mouth between its lips, and nothing moves far from the face."""
    from speaker.motion import mouth_landmarks
    from speaker.render import Renderer
    from speaker.types import TrackFrame

    frame, _, portrait = near_profile
    renderer = Renderer(portrait)
    pose = np.array([0, 0, 0, 0, 0, 1.0], np.float32)
    still = np.zeros(6, np.float32)
    open_jaw = np.array([0.9, 0, 0, 0, 0, 0], np.float32)
    rest = renderer.render(TrackFrame(portrait.landmarks, pose, still, 0.0, np.zeros(2, np.float32)))
    landmarks = mouth_landmarks(portrait.landmarks, open_jaw, 0.0, own_mouth=0.0)
    opened = renderer.render(TrackFrame(landmarks, pose, open_jaw, 0.0, np.zeros(2, np.float32)))
    lm = portrait.landmarks
    # Between the opened inner lips: its darker half (the cavity below the painted teeth) is dark.
    inside = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(landmarks[60:68]).astype(np.int32)], 1)
    inside = inside.astype(bool)
    grey_opened, grey_rest = opened[inside].mean(axis=1), rest[inside].mean(axis=1)
    assert inside.sum() > 20 and np.percentile(grey_opened, 25) < np.percentile(grey_rest, 25) - 30
    far = np.zeros(frame.shape[:2], bool)
    far[:, : int(lm[:, 0].min() - 1.5 * _eye_span(lm))] = True
    assert np.abs(opened[far].astype(int) - rest[far].astype(int)).max() <= 2


def test_what_the_mesh_cannot_see_keeps_the_landmarkers_refusal(grace):
    """A box on the flag, not a face: the mesh is not sure of any face there and the landmarker's reason stands."""
    refusal = SpeakerError("The landmarker's own reason.")
    flag = np.array([20.0, 20.0, 180.0, 180.0])
    _, presence, _ = fit_landmarks(grace, flag)
    assert presence < 0.5
    with pytest.raises(SpeakerError, match="landmarker's own reason"):
        _fit_with_mesh(grace, flag, refusal)


def test_eye_network_and_snap_put_the_lids_on_the_eye(grace, grace_portrait):
    """The eye network's lids lie on dlib's (Grace Hopper's open eyes); an eye moved
    off onto the cheek below is moved back onto the dark opening, and one on the eye stays."""
    from speaker.face.facemesh import IBUG_EYES, refine_eye, snap_eye

    lm = grace_portrait.landmarks.astype(np.float64)
    for eye in IBUG_EYES:
        points = lm[list(eye)]
        width = float(np.linalg.norm(points[3] - points[0]))
        refined = refine_eye(grace, points[0], points[3], points)
        assert np.linalg.norm(refined - points, axis=1).mean() < 0.15 * width
        assert np.linalg.norm(snap_eye(grace, points) - points, axis=1).max() < 0.15 * width
        down = np.array([0.0, 0.35 * width])
        snapped = snap_eye(grace, points + down)
        assert np.linalg.norm((snapped - points).mean(axis=0)) < 0.15 * width


def test_far_lip_points_past_the_silhouette_come_back_onto_the_face(grace_portrait):
    """A turned face's far lip points laid on the background beyond its edge (as the mesh lays them on the
    native woman's near-profile) move back just inside the edge; the dark line between the lips does not
    stop them, and a frontal face or a background as light as the skin keeps them where they are."""
    import cv2

    from speaker.face.silhouette import keep_lips_on_face

    lm = grace_portrait.landmarks.astype(np.float64)
    edge = int(round(lm[48:68, 0].mean() + 0.55 * (lm[54, 0] - lm[48:68, 0].mean())))
    image = np.full((int(lm[:, 1].max()) + 40, int(lm[:, 0].max()) + 40, 3), 200, np.uint8)
    image[:, edge:] = 30  # the face ends here, in front of dark hair
    seam = np.round(lm[[60, 61, 62, 63, 64]]).astype(np.int32)
    cv2.polylines(image, [seam], False, (60, 60, 60), 2)
    kept = keep_lips_on_face(image, lm, 60.0)
    past = np.flatnonzero(lm[48:68, 0] > edge) + 48
    assert {53, 54, 55, 64} <= set(past.tolist())
    assert np.all(kept[past, 0] < edge) and np.all(kept[past, 0] > edge - 3)
    assert np.allclose(kept[past, 1], lm[past, 1], atol=1.0)  # back along the eye line, at their own height
    # The far corners stay distinct points (no two lip points meet that the photo had apart).
    assert len(np.unique(np.round(kept[48:68], 2), axis=0)) == len(np.unique(np.round(lm[48:68], 2), axis=0))
    others = np.setdiff1d(np.arange(68), past)
    assert np.array_equal(kept[others], lm[others])
    assert np.array_equal(keep_lips_on_face(image, lm, 10.0), lm)
    assert np.array_equal(keep_lips_on_face(np.full_like(image, 180), lm, 60.0), lm)


def signed_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Twice the signed area of each triangle (T,) of ``points`` (N, 2): its sign flips when the mesh folds it over."""
    p = points[triangles]
    e1, e2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    return e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]


def _turned_with_open_jaw(grace_portrait, landmarks: np.ndarray):
    """Grace Hopper's photo with the given landmarks (68, 2) as a face turned 60 degrees, and a frame
    of her jaw fully open (the motion stage's own landmarks, no head pose)."""
    import dataclasses

    from speaker.motion import mouth_landmarks
    from speaker.types import TrackFrame

    turned = dataclasses.replace(grace_portrait, landmarks=landmarks.astype(np.float32), pose=(60.0, 0.0, 0.0))
    open_jaw = np.array([1.0, 0, 0, 0, 0, 0], np.float32)
    target = mouth_landmarks(turned.landmarks, open_jaw, 0.0, own_mouth=0.0)
    frame = TrackFrame(target, np.array([0, 0, 0, 0, 0, 1.0], np.float32), open_jaw, 0.0, np.zeros(2, np.float32))
    return turned, frame


def test_far_jaw_hidden_behind_the_lower_lip_opens_with_it(grace_portrait):
    """On a turned face whose fit put a far jaw point on the lower lip (the native woman's landmark 12),
    an open jaw moves that point with the lip: no triangle of the warp mesh folds over (a fold drew a dark
    triangle under her lip). The same face seen from the front keeps its jaw landmarks' own movement."""
    import dataclasses

    from speaker.render import Renderer

    lm = grace_portrait.landmarks.astype(np.float64)
    lm[12] = 0.5 * (lm[57] + lm[58]) + 0.3 * (lm[66] - lm[57])  # on the lower lip, as a near-profile fit has it
    turned, frame = _turned_with_open_jaw(grace_portrait, lm)

    def folded(portrait):
        renderer = Renderer(portrait)
        moved = renderer._targets(frame)[0]
        tri = renderer.mesh.triangles

        # A fold turns a triangle over; a closed mouth's inner-lip triangles have no area in the photo and open.
        return int(np.sum(signed_areas(renderer.mesh.points, tri) * signed_areas(moved, tri) < 0)), renderer

    folds, renderer = folded(turned)
    assert folds == 0
    assert 12 in renderer.hidden_jaw
    frontal, renderer = folded(dataclasses.replace(turned, pose=(0.0, 0.0, 0.0)))
    assert len(renderer.hidden_jaw) == 0 and frontal > 0  # moved as a jaw point, the lip folds over it


def test_far_jaw_just_past_the_mouths_front_drops_with_lip_and_chin(grace_portrait):
    """On a near-profile the fit puts far jaw points in the hair just past the front of the mouth,
    between the lower lip and the chin (the native woman's 9-11). Moved as jaw points they dropped
    less than the lip and the chin around them, so the skin under the lip's front sheared into a
    light notch with a dark wedge under it. Hidden behind the chin's front, such a point drops with
    the lip's front and the chin; the same face seen from the front keeps its jaw point's movement."""
    import dataclasses

    from speaker.render import Renderer

    lm = grace_portrait.landmarks.astype(np.float64)
    width = float(np.linalg.norm(lm[16] - lm[0]))
    # Just past the mouth's far corner (54), halfway down to the chin, as a near-profile fit has it.
    lm[11] = lm[54] + np.array([0.05 * width, 0.5 * (lm[8, 1] - lm[54, 1])])
    turned, frame = _turned_with_open_jaw(grace_portrait, lm)
    target = np.asarray(frame.landmarks, np.float64)

    def drops(portrait):
        renderer = Renderer(portrait)
        moved = renderer._targets(frame)[0]
        return (moved - renderer.mesh.points)[[11, 54, 8], 1], renderer

    own = float(target[11, 1] - lm[11, 1])
    (point, lip_front, chin), renderer = drops(turned)
    assert 11 in renderer.hidden_jaw
    # Halfway between the lip's front and the chin, it drops about halfway between theirs.
    halfway = 0.5 * (lip_front + chin)
    assert abs(point - halfway) < 0.15 * (chin - lip_front), (point, lip_front, chin)
    assert abs(own - halfway) > 0.25 * (chin - lip_front), (own, lip_front, chin)  # the rule changes it
    (point, _, _), renderer = drops(dataclasses.replace(turned, pose=(0.0, 0.0, 0.0)))
    assert 11 not in renderer.hidden_jaw and abs(point - own) < 1e-3


def _mouth_on_a_line(line_y: float, inner_y: float, open_gap: float = 0.0):
    """A light face with a dark line between the lips at ``line_y`` and lip landmarks (68, 2) whose
    inner lips lie at ``inner_y`` (the lower ones ``open_gap`` below), as a face mesh puts them."""
    image = np.full((200, 200, 3), 200, np.uint8)
    cv2.line(image, (60, int(line_y)), (140, int(line_y)), (60, 60, 60), 2)
    lm = np.zeros((68, 2))
    lm[48], lm[54] = (58, inner_y), (142, inner_y)
    lm[49:54] = [(70, 94), (85, 90), (100, 91), (115, 90), (130, 94)]
    lm[55:60] = [(130, 110), (115, 113), (100, 114), (85, 113), (70, 110)]
    lm[60], lm[64] = (62, inner_y), (138, inner_y)
    lm[61:64] = [(80, inner_y), (100, inner_y), (120, inner_y)]
    lm[65:68] = [(120, inner_y + open_gap), (100, inner_y + open_gap), (80, inner_y + open_gap)]
    return image, lm


def test_mesh_inner_lips_are_seated_on_the_photos_lip_line():
    """The face mesh's inner lips of a closed mouth lie on the lower lip, a few pixels off the dark
    line between the lips where the mouth must open; they move onto that line (the corners with
    them), the outer lips stay. An open mouth, or a photo without a line, keeps its points."""
    from speaker.face.lipline import seat_inner_lips

    image, lm = _mouth_on_a_line(line_y=100, inner_y=103.5)
    seated = seat_inner_lips(image, lm)
    assert np.all(np.abs(seated[60:68, 1] - 100.5) < 1.0), seated[60:68]
    assert np.allclose(seated[[48, 54], 1], seated[[60, 64], 1])
    assert np.allclose(seated[49:54], lm[49:54]) and np.allclose(seated[55:60], lm[55:60])
    assert np.allclose(seated[:, 0], lm[:, 0])

    image, lm = _mouth_on_a_line(line_y=100, inner_y=103.5, open_gap=8.0)
    assert np.array_equal(seat_inner_lips(image, lm), lm)
    blank = np.full_like(image, 200)
    assert np.array_equal(seat_inner_lips(blank, lm), lm)


def test_far_jaw_behind_the_near_eye_moves_with_the_eye_under_a_turn(grace_portrait):
    """On a near-profile the fit puts the far jaw's top (landmark 16) on the cheek just below the near eye's
    inner corner, over a head's depth behind it (the native woman's 1.27 face widths). Turned by the head's
    motion with that depth it moved unlike the eye beside it: at a 2 degree turn the triangle between them
    collapsed and the warp drew a line of the eye's dark corner across her cheek. Hidden so, it takes the
    depth of the eye in front of it (no triangle loses most of its area); on the outline of a frontal face
    the jaw's ends keep their depth, deep beside the brows' ends."""
    import dataclasses

    from speaker.render import Renderer
    from speaker.render.mesh import build_mesh, seen_depth
    from speaker.types import TrackFrame

    lm = grace_portrait.landmarks.astype(np.float64)
    width = float(np.linalg.norm(lm[16] - lm[0]))
    depth = build_mesh(grace_portrait).depth[:68].copy()
    lm[16] = lm[39] + np.array([0.01, 0.03]) * width  # just below the eye's inner corner
    depth[16] = depth[39] - 1.2 * width
    turned = dataclasses.replace(grace_portrait, landmarks=lm.astype(np.float32), depth=depth.astype(np.float32),
                                 pose=(60.0, 0.0, 0.0))
    pose = np.array([-2.0, 2.0, 0.3, 0, 0, 1.0], np.float32)
    frame = TrackFrame(turned.landmarks, pose, np.zeros(6, np.float32), 0.0, np.zeros(2, np.float32))

    def worst_shrink(renderer) -> float:
        tri = renderer.mesh.triangles

        before, after = signed_areas(renderer.mesh.points, tri), signed_areas(renderer._targets(frame)[0], tri)
        around = np.any(tri == 16, axis=1) & (np.abs(before) > 1.0)
        return float(np.min(after[around] / before[around]))

    renderer = Renderer(turned)
    assert abs(renderer.mesh.depth[16] - renderer.mesh.depth[39]) < 0.2 * width
    assert worst_shrink(renderer) > 0.6
    renderer.mesh.depth[16] = renderer.mesh.depth[39] - 1.2 * width  # moved with its own depth, as before
    assert worst_shrink(renderer) < 0.3

    frontal = grace_portrait.landmarks.astype(np.float64)
    frontal_depth = build_mesh(grace_portrait).depth[:68]
    assert np.array_equal(seen_depth(frontal, frontal_depth, width), frontal_depth)
