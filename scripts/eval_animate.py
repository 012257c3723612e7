"""``speaker animate`` over a minute: does the portrait live without drifting away?

For each portrait, 60 s of idle motion are rendered and every frame is
measured with the dlib face stage. Reported: blinks per minute (in the track,
and counted on the rendered frames from the lids), the largest head angle of
the track (yaw, pitch, roll), and the drift of the face position (centre of
eyes and nose, dlib) between the first and the last second, in pixels and in
eye distances; also the largest distance of that second-long average from
the first second over the whole minute.

Usage::

    python scripts/eval_animate.py [--seconds 60] [--image photo.jpg ...] [--strip docs/animate_strip.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from motion_measures import blinks, eye_distance, eye_opening, follow, head_position, media_dir, save_strip  # noqa: E402


def default_images(media: Path) -> list[Path]:
    from speaker.cli import demo_portrait_path

    return [demo_portrait_path(), media / "portraits" / "obama_official_2012.jpg"]


def evaluate(image: Path, seconds: float, fps: float, seed: int):
    from speaker import face, motion, render

    loaded, grayscale = face.load_image(image)
    portrait = face.find_portrait(loaded, grayscale)
    track = motion.idle_track(portrait, seconds, fps, seed=seed)
    started = time.perf_counter()
    frames = render.render_frames(portrait, track)
    kept = {}
    moments = {"rest": 0, "blink": int(np.argmax(track.eyelid)), "look": int(np.argmax(np.abs(track.head_pose[:, 0]))),
               "smile": int(np.argmax(track.articulation[:, 2])), "last": len(track) - 1}

    def frames_kept():
        for index, frame in enumerate(frames):
            if index in moments.values():
                kept[index] = frame
            yield frame

    landmarks, found = follow(frames_kept(), fps)
    elapsed = time.perf_counter() - started
    second = int(round(fps))
    position = head_position(landmarks)
    unit = float(np.median(eye_distance(landmarks)))
    windows = np.array([position[i:i + second].mean(axis=0) for i in range(0, len(position) - second + 1, second)])
    drift = float(np.linalg.norm(windows[-1] - windows[0]))
    row = {
        "image": image.name,
        "frames": len(track),
        "found": float(found.mean()),
        "track_blinks_per_minute": blinks(1.0 - track.eyelid + 1e-3, fps) * 60.0 / seconds,
        "measured_blinks_per_minute": blinks(eye_opening(landmarks), fps) * 60.0 / seconds,
        "max_yaw": float(np.abs(track.head_pose[:, 0]).max()),
        "max_pitch": float(np.abs(track.head_pose[:, 1]).max()),
        "max_roll": float(np.abs(track.head_pose[:, 2]).max()),
        "drift_px": drift,
        "drift_eye_distances": drift / unit,
        "largest_excursion_eye_distances": float(np.linalg.norm(windows - windows[0], axis=1).max() / unit),
        "seconds_render_and_measure": elapsed,
    }
    x0, y0, x1, y1 = portrait.box
    pad = 0.6 * (x1 - x0)
    crop = (slice(int(max(0, y0 - pad)), int(y1 + pad)), slice(int(max(0, x0 - pad)), int(x1 + pad)))
    strip = [kept[index][crop] for index in sorted(set(moments.values())) if index in kept]
    return row, strip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", help="the shared media folder (default: ../shared/media or /work/shared/media)")
    parser.add_argument("--image", type=Path, nargs="*", help="portraits (default: Grace Hopper, Obama 2012)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the rows as JSON")
    parser.add_argument("--strip", type=Path, help="save rest / blink / look / smile / last frames of the first portrait")
    args = parser.parse_args(argv)
    rows = []
    for index, image in enumerate(args.image or default_images(media_dir(args.media))):
        row, strip = evaluate(image, args.seconds, args.fps, args.seed)
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.strip and index == 0:
            save_strip([strip], args.strip, tile=240)
            print(f"strip: {args.strip}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
