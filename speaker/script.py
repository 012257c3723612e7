"""Dialogue scripts: who says what, in which voice, under which name.

A script is UTF-8 text, one line per entry::

    # The Arnolfini couple, 1434
    voice 0 = calm          # face 0 (the leftmost) speaks with the "calm" preset
    voice 1 = orator
    name 0 = Giovanni       # shown in the subtitles instead of "Face 0"
    0: Good morning, my dear.
    1: Good morning. Did you sleep well?
    Giovanni: Like a log.   # a named face's lines may start with its name

Faces are numbered left to right from 0, as ``--face`` numbers them. Blank
lines and ``#`` comments are ignored. This module reads the text only; which
faces exist is the face stage's business, checked by the pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import SpeakerError
from .text import has_words

_LINE = re.compile(r"^\s*(\d+)\s*:\s*(.*?)\s*$")
#: A line spoken by a face called by its ``name N =`` header ("Obama: Hello.").
_NAMED_LINE = re.compile(r"^\s*([^:#]+?)\s*:\s*(.*?)\s*$")
_HEADER = re.compile(r"^\s*(voice|name)\s+(\d+)\s*=\s*(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ScriptLine:
    """One spoken line: the face (left to right from 0) and its words."""

    face: int
    text: str


@dataclass
class Script:
    """A parsed dialogue script.

    Attributes
    ----------
    lines : list of ScriptLine
        In the order they are spoken.
    voices : dict of int to str
        Voice preset name (or .toml path) per face; faces not named use ``"default"``.
    names : dict of int to str
        Name shown in the subtitles per face; others show as ``Face N``.
    """

    lines: list[ScriptLine]
    voices: dict[int, str] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    @property
    def faces(self) -> list[int]:
        """Every face the script mentions (lines and headers), in increasing order."""
        return sorted({line.face for line in self.lines} | set(self.voices) | set(self.names))

    def label(self, face: int) -> str:
        """How the subtitles call a face."""
        return self.names.get(face, f"Face {face}")


def parse_script(text: str) -> Script:
    """Read a dialogue script (see the module's documentation for the format).

    Raises
    ------
    SpeakerError
        A line that is neither ``N: text`` nor a header, a line with no
        words, or a script without any line to speak.
    """
    lines: list[ScriptLine] = []
    voices: dict[int, str] = {}
    names: dict[int, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        content = raw.strip()
        if not content or content.startswith("#"):
            continue
        # A comment may follow a header; a spoken line keeps every character it has.
        header = _HEADER.match(content.split("#", 1)[0])
        if header:
            kind, face, value = header.group(1).lower(), int(header.group(2)), header.group(3).strip()
            (voices if kind == "voice" else names)[face] = value
            continue
        spoken = _LINE.match(content)
        named = None if spoken else _NAMED_LINE.match(content)
        called = {name.casefold(): face for face, name in names.items()}
        if spoken:
            face, words = int(spoken.group(1)), spoken.group(2)
        elif named and named.group(1).casefold() in called:
            face, words = called[named.group(1).casefold()], named.group(2)
        else:
            raise SpeakerError(
                f"Line {number} of the script is neither 'N: words' (or 'NAME: words' after 'name N = NAME') nor a "
                f"header like 'voice 0 = calm': {content[:60]!r}."
            )
        if not has_words(words):
            raise SpeakerError(f"Line {number} of the script gives face {face} no words to say.")
        lines.append(ScriptLine(face, words))
    if not lines:
        raise SpeakerError("The script has no lines to speak; write lines like '0: Good morning.'.")
    return Script(lines=lines, voices=voices, names=names)
