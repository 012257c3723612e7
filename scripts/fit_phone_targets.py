"""Fit the mouth model's per-phone jaw targets to real mouths (GRID speaker 1, not the evaluation's clips).

``speaker.motion.articulation.PHONE_TARGETS`` was set by hand. This script
measures, on the 60 GRID sentences of ``grid_s1`` (``*.mpg`` with sound and
``*.align`` word timings; none of them is in ``clips/`` or ``clips_dev``, the
evaluation's sets), per frame

- the real inner-lip opening over the jaw width, by dlib, as
  ``scripts/eval_lipsync.py`` measures it, and
- the phones of our own transcript path: the ``.align`` words as the
  transcript through ``speaker.timing.transcript_timeline`` (pocketsphinx
  alignment, exactly as ``speaker --transcript`` times them).

For fixed dominance weights the blended jaw is linear in the per-phone jaw
targets, and so are the rest between pauses and the loudness gain applied
after it; the design column of a target is the jaw track the model makes
when that target is 1 and every other jaw target 0 (the model itself run
with that table: nothing of it is re-implemented here). The opening of the
track's landmarks is then about the jaw times (1 - lip closure) plus the
upper lip's raise. The targets are fitted by bounded, ridge-regularised least
squares (towards the hand table) to each training clip's standardised real
opening (Pearson r is scale-free: each clip gets its own offset, and the
fitted table is rescaled so its mean over the vowels is the hand table's).
Frames of the breath before speech (a maximum, not a blend) are left out of
the fit. Targets whose phones the training sentences barely cover keep their
hand values.

The fit is checked on held-out sentences (every fourth, 15 of 60) on the
TRACKS: the opening of ``speaker.motion.animate``'s landmarks against the
real mouth, Pearson r at lag 0, hand table against fitted table.

Usage::

    python scripts/fit_phone_targets.py [--media /work/shared/media] [--cache /tmp/fit_phone_targets]
                                        [--ridge 1] [--variant NAME=VALUE,...] [--write FILE.json]

The ridge pulls towards the table in ``articulation.py`` as it is; the
table there came from this script run on the hand table (commit e68c9be)
with ``--ridge 1``, and a run on the fitted table refits around itself.

The first run measures every clip with dlib and aligns it (13 minutes with
the machine's 2 cores shared; cached in ``--cache``), later runs fit and
check each ridge and variant in about a minute.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_lipsync  # noqa: E402  (the same meter, portrait frames and figures as the evaluation)
from lipsync_tracks import constants_set, parse_variant, track_opening  # noqa: E402

#: Every HOLDOUT_EVERY-th sentence (sorted by name) is held out of the fit.
HOLDOUT_EVERY = 4
#: A target whose design column sums to less than this many frames (of full
#: dominance) over the training clips keeps its hand value.
MIN_COVERAGE = 15.0
#: Consonants of one place of articulation share one jaw target (voicing and
#: nasality barely move the jaw), so the rarer of a pair is fitted with the other.
TIED = (("P", "B", "M"), ("F", "V"), ("TH", "DH"), ("T", "D"), ("S", "Z"), ("SH", "ZH", "CH", "JH"),
        ("K", "G", "NG"))


def groups(keys: list[tuple[str, int]]) -> np.ndarray:
    """Group index (J,) of every key: the tied consonants share one, every other key has its own."""
    group_of: dict[tuple[str, int], int] = {}
    for key in keys:
        tie = next((tie for tie in TIED if key[0] in tie), None)
        first = (tie[0], 0) if tie else key
        group_of[key] = group_of.setdefault(first, len(set(group_of.values())))
    return np.array([group_of[key] for key in keys])


def jaw_keys() -> list[tuple[str, int]]:
    """(phone, half) of every jaw target of the table but silence's (a diphthong has two halves)."""
    from speaker.motion.articulation import PHONE_TARGETS

    return [(phone, half) for phone, targets in PHONE_TARGETS.items() if phone != "SIL"
            for half in range(len(targets))]


def hand_jaw() -> dict[tuple[str, int], float]:
    from speaker.motion.articulation import PHONE_TARGETS

    return {(phone, half): PHONE_TARGETS[phone][half][0] for phone, half in jaw_keys()}


@contextmanager
def jaw_table(jaw: dict[tuple[str, int], float]):
    """Context: ``PHONE_TARGETS`` with these jaw targets (the other columns unchanged), restored after."""
    from speaker.motion import articulation

    saved = dict(articulation.PHONE_TARGETS)
    table = dict(saved)
    for (phone, half), value in jaw.items():
        targets = [list(target) for target in table[phone]]
        targets[half][0] = float(value)
        table[phone] = tuple(tuple(target) for target in targets)
    articulation.PHONE_TARGETS.clear()
    articulation.PHONE_TARGETS.update(table)
    try:
        yield
    finally:
        articulation.PHONE_TARGETS.clear()
        articulation.PHONE_TARGETS.update(saved)


def collect(clip: Path, cache: Path, meter) -> dict:
    """Real opening (T,), speech of the transcript path, portrait and fps of one sentence (cached)."""
    path = cache / f"{clip.stem}.pkl"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    from speaker import face, timing

    real = meter.video(clip)
    image, audio = eval_lipsync.extract(clip, cache, real)
    samples, rate = timing.load_audio(audio)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        speech = timing.transcript_timeline(samples, rate, eval_lipsync.grid_transcript(clip.with_suffix(".align")))
    entry = {"real": real, "speech": speech, "fps": eval_lipsync.clip_fps(clip),
             "portrait": face.find_portrait(*face.load_image(image))}
    path.write_bytes(pickle.dumps(entry))
    return entry


def path_speech(entry: dict, path: str, cached: Path):
    """The sentence's speech on one timing path: the transcript's (as collected) or the recognised words' (cached)."""
    if path == "transcript":
        return entry["speech"]
    file = cached.with_suffix(".recognised.pkl")
    if file.is_file():
        return pickle.loads(file.read_bytes())
    from speaker import timing

    samples, rate = timing.load_audio(cached.with_suffix(".wav"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        speech = timing.timeline_for_audio(samples, rate, None)
    file.write_bytes(pickle.dumps(speech))
    return speech


def design(entry: dict, keys: list[tuple[str, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The linear model of one clip's track opening in the jaw targets.

    Returns
    -------
    columns : np.ndarray, shape (T, J)
        The jaw track (before the breath) with target ``keys[j]`` = 1 and the
        others 0, times (1 - lip closure) of the hand table's track.
    raise_term : np.ndarray, shape (T,)
        The upper lip's raise of the hand table's track, times (1 - closure).
    fitted : np.ndarray, shape (T,), bool
        Frames outside the breath before speech.
    hand_opening : np.ndarray, shape (T,)
        The opening of the hand table's track (landmarks), for reference.
    """
    from speaker import motion
    from speaker.motion.articulation import CLOSURE, JAW, RAISE, articulation_from_speech

    speech, fps = entry["speech"], entry["fps"]
    hand = articulation_from_speech(speech, fps).astype(np.float64)
    with constants_set({"BREATH_JAW": 0.0}):
        no_breath = articulation_from_speech(speech, fps).astype(np.float64)
        open_lips = 1.0 - hand[:, CLOSURE]
        zero = {key: 0.0 for key in keys}
        columns = []
        for key in keys:
            with jaw_table({**zero, key: 1.0}):
                columns.append(articulation_from_speech(speech, fps)[:, JAW] * open_lips)
    fitted = np.abs(hand[:, JAW] - no_breath[:, JAW]) < 1e-6
    opening = track_opening(motion.animate(speech, entry["portrait"], fps=fps))
    return np.stack(columns, axis=1), hand[:, RAISE] * open_lips, fitted, opening


def fit(rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], hand: np.ndarray,
        ridge: float, group: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jaw targets (J,) by bounded ridge least squares, and which were fitted (J,) bool.

    ``rows``: per clip (columns (T, J), raise (T,), fitted frames (T,), real (T,)).
    Per clip the real opening is standardised and the columns centred (each
    clip its own offset). The unknowns are the targets times a common scale
    (the hand table's least-squares gain on these data) and the raise's
    coefficient; the ridge pulls the targets towards the hand table with
    ``ridge`` times the data's own weight per target. Keys of one ``group``
    share one target (their columns summed; the prior is their hand mean).
    """
    from scipy.optimize import lsq_linear

    blocks, targets, coverage = [], [], np.zeros(group.max() + 1)
    key_hand, hand = hand, np.array([hand[group == g].mean() for g in range(group.max() + 1)])
    for columns, raise_term, fitted, real in rows:
        count = min(len(real), len(columns))
        mask = fitted[:count]
        tied = np.stack([columns[:count][:, group == g].sum(axis=1) for g in range(group.max() + 1)], axis=1)
        x = np.column_stack([tied, raise_term[:count]])[mask]
        y = real[:count][mask]
        coverage += x[:, :-1].sum(axis=0)
        blocks.append(x - x.mean(axis=0))
        targets.append((y - y.mean()) / (y.std() + 1e-9))
    x, y = np.concatenate(blocks), np.concatenate(targets)
    free = coverage >= MIN_COVERAGE
    jaw_part, raise_part = x[:, :-1], x[:, -1:]
    hand_signal = jaw_part @ hand
    scale = float(np.dot(hand_signal, y) / np.dot(hand_signal, hand_signal))
    # Targets kept at their hand values move to the known side.
    known = jaw_part[:, ~free] @ (scale * hand[~free])
    design_free = np.column_stack([jaw_part[:, free], raise_part])
    # Ridge rows: each free target pulled towards its scaled hand value with
    # a weight of ``ridge`` times the mean squared size of the data's columns.
    column_power = np.mean(np.sum(jaw_part[:, free] ** 2, axis=0))
    weight = np.sqrt(ridge * column_power)
    penalty = np.hstack([np.eye(free.sum()) * weight, np.zeros((free.sum(), 1))])
    a = np.vstack([design_free, penalty])
    b = np.concatenate([y - known, weight * scale * hand[free]])
    lower = np.concatenate([np.zeros(free.sum()), [-np.inf]])
    upper = np.concatenate([np.full(free.sum(), scale), [np.inf]])
    solution = lsq_linear(a, b, bounds=(lower, upper)).x
    result = hand.copy()
    result[free] = solution[:-1] / scale
    fitted_keys = np.where(free[group], result[group], key_hand)
    return fitted_keys, free[group], coverage[group]


def rescaled(fitted: np.ndarray, hand: np.ndarray, keys: list[tuple[str, int]], free: np.ndarray) -> np.ndarray:
    """The fitted targets scaled so their mean over the fitted vowels is the hand table's, in [0, 1]."""
    from speaker.motion.articulation import VOWELS

    vowels = np.array([phone in VOWELS for phone, _ in keys]) & free
    result = fitted.copy()
    result[free] = np.clip(fitted[free] * hand[vowels].mean() / max(fitted[vowels].mean(), 1e-9), 0.0, 1.0)
    return result


def track_r(entries: list[dict], jaw: dict[tuple[str, int], float] | None) -> list[float]:
    """Pearson r at lag 0 of the track's opening (landmarks) against the real mouth, per clip."""
    from speaker import motion

    result = []
    for entry in entries:
        with jaw_table(jaw or {}):
            opening = track_opening(motion.animate(entry["speech"], entry["portrait"], fps=entry["fps"]))
        result.append(eval_lipsync.correlation(opening, entry["real"]))
    return result


def fit_variant(label: str, entries: dict, training: list[str], held_out: list[str], keys: list[tuple[str, int]],
                hand: np.ndarray, base_held: list[float], ridges: list[float]) -> list[tuple]:
    """Fit and report the jaw table for each ridge with the articulation constants as they are set now.

    Returns, per ridge, (table (J,), fitted (J,) bool, held-out r per clip).
    """
    rows = [(*design(entries[stem], keys)[:3], entries[stem]["real"]) for stem in training]
    same_train = track_r([entries[s] for s in training], None)
    same_held = track_r([entries[s] for s in held_out], None)
    print(f"\n{label}, the table as it is: track r median {np.median(same_train):.3f} training, "
          f"{np.median(same_held):.3f} held out")
    results = []
    for ridge in ridges:
        fitted, free, coverage = fit(rows, hand, ridge, groups(keys))
        table = rescaled(fitted, hand, keys, free)
        jaw = dict(zip(keys, table))
        train_r, held_r = track_r([entries[s] for s in training], jaw), track_r([entries[s] for s in held_out], jaw)
        wins = int(np.sum(np.array(held_r) > np.array(base_held)))
        print(f"{label}, fitted with ridge {ridge}: track r median {np.median(train_r):.3f} "
              f"(mean {np.mean(train_r):.3f}) training, {np.median(held_r):.3f} (mean {np.mean(held_r):.3f}) "
              f"held out; better than the base table on {wins} of {len(held_r)}")
        for key, before, after, cover, is_free in zip(keys, hand, table, coverage, free):
            name = f"{key[0]}{key[1] + 1 if (key[0], 1) in hand_jaw() else ''}"
            print(f"    {name:<5} before {before:.2f}  fitted {after:.2f}  coverage {cover:7.1f} frames"
                  f"{'' if is_free else '  (kept: too few frames)'}")
        results.append((table, free, held_r))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, help="the shared media folder (default ../shared/media)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fit_phone_targets"))
    parser.add_argument("--ridge", type=float, nargs="+", default=[1.0],
                        help="ridge weight(s) towards the hand table (each is fitted and reported)")
    parser.add_argument("--limit", type=int, help="at most this many sentences (a quick look)")
    parser.add_argument("--variant", action="append", default=[],
                        help="also fit with these constants of speaker.motion.articulation (NAME=VALUE,...)")
    parser.add_argument("--paths", nargs="+", default=["transcript"], choices=["transcript", "recognised"],
                        help="the timing paths whose phones are fitted (each sentence once per path)")
    parser.add_argument("--write", type=Path, help="write the fitted jaw targets (first --ridge) as JSON")
    args = parser.parse_args(argv)

    clips = [clip for _, clip, _ in eval_lipsync.clip_list(eval_lipsync.media_folder(args.media), ["grid_s1"],
                                                           args.limit)]
    args.cache.mkdir(parents=True, exist_ok=True)
    meter = eval_lipsync.MouthMeter()
    entries = {}
    for clip in clips:
        try:
            entries[clip.stem] = collect(clip, args.cache, meter)
        except eval_lipsync.FaceLost as error:
            print(f"{clip.stem}: {error}", file=sys.stderr)
            continue
        if entries[clip.stem]["speech"] is None:
            print(f"{clip.stem}: the transcript was not aligned; left out", file=sys.stderr)
            del entries[clip.stem]
    stems = sorted(entries)
    held_out = stems[::HOLDOUT_EVERY]
    training = [stem for stem in stems if stem not in held_out]
    if args.paths != ["transcript"]:
        # Each sentence once per timing path: "recognised" is Whisper's words aligned (no transcript).
        by_path = {f"{stem}/{path}": dict(entries[stem], speech=path_speech(entries[stem], path, args.cache / stem))
                   for stem in stems for path in args.paths}
        held_out = [f"{stem}/{path}" for stem in held_out for path in args.paths]
        training = [f"{stem}/{path}" for stem in training for path in args.paths]
        entries = by_path
    print(f"{len(training)} training, {len(held_out)} held-out sentences of grid_s1")

    keys = jaw_keys()
    hand = np.array([hand_jaw()[key] for key in keys])
    base_train = track_r([entries[s] for s in training], None)
    base_held = track_r([entries[s] for s in held_out], None)
    print(f"the table as it is: track r median {np.median(base_train):.3f} (mean {np.mean(base_train):.3f}) "
          f"training, {np.median(base_held):.3f} (mean {np.mean(base_held):.3f}) held out")
    kept = None
    for variant in ["", *args.variant]:
        with constants_set(parse_variant(variant)[0]):
            results = fit_variant(variant or "base", entries, training, held_out, keys, hand, base_held, args.ridge)
        kept = kept or results[0]
    if args.write:
        table, free, held_r = kept
        payload = {
            "source": f"scripts/fit_phone_targets.py on grid_s1 (GRID speaker 1, {len(stems)} sentences; "
                      f"{len(training)} fitted, {len(held_out)} held out), ridge {args.ridge[0]}",
            "unit": "jaw_open target, the hand table's scale (same mean over the fitted vowels)",
            "held_out_track_r_median": {"before": round(float(np.median(base_held)), 3),
                                        "fitted": round(float(np.median(held_r)), 3)},
            "jaw_open": {f"{phone}/{half}": round(float(value), 3)
                         for (phone, half), value, is_free in zip(keys, table, free) if is_free},
        }
        args.write.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
