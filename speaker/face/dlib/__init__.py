"""dlib backend: HOG frontal face detector + the 68-point shape predictor.

The HOG detector finds faces that look roughly at the camera. When it finds
none, dlib's CNN detector (``mmod_human_face_detector.dat``) looks again on
a copy of at most :data:`CNN_MAX_SIDE` pixels: it finds faces turned up to
a profile, bowed heads and faces half hidden by a hand, at a few seconds of
CPU. The shape predictor and both detectors ship in the ``face-recognition-models`` package; it is
found by its install location, never imported (the package imports
pkg_resources, slow and deprecated).
"""

from __future__ import annotations

import collections
import functools
import hashlib
import importlib.util
import threading
from pathlib import Path

import numpy as np

from ...errors import SpeakerError, warn
from ...files import cache_dir, replaced_atomically

#: Upsampling for the HOG detector's first pass: finds faces down to about 40 px.
DETECTOR_UPSAMPLE = 1
#: Second pass on small images that gave nothing (faces down to about 20 px).
SMALL_IMAGE_UPSAMPLE = 2
#: An image whose long side is below this many pixels counts as small.
SMALL_IMAGE_SIDE = 400
#: Added to the HOG decision threshold (0 is dlib's default; negative finds more, with more false alarms).
DETECTION_THRESHOLD = 0.0

#: The CNN pass runs on a copy whose long side is at most this (its cost grows with the pixels)...
CNN_MAX_SIDE = 640
#: ... and at least this (small photos are upscaled: it finds faces from about 40 px).
CNN_MIN_SIDE = 480
#: CNN detections below this confidence are dropped (dlib's own threshold is 0).
CNN_MIN_CONFIDENCE = 0.3
#: Photos whose detections are remembered, by their pixels: the web page's face preview, then its
#: video, look at one photo two or three times over, which costs seconds each on a large photo.
REMEMBERED_PHOTOS = 16
#: The CNN's boxes are tighter than the HOG boxes the shape predictor was
#: trained on: grown by this share of their size about their centre, and
#: moved down by :data:`CNN_BOX_DROP` of it.
CNN_BOX_GROW = 0.08
CNN_BOX_DROP = 0.04

PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"
CNN_DETECTOR_FILE = "mmod_human_face_detector.dat"


def predictor_path(name: str = PREDICTOR_FILE) -> Path | None:
    """Where a model file of face-recognition-models (by default the 68-point predictor) is installed, or None."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / name
    return path if path.is_file() else None


def is_available() -> bool:
    """dlib importable and the 68-point model installed (nothing is loaded)."""
    return importlib.util.find_spec("dlib") is not None and predictor_path() is not None


@functools.lru_cache(maxsize=1)
def _models():
    try:
        import dlib
    except ImportError:
        raise SpeakerError("The dlib face backend needs dlib; install it with 'pip install dlib-bin'.") from None
    path = predictor_path()
    if path is None:
        raise SpeakerError(
            "dlib's 68-point landmark model is missing; install it with 'pip install face-recognition-models'."
        )
    return _frontal_face_detector(dlib), dlib.shape_predictor(str(path))


def _frontal_face_detector(dlib):
    """dlib's HOG face detector, read from a copy in the cache that is made on first use.

    dlib builds its built-in detector from compressed text, at about a second
    of CPU on every run; the same detector saved in dlib's binary format loads
    in a millisecond.
    """
    path = cache_dir() / "dlib" / f"frontal_face_detector-{dlib.__version__}.svm"
    if path.is_file():
        try:
            return dlib.fhog_object_detector(str(path))
        except RuntimeError:  # a damaged copy: made again below
            pass
    detector = dlib.get_frontal_face_detector()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replaced_atomically(path) as partial:
            detector.save(str(partial))
    except (OSError, RuntimeError) as error:
        warn(
            f"Cannot keep dlib's face detector in the cache {path.parent} ({error}): "
            "each run builds it again, about a second slower; set SPEAKER_CACHE to a writable folder."
        )
    return detector


@functools.lru_cache(maxsize=1)
def _cnn_detector():
    """dlib's CNN face detector, or None when its model file is missing."""
    import dlib

    path = predictor_path(CNN_DETECTOR_FILE)
    return None if path is None else dlib.cnn_face_detection_model_v1(str(path))


_remembered: collections.OrderedDict = collections.OrderedDict()
_remembered_lock = threading.Lock()


def _copied(detections: list) -> list:
    """Detections with arrays of their own (a caller may move a face's points in place)."""
    return [(box.copy(), score, landmarks.copy()) for box, score, landmarks in detections]


class DlibLandmarker:
    """Faces and landmarks with dlib (see :class:`speaker.face.core.Landmarker`)."""

    def __init__(self) -> None:
        self._detector, self._predictor = _models()

    def detect(self, image: np.ndarray) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """Find every face in an RGB image (shape (H, W, 3), uint8).

        Returns a list of ``(box (4,) float32, score float, landmarks (68, 2) float32)``;
        the score is the HOG detector's SVM margin (about 0 to 3), or the CNN
        detector's confidence (about 1) when HOG found nothing.
        """
        return self._detect(image, cnn=True)

    def detect_quick(self, image: np.ndarray) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """:meth:`detect` without the CNN detector's pass (a second or two a photo): the HOG detector alone."""
        return self._detect(image, cnn=False)

    def _detect(self, image: np.ndarray, cnn: bool) -> list[tuple[np.ndarray, float, np.ndarray]]:
        image = np.ascontiguousarray(image, dtype=np.uint8)
        key = (cnn, image.shape, hashlib.blake2b(image.data, digest_size=16).digest())
        with _remembered_lock:
            if key in _remembered:
                _remembered.move_to_end(key)
                return _copied(_remembered[key])
        detections = self._look(image, cnn)
        with _remembered_lock:
            _remembered[key] = _copied(detections)
            while len(_remembered) > REMEMBERED_PHOTOS:
                _remembered.popitem(last=False)
        return detections

    def _look(self, image: np.ndarray, cnn: bool) -> list[tuple[np.ndarray, float, np.ndarray]]:
        rects, scores, _ = self._detector.run(image, DETECTOR_UPSAMPLE, DETECTION_THRESHOLD)
        if not rects and max(image.shape[:2]) < SMALL_IMAGE_SIDE:
            rects, scores, _ = self._detector.run(image, SMALL_IMAGE_UPSAMPLE, DETECTION_THRESHOLD)
        if not rects and cnn:
            rects, scores = self._detect_cnn(image)
        height, width = image.shape[:2]
        detections = []
        for rect, score in zip(rects, scores):
            shape = self._predictor(image, rect)
            landmarks = np.array([(point.x, point.y) for point in shape.parts()], dtype=np.float32)
            box = np.array(
                [
                    max(rect.left(), 0),
                    max(rect.top(), 0),
                    min(rect.right() + 1, width),
                    min(rect.bottom() + 1, height),
                ],
                dtype=np.float32,
            )
            detections.append((box, float(score), landmarks))
        return detections

    def fit(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """The 68 landmarks (68, 2) float32, pixels, of the face in ``box`` (x0, y0, x1, y1), without detecting."""
        import dlib

        x0, y0, x1, y1 = (int(round(float(v))) for v in box)
        shape = self._predictor(np.ascontiguousarray(image, dtype=np.uint8), dlib.rectangle(x0, y0, x1 - 1, y1 - 1))
        return np.array([(point.x, point.y) for point in shape.parts()], dtype=np.float32)

    def _detect_cnn(self, image: np.ndarray) -> tuple[list, list[float]]:
        """Faces the HOG detector missed (turned, bowed, half hidden), as dlib rectangles and confidences."""
        import cv2
        import dlib

        detector = _cnn_detector()
        if detector is None:
            return [], []
        height, width = image.shape[:2]
        scale = min(CNN_MAX_SIDE / max(height, width), 1.0)
        scale = max(scale, min(CNN_MIN_SIDE / max(height, width), 4.0))
        copy = image if scale == 1.0 else cv2.resize(
            image, (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        rects, scores = [], []
        for found in detector(np.ascontiguousarray(copy), 0):
            if found.confidence < CNN_MIN_CONFIDENCE:
                continue
            r = found.rect
            side = max(r.width(), r.height()) / scale
            cx = (r.left() + r.right()) / 2 / scale
            cy = (r.top() + r.bottom()) / 2 / scale + CNN_BOX_DROP * side
            half = side * (1 + CNN_BOX_GROW) / 2
            rects.append(dlib.rectangle(int(round(cx - half)), int(round(cy - half)),
                                        int(round(cx + half)), int(round(cy + half))))
            scores.append(float(found.confidence))
        return rects, scores
