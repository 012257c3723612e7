"""Tests of the render stage on real portraits (Grace Hopper, the astronaut).

Landmarks come from dlib directly (not from speaker.face), frames are built
by hand: the neutral face, an open "ah", closed lips, a blink, a head turn.
"""

from __future__ import annotations

import importlib.util
import os

import cv2
import numpy as np
import pytest

from speaker.errors import SpeakerError
from speaker.render import Renderer, contact_sheet, render_frames
from speaker.types import ARTICULATION_NAMES, Portrait, Track, TrackFrame

LUMA = np.array([0.299, 0.587, 0.114])


def _dlib_face(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import dlib

    folder = importlib.util.find_spec("face_recognition_models").submodule_search_locations[0]
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(os.path.join(folder, "models", "shape_predictor_68_face_landmarks.dat"))
    box = max(detector(image, 1), key=lambda r: r.area())
    shape = predictor(image, box)
    landmarks = np.array([[p.x, p.y] for p in shape.parts()], np.float32)
    return landmarks, np.array([box.left(), box.top(), box.right(), box.bottom()], np.float32)


@pytest.fixture(scope="module")
def grace_renderer(grace) -> Renderer:
    return Renderer(grace)


# -- frames built by hand -------------------------------------------------

def _articulation(**values: float) -> np.ndarray:
    art = np.zeros(len(ARTICULATION_NAMES), np.float32)
    for name, value in values.items():
        art[ARTICULATION_NAMES.index(name)] = value
    return art


def _pose(yaw=0.0, pitch=0.0, roll=0.0, tx=0.0, ty=0.0, scale=1.0) -> np.ndarray:
    return np.array([yaw, pitch, roll, tx, ty, scale], np.float32)


def neutral(portrait: Portrait, **pose) -> TrackFrame:
    return TrackFrame(portrait.landmarks.copy(), _pose(**pose), _articulation(), 0.0)


def open_mouth(portrait: Portrait, amount: float = 1.0) -> TrackFrame:
    """An "ah": lower lip and jaw dropped by up to 0.12 face widths."""
    lm = portrait.landmarks.astype(np.float64).copy()
    drop = 0.12 * portrait.face_width * amount
    profile = {55: .55, 56: .85, 57: 1, 58: .85, 59: .55, 65: .85, 66: 1, 67: .85,
               48: .2, 54: .2, 60: .25, 64: .25, 5: .3, 6: .6, 7: .85, 8: 1, 9: .85, 10: .6, 11: .3}
    for index, share in profile.items():
        lm[index, 1] += drop * share
    return TrackFrame(lm.astype(np.float32), _pose(), _articulation(jaw_open=amount), 0.0)


def closed_lips(portrait: Portrait) -> TrackFrame:
    """An "m": each inner-lip pair meets in the middle."""
    lm = portrait.landmarks.astype(np.float64).copy()
    for upper, lower in ((61, 67), (62, 66), (63, 65)):
        lm[upper] = lm[lower] = (lm[upper] + lm[lower]) / 2
    return TrackFrame(lm.astype(np.float32), _pose(), _articulation(lip_closure=1.0), 0.0)


def blink(portrait: Portrait, closure: float = 1.0, lower_share: float = 0.2) -> TrackFrame:
    """Lids meeting as the motion stage moves them (the lower lid makes ``lower_share`` of the way), eyelid set."""
    lm = portrait.landmarks.astype(np.float64).copy()
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        travel = closure * (lm[lower] - lm[upper])
        lm[upper] = lm[upper] + (1.0 - lower_share) * travel
        lm[lower] = lm[lower] - lower_share * travel
    return TrackFrame(lm.astype(np.float32), _pose(), _articulation(), closure)


def polygon_mask(shape, points) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


def luma(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float64) @ LUMA


# -- tests ------------------------------------------------------------------

def test_neutral_frame_is_the_photo(grace, grace_renderer):
    frame = grace_renderer.render(neutral(grace))
    assert frame.shape == grace.image.shape and frame.dtype == np.uint8
    assert np.abs(frame.astype(int) - grace.image).max() <= 2
    x0, y0, x1, y1 = grace_renderer.roi
    outside = np.ones(frame.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert outside.any()
    assert np.array_equal(frame[outside], grace.image[outside])


def test_open_mouth_shows_a_dark_interior(grace, grace_renderer):
    frame_data = open_mouth(grace)
    frame = grace_renderer.render(frame_data)
    inner = polygon_mask(frame.shape, frame_data.landmarks[60:68])
    assert inner.sum() > 100  # the target opening is a real area
    before = luma(grace.image[inner]).mean()
    after = luma(frame[inner]).mean()
    # Grace's closed lips there are light skin/lip tones; the cavity is dark.
    assert after < 0.6 * before
    # Upper teeth: the band just under the upper inner lip is brighter than the cavity.
    top = frame_data.landmarks[62] + np.array([0, 3])
    assert luma(frame[int(top[1]), int(top[0])]) > after + 30
    # The chin moved down with the jaw: the frame differs below the mouth.
    chin = grace.landmarks[8].astype(int)
    assert np.abs(frame[chin[1] - 12 : chin[1], chin[0] - 5 : chin[0] + 5].astype(int)
                  - grace.image[chin[1] - 12 : chin[1], chin[0] - 5 : chin[0] + 5]).mean() > 3


def test_closing_an_open_mouth_hides_the_teeth(astronaut):
    renderer = Renderer(astronaut)
    lm = astronaut.landmarks
    # The middle of the mouth, between the inner-lip pairs 61/67 and 63/65
    # (dlib's inner-lip corners sit inside the dark mouth corners, where
    # some teeth stay visible).
    inner = polygon_mask(astronaut.image.shape, lm[[61, 62, 63, 65, 66, 67]])
    inner = cv2.dilate(inner.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    def teeth(pixels):  # bright and nearly white (her lips are bright too, but pink)
        pixels = pixels.astype(int)
        return ((luma(pixels) > 170) & (pixels.max(axis=1) - pixels.min(axis=1) < 45)).sum()

    bright_before = teeth(astronaut.image[inner])
    assert bright_before > 40  # she smiles with her teeth showing
    frame = renderer.render(closed_lips(astronaut))
    bright_after = teeth(frame[inner])
    assert bright_after < 0.5 * bright_before
    # Closing is a warp of the lips, not a painted interior: no dark cavity appears.
    assert luma(frame[inner]).min() > 20


def _eye_aspect_ratios(frame: np.ndarray, box: np.ndarray) -> np.ndarray:
    """dlib's eye aspect ratio (lid gaps over eye width) of both eyes, re-detected on a frame."""
    import dlib

    folder = importlib.util.find_spec("face_recognition_models").submodule_search_locations[0]
    predictor = dlib.shape_predictor(os.path.join(folder, "models", "shape_predictor_68_face_landmarks.dat"))
    rect = dlib.rectangle(*(int(v) for v in box))
    lm = np.array([[p.x, p.y] for p in predictor(np.ascontiguousarray(frame), rect).parts()], np.float64)
    ratios = []
    for eye in (range(36, 42), range(42, 48)):
        p = lm[list(eye)]
        gaps = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
        ratios.append(gaps / (2 * np.linalg.norm(p[3] - p[0])))
    return np.array(ratios)


def test_blink_closes_both_eyes_to_another_landmarker(astronaut):
    """At the blink peak dlib sees both eyes shut: under half their open aspect ratio.

    (Behind Grace Hopper's glasses dlib's points on the closed eye stay about
    3 px apart, 0.6-0.7 of the open ratio: see the evaluation's figures.)
    """
    portrait = astronaut
    renderer = Renderer(portrait)
    open_ratio = _eye_aspect_ratios(renderer.render(neutral(portrait)), portrait.box)
    shut_ratio = _eye_aspect_ratios(renderer.render(blink(portrait, 1.0)), portrait.box)
    assert np.all(shut_ratio < 0.5 * open_ratio), (open_ratio, shut_ratio)
    # Half closed looks half closed: between the two.
    half_ratio = _eye_aspect_ratios(renderer.render(blink(portrait, 0.5)), portrait.box)
    assert np.all(half_ratio < 0.9 * open_ratio) and np.all(half_ratio > shut_ratio)


def test_closed_lid_is_the_lid_skin_with_a_lash_line(grace, grace_renderer):
    """The closed lid keeps the photo's skin texture (not one flat tone) and its edge is a dark line."""
    frame = grace_renderer.render(blink(grace, 1.0))
    lm = grace.landmarks.astype(np.float64)
    for corners, upper, lower in (((36, 39), (37, 38), (41, 40)), ((42, 45), (43, 44), (47, 46))):
        a, b = lm[corners[0]], lm[corners[1]]
        width = np.linalg.norm(b - a)
        x_cols = np.arange(int(a[0] + 0.3 * width), int(a[0] + 0.7 * width))
        # Down each middle column: the lid edge is the darkest row near the lower lid,
        # darker than the lid skin above it by a clear margin.
        edge_y = lm[list(lower), 1].mean()
        top_y = lm[list(upper), 1].mean()
        column = luma(frame[int(top_y - 0.1 * width) : int(edge_y + 0.15 * width), x_cols]).mean(axis=1)
        lid_rows = column[: max(2, len(column) // 2)]
        assert column.min() < 0.8 * np.median(lid_rows)
        assert np.argmin(column) >= len(column) // 2  # the dark line is at the bottom, at the lid edge
        # The lid's skin is textured like the photo's skin, not one flat tone:
        # fine detail (what a blur takes away) as strong as on the cheek below.
        lid = luma(frame[int(top_y) : int(0.5 * (top_y + edge_y)) + 1, x_cols])
        cheek = luma(grace.image[int(edge_y + 0.3 * width) : int(edge_y + 0.5 * width), x_cols])

        def detail(patch):
            return float(np.std(patch - cv2.GaussianBlur(patch, (0, 0), 1.5)))

        assert detail(lid) > 0.3 * detail(cheek), (detail(lid), detail(cheek))


def test_half_blink_keeps_the_lower_eye_as_it_was(grace, grace_renderer):
    frame = grace_renderer.render(blink(grace, 0.5, lower_share=0.0))
    lm = grace.landmarks
    # A strip just above the lower lid, below where a half-closed lid reaches
    # (the soft lower edge of its lash line, a few levels at most: it takes
    # the colour of the photo's lid line, on Grace Hopper a deep red-brown).
    lower = lm[[41, 40]].mean(axis=0)
    upper = lm[[37, 38]].mean(axis=0)
    y = int(round(lower[1] - 0.2 * (lower[1] - upper[1])))
    x0, x1 = int(lm[41, 0]), int(lm[40, 0])
    change = np.abs(frame[y, x0:x1].astype(int) - grace.image[y, x0:x1])
    assert change.max() <= 6 and change.mean() <= 1.5, change
    # ... while the top of the eye is covered.
    y_top = int(round(upper[1] + 0.15 * (lower[1] - upper[1])))
    assert np.abs(frame[y_top, x0:x1].astype(int) - grace.image[y_top, x0:x1]).mean() > 8


def test_between_blinks_the_eyes_are_unchanged(grace, grace_renderer):
    frame = grace_renderer.render(open_mouth(grace, 0.6))
    for eye in (range(36, 42), range(42, 48)):
        mask = polygon_mask(frame.shape, grace.landmarks[list(eye)])
        assert np.abs(frame[mask].astype(int) - grace.image[mask]).max() <= 2


def test_head_turn_moves_the_face_not_the_background(grace, grace_renderer):
    frame = grace_renderer.render(neutral(grace, yaw=5.0))
    x0, y0, x1, y1 = (int(v) for v in grace.box)
    face_change = np.abs(frame[y0:y1, x0:x1].astype(int) - grace.image[y0:y1, x0:x1]).mean()
    assert face_change > 4
    # Positive yaw moves the nose to the image's right.
    nose = grace.landmarks[30].astype(int)
    patch = lambda img: cv2.cvtColor(img[nose[1] - 30 : nose[1] + 30, nose[0] - 30 : nose[0] + 30],
                                     cv2.COLOR_RGB2GRAY).astype(np.float32)
    (shift_x, _), _ = cv2.phaseCorrelate(patch(grace.image), patch(frame))
    assert shift_x > 1.0
    # Far background (more than a head width from the face) is identical.
    far = grace.landmarks[:, 0].min() - 1.1 * grace.face_width
    if far > 0:
        assert np.array_equal(frame[:, : int(far)], grace.image[:, : int(far)])
    assert np.array_equal(frame[-40:], grace.image[-40:])


def test_other_faces_stay_still(grace):
    fw = grace.face_width
    lm = grace.landmarks
    # Pretend there is another face just beside the head (on the flag).
    x1 = lm[0, 0] - 0.25 * fw
    other = np.array([[x1 - 0.35 * fw, lm[19, 1], x1, lm[19, 1] + 0.4 * fw]], np.float32)
    portrait = Portrait(grace.image, grace.landmarks, grace.box, other_faces=other)
    renderer = Renderer(portrait)
    frame = renderer.render(neutral(portrait, yaw=8.0, tx=6.0, roll=3.0))
    bx0, by0, bx1, by1 = other[0].astype(int)
    assert renderer.roi[0] < bx1  # the box lies inside the warped region
    assert np.array_equal(frame[by0:by1, bx0:bx1], grace.image[by0:by1, bx0:bx1])
    # Without the other face, the same pixels would have moved.
    moved = Renderer(grace).render(neutral(grace, yaw=8.0, tx=6.0, roll=3.0))
    assert not np.array_equal(moved[by0:by1, bx0:bx1], grace.image[by0:by1, bx0:bx1])


def test_greyscale_in_greyscale_out(grace):
    grey = cv2.cvtColor(grace.image, cv2.COLOR_RGB2GRAY)
    image = np.repeat(grey[..., None], 3, axis=2)
    portrait = Portrait(image, grace.landmarks, grace.box, grayscale=True)
    renderer = Renderer(portrait)
    ah = open_mouth(portrait)
    frame = TrackFrame(ah.landmarks, _pose(yaw=4, pitch=2, roll=1), ah.articulation, 1.0)
    out = renderer.render(frame)
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    # ... and it was really drawn (the mouth opened).
    assert np.abs(out.astype(int) - image).max() > 50


def test_greyscale_cavity_is_darker_than_the_lips(grace):
    grey = cv2.cvtColor(grace.image, cv2.COLOR_RGB2GRAY)
    image = np.repeat(grey[..., None], 3, axis=2)
    portrait = Portrait(image, grace.landmarks, grace.box, grayscale=True)
    frame_data = open_mouth(portrait)
    out = Renderer(portrait).render(frame_data)
    inner = polygon_mask(out.shape, frame_data.landmarks[60:68])
    lips = polygon_mask(out.shape, grace.landmarks[48:60]) & ~polygon_mask(out.shape, grace.landmarks[60:68])
    lip_luma = np.median(luma(image[lips]))
    # The middle of the opening (below the upper teeth) is a dark cavity, not
    # a pale band that reads as swollen lips; but it is not pitch black either.
    cavity = inner & (np.arange(out.shape[0])[:, None] > frame_data.landmarks[[61, 62, 63], 1].max() + 6)
    assert cavity.sum() > 30
    assert np.median(luma(out[cavity])) < 0.5 * lip_luma
    assert np.median(luma(out[cavity])) > 8
    assert np.array_equal(out[..., 0], out[..., 2])


def test_painted_interior_stays_inside_the_lips():
    from speaker.render import mouth

    frame = np.full((120, 200, 3), 200, np.uint8)
    inner = np.array([[40, 60], [70, 50], [100, 48], [130, 50], [160, 60],
                      [130, 80], [100, 85], [70, 80]], np.float64)
    palette = mouth.sample_palette(frame, np.zeros((68, 2)) + [100, 60], 150.0)
    mouth.paint_interior(frame, inner, 140.0, 1.0, 1.0, 0.0, palette, (0, 0, 200, 120))
    changed = np.any(frame != 200, axis=2)
    assert changed.sum() > 1000
    ys, xs = np.nonzero(changed)
    # Never past the mouth corners (a pixel of feathering at most) ...
    assert xs.min() >= 39 and xs.max() <= 161
    # ... and never more than a pixel outside the inner-lip outline.
    outline = cv2.dilate(polygon_mask(frame.shape, inner).astype(np.uint8), np.ones((3, 3), np.uint8))
    assert not np.any(changed & ~outline.astype(bool))
    # The edge is soft: some pixels are only partly painted.
    partial = luma(frame[changed])
    assert np.any((partial > luma(np.array([60, 60, 60]))) & (partial < 190))


def test_photo_teeth_move_with_the_upper_lip(astronaut):
    """A smiling photo keeps its own teeth under the upper lip as the mouth opens."""
    renderer = Renderer(astronaut)
    frame_data = open_mouth(astronaut, 0.6)
    frame = renderer.render(frame_data)
    lm = frame_data.landmarks
    band = polygon_mask(frame.shape, np.concatenate([lm[[61, 62, 63]], lm[[63, 62, 61]] + [0, 5]]))
    band = cv2.dilate(band.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    pixels = frame[band].astype(int)
    teeth = (luma(pixels) > 170) & (pixels.max(axis=1) - pixels.min(axis=1) < 45)
    assert teeth.sum() > 0.3 * band.sum()
    # Below them the mouth is open and dark.
    low = lm[66] - [0, 4]
    assert luma(frame[int(low[1]), int(low[0])]) < 100


def test_sepia_photo_gets_a_sepia_mouth(grace):
    grey = cv2.cvtColor(grace.image, cv2.COLOR_RGB2GRAY).astype(np.float64)
    image = np.clip(grey[..., None] * np.array([1.07, 0.86, 0.62]), 0, 255).astype(np.uint8)
    portrait = Portrait(image, grace.landmarks, grace.box)
    frame_data = open_mouth(portrait)
    out = Renderer(portrait).render(frame_data).astype(int)
    inner = polygon_mask(out.shape, frame_data.landmarks[60:68])
    pixels = out[inner]
    # Every painted pixel keeps the sepia order R >= G >= B (no grey, blue or pink).
    assert np.all(pixels[:, 0] >= pixels[:, 1] - 1) and np.all(pixels[:, 1] >= pixels[:, 2] - 1)


def test_frames_are_finite_and_deterministic(astronaut):
    poses = [_pose(yaw=y, pitch=p, roll=r, tx=tx, scale=s)
             for y, p, r, tx, s in ((-12, 5, -4, -8, 0.97), (15, -6, 5, 10, 1.04), (25, 10, 10, 0, 1.0))]
    ah = open_mouth(astronaut)
    first = [Renderer(astronaut).render(TrackFrame(ah.landmarks, p, ah.articulation, 0.3)) for p in poses]
    again = Renderer(astronaut)
    for pose, frame in zip(poses, first):
        assert frame.shape == astronaut.image.shape and frame.dtype == np.uint8
        assert frame.mean() > 0.5 * astronaut.image.mean()  # no black frame
        assert np.array_equal(frame, again.render(TrackFrame(ah.landmarks, pose, ah.articulation, 0.3)))


def test_bad_frame_is_refused(grace_renderer, grace):
    lm = grace.landmarks.copy()
    lm[10, 0] = np.nan
    with pytest.raises(ValueError):
        grace_renderer.render(TrackFrame(lm, _pose(), _articulation(), 0.0))


def test_debug_overlay_draws_the_mesh(grace):
    plain = Renderer(grace).render(neutral(grace))
    overlay = Renderer(grace, debug_overlay=True).render(neutral(grace))
    changed = np.any(overlay != plain, axis=2)
    assert changed.sum() > 2000
    # The landmarks are drawn where they are.
    x, y = grace.landmarks[30].astype(int)
    assert changed[y - 1 : y + 2, x - 1 : x + 2].all()


def test_debug_overlay_is_grey_on_a_greyscale_photo(grace):
    grey = cv2.cvtColor(grace.image, cv2.COLOR_RGB2GRAY)
    portrait = Portrait(np.repeat(grey[..., None], 3, axis=2), grace.landmarks, grace.box, grayscale=True)
    plain = Renderer(portrait).render(neutral(portrait))
    overlay = Renderer(portrait, debug_overlay=True).render(neutral(portrait))
    assert np.any(overlay != plain, axis=2).sum() > 2000
    assert np.array_equal(overlay[..., 0], overlay[..., 1]) and np.array_equal(overlay[..., 1], overlay[..., 2])


def _track(portrait: Portrait, frames: list[TrackFrame]) -> Track:
    return Track(
        fps=25.0,
        landmarks=np.stack([f.landmarks for f in frames]),
        head_pose=np.stack([f.head_pose for f in frames]),
        articulation=np.stack([f.articulation for f in frames]),
        eyelid=np.array([f.eyelid for f in frames], np.float32),
        image_size=portrait.size,
    )


def test_render_frames_is_a_generator_over_the_track(grace):
    frames = [neutral(grace), open_mouth(grace), blink(grace)]
    gen = render_frames(grace, _track(grace, frames))
    assert iter(gen) is gen
    out = list(gen)
    assert len(out) == 3
    assert np.abs(out[0].astype(int) - grace.image).max() <= 2
    assert not np.array_equal(out[1], out[0])


def test_contact_sheet_writes_a_labelled_png(grace, tmp_path):
    frames = [neutral(grace), open_mouth(grace, 0.5), open_mouth(grace, 1.0), closed_lips(grace),
              blink(grace), neutral(grace, yaw=6.0), neutral(grace, yaw=2.0), neutral(grace)]
    path = contact_sheet(grace, _track(grace, frames), tmp_path / "sheet.png")
    assert path == tmp_path / "sheet.png"
    sheet = cv2.imread(str(path))
    assert sheet is not None and sheet.shape[0] > 300 and sheet.shape[1] > 600
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.png"]  # no temporary left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as readable as the video beside it
    from speaker.render.sheet import pick_frames

    picked = dict(pick_frames(_track(grace, frames)))
    assert picked["open (max jaw)"] == 2 and picked["blink"] == 4 and picked["head turn"] == 5
    assert picked["closed m"] == 3


def test_contact_sheet_shows_a_mid_blink_and_the_peak(grace):
    from speaker.render.sheet import pick_frames

    frames = [neutral(grace)] + [blink(grace, c) for c in (0.3, 0.6, 1.0, 0.5)] + [neutral(grace)]
    picked = dict(pick_frames(_track(grace, frames)))
    assert picked["mid-blink"] == 2 and picked["blink"] == 3


def test_contact_sheet_tiles_show_a_small_face_close_and_a_portrait_whole(grace, tmp_path):
    import dataclasses

    from speaker.render.sheet import SHEET_FACE_WIDTHS, _about_the_face

    assert _about_the_face(grace) == (0, 0, grace.size[0], grace.size[1])  # a portrait: the whole frame
    # The same face as a small figure in a landscape three times as wide and high.
    height, width = grace.image.shape[:2]
    landscape = np.full((3 * height, 3 * width, 3), 120, np.uint8)
    offset = np.array([2 * width, height], np.float32)
    landscape[height:2 * height, 2 * width:] = grace.image
    small = dataclasses.replace(grace, image=landscape, landmarks=grace.landmarks + offset,
                                box=grace.box + np.tile(offset, 2))
    x0, y0, x1, y1 = _about_the_face(small)
    face_width = float(grace.box[2] - grace.box[0])
    assert x1 - x0 == y1 - y0 == round(SHEET_FACE_WIDTHS * max(face_width, float(grace.box[3] - grace.box[1])))
    assert x0 <= small.box[0] and small.box[2] <= x1 and y0 <= small.box[1] and small.box[3] <= y1
    assert x1 <= landscape.shape[1]  # kept inside the frame at its right edge
    sheet = cv2.imread(str(contact_sheet(small, _track(small, [neutral(small), blink(small)]), tmp_path / "s.png")))
    assert sheet.shape[1] == 3 * 320


def test_contact_sheet_refuses_an_empty_track(grace, tmp_path):
    empty = Track(25.0, np.zeros((0, 68, 2), np.float32), np.zeros((0, 6), np.float32),
                  np.zeros((0, len(ARTICULATION_NAMES)), np.float32), np.zeros(0, np.float32), grace.size)
    with pytest.raises(SpeakerError):
        contact_sheet(grace, empty, tmp_path / "sheet.png")


# -- gaze -------------------------------------------------------------------

EYE_POLYGONS = (list(range(36, 42)), list(range(42, 48)))


def looking(portrait: Portrait, gaze, **pose) -> TrackFrame:
    return TrackFrame(portrait.landmarks.copy(), _pose(**pose), _articulation(), 0.0,
                      np.array(gaze, np.float32))


def dark_centre(frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(x, y) centroid of the darkest third of the pixels under the mask: the iris."""
    ys, xs = np.nonzero(mask)
    values = luma(frame[ys, xs])
    dark = values <= np.quantile(values, 0.35)
    return np.array([xs[dark].mean(), ys[dark].mean()])


@pytest.mark.parametrize("name", ["grace", "astronaut"])
def test_gaze_moves_the_iris_inside_the_eye(name, request):
    portrait = request.getfixturevalue(name)
    renderer = Renderer(portrait)
    ahead = renderer.render(looking(portrait, (0.0, 0.0)))
    for direction in (1.0, -1.0):
        frame = renderer.render(looking(portrait, (0.1 * direction, 0.0)))
        for eye in EYE_POLYGONS:
            points = portrait.landmarks[eye]
            mask = polygon_mask(frame.shape, points)
            moved = dark_centre(frame, mask) - dark_centre(ahead, mask)
            width = float(np.linalg.norm(points[3] - points[0]))
            # The iris goes the commanded way by most of 0.1 eye widths (the
            # polygon crops the iris a little, which shortens the measure).
            assert moved[0] * direction >= 0.35 * 0.1 * width
            assert abs(moved[1]) < 0.5 * abs(moved[0])


@pytest.mark.parametrize("name", ["grace", "astronaut"])
def test_gaze_leaves_the_lids_and_the_rest_unchanged(name, request):
    portrait = request.getfixturevalue(name)
    renderer = Renderer(portrait)
    ahead = renderer.render(looking(portrait, (0.0, 0.0)))
    openings = np.zeros(ahead.shape[:2], np.uint8)
    for eye in EYE_POLYGONS:
        openings |= polygon_mask(ahead.shape, portrait.landmarks[eye]).astype(np.uint8)
    # The lid lines (dlib's points sit on them) may shear by a pixel or two.
    near_openings = cv2.dilate(openings, np.ones((5, 5), np.uint8)).astype(bool)
    for gaze in ((0.12, 0.05), (-0.12, -0.05), (5.0, -5.0)):     # the last is clamped
        frame = renderer.render(looking(portrait, gaze))
        changed = np.any(frame != ahead, axis=2)
        assert changed[openings.astype(bool)].sum() >= 20
        assert not changed[~near_openings].any()


def test_zero_gaze_is_the_frame_without_gaze(astronaut):
    with_gaze = Renderer(astronaut)
    without = Renderer(astronaut)
    without.gaze_warps = []        # as before gaze existed
    ah = open_mouth(astronaut, 0.7)
    for pose, closure in ((_pose(), 0.0), (_pose(yaw=3, pitch=-2, roll=1), 0.4)):
        plain = TrackFrame(ah.landmarks, pose, ah.articulation, closure)
        zero = TrackFrame(ah.landmarks, pose, ah.articulation, closure, np.zeros(2, np.float32))
        assert np.array_equal(with_gaze.render(plain), without.render(plain))
        assert np.array_equal(with_gaze.render(zero), without.render(plain))
    # On a turned head the iris still moves, inside the moved eye.
    turned = with_gaze.render(looking(astronaut, (0.0, 0.0), yaw=3))
    glance = with_gaze.render(looking(astronaut, (0.1, 0.0), yaw=3))
    assert np.any(turned != glance)


def test_bad_gaze_is_refused(grace_renderer, grace):
    with pytest.raises(ValueError):
        grace_renderer.render(looking(grace, (np.nan, 0.0)))


def _paint_beard(image: np.ndarray, landmarks: np.ndarray, seed: int = 0) -> np.ndarray:
    """The photo with a full beard of dark, combed hair texture from under the lower lip to below the jaw."""
    rng = np.random.default_rng(seed)
    lm = landmarks.astype(np.float64)
    face_width = np.linalg.norm(lm[16] - lm[0])
    centre = lm[[51, 57]].mean(axis=0)
    outward = [lm[i] + 0.22 * face_width * (lm[i] - centre) / np.linalg.norm(lm[i] - centre) for i in range(3, 14)]
    under_lip = [lm[i] + np.array([0.0, 0.05 * face_width]) for i in (54, 55, 56, 57, 58, 59, 48)]
    outline = np.array([*outward, lm[13], *under_lip, lm[3]], np.float32)
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(outline).astype(np.int32)], 255)
    weight = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 2.0)[..., None]
    hair = cv2.GaussianBlur(rng.normal(0.0, 1.0, image.shape[:2]).astype(np.float32), (0, 0), sigmaX=0.6, sigmaY=3.0)
    hair = np.clip(60.0 + 25.0 * hair / hair.std(), 0, 255)[..., None] * np.array([1.0, 0.9, 0.8])
    return np.clip(image * (1.0 - weight) + hair * weight, 0, 255).astype(np.uint8)


def test_beard_below_the_jaw_drops_with_the_chin(grace):
    """An open jaw carries the beard under the jawline, not only the lips."""
    image = _paint_beard(grace.image, grace.landmarks)
    landmarks, box = _dlib_face(image)
    portrait = Portrait(image, landmarks, box)
    renderer = Renderer(portrait)
    opened = open_mouth(portrait, 1.0)
    first = cv2.cvtColor(renderer.render(neutral(portrait)), cv2.COLOR_RGB2GRAY)
    second = cv2.cvtColor(renderer.render(opened), cv2.COLOR_RGB2GRAY)
    flow = cv2.calcOpticalFlowFarneback(first, second, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    lm = landmarks.astype(np.float64)
    face_width = np.linalg.norm(lm[16] - lm[0])
    centre = lm[[51, 57]].mean(axis=0)
    outward = [lm[i] + 0.2 * face_width * (lm[i] - centre) / np.linalg.norm(lm[i] - centre) for i in range(5, 12)]
    band = polygon_mask(image.shape, np.array([*lm[5:12], *outward[::-1]]))
    chin_drop = float(opened.landmarks[8, 1] - landmarks[8, 1])
    share = float(flow[..., 1][band].mean()) / chin_drop
    assert share > 0.6, share  # 0.53 before the beard rows, 0.66 with them


def test_painted_teeth_are_teeth_not_a_bar(grace, grace_renderer):
    """Across the upper teeth, near their biting edge, the luma dips at the gaps between
    them (neighbouring teeth touch higher up: the lines there are faint), and a darker gum
    line sits above."""
    from speaker.render.mouth import UPPER_TEETH_OF_OPENING, UPPER_TEETH_OF_WIDTH

    frame_data = open_mouth(grace)
    frame = grace_renderer.render(frame_data).astype(np.float64)
    lm = frame_data.landmarks.astype(np.float64)
    x0, x1 = int(0.5 * (lm[60, 0] + lm[61, 0])), int(0.5 * (lm[63, 0] + lm[64, 0]))
    teeth_height = min(UPPER_TEETH_OF_OPENING * (lm[66, 1] - lm[62, 1]), UPPER_TEETH_OF_WIDTH * (lm[54, 0] - lm[48, 0]))
    row_y = int(round(lm[62, 1] + 0.65 * teeth_height))
    row = luma(frame[row_y, x0:x1])
    # A gap is a local minimum at least a quarter darker than the teeth either side.
    peaks = np.array([row[max(i - 4, 0) : i + 5].max() for i in range(len(row))])
    dips = np.flatnonzero((row[1:-1] < row[:-2]) & (row[1:-1] <= row[2:]) & (row[1:-1] < 0.75 * peaks[1:-1])) + 1
    assert len(dips) >= 3, row.round()
    # Mid-tooth is bright; no gap is as dark as the cavity below.
    cavity = luma(frame[int(round(lm[66, 1] - 4)), int(lm[66, 0]) - 3 : int(lm[66, 0]) + 3]).mean()
    assert row.max() > cavity + 60 and row[dips].min() > cavity


def test_painted_interior_has_the_photo_grain(grace, grace_renderer):
    """The cavity is not airbrushed: its fine detail is about that of the photo's skin."""
    from speaker.render.grain import skin_grain

    frame_data = open_mouth(grace)
    frame = grace_renderer.render(frame_data).astype(np.float32)
    lm = frame_data.landmarks.astype(np.float64)
    inner = polygon_mask(frame.shape, lm[60:68])
    core = cv2.erode(inner.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    # The cavity only: the lower half of the opening, below the teeth.
    core[: int(0.5 * (lm[62, 1] + lm[66, 1]))] = False
    assert core.sum() > 50
    level = frame @ LUMA.astype(np.float32)
    detail = level - cv2.GaussianBlur(level, (0, 0), 1.0)
    measured = 1.4826 * float(np.median(np.abs(detail[core])))
    expected = skin_grain(grace.image, grace.landmarks)
    assert expected > 1.0
    assert 0.6 * expected < measured < 2.0 * expected, (measured, expected)  # 0.46 without grain


def test_grain_of_an_enlarged_photo_is_its_own(grace_hopper_path, tmp_path):
    """A small photo enlarged to be worked on gets grain as strong, and as coarse, as the photo's own."""
    from PIL import Image

    from speaker import face
    from speaker.render import grain

    image = np.asarray(Image.open(grace_hopper_path).convert("RGB"))
    small = cv2.resize(image, (image.shape[1] // 3, image.shape[0] // 3), interpolation=cv2.INTER_AREA)
    Image.fromarray(small).save(tmp_path / "small.png")
    enlarged = face.load_portrait(tmp_path / "small.png")
    assert 2.5 < enlarged.upscale < 3.5
    own = grain.skin_grain(small, enlarged.landmarks / enlarged.upscale)
    measured = grain.skin_grain(enlarged.image, enlarged.landmarks, enlarged.upscale)
    at_one_pixel = grain.skin_grain(enlarged.image, enlarged.landmarks)
    assert 0.7 * own < measured < 1.3 * own, (own, measured)
    assert measured > 2.5 * at_one_pixel  # measured at one pixel, the enlarged photo looked grainless

    def neighbour_correlation(field: np.ndarray) -> float:
        return float(np.corrcoef(field[:, :-1].ravel(), field[:, 1:].ravel())[0, 1])

    assert neighbour_correlation(Renderer(enlarged).grain) > 0.7  # grains about three pixels wide
    assert neighbour_correlation(grain.grain_field((200, 200), 4.0)) < 0.5


def test_smile_teeth_are_covered_not_squashed(astronaut):
    """Half-closing a smile: the teeth keep their height under the upper lip, the lower lip covers the rest."""
    renderer = Renderer(astronaut)
    lm = astronaut.landmarks.astype(np.float64)
    target = lm.copy()
    for upper, lower in ((61, 67), (62, 66), (63, 65)):
        target[lower] = lm[lower] - 0.5 * (lm[lower] - lm[upper])
    for follower, leader in ((58, 67), (57, 66), (56, 65)):
        target[follower] += target[leader] - lm[leader]
    frame = renderer.render(TrackFrame(target.astype(np.float32), _pose(), _articulation(lip_closure=0.5), 0.0))
    # Down the middle of the mouth, the rows under the upper lip are the photo's rows, not compressed ones.
    x = int(round(lm[62, 0]))
    top = int(round(lm[62, 1])) + 1
    rows = max(3, int(0.35 * (lm[66, 1] - lm[62, 1])))
    photo = luma(astronaut.image[top : top + rows, x - 3 : x + 4])
    drawn = luma(frame[top : top + rows, x - 3 : x + 4])
    assert np.abs(drawn - photo).mean() < 12, np.abs(drawn - photo).mean()


def test_no_lid_is_drawn_where_the_photo_shows_no_eye(grace):
    """Eye landmarks guessed onto plain skin (a far eye hidden in profile) get no lid; real eyes do."""
    from speaker.render import eyes

    assert all(eyes.looks_like_an_eye(grace.image, grace.landmarks, eye) for eye in eyes.EYES)
    image = grace.image.copy()
    lm = grace.landmarks
    left = lm[36:42]
    x0, y0 = (left.min(axis=0) - 0.6 * np.ptp(left[:, 0])).astype(int)
    x1, y1 = (left.max(axis=0) + 0.6 * np.ptp(left[:, 0])).astype(int)
    cheek = lm[[2, 31]].mean(axis=0).astype(int)
    image[y0:y1, x0:x1] = np.median(grace.image[cheek[1] - 4 : cheek[1] + 4, cheek[0] - 4 : cheek[0] + 4].reshape(-1, 3), axis=0)
    portrait = Portrait(image, lm, grace.box)
    assert not eyes.looks_like_an_eye(image, lm, eyes.EYES[0])
    frame = Renderer(portrait).render(blink(portrait, 1.0))
    # The plain patch stays as it was; the real right eye closes.
    assert np.abs(frame[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2].astype(int) - image[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2]).max() <= 3
    right = polygon_mask(frame.shape, lm[42:48])
    assert np.abs(frame[right].astype(int) - image[right]).mean() > 10


def test_a_face_cut_by_the_photos_edge_blinks_and_speaks_with_what_it_shows(grace):
    """A photo cropped through the face (its left eye past the edge, as a detail of a painting) animates."""
    lm = grace.landmarks.astype(np.float64)
    cut = int(np.ceil(lm[36:42, 0].max())) + 8  # the left eye and its surroundings are off the photo
    image = np.ascontiguousarray(grace.image[:, cut:])
    shifted = (lm - [cut, 0]).astype(np.float32)
    portrait = Portrait(image, shifted, grace.box - np.float32([cut, 0, cut, 0]))
    renderer = Renderer(portrait)
    shut = renderer.render(blink(portrait, 1.0))
    spoken = renderer.render(open_mouth(portrait))
    assert shut.shape == spoken.shape == image.shape
    right = polygon_mask(image.shape, shifted[42:48])
    assert np.abs(shut[right].astype(int) - image[right]).mean() > 10
    lips = polygon_mask(image.shape, shifted[60:68] + [0.0, 0.06 * portrait.face_width])
    assert luma(spoken)[lips > 0].mean() < luma(image)[lips > 0].mean() - 20


@pytest.mark.filterwarnings("ignore::speaker.errors.SpeakerWarning")
@pytest.mark.parametrize("edge", ["left", "right", "top", "bottom"])
def test_a_photo_cropped_through_the_face_is_animated_or_refused_in_a_sentence(grace, edge):
    """Found by the face stage as a user's crop gives it (cut at the middle of the face, on each
    side), a face renders its open mouth and its blink, or is refused with a SpeakerError."""
    from speaker.face import find_portrait
    from speaker.motion.landmarks import mouth_landmarks

    lm = grace.landmarks.astype(np.float64)
    middle = lm[27:36].mean(axis=0).astype(int)
    crop = {"left": np.s_[:, middle[0]:], "right": np.s_[:, : middle[0]],
            "top": np.s_[middle[1]:, :], "bottom": np.s_[: middle[1] + 20, :]}[edge]
    image = np.ascontiguousarray(grace.image[crop])
    image = np.ascontiguousarray(image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2])
    try:
        portrait = find_portrait(image, False)
    except SpeakerError:
        return
    renderer = Renderer(portrait)
    neutral = portrait.landmarks.astype(np.float64)
    for closure, jaw in ((0.0, 1.0), (1.0, 0.0)):
        articulation = _articulation(jaw_open=jaw)
        frame = renderer.render(TrackFrame(mouth_landmarks(neutral, articulation, eyelid=closure, own_mouth=0.0),
                                           _pose(yaw=4.0, pitch=3.0), articulation, closure))
        assert frame.shape == portrait.image.shape and np.isfinite(frame).all()


def _closed_eye_figures(frame: np.ndarray, portrait: Portrait, eye: tuple[int, ...]) -> tuple[float, float, float]:
    """Over the middle of the photo's eye opening, above the lid edge: the mean
    luma and its darkest tenth; and the luma of the skin just below the eye."""
    lm = portrait.landmarks.astype(np.float64)
    a, b = lm[eye[0]], lm[eye[3]]
    width = float(np.linalg.norm(b - a))
    x_cols = slice(int(a[0] + 0.3 * width), int(a[0] + 0.7 * width))
    upper, lower = lm[[eye[1], eye[2]], 1].mean(), lm[[eye[4], eye[5]], 1].mean()
    # The opening below the photo's own lash line and above the shut lid's
    # lash line (which lies where the lower lid has risen to, 0.2 of the
    # way, and is up to about 0.15 eye widths thick).
    edge = lower - 0.2 * (lower - upper)
    lid = luma(frame[int(round(upper + 0.15 * (lower - upper))):int(round(edge - 0.15 * width)) + 1, x_cols])
    below = luma(portrait.image[int(lower + 0.15 * width):int(lower + 0.4 * width), x_cols])
    return float(lid.mean()), float(np.percentile(lid, 10)), float(np.median(below))


def test_a_shut_eye_in_a_shadowed_socket_is_covered_by_lit_lid_skin(astronaut):
    """Deep-set eyes: the skin above the eye is in shadow. The shut lid must not be that
    shadow stretched (a grey patch in an open eye's outline): it is lit like the skin
    below the eye, with no iris left, and grey stays grey."""
    # Twice her size, so that her eyes (17 px wide) have room for a lid and a lash line.
    image = cv2.resize(astronaut.image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC).astype(np.float64)
    lm = 2.0 * astronaut.landmarks.astype(np.float64) + 0.5
    shadow = np.zeros(image.shape[:2], np.float32)
    for eye in ((36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47)):
        lid_to_brow = np.array([*lm[[eye[0], eye[1], eye[2], eye[3]]],
                                *lm[[eye[3], eye[2], eye[1], eye[0]]] - [0, 0.1 * 2 * astronaut.face_width]])
        cv2.fillPoly(shadow, [np.round(lid_to_brow).astype(np.int32)], 1.0)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 3.0)
    grey = (image @ LUMA)[..., None].repeat(3, axis=2) * (1.0 - 0.6 * shadow[..., None])
    portrait = Portrait(np.clip(grey, 0, 255).astype(np.uint8), lm.astype(np.float32),
                        2.0 * astronaut.box, grayscale=True)
    renderer = Renderer(portrait)
    shut = renderer.render(blink(portrait, 1.0))
    assert np.array_equal(shut[..., 0], shut[..., 1]) and np.array_equal(shut[..., 1], shut[..., 2])
    for eye in ((36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47)):
        lid_mean, lid_dark, skin = _closed_eye_figures(shut, portrait, eye)
        open_mean, open_dark, _ = _closed_eye_figures(portrait.image, portrait, eye)
        assert 0.65 * skin < lid_mean < 1.1 * skin, (lid_mean, skin)  # the shadow stretched: 0.5
        assert lid_dark > 0.5 * skin > open_dark, (lid_dark, skin, open_dark)  # the iris is gone


def test_a_closing_smile_covers_the_teeth_beyond_the_inner_lips(astronaut):
    """A smile's teeth reach past dlib's inner-lip corners; as the mouth closes the
    lower lip covers them there too, instead of the warp squashing them into the seam."""
    renderer = Renderer(astronaut)
    lm = astronaut.landmarks

    def teeth(frame, where):  # bright, nearly white pixels
        pixels = frame[where].astype(int)
        return int(((luma(pixels) > 170) & (pixels.max(axis=1) - pixels.min(axis=1) < 45)).sum())

    shut = closed_lips(astronaut)
    beyond = polygon_mask(astronaut.image.shape, lm[48:60]) & ~polygon_mask(astronaut.image.shape, lm[60:68])
    before = teeth(astronaut.image, beyond)
    assert before > 8  # her teeth show beyond the inner-lip corners
    # Anywhere inside the closed mouth's outer lip line: well under those beyond
    # the corners (squashed: 34 against 13; covered, 7 on the seam's lit edge,
    # which the bicubic warp keeps as sharp as the photo's).
    after = teeth(renderer.render(shut), polygon_mask(astronaut.image.shape, shut.landmarks[48:60]))
    assert after < 0.6 * before, (before, after)


def test_a_closing_smile_keeps_the_lower_lips_highlight_and_its_dark_corners(astronaut):
    """Only what lies along the line between the lips is covered as a smile closes: a highlight
    in the middle of the lower lip stays (painted over as a tooth it was a dull blotch), and a
    half-closed smile keeps the dark corners of its opening."""
    lm = astronaut.landmarks.astype(np.float64)
    spot = np.round((lm[66] + lm[57]) / 2).astype(int)
    lit = astronaut.image.copy()
    cv2.circle(lit, (int(spot[0]), int(spot[1])), 2, (250, 250, 250), -1)
    portrait = Portrait(lit, astronaut.landmarks, astronaut.box)
    shut = closed_lips(portrait)
    target = shut.landmarks.astype(np.float64)
    lower_lip = polygon_mask(lit.shape, target[[48, 59, 58, 57, 56, 55, 54, 64, 65, 66, 67, 60]]).astype(bool)
    assert luma(Renderer(portrait).render(shut)[lower_lip]).max() > 235

    half = lm.copy()
    for upper, lower in ((61, 67), (62, 66), (63, 65)):
        half[lower] = lm[lower] - 0.5 * (lm[lower] - lm[upper])
    for follower, leader in ((58, 67), (57, 66), (56, 65)):
        half[follower] += half[leader] - lm[leader]
    frame = Renderer(astronaut).render(TrackFrame(half.astype(np.float32), _pose(), _articulation(lip_closure=0.5), 0.0))
    opening = polygon_mask(lit.shape, half[60:68]).astype(bool)
    width = float(np.linalg.norm(half[64] - half[60]))
    yy, xx = np.mgrid[: lit.shape[0], : lit.shape[1]]
    for corner in (60, 64):
        near = opening & (np.hypot(xx - half[corner, 0], yy - half[corner, 1]) < 0.2 * width)
        assert luma(frame[near]).min() < luma(astronaut.image[near]).min() + 10


def test_a_lip_triangle_turned_over_shows_no_mirrored_photo(grace):
    """Nothing folds over: a lip triangle whose corners come in the other order than in the photo
    (the far lip of a near-profile dropping past its front) takes one colour, its source's middle."""
    renderer = Renderer(grace)
    lm = grace.landmarks.astype(np.float64)
    triangles = renderer.mesh.triangles
    lips = np.flatnonzero(np.all((triangles >= 48) & (triangles < 68), axis=1))
    corners = lm[triangles[lips]]
    edges_1, edges_2 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    areas = np.abs(edges_1[:, 0] * edges_2[:, 1] - edges_1[:, 1] * edges_2[:, 0])
    chosen = lips[int(np.argmax(areas))]
    a, b, c = triangles[chosen]
    target = lm.copy()
    target[a] = lm[b] + lm[c] - lm[a]  # its first corner reflected across the opposite edge
    frame = TrackFrame(target.astype(np.float32), _pose(), _articulation(), 0.0)
    moved, depth, _, _ = renderer._targets(frame)
    depth[[a, b, c]] = depth.max() + 100.0  # drawn last, over the triangles it now overlaps
    source = renderer._source_points(frame)
    folded = renderer.folded_lips(frame.landmarks, source)
    assert folded[chosen]
    map_x, map_y = renderer.backward_map(moved, depth, source, folded)
    x0, y0, _, _ = renderer.roi
    inside = polygon_mask(map_x.shape, moved[[a, b, c]] - [x0, y0]).astype(np.uint8)
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8)) > 0  # away from its edges
    assert inside.sum() > 10
    assert np.ptp(map_x[inside]) < 0.5 and np.ptp(map_y[inside]) < 0.5


def test_tooth_gaps_are_notches_at_the_biting_edge_and_vanish_on_tiny_teeth():
    """Neighbouring teeth touch under the lip (the line between them faint) and part at
    the biting edge; teeth only a few pixels wide get no gap lines at all (a dark line
    every three pixels read as a comb on small mouths)."""
    from speaker.render.mouth import TEETH_DETAIL_FROM, MouthPalette, _upper_teeth

    grey = np.full(3, 128.0)
    palette = MouthPalette(grey, grey, np.full(3, 230.0), grey, grey, grey)

    def gap_contrast(half: float, depth_share: float) -> float:
        """Darkening at the gap between the central incisors, at a share of the teeth height."""
        height = 0.5 * half
        u = np.linspace(-1.0, 1.0, int(8 * half) + 1)[None, :]
        below = np.full_like(u, depth_share * height)
        colour, _ = _upper_teeth(u, below, height, half, palette, np.ones((1, u.shape[1], 1)))
        level = colour[0, :, 0]
        middle = level.shape[0] // 2
        return 1.0 - level[middle] / level[middle + int(round(0.17 * 4 * half))]  # mid-incisor

    big = 40.0
    assert 2 * big >= TEETH_DETAIL_FROM
    assert gap_contrast(big, 0.9) > 0.2
    assert gap_contrast(big, 0.2) < 0.6 * gap_contrast(big, 0.9)
    small = 14.0  # 28 px of inner mouth: central incisors under 5 px wide
    assert 2 * small >= TEETH_DETAIL_FROM
    assert gap_contrast(small, 0.9) < 0.6 * gap_contrast(big, 0.9)  # about the same without the rule


def test_teeth_behind_a_slit_stay_in_the_lips_shadow(grace, grace_renderer):
    """Little light gets into a barely open mouth: its teeth are dimmer than on an open
    vowel (fully lit, a sliver read as a white speck between nearly closed lips)."""

    def bright(amount: float) -> float:
        frame_data = open_mouth(grace, amount)
        frame = grace_renderer.render(frame_data).astype(np.float64)
        inside = polygon_mask(frame.shape, frame_data.landmarks.astype(np.float64)[60:68])
        return float(np.percentile(luma(frame)[inside], 95))

    assert bright(0.2) < 0.75 * bright(1.0)  # 0.88 with the teeth always fully lit
