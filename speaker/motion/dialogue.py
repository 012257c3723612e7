"""Listening: what a face does while another face of the photo speaks.

A listener stays alive and attentive: the head turns a few degrees towards
the speaker and the eyes go there too (a glance that is held, with the
track's own small saccades on top), the head nods a little now and then, and
the mouth stays closed (the listener's own track has no speech there). The
listener's blinks and sway are those of its own track.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..timebase import frame_times
from ..types import HEAD_POSE_NAMES, Track
from .idle import smooth_bump

YAW, PITCH = HEAD_POSE_NAMES.index("yaw"), HEAD_POSE_NAMES.index("pitch")

#: Head turn (degrees of yaw) and gaze (eye widths along the eye line)
#: towards the speaker while listening.
LISTEN_TURN = 3.0
LISTEN_GAZE = 0.08
#: Seconds to turn towards the speaker at the start of a turn, and back after it.
TURN_IN = 0.5
TURN_OUT = 0.6
#: Nods of a listener: seconds between them (uniform range), length (s) and
#: depth (degrees of pitch, uniform range).
NOD_GAP = (1.2, 3.2)
NOD_LENGTH = 0.55
NOD_DEPTH = (1.0, 2.2)


def listen(track: Track, spans: list[tuple[float, float, float]], seed: int = 0) -> Track:
    """A copy of ``track`` that listens during ``spans``.

    Parameters
    ----------
    track : Track
        The face's own track (speaking in its turns, silent elsewhere).
    spans : list of (start, end, towards)
        Seconds while another face speaks, and where that face is: ``towards``
        -1 when it is on the image's left, +1 on the right (0 straight ahead).
    seed : int
        Seed of the nods.

    Returns
    -------
    Track
        Same length and fps; head_pose and gaze changed, the rest shared.
    """
    times = frame_times(len(track), track.fps)
    head_pose = np.array(track.head_pose, np.float64)
    gaze = np.array(track.gaze, np.float64)
    rng = np.random.default_rng(np.random.SeedSequence([seed % 2**63, 0x115E]))
    for start, end, towards in spans:
        attention = smooth_bump(times, start - 0.1, TURN_IN, max(end - start - TURN_IN, 0.0), TURN_OUT)
        head_pose[:, YAW] += towards * LISTEN_TURN * attention
        gaze[:, 0] += towards * LISTEN_GAZE * attention
        nod_time = start + rng.uniform(0.4, NOD_GAP[1])
        while nod_time + NOD_LENGTH < end:
            depth = rng.uniform(*NOD_DEPTH)
            head_pose[:, PITCH] += depth * smooth_bump(times, nod_time, 0.4 * NOD_LENGTH, 0.0, 0.6 * NOD_LENGTH)
            nod_time += NOD_LENGTH + rng.uniform(*NOD_GAP)
    return replace(track, head_pose=head_pose.astype(np.float32), gaze=gaze.astype(np.float32))
