"""Several faces of one photo animated at once.

Each face is drawn by its own :class:`~speaker.render.renderer.Renderer` on
its own :class:`~speaker.types.Portrait` (whose warp fades to zero outside
the face's region and on the other faces), and the frame is the photo plus
the sum of every face's change: ``frame = photo + sum_i (frame_i - photo)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..types import Scene
from .renderer import Renderer


def render_scene(scene: Scene, debug_overlay: bool = False) -> Iterator[np.ndarray]:
    """Draw every frame of a scene, one at a time.

    Parameters
    ----------
    scene : Scene
        One photo, one (portrait, track) pair per animated face.
    debug_overlay : bool
        See :class:`~speaker.render.renderer.Renderer`.

    Yields
    ------
    np.ndarray, shape (H, W, 3), uint8
    """
    renderers = [Renderer(portrait, debug_overlay=debug_overlay) for portrait in scene.portraits]
    for index in range(len(scene)):
        yield scene_frame(scene, renderers, index)


def scene_frame(scene: Scene, renderers: list[Renderer], index: int) -> np.ndarray:
    """Frame ``index`` of a scene (H, W, 3) uint8, by one renderer per face (``Renderer(portrait)``)."""
    photo = np.asarray(scene.image, np.int16)
    frame = photo.copy()
    for renderer, track in zip(renderers, scene.tracks):
        frame += renderer.render(track.frame(index)).astype(np.int16) - photo
    return np.clip(frame, 0, 255).astype(np.uint8)
