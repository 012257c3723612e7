"""Measurements shared by eval_drive.py, eval_animate.py and eval_dialogue.py.

Faces are measured with speaker's own dlib face stage (``speaker.face``):
:func:`follow` gives per-frame landmarks of a sequence of frames, the other
functions turn landmarks into the quantities the issue asks for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def media_dir(given: str | None) -> Path:
    """``--media``, else ``../shared/media`` beside the repository, else /work/shared/media."""
    if given:
        return Path(given)
    beside = REPO.parent / "shared" / "media"
    return beside if beside.is_dir() else Path("/work/shared/media")


def follow(frames, fps: float):
    """Landmarks (T, 68, 2) and found (T,) of the face followed through ``frames``."""
    import warnings

    from speaker import face

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        followed = face.follow_face(frames, fps)
    return followed.landmarks.astype(np.float64), followed.found


def eye_distance(landmarks: np.ndarray) -> np.ndarray:
    """Distance between the eye centres per frame (T,), pixels: the unit of the measures."""
    return np.linalg.norm(landmarks[:, 42:48].mean(axis=1) - landmarks[:, 36:42].mean(axis=1), axis=-1)


def mouth_opening(landmarks: np.ndarray) -> np.ndarray:
    """Inner-lip gap per frame in eye distances (T,)."""
    gap = np.mean([np.linalg.norm(landmarks[:, lower] - landmarks[:, upper], axis=-1)
                   for upper, lower in ((61, 67), (62, 66), (63, 65))], axis=0)
    return gap / eye_distance(landmarks)


def eye_opening(landmarks: np.ndarray) -> np.ndarray:
    """Lid opening per frame, as a share of the eye's width, both eyes averaged (T,)."""
    values = []
    for start in (36, 42):
        eye = landmarks[:, start:start + 6]
        width = np.linalg.norm(eye[:, 3] - eye[:, 0], axis=-1)
        values.append(0.5 * (np.linalg.norm(eye[:, 5] - eye[:, 1], axis=-1)
                             + np.linalg.norm(eye[:, 4] - eye[:, 2], axis=-1)) / width)
    return np.mean(values, axis=0)


def head_position(landmarks: np.ndarray) -> np.ndarray:
    """Centre of the eyes and nose (landmarks 27-47) per frame (T, 2), pixels."""
    return landmarks[:, 27:48].mean(axis=1)


def pearson(first: np.ndarray, second: np.ndarray) -> float:
    """Pearson r, NaN when either side does not vary."""
    first, second = np.asarray(first, float), np.asarray(second, float)
    count = min(len(first), len(second))
    first, second = first[:count], second[:count]
    if count < 3 or first.std() < 1e-9 or second.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(first, second)[0, 1])


def blinks(openness: np.ndarray, fps: float) -> int:
    """Blinks in an eye-opening series: drops below 60 % of its median, at least 0.15 s apart."""
    shut = openness < 0.6 * np.median(openness)
    starts = np.flatnonzero(shut[1:] & ~shut[:-1]) + 1
    kept = [s for i, s in enumerate(starts) if i == 0 or s - starts[i - 1] >= 0.15 * fps]
    return len(kept) + int(shut[0])


def save_strip(rows: list[list[np.ndarray]], path: Path, tile: int = 200) -> Path:
    """Save rows of frames (each resized to ``tile`` pixels high) as one PNG."""
    from PIL import Image

    def resized(frame: np.ndarray) -> np.ndarray:
        image = Image.fromarray(frame)
        return np.asarray(image.resize((max(2, int(image.width * tile / image.height)), tile)))

    lines = [np.hstack([resized(frame) for frame in row]) for row in rows]
    width = max(line.shape[1] for line in lines)
    lines = [np.pad(line, ((0, 0), (0, width - line.shape[1]), (0, 0)), constant_values=255) for line in lines]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.vstack(lines)).save(path, quality=88)
    return path
