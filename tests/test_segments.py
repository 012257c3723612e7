"""Seams between speech segments: what the cross-fade keeps."""

from __future__ import annotations

import numpy as np

from speaker.face_model import GENERIC_FACE
from speaker.motion.blinks import blink_profile
from speaker.motion.landmarks import LOWER_LIDS, UPPER_LIDS, mouth_landmarks
from speaker.pipeline.segments import _cross_fade
from speaker.types import ARTICULATION_NAMES, Track


#: A face's landmarks: the generic face 200 px wide (any portrait's would do).
NEUTRAL = (200.0 * GENERIC_FACE[:, :2] + 300.0).astype(np.float64)


def still_track(count: int, eyelid: np.ndarray) -> Track:
    """A track saying nothing, its eyes closed by ``eyelid`` as the motion stage closes them."""
    articulation = np.zeros((count, len(ARTICULATION_NAMES)), np.float32)
    return Track(
        fps=25.0,
        landmarks=mouth_landmarks(NEUTRAL, articulation, eyelid).astype(np.float32),
        head_pose=np.tile(np.array([0, 0, 0, 0, 0, 1], np.float32), (count, 1)),
        articulation=articulation,
        eyelid=eyelid.astype(np.float32),
        image_size=(640, 640),
        words=[],
    )


def lid_gap(track: Track) -> np.ndarray:
    """(T,) pixels between the upper and lower lid points, both eyes."""
    return np.abs(track.landmarks[:, LOWER_LIDS, 1] - track.landmarks[:, UPPER_LIDS, 1]).mean(axis=1)


def test_a_blink_in_the_seam_still_shuts_fully():
    seam = 12
    times = np.arange(40) / 25.0
    new_blink = blink_profile(times, 4 / 25.0, 0.2)      # in the new track's faded-in frames
    old_blink = blink_profile(times[:seam], 9 / 25.0, 0.2)  # in the old track's fading-out frames
    assert new_blink.max() == 1.0 and old_blink.max() == 1.0

    faded = _cross_fade(still_track(seam, np.zeros(seam)), still_track(40, new_blink), NEUTRAL)
    assert faded.eyelid.max() == 1.0
    assert np.argmax(faded.eyelid) == 4
    np.testing.assert_array_equal(faded.eyelid[seam:], new_blink[seam:].astype(np.float32))

    faded = _cross_fade(still_track(seam, old_blink), still_track(40, np.zeros(40)), NEUTRAL)
    assert faded.eyelid.max() == 1.0 and np.argmax(faded.eyelid) == 9


def test_the_lids_landmarks_in_a_seam_close_as_far_as_its_eyelid_says():
    """The renderer lays the shut lid's edge on the lower lid's landmarks: faded, those rose only
    part way (a blink shut at 9 of 12 seam frames in, its lids 90% open) and the lid shut short."""
    seam = 12
    times = np.arange(40) / 25.0
    old_blink = blink_profile(times[:seam], 9 / 25.0, 0.2)
    faded = _cross_fade(still_track(seam, old_blink), still_track(40, np.zeros(40)), NEUTRAL)
    alone = still_track(40, faded.eyelid)  # the same eyelid, drawn by the motion stage in one piece
    np.testing.assert_allclose(faded.landmarks, alone.landmarks, atol=1e-3)
    assert lid_gap(faded)[9] < 1e-3 < lid_gap(faded)[0]
