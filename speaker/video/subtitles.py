"""Subtitles (SubRip .srt and WebVTT .vtt) from timed words.

Words are grouped into cues a viewer can read: at most two lines of
:data:`MAX_LINE_CHARS` characters, at most :data:`MAX_CUE_SECONDS` on
screen, a new cue after the end of a sentence (not after an abbreviation that
goes on, "Mr. Hayes": :func:`speaker.text.ends_sentence`) or a pause. Where a
limit ends a cue, it ends before words that are read together rather than
between them (:func:`_holds_together`: "Mr. | Hayes", "Oct. 4, | 1822", "$1.5 |
million"), unless their cue would then be over a limit; clause ends and pauses
do not split them, and lines are wrapped the same way.

Words that name their speaker (:attr:`speaker.types.Word.speaker`, set by a
dialogue) start a new cue where the speaker changes, and every cue names its
speaker: ``Lincoln: Four score`` in the .srt, which has no markup for it, and
a WebVTT voice span in the .vtt, ``<v Lincoln>Lincoln: Four score</v>``, with
the name in the text too: browsers use a voice only for styling, ffmpeg drops it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..files import replaced_atomically
from ..text import CLOSING_PUNCTUATION, ends_sentence, has_words, said_together
from ..types import Word

#: Characters per subtitle line (the usual broadcast limit).
MAX_LINE_CHARS = 42
#: Lines per cue.
MAX_LINES = 2
#: Longest time one cue stays on screen, seconds.
MAX_CUE_SECONDS = 5.0
#: A silence longer than this between two words starts a new cue, seconds.
PAUSE_SECONDS = 0.4
#: Short cues are held up to this long (never over the next cue), seconds.
MIN_CUE_SECONDS = 0.8
#: A clause ending (comma, semicolon, colon) closes a cue once it holds this many characters.
CLAUSE_BREAK_CHARS = 30

_CLAUSE_ENDS = (",", ";", ":", "—", "，", "；", "：", "、")
#: A year as a date's last word ("1822" of "Oct. 4, 1822").
_YEAR = re.compile(r"\d{4}\b")
#: Characters per line of Chinese or Japanese (each about two Latin letters wide).
MAX_LINE_CJK_CHARS = 18
#: Chinese/Japanese characters and their punctuation: written without spaces between words.
_CJK = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


@dataclass
class Cue:
    """One subtitle: its lines and when it shows.

    Attributes
    ----------
    start, end : float
        Seconds.
    lines : list of str
        The text shown, wrapped; it begins ``NAME: `` when ``speaker`` is set.
    speaker : str or None
        Who says every word of the cue; None where the words name no speaker.
    """

    start: float
    end: float
    lines: list[str]
    speaker: str | None = None


def write_subtitles(words: list[Word], path_stem: str | Path) -> list[Path]:
    """Write ``<path_stem>.srt`` and ``<path_stem>.vtt``, each atomically.

    Parameters
    ----------
    words : list of Word
        Timed words in order (seconds). Tokens made only of punctuation are
        attached to the word before them. Words with a ``speaker`` (a
        dialogue) give cues of one speaker each, named in every cue.
    path_stem : str or Path
        The files' path without extension (``out/talk`` gives ``out/talk.srt``
        and ``out/talk.vtt``); a dot in it is kept (``v1.2`` gives ``v1.2.srt``).

    Returns
    -------
    list of Path
        ``[srt_path, vtt_path]``.
    """
    cues = group_cues(words)
    srt_path, vtt_path = subtitle_paths(path_stem)
    for path, text in ((srt_path, format_srt(cues)), (vtt_path, format_vtt(cues))):
        with replaced_atomically(path) as partial:
            partial.write_text(text, encoding="utf-8")
    return [srt_path, vtt_path]


def subtitle_paths(path_stem: str | Path) -> tuple[Path, Path]:
    """``(<path_stem>.srt, <path_stem>.vtt)``, the files :func:`write_subtitles` writes."""
    stem = str(Path(path_stem).expanduser())
    return Path(stem + ".srt"), Path(stem + ".vtt")


def group_cues(words: list[Word]) -> list[Cue]:
    """Group timed words into readable cues (see the module's limits).

    A cue holds the words of one speaker (:attr:`speaker.types.Word.speaker`);
    its lines begin with ``NAME: `` where the words name one. The name counts
    in the lines' lengths, not in the length that lets a clause end a cue.
    """
    tokens = _merge_punctuation(words)
    texts = [token.text for token in tokens]
    # together[i]: no cue should end between tokens i and i + 1.
    together = [_held_at(texts, index) for index in range(len(texts) - 1)]
    groups: list[list[Word]] = []
    current: list[Word] = []
    for index, word in enumerate(tokens):
        if current:
            paused = word.start - current[-1].end > PAUSE_SECONDS
            if word.speaker != current[0].speaker or (paused and not together[index - 1]):
                groups.append(current)
                current = []
            elif not _fits(current + [word]):
                cut = _free_cut(current, word, together[index - len(current):index])
                groups.append(current[:cut])
                current = current[cut:]
        current.append(word)
        text = _join(current)  # the words said: a name before them makes no clause longer
        following = texts[index + 1] if index + 1 < len(tokens) else None
        long_enough = len(text) >= CLAUSE_BREAK_CHARS * _line_limit(text) // MAX_LINE_CHARS
        clause_ends = word.text.endswith(_CLAUSE_ENDS) and long_enough and not (following and together[index])
        if ends_sentence(word.text, following) or clause_ends:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    _no_lone_last_words(groups, together)

    cues = [Cue(group[0].start, group[-1].end, _wrap(_shown(group)), group[0].speaker) for group in groups]
    for index, cue in enumerate(cues):
        limit = cues[index + 1].start if index + 1 < len(cues) else float("inf")
        cue.end = min(max(cue.end, cue.start + MIN_CUE_SECONDS), max(limit, cue.end))
    return cues


def _holds_together(before: str | None, word: str, following: str) -> bool:
    """True when a reader would not have a cue or a line end between the written ``word`` and ``following``.

    That is after an abbreviation's full stop that does not close the sentence ("Mr. | Hayes",
    "St. | Louis", "J. | Smith": :func:`speaker.text.ends_sentence`), inside a date, an amount or a
    name read as one (:func:`speaker.text.said_together`: "$1.5 | million", "44 | BC"), and between
    a date's day and its year ("Oct. 4, | 1822", where ``before`` is the month).
    """
    if word.endswith(".") and not ends_sentence(word, following):
        return True
    day_of_month = before is not None and word[:1].isdigit() and word.endswith(",") and said_together(before, word[:-1])
    return said_together(word, following) or bool(day_of_month and _YEAR.match(following))


def _held_at(texts: list[str], index: int) -> bool:
    """True when no cue or line should end between ``texts[index]`` and ``texts[index + 1]`` (:func:`_holds_together`)."""
    return _holds_together(texts[index - 1] if index else None, texts[index], texts[index + 1])


def _fits(words: list[Word]) -> bool:
    """True when these words make a cue within the lines and the time a cue may have, its lines not
    parting words read together."""
    text = _shown(words)
    lines = _wrap(text)
    if len(lines) == 2:
        first = lines[0].split(" ")
        if _held_at(first + lines[1].split(" ")[:1], len(first) - 1):
            return False
    return (len(lines) <= MAX_LINES and all(len(line) <= _line_limit(text) for line in lines)
            and words[-1].end - words[0].start <= MAX_CUE_SECONDS)


def _free_cut(current: list[Word], word: Word, together: list[bool]) -> int:
    """How many words of ``current`` stay in its cue when ``word`` does not fit after it.

    All of them, unless ``word`` is read with the word before it ("$1.5 | million"): then the
    last words of ``current`` that fit in a cue with ``word`` and do not begin inside words read
    together go on with it ("$1.5"). ``together[i]`` tells whether ``current[i]`` is read with the
    word after it (the last, with ``word``).
    """
    if together[-1]:
        for cut in range(len(current) - 1, 0, -1):
            if not together[cut - 1] and _fits(current[cut:] + [word]):
                return cut
    return len(current)


def _no_lone_last_words(groups: list[list[Word]], together: list[bool]) -> None:
    """A sentence's last word alone in its cue ("1881." after "of the U.S. from 1877 to", cut at
    :data:`MAX_CUE_SECONDS`) takes the word before it from the cue before, which reads as a broken line
    otherwise, with the words read together with that word ("Oct. 4," before "1822."; ``together`` as
    :func:`group_cues` makes it), where they fit in its cue; in place."""
    start = 0  # where the cue before begins among all the words
    for index in range(1, len(groups)):
        before, lone = groups[index - 1], groups[index]
        end = start + len(before)
        moved = 1
        while moved < len(before) and together[end - moved - 1]:
            moved += 1
        continued = not ends_sentence(before[-1].text, lone[0].text) and before[-1].speaker == lone[0].speaker
        near = before[-1].end >= lone[0].start - PAUSE_SECONDS
        if len(lone) == 1 and len(before) >= moved + 2 and continued and near and _fits(before[-moved:] + lone):
            lone[:0] = before[-moved:]
            del before[-moved:]
        start += len(before)


def format_timestamp(seconds: float, separator: str) -> str:
    """``HH:MM:SS<separator>mmm`` (``,`` for SRT, ``.`` for WebVTT)."""
    millis = max(0, int(round(seconds * 1000)))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def format_srt(cues: list[Cue]) -> str:
    """SubRip text: numbered cues from 1, ``00:00:01,234 --> 00:00:02,000``."""
    blocks = [
        f"{number}\n{format_timestamp(cue.start, ',')} --> {format_timestamp(cue.end, ',')}\n" + "\n".join(cue.lines)
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def format_vtt(cues: list[Cue]) -> str:
    """WebVTT text: the ``WEBVTT`` header, then ``00:00:01.234 --> 00:00:02.000`` cues.

    A cue with a speaker is one voice span, ``<v Lincoln>Lincoln: Four score</v>``.
    """
    blocks = [
        f"{format_timestamp(cue.start, '.')} --> {format_timestamp(cue.end, '.')}\n" + _voiced(cue)
        for cue in cues
    ]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + ("\n" if blocks else "")


def _voiced(cue: Cue) -> str:
    """The cue's lines as WebVTT cue text ("&" and "<" escaped: "Smith & Sons", "a < b" would be read as
    markup), in a voice span when it has a speaker (the name escaped as the annotation needs)."""
    text = "\n".join(cue.lines).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if cue.speaker is None:
        return text
    name = " ".join(cue.speaker.split()).replace("&", "&amp;").replace(">", "&gt;")
    return f"<v {name}>{text}</v>"


def _merge_punctuation(words: list[Word]) -> list[Word]:
    """Drop empty words; glue tokens of closing punctuation only (",", "?!", ")") onto the word before.

    Other tokens without letters stay words of their own: "Smith & Sons", "came — and went".
    """
    merged: list[Word] = []
    for word in words:
        text = " ".join(word.text.split())
        if not text:
            continue
        if merged and not has_words(text) and text[0] in CLOSING_PUNCTUATION:
            previous = merged[-1]
            merged[-1] = replace(previous, text=previous.text + text, end=max(previous.end, word.end))
        else:
            merged.append(replace(word, text=text))
    return merged


def _shown(words: list[Word]) -> str:
    """The text of a cue of these words: ``NAME: `` first where the first word names its speaker."""
    speaker = words[0].speaker
    return _join(words) if speaker is None else f"{speaker}: {_join(words)}"


def _join(words: list[Word]) -> str:
    """The words' texts joined by spaces, except between two Chinese/Japanese characters."""
    text = ""
    for word in words:
        if text and not (_CJK.match(text[-1]) and _CJK.match(word.text[0])):
            text += " "
        text += word.text
    return text


def _line_limit(text: str) -> int:
    return MAX_LINE_CJK_CHARS if _CJK.search(text) else MAX_LINE_CHARS


def _wrap(text: str) -> list[str]:
    """One line if it fits, else the two-line split with the most even lengths that does not part
    words read together (:func:`_holds_together`), or the most even; greedy lines where none fits.

    Text without spaces (Chinese) is split between characters.
    """
    limit = _line_limit(text)
    if len(text) <= limit:
        return [text]
    if " " not in text:
        half = (len(text) + 1) // 2
        return [text[i:i + max(half, limit)] for i in range(0, len(text), max(half, limit))]
    words = text.split(" ")

    def longest(cut: int) -> int:
        return max(len(" ".join(words[:cut])), len(" ".join(words[cut:])))

    fitting = sorted((cut for cut in range(1, len(words)) if longest(cut) <= limit), key=longest)
    if fitting:
        cut = next((cut for cut in fitting if not _held_at(words, cut - 1)), fitting[0])
        return [" ".join(words[:cut]), " ".join(words[cut:])]
    lines = [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > limit:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines

