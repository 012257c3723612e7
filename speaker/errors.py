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


#: How pydantic's checks read as the end of a sentence about a setting (``ctx`` fills the braces).
_PROBLEMS = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "literal_error": "must be {expected}",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "extra_forbidden": "is not a setting",
    "missing": "is missing",
    "path_type": "must name a file",
    "string_type": "must be text",
}


def invalid_setting(error, flags: bool = True) -> SpeakerError:
    """The :class:`SpeakerError` for a settings model's first failed check (a pydantic ``ValidationError``).

    ``--motion-scale must be at most 3 (given: 5).`` With ``flags`` the setting is named as its
    command-line flag (the batch manifest's columns and the web form take the same names),
    otherwise as written (``speed`` in a voice preset).
    """
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if flags:
        where = "--" + where.replace("_", "-")
    template = _PROBLEMS.get(first["type"])
    context = {key: _plain(value) for key, value in first.get("ctx", {}).items()}
    problem = template.format(**context) if template else first["msg"].removeprefix("Input ").lower()
    given = first.get("input")
    shown = ("" if first["type"] in ("missing", "extra_forbidden") or isinstance(given, dict)
             else f" (given: {_plain(given)!r})")
    return SpeakerError(f"{where} {problem}{shown}.")


def _plain(value):
    """A float with nothing after the point as the whole number it is (``3``, not ``3.0``)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
