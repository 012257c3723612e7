"""Lip-sync agreement with real speakers.

For each real talking clip, the clip's first frame is driven by the clip's
own audio through the whole pipeline, and the mouth opening is measured per
frame, with the same dlib landmarker, on the rendered video and on the real
clip. Reported: Pearson r at lag 0 per clip and the median, and the lag
(frames, positive = ours is late) where r peaks, for

- ``transcript``: forced alignment of the clip's transcript (GRID only),
- ``recognised``: the default without transcript: Whisper's words aligned
  (English) or their phonemes spread (other languages),
- ``phones``: pocketsphinx phone recognition (no transcript),
- ``audio-model``: the audio-only network (no transcript),
- ``loudness``: the audio's loudness envelope itself (the floor any system
  gets for free).

Two figures per cell: ``r`` over the whole clip, and ``rs`` over the frames
of speech only (Silero voice activity, faster-whisper's, widened by
:data:`SPEECH_MARGIN`). Outside speech a real speaker's mouth follows no
sound: actors hold an emotion's open mouth after the last word, people
breathe or smile; no audio-driven mouth (nor the loudness) can predict that,
and on 3-5 s clips those frames dominate the whole-clip r. ``rs`` measures
the lip sync itself. Per-frame series are kept with ``--series``.

Clip sets (``--sets``) of the shared media: ``clips`` (5 GRID sentences with
transcripts), ``clips_dev`` (the speech clips: LRS3 TED crops, MEAD actors,
astorfi, lp_d20 Mandarin, lp_d10 Portuguese; no transcripts), ``grid_s1``
(GRID sentences with ``.align`` word timings, transcripts from them; use
``--limit``).

Usage::

    python scripts/eval_lipsync.py [--media ../shared/media] [--sets clips clips_dev] [--limit 12]
                                   [--out eval_lipsync.json]
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
MAX_LAG = 5
#: The speech clips of clips_dev (the others are for driving: music, silence, grimaces).
DEV_SPEECH = ("lrs3_*.mp4", "mead_*.mp4", "astorfi_sample.mp4", "lp_d20.mp4", "lp_d10.mp4")
#: Frames are measured at most this wide (the opening is a ratio; dlib is slow on 1080p).
METER_WIDTH = 640
#: Frames this close (s) to detected speech count as speech: the lips move
#: about 0.1-0.2 s before the sound starts and settle after it ends.
SPEECH_MARGIN = 0.2

#: Transcripts of the GRID clips, from their file names (see the media README).
TRANSCRIPTS = {
    "grid_bbaf2n": "bin blue at f two now",
    "grid_brbk7n": "bin red by k seven now",
    "grid_lbax4n": "lay blue at x four now",
    "grid_pwij3p": "place white in j three please",
    "grid_id2_vcd_swwp2s": "set white with p two soon",
}


class FaceLost(Exception):
    """The landmarker found the face in no frame of a video."""


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
        import cv2

        if frame.shape[1] > METER_WIDTH:
            scale = METER_WIDTH / frame.shape[1]
            frame = cv2.resize(frame, (METER_WIDTH, int(round(frame.shape[0] * scale))), interpolation=cv2.INTER_AREA)
        elif frame.shape[1] < METER_WIDTH // 2:  # dlib's detector misses faces in small crops
            frame = cv2.resize(frame, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
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

    def first_box(self, path: Path):
        """The face box of the first frame of ``path`` in which the detector finds a face (or None)."""
        import imageio_ffmpeg

        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        width, height = meta["size"]
        self.last_box = None
        for raw in reader:
            if not np.isnan(self.opening(np.frombuffer(raw, np.uint8).reshape(height, width, 3))):
                break
        reader.close()
        return self.last_box

    def video(self, path: Path) -> np.ndarray:
        """Opening per frame. Frames before the detector first finds the face are measured in
        the first box it finds (not filled with the first measured value: a face the detector
        misses at the start, as on some of our renders of tight crops, still has its mouth
        measured)."""
        import imageio_ffmpeg

        start_box = self.first_box(path)
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        width, height = meta["size"]
        self.last_box = start_box
        values = []
        for raw in reader:
            frame = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
            values.append(self.opening(frame))
        series = np.array(values)
        if np.isnan(series).all():
            raise FaceLost(f"no face found in any frame of {path.name}")
        if np.isnan(series).any():  # an undetected frame: carry the neighbours over
            good = ~np.isnan(series)
            series = np.interp(np.arange(len(series)), np.flatnonzero(good), series[good])
        return series


#: Candidate portrait frames: this many of the clip's most closed-mouthed frames are tried.
PORTRAIT_CANDIDATES = 6


def extract(clip: Path, workdir: Path, real: np.ndarray | None = None) -> tuple[Path, Path]:
    """The clip's portrait frame (PNG) and its audio (WAV, mono).

    The portrait is a still with the lips closed, as a user's portrait is:
    of the :data:`PORTRAIT_CANDIDATES` frames with the smallest real opening
    (``real``, per frame; without it, the frames at 0, a quarter, a half and
    three quarters), the first within 15 degrees of frontal, else the most
    frontal (some TED crops open on a face turned away, and the mouth of a
    turned render is measured poorly). An actor's first frame may already
    show the emotion's open mouth, which the render keeps outside speech.
    """
    import imageio_ffmpeg

    from speaker import face
    from speaker.errors import SpeakerError

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    image, audio = workdir / f"{clip.stem}.png", workdir / f"{clip.stem}.wav"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(clip), "-vn", "-ac", "1", str(audio)], check=True)
    fps = clip_fps(clip)
    if real is not None and len(real):
        candidates = [float(index) / fps for index in np.argsort(real, kind="stable")[:PORTRAIT_CANDIDATES]]
    else:
        duration = clip_duration(clip)
        candidates = [share * duration for share in (0.0, 0.25, 0.5, 0.75)]
    best_time, best_yaw = candidates[0], float("inf")
    for seconds in candidates:
        _grab_frame(ffmpeg, clip, seconds, image)
        try:
            portrait = face.find_portrait(*face.load_image(image))
        except SpeakerError:
            continue
        yaw = abs(portrait.pose[0]) if portrait.pose is not None else 0.0
        if yaw < best_yaw:
            best_time, best_yaw = seconds, yaw
        if yaw <= 15.0:
            break
    _grab_frame(ffmpeg, clip, best_time, image)
    return image, audio


def _grab_frame(ffmpeg: str, clip: Path, seconds: float, image: Path) -> None:
    """Frame at ``seconds`` (decoded exactly: -ss after -i) as a PNG."""
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(clip), "-ss", f"{seconds:.3f}",
                    "-frames:v", "1", str(image)], check=True)


def clip_duration(clip: Path) -> float:
    from speaker.video import probe

    return float(probe(clip)["duration"])


def loudness_envelope(audio: Path, fps: float, count: int) -> np.ndarray:
    """RMS loudness per video frame (the free baseline), over one frame's span centred on the frame's time.

    (Frame ``i`` shows the face at ``i / fps``; a window starting there would
    make the loudness half a frame late.)
    """
    import soundfile

    samples, rate = soundfile.read(str(audio), dtype="float32")
    hop = rate / fps
    return np.array([
        np.sqrt(np.mean(samples[max(0, int((i - 0.5) * hop)): int((i + 0.5) * hop)] ** 2) + 1e-12)
        for i in range(count)
    ])


def speech_frames(audio: Path, fps: float, count: int) -> np.ndarray:
    """Which of ``count`` video frames lie within :data:`SPEECH_MARGIN` s of speech.

    Speech is found by the Silero voice-activity model of faster-whisper
    (independent of the timing paths measured), on the audio at 16 kHz.

    Returns
    -------
    np.ndarray, shape (count,), bool
    """
    import soundfile
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from speaker.timing import resample

    samples, rate = soundfile.read(str(audio), dtype="float32")
    samples = resample(samples.reshape(len(samples), -1).mean(axis=1), rate, 16000)
    spans = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=100, speech_pad_ms=0))
    times = np.arange(count) / fps
    mask = np.zeros(count, bool)
    for span in spans:
        mask |= (times >= span["start"] / 16000 - SPEECH_MARGIN) & (times <= span["end"] / 16000 + SPEECH_MARGIN)
    return mask


def correlation(ours: np.ndarray, real: np.ndarray, lag: int = 0, mask: np.ndarray | None = None) -> float:
    """Pearson r of ``ours`` delayed by ``lag`` frames against ``real``, on the ``mask`` frames of ``real``."""
    count = min(len(ours), len(real))
    ours, real = ours[:count], real[:count]
    mask = np.ones(count, bool) if mask is None else np.asarray(mask[:count], bool)
    if lag > 0:
        ours, real, mask = ours[lag:], real[:-lag], mask[:-lag]
    elif lag < 0:
        ours, real, mask = ours[:lag], real[-lag:], mask[-lag:]
    ours, real = ours[mask], real[mask]
    if len(ours) < 3:
        return 0.0
    if np.std(ours) < 1e-9 or np.std(real) < 1e-9:
        return 0.0
    return float(np.corrcoef(ours, real)[0, 1])


def best_lag(ours: np.ndarray, real: np.ndarray, mask: np.ndarray | None = None) -> int:
    lags = range(-MAX_LAG, MAX_LAG + 1)
    return max(lags, key=lambda lag: correlation(ours, real, lag, mask))


def figures(ours: np.ndarray, real: np.ndarray, speaking: np.ndarray) -> dict[str, float]:
    """r and best lag over the whole clip, over its speech frames (``rs``, ``lag_s``), and r at the best lag (``r_lag``).

    ``r_lag`` is the agreement once the clip's unknown audio-video offset is
    searched within :data:`MAX_LAG` frames, for every path alike (as
    SyncNet-style sync scores do); it is reported beside, never instead of,
    ``r`` at lag 0.
    """
    lag = best_lag(ours, real)
    return {"r": correlation(ours, real), "lag": lag, "r_lag": correlation(ours, real, lag),
            "rs": correlation(ours, real, 0, speaking), "lag_s": best_lag(ours, real, speaking)}


def media_folder(given: Path | None) -> Path:
    for folder in ([given] if given else []) + [REPO.parent / "shared" / "media", Path("/work/shared/media")]:
        if folder.is_dir():
            return folder
    raise SystemExit("The shared media folder was not found; pass --media.")


def grid_transcript(align_file: Path) -> str:
    """The words of a GRID ``.align`` file (``start end word``), silences left out."""
    words = [line.split()[2] for line in align_file.read_text().splitlines() if len(line.split()) == 3]
    return " ".join(word for word in words if word not in ("sil", "sp"))


def clip_list(media: Path, sets: list[str], limit: int | None) -> list[tuple[str, Path, str | None]]:
    """``(set, clip, transcript or None)`` for the chosen sets."""
    clips: list[tuple[str, Path, str | None]] = []
    for name in sets:
        if name == "clips":
            found = [(name, clip, TRANSCRIPTS.get(clip.stem)) for clip in sorted((media / "clips").glob("*.mpg"))]
        elif name == "clips_dev":
            found = [(name, clip, None) for pattern in DEV_SPEECH for clip in sorted((media / "clips_dev").glob(pattern))]
        elif name == "grid_s1":
            found = [(name, clip, grid_transcript(clip.with_suffix(".align")))
                     for clip in sorted((media / "grid_s1").glob("*.mpg")) if clip.with_suffix(".align").is_file()]
        else:
            raise SystemExit(f"Unknown clip set {name}; use clips, clips_dev, grid_s1.")
        clips += found[:limit] if limit else found
    return clips


def clip_fps(clip: Path) -> float:
    from speaker.video import probe

    return float(probe(clip)["fps"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, help="the shared media folder (default ../shared/media)")
    parser.add_argument("--sets", nargs="+", default=["clips", "clips_dev"])
    parser.add_argument("--limit", type=int, help="at most this many clips per set")
    parser.add_argument("--only", nargs="+", help="only the clips whose names contain one of these")
    # The loudness floor is measured on every run; it is not one of these.
    parser.add_argument("--methods", nargs="+", default=["transcript", "recognised", "phones", "audio-model"],
                        choices=["transcript", "recognised", "phones", "audio-model"])
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    parser.add_argument("--series", type=Path, help="also keep the per-frame openings (.npz: clip/method)")
    parser.add_argument("--keep", type=Path, help="keep the rendered videos in this folder")
    parser.add_argument("--resume", action="store_true", help="keep the clips already in --out, measure the rest")
    parser.add_argument("--max-side", type=int, default=480,
                        help="render at most this size (the opening is a ratio; smaller is faster)")
    args = parser.parse_args(argv)

    import warnings

    import speaker
    from speaker.errors import SpeakerError
    from speaker.timing import audio_model_available

    clips = clip_list(media_folder(args.media), args.sets, args.limit)
    if args.only:
        clips = [entry for entry in clips if any(part in entry[1].stem for part in args.only)]
    if not clips:
        print("No clips found", file=sys.stderr)
        return 1
    meter = MouthMeter()
    options = {"transcript": {}, "recognised": {}, "phones": {"lipsync": "phones"},
               "audio-model": {"lipsync": "audio-model"}}
    methods = {name: options[name] for name in args.methods
               if name != "audio-model" or audio_model_available()}
    rows: dict[str, dict[str, dict[str, float]]] = {name: {} for name in [*methods, "loudness"]}
    sets_of: dict[str, str] = {}
    series: dict[str, np.ndarray] = {}
    if args.series and args.series.is_file():
        series.update(np.load(args.series))
    if args.resume and args.out and args.out.is_file():
        saved = json.loads(args.out.read_text())
        sets_of.update(saved["sets"])
        for name, per_clip in saved["rows"].items():
            rows.setdefault(name, {}).update(per_clip)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for set_name, clip, transcript_of_clip in clips:
            if clip.stem in rows["loudness"]:
                continue
            sets_of[clip.stem] = set_name
            try:
                real = meter.video(clip)
            except FaceLost as error:
                print(f"{clip.stem}: {error}", file=sys.stderr)
                continue
            image, audio = extract(clip, workdir, real)
            fps = clip_fps(clip)
            speaking = speech_frames(audio, fps, len(real))
            series[f"{clip.stem}/real"], series[f"{clip.stem}/speaking"] = real, speaking
            for name, extra in methods.items():
                out = workdir / f"{clip.stem}_{name}.mp4"
                transcript = transcript_of_clip if name == "transcript" else None
                if name == "transcript" and transcript is None:
                    continue
                try:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        result = speaker.speak(image, audio=audio, out=out, transcript=transcript,
                                               subtitles=False, fps=fps, max_side=args.max_side, **extra)
                except SpeakerError as error:
                    print(f"{clip.stem} {name}: {error}", file=sys.stderr)
                    continue
                try:
                    ours = meter.video(out)
                except FaceLost as error:
                    print(f"{clip.stem} {name}: {error}", file=sys.stderr)
                    continue
                rows[name][clip.stem] = {**figures(ours, real, speaking),
                                         "source": result.timing_source, "warnings": len(caught)}
                series[f"{clip.stem}/{name}"] = ours
                cell = rows[name][clip.stem]
                print(f"{clip.stem:<36}{name:<12}r {cell['r']:+.2f}  rs {cell['rs']:+.2f}  {result.timing_source}",
                      file=sys.stderr, flush=True)
            envelope = loudness_envelope(audio, fps, len(real))
            rows["loudness"][clip.stem] = figures(envelope, real, speaking)
            series[f"{clip.stem}/loudness"] = envelope
            cell = rows["loudness"][clip.stem]
            print(f"{clip.stem:<36}{'loudness':<12}r {cell['r']:+.2f}  rs {cell['rs']:+.2f}", file=sys.stderr,
                  flush=True)
            if args.series:
                np.savez_compressed(args.series, **series)
            if args.out:  # after every clip, so a long run that is stopped still leaves its figures
                args.out.write_text(json.dumps({"sets": sets_of, "rows": rows}, indent=2))

    for set_name in dict.fromkeys(sets_of.values()):
        names = [stem for stem, owner in sets_of.items() if owner == set_name]
        for key, lag_key, title in (("r", "lag", "whole clip"), ("rs", "lag_s", "speech frames"),
                                    ("r_lag", "lag", "whole clip, at each path's best lag")):
            print(f"\n{set_name}: {len(names)} clips, {title}")
            measured = [per_clip for per_clip in rows.values() if any(key in per_clip.get(n, {}) for n in names)]
            # Medians over the clips every path was measured on, so the paths compare on the same clips.
            common = [n for n in names if all(key in per_clip.get(n, {}) for per_clip in measured)]
            print(f"{'method':<12}" + "".join(f"{name[-12:]:>14}" for name in names)
                  + f"{'median ' + key:>10}{'med lag':>9}{'common':>8}")
            for method, per_clip in rows.items():
                done = [n for n in names if key in per_clip.get(n, {})]
                cells = "".join(f"{per_clip[n][key]:>8.2f} ({per_clip[n][lag_key]:+d})" if n in done else f"{'-':>14}"
                                for n in names)
                if done:
                    same = np.median([per_clip[n][key] for n in common]) if common else float("nan")
                    print(f"{method:<12}{cells}{np.median([per_clip[n][key] for n in done]):>10.2f}"
                          f"{np.median([per_clip[n][lag_key] for n in done]):>+9.1f}{same:>8.2f}")
    print("cells: Pearson r at lag 0 (lag in frames where r peaks; + means ours is late); "
          "common: median over the clips every path was measured on")
    if args.out:
        args.out.write_text(json.dumps({"sets": sets_of, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
