"""Reading a driving video's frames one at a time with the ffmpeg binary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SpeakerError


#: Suffixes of still pictures (an animated GIF is a video and may drive a face).
STILL_PICTURE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".heic", ".heif"})


@dataclass
class VideoFrames:
    """A video opened for reading.

    Attributes
    ----------
    fps : float
        Frames per second of the video stream.
    size : (int, int)
        ``(width, height)`` in pixels.
    duration : float
        Seconds, as the container says (0 when unknown).
    frames : iterator of np.ndarray, each shape (H, W, 3), uint8
        RGB frames in order, decoded one at a time.
    """

    fps: float
    size: tuple[int, int]
    duration: float
    frames: Iterator[np.ndarray]


def read_video(path: str | Path) -> VideoFrames:
    """Open a video (mp4, mov, mkv, webm, avi...) and stream its frames.

    Raises
    ------
    SpeakerError
        The file is missing, or ffmpeg finds no video stream in it.
    """
    import imageio_ffmpeg

    path = Path(path)
    if not path.is_file():
        raise SpeakerError(f"The video file {path} does not exist.")
    if path.suffix.lower() in STILL_PICTURE_SUFFIXES:
        # ffmpeg reads a photo as a video of one frame: a performance that never moves.
        raise SpeakerError(f"{path} is a still picture, not a video: give a video of a person speaking or "
                           "moving (mp4, mov, mkv, webm).")
    reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
    try:
        meta = next(reader)
    except (RuntimeError, OSError, StopIteration):
        reader.close()
        # imageio-ffmpeg's own words ("Could not load meta information") say nothing to a user.
        raise SpeakerError(f"Cannot read {path} as a video: ffmpeg finds no picture in it (a sound file, "
                           "or not a video at all).") from None
    width, height = (int(v) for v in meta.get("size", (0, 0)))
    fps = float(meta.get("fps") or 0.0)
    if width <= 0 or height <= 0 or fps <= 0:
        reader.close()
        raise SpeakerError(f"Cannot read {path} as a video: it has no video stream.")

    def frames() -> Iterator[np.ndarray]:
        try:
            for raw in reader:
                yield np.frombuffer(raw, np.uint8).reshape(height, width, 3)
        finally:
            reader.close()

    return VideoFrames(fps=fps, size=(width, height), duration=float(meta.get("duration") or 0.0), frames=frames())
