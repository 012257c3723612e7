"""The face stage on real photos (shipped in packages) and files the tests make."""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

from speaker.errors import SpeakerError, SpeakerWarning
from speaker.face import (
    MAX_YAW_DEGREES,
    UPSCALE_SHORT_SIDE,
    available_backends,
    check_frontal,
    estimate_yaw_degrees,
    find_portrait,
    get_landmarker,
    load_image,
    FaceNotInPhoto,
    load_portrait,
    load_portraits,
    prepare_image,
)

GRACE = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


@pytest.fixture(scope="module")
def grace() -> np.ndarray:
    image, _ = load_image(GRACE)
    return image


@pytest.fixture(scope="module")
def grace_portrait(grace):
    return find_portrait(grace, False)


def _save(tmp_path: Path, name: str, picture: Image.Image, **params) -> Path:
    path = tmp_path / name
    picture.save(path, **params)
    return path


def _assert_face_layout(landmarks: np.ndarray, box: np.ndarray) -> None:
    """Eyes above the nose tip above the mouth, left eye left of right eye, all near the box."""
    eyes_y = landmarks[36:48, 1].mean()
    nose_tip_y = landmarks[30, 1]
    mouth_y = landmarks[48:68, 1].mean()
    assert eyes_y < nose_tip_y < mouth_y
    assert landmarks[36:42, 0].mean() < landmarks[42:48, 0].mean()
    assert landmarks[8, 1] > mouth_y  # chin below the mouth
    width = box[2] - box[0]
    assert np.all(landmarks[:, 0] > box[0] - 0.25 * width) and np.all(landmarks[:, 0] < box[2] + 0.25 * width)


# --- finding faces -------------------------------------------------------------


def test_grace_hopper_has_one_face_with_plausible_landmarks(grace, grace_portrait):
    portrait = grace_portrait
    assert portrait.face_count == 1 and portrait.face_index == 0
    assert portrait.landmarks.shape == (68, 2) and portrait.landmarks.dtype == np.float32
    assert portrait.box.shape == (4,) and portrait.other_faces.shape == (0, 4)
    assert portrait.grayscale is False
    assert portrait.image.shape == grace.shape  # a face this large is not upscaled
    _assert_face_layout(portrait.landmarks, portrait.box)
    # The face sits in the upper middle of this portrait.
    centre = portrait.landmarks.mean(axis=0)
    assert 180 < centre[0] < 370 and 130 < centre[1] < 340
    assert abs(estimate_yaw_degrees(portrait.landmarks)) < 10


def test_astronaut_face_is_found_and_badge_false_alarm_dropped(tmp_path):
    skimage_data = pytest.importorskip("skimage.data")
    path = _save(tmp_path, "astronaut.png", Image.fromarray(skimage_data.astronaut()))
    image, grayscale = load_image(path)
    portrait = find_portrait(image, grayscale)
    assert not grayscale
    # HOG fires weakly on the suit's patch below the face; only the face counts.
    assert portrait.face_count == 1
    centre = portrait.landmarks.mean(axis=0)
    assert 170 < centre[0] < 270 and 70 < centre[1] < 175
    _assert_face_layout(portrait.landmarks, portrait.box)


def test_two_faces_are_numbered_left_to_right(grace):
    pair = np.ascontiguousarray(np.hstack([grace, grace]))
    half = grace.shape[1]

    left = find_portrait(pair, False, face_index=0)
    right = find_portrait(pair, False, face_index=1)
    assert left.face_count == right.face_count == 2
    assert left.face_index == 0 and right.face_index == 1
    assert left.box[2] <= half + 5 and right.box[0] >= half - 5
    assert np.all(left.landmarks[:, 0] < half) and np.all(right.landmarks[:, 0] > half)
    # Each portrait lists the other face, which must stay still.
    np.testing.assert_allclose(left.other_faces, right.box[None], atol=1)
    np.testing.assert_allclose(right.other_faces, left.box[None], atol=1)
    # The same face, shifted by one image width (HOG's scan grid moves the fit a few pixels).
    assert np.median(np.abs(right.landmarks - [half, 0] - left.landmarks)) < 5

    with pytest.raises(SpeakerError, match=r"has 2 faces; choose --face 0 or 1"):
        find_portrait(pair, False, face_index=2)
    with pytest.raises(SpeakerError, match=r"has 2 faces"):
        find_portrait(pair, False, face_index=-1)


def test_random_noise_has_no_face():
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    with pytest.raises(SpeakerError, match="No face was found"):
        find_portrait(noise, False)


def test_small_photo_with_small_face_is_upscaled_and_refitted(grace, grace_portrait):
    small = np.asarray(Image.fromarray(grace).resize((200, 234), Image.LANCZOS))
    portrait = find_portrait(small, False, max_side=1280)
    height, width = portrait.image.shape[:2]
    assert min(height, width) >= UPSCALE_SHORT_SIDE - 2 and height % 2 == 0 and width % 2 == 0
    # Coordinates refer to the upscaled image: close to the full-size fit, rescaled.
    scale = width / grace.shape[1]
    assert np.median(np.abs(portrait.landmarks - grace_portrait.landmarks * scale)) < 6
    _assert_face_layout(portrait.landmarks, portrait.box)


def test_upscaling_respects_max_side():
    image = np.zeros((200, 400, 3), np.uint8)
    upscaled, scale = prepare_image(image, max_side=600, face_width=60)
    assert upscaled.shape == (300, 600, 3) and scale == pytest.approx(1.5)
    # Large faces or large photos are left alone.
    assert prepare_image(image, max_side=1280, face_width=200)[1] == 1.0
    assert prepare_image(np.zeros((600, 800, 3), np.uint8), max_side=1280, face_width=60)[1] == 1.0


def _two_small_faces(grace, path: Path, width: int = 300) -> np.ndarray:
    """A 4000x1000 photo holding Grace Hopper twice, ``width`` px wide (300: her face about 130 px), far apart."""
    small = Image.fromarray(grace).resize((width, round(width * 352 / 300)), Image.LANCZOS)
    rng = np.random.default_rng(0)
    photo = (128 + rng.integers(0, 20, (1000, 4000, 3))).astype(np.uint8)
    photo[300:300 + small.height, 500:500 + width] = np.asarray(small)
    photo[500:500 + small.height, 3000:3000 + width] = np.asarray(small.transpose(Image.FLIP_LEFT_RIGHT))
    Image.fromarray(photo).save(path)
    return photo


def test_a_face_too_small_in_the_photo_scaled_down_is_animated_in_the_part_around_it(grace, tmp_path):
    """Scaled to 1280 pixels the faces are 42 px wide, too small; the file has 130 px of each."""
    path = tmp_path / "group.png"
    photo = _two_small_faces(grace, path)
    with pytest.raises(SpeakerError, match="too small"):
        find_portrait(*load_image(path, max_side=1280))
    for face_index, face_x in ((1, 3150), (0, 650)):
        with pytest.warns(SpeakerWarning, match="small in this large photo"):
            portrait = load_portrait(path, face_index=face_index, max_side=1280)
        height, width = portrait.image.shape[:2]
        assert (width, height) == (1280, 1000)
        # The photo's own pixels, unscaled, about the face asked for.
        matches = [x for x in range(0, 4000 - width + 1) if np.array_equal(photo[:height, x:x + 8], portrait.image[:, :8])]
        assert len(matches) == 1
        left = matches[0]
        assert np.array_equal(photo[:, left:left + width], portrait.image)
        box = portrait.box
        assert box[2] - box[0] > 100
        assert abs((box[0] + box[2]) / 2 + left - face_x) < 60
        # Numbered in the whole photo, as --face counts; the part of the file shown.
        assert (portrait.face_index, portrait.face_count) == (face_index, 2)
        assert portrait.view == pytest.approx((left, 0, left + width, height), abs=1)


def test_a_small_face_in_a_large_photo_lying_on_its_side_is_looked_at_closer_and_stood_upright(grace, tmp_path):
    photo = _two_small_faces(grace, tmp_path / "group.png")
    path = tmp_path / "sideways.png"
    Image.fromarray(np.ascontiguousarray(np.rot90(photo, 1))).save(path)
    for face_index, face_y in ((0, 445), (1, 645)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SpeakerWarning)
            portrait = load_portrait(path, face_index=face_index, max_side=1280)
        said = [str(warning.message) for warning in caught]
        assert len(said) == 2 and "lies on its side" in said[0] and "small in this large photo" in said[1]
        assert portrait.image.shape == (1000, 1280, 3)
        box = portrait.box
        assert box[2] - box[0] > 100 and abs((box[1] + box[3]) / 2 - face_y) < 60


def test_a_small_face_in_a_scan_too_large_to_decode_whole_is_looked_at_closer_at_the_detail_that_fits(
        grace, tmp_path, monkeypatch):
    from speaker.face import image as image_module

    photo = _two_small_faces(grace, tmp_path / "group.png")
    path = _save(tmp_path, "group.jpg", Image.fromarray(photo), quality=95)
    monkeypatch.setattr(image_module, "MAX_DECODE_PIXELS", 4000 * 1000 // 3)
    with pytest.warns(SpeakerWarning, match=r"2560x1000 pixels at 0.5 of the file's detail, as much as can be loaded"):
        portrait = load_portrait(path, face_index=1, max_side=1280)
    assert 55 < portrait.box[2] - portrait.box[0] < 75  # half the file's 130 px
    assert portrait.image.shape == (500, 1280, 3)  # twice the part of the photo a full-detail look shows


def test_faces_too_small_to_be_seen_in_the_photo_scaled_down_are_looked_for_at_finer_detail(grace, tmp_path):
    """A class photo's faces: 160 px of Grace (a 60 px face) are 19 px scaled to 1280, where no face is seen."""
    path = tmp_path / "class.png"
    _two_small_faces(grace, path, width=160)
    with pytest.raises(SpeakerError, match="No face was found"):
        find_portrait(*load_image(path, max_side=1280))
    # The right one (face 1 left to right), each pass costing seconds on so large a photo.
    with pytest.warns(SpeakerWarning, match="small in this large photo"):
        portrait = load_portrait(path, face_index=1, max_side=1280)
    assert portrait.image.shape == (1000, 1280, 3)
    box = portrait.box
    assert 50 < box[2] - box[0] < 80
    assert abs((box[0] + box[2]) / 2 + portrait.view[0] - 3080) < 40
    assert (portrait.face_index, portrait.face_count) == (1, 2)
    with pytest.raises(SpeakerError, match="has 2 faces"):
        load_portrait(path, face_index=2, max_side=1280)
    # A smaller video asks for the face closer, not for a coarser look (at twice 640 px it is 10 px and not seen).
    with pytest.warns(SpeakerWarning, match="a smaller one shows the face closer"):
        closer = load_portrait(path, face_index=1, max_side=640)
    assert closer.image.shape[1] == 640 and 50 < closer.box[2] - closer.box[0] < 80


def test_faces_seen_only_at_finer_detail_in_a_photo_lying_on_its_side_are_stood_upright(grace, tmp_path):
    """The class photo above scanned on its side: the finer look turns it as the first look does."""
    from speaker.face import faces_of_photo

    photo = _two_small_faces(grace, tmp_path / "class.png", width=160)
    path = tmp_path / "sideways.png"
    Image.fromarray(np.ascontiguousarray(np.rot90(photo, 1))).save(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SpeakerWarning)
        portrait = load_portrait(path, face_index=1, max_side=1280)
    said = [str(warning.message) for warning in caught]
    assert len(said) == 2 and "lies on its side" in said[0] and "small in this large photo" in said[1]
    assert portrait.image.shape == (1000, 1280, 3)  # upright
    assert 50 < portrait.box[2] - portrait.box[0] < 80
    # The right face: upright at x 3080 of 4000, it lies at y 4000 - 3080 of the photo as given.
    left, top, right, bottom = portrait.view
    assert right - left == 1000 and top < 4000 - 3080 < bottom
    image, boxes, _, to_file = faces_of_photo(path, max_side=1280)
    assert image.shape[1] > image.shape[0] and len(boxes) == 2  # drawn upright, numbered left to right
    assert boxes[0][0] < boxes[1][0] and abs((boxes[1][0] + boxes[1][2]) / 2 * to_file - 3080) < 40


def test_a_face_too_small_in_the_file_itself_is_refused_with_its_width_in_the_file(grace, tmp_path):
    path = tmp_path / "class.png"
    _two_small_faces(grace, path, width=100)
    with pytest.raises(SpeakerError, match=r"too small \((3\d|4[0-7]) pixels wide in the photo\)"):
        load_portrait(path, face_index=0, max_side=1280)


def test_the_small_faces_of_a_scene_share_one_view_about_them_all(grace, tmp_path):
    """A dialogue's two faces, 130 px in the file and 2500 px apart: one view holds both, scaled down."""
    path = tmp_path / "group.png"
    _two_small_faces(grace, path)
    with pytest.warns(SpeakerWarning, match="faces are small in this large photo.*scaled to"):
        left, right = load_portraits(path, [0, 1], max_side=1280)
    assert left.image is right.image or np.array_equal(left.image, right.image)
    assert max(left.image.shape[:2]) == 1280
    # Both faces, left to right, each as wide as the view's scale makes it.
    per_pixel = left.image.shape[0] / 1000
    for portrait in (left, right):
        assert abs((portrait.box[2] - portrait.box[0]) - 130 * per_pixel) < 12
    apart = ((right.box[0] + right.box[2]) - (left.box[0] + left.box[2])) / 2 / per_pixel
    assert abs(apart - 2500) < 40
    with pytest.raises(FaceNotInPhoto) as error:
        load_portraits(path, [0, 3], max_side=1280)
    assert error.value.face_count == 2 and "has 2 faces" in str(error.value)


def test_small_faces_too_far_apart_to_share_a_view_are_refused(grace, tmp_path):
    path = tmp_path / "group.png"
    _two_small_faces(grace, path, width=240)
    with pytest.raises(SpeakerError, match="too far apart"):
        load_portraits(path, [0, 1], max_side=1280)


def test_tiny_face_is_refused(grace):
    tiny = np.asarray(Image.fromarray(grace).resize((100, 116), Image.LANCZOS))
    with pytest.raises(SpeakerError, match="too small"):
        find_portrait(tiny, False)


@pytest.mark.filterwarnings("ignore::speaker.errors.SpeakerWarning")
def test_a_photo_cut_off_above_the_mouth_is_refused_and_one_cut_through_it_is_not(grace, grace_portrait):
    # Cut half way from the nose's base to the upper lip: the face is still found, its mouth lies below the edge.
    lm = grace_portrait.landmarks
    cut = 0.5 * (float(lm[33, 1]) + float(lm[48:60, 1].min()))
    above = np.ascontiguousarray(grace[: int(cut) // 2 * 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpeakerWarning)  # refused in one sentence, no face-mesh warning before it
        with pytest.raises(SpeakerError, match="mouth is outside the photo"):
            find_portrait(above, False)
    inner_middle = float(grace_portrait.landmarks[[62, 66], 1].mean())
    through = find_portrait(np.ascontiguousarray(grace[: int(inner_middle + 6) // 2 * 2]), False)
    assert through.landmarks[60:68, 1].min() < through.image.shape[0]


@pytest.mark.parametrize("quarter_turns", [1, 2])
def test_a_photo_lying_on_its_side_or_upside_down_is_stood_upright(grace, grace_portrait, quarter_turns):
    stored = np.ascontiguousarray(np.rot90(grace, quarter_turns))  # a scan with no orientation tag
    with pytest.warns(SpeakerWarning, match="to stand it upright"):
        portrait = find_portrait(stored, False)
    assert portrait.image.shape == grace.shape
    assert np.array_equal(portrait.image, grace)
    _assert_face_layout(portrait.landmarks, portrait.box)
    assert np.abs(portrait.landmarks - grace_portrait.landmarks).max() < 2.0


def test_a_face_lying_on_its_side_that_the_slow_detector_finds_as_it_lies_is_stood_upright_too():
    """dlib's CNN finds the astronaut lying on her side; animated so, her video would lie on its side."""
    import skimage.data

    upright = np.ascontiguousarray(skimage.data.astronaut())
    with pytest.warns(SpeakerWarning, match="to stand it upright"):
        portrait = find_portrait(np.ascontiguousarray(np.rot90(upright, 1)), False)
    assert np.array_equal(portrait.image, upright)


def test_a_faint_face_lying_on_its_side_is_stood_upright_when_nothing_is_level_as_it_lies():
    """A soft scan scores under TURNED_SURE_SCORE, where false alarms on turned copies lie;
    with no level face in the photo as it lies, the turn is still taken."""
    import cv2
    import skimage.data

    from speaker.face import TURNED_SURE_SCORE
    from speaker.face.core import get_landmarker

    soft = cv2.GaussianBlur(skimage.data.astronaut(), (0, 0), 3.0)
    scores = [score for _, score, _ in get_landmarker("dlib").detect_quick(soft)]
    assert scores and max(scores) < TURNED_SURE_SCORE  # the weak case this test is about
    with pytest.warns(SpeakerWarning, match="to stand it upright"):
        portrait = find_portrait(np.ascontiguousarray(np.rot90(soft, 3)), False)
    assert np.array_equal(portrait.image, soft)
    _assert_face_layout(portrait.landmarks, portrait.box)


def test_a_face_tilted_by_45_degrees_is_animated_as_it_lies(grace):
    """A quarter turn would only tilt it the other way: none is taken."""
    tilted = np.asarray(Image.fromarray(grace).rotate(45, expand=True, fillcolor=(128, 128, 128)))
    tilted = np.ascontiguousarray(tilted[: tilted.shape[0] // 2 * 2, : tilted.shape[1] // 2 * 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SpeakerWarning)
        portrait = find_portrait(tilted, False)
    assert np.array_equal(portrait.image, tilted)
    assert not any("upright" in str(warning.message) for warning in caught)


def test_face_turned_too_far_is_refused(grace_portrait):
    landmarks = grace_portrait.landmarks.copy()
    check_frontal(landmarks)  # Grace Hopper faces the camera
    # Move the nose tip most of the way to the jaw's right end: a near-profile view.
    landmarks[30] = landmarks[0] + 0.99 * (landmarks[16] - landmarks[0])
    assert estimate_yaw_degrees(landmarks) > MAX_YAW_DEGREES
    with pytest.raises(SpeakerError, match="turned too far"):
        check_frontal(landmarks)
    # In the mirror image the jaw's ends swap labels (landmark 0 is always the image-left end).
    mirrored = landmarks.copy()
    mirrored[:, 0] = 1000 - mirrored[:, 0]
    mirrored[[0, 16]] = mirrored[[16, 0]]
    assert estimate_yaw_degrees(mirrored) == pytest.approx(-estimate_yaw_degrees(landmarks), abs=1e-3)


def test_backends(monkeypatch, tmp_path):
    backends = available_backends()
    assert backends["dlib"] is True and "face-alignment" in backends
    with pytest.raises(SpeakerError, match="Unknown face backend"):
        get_landmarker("opencv")
    # With an empty torch hub cache, face-alignment must refuse (and never download).
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    from speaker.face.face_alignment import _model

    _model.cache_clear()
    try:
        assert available_backends()["face-alignment"] is False
        with pytest.raises(SpeakerError, match="--face-backend dlib"):
            find_portrait(np.zeros((64, 64, 3), np.uint8), False, backend="face-alignment")
    finally:
        _model.cache_clear()


# --- loading images ------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "stored_transpose"),
    [(3, Image.Transpose.ROTATE_180), (6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)],
)
def test_exif_orientation_is_applied(tmp_path, grace, orientation, stored_transpose):
    upright = Image.fromarray(grace)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = _save(tmp_path, "rotated.jpg", upright.transpose(stored_transpose), quality=95, exif=exif)
    image, _ = load_image(path)
    assert image.shape == grace.shape
    assert np.abs(image.astype(int) - grace.astype(int)).mean() < 6
    portrait = find_portrait(image, False)
    _assert_face_layout(portrait.landmarks, portrait.box)


def test_a_web_address_given_as_the_portrait_says_to_download_it():
    with pytest.raises(SpeakerError, match=r"^The image https://example\.org/lincoln\.jpg is a web address; "
                                           r"speaker works offline"):
        load_image("https://example.org/lincoln.jpg")


@pytest.mark.parametrize("name, told", [("clip.mp4", "is a video, not a picture"),
                                         ("talk.mp3", "is a sound file, not a picture"),
                                         ("notes.txt", "it is not a picture file")])
def test_a_video_or_a_recording_given_as_the_portrait_is_named_for_what_it_is(tmp_path, name, told):
    path = tmp_path / name
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    with pytest.raises(SpeakerError, match=told):
        load_image(path)


def test_a_phone_photo_in_heic_is_read_and_its_face_found(grace):
    """Phones save photos as HEIC by default. tests/data/grace_hopper.heic is Grace Hopper's portrait (public
    domain, matplotlib's sample) at 256x300, encoded with pillow-heif at quality 60."""
    from speaker.face.image import photo_size

    path = Path(__file__).parent / "data" / "grace_hopper.heic"
    image, grayscale = load_image(path)
    assert photo_size(path) == (256, 300)
    assert not grayscale and image.shape == (300, 256, 3)
    small = np.asarray(Image.fromarray(grace).resize((256, 300), Image.LANCZOS))
    assert np.abs(image.astype(int) - small.astype(int)).mean() < 5  # 2.3: the codec's loss only
    portrait = find_portrait(image, False)
    _assert_face_layout(portrait.landmarks, portrait.box)


def test_a_region_of_a_turned_large_jpeg_loads_upright_at_the_files_detail(tmp_path, grace):
    from speaker.face.image import photo_size

    upright = Image.fromarray(grace).resize((1024, 1200), Image.LANCZOS)  # Grace at 2x
    exif = Image.Exif()
    exif[0x0112] = 6
    path = _save(tmp_path, "scan.jpg", upright.transpose(Image.Transpose.ROTATE_90), quality=95, exif=exif)
    assert photo_size(path) == (1024, 1200)
    whole, _ = load_image(path, max_side=600)
    assert whole.shape == (600, 512, 3)
    lower_half, _ = load_image(path, max_side=600, region=(0.0, 0.5, 0.5, 1.0))
    assert lower_half.shape == (600, 512, 3)  # 512x600 of the file: not scaled down
    assert np.abs(lower_half.astype(int) - np.asarray(upright)[600:, :512].astype(int)).mean() < 4


def test_a_region_of_a_jpeg_too_large_to_decode_whole_loads_at_the_finest_detail_that_fits(tmp_path, grace,
                                                                                            monkeypatch):
    """A 108-megapixel scan's region at full detail would mean decoding it all: half its detail is decoded instead."""
    from speaker.face import image as image_module

    path = _save(tmp_path, "scan.jpg", Image.fromarray(grace).resize((1024, 1200), Image.LANCZOS), quality=95)
    monkeypatch.setattr(image_module, "MAX_DECODE_PIXELS", 1024 * 1200 // 3)  # 2x2 too many; half each way fits
    lower_half, _ = load_image(path, max_side=600, region=(0.0, 0.5, 0.5, 1.0))
    assert lower_half.shape == (300, 256, 3)
    expected = np.asarray(Image.fromarray(grace).resize((512, 600), Image.LANCZOS))[300:, :256]
    assert np.abs(lower_half.astype(int) - expected.astype(int)).mean() < 6
    # A PNG cannot be decoded at a reduced scale: refused, as before.
    png = _save(tmp_path, "scan.png", Image.fromarray(grace).resize((1024, 1200)))
    with pytest.raises(SpeakerError, match="too large to load safely"):
        load_image(png, max_side=600, region=(0.0, 0.5, 0.5, 1.0))


def test_greyscale_detection(tmp_path, grace):
    colour = Image.fromarray(grace)
    grey = colour.convert("L")
    _, flag = load_image(_save(tmp_path, "grey.jpg", grey, quality=90))
    assert flag is True
    # Grey pictures stored as RGB JPEG have a little chroma noise: still greyscale.
    image, flag = load_image(_save(tmp_path, "grey_rgb.jpg", grey.convert("RGB"), quality=75))
    assert flag is True and image.shape == grace.shape
    _, flag = load_image(_save(tmp_path, "colour.jpg", colour, quality=90))
    assert flag is False
    # Sepia has no hue variety but is not grey.
    levels = np.asarray(grey, np.float32)[..., None] / 255.0
    sepia = np.clip(levels * np.array([255, 215, 165]), 0, 255).astype(np.uint8)
    _, flag = load_image(_save(tmp_path, "sepia.png", Image.fromarray(sepia)))
    assert flag is False
    # The face is still found in the greyscale version, and the flag is carried.
    image, flag = load_image(tmp_path / "grey.jpg")
    assert find_portrait(image, flag).grayscale is True


def test_image_modes_load_as_rgb(tmp_path):
    pixels = np.zeros((40, 60, 4), np.uint8)
    pixels[..., 0] = 200
    pixels[:, :30, 3] = 255  # left half opaque red, right half transparent
    rgba, _ = load_image(_save(tmp_path, "rgba.png", Image.fromarray(pixels)))
    assert rgba.shape == (40, 60, 3) and rgba.dtype == np.uint8
    assert tuple(rgba[10, 5]) == (200, 0, 0) and tuple(rgba[10, 50]) == (255, 255, 255)

    palette = Image.fromarray(pixels[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    image, flag = load_image(_save(tmp_path, "palette.png", palette))
    assert image.shape == (40, 60, 3) and tuple(image[0, 0]) == (200, 0, 0) and not flag
    transparent = palette.copy()
    transparent.info["transparency"] = palette.getpixel((0, 0))
    image, _ = load_image(_save(tmp_path, "palette_alpha.png", transparent))
    assert tuple(image[0, 0]) == (255, 255, 255)

    cmyk = Image.new("CMYK", (60, 40), (0, 255, 255, 0))  # pure red in ink
    image, flag = load_image(_save(tmp_path, "cmyk.jpg", cmyk, quality=95))
    assert image.shape == (40, 60, 3) and not flag
    assert image[..., 0].mean() > 200 and image[..., 1].mean() < 60

    deep = np.tile(np.linspace(0, 65535, 60).astype(np.uint16), (40, 1))
    path = _save(tmp_path, "deep.png", Image.fromarray(deep))
    assert Image.open(path).mode.startswith("I")
    image, flag = load_image(path)
    assert flag is True and image[0, 0, 0] == 0 and image[0, -1, 0] == 255
    assert 120 < image[0, 30, 0] < 136 and np.all(image[..., 0] == image[..., 2])

    grey = Image.fromarray(np.full((40, 60), 77, np.uint8))
    image, flag = load_image(_save(tmp_path, "grey.png", grey))
    assert flag is True and np.all(image == 77)
    image, flag = load_image(_save(tmp_path, "grey_alpha.png", grey.convert("LA")))
    assert flag is True and np.all(image == 77)

    bits = Image.fromarray(np.tile([True, False], (40, 30)))
    path = _save(tmp_path, "bits.png", bits)
    assert Image.open(path).mode == "1"
    image, flag = load_image(path)
    assert flag is True and set(np.unique(image)) == {0, 255}


def test_odd_sizes_are_cropped_to_even(tmp_path):
    image, _ = load_image(_save(tmp_path, "odd.png", Image.new("RGB", (61, 41), (10, 20, 30))))
    assert image.shape == (40, 60, 3)


def test_large_jpeg_is_downscaled(tmp_path):
    gradient = np.linspace(0, 255, 3000, dtype=np.float32)
    pixels = np.broadcast_to(gradient[None, :, None], (2000, 3000, 3)).astype(np.uint8)
    path = _save(tmp_path, "large.jpg", Image.fromarray(pixels), quality=80)
    image, _ = load_image(path, max_side=1280)
    assert max(image.shape[:2]) <= 1280 and max(image.shape[:2]) >= 1278
    assert image.shape[0] % 2 == 0 and image.shape[1] % 2 == 0
    assert abs(image.shape[1] / image.shape[0] - 1.5) < 0.01


def test_decompression_bomb_is_refused(tmp_path):
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    # Claim 30000 x 30000 pixels in the IHDR chunk (offset 16) and fix its CRC.
    data[16:24] = struct.pack(">II", 30000, 30000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path = tmp_path / "bomb.png"
    path.write_bytes(bytes(data))
    with pytest.raises(SpeakerError, match="too large"):
        load_image(path)


def test_unreadable_inputs_give_speaker_errors(tmp_path):
    with pytest.raises(SpeakerError, match="does not exist"):
        load_image(tmp_path / "missing.jpg")
    with pytest.raises(SpeakerError, match="is a folder"):
        load_image(tmp_path)
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(os.urandom(5000))
    with pytest.raises(SpeakerError, match="Cannot read"):
        load_image(junk)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(GRACE.read_bytes()[:3000])
    with pytest.raises(SpeakerError, match="Cannot read"):
        load_image(truncated)
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(SpeakerError, match="Cannot read"):
        load_image(text)


def _descriptor(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """dlib's 128-D face descriptor of the face in ``box``, on dlib's own 68-point fit there."""
    import importlib.util

    import dlib

    folder = Path(importlib.util.find_spec("face_recognition_models").submodule_search_locations[0]) / "models"
    encoder = dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat"))
    predictor = dlib.shape_predictor(str(folder / "shape_predictor_68_face_landmarks.dat"))
    image = np.ascontiguousarray(image)
    shape = predictor(image, dlib.rectangle(*(int(v) for v in box)))
    return np.array(encoder.compute_face_descriptor(image, shape))


@pytest.fixture(scope="module")
def turned_grace(grace_portrait):
    """Grace Hopper's head turned 40 degrees by our own renderer (a 3D turn with the face's depth).

    dlib's HOG detector no longer finds it (the CNN detector does)."""
    from speaker.render import Renderer
    from speaker.types import TrackFrame

    frame = TrackFrame(grace_portrait.landmarks, np.array([40.0, 0, 0, 0, 0, 1.0], np.float32),
                       np.zeros(6, np.float32), 0.0, np.zeros(2, np.float32))
    return Renderer(grace_portrait).render(frame)


def test_turned_face_is_accepted_and_keeps_its_identity(turned_grace, grace_portrait):
    from speaker.motion import mouth_landmarks
    from speaker.render import Renderer
    from speaker.types import TrackFrame

    portrait = find_portrait(turned_grace, False)
    yaw, _, _ = portrait.pose
    assert yaw > 20  # turned towards the image right, as rendered
    assert portrait.depth is not None and portrait.depth.shape == (68,)
    # The far jawline comes from the 3D fit: it stays on the face, right of the nose bridge.
    assert np.all(portrait.landmarks[9:17, 0] > portrait.landmarks[27, 0])
    # Animated (mouth opening, head turning a little more and back), the turned face is still the same person.
    renderer = Renderer(portrait)
    reference = _descriptor(portrait.image, portrait.box)
    distances = []
    for jaw in (0.3, 0.8):
        for yaw in (-3.0, 3.0):
            articulation = np.array([jaw, 0, 0, 0, 0, 0], np.float32)
            landmarks = mouth_landmarks(portrait.landmarks, articulation, 0.0, own_mouth=0.0)
            frame = renderer.render(TrackFrame(landmarks, np.array([yaw, 0, 0, 0, 0, 1.0], np.float32),
                                               articulation, 0.0, np.zeros(2, np.float32)))
            distances.append(float(np.linalg.norm(_descriptor(frame, portrait.box) - reference)))
    assert np.median(distances) <= 0.3, distances
    # ... and the turned photo is the person of the frontal one.
    frontal = _descriptor(grace_portrait.image, grace_portrait.box)
    assert float(np.linalg.norm(reference - frontal)) < 0.6


def test_landmarks_that_put_the_mouth_on_a_cheek_are_refused_and_the_face_mesh_takes_over(grace, grace_portrait):
    """On a true profile dlib makes up the hidden half and lays the mouth on a cheek: no
    lips there. Grace Hopper's lips painted over with the skin around them (dlib still
    guesses a mouth there) fail that check, as a profile; the face mesh then fits the
    face as one shape and puts her mouth where it was."""
    import cv2

    from speaker.face import mouth_is_on_the_photo
    from speaker.face.checks import lip_seam_darkness

    lm = grace_portrait.landmarks.astype(np.float64)
    assert lip_seam_darkness(grace, lm) < 0.6
    mouth = np.zeros(grace.shape[:2], np.uint8)
    cv2.fillPoly(mouth, [np.round(lm[48:60]).astype(np.int32)], 255)
    mouth = cv2.dilate(mouth, np.ones((3, 3), np.uint8), iterations=4)
    no_lips = cv2.inpaint(np.ascontiguousarray(grace), mouth, 9, cv2.INPAINT_TELEA)
    no_lips = cv2.GaussianBlur(no_lips, (0, 0), 1.0) * (mouth[..., None] > 0) + no_lips * (mouth[..., None] == 0)
    no_lips = np.ascontiguousarray(no_lips.astype(np.uint8))
    assert lip_seam_darkness(no_lips, lm) > 0.6
    guessed = get_landmarker("dlib").detect(no_lips)[0][2]
    assert not mouth_is_on_the_photo(no_lips, guessed)
    with pytest.warns(SpeakerWarning, match="face mesh fitted it instead"):
        portrait = find_portrait(no_lips, False)
    eye_span = float(np.linalg.norm(lm[45] - lm[36]))
    assert np.linalg.norm(portrait.landmarks[48:68].mean(axis=0) - lm[48:68].mean(axis=0)) < 0.15 * eye_span
    assert abs(portrait.pose[0]) < 20


def test_landmarks_the_landmarker_cannot_find_again_mirrored_are_flagged(grace, grace_portrait):
    """A face the landmarker sees is found again point for point in the mirrored box
    (Grace Hopper: well under the limit); landmarks that are not where the face is
    (her mouth points moved 0.4 eye distances down, onto the chin, as dlib laid Auden's
    mouth on his fingers) disagree with the mirrored fit beyond it."""
    from speaker.face.checks import MAX_MIRROR_DISAGREEMENT, landmarks_are_reliable, mirror_disagreement

    landmarker = get_landmarker("dlib")
    lm = grace_portrait.landmarks.astype(np.float64)
    own = mirror_disagreement(landmarker, grace, grace_portrait.box, lm)
    assert own < 0.5 * MAX_MIRROR_DISAGREEMENT
    assert landmarks_are_reliable(landmarker, grace, grace_portrait.box, lm)
    misplaced = lm.copy()
    misplaced[48:68, 1] += 0.4 * np.linalg.norm(lm[45] - lm[36])
    assert mirror_disagreement(landmarker, grace, grace_portrait.box, misplaced) > MAX_MIRROR_DISAGREEMENT
    assert not landmarks_are_reliable(landmarker, grace, grace_portrait.box, misplaced)
    # The same measure through detection, for backends without a fit of their own.
    class DetectOnly:
        detect = staticmethod(landmarker.detect)

    assert mirror_disagreement(DetectOnly(), grace, grace_portrait.box, lm) < MAX_MIRROR_DISAGREEMENT


def test_a_face_dlib_fits_gives_no_face_mesh_warning(grace):
    """The face mesh's one-line warning is only for faces dlib could not fit."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        find_portrait(grace, False)
    assert not [w for w in caught if issubclass(w.category, SpeakerWarning)]


def test_a_video_too_small_for_the_face_says_which_max_side_would_hold_it(grace_hopper_path):
    """The photo has the face's pixels; only --max-side leaves it too small: the sentence says so, with a size that works."""
    import re

    with pytest.raises(SpeakerError, match=r"pixels wide in the photo but \d+ in a video of at most 64 pixels") as told:
        load_portrait(grace_hopper_path, max_side=64)
    needed = int(re.search(r"--max-side (\d+) or more", str(told.value)).group(1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = load_portrait(grace_hopper_path, max_side=needed).box
    assert box[2] - box[0] >= 48


def test_a_photo_too_small_to_hold_a_face_says_its_size(noise_image_path, tmp_path):
    """A thumbnail in which no face is seen (a face found in one is 'too small', with its width)."""
    path = tmp_path / "thumbnail.png"
    Image.open(noise_image_path).resize((40, 50)).save(path)
    with pytest.raises(SpeakerError, match=r"^No face was found in the photo, which is only 40x50 pixels; a face "
                                           r"needs at least 48 pixels across"):
        load_portrait(path)
    with pytest.raises(SpeakerError, match=r"^No face was found in the photo; use a clearer photo"):
        load_portrait(noise_image_path)  # 320x240: large enough to hold one
