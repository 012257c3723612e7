"""Lip-sync agreement with real speakers.

For each real talking clip (GRID corpus, ``../shared/media/clips``), the
clip's first frame is driven by the clip's own audio through the whole
pipeline, and the mouth opening is measured per frame, with the same dlib
landmarker, on the rendered video and on the real clip. Reported: Pearson r
at lag 0 per clip and the median, and the lag (frames, positive = ours is
late) where r peaks, for

- ``transcript``: forced alignment of the clip's transcript,
- ``phones``: pocketsphinx phone recognition (no transcript),
- ``audio-model``: the audio-only network (no transcript),
- ``loudness``: the audio's loudness envelope itself (the floor any system
  gets for free).

Usage::

    python scripts/eval_lipsync.py [--clips ../shared/media/clips] [--out eval_lipsync.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIPS = REPO.parent / "shared" / "media" / "clips"
MAX_LAG = 5

#: Transcripts of the GRID clips, from their file names (see the media README).
TRANSCRIPTS = {
    "grid_bbaf2n": "bin blue at f two now",
    "grid_brbk7n": "bin red by k seven now",
    "grid_lbax4n": "lay blue at x four now",
    "grid_pwij3p": "place white in j three please",
    "grid_id2_vcd_swwp2s": "set white with p two soon",
}


class MouthMeter:
    """Inner-lip opening per frame, in units of the jaw width, measured with dlib."""

    def __init__(self) -> None:
        import importlib.util

        import dlib

        spec = importlib.util.find_spec("face_recognition_models")
        models = Path(spec.submodule_search_locations[0]) / "models"
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(models / "shape_predictor_68_face_landmarks.dat"))
        self.last_box = None

    def opening(self, frame: np.ndarray) -> float:
        import dlib

        boxes = self.detector(frame, 1)
        if len(boxes):
            box = max(boxes, key=lambda b: b.area())
            self.last_box = box
        elif self.last_box is not None:
            box = self.last_box
        else:
            return float("nan")
        shape = self.predictor(frame, box)
        points = np.array([(p.x, p.y) for p in shape.parts()], np.float64)
        gap = np.mean([np.linalg.norm(points[upper] - points[lower]) for upper, lower in ((61, 67), (62, 66), (63, 65))])
        return float(gap / np.linalg.norm(points[16] - points[0]))

    def video(self, path: Path) -> np.ndarray:
        import imageio_ffmpeg

        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        width, height = meta["size"]
        self.last_box = None
        values = []
        for raw in reader:
            frame = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
            values.append(self.opening(frame))
        series = np.array(values)
        if np.isnan(series).any():  # an undetected frame: carry the neighbours over
            good = ~np.isnan(series)
            series = np.interp(np.arange(len(series)), np.flatnonzero(good), series[good])
        return series


def extract(clip: Path, workdir: Path) -> tuple[Path, Path]:
    """The clip's first frame (PNG) and its audio (WAV, mono)."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    image, audio = workdir / f"{clip.stem}.png", workdir / f"{clip.stem}.wav"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(clip), "-frames:v", "1", str(image)], check=True)
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(clip), "-vn", "-ac", "1", str(audio)], check=True)
    return image, audio


def loudness_envelope(audio: Path, fps: float, count: int) -> np.ndarray:
    """RMS loudness per video frame (the free baseline)."""
    import soundfile

    samples, rate = soundfile.read(str(audio), dtype="float32")
    hop = rate / fps
    return np.array([
        np.sqrt(np.mean(samples[int(i * hop): int((i + 1) * hop)] ** 2) + 1e-12) for i in range(count)
    ])


def correlation(ours: np.ndarray, real: np.ndarray, lag: int = 0) -> float:
    """Pearson r of ``ours`` delayed by ``lag`` frames against ``real``."""
    count = min(len(ours), len(real))
    ours, real = ours[:count], real[:count]
    if lag > 0:
        ours, real = ours[lag:], real[:-lag]
    elif lag < 0:
        ours, real = ours[:lag], real[-lag:]
    if np.std(ours) < 1e-9 or np.std(real) < 1e-9:
        return 0.0
    return float(np.corrcoef(ours, real)[0, 1])


def best_lag(ours: np.ndarray, real: np.ndarray) -> int:
    lags = range(-MAX_LAG, MAX_LAG + 1)
    return max(lags, key=lambda lag: correlation(ours, real, lag))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, default=DEFAULT_CLIPS)
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    parser.add_argument("--keep", type=Path, help="keep the rendered videos in this folder")
    args = parser.parse_args(argv)

    import speaker
    from speaker.timing import audio_model_available

    clips = sorted(args.clips.glob("*.mpg"))
    if not clips:
        print(f"No clips in {args.clips}", file=sys.stderr)
        return 1
    meter = MouthMeter()
    methods = {"transcript": {}, "phones": {"lipsync": "phones"}}
    if audio_model_available():
        methods["audio-model"] = {"lipsync": "audio-model"}
    rows: dict[str, dict[str, dict[str, float]]] = {name: {} for name in [*methods, "loudness"]}

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for clip in clips:
            image, audio = extract(clip, workdir)
            real = meter.video(clip)
            for name, options in methods.items():
                out = workdir / f"{clip.stem}_{name}.mp4"
                transcript = TRANSCRIPTS.get(clip.stem) if name == "transcript" else None
                if name == "transcript" and transcript is None:
                    continue
                speaker.speak(image, audio=audio, out=out, transcript=transcript, subtitles=False, **options)
                ours = meter.video(out)
                rows[name][clip.stem] = {"r": correlation(ours, real), "lag": best_lag(ours, real)}
            envelope = loudness_envelope(audio, 25.0, len(real))
            rows["loudness"][clip.stem] = {"r": correlation(envelope, real), "lag": best_lag(envelope, real)}

    names = [clip.stem for clip in clips]
    print(f"{'method':<12}" + "".join(f"{name[-12:]:>14}" for name in names) + f"{'median r':>10}{'med lag':>9}")
    for method, per_clip in rows.items():
        cells = "".join(
            f"{per_clip[n]['r']:>8.2f} ({per_clip[n]['lag']:+d})" if n in per_clip else f"{'-':>14}" for n in names
        )
        rs = [v["r"] for v in per_clip.values()]
        lags = [v["lag"] for v in per_clip.values()]
        print(f"{method:<12}{cells}{np.median(rs):>10.2f}{np.median(lags):>+9.1f}")
    print("cells: Pearson r at lag 0 (lag in frames where r peaks; + means ours is late)")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
