"""A listening-free check of every voice preset: are the words right?

Each preset speaks a few sentences of its language; the timing stage's
recogniser (Whisper base) hears them back, told the language, and the
error rate against the script is reported per preset and per language:
word error rate (WER) for alphabetic scripts (numerals Whisper writes as
digits count as their words), and for Chinese the pinyin syllable error rate
(Whisper base often writes traditional characters, which a character
comparison would count as wrong although the words are heard right; the raw
character error rate is shown beside it). The language Whisper detects when not told is shown too, and
the synthesis cost (CPU seconds per audio second, this process, both cores).

Usage::

    python scripts/check_voices.py [--voices heart xiaoxiao ...] [--json voices.json]
    python scripts/check_voices.py --rescore voices.json   # score saved recognitions again
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


#: Numerals Whisper writes as digits, as the scripts say them.
NUMBERS = {
    "en": {"5": "five", "9": "nine"}, "fr": {"9": "neuf"}, "es": {"9": "nueve"}, "it": {"9": "nove"},
}


def normalise(text: str, language: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = re.sub(r"\s+'", "'", text)  # Whisper writes "m 'appelle"
    for digits, word in NUMBERS.get(language, {}).items():
        text = re.sub(rf"\b{digits}\b", word, text)
    return re.sub(r"[^\w\s']", " ", text)


def units(text: str, language: str, pinyin: bool = False) -> list[str]:
    text = normalise(text, language)
    if language != "zh":
        return text.split()
    characters = [ch for ch in text if not ch.isspace()]
    if not pinyin:
        return characters
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin("".join(characters), style=Style.NORMAL)


def score(rows: list[dict]) -> dict[str, list[int]]:
    """Fill each row's errors and rate from its scripts and what was heard; totals per language."""
    per_language: dict[str, list[int]] = {}
    for row in rows:
        language = row["language"].split("-")[0].lower()
        errors = total = raw = 0
        for sentence, heard in zip(SCRIPTS[language], row["heard"]):
            reference = units(sentence, language, pinyin=True)
            errors += edit_distance(reference, units(heard, language, pinyin=True))
            raw += edit_distance(units(sentence, language), units(heard, language))
            total += len(reference)
        row.update(errors=errors, units=total, rate=errors / total, raw_character_rate=raw / total)
        per_language.setdefault(language, [0, 0])
        per_language[language][0] += errors
        per_language[language][1] += total
    return per_language


def report(rows: list[dict], per_language: dict[str, list[int]]) -> None:
    print(f"{'voice':<10}{'lang':<7}{'engine':<8}{'errors':>7}{'of':>5}{'rate':>7}{'heard as':>9}{'cpu s/s':>8}")
    for row in rows:
        common = max(set(row["detected"]), key=row["detected"].count)
        extra = f"  (characters {row['raw_character_rate']:.1%})" if row["language"] == "zh" else ""
        print(f"{row['voice']:<10}{row['language']:<7}{row['engine']:<8}{row['errors']:>7}{row['units']:>5}"
              f"{row['rate']:>7.1%}{common:>9}{row['cpu_seconds_per_audio_second']:>8.2f}{extra}")
    print()
    for language, (errors, total) in per_language.items():
        kind = "pinyin syllable error rate" if language == "zh" else "WER"
        print(f"{language}: {kind} {errors / total:.1%} ({errors} of {total})")


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
    parser.add_argument("--rescore", type=Path, metavar="JSON", help="score the recognitions saved by --json")
    args = parser.parse_args(argv)

    if args.rescore:
        saved = json.loads(args.rescore.read_text(encoding="utf-8"))
        rows = saved["voices"]
        report(rows, score(rows))
        return 0

    from speaker import speech, timing
    from speaker.settings import list_voices, load_voice_preset

    presets = [load_voice_preset(name) for name in args.voices] if args.voices else list_voices()
    rows = []
    for preset in presets:
        language = preset.language.split("-")[0].lower()
        detected, heard_texts = [], []
        cpu = audio_seconds = 0.0
        for sentence in SCRIPTS[language]:
            began = time.process_time()
            spoken = speech.synthesize(sentence, preset)
            cpu += time.process_time() - began
            audio_seconds += spoken.duration
            heard = timing.recognize_words(spoken.samples, spoken.sample_rate, language)
            detected.append(timing.recognize_words(spoken.samples, spoken.sample_rate, None).language)
            heard_texts.append(("" if language == "zh" else " ").join(word.text for word in heard.words))
        rows.append({
            "voice": preset.name, "language": preset.language, "engine": preset.engine, "detected": detected,
            "cpu_seconds_per_audio_second": cpu / audio_seconds, "heard": heard_texts,
        })
        print(f"{preset.name}: " + " | ".join(heard_texts), flush=True)
    per_language = score(rows)
    report(rows, per_language)
    if args.json:
        args.json.write_text(json.dumps({"voices": rows, "languages": per_language}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
