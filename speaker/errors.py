"""The one exception type for problems a user can fix, and the one warning type.

A :class:`SpeakerError` stops the run with a sentence for the user. A
:class:`SpeakerWarning` (raised through :func:`warn`) tells the user that a
better path failed and a worse one took over; the run goes on. The CLI prints
each warning as one line on stderr (also with ``--quiet``), and
:class:`speaker.pipeline.SpeakResult` lists the warnings of its run.
"""

from __future__ import annotations

import warnings


class SpeakerError(Exception):
    """A problem with the user's input or settings, with the sentence to show.

    The CLI prints ``str(error)`` as a single line and exits non-zero; anything
    that is not a ``SpeakerError`` is a bug in speaker.
    """


class SpeakerWarning(UserWarning):
    """A fallback was taken, or something the user should know; the sentence to show."""


def warn(message: str) -> None:
    """Tell the user, in one sentence, that a worse path took over (never silently)."""
    warnings.warn(message, SpeakerWarning, stacklevel=2)
