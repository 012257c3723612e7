"""Files the stages write: outputs written atomically, and the cache of assembled models;
and the text files users give (a script, a transcript).

Outputs are written under a hidden partial name beside them, then renamed into place.

Every stage that writes a file the user asked for (video, subtitles, track,
contact sheet, batch report) writes it this way, so an interrupted or failed
run never leaves a half-written file under the real name, and two runs saving
into one folder never write the same temporary file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from .errors import SpeakerError


def partial_path(path: str | os.PathLike) -> Path:
    """A unique hidden name beside ``path``: ``.<name>.partial-<8 hex digits>``."""
    path = Path(path)
    return path.parent / f".{path.name}.partial-{secrets.token_hex(4)}"


@contextlib.contextmanager
def replaced_atomically(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a partial path to write; it replaces ``path`` when the block ends, and is removed if it fails.

    >>> with replaced_atomically("notes.txt") as partial:   # doctest: +SKIP
    ...     partial.write_text("hello")
    """
    partial = partial_path(path)
    try:
        yield partial
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def cache_dir() -> Path:
    """Where models assembled from package data are kept.

    ``$SPEAKER_CACHE``, else ``$XDG_CACHE_HOME/speaker``, else ``~/.cache/speaker``.
    """
    if os.environ.get("SPEAKER_CACHE"):
        return Path(os.environ["SPEAKER_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "speaker"


def write_to_cache(path: Path, data: bytes, what: str) -> None:
    """Write ``data`` atomically at ``path`` in the cache (its folders made).

    Raises
    ------
    SpeakerError
        The cache cannot be written; the sentence names ``what`` (e.g. "the Kokoro model").
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replaced_atomically(path) as partial:
            partial.write_bytes(data)
    except OSError as error:
        raise SpeakerError(
            f"Cannot write {what} to the cache {path.parent} ({error.strerror}); set SPEAKER_CACHE to a writable folder."
        ) from None


#: Suffixes that make a --transcript value a file's name even before it exists (else it is the words).
TEXT_FILE_SUFFIXES = frozenset({".txt", ".text", ".md"})


def read_text_file(path: str | os.PathLike, what: str) -> str:
    """The text of a user's UTF-8 file (a byte-order mark, as Windows' Notepad writes, left out).

    ``what`` names the file in the sentence of a :class:`~speaker.errors.SpeakerError`: missing, a
    folder, unreadable, or not UTF-8 (a file saved as Windows' "ANSI" or Latin-1).
    """
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpeakerError(f"The {what} file {path} does not exist.") from None
    except IsADirectoryError:
        raise SpeakerError(f"The {what} file {path} is a folder; give the path of a text file.") from None
    except UnicodeDecodeError as error:
        raise SpeakerError(f"The {what} file {path} is not UTF-8 text (byte 0x{error.object[error.start]:02x} at "
                           f"position {error.start}); save it as UTF-8.") from None
    except OSError as error:
        raise SpeakerError(f"Cannot read the {what} file {path}: {error.strerror or error}.") from None


def transcript_text(value: str | None) -> str | None:
    """A ``--transcript`` value's words: the text of the file it names, else the value itself."""
    if value is None:
        return None
    path = Path(value)
    if path.suffix.lower() in TEXT_FILE_SUFFIXES or path.is_file():
        return read_text_file(path, "transcript")
    return value
