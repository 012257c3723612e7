"""speaker: make a portrait photo speak.

>>> import speaker
>>> result = speaker.speak("lincoln.jpg", text="Four score and seven years ago", out="lincoln.mp4")
>>> result.path, result.audio_seconds

Heavy libraries (piper, dlib, pocketsphinx, onnxruntime) are imported only
when a stage first needs them, so importing this package is instant.
"""

from __future__ import annotations

from .errors import SpeakerError

__version__ = "0.1.0"
__all__ = ["SpeakerError", "speak", "__version__"]


def speak(*args, **kwargs):
    """Render a talking portrait; see :func:`speaker.pipeline.speak`."""
    from .pipeline import speak as _speak

    return _speak(*args, **kwargs)
