"""``speaker dialogue`` on a photo of two people: does each mouth move in its own lines only?

The script is spoken by the faces of ``portraits/obama_biden_two_faces.jpg``
(or ``--image``). The video is rendered through the pipeline, then each face
is followed on its own crop of every frame with the dlib face stage and its
inner-lip opening measured. For each face, reported: the mean and the
standard deviation of the opening (in eye distances) during its own lines and
during the other's lines; a speaking mouth moves (large deviation), a
listening one stays as the photo has it (deviation near zero).

Usage::

    python scripts/eval_dialogue.py [--image photo.jpg] [--script scene.txt] [--strip docs/dialogue_strip.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from motion_measures import follow, media_dir, mouth_opening, save_strip  # noqa: E402

SCRIPT = """\
name 0 = Obama
name 1 = Biden
voice 0 = calm
voice 1 = orator
0: Joe, have you seen the new portrait of us?
1: I have. It makes me look ten years younger.
0: That is the magic of a good photographer.
1: Or of a very kind computer.
"""


def main(argv: list[str] | None = None) -> int:
    from speaker import motion, pipeline, video

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", help="the shared media folder (default: ../shared/media or /work/shared/media)")
    parser.add_argument("--image", type=Path)
    parser.add_argument("--script", type=Path)
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    parser.add_argument("--strip", type=Path, help="save frames of each face's lines as a PNG")
    args = parser.parse_args(argv)
    image = args.image or media_dir(args.media) / "portraits" / "obama_biden_two_faces.jpg"
    script = args.script.read_text(encoding="utf-8") if args.script else SCRIPT

    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "dialogue.mp4"
        result = pipeline.dialogue(image, script, out, export_track=Path(work) / "scene.json", subtitles=False)
        tracks = sorted(p for p in Path(work).glob("scene.face*.json"))
        tracks = [motion.load_track(path) for path in tracks]
        reader = video.read_video(out)
        frames = list(reader.frames)
    print(f"rendered {result.frames} frames, {result.audio_seconds:.1f} s; stage seconds "
          f"{ {k: round(v, 1) for k, v in result.stage_seconds.items()} }")

    from speaker import face

    loaded, grayscale = face.load_image(image)
    boxes = [face.find_portrait(loaded, grayscale, face_index=i).box for i in range(len(tracks))]
    times = np.arange(len(frames)) / reader.fps
    figures = {}
    for number, (track, box) in enumerate(zip(tracks, boxes)):
        # The face's own words mark its lines (its track only has those).
        speaking = np.zeros(len(frames), bool)
        for word in track.words:
            speaking |= (times >= word.start) & (times < word.end)
        others = np.zeros(len(frames), bool)
        for other_number, other in enumerate(tracks):
            if other_number != number:
                for word in other.words:
                    others |= (times >= word.start) & (times < word.end)
        x0, y0, x1, y1 = box
        pad = 0.5 * (x1 - x0)
        crop = (slice(int(max(0, y0 - pad)), int(y1 + pad)), slice(int(max(0, x0 - pad)), int(x1 + pad)))
        landmarks, found = follow([frame[crop] for frame in frames], reader.fps)
        opening = mouth_opening(landmarks)
        figures[f"face {number}"] = {
            "found": float(found.mean()),
            "own_lines_mean": float(opening[speaking].mean()),
            "own_lines_std": float(opening[speaking].std()),
            "other_lines_mean": float(opening[others].mean()),
            "other_lines_std": float(opening[others].std()),
            "photo": float(opening[0]),
        }
        print(f"face {number}: opening during its own lines {opening[speaking].mean():.3f} +/- "
              f"{opening[speaking].std():.3f}, during the other's {opening[others].mean():.3f} +/- "
              f"{opening[others].std():.3f} (eye distances; first frame {opening[0]:.3f}, found {found.mean():.0%})")
    if args.strip:
        # One row per face: frames in the middle of some of its words, cropped to the faces.
        union = np.array([min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                          max(b[3] for b in boxes)])
        pad = 0.35 * float(np.mean([b[2] - b[0] for b in boxes]))
        crop = (slice(int(max(0, union[1] - pad)), int(union[3] + pad)),
                slice(int(max(0, union[0] - pad)), int(union[2] + pad)))
        rows = []
        for track in tracks:
            picks = [min(int(round((w.start + w.end) / 2 * reader.fps)), len(frames) - 1) for w in track.words]
            picks = picks[1::max(1, len(picks) // 3)][:3]
            rows.append([frames[i][crop] for i in picks])
        save_strip(rows, args.strip, tile=220)
        print(f"strip: {args.strip} (row N: face N speaking)")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
