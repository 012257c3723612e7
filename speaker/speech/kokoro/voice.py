"""Kokoro-82M behind the :class:`speaker.speech.core.Voice` interface."""

from __future__ import annotations

import re

import numpy as np

from ...errors import SpeakerError
from ...phonetics import BOS, EOS, VOWELS, Unit, alignments_to_units, is_pause_symbol
from ...settings import VoicePreset
from ...text import has_words
from ...types import Speech
from ..core import (
    Voice, as_spoken, concatenate, split_sentences, time_words, units_to_timeline, written_and_spoken,
)
from . import model, phonemes

#: Peak level of each synthesized sentence, as for piper's voices.
OUTPUT_PEAK = 0.9
#: Frames of silence kept before the voice begins (the model makes about
#: 0.3 s; the sentence pause already separates sentences).
LEADING_FRAMES_KEPT = 2
#: A 10 ms frame of the model's leading span this far (dB) below the
#: sentence's loudest frame is silence (the model's silence is below -60 dB).
ONSET_DB = -40.0
#: Longest first sound (s) taken from the end of the leading span when no
#: onset is found earlier (a guard; first sounds last 20-100 ms).
LONGEST_FIRST_SOUND = 0.25
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
        spans = frames * model.FRAME_SAMPLES
        # The model's total is its audio length; guard against a last partial frame.
        spans[-1] = max(0, spans[-1] + len(audio) - int(spans.sum()))
        # The model's duration of token k is the length of token k+1's sound: the
        # span it gives a phone holds the next one, so a word's last phone took the
        # pause of the comma after it (0.2-0.5 s of silence in the word) and every
        # phone came 50-75 ms late (scripts/check_tts_word_times.py, pocketsphinx
        # and the audio's silences agree). So each symbol gets the span of the
        # token before it; the end pad's two spans are the trailing silence, and
        # the leading span (the start pad's) holds the silence and then the first
        # sound, which is told apart by the audio's onset.
        loud, hop = _loud_frames(audio, self.sample_rate)
        lead = int(spans[0])
        # At least a frame for the first sound, which units_to_timeline would drop if empty.
        onset = min(_voice_onset(loud, hop, lead, self.sample_rate), max(0, lead - model.FRAME_SAMPLES))
        lengths = [onset, lead - onset, *spans[1:len(symbols)].tolist(),
                   int(spans[len(symbols):].sum())]
        tokens = [BOS, *symbols, EOS]
        # The sound before a pause fades out in the pause's span (by 50-100 ms):
        # it is the sound's until the audio falls silent.
        position = sum(lengths[:2])
        for index in range(2, len(tokens)):
            if is_pause_symbol(tokens[index]):
                first, last = position // hop, (position + lengths[index]) // hop
                quiet = np.flatnonzero(~loud[first:last])
                silent_from = (first + int(quiet[0])) * hop if len(quiet) else position + lengths[index]
                moved = min(lengths[index], max(0, silent_from - position))
                lengths[index - 1] += moved
                lengths[index] -= moved
                position += moved
            position += lengths[index]
        pairs = list(zip(tokens, lengths))
        cut = max(0, onset - LEADING_FRAMES_KEPT * model.FRAME_SAMPLES)
        pairs[0] = (BOS, onset - cut)
        return audio[cut:], pairs


def _loud_frames(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    """One bool per 10 ms frame (louder than :data:`ONSET_DB` below the loudest frame), and the frame's samples."""
    hop = max(1, sample_rate // 100)
    count = len(audio) // hop
    if count == 0:
        return np.zeros(0, bool), hop
    rms = np.sqrt(np.mean(np.square(audio[: count * hop].reshape(count, hop), dtype=np.float64), axis=1))
    return rms > rms.max() * 10.0 ** (ONSET_DB / 20.0), hop


def _voice_onset(loud: np.ndarray, hop: int, lead: int, sample_rate: int) -> int:
    """Sample where the voice begins within the model's leading span (its first ``lead`` samples).

    The first loud frame (:func:`_loud_frames`), at most
    :data:`LONGEST_FIRST_SOUND` before ``lead``.
    """
    if lead <= 0:
        return 0
    earliest = max(0, lead - int(LONGEST_FIRST_SOUND * sample_rate))
    found = np.flatnonzero(loud[: lead // hop])
    onset = int(found[0]) * hop if len(found) else lead
    return min(lead, max(earliest, onset))


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
