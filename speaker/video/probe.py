"""Measuring an encoded video with the ffmpeg binary alone (no ffprobe ships with imageio-ffmpeg)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ..errors import SpeakerError

#: Bytes read at a time when counting decoded audio samples.
_CHUNK_BYTES = 1 << 20

_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\d+:\d+\S*: Video: (\w+)(?: \(([^)]*)\))?.*?, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)")
_FPS = re.compile(r", (\d+(?:\.\d+)?) fps")
_AUDIO = re.compile(r"Stream #\d+:\d+\S*: Audio: (\w+)(?: \(([^)]*)\))?.*?, (\d+) Hz, ([^,]+),")


def probe(path: str | Path) -> dict:
    """Describe the streams of a video file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict
        ``duration`` (container, s); ``video_codec`` (e.g. ``"h264"``),
        ``video_profile``, ``pix_fmt``, ``width``, ``height``, ``fps``,
        ``frame_count`` (decoded), ``video_duration`` (``frame_count / fps``, s);
        when there is audio, ``audio_codec`` (``"aac"``), ``sample_rate``,
        ``channels`` (ffmpeg's layout name, e.g. ``"mono"``), ``audio_samples``
        (decoded, edit list applied) and ``audio_duration`` (s); else
        ``audio_codec`` is None.

    Raises
    ------
    SpeakerError
        The file is missing or ffmpeg cannot read it.
    """
    import imageio_ffmpeg

    path = Path(path)
    if not path.is_file():
        raise SpeakerError(f"Cannot probe {path}: the file does not exist.")
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    header = subprocess.run(
        [ffmpeg, "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True, text=True, errors="replace"
    ).stderr
    info: dict = {"path": str(path), "duration": None, "video_codec": None, "audio_codec": None}
    match = _DURATION.search(header)
    if match:
        hours, minutes, seconds = match.groups()
        info["duration"] = int(hours) * 3600 + int(minutes) * 60 + float(seconds)

    video = _VIDEO.search(header)
    if video:
        codec, profile, pix_fmt, width, height = video.groups()
        line = header[video.start() : header.find("\n", video.start())]
        fps = _FPS.search(line)
        info.update(
            video_codec=codec,
            video_profile=profile,
            pix_fmt=pix_fmt,
            width=int(width),
            height=int(height),
            fps=float(fps.group(1)) if fps else None,
        )
        frame_count, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
        info["frame_count"] = int(frame_count)
        info["video_duration"] = frame_count / info["fps"] if info["fps"] else None

    audio = _AUDIO.search(header)
    if audio:
        codec, profile, rate, channels = audio.groups()
        info.update(audio_codec=codec, audio_profile=profile, sample_rate=int(rate), channels=channels.strip())
        samples = _count_audio_samples(ffmpeg, path)
        info["audio_samples"] = samples
        info["audio_duration"] = samples / int(rate)

    if not video and not audio:
        raise SpeakerError(f"Cannot probe {path}: ffmpeg finds no audio or video in it.")
    return info


def _count_audio_samples(ffmpeg: str, path: Path) -> int:
    """Decode the first audio stream to 16-bit mono and count the samples."""
    command = [ffmpeg, "-nostdin", "-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-f", "s16le", "-"]
    total = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        while chunk := process.stdout.read(_CHUNK_BYTES):
            total += len(chunk)
    return total // 2
