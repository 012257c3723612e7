"""The mouth as a user sees it: pressed lips without specks, the teeth's dark corners,
a cavity that darkens inwards on a face whose lips are darker than its skin."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from speaker.render import Renderer, mouth, renderer as renderer_module
from speaker.types import Portrait

from test_render import _dlib_face, luma, open_mouth, polygon_mask


def _largest_shift(renderer: Renderer, monkeypatch, stretch: float) -> float:
    """Largest distance (pixels) between an output pixel and its source when the photo's parted
    inner lips are pressed together (a hundredth of a pixel apart, as the motion stage's
    closure leaves them in float32), the seam's slivers drawn on top of their neighbours."""
    monkeypatch.setattr(renderer_module, "MAX_MAP_STRETCH", stretch)
    moved = renderer.mesh.points.copy()
    depth = renderer.mesh.depth.copy()
    meet = (moved[[61, 62, 63]] + moved[[67, 66, 65]]) / 2
    moved[[61, 62, 63]] = meet
    moved[[67, 66, 65]] = meet + np.array([0.0, 0.013])
    # Drawing order follows depth; on Mark Twain a sliver of the seam happened to be drawn last.
    depth[[61, 62, 63, 65, 66, 67]] += renderer.mesh.frame.width
    map_x, map_y = renderer.backward_map(moved, depth)
    return float(np.hypot(map_x - renderer.base_x, map_y - renderer.base_y).max())


def test_pressed_lips_sample_only_the_lips(astronaut, monkeypatch):
    """Pressing parted lips together squeezes the seam's triangles to slivers whose affine
    maps stretch a hundredfold; the pixels the rasteriser gives them (just off the sliver) take
    the lips, never pixels far away (white specks of beard on Mark Twain's pressed lips)."""
    renderer = Renderer(astronaut)
    assert renderer.photo_gap > 5  # her smile is open: the seam closes by several pixels
    face_width = renderer.mesh.frame.width
    assert _largest_shift(renderer, monkeypatch, renderer_module.MAX_MAP_STRETCH) < 0.1 * face_width
    assert _largest_shift(renderer, monkeypatch, np.inf) > face_width  # the specks without the rule


def test_teeth_fade_into_dark_mouth_corners():
    """The row of upper teeth is lit in the middle and fades into the shadow beside the last
    visible teeth (the buccal corridor), instead of running to the corners as a white rim."""
    palette = mouth.MouthPalette(np.full(3, 120.0), np.full(3, 150.0), np.full(3, 220.0),
                                 np.full(3, 50.0), np.full(3, 25.0), np.full(3, 60.0))
    half = 40.0
    u = np.linspace(-1.0, 1.0, 321)[None, :]
    height = 12.0
    below = np.full_like(u, 0.5 * height)
    colour, weight = mouth._upper_teeth(u, below, height, half, palette, np.ones((1, u.shape[1], 1)))
    level = colour[0, :, 0]
    at = lambda value: int(np.argmin(np.abs(u[0] - value)))  # noqa: E731
    lit = max(level[at(0.15)], level[at(-0.15)])
    cavity = palette.cavity_edge[0]
    assert lit > 180
    assert (level[at(0.85)] - cavity) < 0.35 * (lit - cavity)
    # No teeth at the corners at all, only the cavity.
    assert weight[0, at(0.97)] == 0.0 and weight[0, at(-0.97)] == 0.0


def _dark_lipped(grace: Portrait) -> Portrait:
    """Grace with her lips in deep shadow (a moustache's), much darker than her skin."""
    image = grace.image.astype(np.float64)
    lips = polygon_mask(image.shape, grace.landmarks[48:60])
    image[lips] *= 0.45
    return Portrait(np.clip(image, 0, 255).astype(np.uint8), grace.landmarks, grace.box)


def test_cavity_of_dark_lips_darkens_inwards_not_black_at_once(grace):
    """Lips much darker than the skin: the open mouth is still darker than those lips, but its
    edge is not black, and it darkens from the lower lip inwards."""
    portrait = _dark_lipped(grace)
    palette = mouth.sample_palette(portrait.image, portrait.landmarks, portrait.face_width)
    lip, skin = float(luma(palette.lip)), float(luma(palette.skin))
    assert lip < 0.6 * skin
    edge = float(luma(palette.cavity_edge))
    assert 0.25 * skin < edge < 0.75 * lip  # 0.4 x lip (0.18 x skin) before: a hole

    frame_data = open_mouth(portrait)
    out = Renderer(portrait).render(frame_data).astype(np.float64)
    lm = frame_data.landmarks.astype(np.float64)
    column = int(round(lm[66, 0]))
    profile = luma(out[int(lm[62, 1]) : int(lm[66, 1]) + 1, column - 1 : column + 2]).mean(axis=1)
    near_lower_lip = profile[-5:-2].mean()
    deepest = profile[len(profile) // 3 : -5].min()
    assert deepest < 0.6 * lip
    assert near_lower_lip > deepest + 8, profile.round()


@pytest.mark.parametrize("name", ["grace", "astronaut"])
def test_squeeze_rule_leaves_open_and_neutral_frames_alone(name, request):
    """The sliver rule only touches squeezed seams: a neutral frame is still the photo and an
    open mouth is drawn as before."""
    portrait = request.getfixturevalue(name)
    renderer = Renderer(portrait)
    frame = open_mouth(portrait)
    moved, depth, _, _ = renderer._targets(frame)
    first = renderer.backward_map(moved, depth)
    original = renderer_module.MAX_MAP_STRETCH
    try:
        renderer_module.MAX_MAP_STRETCH = np.inf
        second = renderer.backward_map(moved, depth)
    finally:
        renderer_module.MAX_MAP_STRETCH = original
    assert np.allclose(first[0], second[0]) and np.allclose(first[1], second[1])


def _turned_opening(midline_share: float) -> np.ndarray:
    """Inner lips 60..67 (8, 2) of an open mouth 80 px wide whose midline (62, 66) sits at
    ``midline_share`` of the way from the near corner (60) to the far one (64)."""
    near, far, top, bottom = 20.0, 100.0, 40.0, 64.0
    mid = near + midline_share * (far - near)
    upper = [(0.5 * (near + mid), top + 2.0), (mid, top), (0.5 * (mid + far), top + 2.0)]
    lower = [(0.5 * (mid + far), bottom - 3.0), (mid, bottom), (0.5 * (near + mid), bottom - 3.0)]
    return np.array([(near, 52.0), *upper, (far, 52.0), *lower], np.float64)


@pytest.mark.parametrize("midline_share", [0.5, 0.8])
def test_teeth_of_a_turned_mouth_are_centred_on_its_midline(midline_share):
    """On a face turned from the camera the far half of the mouth is foreshortened: the
    incisors (the brightest teeth) sit at the mouth's midline, not halfway between the corners."""
    grey = np.full(3, 128.0)
    palette = mouth.MouthPalette(grey, grey, np.full(3, 230.0), np.full(3, 40.0), np.full(3, 20.0), np.full(3, 50.0))
    inner = _turned_opening(midline_share)
    frame = np.full((100, 120, 3), 128, np.uint8)
    mouth.paint_interior(frame, inner, 100.0, 1.0, 0.5, 0.0, palette, (0, 0, 120, 100))
    # Along a row through the teeth, the brightest teeth (the central incisors, the near one
    # wider than the far one) span the midline; halfway between the corners is the cavity's
    # side of the row on the turned mouth.
    row = luma(frame[int(inner[2, 1]) + 3, :])
    bright = np.flatnonzero(row >= row.max() - 10)
    midline, between_corners = inner[2, 0], 0.5 * (inner[0, 0] + inner[4, 0])
    assert bright.min() < midline < bright.max(), (bright, midline)
    if midline_share > 0.5:
        assert bright.min() > between_corners + 5, (bright, between_corners)


def _moustache_and_beard(grace: Portrait) -> Portrait:
    """Grace with a dark beard below the lower lip (the render tests' own) and a dark moustache
    from under the nose down over the upper lip, fitted by dlib again."""
    from test_render import _paint_beard

    image = _paint_beard(grace.image, grace.landmarks).astype(np.float64)
    lm = grace.landmarks.astype(np.float64)
    face_width = float(np.linalg.norm(lm[16] - lm[0]))
    top = [lm[i] + np.array([0.0, 0.01 * face_width]) for i in (31, 32, 33, 34, 35)]
    outline = np.array([lm[48] + [-0.03 * face_width, 0.0], *top, lm[54] + [0.03 * face_width, 0.0],
                        *lm[[53, 52, 51, 50, 49]]], np.float32)
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(outline).astype(np.int32)], 255)
    weight = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 1.5)[..., None]
    rng = np.random.default_rng(1)
    hair = cv2.GaussianBlur(rng.normal(0.0, 1.0, image.shape[:2]).astype(np.float32), (0, 0), sigmaX=0.6, sigmaY=2.0)
    hair = np.clip(70.0 + 25.0 * hair / hair.std(), 0, 255)[..., None] * np.array([1.0, 0.9, 0.8])
    painted = np.clip(image * (1.0 - weight) + hair * weight, 0, 255).astype(np.uint8)
    landmarks, box = _dlib_face(painted)
    return Portrait(painted, landmarks, box)


def test_opening_shows_between_moustache_and_beard(grace):
    """On a face with a moustache and a full beard the dark opening between them grows with
    jaw_open, and the beard under the chin drops with it."""
    portrait = _moustache_and_beard(grace)
    renderer = Renderer(portrait)
    lm = portrait.landmarks.astype(np.float64)
    # The band between the moustache's lower edge and the beard's upper edge: the lips at rest.
    x0, x1 = int(lm[60, 0]), int(lm[64, 0])
    y0, y1 = int(lm[51, 1]) + 2, int(lm[57, 1] + 0.05 * portrait.face_width) - 2
    lips = polygon_mask(portrait.image.shape, lm[48:60]) & ~polygon_mask(portrait.image.shape, lm[60:68])
    dark = 0.6 * float(np.median(luma(portrait.image[lips])))
    counts, chins = [], []
    rest = luma(renderer.render(open_mouth(portrait, 0.0)).astype(np.float64))
    for amount in (0.0, 0.5, 1.0):
        frame = luma(renderer.render(open_mouth(portrait, amount)).astype(np.float64))
        counts.append(int(np.count_nonzero(frame[y0:y1, x0:x1] < dark)))
        # The beard's lower edge below the chin (where it meets the skin) moves down.
        column = frame[:, int(lm[8, 0]) - 3 : int(lm[8, 0]) + 4].mean(axis=1)
        start = int(lm[8, 1])
        chins.append(start + int(np.argmax(np.diff(column[start : start + int(0.3 * portrait.face_width)]))))
    assert counts[0] < counts[1] < counts[2], counts
    assert counts[2] > 3 * max(counts[0], 10), counts
    assert chins[2] - chins[0] >= 0.6 * 0.12 * portrait.face_width, chins  # open_mouth drops the chin 0.12
    assert np.abs(rest - luma(portrait.image.astype(np.float64))).max() < 1.0


def test_cavity_is_as_dark_as_the_photos_own_mouth_line(grace):
    """Where the photo shows the line between the lips black (Lincoln's), the mouth's inside
    is that dark too, still lighter at its edge than deep inside; a photo whose mouth line is
    lighter than the cavity keeps the cavity's own tones."""
    lm = grace.landmarks.astype(np.float64)
    line = np.array([lm[60], (lm[61] + lm[67]) / 2, (lm[62] + lm[66]) / 2, (lm[63] + lm[65]) / 2, lm[64]])
    image = grace.image.copy()
    cv2.polylines(image, [np.round(line).astype(np.int32)], False, (3, 3, 3), 3)
    black = mouth.sample_palette(image, lm, grace.face_width)
    own = mouth.sample_palette(grace.image, lm, grace.face_width)
    assert luma(black.cavity_deep) <= 4.0
    assert luma(black.cavity_edge) > luma(black.cavity_deep) + 15
    assert luma(own.cavity_deep) > 20  # Grace's own line is lighter: her cavity as before
    assert np.allclose(own.skin, black.skin) and np.allclose(own.teeth, black.teeth)


def test_the_photos_dark_lip_line_goes_into_the_opening(grace):
    """A photo whose closed lips meet in a thick black line: as the mouth opens that line goes
    inside the opening (under the painted inside), it does not stay as a black edge along the
    upper lip above the teeth."""
    lm = grace.landmarks.astype(np.float64)
    line = np.array([lm[60], (lm[61] + lm[67]) / 2, (lm[62] + lm[66]) / 2, (lm[63] + lm[65]) / 2, lm[64]])
    image = grace.image.copy()
    cv2.polylines(image, [np.round(line).astype(np.int32)], False, (3, 3, 3), 3)
    portrait = Portrait(image, grace.landmarks, grace.box)
    renderer = Renderer(portrait)
    assert renderer.seam_half > 1.0
    frame_data = open_mouth(portrait)
    out = renderer.render(frame_data).astype(np.float64)
    target = frame_data.landmarks.astype(np.float64)
    lips = polygon_mask(image.shape, lm[48:60]) & ~polygon_mask(image.shape, lm[60:68])
    lip = float(np.median(luma(image[lips])))
    # The upper lip's inner edge: the two rows just above the middle of the target upper inner lip.
    x = int(round(target[62, 0]))
    edge = luma(out[int(target[62, 1]) - 2 : int(target[62, 1]), x - 3 : x + 4]).mean()
    assert edge > 0.5 * lip, (edge, lip)
    # At rest the frame is still the photo.
    assert np.abs(renderer.render(open_mouth(portrait, 0.0)).astype(int) - image).max() <= 1


def _bunched_opening() -> np.ndarray:
    """Inner lips 60..67 (8, 2) of a near-profile's open mouth as the face mesh gives them: the far
    half bunched at the lips' front (x 90-96), so the outline is a wedge from the near corner with a
    straight front edge."""
    return np.array([(20.0, 52.0), (90.0, 41.0), (93.0, 40.0), (95.0, 40.5), (96.0, 50.0),
                     (95.0, 61.0), (93.0, 62.0), (90.0, 61.0)], np.float64)


@pytest.mark.parametrize("mirrored", [False, True])
def test_turned_mouth_opens_as_a_rounded_gap_not_a_wedge(mirrored):
    """A near-profile's opening is a rounded gap between two lips: its edges bow out from the near
    corner (fuller than the straight wedge of its landmarks) and its front closes in a rounded end
    (shorter there than at its tallest), not along the landmarks' straight front edge; the same
    for a face turned the other way."""
    grey = np.full(3, 128.0)
    palette = mouth.MouthPalette(grey, grey, np.full(3, 230.0), np.full(3, 40.0), np.full(3, 20.0), np.full(3, 50.0))
    inner = _bunched_opening()
    if mirrored:  # the landmarks' corner 60 stays on the image's left
        inner[:, 0] = 119.0 - inner[:, 0]
        inner = inner[[4, 3, 2, 1, 0, 7, 6, 5]]
    assert mouth.side_view_share(inner) == 1.0
    assert mouth.side_view_share(_turned_opening(0.5)) == 0.0  # a frontal mouth keeps its outline
    frame = np.full((100, 120, 3), 128, np.uint8)
    mouth.paint_interior(frame, inner, 90.0, 1.0, 0.5, 0.0, palette, (0, 0, 120, 100))
    painted = np.abs(frame[..., 0].astype(int) - 128) > 20
    if mirrored:
        painted = painted[:, ::-1]
    height = painted.sum(axis=0)
    tallest = int(height.max())
    wedge_at_55 = (55.0 - 20.0) / (93.0 - 20.0) * 21.0  # the landmarks' straight edges, halfway to the midline
    assert height[55] > 1.15 * wedge_at_55, (height[55], wedge_at_55)
    assert height[95] < 0.75 * tallest, (height[95], tallest)
    assert not painted[:, 98:].any()  # nothing past the lips' front


def test_side_view_teeth_scale_with_the_near_half_not_the_foreshortened_width():
    """A turned mouth's widths are foreshortened by its far half: its teeth are sized and lit by
    the near half's width, so the same opening shows taller teeth seen from the side than the
    landmarks' corner-to-corner width alone would allow."""
    grey = np.full(3, 128.0)
    palette = mouth.MouthPalette(grey, grey, np.full(3, 230.0), np.full(3, 40.0), np.full(3, 20.0), np.full(3, 50.0))
    inner = _bunched_opening()
    outer_width = 40.0  # teeth capped at UPPER_TEETH_OF_WIDTH of it: 4 px without the side view's scale
    frame = np.full((100, 120, 3), 128, np.uint8)
    mouth.paint_interior(frame, inner, outer_width, 1.0, 0.5, 0.0, palette, (0, 0, 120, 100))
    tallest = int((frame[:, 60:93, 0] > 170).sum(axis=0).max())
    assert tallest >= mouth.UPPER_TEETH_OF_WIDTH * outer_width + 2, tallest


def test_opening_a_mouth_whose_inner_lips_coincide_leaves_no_hole(grace):
    """dlib often puts a closed mouth's inner lips on one another (63 on 65 on Grace Hopper): the
    mesh's inner-lip triangles have no area in the photo but open with the lips, so they must be
    kept. Dropped, they left a hole whose pixels showed the unwarped photo (her lower lip's
    highlight as a pinkish-white speck on the opened upper lip of the demo). Here the photo's
    lower lip is white: the opened mouth shows none of it between the lips' outer lines."""
    landmarks = grace.landmarks.astype(np.float64).copy()
    landmarks[[65, 66, 67]] = landmarks[[63, 62, 61]]
    image = grace.image.copy()
    lower_lip = polygon_mask(image.shape, landmarks[[54, 55, 56, 57, 58, 59, 48, 60, 67, 66, 65, 64]])
    image[lower_lip] = 255
    portrait = Portrait(image, landmarks.astype(np.float32), grace.box)
    renderer = Renderer(portrait)
    frame = open_mouth(portrait)
    out = renderer.render(frame)
    target = np.asarray(frame.landmarks, np.float64)
    # The lower lip itself is white in this photo; above it (upper lip and opening) nothing is,
    # away from the corners, where the lower lip meets the upper one.
    upper_part = polygon_mask(out.shape, target[[48, 49, 50, 51, 52, 53, 54, 64, 65, 66, 67, 60]])
    upper_part[:, : int(np.ceil(target[49, 0]))] = False
    upper_part[:, int(target[53, 0]) :] = False
    white = (luma(out) > 235) & upper_part
    assert upper_part.sum() > 100
    assert white.sum() == 0, np.argwhere(white).tolist()


def test_the_inside_of_an_enlarged_photos_mouth_is_as_soft_as_the_photo(grace_hopper_path):
    """A small photo enlarged for the render (Mona Lisa's 197 px, 2.6 times) has soft edges everywhere;
    painted at the render's pixel, its teeth and the cavity's edge were crisp inside soft lips, a
    cut-out (here 3.3 times the lips' detail; about the same once painted at the photo's scale)."""
    from PIL import Image

    full = np.asarray(Image.open(grace_hopper_path).convert("RGB"))
    small = cv2.resize(full, None, fx=1 / 3, fy=1 / 3, interpolation=cv2.INTER_AREA)
    enlarged = np.ascontiguousarray(cv2.resize(small, full.shape[1::-1], interpolation=cv2.INTER_CUBIC))
    landmarks, box = _dlib_face(full)

    def detail_at_the_opening(upscale: float) -> float:
        """90th percentile of |Laplacian| over the opening and 2 px around it, over the same in the photo's lips."""
        portrait = Portrait(enlarged, landmarks, box, upscale=upscale)
        frame = open_mouth(portrait, 1.0)
        rendered = Renderer(portrait).render(frame)
        opening = polygon_mask(rendered.shape, frame.landmarks[60:68].astype(np.float64))
        around = cv2.dilate(opening.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        lips = polygon_mask(rendered.shape, landmarks[48:60].astype(np.float64)).astype(bool)
        painted = np.abs(cv2.Laplacian(luma(rendered), cv2.CV_64F))[around]
        photo = np.abs(cv2.Laplacian(luma(enlarged), cv2.CV_64F))[lips]
        return float(np.percentile(painted, 90) / np.percentile(photo, 90))

    assert detail_at_the_opening(3.0) < 1.5
    assert detail_at_the_opening(1.0) > 2.5  # the same photo taken as sharp: painted at the render's pixel
