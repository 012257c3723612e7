"""A toned print (sepia) keeps its tone where the renderer paints: shut lids, lash lines, the mouth's inside."""

from __future__ import annotations

import numpy as np
import pytest

from speaker.render import Renderer
from speaker.render.tone import photo_tone
from speaker.types import Portrait

from test_render import LUMA, blink, open_mouth, polygon_mask


def sepia(image: np.ndarray) -> np.ndarray:
    """``image`` as a sepia print: one colour per grey level, deep brown shadows, cream light tones.

    The chroma falls from 40 levels in the shadows to 10 in the light (as a toned silver print's
    does); green is set so that each colour keeps its grey level.
    """
    grey = image.astype(np.float64) @ LUMA
    strength = 10.0 + 30.0 * (1.0 - grey / 255.0)
    red, blue = strength, -1.2 * strength
    green = -(LUMA[0] * red + LUMA[2] * blue) / LUMA[1]
    toned = grey[..., None] + np.stack([red, green, blue], axis=-1)
    return np.clip(np.rint(toned), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def sepia_grace(grace) -> Portrait:
    return Portrait(sepia(grace.image), grace.landmarks.copy(), grace.box.copy())


def _colour_by_grey_level(image: np.ndarray) -> dict[int, np.ndarray]:
    """Median offset of R, G, B from the grey level, per 8 levels, over the photo's pixels."""
    pixels = image.reshape(-1, 3).astype(np.float64)
    levels = pixels @ LUMA
    bins = (levels // 8).astype(int)
    return {int(b): np.median(pixels[bins == b] - levels[bins == b, None], axis=0)
            for b in np.unique(bins) if (bins == b).sum() >= 30}


def _off_tone(frame: np.ndarray, reference: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """For each pixel the frame paints (where it differs from ``reference``): how far its colour is (levels)
    from the photo's own colour at its grey level."""
    painted = np.any(frame != reference, axis=-1)
    own = _colour_by_grey_level(photo)
    pixels = frame[painted].astype(np.float64)
    levels = pixels @ LUMA
    distances = [np.linalg.norm(pixel - level - own[int(level // 8)])
                 for pixel, level in zip(pixels, levels) if int(level // 8) in own]
    return np.asarray(distances)


def test_a_sepia_print_is_read_as_toned_and_colour_and_grey_photos_are_not(grace, sepia_grace):
    tone = photo_tone(sepia_grace.image)
    assert tone is not None and tone.shape == (256, 3)
    assert tone[40, 0] > tone[220, 0] > 0 > tone[220, 2] > tone[40, 2]  # browner in the shadows
    assert photo_tone(grace.image) is None
    grey = np.repeat((grace.image.astype(np.float64) @ LUMA).astype(np.uint8)[..., None], 3, axis=2)
    assert photo_tone(grey) is None


def test_shut_lids_keep_the_prints_colour_at_their_grey_level(sepia_grace):
    """The lid's tone scaled up from a shadowed skin's colour and the lash line in the hue of the photo's
    darkest lid line but lighter left a toned print's rule of one colour per grey level: red lash lines on
    brown (90th percentile 6.6 levels off the print's colour at the pixel's grey level; 1.1 now)."""
    renderer = Renderer(sepia_grace)
    still = renderer.render(blink(sepia_grace, 0.0))
    off = _off_tone(renderer.render(blink(sepia_grace, 1.0)), still, sepia_grace.image)
    assert off.size > 100
    assert np.percentile(off, 90) < 3.0, np.percentile(off, 90)


def test_the_mouths_inside_keeps_the_prints_colour_at_its_grey_level(sepia_grace):
    """Teeth and cavity from the palette were a blue-grey hole in a brown print (90th percentile 45 levels
    off the print's colour at each pixel's grey level inside the lips; 2.4 now)."""
    frame = open_mouth(sepia_grace, 1.0)
    rendered = Renderer(sepia_grace).render(frame)
    inside = polygon_mask(rendered.shape, frame.landmarks[60:68].astype(np.float64)).astype(bool)
    unpainted = rendered.copy()
    unpainted[inside] = 0  # every pixel inside the lips counts
    off = _off_tone(rendered, unpainted, sepia_grace.image)
    assert off.size > 200
    assert np.percentile(off, 90) < 4.0, np.percentile(off, 90)


def test_a_sepia_print_on_a_coloured_mount_is_still_read_as_toned(sepia_grace):
    """A museum's scan often shows the mount, a label or a colour chart beside the print: the tone is read about
    the face, where the renderer paints."""
    h, w = sepia_grace.image.shape[:2]
    mounted = np.zeros((h, 3 * w, 3), np.uint8)
    mounted[:, :w] = (40, 70, 160)  # a blue mount on the left
    mounted[:, 2 * w:] = np.linspace(0, 255, 3 * w * h, dtype=np.float64).reshape(h, 3 * w)[:, :w, None] * (1.0, 0.2, 0.6)
    mounted[:, w:2 * w] = sepia_grace.image
    shift = np.array([w, 0], np.float32)
    portrait = Portrait(mounted, sepia_grace.landmarks + shift, sepia_grace.box + np.r_[shift, shift])
    assert photo_tone(mounted) is None  # the whole scan is not one colour per grey level
    assert Renderer(portrait).photo_tone is not None
