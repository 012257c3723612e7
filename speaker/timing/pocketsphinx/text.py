"""Turning a written transcript into the words pocketsphinx's dictionary knows."""

from __future__ import annotations

import re

from ...text import number_words, spoken_words, year_words

_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_ENDINGS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth",
    "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}

#: A written token: a number (with separators, decimals, ordinal suffix) or
#: a word (letters with inner apostrophes).
_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]+)*")

#: Crude letter-to-sound rules for words missing from the dictionary: longest
#: spelling first. Good enough to give the aligner the right number of
#: sounds of roughly the right kind.
_LETTER_SOUNDS: tuple[tuple[str, str], ...] = (
    ("tch", "CH"), ("sch", "SH K"), ("igh", "AY"),
    ("sh", "SH"), ("ch", "CH"), ("th", "TH"), ("ph", "F"), ("ck", "K"), ("ng", "NG"),
    ("qu", "K W"), ("wh", "W"), ("kn", "N"), ("wr", "R"), ("gh", "G"),
    ("ee", "IY"), ("ea", "IY"), ("oo", "UW"), ("ou", "AW"), ("ow", "OW"), ("oi", "OY"),
    ("oy", "OY"), ("ai", "EY"), ("ay", "EY"), ("au", "AO"), ("aw", "AO"), ("ie", "IY"),
    ("ei", "EY"), ("ey", "IY"), ("oa", "OW"), ("ue", "UW"), ("ew", "UW"), ("er", "ER"),
    ("ir", "ER"), ("ur", "ER"), ("ar", "AA R"), ("or", "AO R"),
    ("a", "AE"), ("b", "B"), ("c", "K"), ("d", "D"), ("e", "EH"), ("f", "F"), ("g", "G"),
    ("h", "HH"), ("i", "IH"), ("j", "JH"), ("k", "K"), ("l", "L"), ("m", "M"), ("n", "N"),
    ("o", "AA"), ("p", "P"), ("q", "K"), ("r", "R"), ("s", "S"), ("t", "T"), ("u", "AH"),
    ("v", "V"), ("w", "W"), ("x", "K S"), ("y", "Y"), ("z", "Z"),
)


def number_to_words(number: int) -> str:
    """English words of a whole number, e.g. 342 -> "three hundred forty two"."""
    if number < 0:
        return "minus " + number_to_words(-number)
    if number < 100:
        return number_words(number).replace("-", " ")  # the dictionary knows "forty" and "two", not "forty-two"
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return number_words(hundreds) + " hundred" + ("" if rest == 0 else " " + number_to_words(rest))
    for scale, name in _SCALES:
        if number >= scale:
            high, rest = divmod(number, scale)
            return number_to_words(high) + " " + name + ("" if rest == 0 else " " + number_to_words(rest))
    raise AssertionError("unreachable")


def _ordinal(words: str) -> str:
    *head, last = words.split()
    if last in _ORDINAL_ENDINGS:
        last = _ORDINAL_ENDINGS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last = last + "th"
    return " ".join([*head, last])


def spoken_number(token: str) -> str:
    """Words for a written number token ("1,200", "1863", "3.5", "21st")."""
    suffix = token[-2:] if token[-2:] in ("st", "nd", "rd", "th") else ""
    digits = token[: len(token) - len(suffix)].replace(",", "")
    whole, _, fraction = digits.partition(".")
    value = int(whole) if whole else 0
    if not fraction and not suffix and "," not in token and len(whole) == 4 and (1100 <= value <= 1999 or 2010 <= value <= 2099):
        words = year_words(value).replace("-", " ")  # read in pairs: 1863 -> "eighteen sixty three"
    else:
        words = number_to_words(value)
    if fraction:
        words += " point " + " ".join(number_words(int(digit)) for digit in fraction)
    if suffix:
        words = _ordinal(words)
    return words


def normalize_transcript(transcript: str) -> list[tuple[str, int]]:
    """Lower-case spoken words of a transcript, each with its written word's index.

    Words are first put as they are said, as the speech stage says them
    (:func:`speaker.text.spoken_words`: "1877–1881" -> "eighteen seventy-seven to
    eighteen eighty-one", "Oct." -> "October", "c. 1503" -> "circa fifteen oh
    three"); then punctuation is dropped, the other numbers are spelt out,
    hyphenated words split.

    Returns
    -------
    list of (str, int)
        ``(spoken_word, index)`` where ``index`` counts the whitespace-separated
        tokens of ``transcript`` that hold a letter or digit.
    """
    spoken: list[tuple[str, int]] = []
    for index, (_, said) in enumerate(spoken_words(transcript)):
        cleaned = said.lower().replace("’", "'").replace("‘", "'")
        for match in _TOKEN.finditer(cleaned):
            piece = match.group(0)
            words = spoken_number(piece) if piece[0].isdigit() else piece
            spoken.extend((word, index) for word in words.split())
    return spoken


def written_words(transcript: str) -> list[str]:
    """The whitespace-separated tokens of a transcript holding a letter or digit."""
    return [token for token in transcript.split() if re.search(r"[^\W_]", token)]


def guess_pronunciation(word: str) -> str:
    """A rough ARPAbet pronunciation from spelling (for out-of-dictionary words).

    Returns
    -------
    str
        Space-separated phones, empty when the word has no letters a-z.
    """
    letters = re.sub(r"[^a-z]", "", word.lower())
    letters = re.sub(r"(.)\1", r"\1", letters)  # double letters sound once
    if len(letters) > 2 and letters.endswith("e") and letters[-2] not in "aeiou":
        letters = letters[:-1]  # silent final e
    phones: list[str] = []
    position = 0
    while position < len(letters):
        for spelling, sounds in _LETTER_SOUNDS:
            if letters.startswith(spelling, position):
                phones.extend(sounds.split())
                position += len(spelling)
                break
        else:
            position += 1
    return " ".join(phones)
