"""Mouth articulation over time, from a phone timeline or from the audio.

Every phone of :data:`speaker.types.PHONES` has a target articulation (the
columns of :data:`speaker.types.ARTICULATION_NAMES`). Targets are blended with
a dominance model of coarticulation (Cohen & Massaro, 1993): each phone pulls
every parameter towards its target with a dominance that is flat over the
phone's core and decays exponentially away from it, faster after the phone
(carry-over) than before it (anticipation). Consonants that leave the lips
free (k, g, h...) have little dominance over the lips, so the neighbouring
vowels shape them. Two hard constraints are applied after blending:

- p, b, m close the lips fully from their onset to their release, however
  short they are (a smooth closing movement precedes the onset);
- silences longer than :data:`REST_MIN_SILENCE` bring the mouth to rest.

Speech breathing: after a pause of at least :data:`BREATH_MIN_PAUSE` the
speaker breathes in through the mouth just before speaking, so the lips part
about :data:`BREATH_LEAD` s before the first sound and then move to the first
phone's posture (a bilabial closes them again).

:func:`articulation_from_phones` is a pure function of the phone list and the
query times (the audio model is trained on its output at 100 Hz).
"""

from __future__ import annotations

import numpy as np

from ..timebase import frame_times, gaussian_smooth, n_frames
from ..types import ARTICULATION_NAMES, PHONES, Phone, Speech

K = len(ARTICULATION_NAMES)
JAW, CLOSURE, SPREAD, ROUND, RAISE, TUCK = range(K)

#: Target articulation of each phone: jaw_open, lip_closure, lip_spread,
#: lip_round, upper_lip_raise, lower_lip_tuck. A diphthong has two targets
#: (first half, second half). The jaw_open targets of the phones GRID covers
#: are fitted to real mouths (``python scripts/fit_phone_targets.py --ridge 1``:
#: bounded ridge least squares towards the earlier hand values, on 45 of the 60
#: grid_s1 sentences, rescaled to the hand values' mean over the vowels;
#: consonants of one place share one target; Pearson r of the track's opening
#: on the 15 held-out sentences 0.636 -> 0.749, better on all 15). AO, ER, OY,
#: UH, SH/ZH/CH/JH, HH and Y, which GRID barely says, keep their hand values;
#: the other columns are set by hand.
PHONE_TARGETS: dict[str, tuple[tuple[float, ...], ...]] = {
    "SIL": ((0.0, 0.0, 0.0, 0.0, 0.0, 0.0),),
    # Vowels: open ones drop the jaw, front ones spread, back rounded ones round.
    "AA": ((0.84, 0.0, 0.10, 0.00, 0.10, 0.0),),
    "AE": ((0.78, 0.0, 0.45, 0.00, 0.15, 0.0),),
    "AH": ((0.47, 0.0, 0.15, 0.00, 0.05, 0.0),),
    "AO": ((0.80, 0.0, 0.00, 0.55, 0.05, 0.0),),
    "AW": ((0.82, 0.0, 0.10, 0.05, 0.10, 0.0), (0.28, 0.0, 0.00, 0.75, 0.0, 0.0)),
    "AY": ((0.83, 0.0, 0.15, 0.00, 0.10, 0.0), (0.48, 0.0, 0.60, 0.00, 0.05, 0.0)),
    "EH": ((0.75, 0.0, 0.40, 0.00, 0.10, 0.0),),
    "ER": ((0.40, 0.0, 0.00, 0.40, 0.30, 0.0),),
    "EY": ((0.67, 0.0, 0.45, 0.00, 0.10, 0.0), (0.47, 0.0, 0.65, 0.00, 0.05, 0.0)),
    "IH": ((0.45, 0.0, 0.45, 0.00, 0.05, 0.0),),
    "IY": ((0.54, 0.0, 0.80, 0.00, 0.05, 0.0),),
    "OW": ((0.52, 0.0, 0.00, 0.60, 0.0, 0.0), (0.21, 0.0, 0.00, 0.85, 0.0, 0.0)),
    "OY": ((0.62, 0.0, 0.00, 0.65, 0.0, 0.0), (0.25, 0.0, 0.55, 0.00, 0.05, 0.0)),
    "UH": ((0.35, 0.0, 0.00, 0.60, 0.0, 0.0),),
    "UW": ((0.20, 0.0, 0.00, 0.95, 0.0, 0.0),),
    # Consonants.
    "B": ((0.15, 1.0, 0.00, 0.00, 0.0, 0.0),),
    "P": ((0.15, 1.0, 0.00, 0.00, 0.0, 0.0),),
    "M": ((0.15, 1.0, 0.00, 0.00, 0.0, 0.0),),
    "F": ((0.03, 0.0, 0.10, 0.00, 0.15, 1.0),),
    "V": ((0.03, 0.0, 0.10, 0.00, 0.15, 1.0),),
    "TH": ((0.10, 0.0, 0.25, 0.00, 0.10, 0.0),),
    "DH": ((0.10, 0.0, 0.25, 0.00, 0.10, 0.0),),
    "T": ((0.21, 0.0, 0.25, 0.00, 0.05, 0.0),),
    "D": ((0.21, 0.0, 0.25, 0.00, 0.05, 0.0),),
    "N": ((0.16, 0.0, 0.20, 0.00, 0.05, 0.0),),
    "S": ((0.34, 0.0, 0.40, 0.00, 0.10, 0.0),),
    "Z": ((0.34, 0.0, 0.40, 0.00, 0.10, 0.0),),
    "L": ((0.34, 0.0, 0.15, 0.00, 0.05, 0.0),),
    "R": ((0.05, 0.0, 0.00, 0.45, 0.30, 0.0),),
    "SH": ((0.15, 0.0, 0.00, 0.55, 0.70, 0.0),),
    "ZH": ((0.15, 0.0, 0.00, 0.55, 0.70, 0.0),),
    "CH": ((0.15, 0.0, 0.00, 0.50, 0.70, 0.0),),
    "JH": ((0.15, 0.0, 0.00, 0.50, 0.70, 0.0),),
    "K": ((0.34, 0.0, 0.10, 0.00, 0.0, 0.0),),
    "G": ((0.34, 0.0, 0.10, 0.00, 0.0, 0.0),),
    "NG": ((0.34, 0.0, 0.10, 0.00, 0.0, 0.0),),
    "HH": ((0.35, 0.0, 0.05, 0.00, 0.0, 0.0),),
    "W": ((0.00, 0.0, 0.00, 1.00, 0.0, 0.0),),
    "Y": ((0.15, 0.0, 0.60, 0.00, 0.05, 0.0),),
}
assert set(PHONE_TARGETS) == set(PHONES)

VOWELS = frozenset(
    {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
)
BILABIALS = frozenset({"P", "B", "M"})
LABIODENTALS = frozenset({"F", "V"})
#: Consonants that set the lips themselves (their lip targets dominate).
LIP_CONSONANTS = frozenset({"W", "R", "SH", "ZH", "CH", "JH", "Y", "S", "Z"})
#: Voiceless obstruents: what a phone recogniser hears in breath noise,
#: clicks and lip smacks. A run of only these between pauses has no syllable
#: nucleus, so it is not speech and moves no mouth.
VOICELESS = frozenset({"P", "T", "K", "F", "TH", "S", "SH", "CH", "HH"})

#: Dominance strength of each class over each parameter (jaw, closure,
#: spread, round, raise, tuck). Lip-free consonants barely pull the lips.
DOMINANCE_VOWEL = np.array([1.0, 1.0, 1.0, 1.0, 0.8, 0.5])
DOMINANCE_BILABIAL = np.array([0.7, 1.0, 0.3, 0.3, 0.3, 1.0])
DOMINANCE_LABIODENTAL = np.array([0.7, 1.0, 0.5, 0.5, 1.0, 3.0])
DOMINANCE_LIP_CONSONANT = np.array([0.5, 1.0, 1.2, 1.5, 1.5, 1.0])
DOMINANCE_FREE_CONSONANT = np.array([0.4, 0.3, 0.1, 0.1, 0.2, 0.3])
DOMINANCE_SILENCE = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
#: Stressed vowels are opened a little more and pull a little harder.
STRESS_JAW_GAIN = 1.12
STRESS_DOMINANCE_GAIN = 1.3
#: Short pauses (word gaps, stop closures) pull the mouth towards rest weakly.
SHORT_SILENCE_DOMINANCE = 0.08

#: Decay time (s) of dominance before a phone's core (anticipation: the lips
#: start moving towards a vowel 100-200 ms before it is heard, anticipatory
#: coarticulation reaching further than carry-over) and after it. 0.10 rather
#: than 0.07: real mouths lead our track on talks and acted speech
#: (scripts/eval_lipsync.py, clips_dev, recognised words: median r 0.22 vs
#: 0.18; GRID with transcript 0.72 vs 0.73, recognised 0.67 vs 0.72), while a
#: uniform lead of the whole track costs GRID more (scripts/lipsync_tracks.py:
#: 20 ms: GRID 0.70, 40 ms: 0.65). 0.12 / 0.04 (with a 0.7 breath) raised
#: clips_dev a little (rendered median 0.283 vs 0.278) and cost GRID with
#: transcript 0.69 vs 0.70.
ANTICIPATION_TAU = 0.10
CARRYOVER_TAU = 0.05
#: Both decay times of a vowel's and of a consonant's dominance are these
#: multiples of ANTICIPATION_TAU and CARRYOVER_TAU.
VOWEL_DECAY_SCALE = 1.0
CONSONANT_DECAY_SCALE = 1.0
#: Shape exponent of the dominance decay (>1 keeps the blend smooth at the
#: core's edges).
DOMINANCE_POWER = 1.5
#: Fraction of a phone's duration forming its core (full dominance).
CORE_FRACTION = 0.5
#: Smallest dominance, so the blend never divides by zero far from any phone.
DOMINANCE_FLOOR = 1e-6

#: A bilabial's closing movement before its onset and the opening after its
#: release (s); the lips stay shut in between.
CLOSURE_LEAD = 0.07
CLOSURE_RELEASE = 0.06
#: ... but at most this share of the neighbouring phone, and at least CLOSURE_MIN_MOVE s.
CLOSURE_NEIGHBOUR_SHARE = 0.4
CLOSURE_MIN_MOVE = 0.03
#: The shut plateau spans at least this much (s) either side of the centre,
#: so the video frame nearest a very short bilabial's centre is shut.
CLOSURE_MIN_HALF_WIDTH = 0.025
#: Silences at least this long (s) bring the mouth to rest, after
#: REST_MARGIN s of leaving the last phone and before the next one.
REST_MIN_SILENCE = 0.25
REST_MARGIN = 0.12

#: Speech breathing: a pause of at least BREATH_MIN_PAUSE s before speech
#: holds a quick oral inhalation (inspirations take 0.3-0.6 s and end at the
#: speech onset): the jaw opens to BREATH_JAW, starting BREATH_LEAD s before
#: the first phone (but not within REST_MARGIN of the previous one), rising
#: over BREATH_RISE s and handing over to the first phone in its last
#: BREATH_FALL s; between utterances it fills at most BREATH_PAUSE_SHARE of
#: the pause (so a 0.6 s pause rests before it breathes). GRID's speakers
#: part their lips for about half a second before the first word: 0.5 over
#: 0.55 s rather than 0.45 over 0.45 s (scripts/eval_lipsync.py --sets clips,
#: median / mean r with transcript 0.698 / 0.683 vs 0.700 / 0.651, recognised
#: words 0.648 / 0.677 vs 0.630 / 0.641; 0.6 over 0.55 s: 0.691 / 0.690 and
#: 0.685 / 0.684: a wider breath costs the speakers who keep their lips
#: together before the first word, grid_brbk7n).
BREATH_MIN_PAUSE = 0.4
BREATH_LEAD = 0.55
BREATH_PAUSE_SHARE = 0.75
BREATH_RISE = 0.15
BREATH_FALL = 0.12
BREATH_JAW = 0.5
#: The photo's own lip gap: while the person speaks the articulated opening
#: replaces it; it comes back (over RELAX_TIME s, RELAX_DELAY s after the
#: last phone) only in pauses of at least LONG_PAUSE s; before the first
#: utterance the portrait is shown as given until its inhalation begins.
LONG_PAUSE = 1.5
RELAX_DELAY = 0.5
RELAX_TIME = 0.5
#: Without phones, speech is where the loudness is above this (of the loud parts).
SPEECH_LEVEL = 0.05

#: Loudness scaling of the jaw: factor = 1 + LOUDNESS_GAIN * (level - 0.5).
LOUDNESS_GAIN = 0.4
LOUDNESS_WINDOW = 0.05
#: Jaw opening of the loudness fallback at full level.
FALLBACK_JAW = 0.6
#: Gaussian smoothing of audio-model curves: at least CURVE_SMOOTHING s and
#: CURVE_FRAME_SMOOTHING video frames (sigma).
CURVE_SMOOTHING = 0.03
CURVE_FRAME_SMOOTHING = 0.5


def _dominance_class(symbol: str) -> np.ndarray:
    if symbol in VOWELS:
        return DOMINANCE_VOWEL
    if symbol in BILABIALS:
        return DOMINANCE_BILABIAL
    if symbol in LABIODENTALS:
        return DOMINANCE_LABIODENTAL
    if symbol in LIP_CONSONANTS:
        return DOMINANCE_LIP_CONSONANT
    if symbol == "SIL":
        return DOMINANCE_SILENCE
    return DOMINANCE_FREE_CONSONANT


def _segments(phones: list[Phone]):
    """Yield (start, end, target (K,), strength (K,), decay scale) per articulatory segment.

    Diphthongs give two segments; stressed vowels are opened more.
    """
    for phone in phones:
        symbol = phone.symbol if phone.symbol in PHONE_TARGETS else "SIL"
        start, end = float(phone.start), float(max(phone.end, phone.start))
        targets = PHONE_TARGETS[symbol]
        strength = _dominance_class(symbol).copy()
        if symbol == "SIL" and end - start < REST_MIN_SILENCE:
            strength = np.full(K, SHORT_SILENCE_DOMINANCE)
        stressed = symbol in VOWELS and phone.stress == 1
        if stressed:
            strength = strength * STRESS_DOMINANCE_GAIN
        step = (end - start) / len(targets)
        decay_scale = VOWEL_DECAY_SCALE if symbol in VOWELS else CONSONANT_DECAY_SCALE if symbol != "SIL" else 1.0
        for index, target in enumerate(targets):
            target = np.array(target, dtype=np.float64)
            if stressed:
                target[JAW] = min(1.0, target[JAW] * STRESS_JAW_GAIN)
            yield start + index * step, start + (index + 1) * step, target, strength, decay_scale


def _smooth_ramp(x: np.ndarray) -> np.ndarray:
    """0 for x <= 0, 1 for x >= 1, a smooth cosine in between."""
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _plateau(times: np.ndarray, start: float, end: float, lead: float, tail: float) -> np.ndarray:
    """1 on [start, end], smooth ramps of ``lead`` s before and ``tail`` s after."""
    rise = _smooth_ramp((times - (start - lead)) / lead)
    fall = 1.0 - _smooth_ramp((times - end) / tail)
    return np.minimum(rise, fall)


def articulation_from_phones(phones: list[Phone], times: np.ndarray) -> np.ndarray:
    """Articulation of a phone timeline at arbitrary times.

    Parameters
    ----------
    phones : list of Phone
        Phone timeline in time order (seconds); symbols outside
        :data:`speaker.types.PHONES` are taken as silence.
    times : np.ndarray, shape (T,)
        Query times in seconds, any order or spacing.

    Returns
    -------
    np.ndarray, shape (T, K), float32
        Columns :data:`speaker.types.ARTICULATION_NAMES`, each in [0, 1].
    """
    times = np.asarray(times, dtype=np.float64).reshape(-1)
    if not phones or times.size == 0:
        return np.zeros((times.size, K), np.float32)

    numerator = np.zeros((times.size, K))
    denominator = np.full((times.size, K), DOMINANCE_FLOOR)
    for start, end, target, strength, decay_scale in _segments(phones):
        centre = 0.5 * (start + end)
        half_core = 0.5 * CORE_FRACTION * (end - start)
        before = np.maximum(centre - half_core - times, 0.0)
        after = np.maximum(times - centre - half_core, 0.0)
        decay = np.exp(-((before / (decay_scale * ANTICIPATION_TAU)) ** DOMINANCE_POWER)
                       - (after / (decay_scale * CARRYOVER_TAU)) ** DOMINANCE_POWER)
        dominance = decay[:, None] * strength[None, :]
        numerator += dominance * target[None, :]
        denominator += dominance
    values = numerator / denominator

    # Long silences: the mouth comes to rest between REST_MARGINs.
    for phone in phones:
        if phone.symbol == "SIL" and phone.end - phone.start >= REST_MIN_SILENCE:
            rest = _plateau(times, phone.start + REST_MARGIN, phone.end - REST_MARGIN,
                            REST_MARGIN, REST_MARGIN)
            values *= 1.0 - rest[:, None]

    # Speech breathing: the lips part for the inhalation before speech.
    for index, phone in enumerate(phones):
        following = phones[index + 1] if index + 1 < len(phones) else None
        if (phone.symbol != "SIL" or following is None or following.symbol == "SIL"
                or phone.end - phone.start < BREATH_MIN_PAUSE):
            continue
        onset = following.start
        if index == 0:
            # The recording may have begun mid-pause: the whole lead.
            opens = max(onset - BREATH_LEAD, phone.start)
        else:
            lead = min(BREATH_LEAD, BREATH_PAUSE_SHARE * (phone.end - phone.start))
            opens = max(onset - lead, phone.start + REST_MARGIN)
        breath = _plateau(times, opens + BREATH_RISE, onset - BREATH_FALL, BREATH_RISE, BREATH_FALL)
        values[:, JAW] = np.maximum(values[:, JAW], BREATH_JAW * breath)

    # Bilabials: the lips shut from onset to release, whatever the blend says.
    # The closing (opening) movement takes at most part of the previous (next)
    # phone, so a short vowel between two bilabials still opens.
    for index, phone in enumerate(phones):
        if phone.symbol in BILABIALS:
            centre = 0.5 * (phone.start + phone.end)
            shut_from = min(phone.start, centre - CLOSURE_MIN_HALF_WIDTH)
            shut_to = max(phone.end - 0.25 * (phone.end - phone.start),
                          centre + CLOSURE_MIN_HALF_WIDTH)
            lead, release = CLOSURE_LEAD, CLOSURE_RELEASE
            if index > 0 and phones[index - 1].symbol not in BILABIALS | {"SIL"}:
                previous = phones[index - 1]
                lead = float(np.clip(CLOSURE_NEIGHBOUR_SHARE * (previous.end - previous.start),
                                     CLOSURE_MIN_MOVE, CLOSURE_LEAD))
            if index + 1 < len(phones) and phones[index + 1].symbol not in BILABIALS | {"SIL"}:
                following = phones[index + 1]
                release = float(np.clip(CLOSURE_NEIGHBOUR_SHARE * (following.end - following.start),
                                        CLOSURE_MIN_MOVE, CLOSURE_RELEASE))
            shut = _plateau(times, shut_from, shut_to, lead, release)
            values[:, CLOSURE] = np.maximum(values[:, CLOSURE], shut)
    return np.clip(values, 0.0, 1.0).astype(np.float32)


def without_noise(phones: list[Phone]) -> list[Phone]:
    """The timeline with vowel-less bursts of voiceless phones made silent.

    Parameters
    ----------
    phones : list of Phone
        Phone timeline in time order.

    Returns
    -------
    list of Phone
        The same timeline where each run of non-silent phones between two
        silences (or the audio's ends) made only of :data:`VOICELESS` phones
        (an audible breath, click or lip smack) is silence; neighbouring
        silences are merged.
    """
    result: list[Phone] = []
    run: list[Phone] = []

    def flush() -> None:
        if run and all(phone.symbol in VOICELESS for phone in run):
            run[:] = [Phone("SIL", run[0].start, run[-1].end)]
        for phone in run:
            if phone.symbol == "SIL" and result and result[-1].symbol == "SIL":
                result[-1] = Phone("SIL", result[-1].start, phone.end)
            else:
                result.append(phone)
        run.clear()

    for phone in phones:
        if phone.symbol in PHONE_TARGETS and phone.symbol != "SIL":
            run.append(phone)
            continue
        flush()
        silence = Phone("SIL", phone.start, phone.end)
        if result and result[-1].symbol == "SIL":
            result[-1] = Phone("SIL", result[-1].start, phone.end)
        else:
            result.append(silence)
    flush()
    return result


def _speech_spans(speech: Speech) -> list[tuple[float, float]]:
    """(start, end) seconds of speech: non-silent phones, else loud audio."""
    phones = without_noise([phone for phone in speech.phones if phone.end > phone.start])
    if any(phone.symbol != "SIL" for phone in phones):
        marks = [(phone.start, phone.end) for phone in phones if phone.symbol != "SIL"]
    else:
        step = 0.01
        times = np.arange(0.0, speech.duration, step)
        loud = loudness_envelope(speech.samples, speech.sample_rate, times) >= SPEECH_LEVEL
        marks = [(float(t), float(t) + step) for t in times[loud]]
    spans: list[tuple[float, float]] = []
    for start, end in marks:
        if spans and start - spans[-1][1] < BREATH_MIN_PAUSE:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def own_mouth_weight(speech: Speech, times: np.ndarray) -> np.ndarray:
    """How much of the photo's own lip gap shows at each time.

    The portrait is shown as given before the first utterance and in pauses
    of at least :data:`LONG_PAUSE` s; from the inhalation before an
    utterance until :data:`RELAX_DELAY` s after it the articulated opening
    replaces the photo's (the lips close between words and after speech
    even when the photo has them parted).

    Parameters
    ----------
    speech : Speech
        Phones, or else the audio, tell where the speech is.
    times : np.ndarray, shape (T,)
        Seconds.

    Returns
    -------
    np.ndarray, shape (T,), float64
        1 = the photo's own gap, 0 = closed lips before articulation.
    """
    times = np.asarray(times, dtype=np.float64).reshape(-1)
    spans = _speech_spans(speech)
    # Pauses shorter than LONG_PAUSE keep the speaking posture.
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < LONG_PAUSE:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    speaking = np.zeros(times.size)
    for index, (start, end) in enumerate(merged):
        next_start = merged[index + 1][0] if index + 1 < len(merged) else float(speech.duration)
        rise = _smooth_ramp((times - (start - BREATH_LEAD)) / BREATH_RISE)
        if next_start - end >= LONG_PAUSE:
            fall = 1.0 - _smooth_ramp((times - (end + RELAX_DELAY)) / RELAX_TIME)
        else:
            fall = np.where(times <= next_start, 1.0, 0.0)
        speaking = np.maximum(speaking, np.minimum(rise, fall))
    return 1.0 - speaking


def windowed_rms(samples: np.ndarray, sample_rate: int, times: np.ndarray, window: float) -> np.ndarray:
    """RMS of the samples in a window of ``window`` seconds centred on each time.

    Returns
    -------
    np.ndarray, shape (T,), float64
        In the samples' own units (not normalised).
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    half = max(1, int(round(window * sample_rate / 2)))
    cumulative = np.concatenate([[0.0], np.cumsum(samples ** 2)])
    centres = np.clip(np.round(np.asarray(times) * sample_rate).astype(np.int64), 0, samples.size)
    lo = np.clip(centres - half, 0, samples.size)
    hi = np.clip(centres + half, 0, samples.size)
    return np.sqrt((cumulative[hi] - cumulative[lo]) / np.maximum(hi - lo, 1))


def loudness_envelope(samples: np.ndarray, sample_rate: int, times: np.ndarray,
                      window: float | None = None) -> np.ndarray:
    """RMS level around each time, normalised per utterance.

    Parameters
    ----------
    samples : np.ndarray, shape (N,)
        Mono audio.
    sample_rate : int
        Samples per second.
    times : np.ndarray, shape (T,)
        Seconds.
    window : float, optional
        Width of the RMS window in seconds (default :data:`LOUDNESS_WINDOW`).

    Returns
    -------
    np.ndarray, shape (T,), float64
        0 in silence, about 1 at the utterance's loud parts (its 95th
        percentile of voiced levels), clipped to [0, 1.5].
    """
    times = np.asarray(times, dtype=np.float64)
    if np.asarray(samples).size == 0:
        return np.zeros(times.size)
    rms = windowed_rms(samples, sample_rate, times, LOUDNESS_WINDOW if window is None else window)
    loud = np.percentile(rms, 95) if rms.size else 0.0
    if loud <= 1e-5:
        return np.zeros(times.size)
    # Below ~-40 dB of the loud parts counts as silence.
    level = np.clip(rms / loud, 0.0, 1.5)
    return np.where(level < 0.01, 0.0, level)


def _gaussian_smooth(values: np.ndarray, sigma_frames: float) -> np.ndarray:
    if sigma_frames < 0.3 or len(values) < 3:
        return values
    return gaussian_smooth(values, sigma_frames, axis=0)


def _curve_at(articulation, times: np.ndarray, fps: float) -> np.ndarray:
    """An :class:`~speaker.types.ArticulationCurve` sampled at the frame ``times``, shape (T, K), float64."""
    rate = float(articulation.rate)
    curve = np.asarray(articulation.values, dtype=np.float64)
    # Low-pass at the curve's own rate before sampling it at the frame
    # rate, so frame-to-frame noise of the model neither shows nor aliases.
    curve = _gaussian_smooth(curve, max(CURVE_SMOOTHING, CURVE_FRAME_SMOOTHING / fps) * rate)
    curve_times = np.arange(len(curve)) / rate
    return np.stack([np.interp(times, curve_times, curve[:, k]) for k in range(K)], axis=1)


def articulation_from_speech(speech: Speech, fps: float) -> np.ndarray:
    """Articulation at every video frame of the speech.

    Uses the phone timeline when there is one (and, where the timing stage
    gave both, the audio model's curve where it exceeds the phones: speech
    without recognised words), else the audio model's
    :class:`~speaker.types.ArticulationCurve`, else a loudness-driven jaw.
    The jaw is then scaled mildly by loudness (never opened in silence).

    Parameters
    ----------
    speech : Speech
        Audio with phones and/or an articulation curve.
    fps : float
        Frames per second.

    Returns
    -------
    np.ndarray, shape (T, K), float32
        ``T = speaker.timebase.n_frames(speech.duration, fps)``.
    """
    count = n_frames(speech.duration, fps)
    times = frame_times(count, fps)
    level = loudness_envelope(speech.samples, speech.sample_rate, times)
    phones = without_noise([phone for phone in speech.phones if phone.end > phone.start])
    if any(phone.symbol != "SIL" for phone in phones):
        values = articulation_from_phones(phones, times).astype(np.float64)
        # At low frame rates a short bilabial's plateau may fall between frames:
        # shut the frame nearest its centre anyway.
        for phone in phones:
            if phone.symbol in BILABIALS:
                index = int(round(0.5 * (phone.start + phone.end) * fps))
                if 0 <= index < count:
                    values[index, CLOSURE] = 1.0
        if speech.articulation is not None and len(speech.articulation.values):
            # Beside phones, a curve covers only speech without phones (the
            # timing stage's word-less stretches; zero elsewhere).
            values = np.maximum(values, _curve_at(speech.articulation, times, fps))
    elif speech.articulation is not None and len(speech.articulation.values):
        values = _curve_at(speech.articulation, times, fps)
    else:
        values = np.zeros((count, K))
        smooth_level = _gaussian_smooth(np.minimum(level, 1.0), 0.04 * fps)
        values[:, JAW] = FALLBACK_JAW * smooth_level
        values[:, SPREAD] = 0.2 * smooth_level
    jaw_factor = 1.0 + LOUDNESS_GAIN * (np.minimum(level, 1.0) - 0.5)
    jaw_factor = _gaussian_smooth(jaw_factor, 0.03 * fps)
    values[:, JAW] *= jaw_factor
    return np.clip(values, 0.0, 1.0).astype(np.float32)
