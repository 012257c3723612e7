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
__all__ = ["SpeakerError", "animate", "dialogue", "drive", "speak", "__version__"]


def speak(*args, **kwargs):
    """Render a talking portrait; see :func:`speaker.pipeline.speak`."""
    from .pipeline import speak as _speak

    return _speak(*args, **kwargs)


def animate(*args, **kwargs):
    """Bring a portrait to life without words; see :func:`speaker.pipeline.animate`."""
    from .pipeline import animate as _animate

    return _animate(*args, **kwargs)


def drive(*args, **kwargs):
    """Make a portrait perform a driving video; see :func:`speaker.pipeline.drive`."""
    from .pipeline import drive as _drive

    return _drive(*args, **kwargs)


def dialogue(*args, **kwargs):
    """Several faces of one photo speak a script in turn; see :func:`speaker.pipeline.dialogue`."""
    from .pipeline import dialogue as _dialogue

    return _dialogue(*args, **kwargs)
