"""A listening-free check of every voice preset: are the words right?

Each preset speaks a few sentences of its language; the timing stage's
recogniser (Whisper base) hears them back, told the language, and the
error rate against the script is reported per preset and per language:
word error rate (WER) for alphabetic scripts, character error rate (CER)
for Chinese. The language Whisper detects when not told is shown too, and
the synthesis cost (CPU seconds per audio second, this process, both cores).

Usage::

    python scripts/check_voices.py [--voices heart xiaoxiao ...] [--json voices.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

SCRIPTS = {
    "en": [
        "Bob made maps of the moon before breakfast.",
        "The museum opens at nine and closes at five in the evening.",
        "Please bring your umbrella, because it may rain this afternoon.",
    ],
    "zh": [
        "我们明天去北京买面包。",
        "世上本没有路，走的人多了，也便成了路。",
        "今天天气很好，我们去公园散步吧。",
    ],
    "fr": [
        "Bonjour, je m'appelle Marie et j'habite à Paris.",
        "Le musée ouvre ses portes à neuf heures du matin.",
        "Nous avons mangé du pain et du fromage au marché.",
    ],
    "es": [
        "Buenos días, me llamo Pedro y vivo en Madrid.",
        "El museo abre sus puertas a las nueve de la mañana.",
        "Mañana vamos a la playa con nuestros amigos.",
    ],
    "it": [
        "Buongiorno, mi chiamo Giulia e abito a Roma.",
        "Il museo apre le sue porte alle nove del mattino.",
        "Domani andiamo al mare con i nostri amici.",
    ],
}


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return re.sub(r"[^\w\s']", " ", text)


def units(text: str, chinese: bool) -> list[str]:
    text = normalise(text)
    return [ch for ch in text if not ch.isspace()] if chinese else text.split()


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voices", nargs="+", help="presets to check (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    from speaker import speech, timing
    from speaker.settings import list_voices, load_voice_preset

    presets = [load_voice_preset(name) for name in args.voices] if args.voices else list_voices()
    rows = []
    per_language: dict[str, list[int]] = {}
    print(f"{'voice':<10}{'lang':<7}{'engine':<8}{'errors':>7}{'of':>5}{'rate':>7}{'heard as':>9}{'cpu s/s':>8}")
    for preset in presets:
        language = preset.language.split("-")[0].lower()
        chinese = language == "zh"
        errors = total = 0
        detected = []
        cpu = audio_seconds = 0.0
        heard_texts = []
        for sentence in SCRIPTS[language]:
            began = time.process_time()
            spoken = speech.synthesize(sentence, preset)
            cpu += time.process_time() - began
            audio_seconds += spoken.duration
            heard = timing.recognize_words(spoken.samples, spoken.sample_rate, language)
            guessed = timing.recognize_words(spoken.samples, spoken.sample_rate, None).language
            detected.append(guessed)
            text = ("" if chinese else " ").join(word.text for word in heard.words)
            heard_texts.append(text)
            reference = units(sentence, chinese)
            errors += edit_distance(reference, units(text, chinese))
            total += len(reference)
        per_language.setdefault(language, [0, 0])
        per_language[language][0] += errors
        per_language[language][1] += total
        row = {
            "voice": preset.name, "language": preset.language, "engine": preset.engine,
            "errors": errors, "units": total, "rate": errors / total, "detected": detected,
            "cpu_seconds_per_audio_second": cpu / audio_seconds, "heard": heard_texts,
        }
        rows.append(row)
        common = max(set(detected), key=detected.count)
        print(f"{preset.name:<10}{preset.language:<7}{preset.engine:<8}{errors:>7}{total:>5}{row['rate']:>7.1%}"
              f"{common:>9}{row['cpu_seconds_per_audio_second']:>8.2f}", flush=True)
        for text in heard_texts:
            print(f"    heard: {text}")
    print()
    for language, (errors, total) in per_language.items():
        kind = "CER" if language == "zh" else "WER"
        print(f"{language}: {kind} {errors / total:.1%} ({errors} of {total})")
    if args.json:
        args.json.write_text(json.dumps({"voices": rows, "languages": per_language}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
