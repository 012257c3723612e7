"""Seams between speech segments: what the cross-fade keeps."""

from __future__ import annotations

import numpy as np

from speaker.motion.blinks import blink_profile
from speaker.pipeline.segments import _cross_fade
from speaker.types import ARTICULATION_NAMES, Track


def still_track(count: int, eyelid: np.ndarray) -> Track:
    return Track(
        fps=25.0,
        landmarks=np.zeros((count, 68, 2), np.float32),
        head_pose=np.tile(np.array([0, 0, 0, 0, 0, 1], np.float32), (count, 1)),
        articulation=np.zeros((count, len(ARTICULATION_NAMES)), np.float32),
        eyelid=eyelid.astype(np.float32),
        image_size=(64, 64),
        words=[],
    )


def test_a_blink_in_the_seam_still_shuts_fully():
    seam = 12
    times = np.arange(40) / 25.0
    new_blink = blink_profile(times, 4 / 25.0, 0.2)      # in the new track's faded-in frames
    old_blink = blink_profile(times[:seam], 9 / 25.0, 0.2)  # in the old track's fading-out frames
    assert new_blink.max() == 1.0 and old_blink.max() == 1.0

    faded = _cross_fade(still_track(seam, np.zeros(seam)), still_track(40, new_blink))
    assert faded.eyelid.max() == 1.0
    assert np.argmax(faded.eyelid) == 4
    np.testing.assert_array_equal(faded.eyelid[seam:], new_blink[seam:].astype(np.float32))

    faded = _cross_fade(still_track(seam, old_blink), still_track(40, np.zeros(40)))
    assert faded.eyelid.max() == 1.0 and np.argmax(faded.eyelid) == 9
