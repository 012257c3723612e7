"""Text checks shared by the stages (speech, timing, subtitles, scripts)."""

from __future__ import annotations

import re

#: A letter or digit in any script (a word character that is not "_").
_SPEAKABLE = re.compile(r"[^\W_]")


#: Marks that close what comes before them and are written against it (",", "?!", ")", "”", "。").
CLOSING_PUNCTUATION = frozenset(".,;:!?)]}»”’'\"…\u3001\u3002\uff0c\uff01\uff1f\uff1b\uff1a")


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
# hundred twenty two", "Oct." as "ockt", "$5" as "dollar five", "Henry VIII" as
# "Henry roman eight", "AD" as the word "ad" and "Baker St" as "Baker Saint", and
# takes the full stop of every abbreviation before a capital or a digit for a
# sentence end (a pause). The synthesizers are therefore given each written
# word's spoken form, while the subtitles keep the written words.

#: What closes a sentence, in Latin and in Chinese/Japanese writing.
SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？")
#: Closing quotes and brackets that may follow a sentence's end ("He left.)").
_CLOSING = "\"'”’)]"
#: Opening quotes and brackets that may come before a word.
_OPENING = "\"'“‘(["

#: Titles written before a name ("Mr. Hayes", "St. Louis"), as said.
_TITLES = {
    "mr": "Mister", "mrs": "Missus", "ms": "Miz", "dr": "Doctor", "prof": "Professor", "st": "Saint",
    "mt": "Mount", "ft": "Fort", "gen": "General", "col": "Colonel", "lt": "Lieutenant", "sgt": "Sergeant",
    "capt": "Captain", "adm": "Admiral", "maj": "Major", "rev": "Reverend", "gov": "Governor",
    "sen": "Senator", "pres": "President", "hon": "Honorable",
}
#: Words written after a street's name ("Baker St.", "Fifth Ave."), as said.
_STREETS = {"st": "Street", "ave": "Avenue", "rd": "Road", "blvd": "Boulevard"}
#: Abbreviations also written without their full stop ("St Paul's", "Mt Everest", "Abbey Rd"),
#: which espeak-ng spells or, after a name, reads "Saint"; only capitalised as here.
_UNDOTTED = frozenset({"St", "Mt", "Ft", "Rd", "Blvd"})
#: Month abbreviations, as said. "Jan." (a name) and "Mar." (the verb "mar") are
#: words too, so all are expanded only next to a number, where they can only be dates.
_MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "jun": "June", "jul": "July",
    "aug": "August", "sep": "September", "sept": "September", "oct": "October", "nov": "November",
    "dec": "December",
}
_MONTH_NAMES = frozenset(_MONTHS.values()) | {"May"}
#: A day of a month, perhaps as an ordinal: "4", "4th", "31st".
_DAY = re.compile(r"([1-9]|[12]\d|3[01])(?:st|nd|rd|th)?")
#: Abbreviations written before a number ("No. 5", "Fig. 3", "c. 1503"), as said.
_BEFORE_NUMBER = {"no": "number", "nos": "numbers", "fig": "figure", "figs": "figures"}
#: "c." and "ca." (circa) before a year, as museum labels date works ("c. 1503").
_CIRCA = ("c", "ca")
#: Abbreviations that may come anywhere inside a sentence, as said.
_INSIDE = {"e.g": "for example", "i.e": "that is", "vs": "versus", "cf": "compare", "etc": "et cetera",
           "jr": "Junior", "sr": "Senior"}
#: Of those and the street words, the ones that often close a sentence too, as a dotted
#: initialism or a single letter does ("... in the U.S. He ..." but "the U.S. Army", "on
#: Main St. The ..." but "St. Louis"; see :func:`ends_sentence`).
_MAY_END = frozenset({"etc", "jr", "sr", *_STREETS})
#: Abbreviations whose full stop never closes a sentence: a name or more follows them.
_GOES_ON = frozenset(_TITLES.keys() | _INSIDE.keys()) - _MAY_END
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

#: Eras written after a year ("44 BC", "30 CE") or, "AD", before one ("AD 800"), spelt with
#: inner full stops, which espeak-ng reads as letters ("A D" would be the article "a" and "D").
_ERAS = {"BC": "B.C", "AD": "A.D", "BCE": "B.C.E", "CE": "C.E"}
#: Words an era follows instead of a year ("the 5th century BC").
_ERA_SPANS = frozenset({"century", "centuries", "millennium", "millennia"})

#: Currency signs written before an amount, as said: (one, many, one hundredth, hundredths).
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
#: An amount of money: "$5", "$1,000", "£2.50", "$1.5".
_MONEY = re.compile(r"(?P<sign>[$£€])(?P<whole>\d[\d,]*)(?:\.(?P<fraction>\d+))?")
#: Words of scale written after an amount ("$1.5 million"); the currency is said after them.
_SCALES = frozenset({"thousand", "million", "billion", "trillion"})
#: A share or a measure in degrees, its number perhaps the word before ("50%", "20°C", "20 °C").
_MEASURE = re.compile(
    rf"(?P<lead>[{re.escape(_OPENING)}]*)(?P<number>\d[\d,]*(?:\.\d+)?)?"
    r"(?:(?P<percent>%)|°(?P<scale>[CF]?))(?P<trail>\W*)"
)
_TEMPERATURE_SCALES = {"C": "Celsius", "F": "Fahrenheit"}

#: A roman numeral of I, V and X (1 to 39: kings, popes, wars and chapters); with L, C, D
#: and M it would take initialisms ("DC", "CD", "MD", "CV").
_ROMAN = re.compile(r"X{0,3}(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
#: Words after which a roman numeral is a count ("World War II" -> "World War two"); after
#: another name it is an ordinal ("Henry VIII" -> "Henry the eighth").
_COUNTED = frozenset(
    "war chapter part act scene book volume episode plate room gallery phase stage type class grade "
    "vatican apollo".split()
)

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
#: Ordinals not made by adding "th" (or "ieth" for a "y") to the number's word.
_IRREGULAR_ORDINALS = {1: "first", 2: "second", 3: "third", 5: "fifth", 8: "eighth", 9: "ninth", 12: "twelfth"}


def ends_sentence(word: str, following: str | None) -> bool:
    """True when the written ``word`` closes its sentence, given the word after it.

    A word ending in ``!``, ``?`` or ``…`` (perhaps before closing quotes or
    brackets) closes its sentence; so does one ending in a full stop, unless
    that full stop marks an abbreviation that goes on: a title before a name
    ("Mr. Hayes"), "e.g." or "vs.", a month or "No." or "c." before a number
    ("Oct. 4", "c. 1503"). A dotted initialism ("U.S."), a single initial
    ("J."), a street word ("St.", "Ave.", "Rd."), "etc." or "Jr." closes a
    sentence only before a capitalised word that sentences begin with ("... of
    the U.S. He ...", "on Main St. The ...", not "... of the U.S. from ...",
    "the U.S. Army", "St. Louis" nor "J. Smith"). The last word of a text
    (``following`` None) always closes it.
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
    if key in _GOES_ON:
        return False
    if key in _MAY_END or _INITIALISM.fullmatch(key + ".") or (len(key) == 1 and key.isalpha()):
        opener = next_core.rstrip(_CLOSING + ".,;:!?")
        return opener[:1].isupper() and opener.lower() in _SENTENCE_OPENERS
    if (key in _MONTHS or key in _BEFORE_NUMBER or key in _CIRCA) and next_core[:1].isdigit():
        return False
    return True


def said_together(word: str, following: str | None) -> bool:
    """True when the written ``word`` and ``following`` are read as one date, amount or name.

    That is a month and its day or year ("Oct 4", "4 July", "July 1776"), an amount and its
    scale ("$1.5 million", "million dollars"), a year and its era ("44 BC", "AD 800"), a title
    and a name ("Mr Hayes") or a name and a street word or "Jr." ("Baker St.", "King Jr.");
    ``word`` followed by a comma or other punctuation than a full stop ("4," of "Oct. 4, 1822")
    goes with nothing after it.
    """
    _, core, trail = _split_affixes(word)
    if following is None or trail not in ("", "."):
        return False
    after = _split_affixes(following)[1]
    amount = _is_number(core) or _MONEY.fullmatch(core)
    currencies = {forms[1] for forms in _CURRENCIES.values()}
    return bool(
        (_month_of(word) and _is_number(after)) or (_DAY.fullmatch(core) and _month_of(following))
        or (amount and after.lower() in _SCALES) or (core.lower() in _SCALES and after.lower() in currencies)
        or ((_is_era_year(core) or core.lower() in _ERA_SPANS) and _era_of(after))
        or (_era_of(core) == "AD" and _is_era_year(after))
        or (core.lower() in _TITLES and core[:1].isupper() and _is_name(after))
        or (_is_name(core) and after.lower() in _STREETS.keys() | {"jr", "sr"})
    )


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
      Any year of an era too, whose letters are spelt: "44 BC" -> "forty-four
      B.C", "AD 800" -> "A.D eight hundred", "the 5th century BC".
    - Dates: a month abbreviation next to a number is the month, with or
      without its full stop ("Oct 4" -> "October fourth", "Sept. 1862"); a day
      after a month is an ordinal ("July 4th" -> "July fourth"), one before it
      "the ... of" ("4 July 1776" -> "the fourth of July seventeen seventy-six").
    - Money, shares, degrees and "&": "$5" -> "5 dollars", "$1.5 million" ->
      "1.5 million dollars", "£2.50" -> "2 pounds 50 pence", "50%" -> "50
      percent", "20°C" -> "20 degrees Celsius", "&" -> "and" (said with the
      word before it, as it holds no letter).
    - A roman numeral after a name: "Henry VIII" -> "Henry the eighth", after
      a word that counts: "World War II" -> "World War two", "Chapter IV";
      single letters only after a counting word ("Act V"), "I" only after
      "War", as "I" and "Malcolm X" are words too.
    - "c." or "ca." before a year is "circa"; a title before a name is the
      title ("Mr. Hayes" -> "Mister Hayes", "St. Louis" -> "Saint Louis"), a
      street word after a street's name the word ("Baker St." -> "Baker
      Street"); "No." and "Fig." before a number, "e.g.", "i.e.", "vs.",
      "etc.", "Jr." are said in full.
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
        elif words:
            # A token without letters ("&", "—", a dash between years, a lone "%") is shown with the word
            # before it, so the subtitles keep it, and said with it where it is said ("and", "to").
            written = words[-1][0] + ("" if token[0] in CLOSING_PUNCTUATION else " ") + token
            words[-1] = (written, f"{words[-1][1]} {said}" if has_words(said) else words[-1][1])
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


def ordinal_words(number: int) -> str:
    """English ordinal of 0 to 99, compounds hyphenated: 4 -> "fourth", 22 -> "twenty-second"."""
    if number in _IRREGULAR_ORDINALS:
        return _IRREGULAR_ORDINALS[number]
    tens, ones = divmod(number, 10)
    if tens >= 2 and ones:
        return f"{_TENS[tens]}-{ordinal_words(ones)}"
    cardinal = number_words(number)
    return cardinal[:-1] + "ieth" if cardinal.endswith("y") else cardinal + "th"


def year_words(year: int) -> str:
    """A year (1 to 9999) as said: in pairs (1822 -> "eighteen twenty-two", 1900 -> "nineteen
    hundred", 1905 -> "nineteen oh five", 2015 -> "twenty fifteen", 753 -> "seven fifty-three"),
    but the first years of a thousand in thousands (2000 -> "two thousand", 2008 -> "two
    thousand eight", 1000 -> "one thousand") and years before 100 as numbers (44 -> "forty-four")."""
    high, low = divmod(year, 100)
    if high and high % 10 == 0 and low < 10:
        return f"{_ONES[high // 10]} thousand" + (f" {_ONES[low]}" if low else "")
    if high == 0:
        return number_words(low)
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


def _is_number(word: str | None) -> bool:
    """True when the written ``word`` begins with a digit ("4,", "1822", "(5th")."""
    return word is not None and word.lstrip(_OPENING)[:1].isdigit()


def _is_name(word: str | None) -> bool:
    """True when the written ``word`` is a capitalised word of letters alone that sentences do not
    begin with ("Henry", "Baker"; not "When", "WHEN" nor "Henry,")."""
    return (word is not None and word.isalpha() and word[0].isupper() and not word.isupper()
            and word.lower() not in _SENTENCE_OPENERS)


def _stop_as_said(token: str, trail: str, after: str | None) -> str:
    """An abbreviation's closing punctuation as said: its full stop dropped where it does not
    close the sentence, so that espeak-ng does not pause there."""
    if trail.startswith(".") and not ends_sentence(token, after):
        return trail[1:]
    return trail


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


def _era_of(word: str | None) -> str | None:
    """The era ("BC", "AD", "BCE", "CE") a written word names, dotted ("B.C.") or not, else None."""
    if word is None:
        return None
    era = _split_affixes(word)[1].replace(".", "")
    return era if era in _ERAS else None


def _is_era_year(word: str | None) -> bool:
    """True when the written ``word`` is a number of one to four digits, as years of an era are."""
    core = _split_affixes(word or "")[1]
    return core.isdigit() and len(core) <= 4 and int(core) > 0


def _month_of(word: str | None) -> str | None:
    """The month a written word names in full ("October"), or as an abbreviation with its full
    stop ("Oct.") or, capitalised, without it ("Oct"); else None."""
    if word is None:
        return None
    _, core, trail = _split_affixes(word)
    if core in _MONTH_NAMES:
        return core
    key = core.lower()
    if key in _MONTHS and (trail.startswith(".") or core == key.capitalize()):
        return _MONTHS[key]
    return None


def _as_year(token: str, before: str | None, after: str | None) -> str | None:
    """A year, a decade, a range of years or a year of an era, and "circa" before a year."""
    year = _year_of(token, before)
    if year is not None:
        return year
    if token in _DASHES and _year_of(before, None) and _year_of(after, token):
        return "to"  # "1877 – 1881"
    lead, core, trail = _split_affixes(token)
    circa = _CIRCA_PREFIX.match(core)
    year_after_circa = _year_of(token[len(lead) + circa.end():], None) if circa else None
    if year_after_circa:
        return f"{lead}circa {year_after_circa}"  # "c.1503"
    if core.lower() in _CIRCA and trail.startswith(".") and _year_of(after, token):
        return lead + "circa" + _stop_as_said(token, trail, after)
    if _is_era_year(token) and (_era_of(after) or _era_of(before) == "AD"):
        return lead + year_words(int(core)) + trail
    return None


def _as_era(token: str, before: str | None, after: str | None) -> str | None:
    """An era's letters spelt after a year or a century ("44 BC", "the 5th century BC"), or
    before a year ("AD 800")."""
    era = _era_of(token)
    if era is None:
        return None
    after_year = _is_era_year(before) or _split_affixes(before or "")[1].lower() in _ERA_SPANS
    if not (after_year or (era == "AD" and _is_era_year(after))):
        return None
    lead, _, trail = _split_affixes(token)
    return lead + _ERAS[era] + _stop_as_said(token, trail, after)


def _as_date(token: str, before: str | None, after: str | None) -> str | None:
    """A month abbreviation next to a number ("Oct 4" -> "October"), a day after a month
    ("July 4th" -> "fourth") or before one ("4 July" -> "the fourth of")."""
    lead, core, trail = _split_affixes(token)
    month = _month_of(token)
    if month is not None:
        if month == core or not (_is_number(before) or _is_number(after)):
            return None
        return lead + month + _stop_as_said(token, trail, after)
    day = _DAY.fullmatch(core)
    if day is None:
        return None
    if _month_of(before) and _split_affixes(before)[2] in ("", "."):
        return lead + ordinal_words(int(day[1])) + trail
    if _month_of(after) and not trail:
        article = "" if before is not None and before.lower() == "the" else "the "
        return f"{lead}{article}{ordinal_words(int(day[1]))} of"
    return None


def _as_money(token: str, before: str | None, after: str | None) -> str | None:
    """An amount of money with its currency said after it ("$5" -> "5 dollars"), or after the
    scale word that follows it ("$1.5 million" -> "1.5 million dollars")."""
    lead, core, trail = _split_affixes(token)
    amount = _MONEY.fullmatch(core)
    if amount is None:
        _, amount_before, trail_before = _split_affixes(before or "")
        money = _MONEY.fullmatch(amount_before)
        if money and not trail_before and core.lower() in _SCALES:
            return f"{lead}{core} {_CURRENCIES[money['sign']][1]}{trail}"
        return None
    if not trail and after is not None and _split_affixes(after)[1].lower() in _SCALES:
        return lead + core[1:]
    one, many, hundredth, hundredths = _CURRENCIES[amount["sign"]]
    whole, fraction = amount["whole"], amount["fraction"]
    if fraction is not None and len(fraction) != 2:
        return f"{lead}{core[1:]} {many}{trail}"  # "$1.5"
    cents = int(fraction or 0)
    said = []
    if whole.strip("0,") or not cents:
        said.append(f"{whole} {one if whole == '1' else many}")
    if cents:
        said.append(f"{cents} {hundredth if cents == 1 else hundredths}")
    return lead + " ".join(said) + trail


def _as_sign(token: str, before: str | None, after: str | None) -> str | None:
    """"&" said "and", a share and a measure in degrees said in words ("50%" -> "50 percent",
    "20°C" -> "20 degrees Celsius")."""
    if token == "&":
        return "and"
    measure = _MEASURE.fullmatch(token)
    if measure is None or (measure["number"] is None and not _is_number(before)):
        return None
    if measure["percent"]:
        unit = "percent"
    else:
        count = measure["number"] or _split_affixes(before)[1]
        unit = "degree" if count == "1" else "degrees"
        if measure["scale"]:
            unit += " " + _TEMPERATURE_SCALES[measure["scale"]]
    said = unit if measure["number"] is None else f"{measure['number']} {unit}"
    return measure["lead"] + said + measure["trail"]


def _as_roman_numeral(token: str, before: str | None, after: str | None) -> str | None:
    """A roman numeral after a name: an ordinal ("Henry VIII" -> "the eighth"), or a count after a
    word that counts ("World War II" -> "two", "Chapter IV" -> "four")."""
    lead, core, trail = _split_affixes(token)
    possessive = ""
    if core[-2:] in ("'s", "’s"):
        core, possessive = core[:-2], core[-2:]
    if not core or not _ROMAN.fullmatch(core) or not _is_name(before):
        return None
    counted = before.lower() in _COUNTED
    if len(core) == 1 and not ((counted and core != "I") or before == "War"):
        return None  # "When I was", "Malcolm X": single letters are words too
    values = [_ROMAN_VALUES[letter] for letter in core]
    value = sum(-value if value < following else value for value, following in zip(values, values[1:] + [0]))
    said = number_words(value) if counted else f"the {ordinal_words(value)}"
    return lead + said + possessive + trail


def _as_abbreviation(token: str, before: str | None, after: str | None) -> str | None:
    """An abbreviation said in full, or its full stop dropped where the sentence goes on."""
    lead, core, trail = _split_affixes(token)
    dotted = trail.startswith(".")
    if not core or not (dotted or core in _UNDOTTED):
        return None
    key = core.lower()
    rest = _stop_as_said(token, trail, after)
    closes = dotted and rest == trail
    # "St. Louis" but not "Baker St., London" nor "Main St. The house".
    name_follows = not closes and not rest and after is not None and after.lstrip(_OPENING)[:1].isupper()
    if key in _TITLES and name_follows:
        return lead + _TITLES[key] + rest
    if key in _STREETS and (_is_name(before) or _is_number(before)):
        return lead + _STREETS[key] + rest
    if not dotted:
        return None
    if key in _BEFORE_NUMBER and _is_number(after):
        return lead + _BEFORE_NUMBER[key] + rest
    if key in _INSIDE:
        return lead + _INSIDE[key] + rest
    if not closes and (_INITIALISM.fullmatch(core + ".") or (len(key) == 1 and key.isalpha())):
        return lead + core + rest  # "U.S" and "J": read as letters, without a pause
    return None


#: The readings tried in turn on a written word; the first that knows the word says it.
#: Numbers of a range or a score ("pages 10-12", "won 3-2"), at most three digits each so that
#: a telephone number ("555-1234") is left alone.
_NUMBER_RANGE = re.compile(r"(\d{1,3})[-–](\d{1,3})")
#: A date written with slashes, month or day first, and a four-digit year: "12/25/1990", "25/12/1990".
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MONTHS_IN_ORDER = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                    "October", "November", "December")
#: The world wars as written short.
_WORLD_WARS = {"WWI": "World War One", "WWII": "World War Two", "WW1": "World War One", "WW2": "World War Two"}


def _as_numbers(token: str, before: str | None, after: str | None) -> str | None:
    """A range or score of numbers ("10-12": "10 to 12"; espeak-ng said "dash"), a date with slashes
    whose day is over 12, so that the order is known ("12/25/1990": "December twenty-fifth, nineteen
    ninety"; "4/7/1776" is left: the fourth of July or April the seventh), and "WWII"."""
    lead, core, trail = _split_affixes(token)
    if core in _WORLD_WARS:
        return lead + _WORLD_WARS[core] + trail
    if token in _DASHES and before and after and _NUMBER_RANGE.fullmatch(
            f"{_split_affixes(before)[1]}-{_split_affixes(after)[1]}"):
        return "to"  # "10 – 12"
    numbers = _NUMBER_RANGE.fullmatch(core)
    if numbers:
        return f"{lead}{numbers[1]} to {numbers[2]}{trail}"
    date = _SLASH_DATE.fullmatch(core)
    if date:
        first, second, year = (int(part) for part in date.groups())
        if first <= 12 < second <= 31:
            month, day = first, second
        elif second <= 12 < first <= 31:
            month, day = second, first
        else:
            return None
        return f"{lead}{_MONTHS_IN_ORDER[month - 1]} {ordinal_words(day)}, {year_words(year)}{trail}"
    return None


_READINGS = (_as_year, _as_era, _as_date, _as_numbers, _as_money, _as_sign, _as_roman_numeral, _as_abbreviation)


def _spoken_token(token: str, before: str | None, after: str | None) -> str:
    """How one written word is said, given its neighbours (see :func:`spoken_words`)."""
    for reading in _READINGS:
        said = reading(token, before, after)
        if said is not None:
            return said
    return token
