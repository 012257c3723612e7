"""Are the word times the speech stage gives synthesized speech right?

Each voice speaks about ten sentences of its language, one
:meth:`speaker.speech.Voice.synthesize` call each (what
:func:`speaker.speech.synthesize` joins). The words it gives are compared with
word times found independently in the same audio:

- pocketsphinx forced alignment of the sentence (the timing stage's
  ``align_strict``; English only, 10 ms frames),
- Whisper base word timestamps (the timing stage's ``recognize_words``, told
  the language; words paired by their letters in order),
- the audio itself: the silence (10 ms frames quieter than
  :data:`SILENT_DB` below the sentence's loudest frame) at the head and tail
  of each word's span, and how far the first word starts from the first
  voiced frame.

Offsets are TTS minus reference (+ = the TTS word is late). "med" is the
signed median, "p90" the 90th percentile of the absolute offset, in ms.
Pocketsphinx and Whisper disagree with each other by tens of ms (Whisper's
ends in particular run on into a following pause), so a constant lead or lag
shows in both, and a swallowed pause shows as a silent tail.

The TTS words are also checked against the TTS's own phones: each word should
start where its first phone starts and end where its last phone ends, cover
no ``SIL`` phone and overlap no other word.

Usage::

    python scripts/check_tts_word_times.py [--voices default heart emma dora] [--no-whisper]
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
import unicodedata

import numpy as np

#: Sentences per language: numbers, short words, commas, a question.
SENTENCES = {
    "en": [
        "Bob made maps, and then he went home at 7 o'clock.",
        "Is it on the table or in the box?",
        "The train leaves at 10:45 from platform 3.",
        "We need eggs, milk, bread, and a little cheese.",
        "In 1969, two men walked on the moon.",
        "Why did you go there so late?",
        "She paid $25 for a pair of blue shoes.",
        "I think, if we hurry, we can still catch it.",
        "A cat sat by the door and waited for an hour.",
        "Please call me back before Friday, okay?",
    ],
    "es": [
        "Mañana vamos al mercado, y luego a la playa.",
        "¿Dónde está la estación de tren?",
        "Tengo tres hermanos y dos hermanas.",
        "El museo abre a las nueve de la mañana.",
        "Compramos pan, leche, queso y un poco de fruta.",
        "¿Por qué llegaste tan tarde a casa?",
        "Mi abuela vive en un pueblo pequeño.",
        "Si llueve, no saldremos esta noche.",
        "El gato duerme junto a la ventana.",
        "Vamos a cenar a las ocho, ¿vale?",
    ],
    "fr": [
        "Demain, nous irons au marché, puis à la plage.",
        "Où est la gare, s'il vous plaît?",
        "J'ai trois frères et deux sœurs.",
        "Le musée ouvre à neuf heures du matin.",
        "Nous avons acheté du pain, du lait et du fromage.",
        "Pourquoi es-tu rentré si tard?",
        "Ma grand-mère habite dans un petit village.",
        "S'il pleut, nous resterons à la maison.",
        "Le chat dort près de la fenêtre.",
        "On dîne à huit heures, d'accord?",
    ],
}
#: Voices measured by default: the English defaults of each engine (Piper's
#: default, Kokoro's American and British) and a Spanish Kokoro voice.
DEFAULT_VOICES = ("default", "heart", "emma", "dora")
#: A 10 ms frame this far (dB) below the sentence's loudest frame is silence.
SILENT_DB = -40.0
#: Seconds per energy frame.
FRAME = 0.01
#: A word's silent head or tail longer than this (s) is counted as swallowing a pause.
SWALLOW_SECONDS = 0.05


def letters(text: str) -> str:
    """Lower-case letters and digits of a word, accents removed (to pair words of two sources)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isalnum())


def paired_offsets(tts_words, reference_words) -> tuple[list[float], list[float]]:
    """Start and end offsets (TTS minus reference, s) of the words both give, paired by letters in order."""
    a = [letters(w.text) for w in tts_words]
    b = [letters(w.text) for w in reference_words]
    starts, ends = [], []
    for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            tts, ref = tts_words[block.a + k], reference_words[block.b + k]
            starts.append(tts.start - ref.start)
            ends.append(tts.end - ref.end)
    return starts, ends


def voiced_frames(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """One bool per 10 ms frame: louder than :data:`SILENT_DB` below the loudest frame."""
    hop = int(round(FRAME * sample_rate))
    count = len(samples) // hop
    frames = samples[: count * hop].astype(np.float64).reshape(count, hop)
    rms = np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-12
    return 20 * np.log10(rms / rms.max()) > SILENT_DB


def silent_head_and_tail(word, voiced: np.ndarray) -> tuple[float, float]:
    """Seconds of silence at the start and at the end of a word's span."""
    first = int(round(word.start / FRAME))
    last = max(first + 1, int(round(word.end / FRAME)))
    span = voiced[first:last]
    if not span.any():
        return (last - first) * FRAME, (last - first) * FRAME
    on = np.flatnonzero(span)
    return on[0] * FRAME, (len(span) - 1 - on[-1]) * FRAME


def sound_outside(word, voiced: np.ndarray, phones) -> tuple[float | None, float | None]:
    """Seconds of sound in the pause before a word (ending at its start) and after it (from its end).

    None where the word has no pause (a ``SIL`` phone) on that side.
    """
    before = after = None
    first, last = int(round(word.start / FRAME)), int(round(word.end / FRAME))
    if any(p.symbol == "SIL" and abs(p.end - word.start) < 1e-6 and p.start > 0 for p in phones):
        run = voiced[:first][::-1]
        before = (np.argmin(run) if not run.all() else len(run)) * FRAME
    if any(p.symbol == "SIL" and abs(p.start - word.end) < 1e-6 for p in phones):
        run = voiced[last:]
        after = (np.argmin(run) if not run.all() else len(run)) * FRAME
    return before, after


def phone_agreement(speech) -> dict[str, int]:
    """Counts of disagreements between the words and the phones of one sentence."""
    eps = 1.0 / speech.sample_rate
    starts = {round(p.start, 6) for p in speech.phones}
    ends = {round(p.end, 6) for p in speech.phones}
    counts = {"words": len(speech.words), "off_phone_boundary": 0, "covers_sil": 0, "overlaps": 0}
    for index, word in enumerate(speech.words):
        if not (any(abs(word.start - s) <= eps for s in starts) and any(abs(word.end - e) <= eps for e in ends)):
            counts["off_phone_boundary"] += 1
        if any(p.symbol == "SIL" and p.start >= word.start - eps and p.end <= word.end + eps
               for p in speech.phones):
            counts["covers_sil"] += 1
        if index and word.start < speech.words[index - 1].end - eps:
            counts["overlaps"] += 1
    return counts


def stats(values: list[float]) -> str:
    """``med/p90`` in ms, or dashes."""
    if not values:
        return "    -/-   "
    values = np.asarray(values) * 1000
    return f"{np.median(values):+5.0f}/{np.percentile(np.abs(values), 90):4.0f}"


def measure(name: str, use_whisper: bool) -> dict:
    from speaker.settings import load_voice_preset
    from speaker.speech import load_voice
    from speaker.text import is_english
    from speaker.timing import recognize_words
    from speaker.timing.core import AlignmentError, load_backend

    preset = load_voice_preset(name)
    language = preset.language.split("-")[0].lower()
    voice = load_voice(preset)
    aligner = load_backend("pocketsphinx")
    result = {name: [] for name in ("ps_start", "ps_end", "wh_start", "wh_end", "head", "tail", "onset",
                                    "early", "late")}
    agreement = {"words": 0, "off_phone_boundary": 0, "covers_sil": 0, "overlaps": 0}
    worst: list[tuple[float, str, str]] = []
    audio_seconds = 0.0
    for sentence in SENTENCES[language]:
        speech = voice.synthesize(sentence)
        audio_seconds += speech.duration
        for key, value in phone_agreement(speech).items():
            agreement[key] += value
        voiced = voiced_frames(speech.samples, speech.sample_rate)
        if speech.words and voiced.any():
            result["onset"].append(speech.words[0].start - np.flatnonzero(voiced)[0] * FRAME)
        for word in speech.words:
            head, tail = silent_head_and_tail(word, voiced)
            result["head"].append(head)
            result["tail"].append(tail)
            worst.append((tail, word.text, sentence))
            early, late = sound_outside(word, voiced, speech.phones)
            if early is not None:
                result["early"].append(early)
            if late is not None:
                result["late"].append(late)
        if is_english(preset.language):
            try:
                aligned = aligner.align_strict(speech.samples, speech.sample_rate, sentence)
            except AlignmentError as error:
                print(f"  {name}: pocketsphinx could not align {sentence!r}: {error}", file=sys.stderr)
            else:
                starts, ends = paired_offsets(speech.words, aligned.words)
                result["ps_start"] += starts
                result["ps_end"] += ends
        if use_whisper:
            heard = recognize_words(speech.samples, speech.sample_rate, language).words
            starts, ends = paired_offsets(speech.words, heard)
            result["wh_start"] += starts
            result["wh_end"] += ends
    worst.sort(reverse=True)
    return {"name": name, "engine": preset.engine, "language": preset.language, "seconds": audio_seconds,
            "values": result, "agreement": agreement, "worst": worst[:3]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voices", nargs="+", default=list(DEFAULT_VOICES))
    parser.add_argument("--no-whisper", action="store_true", help="skip the Whisper word timestamps")
    args = parser.parse_args()
    print("command: python scripts/check_tts_word_times.py " + " ".join(sys.argv[1:]))
    rows = []
    for name in args.voices:
        began = time.perf_counter()
        rows.append(measure(name, not args.no_whisper))
        print(f"  {name}: {time.perf_counter() - began:.0f} s", file=sys.stderr)
    print()
    print("offsets TTS - reference, ms: signed median / 90th pct of |offset|; silences in ms "
          f"(frames < {SILENT_DB:.0f} dB)")
    print(f"{'voice':<9}{'engine':<7}{'lang':<6}{'words':>5}  {'ps start':>10} {'ps end':>10}  "
          f"{'wh start':>10} {'wh end':>10}  {'onset':>10}  {'sil head':>10} {'sil tail':>10} "
          f"{'tail>50':>7} {'max tail':>8}  {'pre-sound':>10} {'run-on':>10}  {'words/phones':>12}")
    for row in rows:
        v, a = row["values"], row["agreement"]
        swallowed = sum(1 for t in v["tail"] if t > SWALLOW_SECONDS)
        disagreements = a["off_phone_boundary"] + a["covers_sil"] + a["overlaps"]
        print(f"{row['name']:<9}{row['engine']:<7}{row['language']:<6}{a['words']:>5}  "
              f"{stats(v['ps_start']):>10} {stats(v['ps_end']):>10}  {stats(v['wh_start']):>10} "
              f"{stats(v['wh_end']):>10}  {stats(v['onset']):>10}  {stats(v['head']):>10} "
              f"{stats(v['tail']):>10} {swallowed:>7} {1000 * max(v['tail'], default=0):>8.0f}  "
              f"{stats(v['early']):>10} {stats(v['late']):>10}  "
              f"{disagreements:>5} of {a['words']:<3}")
    print()
    print("sil head/tail: silence inside a word's span at its start/end (a swallowed pause); pre-sound/run-on:")
    print("sound in the pause (SIL) before a word's start / after its end (a word cut short); onset: first word's")
    print("start minus the first voiced frame")
    print("words/phones: words off a phone boundary, covering a SIL phone, or overlapping the previous word")
    for row in rows:
        print(f"{row['name']}: longest silent tails: " + "; ".join(
            f"{text!r} {1000 * tail:.0f} ms ({sentence[:30]}...)" for tail, text, sentence in row["worst"]))


if __name__ == "__main__":
    main()
