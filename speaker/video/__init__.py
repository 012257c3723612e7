"""The video stage: frames and speech into an MP4, subtitles beside it.

>>> check_writable("talk.mp4")            # early, before any expensive work
>>> write_video("talk.mp4", frames, size=(W, H), fps=25.0, samples=audio, sample_rate=22050, n_frames=T)
>>> write_subtitles(words, Path("talk"))  # talk.srt, talk.vtt
>>> probe("talk.mp4")["frame_count"]
"""

from __future__ import annotations

from .encoder import check_writable, write_video, write_video_segments
from .probe import probe
from .reader import VideoFrames, read_video
from .subtitles import write_subtitles

__all__ = [
    "VideoFrames", "check_writable", "probe", "read_video", "write_subtitles", "write_video",
    "write_video_segments",
]
