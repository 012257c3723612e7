"""Measure the speech and timing stages.

1. Piper's real-time factor on about a minute of speech.
2. Agreement of piper's phone/word times with pocketsphinx forced alignment
   of the same synthesized audio (median absolute boundary difference, ms).
3. Pocketsphinx alignment of a real GRID clip against its hand-checked word
   timings (median word-boundary error, ms).
4. With ``--grid-s1 DIR``: the speech recogniser's word boundaries (Whisper
   alone, and Whisper's words aligned by pocketsphinx: the default path for
   ``--audio`` without transcript) against the ``.align`` word timings of the
   GRID s1 sentences (median error, ms; only words heard as written count),
   and Whisper's words trimmed to the voice activity (as the spread path uses them).

Usage::

    python scripts/check_alignment.py [--grid /work/shared/media/clips/grid_id2_vcd_swwp2s.mpg]
    python scripts/check_alignment.py --skip-piper --grid-s1 /work/shared/media/grid_s1 [--limit 60]
"""

from __future__ import annotations

import argparse
import difflib
import time
from pathlib import Path

import numpy as np

from speaker.settings import load_voice_preset
from speaker.speech import synthesize
from speaker.timing import align, load_audio, recognize

PASSAGE = (
    "The old lighthouse keeper climbed the narrow stairs every evening before sunset. "
    "He carried a small brass lamp, a notebook, and a flask of strong black coffee. "
    "From the top of the tower he could see the fishing boats coming home across the bay, "
    "their sails catching the last of the orange light. "
    "Some nights the wind was so fierce that the whole building seemed to sway beneath his feet. "
    "On calm nights he listened to the waves folding gently over the rocks below. "
    "He wrote down the weather, the ships that passed, and the birds that rested on the railing. "
    "Nobody ever read his notes, but he kept them neatly in a wooden box beside his bed. "
    "When the new electric beacon arrived, the harbour master told him he could finally retire. "
    "He thanked him politely, packed his notebooks, and moved into a cottage by the shore. "
    "Yet every evening, just before sunset, he still looked up at the tower and smiled."
)

DEFAULT_GRID = Path("/work/shared/media/clips/grid_id2_vcd_swwp2s.mpg")
GRID_TRANSCRIPT = "set white with p two soon"
#: .align files count time in units of 1/25000 s.
GRID_TIME_UNIT = 1.0 / 25000.0


def boundary_errors(reference, hypothesis, signed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Start and end differences (s) of items paired by matching symbols in order (absolute unless ``signed``: + = late)."""
    ref_symbols = [item[0] for item in reference]
    hyp_symbols = [item[0] for item in hypothesis]
    matcher = difflib.SequenceMatcher(a=ref_symbols, b=hyp_symbols, autojunk=False)
    starts, ends = [], []
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            ref, hyp = reference[block.a + offset], hypothesis[block.b + offset]
            starts.append(hyp[1] - ref[1])
            ends.append(hyp[2] - ref[2])
    if signed:
        return np.array(starts), np.array(ends)
    return np.abs(np.array(starts)), np.abs(np.array(ends))


def piper_vs_pocketsphinx(text: str) -> None:
    preset = load_voice_preset("default")
    synthesize("Warm up.", preset)  # load the voice outside the timed run
    started = time.perf_counter()
    speech = synthesize(text, preset)
    elapsed = time.perf_counter() - started
    print(f"piper: {speech.duration:.1f} s of speech in {elapsed:.2f} s "
          f"-> real-time factor {elapsed / speech.duration:.3f}")

    started = time.perf_counter()
    aligned = align(speech.samples, speech.sample_rate, text)
    elapsed = time.perf_counter() - started
    print(f"pocketsphinx align: {elapsed:.2f} s (RTF {elapsed / speech.duration:.3f}), source={aligned.source}")

    def speech_phones(s):
        return [(p.symbol, p.start, p.end) for p in s.phones if p.symbol != "SIL"]

    starts, ends = boundary_errors(speech_phones(speech), speech_phones(aligned))
    both = np.concatenate([starts, ends]) * 1000
    print(f"phones matched: {len(starts)} of {len(speech_phones(speech))} piper phones; "
          f"boundary |diff| median {np.median(both):.0f} ms, mean {np.mean(both):.0f} ms, "
          f"90th pct {np.percentile(both, 90):.0f} ms")
    word_ref = [(w.text.lower(), w.start, w.end) for w in speech.words]
    word_hyp = [(w.text.lower(), w.start, w.end) for w in aligned.words]
    starts, ends = boundary_errors(word_ref, word_hyp)
    both = np.concatenate([starts, ends]) * 1000
    print(f"words matched: {len(starts)} of {len(word_ref)}; boundary |diff| median "
          f"{np.median(both):.0f} ms, mean {np.mean(both):.0f} ms, 90th pct {np.percentile(both, 90):.0f} ms")

    started = time.perf_counter()
    heard = recognize(speech.samples, speech.sample_rate)
    elapsed = time.perf_counter() - started
    ref = [p.symbol for p in speech.phones if p.symbol != "SIL"]
    hyp = [p.symbol for p in heard.phones if p.symbol != "SIL"]
    matched = sum(b.size for b in difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False).get_matching_blocks())
    print(f"pocketsphinx phone recognition: {elapsed:.2f} s, {len(hyp)} phones for {len(ref)} piper phones, "
          f"{matched / len(ref):.0%} of piper's phones matched in order")


def grid_clip(path: Path) -> None:
    samples, sample_rate = load_audio(path)
    reference = []
    for line in path.with_suffix(".align").read_text().split("\n"):
        parts = line.split()
        if len(parts) == 3 and parts[2] not in ("sil", "sp"):
            reference.append((parts[2], int(parts[0]) * GRID_TIME_UNIT, int(parts[1]) * GRID_TIME_UNIT))
    aligned = align(samples, sample_rate, GRID_TRANSCRIPT)
    hypothesis = [(w.text, w.start, w.end) for w in aligned.words]
    print(f"GRID {path.name}: source={aligned.source}")
    for ref, hyp in zip(reference, hypothesis):
        print(f"  {ref[0]:>6}: reference {ref[1]:.3f}-{ref[2]:.3f}  pocketsphinx {hyp[1]:.3f}-{hyp[2]:.3f}")
    starts, ends = boundary_errors(reference, hypothesis)
    both = np.concatenate([starts, ends]) * 1000
    print(f"  word-boundary |error| median {np.median(both):.0f} ms, max {np.max(both):.0f} ms "
          f"({len(starts)} words)")


def align_file_words(path: Path) -> list[tuple[str, float, float]]:
    """``(word, start, end)`` of a GRID ``.align`` file, silences left out."""
    words = []
    for line in path.read_text().split("\n"):
        parts = line.split()
        if len(parts) == 3 and parts[2] not in ("sil", "sp"):
            words.append((parts[2], int(parts[0]) * GRID_TIME_UNIT, int(parts[1]) * GRID_TIME_UNIT))
    return words


def plain_word(text: str) -> str:
    """Lower case without punctuation; a lone digit spelled out as GRID writes it."""
    from speaker.timing.pocketsphinx.text import spoken_number

    word = "".join(ch for ch in text.lower() if ch.isalnum())
    return spoken_number(word) if word.isdigit() else word


def recogniser_word_timing(folder: Path, limit: int | None) -> None:
    from speaker.timing import recognize_words, timeline_for_audio
    from speaker.timing.spans import trim_to_voice
    from speaker.timing.wordless import voice_activity

    clips = sorted(folder.glob("*.mpg"))[:limit] if limit else sorted(folder.glob("*.mpg"))
    # "whisper trimmed to voice": the recogniser's words as the spread path
    # (other languages, failed stretches) lays phones in them.
    errors: dict[str, list[float]] = {"whisper": [], "whisper trimmed to voice": [], "whisper+pocketsphinx-align": []}
    matched = {name: 0 for name in errors}
    start_offsets: dict[str, list[float]] = {name: [] for name in errors}
    total = 0
    started = time.perf_counter()
    audio_seconds = 0.0
    for clip in clips:
        if not clip.with_suffix(".align").is_file():
            continue
        reference = align_file_words(clip.with_suffix(".align"))
        total += len(reference)
        samples, rate = load_audio(clip)
        audio_seconds += len(samples) / rate
        heard = recognize_words(samples, rate, language="en").words
        trimmed = trim_to_voice(heard, voice_activity(samples, rate))
        timed = timeline_for_audio(samples, rate, None, language="en").words
        for name, words in (("whisper", heard), ("whisper trimmed to voice", trimmed),
                            ("whisper+pocketsphinx-align", timed)):
            hypothesis = [(plain_word(w.text), w.start, w.end) for w in words]
            starts, ends = boundary_errors(reference, hypothesis)
            errors[name] += list(starts) + list(ends)
            matched[name] += len(starts)
            start_offsets[name] += list(boundary_errors(reference, hypothesis, signed=True)[0])
    elapsed = time.perf_counter() - started
    print(f"recogniser word timing on {len(clips)} GRID s1 sentences ({audio_seconds:.0f} s, {total} words, "
          f"{elapsed:.0f} s for both passes):")
    for name, values in errors.items():
        values_ms = np.array(values) * 1000
        print(f"  {name:<28} words heard as written {matched[name]} of {total}; boundary |error| median "
              f"{np.median(values_ms):.0f} ms, mean {np.mean(values_ms):.0f} ms, "
              f"90th pct {np.percentile(values_ms, 90):.0f} ms; starts alone |error| median "
              f"{1000 * np.median(np.abs(start_offsets[name])):.0f} ms, signed median "
              f"{1000 * np.median(start_offsets[name]):+.0f} ms (+ = late)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", type=Path, default=DEFAULT_GRID)
    parser.add_argument("--skip-piper", action="store_true")
    parser.add_argument("--grid-s1", type=Path, help="folder of GRID .mpg/.align pairs: check the recogniser")
    parser.add_argument("--limit", type=int, help="at most this many --grid-s1 sentences")
    args = parser.parse_args()
    if not args.skip_piper:
        piper_vs_pocketsphinx(PASSAGE)
    if args.grid.exists():
        grid_clip(args.grid)
    if args.grid_s1 is not None:
        recogniser_word_timing(args.grid_s1, args.limit)


if __name__ == "__main__":
    main()
