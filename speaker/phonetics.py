"""From IPA phonemes with durations to the project's phone timeline.

Shared below the stages: the speech stage uses it for piper's (and any other
synthesizer's) phoneme alignments, the timing stage for phonemes of
recognised words. Piper (espeak-ng phonemes) gives one entry per IPA code point with the
number of audio samples it produced: letters, stress marks (ˈ ˌ), the length
mark ː, word gaps ' ', punctuation, and the sentence edges ``^`` / ``$``.
Here they become ARPAbet units of :data:`speaker.types.PHONES`: code points
of one sound are merged (diphthongs, affricates, long vowels), stress marks
turn into the stress of the next vowel, and the samples of marks and word
gaps go to the sounds around them, so the sample counts still add up to the
audio exactly.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: Two code points that make one sound.
DIGRAPHS: dict[str, str] = {
    "aɪ": "AY", "ɑɪ": "AY", "aʊ": "AW", "ɑʊ": "AW", "eɪ": "EY", "oʊ": "OW",
    "əʊ": "OW", "ɔɪ": "OY", "ɔʏ": "OY", "tʃ": "CH", "dʒ": "JH", "ɜː": "ER",
    "ɪə": "IH", "eə": "EH", "ʊə": "UH",
}

#: One code point -> ARPAbet (espeak en-us and the IPA letters other voices use).
SINGLE: dict[str, str] = {
    # vowels
    "ɑ": "AA", "ɒ": "AA", "a": "AA", "æ": "AE", "ɐ": "AH", "ə": "AH", "ʌ": "AH",
    "ɔ": "AO", "ɛ": "EH", "e": "EY", "ɜ": "ER", "ɚ": "ER", "ɝ": "ER", "ɪ": "IH",
    "ᵻ": "IH", "ɨ": "IH", "ɘ": "AH", "i": "IY", "o": "OW", "ɵ": "OW", "ʊ": "UH",
    "u": "UW", "ʉ": "UW", "ɯ": "UW", "y": "UW", "ʏ": "UH", "ø": "ER", "œ": "ER",
    "ɶ": "AA", "ɤ": "AH",
    # consonants
    "b": "B", "p": "P", "m": "M", "ɱ": "M", "f": "F", "ɸ": "F", "v": "V", "β": "V",
    "ʋ": "V", "ⱱ": "V", "θ": "TH", "ð": "DH", "t": "T", "d": "D", "ɾ": "D",
    "ʈ": "T", "ɖ": "D", "ʔ": "T", "s": "S", "z": "Z", "ʃ": "SH", "ʒ": "ZH",
    "ʂ": "SH", "ʐ": "ZH", "ɕ": "SH", "ʑ": "ZH", "n": "N", "ɲ": "N", "ɳ": "N",
    "ɴ": "NG", "ŋ": "NG", "l": "L", "ɫ": "L", "ɬ": "L", "ɭ": "L", "ʎ": "L",
    "ʟ": "L", "ɮ": "L", "r": "R", "ɹ": "R", "ɻ": "R", "ɺ": "R", "ɽ": "R", "ʀ": "R",
    "ʁ": "R", "w": "W", "ʍ": "W", "ɥ": "W", "ɰ": "W", "j": "Y", "ʝ": "Y", "k": "K",
    "c": "K", "q": "K", "ɡ": "G", "g": "G", "ɟ": "G", "ɢ": "G", "ɣ": "G", "x": "HH",
    "χ": "HH", "h": "HH", "ɦ": "HH", "ħ": "HH", "ç": "HH", "ʜ": "HH",
    # Kokoro (misaki): one letter per English diphthong or affricate, the
    # flap "T", the reduced "ᵊ"; Mandarin affricates (z c -> ʦ, j q -> ʨ,
    # zh ch -> ꭧ) and the long "S" of Italian.
    "A": "EY", "I": "AY", "O": "OW", "Q": "OW", "W": "AW", "Y": "OY", "ᵊ": "AH",
    "ʤ": "JH", "ʧ": "CH", "T": "D", "ʦ": "S", "ʣ": "Z", "ʨ": "CH", "ʥ": "JH",
    "ꭧ": "CH", "S": "S",
}

VOWELS: frozenset[str] = frozenset(
    "AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split()
)

BOS, EOS, WORD_GAP = "^", "$", " "
PRIMARY_STRESS, SECONDARY_STRESS = "ˈ", "ˌ"
#: Marks that lengthen or colour the sound before them, Kokoro's Mandarin
#: tone arrows (level, rising, low, falling) among them.
MODIFIERS = frozenset("ːˑ˞ʰʲˤʷ̃→↗↓↘")

#: Share of a stress mark's samples given to the vowel after it (the rest go
#: to the sound before it in the same word). Together with the gap share
#: below, calibrated against pocketsphinx forced alignment of piper's own
#: speech (a 50 s passage, noise off): median phone-boundary difference
#: 21 ms for (1.0, 0.0), 32 ms for (0.5, 0.5), 37 ms for (0.0, 0.7).
STRESS_SHARE_TO_NEXT = 1.0
#: Share of a word gap's samples given to the end of the word before it (the
#: rest to the start of the word after it) when the gap is not a pause: the
#: gap is mostly the next word's onset forming.
GAP_SHARE_TO_PREVIOUS = 0.0


@dataclass
class Unit:
    """One stretch of the timeline: a phone (``word`` >= 0) or a silence (``SIL``)."""

    symbol: str
    samples: int
    stress: int = 0
    word: int = -1


def is_pause_symbol(symbol: str) -> bool:
    """True for the symbols :func:`alignments_to_units` makes a pause (``SIL``) of: BOS, EOS, punctuation."""
    return symbol in (BOS, EOS) or _is_punctuation(symbol)


def _is_punctuation(symbol: str) -> bool:
    return (
        len(symbol) == 1 and unicodedata.category(symbol)[0] in "PS"
        and symbol not in (BOS, EOS) and symbol not in MODIFIERS
    )


def _is_modifier(symbol: str) -> bool:
    return symbol in MODIFIERS or (len(symbol) == 1 and unicodedata.combining(symbol) > 0)


def alignments_to_units(alignments: list[tuple[str, int]], first_word: int = 0) -> tuple[list[Unit], int]:
    """Turn piper's ``(ipa_symbol, num_samples)`` list into timeline units.

    Parameters
    ----------
    alignments : list of (str, int)
        Piper's phoneme alignments of one audio chunk, BOS and EOS included.
    first_word : int
        Index to give the first word group of this chunk.

    Returns
    -------
    units : list of Unit
        Phones and ``SIL`` units; their samples add up to the sum of
        ``num_samples``. Each phone carries the index of its word group (a
        run of phones between word gaps or pauses).
    next_word : int
        The word index after the last word group.
    """
    # Pass 1: symbols -> raw items (phones, pauses, gaps, stress marks).
    items: list[list] = []  # [kind, symbol, samples, stress]
    pending_stress = 0
    index = 0
    while index < len(alignments):
        symbol, samples = alignments[index][0], int(alignments[index][1])
        pair = symbol + alignments[index + 1][0] if index + 1 < len(alignments) else ""
        if pair in DIGRAPHS:
            samples += int(alignments[index + 1][1])
            items.append(["phone", DIGRAPHS[pair], samples, 0])
            index += 2
        elif is_pause_symbol(symbol):
            items.append(["pause", "SIL", samples, 0])
            index += 1
        elif symbol == WORD_GAP or not symbol.strip():
            items.append(["gap", "SIL", samples, 0])
            index += 1
        elif symbol in (PRIMARY_STRESS, SECONDARY_STRESS):
            items.append(["stress", "", samples, 1 if symbol == PRIMARY_STRESS else 2])
            index += 1
        elif symbol in SINGLE:
            items.append(["phone", SINGLE[symbol], samples, 0])
            index += 1
        else:
            # Length marks, diacritics and unknown letters lengthen the sound before.
            items.append(["modifier", "", samples, 0])
            index += 1
        # ER followed by an r-colouring R is one sound in ARPAbet.
        if (
            len(items) >= 2 and items[-1][:2] == ["phone", "R"] and items[-2][:2] == ["phone", "ER"]
        ):
            items[-2][2] += items[-1][2]
            items.pop()

    # Pass 2: stress marks and modifiers give their samples away; gaps become
    # silence only next to a pause, else they are shared by the neighbours.
    units: list[Unit] = []
    word = first_word - 1
    in_word = False
    carry = 0  # samples waiting for the next phone
    for position, (kind, symbol, samples, stress) in enumerate(items):
        if kind == "phone":
            if not in_word:
                word += 1
                in_word = True
            if symbol in VOWELS and pending_stress:
                stress, pending_stress = pending_stress, 0
            units.append(Unit(symbol, samples + carry, stress, word))
            carry = 0
        elif kind == "stress":
            pending_stress = stress
            to_next = int(round(samples * STRESS_SHARE_TO_NEXT))
            if units and units[-1].word == word and in_word:
                units[-1].samples += samples - to_next
                carry += to_next
            else:
                carry += samples
        elif kind == "modifier":
            if units and units[-1].symbol != "SIL":
                units[-1].samples += samples
            else:
                carry += samples
        else:  # gap or pause
            in_word = False
            pending_stress = 0
            before = items[position - 1][0] if position > 0 else "pause"
            after = items[position + 1][0] if position + 1 < len(items) else "pause"
            is_pause = kind == "pause" or before == "pause" or after == "pause"
            if is_pause or not units:
                units.append(Unit("SIL", samples + carry))
                carry = 0
            else:
                to_previous = int(round(samples * GAP_SHARE_TO_PREVIOUS))
                units[-1].samples += to_previous
                carry += samples - to_previous
    if carry:
        if units:
            units[-1].samples += carry
        else:
            units.append(Unit("SIL", carry))
    return units, word + 1
