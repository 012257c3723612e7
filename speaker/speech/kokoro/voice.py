"""Kokoro-82M behind the :class:`speaker.speech.core.Voice` interface."""

from __future__ import annotations

import re

import numpy as np

from ...errors import SpeakerError
from ...phonetics import BOS, EOS, VOWELS, Unit, alignments_to_units
from ...settings import VoicePreset
from ...text import has_words
from ...types import Speech
from ..core import (
    Voice, as_spoken, concatenate, split_sentences, time_words, units_to_timeline, written_and_spoken,
)
from . import model, phonemes

#: Peak level of each synthesized sentence, as for piper's voices.
OUTPUT_PEAK = 0.9
#: Frames of the model's leading silence kept (it makes about 0.35 s; the
#: sentence pause already separates sentences).
LEADING_FRAMES_KEPT = 2
#: Longest phoneme chunk given to the model at once (it takes 510 tokens).
CHUNK_TOKENS = 400
#: Phones that close a Mandarin syllable when no vowel of the same word follows.
_CODAS = frozenset({"N", "NG", "R"})
#: One Chinese character, or a run of other letters/digits; trailing punctuation kept.
_ZH_TOKEN = re.compile(r"(?:[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)[^\w\s]*")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class KokoroVoiceBackend(Voice):
    """A Kokoro voice (style vectors) speaking one language at a preset's speed.

    Parameters
    ----------
    preset : VoicePreset
        ``kokoro_voice`` (a shipped name such as ``"af_heart"`` or a ``.bin``
        path), ``language`` (``en-US``, ``en-GB``, ``zh``, ``fr``, ``es``,
        ``it``; English text is said as spoken, :func:`speaker.speech.core.as_spoken`)
        and ``speed``.
    """

    def __init__(self, preset: VoicePreset):
        if not preset.kokoro_voice:
            raise SpeakerError(f"The Kokoro preset '{preset.name}' names no kokoro_voice (e.g. af_heart).")
        self.language = preset.language
        self._to_phonemes = phonemes.phonemizer(preset.language)
        self._mandarin = phonemes.language_key(preset.language) == "zh"
        self._style = model.style_vectors(preset.kokoro_voice)
        self._vocabulary = model.vocabulary()
        self._speed = float(preset.speed)
        self._session = model.session()
        self.sample_rate = model.SAMPLE_RATE

    def phonemize(self, text: str) -> list[list[str]]:
        """Kokoro's phonemes of ``text`` (those in its vocabulary), one list per sentence."""
        return [
            [symbol for symbol in self._to_phonemes(said) if symbol in self._vocabulary]
            for said in (as_spoken(sentence, self.language) for sentence in split_sentences(text))
        ]

    def synthesize(self, sentence: str) -> Speech:
        """Speak one sentence; see :meth:`Voice.synthesize`."""
        said = as_spoken(sentence, self.language)
        symbols = [symbol for symbol in self._to_phonemes(said) if symbol in self._vocabulary]
        chunks: list[Speech] = []
        units_all: list[Unit] = []
        word_spans: list[tuple[int, int]] = []
        offset = 0
        next_word = 0
        for piece in _chunk(symbols, CHUNK_TOKENS):
            audio, pairs = self._infer(piece)
            units, next_word = alignments_to_units(pairs, first_word=next_word)
            phones, spans = units_to_timeline(units, len(audio), self.sample_rate)
            chunks.append(Speech(samples=audio, sample_rate=self.sample_rate, phones=phones))
            word_spans.extend((start + offset, end + offset) for start, end in spans)
            units_all.extend(units)
            offset += len(audio)
        if not chunks:
            return Speech(np.zeros(0, np.float32), self.sample_rate, source="kokoro")
        speech = concatenate(chunks, pause=0.0) if len(chunks) > 1 else chunks[0]
        peak = float(np.max(np.abs(speech.samples))) if len(speech.samples) else 0.0
        if peak > 0:
            speech = speech.with_timings(samples=(speech.samples * (OUTPUT_PEAK / peak)).astype(np.float32))
        if self._mandarin:
            # Chinese is written without spaces: time each character by its syllable.
            tokens = _ZH_TOKEN.findall(sentence)
            words = time_words(
                sentence, _syllable_spans(units_all), speech.phones, self.sample_rate,
                lambda token: 3 * max(1, len(_HAN.findall(token))) if _HAN.search(token) else len(token),
                text_words=[token for token in tokens if has_words(token)],
            )
        else:
            written, spoken = written_and_spoken(sentence, self.language)
            words = time_words(sentence, word_spans, speech.phones, self.sample_rate, self._phoneme_weight,
                               text_words=written, spoken_words=spoken)
        return speech.with_timings(words=words, source="kokoro")

    def _phoneme_weight(self, word: str) -> int:
        """Number of sounds of a word as said (letters among its phonemes)."""
        return sum(1 for symbol in self._to_phonemes(word) if symbol.isalpha())

    def _infer(self, symbols: list[str]) -> tuple[np.ndarray, list[tuple[str, int]]]:
        """Run the model on one chunk: audio (N,) float32 and (symbol, samples) pairs adding up to N."""
        tokens = [self._vocabulary[symbol] for symbol in symbols]
        style = self._style[min(len(tokens), len(self._style) - 1)][None, :]
        audio, durations = self._session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style.astype(np.float32),
                "speed": np.array([self._speed], dtype=np.float32),
            },
        )
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        frames = np.asarray(durations, dtype=np.int64).reshape(-1)
        samples = (frames * model.FRAME_SAMPLES).tolist()
        pairs = list(zip([BOS, *symbols, EOS], samples))
        # The model's total is its audio length; guard against a last partial frame.
        pairs[-1] = (EOS, max(0, pairs[-1][1] + len(audio) - sum(samples)))
        cut = max(0, int(frames[0]) - LEADING_FRAMES_KEPT) * model.FRAME_SAMPLES
        cut = min(cut, pairs[0][1])
        pairs[0] = (BOS, pairs[0][1] - cut)
        return audio[cut:], pairs


def _chunk(symbols: list[str], limit: int) -> list[list[str]]:
    """Split a phoneme sequence into pieces of at most ``limit``, at punctuation, else at spaces."""
    if not symbols:
        return []
    pieces: list[list[str]] = []
    start = 0
    while len(symbols) - start > limit:
        window = symbols[start:start + limit]
        cut = max((i for i, s in enumerate(window) if s in ",;:.!?—…"), default=-1)
        if cut < limit // 2:
            cut = max((i for i, s in enumerate(window) if s == " "), default=limit - 1)
        pieces.append(symbols[start:start + cut + 1])
        start += cut + 1
    if any(s.strip() for s in symbols[start:]):
        pieces.append(symbols[start:])
    return [piece for piece in pieces if any(s.isalpha() for s in piece)]


def _syllable_spans(units: list[Unit]) -> list[tuple[int, int]]:
    """Sample spans of the (Mandarin) syllables: onset consonants, vowels, then a nasal or r coda.

    A word group boundary or a silence always ends a syllable.
    """
    spans: list[list[int]] = []
    position = 0
    current: list[int] | None = None
    after_nucleus = False
    for index, unit in enumerate(units):
        start, end = position, position + unit.samples
        position = end
        if unit.symbol == "SIL":
            current, after_nucleus = None, False
            continue
        vowel = unit.symbol in VOWELS
        following = units[index + 1] if index + 1 < len(units) else None
        coda = (
            unit.symbol in _CODAS and after_nucleus
            and not (following is not None and following.symbol in VOWELS and following.word == unit.word)
        )
        new_word = current is None or unit.word != units[index - 1].word
        if new_word or (after_nucleus and not vowel and not coda):
            current = [start, end]
            spans.append(current)
        else:
            current[1] = end
        after_nucleus = vowel or coda
    return [tuple(span) for span in spans]
