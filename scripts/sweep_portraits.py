"""dlib's blink and mouth measures on the portraits, with the renderer's constants changed.

A faster loop than ``scripts/eval_render.py`` for trying a rule's constants:
no speech, no video. For each variant (the code as it is first, then one per
value given) and each portrait dlib fits, it prints

blink
    ``blink_direct`` of ``eval_render``: dlib's eye aspect ratio on a frame
    rendered with the lids shut over the same frame open, and that ratio
    averaged over small head poses (``jittered_peak_over_open``).
mouth (with ``--mouth``)
    dlib's inner-lip opening on frames rendered with ``jaw_open`` 0 to 1 in
    11 steps (lips closed at rest), against the commanded opening: Pearson r
    and gain (slope; 1 means dlib sees all of it). Speech stays mostly below
    ``jaw_open`` 0.5, where a dead zone shows first.

and, per variant, how many portraits have a ratio below half and the mean.
dlib's fit of a shut eye is chaotic (docs/portrait_trials.md): a change of one
portrait in the count is within noise; the mean over poses is steadier.

Usage::

    python scripts/sweep_portraits.py [--media DIR] [--only NAME ...] [--mouth] [--strips DIR]
        [--variant eyes.LASH_HALF_HEIGHT=0.04/0.065 mouth.TEETH_BRIGHTNESS=0.7 ...]

A variant names a module of :mod:`speaker.render` and one of its constants;
values are Python literals separated by ``/``. Real media are used here
only, never in tests.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import math
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_render  # noqa: E402  (the same portraits, dlib probe and measures)

#: jaw_open values of the mouth sweep.
JAW_STEPS = np.linspace(0.0, 1.0, 11)


def parse_variants(specs: list[str]) -> dict[str, dict[tuple[str, str], object]]:
    """``{"base": {}, "eyes.X=1": {("eyes", "X"): 1}, ...}`` from ``MODULE.CONST=v1/v2`` strings."""
    variants: dict[str, dict[tuple[str, str], object]] = {"base": {}}
    for spec in specs:
        name, _, values = spec.partition("=")
        module, _, constant = name.partition(".")
        if not values or not constant:
            raise SystemExit(f"--variant {spec!r}: write MODULE.CONSTANT=VALUE[/VALUE...], e.g. eyes.LASH_DARKNESS=0.8")
        target = importlib.import_module(f"speaker.render.{module}")
        if not hasattr(target, constant):
            raise SystemExit(f"--variant {spec!r}: speaker.render.{module} has no {constant}")
        for value in values.split("/"):
            variants[f"{name}={value}"] = {(module, constant): ast.literal_eval(value)}
    return variants


def apply_variant(variant: dict, originals: dict) -> None:
    """Set the renderer's constants to ``variant``, the others back to ``originals``."""
    for (module, constant), value in {**originals, **variant}.items():
        setattr(importlib.import_module(f"speaker.render.{module}"), constant, value)


def mouth_sweep(portrait, probe) -> dict:
    """dlib's opening over :data:`JAW_STEPS` against the commanded: ``r``, ``gain`` and ``seen``."""
    from speaker.motion.landmarks import mouth_landmarks
    from speaker.render import Renderer
    from speaker.types import ARTICULATION_NAMES, TrackFrame

    renderer = Renderer(portrait)
    neutral = np.asarray(portrait.landmarks, np.float64)
    pose = np.array([0, 0, 0, 0, 0, 1], np.float32)
    seen, commanded = [], []
    for jaw in JAW_STEPS:
        articulation = np.zeros(len(ARTICULATION_NAMES), np.float32)
        articulation[ARTICULATION_NAMES.index("jaw_open")] = jaw
        landmarks = mouth_landmarks(neutral, articulation, own_mouth=0.0)
        shape, _ = probe.find(renderer.render(TrackFrame(landmarks, pose, articulation, 0.0)), portrait.box)
        seen.append(eval_render.mouth_opening(eval_render.landmarks_of(shape)))
        commanded.append(eval_render.mouth_opening(np.asarray(landmarks, np.float64)))
    seen_array, commanded_array = np.asarray(seen), np.asarray(commanded)
    return {"r": eval_render.pearson(seen_array, commanded_array),
            "gain": float(np.polyfit(commanded_array, seen_array, 1)[0]), "seen": seen}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--media", type=Path, help="the shared media folder (holding portraits/)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="portraits whose name contains one of these")
    parser.add_argument("--mouth", action="store_true", help="also sweep jaw_open and measure dlib's mouth opening")
    parser.add_argument("--strips", type=Path, help="write each variant's zoomed eye strips into this folder")
    parser.add_argument("--variant", nargs="+", default=[], metavar="MODULE.CONST=V[/V...]",
                        help="constants of speaker.render modules to try, one variant per value")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.media:
        eval_render.PORTRAITS_DIR = args.media / "portraits"
    variants = parse_variants(args.variant)
    originals = {key: getattr(importlib.import_module(f"speaker.render.{key[0]}"), key[1])
                 for variant in variants.values() for key in variant}
    if args.strips:
        args.strips.mkdir(parents=True, exist_ok=True)

    from speaker import face
    from speaker.errors import SpeakerError

    probe = eval_render.FaceProbe()
    portraits = []
    with tempfile.TemporaryDirectory() as folder:
        for case in eval_render.gather_cases(Path(folder)):
            if args.only and not any(name in case.name for name in args.only):
                continue
            try:
                image, grayscale = face.load_image(case.path)
                portraits.append((case.name, face.find_portrait(image, grayscale)))
            except SpeakerError as error:
                print(f"{case.name}: refused ({error})")

    for label, variant in variants.items():
        apply_variant(variant, originals)
        ratios, jittered, cells = [], [], []
        for name, portrait in portraits:
            strip = args.strips / f"{label}_{name}.png" if args.strips else None
            blink = eval_render.blink_direct(portrait, probe, strip)
            if not math.isfinite(blink["peak_over_open"]):
                continue  # dlib does not find this face (the face mesh fits it)
            ratios.append(blink["peak_over_open"])
            jittered.append(blink["jittered_peak_over_open"])
            cell = f"{name[:12]} {blink['peak_over_open']:.2f}"
            if args.mouth:
                mouth = mouth_sweep(portrait, probe)
                cell += f" (mouth r {mouth['r']:.2f} gain {mouth['gain']:.2f})"
            cells.append(cell)
        ratio_array, jittered_array = np.asarray(ratios), np.asarray(jittered)
        finite = jittered_array[np.isfinite(jittered_array)]
        print(f"{label}: shut/open below half on {int((ratio_array < 0.5).sum())} of {len(ratio_array)}, "
              f"mean {ratio_array.mean():.3f}; over small poses below half on {int((finite < 0.5).sum())}, "
              f"mean {finite.mean():.3f}", flush=True)
        print("    " + "; ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
