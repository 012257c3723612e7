"""face-alignment backend (FAN landmarks, S3FD detector), optional.

face-alignment downloads its weights on first use; speaker never downloads
at run time, so this backend runs only when the weights are already in the
torch hub cache (``$TORCH_HOME/hub/checkpoints``, by default
``~/.cache/torch/hub/checkpoints``).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import numpy as np

from ...errors import SpeakerError

#: File name patterns of the weights FaceAlignment(TWO_D, face_detector="sfd") loads.
WEIGHT_PATTERNS: tuple[str, ...] = ("2DFAN4*.zip", "s3fd*.pth")

NOT_CACHED_MESSAGE = (
    "face-alignment's model weights are not in the torch hub cache; "
    "use --face-backend dlib (the default)."
)


def hub_checkpoints_dir() -> Path:
    """The torch hub checkpoint folder, found as torch does but without importing it."""
    torch_home = os.environ.get("TORCH_HOME")
    if not torch_home:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        torch_home = os.path.join(cache, "torch")
    return Path(torch_home) / "hub" / "checkpoints"


def weights_cached() -> bool:
    """Whether every weight file face-alignment needs is in the hub cache."""
    folder = hub_checkpoints_dir()
    return folder.is_dir() and all(any(folder.glob(pattern)) for pattern in WEIGHT_PATTERNS)


def is_available() -> bool:
    """face-alignment and torch installed and their weights cached (nothing is loaded)."""
    installed = all(importlib.util.find_spec(name) is not None for name in ("face_alignment", "torch"))
    return installed and weights_cached()


@functools.lru_cache(maxsize=1)
def _model():
    if importlib.util.find_spec("face_alignment") is None or importlib.util.find_spec("torch") is None:
        raise SpeakerError(
            "The face-alignment backend is not installed; use --face-backend dlib (the default)."
        )
    # Checked before construction: FaceAlignment would otherwise try to download.
    if not weights_cached():
        raise SpeakerError(NOT_CACHED_MESSAGE)
    import face_alignment

    kind = getattr(face_alignment.LandmarksType, "TWO_D", None) or getattr(face_alignment.LandmarksType, "_2D")
    try:
        return face_alignment.FaceAlignment(kind, device="cpu", face_detector="sfd")
    except Exception as error:  # a version that wants other weight files tries the network and fails
        raise SpeakerError(f"{NOT_CACHED_MESSAGE[:-1]} ({type(error).__name__}: {error}).") from None


class FanLandmarker:
    """Faces and landmarks with face-alignment (see :class:`speaker.face.core.Landmarker`)."""

    def __init__(self) -> None:
        self._model = _model()

    def detect(self, image: np.ndarray) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """Find every face in an RGB image (shape (H, W, 3), uint8).

        Returns a list of ``(box (4,) float32, score float, landmarks (68, 2) float32)``;
        the score is S3FD's detection probability (0 to 1).
        """
        landmarks, _, boxes = self._model.get_landmarks_from_image(
            np.ascontiguousarray(image), return_bboxes=True, return_landmark_score=True
        )
        if not landmarks:
            return []
        detections = []
        for points, box in zip(landmarks, boxes):
            box = np.asarray(box, dtype=np.float32)
            score = float(box[4]) if box.shape[0] > 4 else 1.0
            detections.append((box[:4].copy(), score, np.asarray(points, dtype=np.float32)[:, :2]))
        return detections
