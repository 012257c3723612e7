"""The interface every text-to-speech engine offers, and the registry of engines.

An engine is a subpackage of :mod:`speaker.speech` with a ``load(preset)``
function returning a :class:`Voice`. Engines are imported only when chosen,
so importing :mod:`speaker.speech` never loads onnxruntime or espeak.
"""

from __future__ import annotations

import abc
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np

from ..errors import SpeakerError
from ..phonetics import Unit
from ..text import ends_sentence, has_words, is_english, spoken_text, spoken_words
from ..types import Phone, Speech, Word

#: Engine name -> module holding its ``load(preset) -> Voice``.
ENGINES: dict[str, str] = {
    "piper": "speaker.speech.piper",
    "kokoro": "speaker.speech.kokoro",
}


#: A sentence ends after ., !, ? or … (possibly repeated, possibly followed
#: by closing quotes or brackets) and whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?…])([\"'”’)\]]*)\s+")


class Voice(abc.ABC):
    """A loaded text-to-speech voice: phonemize, synthesize, stream.

    Attributes
    ----------
    sample_rate : int
        Samples per second of the audio the voice produces.
    """

    sample_rate: int

    @abc.abstractmethod
    def phonemize(self, text: str) -> list[list[str]]:
        """The engine's phonemes of ``text``, one list per sentence the engine sees."""

    @abc.abstractmethod
    def synthesize(self, sentence: str) -> Speech:
        """Speak one sentence.

        Parameters
        ----------
        sentence : str
            One sentence (see :func:`split_sentences`).

        Returns
        -------
        Speech
            Samples of shape (N,) float32 at :attr:`sample_rate`; words and
            phones with times in seconds from 0 that cover the audio.
        """

    def stream(self, text: str) -> Iterator[Speech]:
        """Speak ``text`` sentence by sentence, each with times from 0.

        Sentences with nothing to say (only punctuation) are skipped.
        """
        for sentence in split_sentences(text):
            yield self.synthesize(sentence)


def load_engine(name: str) -> Callable[..., Voice]:
    """The ``load(preset, seed=0)`` function of the engine called ``name``.

    Raises
    ------
    SpeakerError
        No engine of that name.
    """
    module_name = ENGINES.get(name)
    if module_name is None:
        known = ", ".join(sorted(ENGINES))
        raise SpeakerError(f"Unknown speech engine '{name}'; known engines: {known}.")
    return importlib.import_module(module_name).load


def split_sentences(text: str) -> list[str]:
    """Split a script into sentences.

    Sentences end at ``.``, ``!``, ``?`` or ``…`` followed by a space, and at
    line breaks; the full stop of an abbreviation that goes on ("Mr. Hayes",
    "J. Smith", "Oct. 4", "the U.S. Army") does not end a sentence (see
    :func:`speaker.text.ends_sentence`, which the subtitles follow too).
    Pieces without letters or digits are dropped.

    Returns
    -------
    list of str
        The sentences, stripped, in order.
    """
    sentences: list[str] = []
    for line in re.split(r"\s*\n\s*", text or ""):
        pending = ""
        position = 0
        for match in _SENTENCE_END.finditer(line):
            piece = line[position:match.end(1)]
            position = match.end()
            pending = f"{pending} {piece}" if pending else piece
            words, following = pending.split(), line[position:].split(maxsplit=1)
            if words and not ends_sentence(words[-1], following[0] if following else None):
                continue
            sentences.append(pending.strip())
            pending = ""
        rest = line[position:]
        pending = f"{pending} {rest}" if pending else rest
        if pending.strip():
            sentences.append(pending.strip())
    return [sentence for sentence in sentences if has_words(sentence)]


def concatenate(speeches: list[Speech], pause: float) -> Speech:
    """Join speeches end to end with ``pause`` seconds of silence between them.

    Parameters
    ----------
    speeches : list of Speech
        All at the same sample rate, each with times from 0.
    pause : float
        Seconds of silence (a ``SIL`` phone) between consecutive speeches.

    Returns
    -------
    Speech
        Samples of shape (sum of lengths + pauses,), times shifted to match;
        its source is the first speech's.
    """
    if not speeches:
        raise ValueError("concatenate needs at least one Speech")
    sample_rate = speeches[0].sample_rate
    if any(speech.sample_rate != sample_rate for speech in speeches):
        raise ValueError("concatenate needs speeches of one sample rate")
    pause_samples = int(round(max(0.0, pause) * sample_rate))
    total = sum(len(speech.samples) for speech in speeches) + pause_samples * (len(speeches) - 1)
    samples = np.zeros(total, dtype=np.float32)
    words: list[Word] = []
    phones: list[Phone] = []
    offset = 0
    for index, speech in enumerate(speeches):
        if index > 0 and pause_samples > 0:
            start, end = offset / sample_rate, (offset + pause_samples) / sample_rate
            phones.append(Phone("SIL", start, end))
            offset += pause_samples
        samples[offset:offset + len(speech.samples)] = speech.samples
        shift = offset / sample_rate
        words.extend(replace(word, start=word.start + shift, end=word.end + shift) for word in speech.words)
        phones.extend(
            Phone(phone.symbol, phone.start + shift, phone.end + shift, phone.stress)
            for phone in speech.phones
        )
        offset += len(speech.samples)
    return Speech(
        samples=samples,
        sample_rate=sample_rate,
        words=words,
        phones=merge_silences(phones),
        source=speeches[0].source,
    )


def merge_silences(phones: list[Phone]) -> list[Phone]:
    """Join consecutive ``SIL`` phones into one (other phones are kept as they are)."""
    merged: list[Phone] = []
    for phone in phones:
        if merged and phone.symbol == "SIL" and merged[-1].symbol == "SIL":
            merged[-1] = Phone("SIL", merged[-1].start, phone.end)
        else:
            merged.append(phone)
    return merged


#: A word of the text as written (split at whitespace, punctuation kept for
#: subtitles); tokens without letters or digits are not words.
_TEXT_WORD = re.compile(r"\S+")


def units_to_timeline(
    units: list[Unit], n_samples: int, sample_rate: int
) -> tuple[list[Phone], list[tuple[int, int]]]:
    """Phones with times in seconds, and the sample span of each word group.

    The unit sample counts are scaled when they do not add up to
    ``n_samples`` (they should; this guards against other voices), so the
    phones always cover ``[0, n_samples / sample_rate]`` exactly.
    """
    counts = np.array([unit.samples for unit in units], dtype=np.float64)
    total = counts.sum()
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    if total != n_samples and total > 0:
        cumulative = cumulative * (n_samples / total)
    bounds = np.round(cumulative).astype(np.int64)
    bounds[-1] = n_samples
    phones: list[Phone] = []
    spans: dict[int, list[int]] = {}
    for unit, start, end in zip(units, bounds[:-1].tolist(), bounds[1:].tolist()):
        if end <= start:
            continue
        phones.append(Phone(unit.symbol, start / sample_rate, end / sample_rate, unit.stress))
        if unit.word >= 0:
            span = spans.setdefault(unit.word, [start, end])
            span[1] = end
    if not phones:
        phones = [Phone("SIL", 0.0, n_samples / sample_rate)]
    return merge_silences(phones), [tuple(spans[key]) for key in sorted(spans)]


def as_spoken(text: str, language: str) -> str:
    """What a voice of ``language`` is given to say for ``text``.

    English is given each word's spoken form (:func:`speaker.text.spoken_words`:
    "1822" -> "eighteen twenty-two", "Oct. 4" -> "October 4"), which espeak-ng
    reads wrong as written; other languages are said as written.
    """
    return spoken_text(text) if is_english(language) else text


def written_and_spoken(sentence: str, language: str) -> tuple[list[str], list[str]]:
    """A sentence's written words (those with letters or digits) and how each is said.

    The spoken forms are those :func:`as_spoken` gives the voice
    (:func:`speaker.text.spoken_words` for English, else the words as written).
    """
    if is_english(language):
        pairs = spoken_words(sentence)
    else:
        pairs = [(token, token) for token in _TEXT_WORD.findall(sentence) if has_words(token)]
    return [written for written, _ in pairs], [said for _, said in pairs]


def time_words(
    sentence: str,
    spans: list[tuple[int, int]],
    phones: list[Phone],
    sample_rate: int,
    weight: Callable[[str], int],
    text_words: list[str] | None = None,
    spoken_words: list[str] | None = None,
) -> list[Word]:
    """Pair the sentence's written words with the spoken word groups.

    Parameters
    ----------
    sentence : str
        The sentence as written.
    spans : list of (int, int)
        Sample span of each spoken word group, in order.
    phones : list of Phone
        The sentence's phones (seconds).
    sample_rate : int
    weight : callable
        ``weight(words)``: how many sounds a word as said has (at least 1).
    text_words : list of str, optional
        The written words, when not the sentence's whitespace-separated tokens
        (Chinese characters, say).
    spoken_words : list of str, optional
        How each written word was said, when the voice was given its spoken
        form (:func:`written_and_spoken`: "1822" said "eighteen twenty-two");
        default: as written.

    Returns
    -------
    list of Word
        One per written word with letters or digits, spanning the spoken word
        groups of its spoken form. When the synthesizer's word groups do not
        add up to the spoken words (espeak says "of the" as one), the written
        words share the spoken phones in proportion to the weights of their
        spoken forms.
    """
    if text_words is None:
        text_words = [token for token in _TEXT_WORD.findall(sentence) if has_words(token)]
    said = text_words if spoken_words is None else spoken_words
    if len(said) != len(text_words):
        raise ValueError("time_words needs one spoken form per written word")
    if not text_words or not spans:
        return []
    rate = float(sample_rate)
    groups = [max(1, sum(1 for token in _TEXT_WORD.findall(form) if has_words(token))) for form in said]
    if sum(groups) == len(spans):
        words = []
        first = 0
        for text, count in zip(text_words, groups):
            words.append(Word(text, spans[first][0] / rate, spans[first + count - 1][1] / rate))
            first += count
        return words
    spoken = [phone for phone in phones if phone.symbol != "SIL"]
    if not spoken:
        return []
    weights = [max(1, weight(form)) for form in said]
    cumulative = np.concatenate([[0.0], np.cumsum(weights, dtype=np.float64)])
    # Word boundaries at phone boundaries, in proportion to the weights.
    bounds = np.round(cumulative / cumulative[-1] * len(spoken)).astype(int)
    words = []
    for index, text in enumerate(text_words):
        first = min(bounds[index], len(spoken) - 1)
        last = max(first, bounds[index + 1] - 1)
        words.append(Word(text, spoken[first].start, spoken[min(last, len(spoken) - 1)].end))
    return words
