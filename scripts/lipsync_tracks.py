"""Lip sync of the motion track alone, in seconds: for trying mouth models against real speakers.

``scripts/eval_lipsync.py`` renders every clip and measures the render with
dlib (about 20 minutes for clips + clips_dev). The mouth opening of the
track's own landmarks (inner-lip gap over jaw width, as the meter measures
it) follows the measured render closely (Pearson r 0.91-0.98 per clip), so
a change of the mouth model can be compared first on the tracks and then
confirmed with the renders. This script reuses what one eval run kept
(``--keep`` folder: each clip's portrait frame and WAV; ``--series``: the
real openings and speech frames), times each clip once (cached), and for
each variant animates the track and reports r at lag 0 per clip and the
medians beside the loudness floor.

Variants: ``--set NAME=VALUE`` sets a constant of
``speaker.motion.articulation`` (e.g. ``ANTICIPATION_TAU=0.1``), ``--lead-ms``
moves the whole track earlier. Each ``--variant`` is one variant (a
comma-separated list of NAME=VALUE and lead=MS); the base model is always
measured first. ``--against-audio`` says, per clip, at which lag the base
track and the real mouth each agree best with the audio's loudness: whether
a late best lag against the real mouth is our timing or the clip's own.

Usage::

    python scripts/eval_lipsync.py --sets clips clips_dev --methods transcript recognised \\
        --keep /tmp/lip --series /tmp/lip/series.npz --out /tmp/lip/figures.json
    python scripts/lipsync_tracks.py --keep /tmp/lip --series /tmp/lip/series.npz \\
        --variant ANTICIPATION_TAU=0.1 --variant lead=20 [--plot curves.png --only mead_M026]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_lipsync  # noqa: E402  (the same clips, transcripts, figures and medians)

#: Inner-lip landmark pairs and jaw corners of the 68-point layout (as the meter measures them).
LIP_PAIRS = ((61, 67), (62, 66), (63, 65))
JAW_LEFT, JAW_RIGHT = 0, 16


def track_opening(track) -> np.ndarray:
    """Inner-lip gap over jaw width per frame, shape (T,), from the track's landmarks."""
    points = np.asarray(track.landmarks, np.float64)
    gap = np.mean([np.linalg.norm(points[:, upper] - points[:, lower], axis=1) for upper, lower in LIP_PAIRS], axis=0)
    return gap / np.linalg.norm(points[:, JAW_RIGHT] - points[:, JAW_LEFT], axis=1)


class Clips:
    """The clips one eval run kept, with their timing and portrait computed once (cached in ``keep``)."""

    def __init__(self, keep: Path, series: Path, media: Path) -> None:
        self.keep, self.media = keep, media
        self.series = dict(np.load(series))
        self.stems = sorted({key.split("/")[0] for key in self.series if key.endswith("/real")})

    def fps(self, stem: str) -> float:
        clip = next(path for path in self.media.glob(f"*/{stem}.*") if path.suffix in (".mp4", ".mpg"))
        return eval_lipsync.clip_fps(clip)

    def set_of(self, stem: str) -> str:
        return "clips" if stem in eval_lipsync.TRANSCRIPTS else "clips_dev"

    def _cached(self, name: str, make):
        path = self.keep / f"{name}.tracks.pkl"
        if path.is_file():
            return pickle.loads(path.read_bytes())
        value = make()
        path.write_bytes(pickle.dumps(value))
        return value

    def speech(self, stem: str, method: str):
        from speaker import timing

        def make():
            samples, rate = timing.load_audio(self.keep / f"{stem}.wav")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if method == "transcript":
                    return timing.transcript_timeline(samples, rate, eval_lipsync.TRANSCRIPTS[stem])
                return timing.timeline_for_audio(samples, rate, None)

        return self._cached(f"{stem}_{method}", make)

    def portrait(self, stem: str):
        from speaker import face

        return self._cached(f"{stem}_portrait", lambda: face.find_portrait(*face.load_image(self.keep / f"{stem}.png")))


def parse_variant(text: str) -> tuple[dict[str, float], float]:
    """``"A=1,lead=20"`` -> ({"A": 1.0}, 0.02)."""
    constants, lead = {}, 0.0
    for part in filter(None, text.split(",")):
        name, value = part.split("=")
        if name == "lead":
            lead = float(value) / 1000.0
        else:
            constants[name] = float(value)
    return constants, lead


class constants_set:
    """Context: constants of ``speaker.motion.articulation`` set to other values, restored after."""

    def __init__(self, constants: dict[str, float]) -> None:
        self.constants, self.saved = constants, {}

    def __enter__(self):
        from speaker.motion import articulation

        self.saved = {name: getattr(articulation, name) for name in self.constants}
        for name, value in self.constants.items():
            setattr(articulation, name, type(self.saved[name])(value))

    def __exit__(self, *exc) -> None:
        from speaker.motion import articulation

        for name, value in self.saved.items():
            setattr(articulation, name, value)


def openings(clips: Clips, stems: list[str], methods: list[str], constants: dict[str, float],
             lead: float) -> dict[str, dict[str, np.ndarray]]:
    """``result[method][stem]``: the track's lip opening per frame, shape (T,), moved ``lead`` s earlier."""
    from speaker import motion

    result: dict[str, dict[str, np.ndarray]] = {method: {} for method in methods}
    with constants_set(constants):
        for stem in stems:
            fps = clips.fps(stem)
            for method in methods:
                if method == "transcript" and stem not in eval_lipsync.TRANSCRIPTS:
                    continue
                opening = track_opening(motion.animate(clips.speech(stem, method), clips.portrait(stem), fps=fps))
                if lead:
                    frames = np.arange(len(opening))
                    opening = np.interp(frames + lead * fps, frames, opening)
                result[method][stem] = opening
    return result


def measure(clips: Clips, methods: list[str], constants: dict[str, float], lead: float) -> dict[str, dict]:
    """``rows[method][stem]`` = figures of the track's opening (and of the loudness) against the real mouth."""
    rows: dict[str, dict] = {}
    for method, per_clip in openings(clips, clips.stems, methods, constants, lead).items():
        rows[method] = {stem: eval_lipsync.figures(opening, clips.series[f"{stem}/real"], clips.series[f"{stem}/speaking"])
                        for stem, opening in per_clip.items()}
    rows["loudness"] = {stem: eval_lipsync.figures(clips.series[f"{stem}/loudness"], clips.series[f"{stem}/real"],
                                                   clips.series[f"{stem}/speaking"]) for stem in clips.stems}
    return rows


#: Lags searched (frames) when the track is compared with the audio's loudness.
AUDIO_MAX_LAG = 10


def lag_curve(ours: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    """The lag (frames, + = ``ours`` late) within :data:`AUDIO_MAX_LAG` where r peaks, and that r."""
    lags = range(-AUDIO_MAX_LAG, AUDIO_MAX_LAG + 1)
    values = [eval_lipsync.correlation(ours, reference, lag) for lag in lags]
    best = int(np.argmax(values))
    return list(lags)[best], float(values[best])


#: Word onsets are compared with the steepest rise of the sound within this many seconds.
ONSET_SEARCH = 0.15
#: Energy frames (s) for the onset comparison.
ONSET_HOP = 0.01


def onset_offsets(speech) -> np.ndarray:
    """Each word's start minus the steepest rise of the sound's level within :data:`ONSET_SEARCH` s (s, + = word late).

    The level is the RMS in dB per :data:`ONSET_HOP`, smoothed over three frames.
    """
    hop = int(ONSET_HOP * speech.sample_rate)
    count = len(speech.samples) // hop
    frames = speech.samples[: count * hop].reshape(count, hop).astype(np.float64)
    level = np.convolve(20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-5), np.ones(3) / 3, "same")
    rise = np.diff(level, prepend=level[0])
    reach = int(ONSET_SEARCH / ONSET_HOP)
    offsets = []
    for word in speech.words:
        index = int(word.start / ONSET_HOP)
        low, high = max(0, index - reach), min(count, index + reach + 1)
        if high - low > 4:
            offsets.append((index - (low + int(np.argmax(rise[low:high])))) * ONSET_HOP)
    return np.array(offsets)


def print_against_audio(clips: Clips, per_method: dict[str, dict[str, np.ndarray]]) -> None:
    """Per clip: where the track and the real mouth each peak against the audio's loudness (no video needed for ours).

    If our timing were late against the audio, our track would peak at a
    positive lag against the loudness; if the real mouth leads its own audio
    (anticipation, or the clip's audio-video offset), the real mouth peaks at
    a negative lag, and the loudness is "late" by as much as we are.
    """
    print(f"\nagainst the audio (lag in frames where r peaks within +-{AUDIO_MAX_LAG}; + = late against the loudness)")
    for method, per_clip in per_method.items():
        track_lags, real_lags, onset_medians = [], [], []
        for stem in clips.stems:
            if stem not in per_clip:
                continue
            loudness, real = clips.series[f"{stem}/loudness"], clips.series[f"{stem}/real"]
            ours = per_clip[stem][: len(loudness)]
            (track_lag, track_r), (real_lag, real_r) = lag_curve(ours, loudness), lag_curve(real, loudness)
            mouth_lag, _ = lag_curve(ours, real)
            track_lags.append(track_lag)
            real_lags.append(real_lag)
            offsets = onset_offsets(clips.speech(stem, method))
            onset = f"{1000 * np.median(offsets):+4.0f} ms" if len(offsets) else "   -   "
            onset_medians += [1000 * np.median(offsets)] if len(offsets) else []
            print(f"  {method:<11}{stem:<34}track~loudness {track_lag:+3d} (r {track_r:+.2f})  "
                  f"real~loudness {real_lag:+3d} (r {real_r:+.2f})  track~real {mouth_lag:+3d}  "
                  f"word onset - steepest rise {onset}")
        print(f"  {method:<11}median lag: track~loudness {np.median(track_lags):+.1f}, "
              f"real~loudness {np.median(real_lags):+.1f} frames; word onsets {np.median(onset_medians):+.0f} ms "
              "from the sound's steepest rise (median of the clips' medians)")


def print_summary(label: str, clips: Clips, rows: dict[str, dict]) -> None:
    print(f"\n{label}")
    for set_name in ("clips", "clips_dev"):
        for method, per_clip in rows.items():
            values = [figures["r"] for stem, figures in per_clip.items() if clips.set_of(stem) == set_name]
            if values:
                cells = " ".join(f"{per_clip[stem]['r']:+.2f}" for stem in clips.stems
                                 if stem in per_clip and clips.set_of(stem) == set_name)
                print(f"  {set_name:<10}{method:<12}median r {np.median(values):+.3f}  mean {np.mean(values):+.3f}"
                      f"  (n {len(values)}): {cells}")


def plot(path: Path, clips: Clips, stems: list[str], curves: dict[str, dict[str, np.ndarray]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(stems), 1, figsize=(14, 3.0 * len(stems)), squeeze=False)
    for axis, stem in zip(axes[:, 0], stems):
        real = clips.series[f"{stem}/real"]
        seconds = np.arange(len(real)) / clips.fps(stem)
        standard = lambda values: (values - values.mean()) / (values.std() + 1e-9)  # noqa: E731
        axis.plot(seconds, standard(real), "k", lw=2, label="real")
        axis.plot(seconds, standard(clips.series[f"{stem}/loudness"]), "g", alpha=0.6, label="loudness")
        for label, per_clip in curves.items():
            if stem in per_clip:
                axis.plot(seconds, standard(per_clip[stem][: len(real)]), label=label)
        axis.set_title(stem)
        axis.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=70)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, required=True, help="the --keep folder of an eval_lipsync run")
    parser.add_argument("--series", type=Path, required=True, help="the --series file of the same run")
    parser.add_argument("--media", type=Path, help="the shared media folder (default ../shared/media)")
    parser.add_argument("--methods", nargs="+", default=["transcript", "recognised"])
    parser.add_argument("--variant", action="append", default=[], help="NAME=VALUE[,lead=MS...]")
    parser.add_argument("--plot", type=Path, help="also plot the openings of the --only clips (PNG)")
    parser.add_argument("--only", nargs="+", default=[], help="clips to plot (parts of their names)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    parser.add_argument("--against-audio", action="store_true",
                        help="also say per clip where the base track and the real mouth peak against the loudness")
    args = parser.parse_args(argv)

    clips = Clips(args.keep, args.series, eval_lipsync.media_folder(args.media))
    results = {}
    for text in ["", *args.variant]:
        constants, lead = parse_variant(text)
        results[text or "base"] = rows = measure(clips, args.methods, constants, lead)
        print_summary(text or "base model", clips, rows)
    print("\ncells: Pearson r at lag 0 of the track's lip opening (not rendered) against the real mouth")
    if args.against_audio:
        print_against_audio(clips, openings(clips, clips.stems, args.methods, {}, 0.0))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    if args.plot:
        stems = [stem for stem in clips.stems if any(part in stem for part in args.only)] or clips.stems[:4]
        curves = {}
        for text in ["", *args.variant]:
            constants, lead = parse_variant(text)
            for method, per_clip in openings(clips, stems, args.methods, constants, lead).items():
                curves[f"{method} {text or 'base'}"] = per_clip
        plot(args.plot, clips, stems, curves)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
