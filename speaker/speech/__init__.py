"""Text to speech with phone timings.

>>> from speaker.settings import load_voice_preset
>>> speech = synthesize("Bob made maps.", load_voice_preset("default"))
>>> speech.phones[1].symbol, speech.duration

Layers, as in piper: :func:`load_voice` gives a :class:`Voice` that can
``phonemize``, ``synthesize`` one sentence or ``stream`` a text sentence by
sentence; :func:`synthesize` speaks a whole script.
"""

from __future__ import annotations

from ..errors import SpeakerError
from ..settings import VoicePreset
from ..types import Speech
from .core import Voice, concatenate, has_words, load_engine, split_sentences

__all__ = ["Voice", "concatenate", "has_words", "load_voice", "split_sentences", "synthesize"]


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
