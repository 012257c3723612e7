"""Do turned faces and hidden mouths animate where they are? Measured with the face mesh.

``scripts/eval_render.py`` re-detects rendered frames with dlib, which cannot
fit a near-profile or a mouth behind fingers at all (its figures are n/a
there). This script renders frames of a portrait directly with
:class:`speaker.render.Renderer` (no speech: a sweep of jaw openings, and the
lids open, half and shut) and re-detects them with the face mesh
(:func:`speaker.face.facemesh.fit_landmarks`, on the rendered pixels, in the
portrait's face box), and measures:

mouth
    inner-lip opening (mean of the gaps 61-67, 62-66, 63-65) over the eye
    span (36-45) re-detected, against the same measure of the commanded
    landmarks: Pearson r and gain (slope), over the sweep.
blink
    eye aspect ratio (lid gaps over eye width) of the eye(s) the renderer
    blinks, re-detected at lids half and shut over open.
identity
    dlib's face descriptor (ResNet, 128-D) computed on the mesh's 68 points
    (not dlib's own fit, which fails on these faces) of each rendered frame
    against that of the photo: median and max distance (below 0.6 is
    conventionally the same person).
path
    whether dlib's landmarks passed the face stage's checks or the face mesh
    took over.

Usage::

    python scripts/check_faces.py [--media DIR] [--only NAME ...] [--out results.json]

The media folder defaults to ``../shared/media`` beside the repository, else
``/work/shared/media``. Real media are used here only, never in tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

MEDIA_CANDIDATES = (Path(__file__).resolve().parents[2] / "shared" / "media", Path("/work/shared/media"))
#: Jaw openings commanded in the sweep.
JAW_SWEEP = (0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 0.6, 0.3, 0.0)
#: Lid closures measured for the blink.
LIDS = (0.0, 0.5, 1.0)
INNER_GAPS = ((61, 67), (62, 66), (63, 65))


def inner_opening(landmarks: np.ndarray) -> float:
    """Mean inner-lip gap over the eye span (36-45)."""
    gap = np.mean([np.linalg.norm(landmarks[a] - landmarks[b]) for a, b in INNER_GAPS])
    return float(gap / max(np.linalg.norm(landmarks[45] - landmarks[36]), 1.0))


def eye_aspect(landmarks: np.ndarray, eye: int) -> float:
    """Eye aspect ratio of eye 0 (36-41) or 1 (42-47)."""
    p = landmarks[36 + 6 * eye: 42 + 6 * eye]
    return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4]))
                 / (2.0 * max(np.linalg.norm(p[3] - p[0]), 1.0)))


def descriptor(image: np.ndarray, landmarks: np.ndarray, box: np.ndarray) -> np.ndarray:
    """dlib's 128-D descriptor of the face with these 68 points."""
    import dlib

    from speaker.face.dlib import predictor_path

    encoder = descriptor.encoder if hasattr(descriptor, "encoder") else None
    if encoder is None:
        encoder = dlib.face_recognition_model_v1(str(predictor_path("dlib_face_recognition_resnet_model_v1.dat")))
        descriptor.encoder = encoder
    rect = dlib.rectangle(*(int(round(float(v))) for v in box))
    shape = dlib.full_object_detection(rect, [dlib.point(int(round(x)), int(round(y))) for x, y in landmarks])
    return np.array(encoder.compute_face_descriptor(np.ascontiguousarray(image), shape))


def check(path: Path) -> dict:
    from speaker.errors import SpeakerError
    from speaker.face import _credible, _refusal, find_portrait, fit_pose, get_landmarker, load_image
    from speaker.face.facemesh import fit_landmarks
    from speaker.motion import mouth_landmarks
    from speaker.render import Renderer
    from speaker.types import TrackFrame

    image, grayscale = load_image(path)
    try:
        portrait = find_portrait(image, grayscale)
    except SpeakerError as error:
        return {"refused": str(error)}
    landmarker = get_landmarker("dlib")
    found = _credible(landmarker.detect(portrait.image))
    box, _, guessed = max(found, key=lambda d: d[1]) if found else (portrait.box, 0, portrait.landmarks)
    refusal = _refusal(landmarker, portrait.image, box, guessed, fit_pose(guessed, portrait.image.shape[1::-1]))
    renderer = Renderer(portrait)
    pose = np.array([0, 0, 0, 0, 0, 1.0], np.float32)
    source_points, _, _ = fit_landmarks(portrait.image, portrait.box)
    reference = descriptor(portrait.image, source_points, portrait.box)
    commanded, measured, distances = [], [], []
    for jaw in JAW_SWEEP:
        articulation = np.array([jaw, 0, 0, 0, 0, 0], np.float32)
        target = mouth_landmarks(portrait.landmarks, articulation, 0.0, own_mouth=0.0)
        frame = renderer.render(TrackFrame(target, pose, articulation, 0.0, np.zeros(2, np.float32)))
        seen, _, _ = fit_landmarks(frame, portrait.box)
        commanded.append(inner_opening(target))
        measured.append(inner_opening(seen))
        distances.append(float(np.linalg.norm(descriptor(frame, seen, portrait.box) - reference)))
    blinked = [index for index, visible in enumerate(renderer.eye_visible) if visible]
    ears = []
    for lid in LIDS:
        frame = renderer.render(TrackFrame(portrait.landmarks, pose, np.zeros(6, np.float32), lid,
                                           np.zeros(2, np.float32)))
        seen, _, _ = fit_landmarks(frame, portrait.box)
        ears.append(np.mean([eye_aspect(seen, eye) for eye in blinked]) if blinked else float("nan"))
    commanded, measured = np.array(commanded), np.array(measured)
    r = float(np.corrcoef(commanded, measured)[0, 1]) if measured.std() > 0 else float("nan")
    gain = float(np.polyfit(commanded, measured, 1)[0])
    return {
        "path": "dlib" if refusal is None else "face mesh",
        "yaw": round(float(portrait.pose[0]), 1),
        "mouth_r": round(r, 3), "mouth_gain": round(gain, 3),
        "range_rendered": round(float(np.ptp(measured)), 3), "range_commanded": round(float(np.ptp(commanded)), 3),
        "eyes_blinked": blinked,
        "blink_half_over_open": round(ears[1] / ears[0], 3) if blinked else None,
        "blink_shut_over_open": round(ears[2] / ears[0], 3) if blinked else None,
        "identity_median": round(float(np.median(distances)), 3), "identity_max": round(float(np.max(distances)), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, help="the shared media folder (holding portraits/)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="check only portraits whose name contains one of these")
    parser.add_argument("--out", type=Path, help="write the figures to this JSON file")
    args = parser.parse_args()
    media = args.media or next((path for path in MEDIA_CANDIDATES if path.is_dir()), MEDIA_CANDIDATES[-1])
    paths = sorted(p for p in (media / "portraits").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if args.only:
        paths = [p for p in paths if any(name in p.name for name in args.only)]
    results = {}
    for path in paths:
        results[path.name] = result = check(path)
        print(path.name, json.dumps(result), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
