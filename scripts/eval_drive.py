"""Driving a portrait with a video: does the rendered face reproduce the real performance?

Each clip's own first frame is the portrait, driven by the clip itself
(face stage on every frame, retargeting, rendering). The rendered frames and
the real ones are measured with the same dlib face stage; reported per clip:
Pearson r between rendered and real of the mouth opening (inner-lip gap),
the eye opening (lids) and the head position (x and y of the eyes-and-nose
centre, averaged), and the medians over the clips.

Usage::

    python scripts/eval_drive.py [--media /work/shared/media] [--max-seconds 10] [--strip docs/drive_strip.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from motion_measures import (eye_opening, follow, head_position, media_dir, mouth_opening,  # noqa: E402
                             pearson, save_strip)

CLIP_PATTERNS = ("lp_d*.mp4", "mead_*.mp4")


def first_frames(path: Path, max_seconds: float) -> tuple[list[np.ndarray], float]:
    from speaker import video

    reader = video.read_video(path)
    limit = int(round(max_seconds * reader.fps))
    frames = []
    for frame in reader.frames:
        frames.append(frame)
        if len(frames) >= limit:
            break
    return frames, reader.fps


def evaluate(clip: Path, max_seconds: float, max_side: int):
    from speaker import face, motion, render

    frames, fps = first_frames(clip, max_seconds)
    image = frames[0]
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale < 1.0:
        import cv2

        size = (int(image.shape[1] * scale) // 2 * 2, int(image.shape[0] * scale) // 2 * 2)
        frames = [cv2.resize(frame, size, interpolation=cv2.INTER_AREA) for frame in frames]
    portrait = face.find_portrait(frames[0], grayscale=False)
    real, real_found = follow(frames, fps)
    performer = face.follow_face(frames, fps)
    track = motion.drive_track(performer, portrait)
    rendered = list(render.render_frames(portrait, track))
    ours, ours_found = follow(rendered, fps)
    both = real_found & ours_found
    head = [pearson(head_position(ours)[both, k], head_position(real)[both, k]) for k in (0, 1)]
    row = {
        "clip": clip.stem,
        "frames": len(frames),
        "fps": fps,
        "mouth_r": pearson(mouth_opening(ours)[both], mouth_opening(real)[both]),
        "eyes_r": pearson(eye_opening(ours)[both], eye_opening(real)[both]),
        "head_r": float(np.nanmean(head)),
        "head_x_r": head[0],
        "head_y_r": head[1],
        "rendered_found": float(ours_found.mean()),
    }
    return row, frames, rendered, mouth_opening(real)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", help="the shared media folder (default: ../shared/media or /work/shared/media)")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="use at most this much of each clip")
    parser.add_argument("--max-side", type=int, default=720, help="downscale larger clips to this long side")
    parser.add_argument("--clips", nargs="*", help="clip stems to run (default: every lp_d* and mead_* clip)")
    parser.add_argument("--out", type=Path, help="write the rows as JSON")
    parser.add_argument("--strip", type=Path, help="save real-vs-rendered frames of the first clip as a PNG")
    args = parser.parse_args(argv)

    folder = media_dir(args.media) / "clips_dev"
    clips = sorted(path for pattern in CLIP_PATTERNS for path in folder.glob(pattern))
    if args.clips:
        clips = [path for path in clips if path.stem in args.clips]
    rows = []
    print(f"{'clip':<34} {'frames':>6} {'mouth r':>8} {'eyes r':>7} {'head r':>7} {'(x, y)':>13} {'s':>6}")
    for clip in clips:
        started = time.perf_counter()
        row, frames, rendered, real_mouth = evaluate(clip, args.max_seconds, args.max_side)
        row["seconds"] = time.perf_counter() - started
        rows.append(row)
        print(f"{row['clip']:<34} {row['frames']:>6} {row['mouth_r']:>8.3f} {row['eyes_r']:>7.3f} {row['head_r']:>7.3f} "
              f"({row['head_x_r']:.2f}, {row['head_y_r']:.2f}) {row['seconds']:>6.1f}", flush=True)
        if args.strip and len(rows) == 1:
            picks = np.linspace(0, len(frames) - 1, 5).astype(int)
            widest = int(np.argmax(real_mouth))
            picks = sorted(set(picks.tolist()) | {widest})[:6]
            save_strip([[frames[i] for i in picks], [rendered[i] for i in picks]], args.strip)
            print(f"strip: {args.strip} (top: the real clip, bottom: its first frame driven by it; frames {picks})")
    for key in ("mouth_r", "eyes_r", "head_r"):
        values = [row[key] for row in rows if np.isfinite(row[key])]
        print(f"median {key}: {np.median(values):.3f} over {len(values)} clips")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
