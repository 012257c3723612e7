"""The face stage on a driving video: one performer's landmarks on every frame.

Frames come one at a time (any iterable; the pipeline decodes the video).
The face is found once in the whole frame, then followed: each next frame is
searched only around the last box, in a crop scaled so the face is about
:data:`TRACK_FACE_WIDTH` pixels wide (fast, and the same detail on every
frame); the detection overlapping the last box most is the same face. When
the crop has no face, the whole frame is searched again (while it stays
lost, with the backend's full detector only every
:data:`LOST_FULL_SEARCH_SECONDS`). A face lost for a stretch holds its last
pose there, then is picked up again; a warning says where. Landmarks are
smoothed over time (more on the rigid points of the head than on the lids
and lips, which move fast), and the iris centre of
each open eye is found as the dark blob inside the eye opening.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ..errors import SpeakerError, warn
from ..timebase import gaussian_smooth
from ..types import PerformerFaces
from . import _iou
from .core import get_landmarker

#: The face is followed in a crop scaled so its box is about this wide (pixels).
TRACK_FACE_WIDTH = 160.0
#: The crop around the last box reaches this many box widths beyond it on each side.
CROP_MARGIN = 0.6
#: Whole-frame searches run on a copy whose long side is at most this (pixels).
SEARCH_SIDE = 640
#: A detection overlapping the last box less than this (IoU) is another face.
MIN_OVERLAP = 0.25
#: Temporal smoothing (Gaussian sigma in seconds) of the head's rigid points
#: (jaw outline and nose) and of the rest (brows, lids, lips).
RIGID_SIGMA = 0.04
EXPRESSIVE_SIGMA = 0.02
RIGID_POINTS = np.r_[0:17, 27:36]
#: Lost stretches shorter than this (s) are not worth a warning.
LOST_WARN_SECONDS = 0.2
#: While the face is lost, frames are searched with the backend's quick pass
#: (dlib's HOG) and with its full one (dlib's CNN, a second or two a frame)
#: only on the frame it is lost and every this many seconds after: a 30 s
#: cut-away would otherwise cost most of an hour.
LOST_FULL_SEARCH_SECONDS = 0.5
#: An eye opening below this share of the eye's width counts as shut (no iris).
SHUT_EYE_RATIO = 0.12
#: Pixels darker than this percentile of the eye opening make the iris.
IRIS_PERCENTILE = 30.0


class _Follower:
    """Finds the same face frame after frame."""

    def __init__(self, backend: str, fps: float):
        self.landmarker = get_landmarker(backend)
        self.box: np.ndarray | None = None
        self.lost_frames = 0
        self.full_search_every = max(1, round(LOST_FULL_SEARCH_SECONDS * fps))

    def _detect_scaled(self, image: np.ndarray, offset: np.ndarray, factor: float, quick: bool):
        import cv2

        if factor != 1.0:
            size = (max(1, int(round(image.shape[1] * factor))), max(1, int(round(image.shape[0] * factor))))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
        detect = getattr(self.landmarker, "detect_quick", self.landmarker.detect) if quick else self.landmarker.detect
        found = []
        for box, score, points in detect(image):
            box = box.astype(np.float64) / factor
            box[[0, 2]] += offset[0]
            box[[1, 3]] += offset[1]
            found.append((box, score, points.astype(np.float64) / factor + offset))
        return found

    def _near(self, frame: np.ndarray, box: np.ndarray, quick: bool):
        """Detections in a crop around ``box``, at the tracking scale."""
        height, width = frame.shape[:2]
        size = max(box[2] - box[0], box[3] - box[1])
        x0 = int(max(0, box[0] - CROP_MARGIN * size))
        y0 = int(max(0, box[1] - CROP_MARGIN * size))
        x1 = int(min(width, box[2] + CROP_MARGIN * size))
        y1 = int(min(height, box[3] + CROP_MARGIN * size))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return []
        factor = min(1.0, TRACK_FACE_WIDTH / max(box[2] - box[0], 1.0))
        return self._detect_scaled(frame[y0:y1, x0:x1], np.array([x0, y0], np.float64), factor, quick)

    def _search(self, frame: np.ndarray, quick: bool):
        factor = min(1.0, SEARCH_SIDE / max(frame.shape[:2]))
        return self._detect_scaled(frame, np.zeros(2), factor, quick)

    def next(self, frame: np.ndarray) -> np.ndarray | None:
        """Landmarks (68, 2) of the followed face in ``frame``, or None when it is not there."""
        quick = self.lost_frames % self.full_search_every != 0
        if self.box is not None:
            chosen = self._best(self._near(frame, self.box, quick))
            if chosen is None:
                chosen = self._best(self._search(frame, quick), any_face=True)
        else:
            chosen = self._best(self._search(frame, quick), any_face=True)
            if chosen is not None:
                # Refit at the tracking scale, so every frame's landmarks have the same detail.
                self.box = chosen[0]
                chosen = self._best(self._near(frame, self.box, quick)) or chosen
        if chosen is None:
            self.lost_frames += 1
            return None
        self.lost_frames = 0
        self.box = chosen[0]
        return chosen[2]

    def _best(self, detections, any_face: bool = False):
        if not detections:
            return None
        if self.box is not None:
            overlaps = [_iou(self.box, det[0]) for det in detections]
            best = int(np.argmax(overlaps))
            if overlaps[best] >= MIN_OVERLAP:
                return detections[best]
            if not any_face:
                return None
        # A first sighting (or a face found again after a loss): the largest face.
        return max(detections, key=lambda det: float(det[0][2] - det[0][0]))


def iris_centres(frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Centre of the iris in each eye opening, as the centroid of its darkest pixels.

    Parameters
    ----------
    frame : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        Pixels of ``frame``.

    Returns
    -------
    np.ndarray, shape (2, 2), float32
        (x, y) per eye (landmarks 36-41, then 42-47), NaN for a shut eye.
    """
    import cv2

    result = np.full((2, 2), np.nan, np.float32)
    height, width = frame.shape[:2]
    for index, start in enumerate((36, 42)):
        outline = np.asarray(landmarks[start:start + 6], np.float64)
        eye_width = float(np.linalg.norm(outline[3] - outline[0]))
        opening = 0.5 * (np.linalg.norm(outline[5] - outline[1]) + np.linalg.norm(outline[4] - outline[2]))
        if eye_width < 4 or opening < SHUT_EYE_RATIO * eye_width:
            continue
        x0, y0 = np.floor(outline.min(axis=0)).astype(int)
        x1, y1 = np.ceil(outline.max(axis=0)).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if x1 - x0 < 3 or y1 - y0 < 2:
            continue
        patch = frame[y0:y1, x0:x1].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        mask = np.zeros(patch.shape, np.uint8)
        cv2.fillPoly(mask, [np.round(outline - [x0, y0]).astype(np.int32)], 1)
        inside = mask.astype(bool)
        if inside.sum() < 6:
            continue
        threshold = np.percentile(patch[inside], IRIS_PERCENTILE)
        weight = np.where(inside, np.maximum(threshold - patch, 0.0) + 1e-3 * (patch <= threshold), 0.0)
        if weight.sum() <= 0:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1]
        result[index] = ((xs * weight).sum() / weight.sum(), (ys * weight).sum() / weight.sum())
    return result


def _fill_lost(values: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Hold the last found value over lost frames (the first found before it)."""
    index = np.where(found, np.arange(len(found)), -1)
    index = np.maximum.accumulate(index)
    index[index < 0] = int(np.argmax(found))
    return values[index]


def _smooth(values: np.ndarray, sigma_frames: float) -> np.ndarray:
    if sigma_frames <= 0.05 or len(values) < 3:
        return values
    return gaussian_smooth(values, sigma_frames, axis=0)


def _lost_stretches(found: np.ndarray) -> list[tuple[int, int]]:
    """(first, last + 1) frame of every run of lost frames after the first sighting."""
    runs, start = [], None
    first = int(np.argmax(found))
    for index in range(first, len(found)):
        if not found[index] and start is None:
            start = index
        elif found[index] and start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(found)))
    return runs


def follow_face(
    frames: Iterable[np.ndarray],
    fps: float,
    backend: str = "dlib",
    on_frame: Callable[[int], None] | None = None,
) -> PerformerFaces:
    """Follow one performer's face through the frames of a video.

    Parameters
    ----------
    frames : iterable of np.ndarray, each shape (H, W, 3), uint8
        RGB frames in order, consumed one at a time.
    fps : float
        Frames per second of the video.
    backend : str
        Face backend name (see :data:`speaker.face.BACKENDS`).
    on_frame : callable, optional
        Called with each frame's index after it is done (for progress).

    Returns
    -------
    PerformerFaces
        Landmarks (T, 68, 2) smoothed, held where the face was lost; found (T,);
        irises (T, 2, 2).

    Raises
    ------
    SpeakerError
        The video has no frames, or no face on any frame.
    """
    follower = _Follower(backend, fps)
    landmarks, found, irises = [], [], []
    size = (0, 0)
    for index, frame in enumerate(frames):
        size = (int(frame.shape[1]), int(frame.shape[0]))
        points = follower.next(frame)
        if points is None:
            landmarks.append(np.zeros((68, 2)))
            irises.append(np.full((2, 2), np.nan))
        else:
            landmarks.append(points)
            irises.append(iris_centres(frame, points))
        found.append(points is not None)
        if on_frame is not None:
            on_frame(index)
    if not found:
        raise SpeakerError("The driving video has no frames.")
    found_array = np.array(found, bool)
    if not found_array.any():
        raise SpeakerError(
            "No face was found in the driving video; film the performer facing the camera, face well lit."
        )
    held = _fill_lost(np.array(landmarks, np.float64), found_array)
    smoothed = held.copy()
    smoothed[:, RIGID_POINTS] = _smooth(held[:, RIGID_POINTS], RIGID_SIGMA * fps)
    expressive = np.setdiff1d(np.arange(68), RIGID_POINTS)
    smoothed[:, expressive] = _smooth(held[:, expressive], EXPRESSIVE_SIGMA * fps)
    # The smoothing must not blur the held pose: a lost stretch holds the last smoothed frame exactly.
    smoothed = _fill_lost(smoothed, found_array)

    stretches = [run for run in _lost_stretches(found_array) if (run[1] - run[0]) / fps >= LOST_WARN_SECONDS]
    if stretches:
        longest = max(stretches, key=lambda run: run[1] - run[0])
        warn(
            f"The performer's face was lost in {len(stretches)} stretch(es) of the driving video (the longest "
            f"{(longest[1] - longest[0]) / fps:.1f} s from {longest[0] / fps:.1f} s); the portrait holds its "
            "last pose there."
        )
    return PerformerFaces(
        fps=float(fps),
        size=size,
        landmarks=smoothed.astype(np.float32),
        found=found_array,
        irises=np.array(irises, np.float32),
    )
