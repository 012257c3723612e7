"""Text checks shared by the stages (speech, timing, subtitles, scripts)."""

from __future__ import annotations

import re

#: A letter or digit in any script (a word character that is not "_").
_SPEAKABLE = re.compile(r"[^\W_]")


def has_words(text: str | None) -> bool:
    """True when ``text`` holds at least one letter or digit."""
    return bool(_SPEAKABLE.search(text or ""))


#: Writing systems that tell a text's language on their own: kana (Japanese),
#: Hangul (Korean) and Han characters (Chinese, when no kana is among them).
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
#: The share of a text's letters a writing system must have to name its language.
SCRIPT_SHARE = 0.5
LANGUAGE_NAMES = {"zh": "Chinese", "ja": "Japanese", "ko": "Korean"}


def written_language(text: str | None) -> str | None:
    """The language that ``text``'s writing system tells (``"zh"``, ``"ja"``, ``"ko"``), or None.

    A writing system counts when at least :data:`SCRIPT_SHARE` of the text's
    letters are its own; Latin, Cyrillic and the other alphabets are shared by
    many languages and tell none.
    """
    letters = _SPEAKABLE.findall(text or "")
    share = SCRIPT_SHARE * len(letters)

    def count(pattern: re.Pattern) -> int:
        return sum(1 for letter in letters if pattern.match(letter))

    kana, hangul, han = count(_KANA), count(_HANGUL), count(_HAN)
    if kana and kana + han >= share:
        return "ja"  # Japanese writes Han characters among its kana
    if letters and hangul >= share:
        return "ko"
    if letters and han >= share:
        return "zh"
    return None



def is_english(language: str | None) -> bool:
    """True for an English language code (``en``, ``en-US``, ``en_GB``...); False for None."""
    return bool(language) and language.lower().replace("_", "-").split("-")[0] == "en"


# English text as it is spoken
# ----------------------------
# espeak-ng (Piper's and Kokoro's phonemizer) reads "1822" as "one thousand eight
# hundred twenty two", "Oct." as "ockt", and takes the full stop of every
# abbreviation before a capital or a digit for a sentence end (a pause). The
# synthesizers are therefore given each written word's spoken form, while the
# subtitles keep the written words.

#: What closes a sentence, in Latin and in Chinese/Japanese writing.
SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？")
#: Closing quotes and brackets that may follow a sentence's end ("He left.)").
_CLOSING = "\"'”’)]"
#: Opening quotes and brackets that may come before a word.
_OPENING = "\"'“‘(["

#: Titles written before a name ("Mr. Hayes"), as said.
_TITLES = {
    "mr": "Mister", "mrs": "Missus", "ms": "Miz", "dr": "Doctor", "prof": "Professor", "st": "Saint",
    "mt": "Mount", "ft": "Fort", "gen": "General", "col": "Colonel", "lt": "Lieutenant", "sgt": "Sergeant",
    "capt": "Captain", "adm": "Admiral", "maj": "Major", "rev": "Reverend", "gov": "Governor",
    "sen": "Senator", "pres": "President", "hon": "Honorable",
}
#: Month abbreviations, as said. "Jan." (a name) and "Mar." (the verb "mar") are
#: words too, so all are expanded only next to a number, where they can only be dates.
_MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "jun": "June", "jul": "July",
    "aug": "August", "sep": "September", "sept": "September", "oct": "October", "nov": "November",
    "dec": "December",
}
#: Abbreviations written before a number ("No. 5", "Fig. 3", "c. 1503"), as said.
_BEFORE_NUMBER = {"no": "number", "nos": "numbers", "fig": "figure", "figs": "figures"}
#: "c." and "ca." (circa) before a year, as museum labels date works ("c. 1503").
_CIRCA = ("c", "ca")
#: Abbreviations that may come anywhere inside a sentence, as said.
_INSIDE = {"e.g": "for example", "i.e": "that is", "vs": "versus", "cf": "compare", "etc": "et cetera",
           "jr": "Junior", "sr": "Senior"}
#: Of those, the ones that often close a sentence too, as a dotted initialism does
#: ("... in the U.S. He ..." but "the U.S. Army"; see :func:`ends_sentence`).
_MAY_END = frozenset({"etc", "jr", "sr"})
#: Capitalised, these words begin a sentence rather than go on with a name: the
#: pronouns, articles, demonstratives, conjunctions and prepositions sentences
#: commonly start with (a closed class; a name's next word, "Army", is not in it).
_SENTENCE_OPENERS = frozenset(
    "a an the this that these those there here it its he his him she her they their them we our i my you "
    "your in on at by for from with of to after before during since until when while where if as but and "
    "or so yet then however although though later today now".split()
)
#: A dotted initialism: "U.S.", "D.C.", "a.m.".
_INITIALISM = re.compile(r"(?:[^\W\d_]\.){2,}")

#: A year: 1100 to 2099, four digits.
_YEAR = re.compile(r"(1[1-9]|20)\d\d")
#: A written word split into opening punctuation, its core and closing punctuation;
#: a currency or number sign and a per cent sign stay in the core ("$1822", "1822%"
#: are no years).
_AFFIXES = re.compile(r"(?P<lead>[^\w$£€¥#]*)(?P<core>.*?)(?P<trail>[^\w%]*)", re.DOTALL)
#: Dashes between the years of a range ("1877–1881", "1877 - 1881").
_DASHES = ("-", "–", "—")
#: "c." or "ca." written against a year ("c.1503").
_CIRCA_PREFIX = re.compile(r"ca?\.", re.IGNORECASE)

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def ends_sentence(word: str, following: str | None) -> bool:
    """True when the written ``word`` closes its sentence, given the word after it.

    A word ending in ``!``, ``?`` or ``…`` (perhaps before closing quotes or
    brackets) closes its sentence; so does one ending in a full stop, unless
    that full stop marks an abbreviation that goes on: a title before a name
    ("Mr. Hayes"), a single initial ("J. Smith"), "e.g." or "vs.", a month or
    "No." or "c." before a number ("Oct. 4", "c. 1503"). A dotted initialism
    ("U.S."), "etc." or "Jr." closes a sentence only before a capitalised word
    that sentences begin with ("... of the U.S. He ...", not "... of the U.S.
    from ..." nor "the U.S. Army"). The last word of a text (``following``
    None) always closes it.
    """
    stripped = word.rstrip(_CLOSING)
    if not stripped.endswith(SENTENCE_ENDS):
        return False
    if following is None or not stripped.endswith(".") or stripped.endswith(".."):
        return True
    if stripped != word:
        return True  # a full stop inside quotes or brackets closes what they hold
    key = stripped.lstrip(_OPENING)[:-1].lower()
    next_core = following.lstrip(_OPENING)
    before_number = next_core[:1].isdigit()
    if key in _TITLES or (key in _INSIDE and key not in _MAY_END) or (len(key) == 1 and key.isalpha()):
        return False
    if (key in _MONTHS or key in _BEFORE_NUMBER or key in _CIRCA) and before_number:
        return False
    if key in _MAY_END or _INITIALISM.fullmatch(key + "."):
        opener = next_core.rstrip(_CLOSING + ".,;:!?")
        return opener[:1].isupper() and opener.lower() in _SENTENCE_OPENERS
    return True


def spoken_words(text: str) -> list[tuple[str, str]]:
    """Each written word of English text with how it is said.

    Written words are the whitespace-separated tokens of ``text`` that hold a
    letter or digit; a spoken form keeps the word's punctuation ("1822," ->
    "eighteen twenty-two,").

    - Years (1100 to 2099, four digits, not after ``$``, ``#`` or "No.", not
      before ``%``) are read in pairs: "1822" -> "eighteen twenty-two", "1905"
      -> "nineteen oh five", "2008" -> "two thousand eight", "2015" ->
      "twenty fifteen"; decades: "1860s" -> "eighteen sixties"; ranges:
      "1877–1881" -> "eighteen seventy-seven to eighteen eighty-one" (a dash
      standing between two years is said "to" with the year before it).
    - "c." or "ca." before a year is "circa"; a month abbreviation next to a
      number is the month ("Oct. 4" -> "October 4"); a title before a name is
      the title ("Mr. Hayes" -> "Mister Hayes"); "No." and "Fig." before a
      number, "e.g.", "i.e.", "vs.", "etc.", "Jr." are said in full.
    - The full stop of an abbreviation that does not close the sentence
      (:func:`ends_sentence`) is dropped ("U.S." -> "U.S"), so that espeak-ng
      does not pause there as at a sentence's end.

    Everything else (other numbers, ordinals, initialisms, words) is left for
    espeak-ng, which reads it right.

    Returns
    -------
    list of (str, str)
        ``(written, spoken)`` for every written word, in order.
    """
    words: list[tuple[str, str]] = []
    for token, said in _spoken_tokens(text):
        if has_words(token):
            words.append((token, said))
        elif has_words(said) and words:  # only a dash after a year is said ("to")
            words[-1] = (words[-1][0], f"{words[-1][1]} {said}")
    return words


def spoken_text(text: str) -> str:
    """English ``text`` as it is said (see :func:`spoken_words`), its punctuation kept."""
    return " ".join(said for _, said in _spoken_tokens(text))


def _spoken_tokens(text: str) -> list[tuple[str, str]]:
    """Every whitespace-separated token of ``text`` with how it is said."""
    tokens = text.split()
    spoken = []
    for index, token in enumerate(tokens):
        before = tokens[index - 1] if index > 0 else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        spoken.append((token, _spoken_token(token, before, after)))
    return spoken


def number_words(number: int) -> str:
    """English words of 0 to 99, compounds hyphenated: 22 -> "twenty-two"."""
    if number < 20:
        return _ONES[number]
    tens, ones = divmod(number, 10)
    return _TENS[tens] + ("" if ones == 0 else "-" + _ONES[ones])


def year_words(year: int) -> str:
    """A year as said: in pairs (1822 -> "eighteen twenty-two", 1900 -> "nineteen hundred",
    1905 -> "nineteen oh five", 2015 -> "twenty fifteen"), but 2000 to 2009 in thousands
    ("two thousand", "two thousand eight")."""
    high, low = divmod(year, 100)
    if 2000 <= year <= 2009:
        return "two thousand" + (f" {_ONES[low]}" if low else "")
    if low == 0:
        return f"{number_words(high)} hundred"
    return f"{number_words(high)} " + (f"oh {_ONES[low]}" if low < 10 else number_words(low))


def decade_words(year: int) -> str:
    """A decade as said: 1860 -> "eighteen sixties", 1900 -> "nineteen hundreds"."""
    words = year_words(year)
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _split_affixes(token: str) -> tuple[str, str, str]:
    """(opening punctuation, core, closing punctuation) of a written word."""
    match = _AFFIXES.fullmatch(token)
    return match["lead"], match["core"], match["trail"]


def _year_of(token: str | None, before: str | None) -> str | None:
    """The spoken form of ``token`` when it is a year, a decade or a range of years, else None."""
    if token is None:
        return None
    lead, core, trail = _split_affixes(token)
    if before is not None and before.lower().rstrip(".") in ("no", "nos", "#", "number"):
        return None  # "No. 1822" is a number
    possessive = ""
    if core[-2:] in ("'s", "’s") and _YEAR.fullmatch(core[:-2]):
        core, possessive = core[:-2], core[-2:]
    if _YEAR.fullmatch(core):
        return lead + year_words(int(core)) + possessive + trail
    if core.endswith("s") and _YEAR.fullmatch(core[:-1]) and core[-2] == "0":
        return lead + decade_words(int(core[:-1])) + trail
    for dash in _DASHES:
        first, _, last = core.partition(dash)
        if _YEAR.fullmatch(first) and (_YEAR.fullmatch(last) or (len(last) == 2 and last.isdigit())):
            # "1877–81": the second year is said as written, its century understood.
            end = year_words(int(last)) if len(last) == 4 else _two_digit_year(int(last))
            return f"{lead}{year_words(int(first))} to {end}{trail}"
    return None


def _two_digit_year(low: int) -> str:
    return f"oh {_ONES[low]}" if low < 10 else number_words(low)


def _spoken_token(token: str, before: str | None, after: str | None) -> str:
    """How one written word is said, given its neighbours (see :func:`spoken_words`)."""
    year = _year_of(token, before)
    if year is not None:
        return year
    lead, core, trail = _split_affixes(token)
    if token in _DASHES and _year_of(before, None) and _year_of(after, token):
        return "to"  # "1877 – 1881"
    circa = _CIRCA_PREFIX.match(core)
    year_after_circa = _year_of(token[len(lead) + circa.end():], None) if circa else None
    if year_after_circa:
        return f"{lead}circa {year_after_circa}"  # "c.1503"
    if not trail.startswith(".") or not core:
        return token
    key = core.lower()
    number_follows = after is not None and after.lstrip(_OPENING)[:1].isdigit()
    number_precedes = before is not None and before.rstrip(_CLOSING + ".,;:")[-1:].isdigit()
    capital_follows = after is not None and after.lstrip(_OPENING)[:1].isupper()
    closes = ends_sentence(token, after)
    # The abbreviation's full stop is kept only where it also closes the sentence.
    rest = trail if closes else trail[1:]
    if key in _CIRCA and _year_of(after, token):
        return lead + "circa" + rest
    if key in _MONTHS and (number_follows or number_precedes):
        return lead + _MONTHS[key] + rest
    if key in _TITLES and capital_follows:
        return lead + _TITLES[key] + rest
    if key in _BEFORE_NUMBER and number_follows:
        return lead + _BEFORE_NUMBER[key] + rest
    if key in _INSIDE:
        return lead + _INSIDE[key] + rest
    if not closes and (_INITIALISM.fullmatch(core + ".") or (len(key) == 1 and key.isalpha())):
        return lead + core + rest  # "U.S" and "J": read as letters, without a pause
    return token
