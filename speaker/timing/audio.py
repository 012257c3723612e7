"""Reading a user's audio file, and changing sample rates."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from ..errors import SpeakerError

#: Shortest audio worth animating, seconds.
MIN_DURATION = 0.5
#: Below this peak level (full scale 1.0) the audio is taken as silent.
SILENT_PEAK = 1e-3
#: Below this RMS level the audio is taken as silent (digital zero, dither).
SILENT_RMS = 1e-5
#: Containers libsndfile reads quietly; others (mp3 above all: its mpg123
#: decoder prints notes on stderr for a damaged file) go to ffmpeg.
SOUNDFILE_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".au", ".w64", ".caf"})
#: Seconds allowed for ffmpeg to decode one file.
FFMPEG_TIMEOUT = 600


def load_audio(path: str | Path, speech_needed: bool = True) -> tuple[np.ndarray, int]:
    """Read an audio (or video) file as mono float samples.

    WAV, FLAC, OGG and AIFF are read with soundfile; anything else ffmpeg decodes
    (mp3, m4a/aac, opus, the audio track of a video) is decoded with the
    ffmpeg binary of imageio-ffmpeg.

    Parameters
    ----------
    path : str or Path
        The file.
    speech_needed : bool
        Refuse audio too short or too quiet to hold speech (a recording to
        lip-sync); False reads any sound as it is (a driving video's).

    Returns
    -------
    samples : np.ndarray, shape (N,), float32
        Mono (channels averaged) in [-1, 1].
    sample_rate : int
        The file's samples per second.

    Raises
    ------
    SpeakerError
        Missing, unreadable or unsupported file, no audio in it; with
        ``speech_needed``, audio shorter than :data:`MIN_DURATION` or silent.
    """
    path = Path(path)
    if not path.is_file():
        raise SpeakerError(f"The audio file {path} does not exist.")
    decoded = _read_with_soundfile(path) if path.suffix.lower() in SOUNDFILE_SUFFIXES else None
    if decoded is None:
        decoded = _read_with_ffmpeg(path)
    samples, sample_rate = decoded
    samples = np.clip(np.nan_to_num(samples), -1.0, 1.0).astype(np.float32, copy=False)
    duration = len(samples) / float(sample_rate)
    if not speech_needed:
        return samples, sample_rate
    if duration < MIN_DURATION:
        raise SpeakerError(
            f"The audio in {path} lasts {duration:.2f} s; give at least {MIN_DURATION} s of speech."
        )
    peak = float(np.max(np.abs(samples)))
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if peak < SILENT_PEAK or rms < SILENT_RMS:
        raise SpeakerError(f"The audio in {path} is silent; give a recording with speech in it.")
    return samples, sample_rate


def _read_with_soundfile(path: Path) -> tuple[np.ndarray, int] | None:
    """Samples and rate via libsndfile, or None when it cannot read the file."""
    import soundfile

    try:
        data, sample_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception:  # libsndfile raises several types for formats it lacks
        return None
    return data.mean(axis=1, dtype=np.float32), int(sample_rate)


def _probe_sample_rate(ffmpeg: str, path: Path) -> int | None:
    """The sample rate of the first audio stream as ffmpeg reports it."""
    import re

    result = subprocess.run(
        [ffmpeg, "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True, text=True, errors="replace", timeout=FFMPEG_TIMEOUT,
    )
    match = re.search(r"Stream #\S+.*?Audio:.*?(\d+) Hz", result.stderr)
    return int(match.group(1)) if match else None


def _read_with_ffmpeg(path: Path) -> tuple[np.ndarray, int]:
    """Decode the first audio stream to 16-bit mono PCM with ffmpeg."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    sample_rate = _probe_sample_rate(ffmpeg, path)
    if sample_rate is None:
        raise SpeakerError(f"Cannot read audio from {path}: it is not a supported audio or video file, or it has no sound.")
    command = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
        "-vn", "-map", "0:a:0", "-ac", "1", "-ar", str(sample_rate), "-f", "s16le", "-acodec", "pcm_s16le", "-",
    ]
    result = subprocess.run(command, capture_output=True, timeout=FFMPEG_TIMEOUT)
    if result.returncode != 0 or not result.stdout:
        raise SpeakerError(f"Cannot read audio from {path}: ffmpeg could not decode it (corrupt or unsupported file).")
    pcm = np.frombuffer(result.stdout[: len(result.stdout) // 2 * 2], dtype=np.int16)
    return pcm.astype(np.float32) / 32768.0, sample_rate


def resample(samples: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Change the sample rate of mono audio.

    Parameters
    ----------
    samples : np.ndarray, shape (N,), float
    sr_from, sr_to : int
        Samples per second before and after.

    Returns
    -------
    np.ndarray, shape (round(N * sr_to / sr_from),), float32
    """
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    if int(sr_from) == int(sr_to):
        return samples
    import soxr

    return soxr.resample(samples, int(sr_from), int(sr_to), quality="HQ").astype(np.float32, copy=False)
