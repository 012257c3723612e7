"""Measure how real mouths move, to size the motion stage's mouth model.

Runs dlib's 68-landmark predictor on every frame of the GRID talking-head
clips (``/work/shared/media/clips``, see its README) and measures, in a
face-normalised frame (x along the eye line, unit = face width |p16 - p0|,
origin at the rigid nose points 27-35):

- the inner-lip opening distribution (mean gap of the pairs 61/67, 62/66,
  63/65); its 95th percentile stands for a wide open vowel;
- the outer-lip width (|p54 - p48|) and its range around each speaker's median;
- how the chin (p8) and the other jaw points drop per unit of inner-lip opening;
- how the opening is shared between the upper and the lower lip;
- the per-point displacement (dx, dy) of every mouth and jaw point per unit of
  inner-lip opening (pooled least squares around each clip's mean, made
  left-right symmetric).

Usage::

    python scripts/calibrate_mouth.py [--clips DIR] [--out models/mouth_calibration.json]

Prints the figures and writes them as JSON (the file the motion stage reads).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

DEFAULT_CLIPS = Path("/work/shared/media/clips")
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "models" / "mouth_calibration.json"
INNER_UPPER = [61, 62, 63]
INNER_LOWER = [67, 66, 65]
JAW_POINTS = list(range(4, 13))
MOUTH_POINTS = list(range(48, 68))
NOSE_POINTS = list(range(27, 36))
#: Left-right mirror pairs of the jaw and mouth points (a point on the middle
#: line is its own mirror).
MIRROR = {4: 12, 5: 11, 6: 10, 7: 9, 8: 8, 48: 54, 49: 53, 50: 52, 51: 51, 55: 59,
          56: 58, 57: 57, 60: 64, 61: 63, 62: 62, 65: 67, 66: 66}
MIRROR.update({b: a for a, b in MIRROR.items()})


def load_dlib():
    """dlib's face detector and 68-point shape predictor (from face-recognition-models)."""
    import dlib

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None:
        sys.exit("face-recognition-models is not installed.")
    models = Path(spec.submodule_search_locations[0]) / "models"
    predictor = dlib.shape_predictor(str(models / "shape_predictor_68_face_landmarks.dat"))
    return dlib.get_frontal_face_detector(), predictor


def clip_landmarks(path: Path, detector, predictor) -> np.ndarray:
    """Landmarks (F, 68, 2) of every frame where a face is found."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    result = []
    last_box = None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        boxes = detector(rgb, 1)
        if boxes:
            last_box = max(boxes, key=lambda b: b.width() * b.height())
        if last_box is None:
            continue
        # A frame where detection misses keeps the previous box: faces barely move in GRID.
        shape = predictor(rgb, last_box)
        result.append([(p.x, p.y) for p in shape.parts()])
    capture.release()
    return np.asarray(result, np.float64)


def to_face_frame(landmarks: np.ndarray) -> np.ndarray:
    """Landmarks (F, 68, 2) rotated to the eye line, origin at the nose, unit face width."""
    left_eye = landmarks[:, 36:42].mean(axis=1)
    right_eye = landmarks[:, 42:48].mean(axis=1)
    axis = right_eye - left_eye
    angle = np.arctan2(axis[:, 1], axis[:, 0])
    cos, sin = np.cos(-angle), np.sin(-angle)
    origin = landmarks[:, NOSE_POINTS].mean(axis=1, keepdims=True)
    centred = landmarks - origin
    x = centred[..., 0] * cos[:, None] - centred[..., 1] * sin[:, None]
    y = centred[..., 0] * sin[:, None] + centred[..., 1] * cos[:, None]
    width = np.linalg.norm(landmarks[:, 16] - landmarks[:, 0], axis=1)
    # Face width barely changes within a clip; its median avoids adding detector noise.
    unit = np.median(width)
    return np.stack([x, y], axis=-1) / unit


def inner_opening(face: np.ndarray) -> np.ndarray:
    """Mean vertical inner-lip gap (F,), face widths."""
    return (face[:, INNER_LOWER, 1] - face[:, INNER_UPPER, 1]).mean(axis=1)


def slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of centred y on centred x."""
    return float(np.dot(x, y) / np.dot(x, x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=Path, default=DEFAULT_CLIPS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    detector, predictor = load_dlib()
    clips = sorted(args.clips.glob("*.mpg"))
    if not clips:
        sys.exit(f"No .mpg clips in {args.clips}.")

    openings, widths, rel_widths = [], [], []
    centred_open, centred_points = [], []
    rest_openings, open_over_width = [], []
    for path in clips:
        landmarks = clip_landmarks(path, detector, predictor)
        if len(landmarks) < 10:
            print(f"{path.name}: too few faces, skipped")
            continue
        face = to_face_frame(landmarks)
        opening = np.maximum(inner_opening(face), 0.0)
        width = np.linalg.norm(face[:, 54] - face[:, 48], axis=1)
        openings.append(opening)
        widths.append(width)
        rel_widths.append(width / np.median(width) - 1.0)
        open_over_width.append(opening / np.median(width))
        rest_openings.append(np.percentile(opening, 5))
        centred_open.append(opening - opening.mean())
        centred_points.append(face - face.mean(axis=0, keepdims=True))
        print(f"{path.name}: {len(face)} frames, opening p5/p50/p95 = "
              f"{np.percentile(opening, 5):.3f}/{np.median(opening):.3f}/"
              f"{np.percentile(opening, 95):.3f}, mouth width median {np.median(width):.3f}")

    opening = np.concatenate(openings)
    width = np.concatenate(widths)
    rel_width = np.concatenate(rel_widths)
    rel_open = np.concatenate(open_over_width)
    d_open = np.concatenate(centred_open)
    d_points = np.concatenate(centred_points)

    chin_per_open = slope(d_open, d_points[:, 8, 1])
    upper_per_open = -float(np.mean([slope(d_open, d_points[:, i, 1]) for i in INNER_UPPER]))
    lower_per_open = float(np.mean([slope(d_open, d_points[:, i, 1]) for i in INNER_LOWER]))
    width_per_open = slope(d_open, d_points[:, 54, 0] - d_points[:, 48, 0])
    raw = {i: (slope(d_open, d_points[:, i, 0]), slope(d_open, d_points[:, i, 1]))
           for i in JAW_POINTS + MOUTH_POINTS}
    # Speakers turn their heads a little while talking; averaging each point
    # with its mirror image keeps only the symmetric part of the movement.
    basis = {
        str(i): [round(0.5 * (raw[i][0] - raw[MIRROR[i]][0]), 4),
                 round(0.5 * (raw[i][1] + raw[MIRROR[i]][1]), 4)]
        for i in JAW_POINTS + MOUTH_POINTS
    }

    result = {
        "source": "scripts/calibrate_mouth.py on the GRID clips (dlib 68 landmarks), "
                  f"{len(opening)} frames of {len(openings)} clips",
        "unit": "face width |p16 - p0|",
        "inner_opening_p50": round(float(np.median(opening)), 4),
        "inner_opening_p95": round(float(np.percentile(opening, 95)), 4),
        "inner_opening_p99": round(float(np.percentile(opening, 99)), 4),
        "inner_opening_rest": round(float(np.median(rest_openings)), 4),
        "inner_opening_over_mouth_width_p95": round(float(np.percentile(rel_open, 95)), 4),
        "mouth_width_median": round(float(np.median(width)), 4),
        "mouth_width_range_p5_p95": [round(float(np.percentile(rel_width, 5)), 4),
                                     round(float(np.percentile(rel_width, 95)), 4)],
        "chin_drop_per_opening": round(chin_per_open, 4),
        "upper_lip_share": round(upper_per_open / (upper_per_open + lower_per_open), 4),
        "lower_lip_share": round(lower_per_open / (upper_per_open + lower_per_open), 4),
        "mouth_width_per_opening": round(width_per_open, 4),
        "opening_basis": basis,
    }
    for key, value in result.items():
        if key != "opening_basis":
            print(f"{key}: {value}")
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
