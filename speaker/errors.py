"""The one exception type for problems a user can fix."""


class SpeakerError(Exception):
    """A problem with the user's input or settings, with the sentence to show.

    The CLI prints ``str(error)`` as a single line and exits non-zero; anything
    that is not a ``SpeakerError`` is a bug in speaker.
    """
