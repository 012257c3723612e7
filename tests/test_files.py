"""The text files users give: a script, a text to say, a transcript."""

from __future__ import annotations

import pytest

from speaker.errors import SpeakerError
from speaker.files import read_text_file, transcript_text


def test_a_text_saved_by_notepad_has_no_byte_order_mark_in_its_words(tmp_path):
    path = tmp_path / "label.txt"
    path.write_bytes("\ufeffCafé society, 1920.".encode("utf-8"))
    assert read_text_file(path, "text") == "Café society, 1920."


@pytest.mark.parametrize("make, told", [
    (lambda path: path.write_bytes("Café".encode("latin-1")),
     r"label\.txt is not UTF-8 text \(byte 0xe9 at position 3\); save it as UTF-8\.$"),
    (lambda path: path.mkdir(), r"label\.txt is a folder; give the path of a text file\.$"),
    (lambda path: None, r"label\.txt does not exist\.$"),
])
def test_a_text_file_that_cannot_be_read_is_one_sentence_saying_why(tmp_path, make, told):
    path = tmp_path / "label.txt"
    make(path)
    with pytest.raises(SpeakerError, match=r"^The text file .*" + told):
        read_text_file(path, "text")


def test_a_transcript_is_a_files_text_or_the_words_themselves(tmp_path):
    path = tmp_path / "said"
    path.write_text("Four score and seven years ago.", encoding="utf-8")
    assert transcript_text(str(path)) == "Four score and seven years ago."
    assert transcript_text("Four score and seven years ago.") == "Four score and seven years ago."
    with pytest.raises(SpeakerError, match="transcript file missing.txt does not exist"):
        transcript_text("missing.txt")
