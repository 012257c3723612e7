"""Eye blinks: when they happen and how the lids move.

Blink times follow a seeded renewal process (a refractory gap plus an
exponential wait, about 15 blinks a minute); a blink near a pause or a
phrase boundary is drawn to it, as people blink more there. Each blink lasts
100-300 ms: the lids close fast and open more slowly, and are fully shut on
at least one frame. A blink never covers a frame where the lips are shut for
a p, b or m: it is shifted to the nearest free frames instead.
"""

from __future__ import annotations

import numpy as np

#: Seconds between blinks: at least the refractory gap, plus an exponential
#: wait of the given mean (together ~4 s, i.e. ~15 blinks per minute).
REFRACTORY = 1.8
MEAN_EXTRA_WAIT = 2.2
#: First blink comes after this many seconds at most.
FIRST_BLINK_MAX = 2.0
#: A blink within this many seconds of a boundary moves to it, with this chance.
SNAP_WINDOW = 0.8
SNAP_PROBABILITY = 0.75
#: Blink duration range (s) and the shares of closing and shut time (the rest
#: is the slower opening).
DURATION_RANGE = (0.12, 0.28)
CLOSING_SHARE = 0.3
SHUT_SHARE = 0.1
#: A frame whose lip_closure reaches this is a bilabial frame (no blink there).
BILABIAL_CLOSURE = 0.98
#: Eyelid closure below this does not count as a blink frame.
OPEN_EYELID = 0.02
#: How many frames a blink may be shifted to avoid a bilabial.
MAX_SHIFT_FRAMES = 12


def blink_profile(times: np.ndarray, peak: float, duration: float) -> np.ndarray:
    """Eyelid closure of one blink.

    Parameters
    ----------
    times : np.ndarray, shape (T,)
        Seconds.
    peak : float
        Middle of the shut part, seconds.
    duration : float
        Whole blink, seconds.

    Returns
    -------
    np.ndarray, shape (T,)
        0 open .. 1 shut: a fast close (ease-in), a short shut hold, a slower
        open (ease-out).
    """
    closing = CLOSING_SHARE * duration
    shut = SHUT_SHARE * duration
    opening = duration - closing - shut
    shut_start, shut_end = peak - shut / 2, peak + shut / 2
    rise = np.clip((times - (shut_start - closing)) / closing, 0.0, 1.0)
    fall = np.clip((times - shut_end) / opening, 0.0, 1.0)
    closing_curve = rise ** 2 * (3 - 2 * rise)
    opening_curve = (1.0 - fall) ** 2     # opens briskly at first, then settles slowly
    return np.where(times <= shut_end, closing_curve, opening_curve)


def blink_times(duration: float, boundaries: list[float], rng: np.random.Generator
                ) -> list[tuple[float, float]]:
    """Seeded blink (peak time, duration) pairs in seconds."""
    blinks: list[tuple[float, float]] = []
    boundaries = np.asarray(sorted(boundaries), dtype=np.float64)
    time = rng.uniform(0.3, FIRST_BLINK_MAX)
    while time < duration:
        length = rng.uniform(*DURATION_RANGE)
        snap = rng.random() < SNAP_PROBABILITY
        candidate = time
        if snap and boundaries.size:
            nearest = boundaries[np.argmin(np.abs(boundaries - time))]
            if abs(nearest - time) <= SNAP_WINDOW:
                candidate = float(nearest)
        if blinks and candidate - blinks[-1][0] < 0.7 * REFRACTORY:
            candidate = time
        if length / 2 <= candidate <= duration - length / 2:
            blinks.append((candidate, length))
        time = max(time, candidate) + REFRACTORY + rng.exponential(MEAN_EXTRA_WAIT)
    return blinks


def eyelid_track(count: int, fps: float, lip_closure: np.ndarray, boundaries: list[float],
                 seed: int = 0) -> np.ndarray:
    """Eyelid closure per frame.

    Parameters
    ----------
    count : int
        Number of frames.
    fps : float
        Frames per second.
    lip_closure : np.ndarray, shape (T,)
        The track's lip_closure column (blinks avoid its shut frames).
    boundaries : list of float
        Seconds of pauses and phrase/word boundaries (blinks are drawn there).
    seed : int
        Seed of the blink times.

    Returns
    -------
    np.ndarray, shape (T,), float32
        0 open .. 1 shut.
    """
    times = np.arange(count) / fps
    duration = count / fps
    lip_closure = np.asarray(lip_closure, dtype=np.float64).reshape(-1)
    bilabial = lip_closure >= BILABIAL_CLOSURE
    rng = np.random.default_rng(np.random.SeedSequence([seed % 2**63, 0xB1]))
    eyelid = np.zeros(count)
    for peak, length in blink_times(duration, boundaries, rng):
        peak_frame = int(round(peak * fps))
        for shift in sorted(range(-MAX_SHIFT_FRAMES, MAX_SHIFT_FRAMES + 1), key=abs):
            frame = peak_frame + shift
            # The shut hold is centred on a frame, so that frame is fully shut.
            profile = blink_profile(times, frame / fps, length)
            active = profile > OPEN_EYELID
            if frame < 0 or frame >= count or not active.any():
                continue
            if not (active & bilabial).any():
                eyelid = np.maximum(eyelid, profile)
                break
    eyelid[eyelid <= OPEN_EYELID] = 0.0
    return eyelid.astype(np.float32)
