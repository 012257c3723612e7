"""Head motion from prosody: nods on accents, settling at phrase ends, sway.

The head pose of each frame is the sum of

- a slow sway: per channel a sum of low-frequency sinusoids with seeded random
  phases (smooth, never frozen), calmed during long pauses;
- nods: a smooth pulse of pitch (down) and a little roll on every accent, an
  accent being a stressed vowel (or, without phones, a loudness peak) weighted
  by how high its pitch and loudness stand in the utterance;
- settling: at the end of a phrase the head drops slightly and comes to rest.

Amplitudes depend on the style (``still``: no motion, ``calm``: a few degrees,
``lively``: more) times ``scale``; rotations are soft-limited to
+/- :data:`MAX_ROTATION` degrees, translations are in pixels proportional to
the face width.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpeakerError
from ..timebase import gaussian_smooth
from ..types import HEAD_POSE_NAMES, Speech
from .articulation import windowed_rms

YAW, PITCH, ROLL, TX, TY, SCALE = range(len(HEAD_POSE_NAMES))

#: Per style: sway amplitude of yaw, pitch, roll (degrees), of tx, ty (face
#: widths) and of scale (fraction); nod amplitude (degrees of pitch at the
#: strongest accent); phrase-end settle (degrees of pitch).
STYLES = {
    "still": dict(sway=(0.0, 0.0, 0.0, 0.0, 0.0, 0.0), nod=0.0, settle=0.0),
    "calm": dict(sway=(1.6, 1.0, 0.8, 0.006, 0.004, 0.004), nod=1.6, settle=0.8),
    "lively": dict(sway=(3.2, 2.0, 1.6, 0.012, 0.008, 0.008), nod=3.2, settle=1.5),
}
#: Rotations are soft-limited to this many degrees (tanh knee).
MAX_ROTATION = 6.0
#: Sway frequencies (Hz): each channel sums SWAY_COMPONENTS sinusoids drawn
#: in this band.
SWAY_BAND = (0.06, 0.35)
SWAY_COMPONENTS = 3
#: Sway kept during long pauses (fraction), and how fast it changes (s).
PAUSE_SWAY = 0.45
ACTIVITY_SMOOTHING = 0.4
#: Seconds of audio in each loudness reading.
RMS_WINDOW = 0.05
#: Seconds over which the sway grows from the photo's pose at the first frame.
SWAY_ONSET = 1.0
#: Seconds of the running average of nods taken away from pitch (removes a downward drift).
PITCH_DRIFT_WINDOW = 2.0
#: A nod starts NOD_LEAD s before the accented vowel, rises in NOD_RISE s,
#: then decays over NOD_DECAY s.
NOD_LEAD = 0.1
NOD_RISE = 0.2
NOD_DECAY = 0.4
#: Roll and yaw that go with a nod, per degree of nod.
NOD_ROLL = 0.25
NOD_YAW = 0.15
#: A pause at least this long (s) ends a phrase.
PHRASE_PAUSE = 0.25
#: How a head translation follows a rotation: pixels per degree per face width.
TRANSLATION_PER_DEGREE = 0.004
#: Pitch analysis: frame window (s), search range (Hz) and voicing threshold
#: (normalised autocorrelation).
PITCH_WINDOW = 0.04
PITCH_RANGE = (70.0, 400.0)
VOICING_THRESHOLD = 0.45


def pitch_track(samples: np.ndarray, sample_rate: int, times: np.ndarray) -> np.ndarray:
    """Fundamental frequency around each time, by normalised autocorrelation.

    Parameters
    ----------
    samples : np.ndarray, shape (N,)
        Mono audio.
    sample_rate : int
        Samples per second.
    times : np.ndarray, shape (T,)
        Seconds.

    Returns
    -------
    np.ndarray, shape (T,), float64
        Hz, 0 where unvoiced or silent.
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    window = int(PITCH_WINDOW * sample_rate)
    min_lag = max(1, int(sample_rate / PITCH_RANGE[1]))
    max_lag = min(window - 1, int(sample_rate / PITCH_RANGE[0]))
    if samples.size < window or max_lag <= min_lag:
        return np.zeros(len(times))
    starts = np.clip(np.round(times * sample_rate).astype(np.int64) - window // 2,
                     0, samples.size - window)
    frames = samples[starts[:, None] + np.arange(window)[None, :]]
    frames = (frames - frames.mean(axis=1, keepdims=True)) * np.hanning(window)[None, :]
    size = 1 << int(np.ceil(np.log2(2 * window)))
    spectrum = np.fft.rfft(frames, size, axis=1)
    autocorrelation = np.fft.irfft(np.abs(spectrum) ** 2, size, axis=1)[:, :window]
    energy = autocorrelation[:, :1]
    normalised = autocorrelation / np.maximum(energy, 1e-12)
    # Divide out the window's own autocorrelation decay so long lags are fair.
    taper = np.correlate(np.hanning(window), np.hanning(window), "full")[window - 1:]
    normalised = normalised / np.maximum(taper / taper[0], 1e-3)
    lags = np.arange(min_lag, max_lag + 1)
    best = lags[np.argmax(normalised[:, lags], axis=1)]
    strength = normalised[np.arange(len(best)), best]
    loud = np.sqrt(energy[:, 0] / window)
    voiced = (strength > VOICING_THRESHOLD) & (loud > 0.02 * max(loud.max(), 1e-9))
    return np.where(voiced, sample_rate / best, 0.0)


def _accents(speech: Speech, times: np.ndarray, level: np.ndarray,
             pitch: np.ndarray) -> list[tuple[float, float]]:
    """Accents as (time in s, strength 0..1)."""
    voiced = pitch[pitch > 0]
    median_pitch = float(np.median(voiced)) if voiced.size else 0.0

    def prominence(start: float, end: float) -> float:
        inside = (times >= start) & (times < max(end, start + 1e-3))
        if not inside.any():
            inside = np.abs(times - 0.5 * (start + end)) == np.abs(times - 0.5 * (start + end)).min()
        loud = float(level[inside].max())
        high = 0.0
        if median_pitch > 0 and (pitch[inside] > 0).any():
            # Semitones above the utterance's median, saturating at 4.
            high = float(np.clip(12 * np.log2(pitch[inside].max() / median_pitch) / 4, 0, 1))
        return float(np.clip(0.4 + 0.35 * high + 0.25 * loud, 0.0, 1.0))

    accents = []
    stressed = [p for p in speech.phones if p.stress == 1 and p.symbol != "SIL"]
    if stressed:
        for phone in stressed:
            accents.append((phone.start, prominence(phone.start, phone.end)))
    elif level.size > 2:
        # No phones: loudness peaks at least 0.35 s apart stand for syllable nuclei.
        from scipy.signal import find_peaks

        fps = 1.0 / max(times[1] - times[0], 1e-6) if times.size > 1 else 25.0
        peaks, _ = find_peaks(level, height=0.5, distance=max(1, int(0.35 * fps)))
        for index in peaks:
            accents.append((float(times[index]), prominence(times[index] - 0.05, times[index] + 0.05)))
    return accents


def _pauses(speech: Speech, level: np.ndarray, times: np.ndarray) -> list[tuple[float, float]]:
    """Pauses at least PHRASE_PAUSE long, as (start, end) in seconds."""
    if speech.phones:
        return [(p.start, p.end) for p in speech.phones
                if p.symbol == "SIL" and p.end - p.start >= PHRASE_PAUSE]
    quiet = level < 0.05
    pauses, start = [], None
    for time, is_quiet in zip(times, quiet):
        if is_quiet and start is None:
            start = time
        elif not is_quiet and start is not None:
            if time - start >= PHRASE_PAUSE:
                pauses.append((start, time))
            start = None
    if start is not None and times.size and times[-1] - start >= PHRASE_PAUSE:
        pauses.append((start, float(times[-1])))
    return pauses


def _nod_pulse(times: np.ndarray, onset: float) -> np.ndarray:
    """Smooth pulse: 0 before onset, peaks 1 at onset + NOD_RISE, then decays."""
    rise = np.clip((times - onset) / NOD_RISE, 0.0, 1.0)
    rising = 0.5 - 0.5 * np.cos(np.pi * rise)
    after = np.maximum(times - onset - NOD_RISE, 0.0)
    return rising * np.exp(-((after / NOD_DECAY) ** 2))


def _soft_limit(values: np.ndarray, limit: float) -> np.ndarray:
    return limit * np.tanh(values / limit)


def head_motion(speech: Speech, times: np.ndarray, face_width: float, style: str = "calm",
                scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """Head pose per frame.

    Parameters
    ----------
    speech : Speech
        Audio and (optionally) phones with stress.
    times : np.ndarray, shape (T,)
        Frame times in seconds.
    face_width : float
        Face width in pixels (translations are proportional to it).
    style : {"still", "calm", "lively"}
        Amplitude of the motion.
    scale : float
        Multiplies every amplitude (0 = no motion).
    seed : int
        Seed of the sway.

    Returns
    -------
    np.ndarray, shape (T, 6), float32
        Columns :data:`speaker.types.HEAD_POSE_NAMES`: yaw, pitch, roll in
        degrees, tx, ty in pixels, scale around 1.
    """
    if style not in STYLES:
        raise SpeakerError(f"Unknown motion style '{style}'; use one of {', '.join(STYLES)}.")
    if scale < 0:
        raise SpeakerError("The motion scale must not be negative.")
    times = np.asarray(times, dtype=np.float64)
    count = times.size
    pose = np.zeros((count, 6))
    pose[:, SCALE] = 1.0
    settings = STYLES[style]
    if scale == 0 or style == "still":
        return pose.astype(np.float32)

    rms = windowed_rms(speech.samples, speech.sample_rate, times, RMS_WINDOW)
    loud = np.percentile(rms, 95) if rms.size else 0.0
    level = np.clip(rms / loud, 0.0, 1.0) if loud > 1e-5 else np.zeros(count)
    pitch = pitch_track(speech.samples, speech.sample_rate, times)

    # Activity: 1 while speaking, PAUSE_SWAY in long pauses, smoothed.
    activity = np.ones(count)
    pauses = _pauses(speech, level, times)
    for start, end in pauses:
        activity[(times >= start) & (times < end)] = PAUSE_SWAY
    if count > 2:
        step = times[1] - times[0]
        activity = gaussian_smooth(activity, ACTIVITY_SMOOTHING / max(step, 1e-6))

    rng = np.random.default_rng(np.random.SeedSequence([seed % 2**63, 0x4EAD]))
    sway_amplitudes = np.array(settings["sway"]) * scale
    for channel in range(6):
        frequencies = rng.uniform(*SWAY_BAND, SWAY_COMPONENTS)
        phases = rng.uniform(0, 2 * np.pi, SWAY_COMPONENTS)
        weights = rng.uniform(0.5, 1.0, SWAY_COMPONENTS)
        wave = (weights[None, :] * np.sin(2 * np.pi * frequencies[None, :] * times[:, None]
                                          + phases[None, :])).sum(axis=1)
        wave /= np.sqrt((weights ** 2).sum() / 2)        # about unit RMS
        amplitude = sway_amplitudes[channel]
        if channel in (TX, TY):
            amplitude *= face_width
        pose[:, channel] += amplitude * activity * wave

    nod = np.zeros(count)
    side = rng.choice([-1.0, 1.0])
    roll_yaw = np.zeros(count)
    for onset, strength in _accents(speech, times, level, pitch):
        pulse = _nod_pulse(times, onset - NOD_LEAD) * strength
        nod += pulse
        side = -side                      # alternate the tilt that goes with a nod
        roll_yaw += side * pulse
    nod_amplitude = settings["nod"] * scale
    pitch_before_nods = pose[:, PITCH].copy()
    pose[:, PITCH] += nod_amplitude * nod
    pose[:, ROLL] += NOD_ROLL * nod_amplitude * roll_yaw
    pose[:, YAW] += NOD_YAW * nod_amplitude * roll_yaw

    # Phrase ends: the head drops slightly and rests through the pause.
    for start, end in pauses:
        if start <= (times[0] if count else 0.0) + 1e-6:
            continue                      # a leading silence ends no phrase
        settle = np.clip((times - start) / 0.3, 0, 1) * np.clip((end + 0.3 - times) / 0.3, 0, 1)
        settle = 0.5 - 0.5 * np.cos(np.pi * settle)
        pose[:, PITCH] += settings["settle"] * scale * settle

    # Nods and settling only push down; take away their slow average so the
    # head keeps the photo's pitch on the whole instead of sinking while it talks.
    if count > 2:
        added = pose[:, PITCH] - pitch_before_nods
        pose[:, PITCH] -= gaussian_smooth(added, PITCH_DRIFT_WINDOW / max(times[1] - times[0], 1e-6))
    # The video opens on the photo's own pose and drifts into the motion.
    if count:
        onset = np.exp(-(times - times[0]) / SWAY_ONSET)
        neutral = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
        pose -= (pose[0] - neutral)[None, :] * onset[:, None]
    for channel in (YAW, PITCH, ROLL):
        pose[:, channel] = _soft_limit(pose[:, channel], MAX_ROTATION)
    # A head that nods down also moves down a little; a turn shifts it sideways.
    pose[:, TX] += TRANSLATION_PER_DEGREE * face_width * pose[:, YAW]
    pose[:, TY] += TRANSLATION_PER_DEGREE * face_width * pose[:, PITCH]
    return pose.astype(np.float32)
