"""dlib backend: HOG frontal face detector + the 68-point shape predictor.

The shape predictor ships in the ``face-recognition-models`` package; it is
found by its install location, never imported (the package imports
pkg_resources, slow and deprecated).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from ...errors import SpeakerError

#: Upsampling for the HOG detector's first pass: finds faces down to about 40 px.
DETECTOR_UPSAMPLE = 1
#: Second pass on small images that gave nothing (faces down to about 20 px).
SMALL_IMAGE_UPSAMPLE = 2
#: An image whose long side is below this many pixels counts as small.
SMALL_IMAGE_SIDE = 400
#: Added to the HOG decision threshold (0 is dlib's default; negative finds more, with more false alarms).
DETECTION_THRESHOLD = 0.0

PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"


def predictor_path() -> Path | None:
    """Where ``shape_predictor_68_face_landmarks.dat`` is installed, or None."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / PREDICTOR_FILE
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
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(str(path))


class DlibLandmarker:
    """Faces and landmarks with dlib (see :class:`speaker.face.core.Landmarker`)."""

    def __init__(self) -> None:
        self._detector, self._predictor = _models()

    def detect(self, image: np.ndarray) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """Find every face in an RGB image (shape (H, W, 3), uint8).

        Returns a list of ``(box (4,) float32, score float, landmarks (68, 2) float32)``;
        the score is the HOG detector's SVM margin (about 0 to 3).
        """
        image = np.ascontiguousarray(image, dtype=np.uint8)
        rects, scores, _ = self._detector.run(image, DETECTOR_UPSAMPLE, DETECTION_THRESHOLD)
        if not rects and max(image.shape[:2]) < SMALL_IMAGE_SIDE:
            rects, scores, _ = self._detector.run(image, SMALL_IMAGE_UPSAMPLE, DETECTION_THRESHOLD)
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
