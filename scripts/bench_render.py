"""Measure the render stage's speed: frames per second at 512x512.

Uses Grace Hopper (matplotlib's sample, cropped to 512x512, the face fills
most of it) or skimage's astronaut (512x512, small face) with dlib landmarks, and a
synthetic track that opens and closes the mouth, blinks and turns the head,
so every code path (mesh warp, lids, mouth interior) runs.

    python scripts/bench_render.py [--frames 200] [--portrait grace|astronaut]
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np


def _landmarks(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import dlib

    models = importlib.util.find_spec("face_recognition_models").submodule_search_locations[0] + "/models"
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(models + "/shape_predictor_68_face_landmarks.dat")
    box = max(detector(image, 1), key=lambda r: r.area())
    shape = predictor(image, box)
    landmarks = np.array([[p.x, p.y] for p in shape.parts()], np.float32)
    return landmarks, np.array([box.left(), box.top(), box.right(), box.bottom()], np.float32)


def _track(landmarks: np.ndarray, count: int):
    from speaker.types import Track

    face_width = float(np.linalg.norm(landmarks[16] - landmarks[0]))
    t = np.arange(count) / 25.0
    jaw = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t)
    lms = np.repeat(landmarks[None].astype(np.float64), count, axis=0)
    lower = [55, 56, 57, 58, 59, 65, 66, 67] + list(range(5, 12))
    lms[:, lower, 1] += (0.1 * face_width * jaw)[:, None]
    eyelid = (np.mod(t, 2.0) < 0.12).astype(np.float32)
    pose = np.zeros((count, 6), np.float32)
    pose[:, 0] = 6 * np.sin(2 * np.pi * 0.3 * t)
    pose[:, 1] = 3 * np.sin(2 * np.pi * 0.2 * t)
    pose[:, 2] = 2 * np.sin(2 * np.pi * 0.17 * t)
    pose[:, 5] = 1.0
    articulation = np.zeros((count, 6), np.float32)
    articulation[:, 0] = jaw
    return Track(25.0, lms.astype(np.float32), pose, articulation, eyelid, (512, 512))


def main() -> None:
    import skimage.data

    from speaker.render import Renderer
    from speaker.types import Portrait

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--portrait", choices=("astronaut", "grace"), default="grace",
                        help="astronaut: small face; grace: face filling the frame (top 512 rows)")
    args = parser.parse_args()

    if args.portrait == "astronaut":
        image = skimage.data.astronaut()
    else:
        import os

        import matplotlib
        from PIL import Image

        path = os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg")
        image = np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB"))[:512, :512])
    landmarks, box = _landmarks(image)
    portrait = Portrait(image, landmarks, box)
    track = _track(landmarks, args.frames)

    started = time.perf_counter()
    renderer = Renderer(portrait)
    setup = time.perf_counter() - started
    for i in range(5):
        renderer.render(track.frame(i))
    started = time.perf_counter()
    for i in range(len(track)):
        renderer.render(track.frame(i))
    seconds = time.perf_counter() - started
    roi = renderer.roi
    print(f"image 512x512, ROI {roi[2] - roi[0]}x{roi[3] - roi[1]}, {len(renderer.mesh.triangles)} triangles")
    print(f"setup {setup * 1000:.1f} ms; {len(track)} frames in {seconds:.2f} s = "
          f"{len(track) / seconds:.1f} frames/s ({1000 * seconds / len(track):.1f} ms/frame)")


if __name__ == "__main__":
    main()
