"""The face stage: load the photo, find the face to animate and its 68 landmarks.

>>> image, grayscale = load_image("portrait.jpg", max_side=1280)
>>> portrait = find_portrait(image, grayscale, face_index=None, backend="dlib", max_side=1280)
>>> portrait.landmarks.shape, portrait.face_count
((68, 2), 1)

:func:`load_portrait` does both from a file, and where the photo scaled down
leaves the face too small, loads the part of it around the face instead;
:func:`load_portraits` does so for several faces of one photo (a dialogue),
and :func:`faces_of_photo` lists the whole photo's faces for a user to choose.

:func:`find_portrait` may upscale a small photo whose face is small (see
:func:`prepare_image`), or turn a photo lying on its side upright; use
``portrait.image``, not the loaded image, from then on. Where the backend's
landmarks fail the checks (a near-profile dlib lays a frontal face over, a
mouth behind fingers), the face mesh of :mod:`speaker.face.facemesh` fits
the face instead.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from ..errors import SpeakerError, warn
from ..face_model import eye_line_degrees
from ..types import Portrait
from .checks import landmarks_are_reliable, mouth_is_on_the_photo, mouth_within_frame
from .core import BACKENDS, Detection, available_backends, get_landmarker
from .eyefit import seat_far_eye
from .image import finest_detail, load_image, looks_grayscale, photo_size
from .lipline import seat_inner_lips
from .pose import FIT_FAR_JAW_FROM, FacePose, complete_turned_face, fit_pose
from .silhouette import keep_lips_on_face

__all__ = [
    "BACKENDS",
    "FaceNotInPhoto",
    "available_backends",
    "check_frontal",
    "estimate_yaw_degrees",
    "faces_of_photo",
    "find_portrait",
    "fit_pose",
    "follow_face",
    "get_landmarker",
    "load_image",
    "load_portrait",
    "load_portraits",
    "looks_grayscale",
    "mouth_is_on_the_photo",
    "prepare_image",
]

#: A face box narrower than this (in the photo as loaded) has too little detail to animate.
MIN_FACE_WIDTH = 48
#: Faces narrower than this in a photo whose short side is below
#: :data:`UPSCALE_SHORT_SIDE` are worked on in an upscaled copy of the photo.
SMALL_FACE_WIDTH = 128
#: Short side (pixels) that :func:`prepare_image` upscales small photos to.
UPSCALE_SHORT_SIDE = 512
#: Detections scoring below this share of the best one are taken as false
#: alarms (HOG fires weakly on badges and patterns; real second faces score
#: close to the first).
RELATIVE_SCORE_FLOOR = 0.3
#: Overlap (intersection over union) for a face in the upscaled copy to be the same face.
MIN_REFIT_OVERLAP = 0.4
#: Faces turned further than this from the camera are profiles: the nose
#: bridge hides the far eye (about 73 degrees on the generic 3D face).
MAX_YAW_DEGREES = 70.0
#: A fit this far from the landmarks (mean, in eye distances) means the
#: landmarks are not a face seen from the front half: a profile whose far
#: half the landmarker made up.
MAX_FIT_ERROR = 0.15


def find_portrait(
    image: np.ndarray,
    grayscale: bool,
    face_index: int | None = None,
    backend: str = "dlib",
    max_side: int = 1280,
    near: tuple[float, float] | None = None,
) -> Portrait:
    """Find the face to animate.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
        RGB pixels as :func:`load_image` gives them (an odd last row or
        column is cropped off).
    grayscale : bool
        Whether the photo has no colour (carried into the Portrait).
    face_index : int or None
        Which face, counting faces left to right from 0; None picks the
        detection the backend is surest of.
    backend : str
        Face backend name, one of :data:`BACKENDS`.
    max_side : int
        Cap on the long side when a small photo is upscaled (the same value
        given to :func:`load_image`).
    near : tuple of float, optional
        ``(x, y)`` pixels of ``image``: the face whose box centre is nearest
        it, in place of ``face_index``.

    Returns
    -------
    Portrait
        ``image`` is the (possibly upscaled) photo all coordinates refer to;
        ``landmarks`` (68, 2) float32; ``box`` (4,) float32; ``other_faces``
        (F, 4) float32 boxes of the faces not chosen, left to right.

    Raises
    ------
    SpeakerError
        No face, ``face_index`` out of range, face too small, turned too far
        from the camera, or its mouth outside the photo.

    Warns
    -----
    SpeakerWarning
        The photo was turned by quarter turns to find its face upright (a scan
        lying on its side; ``image`` is then the turned photo), or the face
        mesh fitted the face in place of the backend's landmarks.
    """
    # H.264 yuv420p needs even sides; load_image already gives them, other callers may not.
    image = image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2]
    landmarker = get_landmarker(backend)
    given_size = (image.shape[1], image.shape[0])
    image, detections, stood = _faces_upright(landmarker, image)

    widest = max(float(box[2] - box[0]) for box, _, _ in detections)
    upscaled, scale = prepare_image(image, max_side, face_width=widest)
    if scale != 1.0:
        detections = _refit(detections, landmarker.detect(upscaled), scale)
        image = upscaled

    detections.sort(key=lambda detection: float(detection[0][0] + detection[0][2]))
    count = len(detections)
    if near is not None:
        target = _turn_points(np.asarray(near, np.float64)[None], stood, given_size)[0] * scale
        chosen = min(range(count), key=lambda index: float(np.hypot(
            *((detections[index][0][:2] + detections[index][0][2:]) / 2.0 - target))))
    else:
        chosen = _chosen_face(detections, face_index)

    box, _, landmarks = detections[chosen]
    source_width = float(box[2] - box[0]) / scale
    if source_width < MIN_FACE_WIDTH:
        # Its box in the photo as given, before any turn upright.
        as_given = [_box_as_given(found[0], scale, stood, image.shape) for found in detections]
        raise _FaceTooSmall(as_given[chosen], boxes=np.array(as_given), surest=_chosen_face(detections, None))
    pose = fit_pose(landmarks, (image.shape[1], image.shape[0]))
    refusal = _refusal(landmarker, image, box, landmarks, pose)
    if refusal is not None:
        # The landmarker's points are not where the face is (a near-profile
        # it laid a frontal face over, a mouth behind fingers): the face mesh
        # fits the whole head as one shape and may see it.
        landmarks, pose = _fit_with_mesh(image, box, refusal)
    elif abs(pose.yaw) >= FIT_FAR_JAW_FROM:
        # dlib's far eye of a turned face depends on the detector's box (it
        # can land up and out of the eye); seated on the opening, then the
        # pose refitted with it.
        landmarks = seat_far_eye(landmarker, image, box, landmarks, pose.yaw)
        pose = fit_pose(landmarks, (image.shape[1], image.shape[0]))
    landmarks = complete_turned_face(landmarks, pose)
    landmarks = keep_lips_on_face(image, landmarks, pose.yaw)
    if refusal is not None:
        # The mesh's inner lips lie on the lips, not on the line between them where the mouth opens.
        landmarks = seat_inner_lips(image, landmarks)
    if not mouth_within_frame(landmarks, image.shape[0], image.shape[1]):
        raise SpeakerError(
            "The face's mouth is outside the photo (the photo is cut off across the face); "
            "use a photo that shows the mouth."
        )
    if refusal is not None:
        # Told, because the mesh's fits are less proven than dlib's (no second
        # landmarker can check their mouth opening); once the face is accepted.
        warn("dlib's landmarks did not fit this face (a near-profile, or eyes or mouth partly hidden); "
             "MediaPipe's face mesh fitted it instead: check the eyes and mouth in the result.")
    others = [detection[0] for index, detection in enumerate(detections) if index != chosen]
    return Portrait(
        image=np.ascontiguousarray(image),
        landmarks=np.asarray(landmarks, dtype=np.float32),
        box=np.asarray(box, dtype=np.float32),
        grayscale=bool(grayscale),
        face_index=chosen,
        face_count=count,
        other_faces=np.array(others, dtype=np.float32).reshape(-1, 4),
        depth=np.asarray(pose.depth, dtype=np.float32),
        pose=(float(pose.yaw), float(pose.pitch), float(pose.roll)),
        upscale=float(max(scale, 1.0)),
    )


class _NoFace(SpeakerError):
    """No face was found in the photo."""

    def __init__(self):
        super().__init__("No face was found in the photo; use a clearer photo with the face looking at the camera.")


def _chosen_face(detections: list[Detection], face_index: int | None) -> int:
    """Index into ``detections`` (sorted left to right) of face ``face_index``.

    None picks the face the backend is surest of.
    """
    if face_index is None:
        return max(range(len(detections)), key=lambda index: detections[index][1])
    if 0 <= face_index < len(detections):
        return face_index
    raise FaceNotInPhoto(len(detections))


def _box_as_given(box: np.ndarray, scale: float, quarter_turns: int, shape: tuple[int, ...]) -> np.ndarray:
    """A box (4,) of ``find_portrait``'s image (of ``shape``, upscaled by ``scale``, turned) in the photo as given."""
    corners = _turn_points(np.asarray(box, np.float64).reshape(2, 2) / scale, (4 - quarter_turns) % 4,
                           (shape[1] / scale, shape[0] / scale))
    return np.concatenate([corners.min(axis=0), corners.max(axis=0)])


def _turn_box(box: np.ndarray, quarter_turns: int, shape: tuple[int, ...]) -> np.ndarray:
    """A box (4,) of an image of ``shape`` where it lies in ``np.rot90(image, quarter_turns)``."""
    corners = _turn_points(np.asarray(box, np.float64).reshape(2, 2), quarter_turns, (shape[1], shape[0]))
    return np.concatenate([corners.min(axis=0), corners.max(axis=0)])


class _FaceTooSmall(SpeakerError):
    """The chosen face is narrower than :data:`MIN_FACE_WIDTH`.

    ``box`` (4,) is its box in the photo as given, ``boxes`` (F, 4) those of
    all the faces found, left to right as counted, ``surest`` the index in
    ``boxes`` of the face the backend is surest of.
    """

    def __init__(self, box: np.ndarray, scale_to_file: float = 1.0, boxes: np.ndarray | None = None,
                 surest: int = 0):
        self.box = np.asarray(box, np.float64)
        self.boxes = self.box[None] if boxes is None else np.asarray(boxes, np.float64)
        self.surest = surest
        width = float(self.box[2] - self.box[0]) * scale_to_file
        super().__init__(
            f"The face is too small ({width:.0f} pixels wide in the photo); use a photo where the face is at "
            f"least {MIN_FACE_WIDTH} pixels wide (a crop or an enlargement of this one adds no detail to it)."
        )


#: Where a face too small to animate in the photo scaled down to ``max_side``
#: has the pixels in the file, the video shows a part of the photo about it,
#: ``max_side`` pixels of the file on its long side (the photo's shape) and at
#: least this many face widths on its short side.
CLOSER_VIEW_FACE_WIDTHS = 4.0
#: Height of the face's centre in that view, a share of the view's height
#: from its top (a portrait's framing: room for the shoulders below).
CLOSER_VIEW_FACE_HEIGHT = 0.4
#: Where no face is found in a photo scaled down at least this much, the
#: faces are looked for again at :data:`FINER_LOOK_DETAIL` times ``max_side``
#: (a group or class photo: faces too small to be seen scaled down, yet wide
#: enough in the file to animate), and at least that times
#: :data:`FINER_LOOK_LEAST_SIDE`: a small ``max_side`` asks for a closer,
#: smaller video, not for a coarser look at the photo.
FINER_LOOK_FROM_SCALE = 1.5
FINER_LOOK_DETAIL = 2.0
FINER_LOOK_LEAST_SIDE = 1280


def load_portrait(
    path,
    face_index: int | None = None,
    backend: str = "dlib",
    max_side: int = 1280,
) -> Portrait:
    """Load a photo file and find the face to animate: :func:`load_image`, then :func:`find_portrait`.

    A large photo is scaled down to ``max_side`` first. When that leaves the
    chosen face too small to animate while the file has the pixels for it
    (a group photo, a wide scan, a figure in a landscape), the part of the
    photo about the face is loaded at the file's detail instead, and the
    user is told in one line: the video then shows that part. Where the
    photo scaled down shows no face at all, its faces are looked for again
    at :data:`FINER_LOOK_DETAIL` times the detail (the backend's quick pass,
    the photo as it lies) before it is refused.

    Parameters
    ----------
    path : str or Path
        The photo file.
    face_index, backend, max_side
        As :func:`find_portrait` takes them; ``face_index`` counts the faces
        of the whole photo.

    Returns
    -------
    Portrait

    Raises
    ------
    SpeakerError
        As :func:`load_image` and :func:`find_portrait`; a face too small is
        measured in the file's pixels.
    """
    return load_portraits(path, [face_index], backend=backend, max_side=max_side)[0]


#: A photo shorter than this many smallest faces on a side that shows none is told it is too small.
SMALL_PHOTO_FACES = 2


class FaceNotInPhoto(SpeakerError):
    """A face asked for by its number is not among the ``face_count`` faces of the photo."""

    def __init__(self, face_count: int):
        self.face_count = face_count
        super().__init__(_face_choice_message(face_count))


def load_portraits(
    path,
    face_indices: list[int | None],
    backend: str = "dlib",
    max_side: int = 1280,
) -> list[Portrait]:
    """Several faces of one photo, all on one image (a dialogue's scene): :func:`load_portrait` for each.

    Where any of them is too small in the photo scaled down, the part of the
    photo about all of them is loaded at the file's detail (at most
    ``max_side`` on its long side), as :func:`load_portrait` does for one.

    Parameters
    ----------
    path : str or Path
        The photo file.
    face_indices : list of int or None
        The faces, counted left to right over the whole photo; None is the
        face the backend is surest of.
    backend, max_side
        As :func:`find_portrait` takes them.

    Returns
    -------
    list of Portrait
        One for each of ``face_indices``, in that order; their ``image`` is the same.

    Raises
    ------
    FaceNotInPhoto
        An index beyond the faces of the photo.
    SpeakerError
        As :func:`load_portrait`; faces that no view of ``max_side`` pixels
        holds at the detail they need.
    """
    image, grayscale = load_image(path, max_side=max_side)
    # Held until the outcome is known: a closer look says them again (a photo turned upright).
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            portraits = [find_portrait(image, grayscale, face_index=index, backend=backend, max_side=max_side)
                         for index in face_indices]
            missed = None
        except (_FaceTooSmall, _NoFace) as error:
            missed = error
    if missed is None:
        _say_once(said)
        return portraits
    width, height = photo_size(path)
    to_file = max(width, height) / max(image.shape[:2])
    if isinstance(missed, _NoFace):
        finer = _finer_look(path, (width, height), max(image.shape[:2]), get_landmarker(backend), max_side)
        if finer is None and min(width, height) < SMALL_PHOTO_FACES * MIN_FACE_WIDTH:
            raise SpeakerError(f"No face was found in the photo, which is only {width}x{height} pixels; a face "
                               f"needs at least {MIN_FACE_WIDTH} pixels across: use a larger photo.") from None
        if finer is None:
            raise missed
        found, to_file, _ = finer  # the closer look turns the part of the photo it loads upright again
        every_box, surest = np.array([box for box, _, _ in found], np.float64), _chosen_face(found, None)
    else:
        every_box, surest = missed.boxes, missed.surest
    numbers = [surest if index is None else index for index in face_indices]
    if any(not 0 <= number < len(every_box) for number in numbers):
        raise FaceNotInPhoto(len(every_box))
    seen = every_box[numbers]
    boxes = seen * to_file
    for seen_box, box in zip(seen, boxes):
        if box[2] - box[0] >= MIN_FACE_WIDTH and to_file <= 1.0 + 1e-3:
            # Found at the file's own detail (the finer look): only the video's size is too small for it.
            raise _video_too_small(float(box[2] - box[0]), float(box[2] - box[0]) * max_side / max(width, height),
                                   max_side)
        if to_file <= 1.0 + 1e-3 or box[2] - box[0] < MIN_FACE_WIDTH:
            raise _FaceTooSmall(seen_box, to_file)
    # A huge JPEG is decoded at a coarser scale: the view holds more of the photo at the detail it gets.
    decodable = finest_detail(path)
    left, top, right, bottom = _closer_view(boxes, (width, height), int(max_side / decodable))
    closer, grayscale = load_image(path, max_side=max_side,
                                   region=(left / width, top / height, right / width, bottom / height))
    per_pixel = closer.shape[1] / (right - left)
    full_detail = per_pixel > 0.99  # load_image may crop an odd last column
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            portraits = [find_portrait(closer, grayscale, backend=backend, max_side=max_side,
                                       near=(((box[0] + box[2]) / 2.0 - left) * per_pixel,
                                             ((box[1] + box[3]) / 2.0 - top) * per_pixel))
                         for box in boxes]
        except _FaceTooSmall:
            narrowest = float(min(box[2] - box[0] for box in boxes))
            if not full_detail and narrowest * per_pixel < MIN_FACE_WIDTH:
                raise _video_too_small(narrowest, narrowest * per_pixel, max_side) from None
            if full_detail or len(boxes) == 1:
                raise
            raise SpeakerError(
                f"The faces are too far apart in this large photo ({width}x{height} pixels) to show them together "
                f"at the detail they need; crop the photo closer around them, or give a larger largest side "
                f"(--max-side, now {max_side})."
            ) from None
    _say_once(said)
    view = (left, top, right, bottom)
    portraits = [dataclasses.replace(portrait, view=view, face_index=number, face_count=len(every_box))
                 for portrait, number in zip(portraits, numbers)]
    if full_detail:
        detail = ("at the file's full detail (a larger largest side, --max-side, keeps more of the photo, "
                  "a smaller one shows the face closer)")
    elif max(right - left, bottom - top) * decodable > max_side + 1:
        detail = f"scaled to {closer.shape[1]}x{closer.shape[0]} (a larger largest side, --max-side, keeps more detail)"
    else:
        detail = f"at {per_pixel:.2g} of the file's detail, as much as can be loaded safely"
    face_is, them = ("face is", "it") if len(boxes) == 1 else ("faces are", "them")
    warn(f"The {face_is} small in this large photo ({width}x{height} pixels): the video shows the part of the photo "
         f"around {them}, {right - left:.0f}x{bottom - top:.0f} pixels {detail}.")
    return portraits


def _video_too_small(in_photo: float, in_video: float, max_side: int) -> SpeakerError:
    """The sentence for a face the photo has the pixels for, left too small by the video's size (``--max-side``)."""
    needed = int(np.ceil(max_side * MIN_FACE_WIDTH / max(in_video, 1.0) / 32.0)) * 32
    return SpeakerError(
        f"The face is {in_photo:.0f} pixels wide in the photo but {in_video:.0f} in a video of at most {max_side} "
        f"pixels, too small to animate (at least {MIN_FACE_WIDTH}); give a larger largest side "
        f"(--max-side {needed} or more)."
    )


def faces_of_photo(path, backend: str = "dlib", max_side: int = 1280) -> tuple[np.ndarray, np.ndarray, int, float]:
    """The whole photo and its faces, numbered as ``face_index`` counts them (for a user to choose one).

    Found as :func:`load_portrait` finds them, its finer look included; where
    that animates a small face in part of the photo, this still gives all of it.

    Returns
    -------
    image : np.ndarray, shape (H, W, 3), uint8
        The photo scaled down to ``max_side``, turned upright when its faces lie on their side.
    boxes : np.ndarray, shape (F, 4), float64
        The faces' boxes in ``image`` pixels, left to right.
    surest : int
        Index in ``boxes`` of the face the backend is surest of (the one animated by default).
    to_file : float
        Pixels of the photo file per pixel of ``image``.

    Raises
    ------
    SpeakerError
        Unreadable image, or no face.
    """
    image, _ = load_image(path, max_side=max_side)
    size = photo_size(path)
    image_to_file = max(size) / max(image.shape[:2])
    landmarker = get_landmarker(backend)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the portrait's own loading says them
            image, found, _ = _faces_upright(landmarker, image)
        to_image = 1.0
    except _NoFace:
        finer = _finer_look(path, size, max(image.shape[:2]), landmarker, max_side)
        if finer is None:
            raise
        found, to_file, quarter_turns = finer
        to_image = to_file / image_to_file
        found = [(_turn_box(box * to_image, quarter_turns, image.shape), score, points)
                 for box, score, points in found]
        image = np.ascontiguousarray(np.rot90(image, quarter_turns))
    found.sort(key=lambda detection: float(detection[0][0] + detection[0][2]))
    boxes = np.array([box for box, _, _ in found], np.float64)
    return image, boxes, _chosen_face(found, None), image_to_file


def _finer_look(path, size: tuple[int, int], seen_side: int, landmarker,
                max_side: int) -> tuple[list[Detection], float, int] | None:
    """The faces, left to right, of the photo loaded at :data:`FINER_LOOK_DETAIL` times ``max_side``
    (or :data:`FINER_LOOK_LEAST_SIDE`, the larger).

    ``size`` is the photo's (W, H) (:func:`photo_size`), ``seen_side`` the long
    side it was first looked at. Returns the detections (the landmarker's
    quick pass; turned upright by quarter turns when the photo lies on its
    side, their boxes then given back in the photo as it lies, their order
    and points upright), the scale from their pixels to the file's, and the
    quarter turns (counterclockwise) that stood them upright; or None when
    the photo is not that much larger or shows no face there either.
    """
    if max(size) / seen_side < FINER_LOOK_FROM_SCALE:
        return None
    detail_side = FINER_LOOK_DETAIL * max(max_side, FINER_LOOK_LEAST_SIDE)
    finer, _ = load_image(path, max_side=int(min(detail_side, max(size))))
    found, quarter_turns = _quick_detections(landmarker, finer), 0
    if not found:
        # A large scan lying on its side (the closer look that loads its faces tells the turn).
        turned, found, quarter_turns = _stood_upright(getattr(landmarker, "detect_quick", landmarker.detect), finer)
        if not found:
            return None
    found.sort(key=lambda detection: float(detection[0][0] + detection[0][2]))  # left to right, upright
    if quarter_turns:
        found = [(_box_as_given(box, 1.0, quarter_turns, turned.shape), score, points)
                 for box, score, points in found]
    return found, max(size) / max(finer.shape[:2]), quarter_turns


def _say_once(said: list) -> None:
    """Say again warnings held back while looking, each message once (several faces of one photo turned upright)."""
    for message in dict.fromkeys((str(warning.message), warning.category) for warning in said):
        warnings.warn(message[0], message[1], stacklevel=3)


def _closer_view(boxes: np.ndarray, size: tuple[int, int], max_side: int) -> tuple[float, float, float, float]:
    """``(left, top, right, bottom)`` pixels of the photo (``size`` = (W, H)) to animate the small faces in ``boxes``.

    ``boxes`` is (F, 4); ``max_side`` the view's long side in the file's pixels.
    """
    width, height = size
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    face = float(np.max(np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])))
    around = np.concatenate([boxes[:, :2].min(axis=0), boxes[:, 2:].max(axis=0)])
    view = np.array([min(width, max_side), min(height, max_side)], np.float64)
    if width > max_side and height > max_side:
        # The photo's own shape, but room for the head on the short side.
        short = int(np.argmin([width, height]))
        view[short] = min(float(size[short]), max(max_side * min(size) / max(size), CLOSER_VIEW_FACE_WIDTHS * face))
    # Faces further apart than that: a view about all of them, with a face's width to spare on each side.
    view = np.minimum(np.maximum(view, around[2:] - around[:2] + 2.0 * face), np.array(size, np.float64))
    centre = (around[:2] + around[2:]) / 2.0
    start = centre - view * np.array([0.5, CLOSER_VIEW_FACE_HEIGHT])
    start = np.clip(start, 0.0, np.array(size, np.float64) - view)
    return float(start[0]), float(start[1]), float(start[0] + view[0]), float(start[1] + view[1])


def prepare_image(
    image: np.ndarray, max_side: int = 1280, face_width: float | None = None
) -> tuple[np.ndarray, float]:
    """Upscale a small photo with a small face so the landmarks have pixels to work with.

    Called by :func:`find_portrait` (the pipeline need not call it). The photo
    is upscaled (bicubic) when its short side is below
    :data:`UPSCALE_SHORT_SIDE` and the face (``face_width``; unknown counts as
    small) is narrower than :data:`SMALL_FACE_WIDTH`: to a short side of
    :data:`UPSCALE_SHORT_SIDE`, unless that would make the long side exceed
    ``max_side``, which wins.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    max_side : int
        Largest allowed long side in pixels.
    face_width : float, optional
        Width in pixels of the largest face found.

    Returns
    -------
    image : np.ndarray, shape (H', W', 3), uint8
        The upscaled photo (H' and W' even), or ``image`` itself.
    scale : float
        ``W' / W`` (1.0 when unchanged); multiply coordinates by it.
    """
    height, width = image.shape[:2]
    short_side, long_side = min(height, width), max(height, width)
    face_is_small = face_width is None or face_width < SMALL_FACE_WIDTH
    if short_side >= UPSCALE_SHORT_SIDE or not face_is_small:
        return image, 1.0
    factor = min(UPSCALE_SHORT_SIDE / short_side, max_side / long_side)
    new_width = int(round(width * factor)) // 2 * 2
    new_height = int(round(height * factor)) // 2 * 2
    if new_width <= width or new_height <= height:
        return image, 1.0
    import cv2

    upscaled = cv2.resize(image, (new_width, new_height), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(upscaled), new_width / width


def estimate_yaw_degrees(landmarks: np.ndarray) -> float:
    """Rough head yaw from where the nose tip sits between the jaw's ends.

    Parameters
    ----------
    landmarks : np.ndarray, shape (68, 2)
        iBUG-68 landmarks in pixels.

    Returns
    -------
    float
        Degrees; 0 facing the camera, positive when the nose tip lies right
        of the jaw's midpoint in the image. Good to perhaps 10 degrees: the
        nose's offset from the jaw midpoint, as a share of half the jaw width,
        is read as the sine of the yaw.
    """
    left_jaw, right_jaw, nose_tip = landmarks[0], landmarks[16], landmarks[30]
    half_width = float(np.linalg.norm(right_jaw - left_jaw)) / 2.0
    if half_width <= 0:
        return 90.0
    axis = (right_jaw - left_jaw) / (2.0 * half_width)
    offset = float(np.dot(nose_tip - (left_jaw + right_jaw) / 2.0, axis))
    return math.degrees(math.asin(max(-1.0, min(1.0, offset / half_width))))


def check_frontal(landmarks: np.ndarray, pose: FacePose | None = None) -> None:
    """Refuse a face in profile (the far eye hidden), which cannot be animated.

    Parameters
    ----------
    landmarks : np.ndarray, shape (68, 2)
        iBUG-68 landmarks in pixels.
    pose : FacePose, optional
        Their 3D fit (:func:`fit_pose`); without it the yaw is
        :func:`estimate_yaw_degrees`' rough one.

    Raises
    ------
    SpeakerError
        The yaw beyond :data:`MAX_YAW_DEGREES` either way, or landmarks the
        generic face cannot fit (:data:`MAX_FIT_ERROR`).
    """
    yaw = estimate_yaw_degrees(landmarks) if pose is None else pose.yaw
    if pose is not None and not pose.error <= MAX_FIT_ERROR:
        yaw = 90.0
    if abs(yaw) > MAX_YAW_DEGREES:
        raise SpeakerError(_turned_too_far_message(yaw))


def _refusal(landmarker, image: np.ndarray, box: np.ndarray, landmarks: np.ndarray,
             pose: FacePose) -> SpeakerError | None:
    """Why the landmarks cannot be animated (the error to raise), or None when they can."""
    try:
        check_frontal(landmarks, pose)
    except SpeakerError as error:
        return error
    if not mouth_is_on_the_photo(image, landmarks):
        # A true profile: the landmarker made up the hidden half of the face
        # and laid the mouth on a cheek (its fit looks frontal enough).
        return SpeakerError(_turned_too_far_message(90.0))
    if not landmarks_are_reliable(landmarker, image, box, landmarks):
        return SpeakerError(
            "The face's eyes and mouth could not be found reliably (hidden by a hand or an object, or the "
            "head bowed too far); use a photo where the eyes, nose and mouth are clearly visible."
        )
    return None


def _fit_with_mesh(image: np.ndarray, box: np.ndarray, refusal: SpeakerError) -> tuple[np.ndarray, FacePose]:
    """The face mesh's landmarks and their fit, when the mesh sees a face the landmarker could not fit.

    The mesh's face must be one the network is sure of
    (:data:`speaker.face.facemesh.MIN_PRESENCE`), turned at most
    :data:`MAX_YAW_DEGREES` with a small fit error (:func:`check_frontal`).
    Else ``refusal``, the landmarker's own reason, is raised. (The lip-line
    test that catches the landmarker's made-up mouths does not apply: the
    mesh's inner lips lie on the lips, not on the line between them, and
    measure 0.57-0.92 on real closed mouths, beards darkening the skin ring.)
    """
    from . import facemesh

    if not facemesh.is_available():
        raise refusal
    landmarks, presence, _ = facemesh.fit_landmarks(image, box)
    if not presence >= facemesh.MIN_PRESENCE:
        raise refusal
    pose = fit_pose(landmarks, (image.shape[1], image.shape[0]))
    try:
        check_frontal(landmarks, pose)
    except SpeakerError:
        raise refusal from None
    return landmarks, pose


#: A photo turned by quarter turns is taken when the face it shows is tilted at most this
#: much (degrees): stood upright, not just tilted the other way.
UPRIGHT_TILT = 25.0
#: A turned copy's face scoring below this (dlib's HOG margin) may be a false alarm: it is
#: taken only when the full detector finds no level face in the photo as it lies. On the
#: media portraits, faces seen from the front or three-quarters score 0.68-2.65, the
#: 43-degree Apsaroke 0.19, and false alarms on their turned copies 0.07-0.18.
TURNED_SURE_SCORE = 0.3
#: How :func:`_stood_upright` turned a photo, by its number of quarter turns counterclockwise.
_QUARTER_TURN_NAMES = {1: ("lies on its side", "a quarter turn counterclockwise"), 2: ("is upside down", "half a turn"),
                       3: ("lies on its side", "a quarter turn clockwise")}


def _faces_upright(landmarker, image: np.ndarray) -> tuple[np.ndarray, list[Detection], int]:
    """The faces in a photo, turned upright by quarter turns when it lies on its side (told in one line).

    Returns
    -------
    image : np.ndarray, shape (H', W', 3), uint8
        The photo, turned when that stood its faces upright.
    detections : list of Detection
        Their credible faces, in no particular order.
    quarter_turns : int
        Quarter turns counterclockwise taken (0 when none).

    Raises
    ------
    SpeakerError
        No face is found either way (:class:`_NoFace`).
    """
    quick = getattr(landmarker, "detect_quick", None)
    detections = _quick_detections(landmarker, image)
    stood = 0
    if not detections:
        # Scans of old prints often lie on their side with no orientation tag. Looked for
        # before the backend's slow pass on the photo as it lies (dlib's CNN), which finds
        # some faces lying on their side and would animate them so.
        turned, found, quarter_turns = _stood_upright(quick or landmarker.detect, image)
        as_it_lies = []
        if quick is not None and (not found or max(score for _, score, _ in found) < TURNED_SURE_SCORE):
            # The HOG detector also fires weakly on patterns in a turned copy: a weak face is
            # taken only when the full detector finds no level face in the photo as it lies.
            as_it_lies = _credible(landmarker.detect(image))
        if found and not any(abs(eye_line_degrees(points)) <= UPRIGHT_TILT for _, _, points in as_it_lies):
            image, detections, stood = turned, found, quarter_turns
            lies, turn = _QUARTER_TURN_NAMES[quarter_turns]
            warn(f"The face in the photo {lies}; the photo was turned {turn} to stand it upright, "
                 "as the video shows it.")
        else:
            detections = as_it_lies
    if not detections:
        raise _NoFace()
    return image, detections, stood


def _stood_upright(detect, image: np.ndarray) -> tuple[np.ndarray, list[Detection], int]:
    """The photo turned by quarter turns so that ``detect`` (a backend's detection pass, its quick
    one when it has one: a photo with no face at all pays it three times) finds a face upright in it.

    A face counts when its eye line is within :data:`UPRIGHT_TILT` of level in
    the turned photo.

    Returns
    -------
    image : np.ndarray, shape (H', W', 3), uint8
        The turned photo with the faces found (``image`` itself when none is).
    detections : list of Detection
        Its faces (credible ones only), empty when no turn shows a face.
    quarter_turns : int
        Quarter turns counterclockwise (1-3; 0 when no turn shows a face);
        of several that show faces, the one whose best face scores highest.
    """
    best: tuple[float, np.ndarray, list[Detection], int] | None = None
    for quarter_turns in (1, 3, 2):
        turned = np.ascontiguousarray(np.rot90(image, quarter_turns))
        # Only faces the turn stands upright: a face tilted by 45 degrees is found either way.
        detections = [found for found in _credible(detect(turned)) if abs(eye_line_degrees(found[2])) <= UPRIGHT_TILT]
        if detections:
            score = max(float(found_score) for _, found_score, _ in detections)
            if best is None or score > best[0]:
                best = (score, turned, detections, quarter_turns)
    if best is None:
        return image, [], 0
    return best[1], best[2], best[3]


def _turn_points(points: np.ndarray, quarter_turns: int, size: tuple[float, float]) -> np.ndarray:
    """Points (N, 2) of an image of ``size`` (W, H) where they land in ``np.rot90(image, quarter_turns)``."""
    x, y = points[:, 0], points[:, 1]
    width, height = size
    turned = {0: (x, y), 1: (y, width - x), 2: (width - x, height - y), 3: (height - y, x)}[quarter_turns % 4]
    return np.stack(turned, axis=1)


def _turned_too_far_message(yaw: float) -> str:
    return (f"The face is turned too far from the camera (about {abs(yaw):.0f} degrees); "
            "use a photo where the face looks towards the camera.")


def _quick_detections(landmarker, image: np.ndarray) -> list[Detection]:
    """The credible faces of the landmarker's quick detection pass (its only one when it has no quick one)."""
    return _credible(getattr(landmarker, "detect_quick", landmarker.detect)(image))


def _credible(detections: list[Detection]) -> list[Detection]:
    """Drop detections far weaker than the best one (HOG false alarms)."""
    if not detections:
        return []
    best = max(score for _, score, _ in detections)
    floor = RELATIVE_SCORE_FLOOR * best if best > 0 else -math.inf
    return [detection for detection in detections if detection[1] >= floor]


def _refit(detections: list[Detection], refitted: list[Detection], scale: float) -> list[Detection]:
    """Each face of ``detections``, scaled, with its landmarks from the upscaled copy when found there.

    The faces stay those of the original photo (the upscaled copy may gain or
    lose a doubtful one); a face the copy misses keeps its scaled landmarks.
    """
    result = []
    for box, score, points in detections:
        scaled_box = box * scale
        overlaps = [_iou(scaled_box, other[0]) for other in refitted]
        best = int(np.argmax(overlaps)) if overlaps else -1
        if best >= 0 and overlaps[best] >= MIN_REFIT_OVERLAP:
            result.append((refitted[best][0], score, refitted[best][2]))
        else:
            result.append((scaled_box.astype(np.float32), score, (points * scale).astype(np.float32)))
    return result


def _iou(first: np.ndarray, second: np.ndarray) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes."""
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = float(width * height)
    area = float((first[2] - first[0]) * (first[3] - first[1]) + (second[2] - second[0]) * (second[3] - second[1]))
    return inter / max(area - inter, 1e-9)


def _face_choice_message(count: int) -> str:
    if count == 1:
        return "The photo has 1 face; choose --face 0 or leave --face out."
    which = "'speaker faces --image PHOTO' shows which is which"
    if count == 2:
        return f"The photo has 2 faces; choose --face 0 or 1 ({which})."
    return f"The photo has {count} faces; choose --face 0 to {count - 1} ({which})."


def follow_face(*args, **kwargs):
    """One performer's landmarks on every frame of a video; see :func:`speaker.face.video.follow_face`."""
    from .video import follow_face as _follow_face

    return _follow_face(*args, **kwargs)
