"""Text checks shared by the stages: has words, and the language a writing system tells."""

from __future__ import annotations

import warnings

import pytest

from speaker.errors import SpeakerError, SpeakerWarning
from speaker.text import has_words, written_language


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
