"""The Piper TTS engine (espeak-ng phonemes, VITS voices in ONNX)."""

from __future__ import annotations

from ...settings import VoicePreset
from ..core import Voice


def load(preset: VoicePreset, seed: int = 0) -> Voice:
    """Load the Piper voice a preset names (the bundled en_US joe voice by default).

    ``seed`` seeds the voice's noise, so the same text gives the same audio.

    Raises
    ------
    SpeakerError
        Missing or unreadable model or config file, bad speaker id.
    """
    from .voice import PiperVoiceBackend

    return PiperVoiceBackend(preset, seed=seed)
