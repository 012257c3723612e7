"""Render stage: warp the portrait to each frame of a motion track.

>>> from speaker.render import Renderer, render_frames, contact_sheet
>>> frames = render_frames(portrait, track)          # generator of (H, W, 3) uint8
>>> contact_sheet(portrait, track, "preview.png")    # a few labelled frames

cv2 is imported when the stage is first used, not by ``import speaker``.
"""

from __future__ import annotations

__all__ = ["Renderer", "render_frames", "render_scene", "contact_sheet", "scene_sheet"]


def __getattr__(name):
    if name in ("Renderer", "render_frames"):
        from . import renderer

        return getattr(renderer, name)
    if name == "render_scene":
        from .scene import render_scene

        return render_scene
    if name in ("contact_sheet", "scene_sheet"):
        from . import sheet

        return getattr(sheet, name)
    raise AttributeError(name)
