"""Text to speech with phone timings.

>>> from speaker.settings import load_voice_preset
>>> speech = synthesize("Bob made maps.", load_voice_preset("default"))
>>> speech.phones[1].symbol, speech.duration

Layers, as in piper: :func:`load_voice` gives a :class:`Voice` that can
``phonemize``, ``synthesize`` one sentence or ``stream`` a text sentence by
sentence; :func:`synthesize` speaks a whole script, :func:`synthesize_stream`
yields it sentence by sentence, synthesizing the next sentence in a
background thread while the caller uses the previous one.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

import numpy as np

from ..errors import SpeakerError
from ..settings import VoicePreset
from ..types import Speech
from .core import Voice, concatenate, has_words, load_engine, merge_silences, split_sentences
from ..types import Phone

__all__ = [
    "SpeechStream", "Voice", "concatenate", "has_words", "load_voice", "split_sentences", "synthesize",
    "synthesize_stream",
]


def load_voice(preset: VoicePreset, seed: int = 0) -> Voice:
    """Load the voice a preset describes with its engine.

    Raises
    ------
    SpeakerError
        Unknown engine, missing or unreadable model file.
    """
    return load_engine(preset.engine)(preset, seed=seed)


def synthesize(text: str, preset: VoicePreset, seed: int = 0) -> Speech:
    """Speak a whole script.

    Sentences are synthesized one at a time and joined with
    ``preset.sentence_pause`` seconds of silence (a ``SIL`` phone).

    Parameters
    ----------
    text : str
        The script, any number of sentences.
    preset : VoicePreset
        Engine, model and delivery.
    seed : int
        The same text, preset and seed give the same audio.

    Returns
    -------
    Speech
        Samples of shape (N,) float32 at the voice's rate; words and phones
        (times in seconds) covering the whole audio; source ``"piper"``.

    Raises
    ------
    SpeakerError
        The text has no words, or the voice cannot be loaded.
    """
    if not has_words(text):
        raise SpeakerError("The text is empty; give some words to say.")
    voice = load_voice(preset, seed=seed)
    sentences = [speech for speech in voice.stream(text) if len(speech.samples)]
    if not sentences:
        raise SpeakerError("The text is empty; give some words to say.")
    return concatenate(sentences, pause=preset.sentence_pause)


#: Longest wait, in seconds, for the synthesis thread to finish its sentence when a stream is closed.
STOP_WAIT_SECONDS = 30.0


class SpeechStream:
    """The sentences of a script as :class:`Speech` segments, made one ahead in a thread.

    Iterating yields one segment per sentence, times from its own start;
    every segment but the last ends with ``preset.sentence_pause`` seconds of
    silence (a ``SIL`` phone), so the segments laid end to end are
    :func:`synthesize`'s audio. The thread synthesizes sentence k+1 while the
    caller works on sentence k and holds at most one finished segment, so
    memory does not grow with the script's length.

    Attributes
    ----------
    synthesis_seconds : float
        Wall-clock seconds the thread spent synthesizing so far.
    """

    def __init__(self, text: str, preset: VoicePreset, seed: int = 0):
        if not has_words(text):
            raise SpeakerError("The text is empty; give some words to say.")
        # Loaded here, in the caller's thread, so a bad preset fails at once.
        self._voice = load_voice(preset, seed=seed)
        self._sentences = split_sentences(text)
        self._pause = preset.sentence_pause
        self._ready: queue.Queue = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self.synthesis_seconds = 0.0
        self._thread = threading.Thread(target=self._produce, name="speaker-speech", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for index, sentence in enumerate(self._sentences):
                began = time.perf_counter()
                speech = self._voice.synthesize(sentence)
                if index + 1 < len(self._sentences) and len(speech.samples):
                    speech = _with_pause(speech, self._pause)
                self.synthesis_seconds += time.perf_counter() - began
                if len(speech.samples) and not self._put(("speech", speech)):
                    return
            self._put(("end", None))
        except BaseException as error:  # handed to the consumer, raised there
            self._put(("error", error))

    def __iter__(self) -> Iterator[Speech]:
        produced = 0
        try:
            while True:
                kind, item = self._ready.get()
                if kind == "error":
                    raise item
                if kind == "end":
                    break
                produced += 1
                yield item
        finally:
            self.close()
        if produced == 0:
            raise SpeakerError("The text is empty; give some words to say.")

    def close(self) -> None:
        """Stop the thread (the caller gave up early, or all is read) and wait for it.

        The thread stops between sentences; waiting for the one it is speaking
        matters because a process that exits while onnxruntime runs in a thread
        is aborted ("terminate called without an active exception").
        """
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=STOP_WAIT_SECONDS)


def synthesize_stream(text: str, preset: VoicePreset, seed: int = 0) -> SpeechStream:
    """Speak a script sentence by sentence; see :class:`SpeechStream`.

    Raises
    ------
    SpeakerError
        The text has no words, or the voice cannot be loaded (at once);
        synthesis errors are raised by the iteration.
    """
    return SpeechStream(text, preset, seed=seed)


def _with_pause(speech: Speech, pause: float) -> Speech:
    """``speech`` followed by ``pause`` seconds of silence (a ``SIL`` phone)."""
    count = int(round(max(0.0, pause) * speech.sample_rate))
    if count == 0:
        return speech
    samples = np.concatenate([speech.samples, np.zeros(count, np.float32)])
    phones = merge_silences(
        list(speech.phones) + [Phone("SIL", speech.duration, len(samples) / speech.sample_rate)]
    )
    return speech.with_timings(samples=samples, phones=phones)
