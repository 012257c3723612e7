"""Shared inputs for the tests: real portraits that ship inside packages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def grace_hopper_path() -> Path:
    """Grace Hopper's US Navy portrait (public domain), shipped with matplotlib."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


@pytest.fixture(scope="session")
def astronaut_path(tmp_path_factory) -> Path:
    """NASA portrait of Eileen Collins (public domain), from scikit-image, as a PNG."""
    from PIL import Image
    from skimage import data

    path = tmp_path_factory.mktemp("portraits") / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


@pytest.fixture(scope="session")
def two_faces(tmp_path_factory, grace_hopper_path, astronaut_path):
    """Grace Hopper (face 0, left) and Eileen Collins (face 1, right) side by side in one photo."""
    from PIL import Image

    left = Image.open(grace_hopper_path).convert("RGB")
    right = Image.open(astronaut_path).convert("RGB")
    height = 360
    left = left.resize((int(left.width * height / left.height) // 2 * 2, height))
    right = right.resize((int(right.width * height / right.height) // 2 * 2, height))
    photo = np.hstack([np.asarray(left), np.asarray(right)])
    path = tmp_path_factory.mktemp("photos") / "two.png"
    Image.fromarray(photo).save(path)
    return path


@pytest.fixture(scope="session")
def grayscale_portrait_path(tmp_path_factory, grace_hopper_path) -> Path:
    """Grace Hopper as a greyscale (mode L) photo, like an old print."""
    from PIL import Image

    path = tmp_path_factory.mktemp("portraits") / "hopper_gray.png"
    Image.open(grace_hopper_path).convert("L").save(path)
    return path


@pytest.fixture(scope="session")
def noise_image_path(tmp_path_factory) -> Path:
    """A picture with no face in it."""
    from PIL import Image

    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("portraits") / "noise.png"
    Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def grace(grace_hopper_path):
    """Grace Hopper as a ``Portrait`` with dlib's own landmarks (not speaker.face's)."""
    from PIL import Image
    from test_render import _dlib_face

    from speaker.types import Portrait

    image = np.ascontiguousarray(np.asarray(Image.open(grace_hopper_path).convert("RGB")))
    landmarks, box = _dlib_face(image)
    return Portrait(image, landmarks, box)


@pytest.fixture(scope="module")
def astronaut():
    """The astronaut as a ``Portrait`` with dlib's own landmarks (not speaker.face's)."""
    import skimage.data
    from test_render import _dlib_face

    from speaker.types import Portrait

    image = np.ascontiguousarray(skimage.data.astronaut())
    landmarks, box = _dlib_face(image)
    return Portrait(image, landmarks, box)
