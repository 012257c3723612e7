"""Forced alignment and phone recognition with pocketsphinx (CMU en-us models)."""

from __future__ import annotations

import os
import re
import threading

import numpy as np

from ...errors import warn
from ...types import Phone, Speech, Word
from ..audio import resample
from ..core import AlignmentError, TimingBackend, cover_timeline, to_phone_symbol
from .text import guess_pronunciation, normalize_transcript, written_words

#: Pocketsphinx's acoustic model works at this rate.
SAMPLE_RATE = 16000
#: Seconds per pocketsphinx frame.
FRAME_SECONDS = 0.01
#: Recognition decodes the audio in pieces of at most this many seconds...
CHUNK_SECONDS = 20.0
#: ...cut at the quietest 10 ms within this many seconds before the limit.
CHUNK_SEARCH_SECONDS = 5.0
#: Forced alignment is run on pieces of about this many seconds, cut at
#: the silences the word-level pass finds, so the phone-level pass stays small.
ALIGN_PIECE_SECONDS = 30.0
#: Language weight of the phone LM in recognition: pocketsphinx's default
#: (6.5) merges many phones; 2.0 found the most of piper's phones in order
#: on synthesized speech (53 % vs 37 %, scripts/check_alignment.py).
RECOGNITION_LANGUAGE_WEIGHT = 2.0

_ALTERNATIVE = re.compile(r"\(\d+\)$")


def _model_dir() -> str:
    from pocketsphinx import get_model_path

    return os.path.join(get_model_path(), "en-us")


def _pcm16(samples: np.ndarray) -> bytes:
    """float samples -> little-endian 16-bit PCM bytes."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _new_decoder(**options):
    from pocketsphinx import Decoder

    return Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", **options)


_aligner = None
_aligner_lock = threading.Lock()


def _shared_aligner():
    """One alignment decoder per process, built on first use (loading the models takes about 0.3-0.6 s).

    Its feature extraction (the running cepstral mean) is reset at every
    call, so an alignment does not depend on the audio aligned before it:
    the phones are the same as with a new decoder.
    """
    global _aligner
    if _aligner is None:
        _aligner = _new_decoder(lm=None)
    else:
        _aligner.reinit_feat()
    return _aligner


def chunk_bounds(samples: np.ndarray, sample_rate: int, max_seconds: float = CHUNK_SECONDS) -> list[tuple[int, int]]:
    """Cut long audio into pieces of at most ``max_seconds`` at quiet moments.

    Parameters
    ----------
    samples : np.ndarray, shape (N,)
    sample_rate : int

    Returns
    -------
    list of (int, int)
        ``[start, end)`` sample ranges covering ``0..N`` in order.
    """
    limit = int(max_seconds * sample_rate)
    search = int(CHUNK_SEARCH_SECONDS * sample_rate)
    hop = max(1, int(FRAME_SECONDS * sample_rate))
    bounds: list[tuple[int, int]] = []
    start = 0
    while len(samples) - start > limit:
        window = samples[start + limit - search:start + limit]
        frames = window[: len(window) // hop * hop].reshape(-1, hop)
        energy = np.mean(np.square(frames, dtype=np.float64), axis=1)
        cut = start + limit - search + int(np.argmin(energy)) * hop + hop // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, len(samples)))
    return bounds


class PocketsphinxBackend(TimingBackend):
    """Pocketsphinx 5 with its bundled US English acoustic model and dictionary."""

    def align(self, samples: np.ndarray, sample_rate: int, transcript: str) -> Speech:
        """Forced alignment; see :meth:`TimingBackend.align`.

        Falls back to phone recognition, with a warning, when the transcript
        has no alignable words or pocketsphinx finds no path.
        """
        try:
            return self.align_strict(samples, sample_rate, transcript)
        except AlignmentError as error:
            warn(f"The transcript could not be aligned to the audio ({error}); "
                 "the mouth follows recognised phones instead and there are no subtitles.")
            return self.recognize(samples, sample_rate)

    def align_strict(self, samples: np.ndarray, sample_rate: int, transcript: str) -> Speech:
        """Forced alignment that raises instead of falling back.

        Raises
        ------
        AlignmentError
            No word of the transcript could be aligned, or pocketsphinx found
            no path through the audio for these words.
        """
        duration = len(samples) / float(sample_rate)
        audio = resample(samples, sample_rate, SAMPLE_RATE)
        # One decoder serves every alignment (a recording has one per stretch of
        # words); it holds one search at a time, hence the lock.
        with _aligner_lock:
            decoder = _shared_aligner()
            spoken = [(word, index) for word, index in normalize_transcript(transcript)
                      if self._ensure_in_dictionary(decoder, word)]
            if not spoken:
                raise AlignmentError("no word of the transcript could be aligned")
            segments = self._align_words(decoder, audio, [word for word, _ in spoken])
            if segments is None:
                raise AlignmentError("the audio does not fit the transcript")
            phones = self._align_phones(decoder, audio, segments, word_pass_done=True)
        written = written_words(transcript)
        words = self._written_word_times(segments, spoken, written)
        return Speech(
            samples=samples,
            sample_rate=sample_rate,
            words=words,
            phones=cover_timeline(phones, duration),
            source="pocketsphinx-align",
        )

    def recognize(self, samples: np.ndarray, sample_rate: int) -> Speech:
        """Phone recognition (allphone search, en-us phone LM) in chunks of audio."""
        duration = len(samples) / float(sample_rate)
        audio = resample(samples, sample_rate, SAMPLE_RATE)
        decoder = _new_decoder(
            lm=None,
            allphone=os.path.join(_model_dir(), "en-us-phone.lm.bin"),
            lw=RECOGNITION_LANGUAGE_WEIGHT,
        )
        phones: list[Phone] = []
        for start, end in chunk_bounds(audio, SAMPLE_RATE):
            offset = start / SAMPLE_RATE
            decoder.start_utt()
            decoder.process_raw(_pcm16(audio[start:end]), full_utt=True)
            decoder.end_utt()
            for segment in decoder.seg() or []:  # seg() is None when no path was found
                phones.append(Phone(
                    to_phone_symbol(segment.word),
                    offset + segment.start_frame * FRAME_SECONDS,
                    offset + (segment.end_frame + 1) * FRAME_SECONDS,
                ))
        return Speech(
            samples=samples,
            sample_rate=sample_rate,
            phones=cover_timeline(phones, duration),
            source="pocketsphinx-phones",
        )

    # -- alignment steps -------------------------------------------------

    @staticmethod
    def _ensure_in_dictionary(decoder, word: str) -> bool:
        """True when ``word`` is (or could be put) in the decoder's dictionary."""
        if decoder.lookup_word(word) is not None:
            return True
        if word.endswith("'s") and decoder.lookup_word(word[:-2]) is not None:
            pronunciation = decoder.lookup_word(word[:-2]) + " Z"
        else:
            pronunciation = guess_pronunciation(word)
        if not pronunciation:
            return False
        try:
            decoder.add_word(word, pronunciation, True)
        except (RuntimeError, ValueError):
            return False
        return True

    @staticmethod
    def _align_words(decoder, audio: np.ndarray, words: list[str]) -> list[tuple[str, int, int]] | None:
        """Word-level pass: ``(word, first_frame, end_frame)`` incl. ``<sil>``, or None."""
        try:
            decoder.set_align_text(" ".join(words))
        except RuntimeError:
            return None
        try:
            decoder.start_utt()
            decoder.process_raw(_pcm16(audio), full_utt=True)
            decoder.end_utt()
            found = decoder.seg()
        except RuntimeError:
            return None
        if found is None:  # no path through the audio for these words
            return None
        segments = [(_ALTERNATIVE.sub("", s.word), s.start_frame, s.end_frame + 1) for s in found]
        aligned = [word for word, _, _ in segments if not word.startswith("<") and not word.startswith("[")]
        if aligned != words:
            return None
        return segments

    @staticmethod
    def _align_phones(decoder, audio: np.ndarray, segments: list[tuple[str, int, int]],
                      word_pass_done: bool = False) -> list[Phone]:
        """Phone-level pass, piece by piece between silences of the word pass.

        ``word_pass_done``: the decoder's last search was the word pass of
        :meth:`_align_words` over the whole ``audio``; when the words form one
        piece (any stretch of recognised words, most transcripts) the phone
        pass follows it directly instead of repeating it on the piece (one
        decoding of the audio in three saved).
        """
        pieces: list[list[tuple[str, int, int]]] = [[]]
        piece_frames = int(ALIGN_PIECE_SECONDS / FRAME_SECONDS)
        for segment in segments:
            word, start, _ = segment
            is_silence = word.startswith("<") or word.startswith("[")
            if is_silence and pieces[-1] and start - pieces[-1][0][1] > piece_frames:
                pieces.append([])
            if not is_silence:
                pieces[-1].append(segment)
        phones: list[Phone] = []
        hop = int(SAMPLE_RATE * FRAME_SECONDS)
        for piece in pieces:
            if not piece:
                continue
            first, last = piece[0][1], piece[-1][2]
            try:
                if word_pass_done and sum(1 for other in pieces if other) == 1:
                    first, last = 0, -(-len(audio) // hop)
                else:
                    decoder.set_align_text(" ".join(word for word, _, _ in piece))
                    decoder.start_utt()
                    decoder.process_raw(_pcm16(audio[first * hop:last * hop]), full_utt=True)
                    decoder.end_utt()
                decoder.set_alignment()
                decoder.start_utt()
                decoder.process_raw(_pcm16(audio[first * hop:last * hop]), full_utt=True)
                decoder.end_utt()
                alignment = decoder.get_alignment()
            except RuntimeError:
                alignment = None
            if alignment is None:
                # Keep the word timing; spread the word's phones evenly.
                warn(f"Phone alignment failed for {len(piece)} aligned words "
                     f"('{' '.join(word for word, _, _ in piece[:4])}...'); their phones are spread evenly over each word.")
                for word, start, end in piece:
                    pronunciation = (decoder.lookup_word(word) or "").split() or ["SIL"]
                    step = (end - start) / len(pronunciation)
                    for index, symbol in enumerate(pronunciation):
                        phones.append(Phone(
                            to_phone_symbol(symbol),
                            (start + index * step) * FRAME_SECONDS,
                            (start + (index + 1) * step) * FRAME_SECONDS,
                        ))
                continue
            for word in alignment:
                for phone in word:
                    start = first + phone.start
                    phones.append(Phone(
                        to_phone_symbol(phone.name),
                        start * FRAME_SECONDS,
                        (start + phone.duration) * FRAME_SECONDS,
                    ))
        return phones

    @staticmethod
    def _written_word_times(
        segments: list[tuple[str, int, int]], spoken: list[tuple[str, int]], written: list[str]
    ) -> list[Word]:
        """Times of the written words ("1863," spans all its spoken words)."""
        aligned = [(start, end) for word, start, end in segments
                   if not word.startswith("<") and not word.startswith("[")]
        spans: dict[int, list[int]] = {}
        for (start, end), (_, index) in zip(aligned, spoken):
            span = spans.setdefault(index, [start, end])
            span[1] = end
        return [
            Word(written[index], spans[index][0] * FRAME_SECONDS, spans[index][1] * FRAME_SECONDS)
            for index in sorted(spans)
        ]
