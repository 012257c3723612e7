"""The pipeline: the one package that knows every stage.

Text becomes speech with phoneme timings (or given audio is timed by
alignment or recognition); the timings and the audio drive a motion track for
the face found in the portrait; the renderer warps the portrait frame by
frame; the frames stream into an H.264/AAC MP4 with the speech muxed.

- :mod:`.core`: what every entry point shares (the result, the stage clock,
  staged outputs and warnings, finding the face, rendering a whole track);
- :mod:`.speak`: :func:`speak` (text or a recording), :func:`check_speak` (what it
  refuses, without the work) and :func:`render_track`;
- :mod:`.segments`: :func:`render_speech_segments`, speech that arrives in
  segments (a long recording, a script sentence by sentence);
- :mod:`.performances`: :func:`animate`, :func:`drive` and :func:`dialogue`.

The CLI, the web page and the batch runner call these, nothing below them.
"""

from .core import (RENDER_PROGRESS_SECONDS, STAGES, PhotoFaces, ProgressCallback, ProgressUpdate, SpeakResult,
                   _StagedOutputs, chosen_face_sentence, collect_warnings, faces_left_to_right, find_faces, photo_faces)
from .performances import animate, dialogue, drive
from .segments import SEAM_SECONDS, render_speech_segments
from .speak import check_speak, render_track, speak

__all__ = [
    "RENDER_PROGRESS_SECONDS", "SEAM_SECONDS", "STAGES", "PhotoFaces", "ProgressCallback", "ProgressUpdate",
    "SpeakResult", "_StagedOutputs", "chosen_face_sentence", "collect_warnings",
    "animate", "check_speak", "dialogue", "drive", "faces_left_to_right", "find_faces", "photo_faces", "render_speech_segments", "render_track", "speak",
]
