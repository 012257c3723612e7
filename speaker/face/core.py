"""The landmarker interface: find faces and their 68 landmarks, by backend name.

A backend is a folder of :mod:`speaker.face` holding a class with one method,
``detect(image)``; :func:`get_landmarker` builds it by name. A backend may
also offer ``fit(image, box)`` (the landmarks in a given box, without
detecting) and ``detect_quick(image)`` (its cheap detection passes only);
the face stage uses them where present. Backends import
their heavy libraries (dlib, torch) only when built, so importing
:mod:`speaker.face` stays instant.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..errors import SpeakerError

#: One detection: face box ``(x0, y0, x1, y1)`` in pixels, shape (4,); a
#: confidence score (higher is surer, scale depends on the backend); and the
#: iBUG-68 landmarks, shape (68, 2), (x, y) in pixels.
Detection = tuple[np.ndarray, float, np.ndarray]

#: Names accepted by ``--face-backend``.
BACKENDS: tuple[str, ...] = ("dlib", "face-alignment")


class Landmarker(Protocol):
    """What every face backend offers."""

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Find every face in an RGB image.

        Parameters
        ----------
        image : np.ndarray, shape (H, W, 3), uint8
            RGB pixels.

        Returns
        -------
        list of (box, score, landmarks)
            ``box`` float32 (4,) as ``(x0, y0, x1, y1)``; ``score`` float;
            ``landmarks`` float32 (68, 2) in pixels. In no particular order.
        """
        ...


def get_landmarker(name: str = "dlib") -> Landmarker:
    """Build the face backend called ``name``.

    Raises
    ------
    SpeakerError
        Unknown name, or the backend cannot run here (library or weights missing).
    """
    if name == "dlib":
        from .dlib import DlibLandmarker

        return DlibLandmarker()
    if name in ("face-alignment", "face_alignment", "fan"):
        from .face_alignment import FanLandmarker

        return FanLandmarker()
    raise SpeakerError(f"Unknown face backend '{name}'; choose one of: {', '.join(BACKENDS)}.")


def available_backends() -> dict[str, bool]:
    """Which backends can run on this machine, without loading any model.

    Returns
    -------
    dict of str to bool
        ``{"dlib": True, "face-alignment": False}`` for instance.
    """
    from .dlib import is_available as dlib_available
    from .face_alignment import is_available as fan_available

    return {"dlib": dlib_available(), "face-alignment": fan_available()}
