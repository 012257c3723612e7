"""Are the portrait's eye points on the photo's eyes? Measured against dlib's fit from the eval's box.

The renderer draws the lids on the face stage's 68 points
(:func:`speaker.face.find_portrait`); ``scripts/eval_render.py`` measures
the blink with dlib's fit on the box its own detector finds
(:class:`eval_render.FaceProbe`). For each portrait this prints, per eye,
the offset of the portrait's six eye points from that fit (mean offset of
the centre, along x and y, and the largest point offset, all in the fit's
eye widths), the same for dlib's first fit on the face stage's detector box
(the points before :func:`speaker.face.eyefit.seat_far_eye`), and writes a
crop of both eyes zoomed x4 with the portrait's points in red, the eval's
in green and the first fit's in blue (``<name>_eyes_x4.png``).

Usage::

    python scripts/check_eye_points.py [--media DIR] [--only NAME ...] [--turned] [--out DIR]

``--turned`` keeps the faces turned 25 degrees or more. The media folder
defaults to ``../shared/media`` beside the repository, else
``/work/shared/media``. Real media are used here only, never in tests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

MEDIA_CANDIDATES = (Path(__file__).resolve().parents[2] / "shared" / "media", Path("/work/shared/media"))
EYES = {"left": slice(36, 42), "right": slice(42, 48)}
#: Faces turned at least this far (degrees) count as turned for ``--turned``.
TURNED_FROM = 25.0
ZOOM = 4


def eye_offsets(points: np.ndarray, reference: np.ndarray) -> dict:
    """Per eye, ``(dx, dy, largest)`` of ``points`` (68, 2) from ``reference`` (68, 2), in reference eye widths."""
    offsets = {}
    for name, eye in EYES.items():
        width = max(float(np.linalg.norm(reference[eye][3] - reference[eye][0])), 1.0)
        shift = (points[eye] - reference[eye]).mean(axis=0) / width
        largest = float(np.linalg.norm(points[eye] - reference[eye], axis=1).max()) / width
        offsets[name] = (float(shift[0]), float(shift[1]), largest)
    return offsets


def zoomed_eyes(image: np.ndarray, marks: list[tuple[np.ndarray, tuple[int, int, int]]], centre_on: np.ndarray):
    """Both eyes cropped about ``centre_on``'s eye points and zoomed :data:`ZOOM` times, each set of points drawn."""
    import cv2

    centre, span = centre_on[36:48].mean(axis=0), float(np.ptp(centre_on[36:48, 0]))
    x0, y0 = int(max(centre[0] - 0.8 * span, 0)), int(max(centre[1] - 0.35 * span, 0))
    x1, y1 = int(centre[0] + 0.8 * span), int(centre[1] + 0.35 * span)
    zoom = min(ZOOM, 1600 / max(x1 - x0, 1))
    picture = np.ascontiguousarray(cv2.resize(image[y0:y1, x0:x1], None, fx=zoom, fy=zoom,
                                              interpolation=cv2.INTER_CUBIC))
    for points, colour in marks:
        for point in points[36:48]:
            cv2.circle(picture, tuple(int(round(v)) for v in (point - (x0, y0)) * zoom), 3, colour, -1)
    return picture


def main(argv: list[str] | None = None) -> int:
    from PIL import Image

    from eval_render import FaceProbe, landmarks_of
    from speaker.face import find_portrait, get_landmarker, load_image

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, help="the shared media folder (holding portraits/)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="check only portraits whose name contains one of these")
    parser.add_argument("--turned", action="store_true", help=f"only faces turned {TURNED_FROM:.0f} degrees or more")
    parser.add_argument("--out", type=Path, help="folder for the x4 eye crops")
    args = parser.parse_args(argv)
    media = args.media or next((path for path in MEDIA_CANDIDATES if path.is_dir()), MEDIA_CANDIDATES[-1])
    paths = sorted(path for path in (media / "portraits").iterdir() if path.suffix.lower() in (".jpg", ".png"))
    if args.only:
        paths = [path for path in paths if any(name in path.stem for name in args.only)]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    probe, landmarker = FaceProbe(), get_landmarker("dlib")

    def cell(offset):
        return f"{offset[0]:+.2f},{offset[1]:+.2f} max {offset[2]:.2f}"

    print(f"{'portrait':34s} {'yaw':>6s}  {'ours - eval: left eye':24s} {'right eye':24s} | first fit - eval: left, right")
    for path in paths:
        image, grayscale = load_image(str(path), max_side=1280)
        try:
            portrait = find_portrait(image, grayscale)
        except Exception as error:  # refused faces are listed, not measured
            print(f"{path.stem:34s} refused: {error}")
            continue
        if args.turned and abs(portrait.pose[0]) < TURNED_FROM:
            continue
        ours = np.asarray(portrait.landmarks, np.float64)
        shape, detected = probe.find(portrait.image, portrait.box)
        evals = landmarks_of(shape)
        first = np.asarray(landmarker.fit(portrait.image, portrait.box), np.float64)
        mine, firsts = eye_offsets(ours, evals), eye_offsets(first, evals)
        print(f"{path.stem:34s} {portrait.pose[0]:+6.1f}  {cell(mine['left']):24s} {cell(mine['right']):24s} | "
              f"{cell(firsts['left'])}, {cell(firsts['right'])}{'' if detected else ' (eval found no face)'}")
        if args.out:
            picture = zoomed_eyes(portrait.image, [(first, (0, 90, 255)), (evals, (0, 255, 0)), (ours, (255, 0, 0))], ours)
            Image.fromarray(picture).save(args.out / f"{path.stem}_eyes_x4.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
