"""The dlib backend: its detector kept in the cache, its detections remembered (real dlib, real portrait)."""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image

from speaker.errors import SpeakerWarning
from speaker.face.dlib import _frontal_face_detector


def _boxes(detector, image):
    rects, scores, _ = detector.run(image, 1, 0.0)
    return [(r.left(), r.top(), r.right(), r.bottom()) for r in rects], list(scores)


def test_cached_detector_finds_what_the_built_in_one_finds(tmp_path, monkeypatch, grace_hopper_path):
    import dlib

    monkeypatch.setenv("SPEAKER_CACHE", str(tmp_path))
    image = np.asarray(Image.open(grace_hopper_path).convert("RGB"))
    made = _frontal_face_detector(dlib)
    saved = list((tmp_path / "dlib").glob("frontal_face_detector-*.svm"))
    assert len(saved) == 1
    loaded = _frontal_face_detector(dlib)
    built_in = _boxes(dlib.get_frontal_face_detector(), image)
    assert len(built_in[0]) == 1
    assert _boxes(made, image) == built_in
    assert _boxes(loaded, image) == built_in


def test_damaged_copy_is_made_again(tmp_path, monkeypatch):
    import dlib

    monkeypatch.setenv("SPEAKER_CACHE", str(tmp_path))
    _frontal_face_detector(dlib)
    saved = next((tmp_path / "dlib").glob("*.svm"))
    saved.write_bytes(b"not a detector")
    _frontal_face_detector(dlib)
    assert saved.stat().st_size > 100_000


def test_unwritable_cache_warns_and_still_detects(tmp_path, monkeypatch, grace_hopper_path):
    import dlib

    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv("SPEAKER_CACHE", str(blocker / "cache"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detector = _frontal_face_detector(dlib)
    assert [w for w in caught if issubclass(w.category, SpeakerWarning) and "SPEAKER_CACHE" in str(w.message)]
    image = np.asarray(Image.open(grace_hopper_path).convert("RGB"))
    assert len(_boxes(detector, image)[0]) == 1


def test_a_photo_looked_at_again_is_not_searched_again_and_its_faces_are_the_callers_own(grace_hopper_path):
    from speaker.face.dlib import DlibLandmarker

    class CountedSearches:  # dlib's own detector, its searches counted
        def __init__(self, detector):
            self.detector, self.searches = detector, 0

        def run(self, *arguments):
            self.searches += 1
            return self.detector.run(*arguments)

    landmarker = DlibLandmarker()
    landmarker._detector = counted = CountedSearches(landmarker._detector)
    image = np.asarray(Image.open(grace_hopper_path).convert("RGB")).copy()
    image[:8, :8] = np.random.default_rng().integers(0, 256, (8, 8, 3))  # pixels no earlier test looked at
    first = landmarker.detect(image)
    again = landmarker.detect(image)
    assert len(first) == len(again) == 1 and counted.searches == 1
    assert np.array_equal(first[0][2], again[0][2])
    again[0][2][:] += 50.0  # a caller moving its points ...
    assert np.array_equal(landmarker.detect(image)[0][2], first[0][2])  # ... moves no one else's
    image[0, 0] = 255 - image[0, 0]  # another photo, however alike, is searched
    assert len(landmarker.detect_quick(image)) == 1 and counted.searches == 2
