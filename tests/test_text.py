"""Text checks shared by the stages: has words, the language a writing system tells, and
English as it is said (years, abbreviations) and where its sentences end."""

from __future__ import annotations

import warnings

import pytest

from speaker.errors import SpeakerError, SpeakerWarning
from speaker.text import (
    decade_words, ends_sentence, has_words, ordinal_words, said_together, spoken_text, spoken_words,
    written_language, year_words,
)


def test_has_words_counts_letters_and_digits_in_any_script():
    assert has_words("Hi") and has_words("你好") and has_words("42")
    assert not has_words("") and not has_words(None) and not has_words(" ...! 😀 ")


@pytest.mark.parametrize("text, language", [
    ("你好，世界。", "zh"),
    ("我们明天见 OK", "zh"),           # a Latin word among Chinese
    ("こんにちは、世界。", "ja"),      # kana, with Han characters
    ("東京へ行きます", "ja"),
    ("안녕하세요", "ko"),
    ("Hello 世界, how are you today?", None),  # a Chinese word in English
    ("Four score and seven years ago", None),
    ("Привет, мир", None),             # an alphabet shared by many languages tells none
    ("😀 !", None),
])
def test_the_writing_system_tells_the_language_only_when_most_letters_are_its_own(text, language):
    assert written_language(text) == language


def _options(**values):
    from speaker.settings import SpeakOptions

    return SpeakOptions(image="p.jpg", out="o.mp4", **values)


def test_chinese_text_without_a_voice_is_spoken_by_a_mandarin_voice_and_the_user_is_told():
    from speaker.pipeline.speak import _choose_voice, _say_whose_voice

    opts = _options(text="你好，世界。")
    preset = _choose_voice(opts)
    assert preset.language.startswith("zh")
    with pytest.warns(SpeakerWarning, match=r"written in Chinese, so the voice \w+ \(zh\) speaks it"):
        _say_whose_voice(opts, preset)

    given = _options(text="你好，世界。", voice="heart")
    with pytest.warns(SpeakerWarning, match=r"voice 'heart' speaks en-US; voices that speak it: .*xiaoxiao"):
        _say_whose_voice(given, _choose_voice(given))

    english = _options(text="Hello, world.")
    assert _choose_voice(english).name == "default"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _say_whose_voice(english, _choose_voice(english))
        told = _options(text="你好", language="zh")  # the language was given: nothing to tell
        _say_whose_voice(told, _choose_voice(told))


def test_japanese_text_without_a_voice_is_refused_with_how_to_add_one():
    from speaker.pipeline.speak import _choose_voice

    with pytest.raises(SpeakerError, match=r"No bundled voice speaks 'ja'.*Piper voice"):
        _choose_voice(_options(text="こんにちは"))


@pytest.mark.parametrize("year, words", [
    (1100, "eleven hundred"), (1503, "fifteen oh three"), (1822, "eighteen twenty-two"),
    (1877, "eighteen seventy-seven"), (1900, "nineteen hundred"), (1905, "nineteen oh five"),
    (1910, "nineteen ten"), (1999, "nineteen ninety-nine"), (2000, "two thousand"),
    (2008, "two thousand eight"), (2010, "twenty ten"), (2015, "twenty fifteen"), (2099, "twenty ninety-nine"),
    # Years of an era: before 100 as numbers, the first years of a thousand in thousands.
    (44, "forty-four"), (5, "five"), (753, "seven fifty-three"), (800, "eight hundred"), (1000, "one thousand"),
    (1004, "one thousand four"), (1066, "ten sixty-six"), (3000, "three thousand"),
])
def test_years_are_said_in_pairs_but_the_first_years_of_a_thousand_in_thousands(year, words):
    assert year_words(year) == words


@pytest.mark.parametrize("year, words", [
    (1860, "eighteen sixties"), (1800, "eighteen hundreds"), (1910, "nineteen tens"),
    (1920, "nineteen twenties"), (2000, "two thousands"),
])
def test_decades_are_the_plural_of_their_year(year, words):
    assert decade_words(year) == words


@pytest.mark.parametrize("written, said", [
    # Years, with the word's punctuation kept.
    ("in 1822, in Ohio", "in eighteen twenty-two, in Ohio"),
    ("(1822)", "(eighteen twenty-two)"),
    ("from 1877 to 1881.", "from eighteen seventy-seven to eighteen eighty-one."),
    ("1822's harvest", "eighteen twenty-two's harvest"),
    ("in the 1860s,", "in the eighteen sixties,"),
    ("the 1900s", "the nineteen hundreds"),
    # Ranges, with an en dash, a hyphen, spaced, or the second year's century understood.
    ("1877–1881", "eighteen seventy-seven to eighteen eighty-one"),
    ("1877-1881", "eighteen seventy-seven to eighteen eighty-one"),
    ("1877 – 1881", "eighteen seventy-seven to eighteen eighty-one"),
    ("(1877–81)", "(eighteen seventy-seven to eighty-one)"),
    # Not years: other lengths, out of range, money, counts, shares, decimals, ordinals.
    ("1,822 soldiers", "1,822 soldiers"), ("$1822", "1822 dollars"), ("#1822", "#1822"),
    ("1822%", "1822 percent"),
    ("No. 1822", "number 1822"), ("1099 and 2100", "1099 and 2100"), ("822 or 18220", "822 or 18220"),
    ("1822.5", "1822.5"), ("19th", "19th"), ("1865s", "1865s"), ("555-1234", "555-1234"),
    # Circa before a year, and only there.
    ("c. 1503", "circa fifteen oh three"), ("ca. 1600", "circa sixteen hundred"),
    ("(c.1503)", "(circa fifteen oh three)"), ("c. 1860s", "circa eighteen sixties"),
    ("A. c. Smith", "A c Smith"),  # an initial
    # Months next to a number only: never the verb, a name or a month word alone.
    ("on Oct. 4, 1822", "on October fourth, eighteen twenty-two"),
    ("4 Oct. 1822", "the fourth of October eighteen twenty-two"),
    ("Sept. 12", "September twelfth"), ("Jan. 5", "January fifth"), ("Mar. 3", "March third"),
    ("They march on. Troops march.", "They march on. Troops march."),
    ("He fled in Mar. He came back.", "He fled in Mar. He came back."),
    ("I met Jan. She smiled.", "I met Jan. She smiled."),
    ("born on Oct 4", "born on October fourth"),
    # Titles before a name; abbreviations said in full; full stops that go on dropped.
    ("Mr. Hayes and Mrs. Hayes", "Mister Hayes and Missus Hayes"),
    ("Dr. King in St. Louis", "Doctor King in Saint Louis"),
    ("Gen. Grant, Lt. Dan", "General Grant, Lieutenant Dan"),
    ("Fig. 3 and No. 5", "figure 3 and number 5"),
    ("cats vs. dogs, e.g. a cat", "cats versus dogs, for example a cat"),
    ("of the U.S. from 1877", "of the U.S from eighteen seventy-seven"),
    ("the U.S. Army", "the U.S Army"), ("J. R. R. Tolkien", "J R R Tolkien"),
    # A full stop that closes the sentence stays.
    ("president of the U.S.", "president of the U.S."),
    ("came back to the U.S. He", "came back to the U.S. He"),
    ("and so on, etc. The end", "and so on, et cetera. The end"),
    # Left to espeak, which reads them right.
    ("the 19th president, on the 4th", "the 19th president, on the 4th"),
    ("He said no. The end.", "He said no. The end."),
])
def test_english_is_given_to_the_voice_as_it_is_said(written, said):
    assert spoken_text(written) == said



@pytest.mark.parametrize("number, words", [
    (1, "first"), (2, "second"), (3, "third"), (4, "fourth"), (5, "fifth"), (8, "eighth"), (9, "ninth"),
    (12, "twelfth"), (13, "thirteenth"), (20, "twentieth"), (21, "twenty-first"), (22, "twenty-second"),
    (31, "thirty-first"), (40, "fortieth"),
])
def test_ordinals_are_the_numbers_words_with_th_but_for_the_irregular_ones(number, words):
    assert ordinal_words(number) == words


@pytest.mark.parametrize("written, said", [
    # Dates: a day after a month is an ordinal, one before it "the ... of"; abbreviations with or without a stop.
    ("Oct 4, 1822", "October fourth, eighteen twenty-two"), ("Sept 1862", "September eighteen sixty-two"),
    ("October 4th, 1822", "October fourth, eighteen twenty-two"),
    ("July 4, 1776", "July fourth, seventeen seventy-six"),
    ("4 July 1776", "the fourth of July seventeen seventy-six"), ("on the 4th July", "on the fourth of July"),
    ("(4 May 1776)", "(the fourth of May seventeen seventy-six)"), ("Dec 31st", "December thirty-first"),
    ("on the 4th of July", "on the 4th of July"),  # espeak says "fourth"
    ("In March 1862", "In March eighteen sixty-two"), ("you may 4", "you may 4"), ("Jan and Oct", "Jan and Oct"),
    # Street words after a street's name, "Saint" before a name; with or without the full stop.
    ("Main St.", "Main Street."), ("221 Baker St.", "221 Baker Street."), ("on Baker St", "on Baker Street"),
    ("He lived on Main St. The house", "He lived on Main Street. The house"),
    ("Baker St., London", "Baker Street, London"), ("St. Paul's", "Saint Paul's"),
    ("St Paul's Cathedral", "Saint Paul's Cathedral"),
    ("Fifth Ave. and Abbey Rd. The end", "Fifth Avenue and Abbey Road. The end"), ("5th Ave.", "5th Avenue."),
    ("Mt. Vernon and Mt Everest", "Mount Vernon and Mount Everest"),
    ("Ft. Sumter, Ft Worth", "Fort Sumter, Fort Worth"),
    ("King Jr. was", "King Junior was"), ("pens, etc.", "pens, et cetera."), ("e.g., a cat", "for example, a cat"),
    ("i.e. this", "that is this"), ("Ave Maria", "Ave Maria"),
    # Eras: the year read as a year, the letters spelt with inner full stops (espeak says "A D" "uh D").
    ("44 BC", "forty-four B.C"), ("800 AD", "eight hundred A.D"), ("AD 800", "A.D eight hundred"),
    ("A.D. 1066", "A.D ten sixty-six"), ("500 BCE.", "five hundred B.C.E."), ("30 CE", "thirty C.E"),
    ("in 44 B.C. he", "in forty-four B.C he"), ("the 5th century BC", "the 5th century B.C"),
    ("1000 BC", "one thousand B.C"), ("c. 1500 BC", "circa fifteen hundred B.C"),
    ("an AD campaign", "an AD campaign"), ("CE marking", "CE marking"),
    # Money, shares, degrees and "&" in words; the currency after a scale word.
    ("$5", "5 dollars"), ("$1", "1 dollar"), ("$1.5 million", "1.5 million dollars"), ("$2.50", "2 dollars 50 cents"),
    ("$0.99", "99 cents"), ("£20", "20 pounds"), ("£2.50", "2 pounds 50 pence"), ("€1,000.", "1,000 euros."),
    ("($5)", "(5 dollars)"), ("50%", "50 percent"), ("Smith & Sons", "Smith and Sons"),
    ("20°C", "20 degrees Celsius"), ("98.6°F", "98.6 degrees Fahrenheit"), ("1°", "1 degree"),
    ("20 °C", "20 degrees Celsius"), ("40°N", "40°N"), ("1,000,000", "1,000,000"),
    # Ranges and scores of small numbers, dates with slashes whose order the day tells, the wars.
    ("Pages 10-12.", "Pages 10 to 12."), ("won 3–2", "won 3 to 2"), ("pages 10 - 12", "pages 10 to 12"),
    ("Call 555-1234", "Call 555-1234"), ("On 12/25/1990", "On December twenty-fifth, nineteen ninety"),
    ("25/12/1990.", "December twenty-fifth, nineteen ninety."), ("4/7/1776", "4/7/1776"),
    ("WWII,", "World War Two,"), ("WW1", "World War One"),
    # Roman numerals after a name: an ordinal, or a count after a word that counts.
    ("Henry VIII", "Henry the eighth"), ("Henry VIII's wives", "Henry the eighth's wives"),
    ("Louis XIV", "Louis the fourteenth"), ("Pope John Paul II", "Pope John Paul the second"),
    ("Elizabeth II,", "Elizabeth the second,"), ("World War II", "World War two"),
    ("World War I.", "World War one."), ("Chapter IV", "Chapter four"), ("Act V", "Act five"),
    # Not numerals: the pronoun, single letters after a name, initialisms, capitals, after a comma.
    ("When I was", "When I was"), ("Elizabeth I was", "Elizabeth I was"), ("Malcolm X", "Malcolm X"),
    ("Washington DC", "Washington DC"), ("an IV drip", "an IV drip"), ("WHEN II", "WHEN II"),
    ("Henry, IV", "Henry, IV"),
])
def test_dates_places_eras_money_and_numerals_are_given_as_they_are_said(written, said):
    assert spoken_text(written) == said

def test_every_written_word_keeps_its_spoken_form_and_a_dash_between_years_goes_with_the_year_before():
    assert spoken_words("Mr. Hayes, 1877 – 1881.") == [
        ("Mr.", "Mister"), ("Hayes,", "Hayes,"), ("1877 –", "eighteen seventy-seven to"),
        ("1881.", "eighteen eighty-one."),
    ]
    # A sign without letters ("&") is shown and said with the word before it; a currency after its scale word.
    assert spoken_words("Smith & Sons, $1.5 million") == [
        ("Smith &", "Smith and"), ("Sons,", "Sons,"), ("$1.5", "1.5"), ("million", "million dollars"),
    ]
    assert spoken_words("") == []
    assert spoken_words("In 1822 — or so , he") == [
        ("In", "In"), ("1822 —", "eighteen twenty-two"), ("or", "or"), ("so,", "so"), ("he", "he")]


@pytest.mark.parametrize("word, following, ends", [
    ("Ohio.", "He", True), ("Ohio.", None, True), ("Really?", "yes", True), ("Wait!", "No", True),
    ("born", "in", False), ("1822,", "in", False), ('"Go."', "Then", True), ("Ok...", "then", True),
    ("Mr.", "Hayes", False), ("Dr.", "King", False), ("St.", "Louis", False), ("J.", "Smith", False),
    ("Oct.", "4,", False), ("c.", "1503", False), ("ca.", "1503", False), ("No.", "5", False),
    ("e.g.", "Lincoln", False), ("vs.", "Grant", False),
    ("Oct.", "He", True), ("Mar.", "He", True), ("no.", "The", True),
    ("U.S.", "from", False), ("U.S.", "Army", False), ("U.S.", "1877", False),
    ("U.S.", "He", True), ("U.S.", "In", True), ("U.S.", None, True), ("D.C.", "The", True),
    ("etc.", "and", False), ("etc.", "The", True), ("Jr.", "was", False), ("Jr.", "He", True),
    ("St.", "Louis", False), ("St.", "The", True), ("St.", "and", False), ("Ave.", "In", True),
    ("Rd.", "Hotel", False), ("I.", "The", True), ("B.", "Then", True), ("J.", "R.", False),
    ("路。", "鲁", True),
])
def test_an_abbreviation_that_goes_on_does_not_end_the_sentence(word, following, ends):
    assert ends_sentence(word, following) is ends


@pytest.mark.parametrize("word, following, together", [
    ("Oct", "4", True), ("Oct.", "4,", True), ("May", "24,", True), ("4", "July", True), ("July", "1776", True),
    ("Sept.", "1862", True), ("$1.5", "million", True), ("1.5", "million", True), ("million", "dollars", True),
    ("44", "BC", True), ("5", "B.C.", True), ("century", "BC.", True), ("AD", "800", True), ("Mr", "Hayes", True),
    ("Baker", "St.", True), ("King", "Jr.", True),
    ("4,", "1822", False), ("$1.5,", "million", False), ("1877", "to", False), ("in", "May", False),
    ("Hayes", "said", False), ("Mr", "the", False), ("may", "4", False), ("44", None, False),
])
def test_dates_amounts_eras_and_names_are_said_together(word, following, together):
    assert said_together(word, following) is together


def test_a_transcript_is_aligned_as_it_is_said():
    from speaker.timing.pocketsphinx.text import normalize_transcript

    words = normalize_transcript("Born Oct. 4, 1822. Served 1877–1881, c. 1503.")
    assert [word for word, _ in words] == [
        "born", "october", "fourth", "eighteen", "twenty", "two", "served",
        "eighteen", "seventy", "seven", "to", "eighteen", "eighty", "one", "circa", "fifteen", "oh", "three",
    ]
    # Each spoken word points at its written word, as the subtitles show it.
    assert [index for _, index in words] == [0, 1, 2, 3, 3, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 7, 7, 7]
