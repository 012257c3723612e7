"""A contact sheet: a few telling frames of a track in one labelled PNG."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..errors import SpeakerError
from ..files import replaced_atomically
from ..types import ARTICULATION_NAMES, Portrait, Scene, Track
from .renderer import Renderer

#: Tiles per row and the longest side of one tile, pixels.
SHEET_COLUMNS = 3
TILE_SIDE = 320
#: Height of the label strip under each tile, pixels.
LABEL_HEIGHT = 22
#: jaw_open below which a frame may count as the closed "m".
CLOSED_JAW_MAX = 0.25

_JAW = ARTICULATION_NAMES.index("jaw_open")
_CLOSURE = ARTICULATION_NAMES.index("lip_closure")


def pick_frames(track: Track) -> list[tuple[str, int]]:
    """Choose the frames of a contact sheet.

    Returns
    -------
    list of (label, frame index)
        Rest, widest open, closed lips, a mid-blink frame (the lids half
        way down, on the way to the peak), the blink's peak, the most-turned
        head and the middle frame; a kind that the track never shows (no
        blink, no closure) is left out, and no frame appears twice.
    """
    count = len(track)
    art = np.asarray(track.articulation, np.float64).reshape(count, -1)
    jaw = art[:, _JAW] if art.shape[1] > _JAW else np.zeros(count)
    closure = art[:, _CLOSURE] if art.shape[1] > _CLOSURE else np.zeros(count)
    eyelid = np.asarray(track.eyelid, np.float64)
    yaw = np.abs(np.asarray(track.head_pose, np.float64)[:, 0])
    activity = art.sum(axis=1) + eyelid + yaw / 10.0

    candidates = [("rest", int(np.argmin(activity)), True)]
    candidates.append(("open (max jaw)", int(np.argmax(jaw)), jaw.max() > 0))
    closed = np.where(jaw < CLOSED_JAW_MAX, closure, -1.0)
    candidates.append(("closed m", int(np.argmax(closed)), closed.max() > 0))
    peak = int(np.argmax(eyelid))
    # The frame before the peak whose closure is nearest half the peak's.
    start = peak
    while start > 0 and eyelid[start - 1] > 0:
        start -= 1
    closing = eyelid[start : peak + 1]
    mid = start + int(np.argmin(np.abs(closing - 0.5 * eyelid[peak]))) if len(closing) else peak
    candidates.append(("mid-blink", mid, eyelid.max() > 0 and mid != peak))
    candidates.append(("blink", peak, eyelid.max() > 0))
    candidates.append(("head turn", int(np.argmax(yaw)), yaw.max() > 0))
    candidates.append(("middle", count // 2, True))

    chosen: list[tuple[str, int]] = []
    for label, index, shown in candidates:
        if shown and index not in [i for _, i in chosen]:
            chosen.append((label, index))
    # Fill up to six with evenly spread frames when the track is uneventful.
    for index in np.linspace(0, count - 1, 8).round().astype(int):
        if len(chosen) >= 6:
            break
        if int(index) not in [i for _, i in chosen]:
            chosen.append(("frame", int(index)))
    return chosen


def contact_sheet(portrait: Portrait, track: Track, path: str | os.PathLike) -> Path:
    """Render a few telling frames of a track into one labelled PNG (about the face, where it is small in the frame).

    Parameters
    ----------
    portrait : Portrait
    track : Track
    path : str or PathLike
        Where to write the PNG (written atomically: a temporary file in the
        same folder, then renamed).

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    if len(track) == 0:
        raise SpeakerError("The motion track has no frames to show on a contact sheet.")
    if not path.parent.exists():
        raise SpeakerError(f"The folder for the contact sheet does not exist: {path.parent}")

    renderer = Renderer(portrait)
    frames = [(label, index, renderer.render(track.frame(index))) for label, index in pick_frames(track)]
    return write_picture(_tiled(frames, _about_the_face(portrait), track.fps), path, "the contact sheet")


def scene_sheet(scene: Scene, names: list[str], path: str | os.PathLike) -> Path:
    """A contact sheet of a dialogue's scene: each face at its widest open (``names[i]`` speaks), the
    deepest blink of any face, and the middle frame, each the whole frame (the faces may lie far apart).

    Returns
    -------
    Path
        The written file.
    """
    from .scene import scene_frame

    path = Path(path)
    if len(scene) == 0:
        raise SpeakerError("The scene has no frames to show on a contact sheet.")
    picks = [(f"{name} speaks", int(np.argmax(np.asarray(track.articulation)[:, _JAW])))
             for name, track in zip(names, scene.tracks)]
    eyelids = np.max([np.asarray(track.eyelid, np.float64) for track in scene.tracks], axis=0)
    if eyelids.max() > 0:
        picks.append(("blink", int(np.argmax(eyelids))))
    picks.append(("middle", len(scene) // 2))
    renderers = [Renderer(portrait) for portrait in scene.portraits]
    frames = [(label, index, scene_frame(scene, renderers, index)) for label, index in picks]
    height, width = np.asarray(scene.image).shape[:2]
    return write_picture(_tiled(frames, (0, 0, width, height), scene.fps), path, "the contact sheet")


def _tiled(frames: list[tuple[str, int, np.ndarray]], region: tuple[int, int, int, int], fps: float) -> np.ndarray:
    """Labelled tiles of ``region`` (x0, y0, x1, y1) of each frame, :data:`SHEET_COLUMNS` to a row."""
    x0, y0, x1, y1 = region
    scale = TILE_SIDE / max(y1 - y0, x1 - x0)
    tile_w, tile_h = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    tiles = []
    for label, index, frame in frames:
        tile = cv2.resize(frame[y0:y1, x0:x1], (tile_w, tile_h),
                          interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        strip = np.full((LABEL_HEIGHT, tile_w, 3), 255, np.uint8)
        cv2.putText(strip, f"{label}  #{index}  {index / fps:.2f}s", (4, LABEL_HEIGHT - 7),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(np.concatenate([tile, strip], axis=0))
    while len(tiles) % SHEET_COLUMNS:
        tiles.append(np.full_like(tiles[0], 255))
    rows = [np.concatenate(tiles[i : i + SHEET_COLUMNS], axis=1) for i in range(0, len(tiles), SHEET_COLUMNS)]
    return np.concatenate(rows, axis=0)


#: A sheet's tiles show the frame about the face, this many face widths wide and high (head and
#: shoulders), where the frame is larger than that: on a full figure or a landscape the face is
#: otherwise a few pixels of each tile, and its mouth and blinks cannot be judged.
SHEET_FACE_WIDTHS = 3.0
#: The view about the face is centred this share of the face box's height below the box's centre.
SHEET_FACE_DROP = 0.15


def _about_the_face(portrait: Portrait) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` of the frame the sheet's tiles show: the whole frame, or a square about a small face."""
    height, width = portrait.image.shape[:2]
    bx0, by0, bx1, by1 = (float(v) for v in portrait.box)
    side = int(round(SHEET_FACE_WIDTHS * max(bx1 - bx0, by1 - by0)))
    if side >= 0.8 * max(height, width):
        return 0, 0, width, height
    side_x, side_y = min(side, width), min(side, height)
    centre_x, centre_y = (bx0 + bx1) / 2, (by0 + by1) / 2 + SHEET_FACE_DROP * (by1 - by0)
    left = int(np.clip(round(centre_x - side_x / 2), 0, width - side_x))
    top = int(np.clip(round(centre_y - side_y / 2), 0, height - side_y))
    return left, top, left + side_x, top + side_y


#: Picture formats by suffix (OpenCV's encoders); a name without a suffix is written as PNG.
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def check_picture_name(path: str | os.PathLike, what: str) -> None:
    """Raise :class:`SpeakerError` when ``path``'s suffix is none of :data:`PICTURE_SUFFIXES` (before any work)."""
    suffix = Path(path).suffix.lower()
    if suffix and suffix not in PICTURE_SUFFIXES:
        raise SpeakerError(f"Cannot write {what} as '{suffix}'; name it .png or .jpg.")


def write_picture(picture: np.ndarray, path: str | os.PathLike, what: str) -> Path:
    """Write an RGB picture (H, W, 3) uint8 atomically, as its suffix says (PNG without one); ``what`` names it in errors."""
    path = Path(path)
    check_picture_name(path, what)
    if not path.parent.exists():
        raise SpeakerError(f"The folder for {what} does not exist: {path.parent}")
    ok, encoded = cv2.imencode(path.suffix.lower() or ".png", np.ascontiguousarray(picture[..., ::-1]))
    if not ok:
        raise SpeakerError(f"Could not encode {what} for {path}.")
    try:
        with replaced_atomically(path) as partial:
            partial.write_bytes(encoded.tobytes())
    except OSError as error:
        raise SpeakerError(f"Could not write {what} {path}: {error.strerror}.") from error
    return path


#: Longest side of a picture of the faces found (:func:`draw_faces`), pixels.
FACES_PICTURE_SIDE = 640
#: Colours of the face boxes in it (RGB): the face animated by default, the others.
DEFAULT_FACE_COLOUR = (214, 160, 52)
OTHER_FACE_COLOUR = (236, 236, 230)


def draw_faces(image: np.ndarray, boxes: np.ndarray, highlighted: int, side: int = FACES_PICTURE_SIDE) -> np.ndarray:
    """The photo, scaled down to ``side`` pixels on its long side, with each face boxed and numbered.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
        RGB photo the boxes refer to.
    boxes : np.ndarray, shape (F, 4), float
        ``(x0, y0, x1, y1)`` in pixels, in the order they are numbered.
    highlighted : int
        The face drawn in the accent colour (the one animated by default).
    side : int
        Longest side of the picture (a smaller photo keeps its size).

    Returns
    -------
    np.ndarray, shape (H', W', 3), uint8
    """
    scale = min(1.0, side / max(image.shape[:2]))
    picture = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image.copy()
    thickness = max(3, round(max(picture.shape[:2]) / 160))
    for number, box in enumerate(np.asarray(boxes, np.float64) * scale):
        colour = DEFAULT_FACE_COLOUR if number == highlighted else OTHER_FACE_COLOUR
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        # A small face in a large photo (a class photo) stays visible inside its box.
        line = max(1, min(thickness, (x1 - x0) // 10))
        cv2.rectangle(picture, (x0, y0), (x1, y1), (0, 0, 0), line + 2, cv2.LINE_AA)
        cv2.rectangle(picture, (x0, y0), (x1, y1), colour, line, cv2.LINE_AA)
        radius = max(14, (x1 - x0) // 5)
        centre = (x0 + radius, max(radius, y0 - radius - thickness))
        cv2.circle(picture, centre, radius, colour, -1, cv2.LINE_AA)
        cv2.circle(picture, centre, radius, (0, 0, 0), 1, cv2.LINE_AA)
        label = str(number)
        font_scale = radius / 16
        (w, h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_DUPLEX, font_scale, 2)
        cv2.putText(picture, label, (centre[0] - w // 2, centre[1] + h // 2), cv2.FONT_HERSHEY_DUPLEX,
                    font_scale, (20, 20, 20), 2, cv2.LINE_AA)
    return picture
