"""How good do rendered talking portraits look, measured on real photos.

For every portrait in ``/work/shared/media/portraits`` (those the face stage
refuses, such as a profile or a photo without a face, are listed with the
message the user would see), plus matplotlib's ``grace_hopper.jpg`` and
``skimage.data.astronaut()``, the script renders a fixed script of about 6 s
through :func:`speaker.speak` (motion ``calm``, track exported, contact sheet
written), decodes the MP4 frame by frame (never holding the whole video) and
measures:

identity
    dlib face descriptor (ResNet, 128-D) of every 5th frame against that of
    the source photo; median and max Euclidean distance. Below 0.6 is
    conventionally the same person; we aim below 0.3.
background
    Mean absolute change (grey levels) of the pixels more than one face width
    away from the face (box and landmarks) between the first frame and each
    later one; the max over frames. Other faces in the photo are part of that
    background: they must stay still too. Target below 1.
mouth
    dlib's 68 landmarks re-detected on every frame; inner-lip opening (mean of
    the gaps 61-67, 62-66, 63-65) over jaw width, against the same measure of
    the exported track's landmarks (the commanded opening): Pearson r, the
    lag (frames) that maximises r, and the gain (slope of rendered on
    commanded).
blink
    dlib's eye aspect ratio (lid gaps over eye width, averaged over the eyes
    the renderer blinks: both, except on a near-profile, turned 50 degrees or
    more, whose far eye is hidden behind the nose and gets no lid) on
    frames rendered directly with the lids open, half and fully shut (table
    columns ``blink`` and ``half``: shut and half over open; the aim is a
    shut eye under half the open value); and re-detected on every frame of
    the video: its median over frames with the eyes open (track eyelid below
    0.05) and at the blink peaks (eyelid at least 0.9: the script's 5 s
    have three seeded blinks, each shut on one frame). dlib's fit of a shut
    eye is chaotic: a change of a few levels on a hundred pixels moved the
    shut/open ratio by up to 0.2. ``blink_direct`` therefore also gives
    ``jittered_peak_over_open``, the mean of that ratio over the head turned
    by a fraction of a degree or moved by half a pixel
    (:data:`BLINK_JITTER`), with its spread: a change to the lids should
    move it, not only the one ratio at rest.
grey, size, frames
    A greyscale photo must give greyscale frames (max |R-G|, |G-B|); the video
    has the portrait's size and the track's frame count; no black frame
    (smallest frame mean above 5).
faces dlib's detector misses
    Where dlib's detector finds no face in the photo itself (a near-profile,
    a bowed head; the face stage found it with its face mesh), every measure
    fits dlib's landmarks on the face stage's box instead of a detection
    (``fitted_on_box`` in the figures): the detector's miss says nothing of
    the render.
render speed
    :class:`speaker.render.Renderer` alone over the track, frames per second
    at the portrait's size, and once more on a 512x512 crop of Grace Hopper.

Contact sheets (``--sheets DIR``) show rest, open, closed, mid-blink and
blink-peak frames (when the track has a blink); ``<name>_eyes.png`` shows
the eyes, zoomed, open, half and shut (``<name>_eyes_dlib.png`` with dlib's eye points); for every face turned 25 degrees or more a zoomed strip
of the eyes and the mouth (rest, widest open, mid-blink, blink peak) is
written beside them as ``<name>_zoom.png``. With ``--mouth-direct`` the
mouth is also measured on every 2nd frame rendered directly (no video
coding), the figure ``mouth_direct``.

Usage::

    python scripts/eval_render.py [--media DIR] [--out results.json] [--sheets DIR] [--only NAME ...] [--mouth-direct]

The media folder defaults to ``../shared/media`` beside the repository, else
``/work/shared/media``.

Real media are used here only, never in tests.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import math
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MEDIA_CANDIDATES = (Path(__file__).resolve().parents[2] / "shared" / "media", Path("/work/shared/media"))
PORTRAITS_DIR = next((path for path in MEDIA_CANDIDATES if path.is_dir()), MEDIA_CANDIDATES[-1]) / "portraits"
#: Blink measure: frames with the track's eyelid below this count as open, at or above PEAK as the peak.
EYES_OPEN_BELOW = 0.05
BLINK_PEAK_FROM = 0.9
#: Zoomed eye and mouth strips are written for faces turned at least this much (degrees).
ZOOM_FROM_YAW = 25.0
#: Accepted refusals (the issue's done-when list).
MAY_BE_REFUSED = ("cameraman_profile_gray", "noface_coffee")
#: About 6 s of speech with closures (b, m, p), wide vowels (ah) and rounding (oo, w).
SCRIPT = "Bob made a map of the moon. Ahh, what a wide open sky! We will meet at home."
MOTION_STYLE = "calm"
SEED = 0

#: Identity is measured on every this many-th frame (the descriptor is slow).
IDENTITY_STRIDE = 5
#: Descriptor distance under which dlib calls two faces the same person, and our aim.
SAME_PERSON_DISTANCE = 0.6
IDENTITY_AIM = 0.3
#: Background pixels lie more than this many face widths from the face.
BACKGROUND_MARGIN_FACE_WIDTHS = 1.0
#: Target for the largest mean background change, grey levels.
BACKGROUND_AIM = 1.0
#: Largest channel difference (grey levels) still counted as greyscale (codec rounding).
GREY_TOLERANCE = 2
#: A frame whose mean is at or below this is black.
BLACK_FRAME_MEAN = 5.0
#: Face detection runs on the face box grown by this share of its width on each side.
DETECT_CROP_GROW = 0.6
#: dlib's HOG detector finds faces from about 80 px; smaller ones get upsampled.
HOG_MIN_FACE = 90
#: Lags (frames) searched for the best mouth correlation.
MOUTH_MAX_LAG = 3
#: Side of the square crop used for the comparable render speed.
SPEED_SIDE = 512

INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))
DESCRIPTOR_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARK_MODEL = "shape_predictor_68_face_landmarks.dat"


# --------------------------------------------------------------------------- dlib


class FaceProbe:
    """dlib detector, 68-point predictor and face descriptor, loaded once.

    The models are found in the ``models/`` folder of face-recognition-models
    by install location; that package is never imported.
    """

    def __init__(self) -> None:
        import dlib

        #: Fit on the given box without detecting (:meth:`fitting_on_box`).
        self.fits_on_box = False

        spec = importlib.util.find_spec("face_recognition_models")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("face-recognition-models is not installed (pip install face-recognition-models).")
        models = Path(list(spec.submodule_search_locations)[0]) / "models"
        self._dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(models / LANDMARK_MODEL))
        self.encoder = dlib.face_recognition_model_v1(str(models / DESCRIPTOR_MODEL))

    def find(self, image: np.ndarray, near_box: np.ndarray):
        """Detect the face nearest ``near_box`` and fit its 68 landmarks.

        Parameters
        ----------
        image : np.ndarray, shape (H, W, 3), uint8
            RGB frame.
        near_box : np.ndarray, shape (4,)
            ``(x0, y0, x1, y1)`` pixels where the face was in the source photo;
            detection runs on this box grown by :data:`DETECT_CROP_GROW`.

        Returns
        -------
        shape : dlib.full_object_detection
            68-point fit in ``image`` coordinates (on the source box itself
            when nothing was detected).
        detected : bool
            Whether the detector found the face (False means the fit was made
            on the source box); always True for a probe :meth:`fitting_on_box`.
        """
        dlib = self._dlib
        height, width = image.shape[:2]
        x0, y0, x1, y1 = (float(v) for v in near_box)
        if self.fits_on_box:
            return self.predictor(np.ascontiguousarray(image), dlib.rectangle(int(x0), int(y0), int(x1), int(y1))), True
        grow = DETECT_CROP_GROW * (x1 - x0)
        cx0, cy0 = max(0, int(x0 - grow)), max(0, int(y0 - grow))
        cx1, cy1 = min(width, int(x1 + grow)), min(height, int(y1 + grow))
        crop = np.ascontiguousarray(image[cy0:cy1, cx0:cx1])
        upsample = 1 if (x1 - x0) < HOG_MIN_FACE else 0
        rects = self.detector(crop, upsample)
        centre = np.array([(x0 + x1) / 2 - cx0, (y0 + y1) / 2 - cy0])
        if len(rects):
            rect = min(rects, key=lambda r: float(np.hypot(r.center().x - centre[0], r.center().y - centre[1])))
            rect = dlib.rectangle(rect.left() + cx0, rect.top() + cy0, rect.right() + cx0, rect.bottom() + cy0)
            detected = True
        else:
            rect = dlib.rectangle(int(x0), int(y0), int(x1), int(y1))
            detected = False
        return self.predictor(np.ascontiguousarray(image), rect), detected

    def fitting_on_box(self) -> "FaceProbe":
        """This probe, fitting every frame on the source box, each fit counted as detected.

        For faces dlib's detector does not find in the photo itself (a
        near-profile, a bowed head): the render cannot be judged by a
        detector that fails on its source, but dlib's landmarks and descriptor
        still can be, on the box where the face stage found the face.
        """
        judge = copy.copy(self)
        judge.fits_on_box = True
        return judge

    def descriptor(self, image: np.ndarray, shape) -> np.ndarray:
        """128-D face descriptor, shape (128,), of the face fitted by ``shape``."""
        return np.asarray(self.encoder.compute_face_descriptor(np.ascontiguousarray(image), shape))


def landmarks_of(shape) -> np.ndarray:
    """The (68, 2) float64 pixel coordinates of a dlib 68-point fit."""
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


# --------------------------------------------------------------------------- measures


def eye_aspect_ratio(landmarks: np.ndarray, eyes: tuple[int, ...] = (0, 1)) -> float:
    """Mean over ``eyes`` (0: points 36-41, 1: 42-47) of (the two lid gaps) / (2 x eye width) of iBUG-68 points (68, 2)."""
    ratios = []
    for first in (36 + 6 * eye for eye in eyes):
        p = landmarks[first : first + 6]
        gaps = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
        ratios.append(gaps / max(2.0 * np.linalg.norm(p[3] - p[0]), 1e-6))
    return float(np.mean(ratios))


def blinked_eyes(renderer) -> tuple[int, ...]:
    """The eyes (0: points 36-41, 1: 42-47) the renderer closes at a blink.

    The far eye of a near-profile (``mesh.hidden_far_eye``) and landmarks
    guessed where the photo shows no eye get no lid; measuring them would
    average a blinked eye with one that rightly stays as it is.
    """
    shown = tuple(index for index, visible in enumerate(renderer.eye_visible) if visible)
    return shown or (0, 1)


def mouth_opening(landmarks: np.ndarray) -> float:
    """Inner-lip opening over jaw width (dimensionless).

    Parameters
    ----------
    landmarks : np.ndarray, shape (68, 2)
        iBUG-68 points in pixels.

    Returns
    -------
    float
        Mean of the gaps 61-67, 62-66, 63-65 divided by the distance 0-16.
    """
    gap = np.mean([np.linalg.norm(landmarks[upper] - landmarks[lower]) for upper, lower in INNER_LIP_PAIRS])
    return float(gap / max(np.linalg.norm(landmarks[16] - landmarks[0]), 1e-9))


def background_mask(portrait) -> np.ndarray:
    """Pixels more than one face width from the chosen face, shape (H, W) bool.

    The face region is the union of the face box and the landmarks' extent
    (the chin often lies below dlib's box), grown by
    :data:`BACKGROUND_MARGIN_FACE_WIDTHS` face widths on every side. Other
    faces are deliberately not excluded: they must stay still too.
    """
    height, width = portrait.image.shape[:2]
    points = np.asarray(portrait.landmarks, np.float64)
    box = np.asarray(portrait.box, np.float64)
    x0, y0 = min(box[0], points[:, 0].min()), min(box[1], points[:, 1].min())
    x1, y1 = max(box[2], points[:, 0].max()), max(box[3], points[:, 1].max())
    margin = BACKGROUND_MARGIN_FACE_WIDTHS * portrait.face_width
    mask = np.ones((height, width), bool)
    mask[max(0, int(y0 - margin)):max(0, int(math.ceil(y1 + margin))),
         max(0, int(x0 - margin)):max(0, int(math.ceil(x1 + margin)))] = False
    return mask


def other_faces_mask(portrait) -> np.ndarray:
    """Pixels inside the boxes of the faces not chosen, shape (H, W) bool."""
    height, width = portrait.image.shape[:2]
    mask = np.zeros((height, width), bool)
    for x0, y0, x1, y1 in np.asarray(portrait.other_faces, np.float64).reshape(-1, 4):
        mask[max(0, int(y0)):max(0, int(y1)), max(0, int(x0)):max(0, int(x1))] = True
    return mask


def masked_change(frame: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute difference (grey levels, all channels) over ``mask``; NaN if empty."""
    if not mask.any():
        return float("nan")
    return float(np.abs(frame[mask].astype(np.int16) - reference[mask].astype(np.int16)).mean())


def channel_spread(frame: np.ndarray) -> int:
    """Largest of |R-G| and |G-B| over the frame (0 for a perfectly grey frame)."""
    pixels = frame.astype(np.int16)
    return int(max(np.abs(pixels[..., 0] - pixels[..., 1]).max(), np.abs(pixels[..., 1] - pixels[..., 2]).max()))


def pearson(first: np.ndarray, second: np.ndarray) -> float:
    """Pearson correlation of two equal-length series; NaN when either is constant."""
    first, second = np.asarray(first, np.float64), np.asarray(second, np.float64)
    if len(first) < 3 or first.std() < 1e-12 or second.std() < 1e-12:
        return float("nan")
    return float(np.corrcoef(first, second)[0, 1])


def mouth_agreement(rendered: np.ndarray, commanded: np.ndarray) -> dict:
    """How well the rendered mouth opening follows the commanded one.

    Parameters
    ----------
    rendered, commanded : np.ndarray, shape (T,)
        Opening over jaw width per frame (NaN where no landmarks were found).

    Returns
    -------
    dict
        ``r`` Pearson r at lag 0; ``best_lag`` and ``best_r``, the lag in
        frames within :data:`MOUTH_MAX_LAG` (positive: the video is late)
        giving the highest r; ``gain``, slope of rendered on commanded;
        ``rendered_range`` and ``commanded_range``, 5th to 95th percentile.
    """
    count = min(len(rendered), len(commanded))
    rendered, commanded = np.asarray(rendered[:count]), np.asarray(commanded[:count])

    def r_at(lag: int) -> float:
        a, b = (rendered[lag:], commanded[:count - lag]) if lag >= 0 else (rendered[:lag], commanded[-lag:])
        keep = np.isfinite(a) & np.isfinite(b)
        return pearson(a[keep], b[keep])

    lags = {lag: r_at(lag) for lag in range(-MOUTH_MAX_LAG, MOUTH_MAX_LAG + 1)}
    finite = {lag: r for lag, r in lags.items() if math.isfinite(r)}
    best_lag = max(finite, key=finite.get) if finite else 0
    keep = np.isfinite(rendered) & np.isfinite(commanded)
    gain = float("nan")
    if keep.sum() >= 3 and commanded[keep].std() > 1e-12:
        gain = float(np.polyfit(commanded[keep], rendered[keep], 1)[0])

    def spread(values: np.ndarray) -> float:
        values = values[np.isfinite(values)]
        return float(np.percentile(values, 95) - np.percentile(values, 5)) if len(values) else float("nan")

    return {
        "r": lags[0],
        "best_lag": int(best_lag),
        "best_r": finite.get(best_lag, float("nan")),
        "gain": gain,
        "rendered_range": spread(rendered),
        "commanded_range": spread(commanded),
    }


# --------------------------------------------------------------------------- passes


def render_video(image_path: Path, folder: Path, stem: str) -> dict:
    """Run the whole pipeline once; the MP4, track and sheet land in ``folder``.

    Returns
    -------
    dict
        ``video``, ``track``, ``sheet`` paths, ``stage_seconds`` and
        ``audio_seconds`` (None when the pipeline failed after writing the
        video), ``error`` (message of a late failure, else None).
    """
    import speaker

    paths = {
        "video": folder / f"{stem}.mp4",
        "track": folder / f"{stem}.track.json",
        "sheet": folder / f"{stem}_sheet.png",
    }
    outcome = {**paths, "stage_seconds": None, "audio_seconds": None, "error": None}
    try:
        result = speaker.speak(
            image_path, text=SCRIPT, out=paths["video"], export_track=paths["track"],
            preview=paths["sheet"], motion=MOTION_STYLE, seed=SEED, subtitles=False,
        )
        outcome["stage_seconds"] = dict(result.stage_seconds)
        outcome["audio_seconds"] = result.audio_seconds
    except Exception as error:  # noqa: BLE001 - a late failure (e.g. the sheet) still leaves a video to measure
        if not (paths["video"].is_file() and paths["track"].is_file()):
            raise
        outcome["error"] = f"{type(error).__name__}: {error}"
    if not paths["sheet"].is_file():
        outcome["sheet"] = None
    return outcome


def measure_video(video_path: Path, portrait, track, probe: FaceProbe, eyes: tuple[int, ...] = (0, 1)) -> dict:
    """Stream the decoded MP4 once and take every per-frame measure.

    Parameters
    ----------
    video_path : Path
        The rendered MP4.
    portrait : Portrait
        As the face stage found it (``portrait.image`` is the source the
        frames are compared with).
    track : Track
        The exported track (its landmarks give the commanded mouth).
    probe : FaceProbe
    eyes : tuple of int
        The eyes whose aspect ratio the blink figures average (:func:`blinked_eyes`).

    Returns
    -------
    dict
        Identity, background, mouth, grey, size and frame figures (see the
        module docstring).
    """
    import imageio_ffmpeg

    source = portrait.image
    source_shape, _ = probe.find(source, portrait.box)
    source_descriptor = probe.descriptor(source, source_shape)
    far_mask = background_mask(portrait)
    others_mask = other_faces_mask(portrait)

    distances, openings, spreads, means, eye_ratios = [], [], [], [], []
    background, others = [], []
    missed_detections = 0
    first = None
    reader = imageio_ffmpeg.read_frames(str(video_path), pix_fmt="rgb24")
    meta = next(reader)
    width, height = meta["size"]
    try:
        for index, raw in enumerate(reader):
            frame = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
            means.append(float(frame.mean()))
            spreads.append(channel_spread(frame))
            if (height, width) != source.shape[:2]:
                continue  # wrong size: reported, nothing else comparable
            if first is None:
                first = frame.copy()
            else:
                background.append(masked_change(frame, first, far_mask))
                if others_mask.any():
                    others.append(masked_change(frame, first, others_mask))
            shape, detected = probe.find(frame, portrait.box)
            missed_detections += not detected
            openings.append(mouth_opening(landmarks_of(shape)) if detected else float("nan"))
            eye_ratios.append(eye_aspect_ratio(landmarks_of(shape), eyes) if detected else float("nan"))
            if index % IDENTITY_STRIDE == 0 and detected:
                distances.append(float(np.linalg.norm(probe.descriptor(frame, shape) - source_descriptor)))
    finally:
        reader.close()

    commanded = np.array([mouth_opening(points) for points in np.asarray(track.landmarks, np.float64)])
    frame_count = len(means)
    eyelid = np.asarray(track.eyelid, np.float64)[: len(eye_ratios)]
    eye_ratios = np.array(eye_ratios, np.float64)
    open_ratio = np.nanmedian(eye_ratios[eyelid < EYES_OPEN_BELOW]) if np.any(eyelid < EYES_OPEN_BELOW) else np.nan
    peak = eyelid >= BLINK_PEAK_FROM
    peak_ratio = np.nanmedian(eye_ratios[peak]) if peak.any() and np.isfinite(eye_ratios[peak]).any() else np.nan
    first_vs_source = masked_change(first, source, far_mask) if first is not None else float("nan")
    return {
        "video_size": [int(width), int(height)],
        "size_ok": (int(width), int(height)) == tuple(portrait.size),
        "frames": frame_count,
        "frames_ok": frame_count == len(track),
        "min_frame_mean": min(means) if means else float("nan"),
        "no_black_frames": bool(means) and min(means) > BLACK_FRAME_MEAN,
        "identity_median": float(np.median(distances)) if distances else float("nan"),
        "identity_max": float(np.max(distances)) if distances else float("nan"),
        "identity_frames": len(distances),
        "missed_detections": int(missed_detections),
        "background_share": float(far_mask.mean()),
        "background_max_change": float(np.nanmax(background)) if background and far_mask.any() else float("nan"),
        "background_first_vs_source": first_vs_source,
        "other_faces_max_change": float(np.max(others)) if others else None,
        "mouth": mouth_agreement(np.array(openings), commanded),
        "blink": {
            "open_ratio": float(open_ratio),
            "peak_ratio": float(peak_ratio),
            "peak_over_open": float(peak_ratio / open_ratio) if np.isfinite(open_ratio) and open_ratio > 0 else np.nan,
            "peak_frames": int(peak.sum()),
        },
        "channel_spread_max": int(max(spreads)) if spreads else None,
        "grey_ok": (max(spreads) <= GREY_TOLERANCE) if (portrait.grayscale and spreads) else None,
    }


def render_speed(portrait, track) -> dict:
    """Frames per second of :class:`speaker.render.Renderer` alone over the track.

    Only the ``render`` calls are timed. The rendered frames are also checked
    against the photo far from the face (no codec involved).

    Returns
    -------
    dict
        ``fps``, ``frames``, ``background_max_change_raw`` (grey levels,
        renderer output against the source photo), ``all_uint8``.
    """
    from speaker.render import Renderer

    renderer = Renderer(portrait)
    far_mask = background_mask(portrait)
    seconds, raw_changes, all_uint8 = 0.0, [], True
    for index in range(len(track)):
        frame_data = track.frame(index)
        started = time.perf_counter()
        frame = renderer.render(frame_data)
        seconds += time.perf_counter() - started
        all_uint8 &= frame.dtype == np.uint8 and frame.shape == portrait.image.shape
        raw_changes.append(masked_change(frame, portrait.image, far_mask))
    return {
        "fps": len(track) / max(seconds, 1e-9),
        "frames": len(track),
        "background_max_change_raw": float(np.nanmax(raw_changes)) if far_mask.any() else float("nan"),
        "all_uint8": bool(all_uint8),
    }


def speed_at_512(grace_path: Path, grace_portrait, grace_track, folder: Path) -> dict:
    """Render speed on a 512x512 crop of Grace Hopper, with her track's motion.

    The crop is resized to 512 wide if needed and cut square around the face;
    the track is moved onto the crop by adding its landmark offsets from
    rest to the crop's own rest landmarks.
    """
    import cv2

    from speaker import face
    from speaker.types import Track

    image = grace_portrait.image
    scale = SPEED_SIDE / min(image.shape[:2])
    if scale != 1.0:
        image = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
    centre_y = float(np.mean(grace_portrait.landmarks[:, 1])) * scale
    centre_x = float(np.mean(grace_portrait.landmarks[:, 0])) * scale
    top = int(np.clip(centre_y - SPEED_SIDE / 2, 0, image.shape[0] - SPEED_SIDE))
    left = int(np.clip(centre_x - SPEED_SIDE / 2, 0, image.shape[1] - SPEED_SIDE))
    crop = np.ascontiguousarray(image[top:top + SPEED_SIDE, left:left + SPEED_SIDE])
    portrait = face.find_portrait(crop, grace_portrait.grayscale)
    offsets = np.asarray(grace_track.landmarks, np.float64) - np.asarray(grace_portrait.landmarks, np.float64)
    track = Track(
        fps=grace_track.fps,
        landmarks=(np.asarray(portrait.landmarks, np.float64) + offsets * scale).astype(np.float32),
        head_pose=grace_track.head_pose,
        articulation=grace_track.articulation,
        eyelid=grace_track.eyelid,
        image_size=portrait.size,
        words=list(grace_track.words),
    )
    return render_speed(portrait, track)


#: Lid closures of the directly rendered blink frames: open, half, shut.
BLINK_CLOSURES = (0.0, 0.5, 1.0)
#: Head poses (yaw, pitch, roll degrees; tx, ty pixels; scale) over which the
#: jittered blink ratio is averaged: at rest, moved half a pixel each way,
#: turned a degree either way and tilted 0.7 degrees either way.
BLINK_JITTER = ((0, 0, 0, 0, 0, 1), (0, 0, 0, 0.5, 0, 1), (0, 0, 0, -0.5, 0, 1), (0, 0, 0, 0, 0.5, 1),
                (0, 0, 0, 0, -0.5, 1), (1, 0, 0, 0, 0, 1), (-1, 0, 0, 0, 0, 1), (0, 0, 0.7, 0, 0, 1),
                (0, 0, -0.7, 0, 0, 1))


def jittered_blink(renderer, portrait, probe: FaceProbe, eyes: tuple[int, ...]) -> dict:
    """Shut over open eye aspect ratio averaged over small head poses (:data:`BLINK_JITTER`).

    Returns
    -------
    dict
        ``peak_over_open`` (mean over the poses where dlib found the face
        open and shut; NaN when none), ``spread`` (their standard
        deviation) and ``ratios`` (one per pose, NaN where not found).
    """
    from speaker.motion.landmarks import mouth_landmarks
    from speaker.types import ARTICULATION_NAMES, TrackFrame

    neutral = np.asarray(portrait.landmarks, np.float64)
    rest = np.zeros(len(ARTICULATION_NAMES), np.float32)
    ratios = []
    for pose in BLINK_JITTER:
        ears = []
        for closure in (0.0, 1.0):
            frame = renderer.render(TrackFrame(mouth_landmarks(neutral, rest, eyelid=closure),
                                               np.asarray(pose, np.float32), rest, closure))
            shape, detected = probe.find(frame, portrait.box)
            ears.append(eye_aspect_ratio(landmarks_of(shape), eyes) if detected else float("nan"))
        ratios.append(ears[1] / ears[0] if math.isfinite(ears[0]) and ears[0] > 0 else float("nan"))
    found = [ratio for ratio in ratios if math.isfinite(ratio)]
    return {"peak_over_open": float(np.mean(found)) if found else float("nan"),
            "spread": float(np.std(found)) if found else float("nan"), "ratios": ratios}


def blink_direct(portrait, probe: FaceProbe, path: Path | None = None) -> dict:
    """dlib's eye aspect ratio on frames rendered with the lids open, half and fully shut.

    The video's own blinks are few (three in the script's 5 s, each shut on
    one frame) and moved by the head; these frames are the neutral face
    with the motion stage's lid landmarks (:func:`speaker.motion.landmarks.mouth_landmarks`)
    and ``eyelid`` set, drawn by :class:`speaker.render.Renderer` alone.

    Parameters
    ----------
    portrait : Portrait
    probe : FaceProbe
    path : Path, optional
        Where to write a PNG strip of the eyes, zoomed, at the three closures;
        beside it ``<stem>_dlib.png``, the same with dlib's eye points drawn
        (red on the eyes measured, blue on an eye the renderer does not blink).

    Returns
    -------
    dict
        ``open_ratio``, ``half_over_open``, ``peak_over_open`` (NaN where
        dlib found no face) over the eyes the renderer blinks
        (:func:`blinked_eyes`, listed as ``eyes_measured``), ``per_eye``
        (each eye's EAR open, half and shut, both eyes), ``strip`` (the PNG
        path or None), ``jittered_peak_over_open`` and ``jittered_spread``
        (:func:`jittered_blink`).
    """
    import cv2
    from PIL import Image

    from speaker.motion.landmarks import mouth_landmarks
    from speaker.render import Renderer
    from speaker.types import ARTICULATION_NAMES, TrackFrame

    renderer = Renderer(portrait)
    measured = blinked_eyes(renderer)
    neutral = np.asarray(portrait.landmarks, np.float64)
    rest = np.zeros(len(ARTICULATION_NAMES), np.float32)
    pose = np.array([0, 0, 0, 0, 0, 1], np.float32)
    ratios, per_eye, crops, marked = [], [], [], []
    centre, width = neutral[36:48].mean(axis=0), float(np.ptp(neutral[:, 0]))
    x0, y0 = int(max(centre[0] - 0.55 * width, 0)), int(max(centre[1] - 0.22 * width, 0))
    x1, y1 = int(centre[0] + 0.55 * width), int(centre[1] + 0.22 * width)
    for closure in BLINK_CLOSURES:
        frame = renderer.render(TrackFrame(mouth_landmarks(neutral, rest, eyelid=closure), pose, rest, closure))
        shape, detected = probe.find(frame, portrait.box)
        ratios.append(eye_aspect_ratio(landmarks_of(shape), measured) if detected else float("nan"))
        per_eye.append([eye_aspect_ratio(landmarks_of(shape), (eye,)) if detected else float("nan")
                        for eye in (0, 1)])
        crop = frame[y0:y1, x0:x1]
        zoomed = np.ascontiguousarray(cv2.resize(crop, (480, max(1, int(480 * crop.shape[0] / max(crop.shape[1], 1)))),
                                                 interpolation=cv2.INTER_CUBIC))
        crops.append(zoomed.copy())
        if detected:
            # dlib's eye points, to see what it measured: red on the eyes the EAR averages.
            scale = zoomed.shape[1] / max(crop.shape[1], 1)
            for index, point in enumerate(landmarks_of(shape)[36:48]):
                colour = (255, 0, 0) if index // 6 in measured else (0, 160, 255)
                centre = tuple(int(round(c)) for c in (point - (x0, y0)) * scale)
                cv2.circle(zoomed, centre, 2, colour, -1)
        marked.append(zoomed)
    if path is not None:
        Image.fromarray(np.concatenate(crops, axis=1)).save(path)
        Image.fromarray(np.concatenate(marked, axis=1)).save(path.with_name(path.stem + "_dlib.png"))
    open_ratio = ratios[0]
    usable = math.isfinite(open_ratio) and open_ratio > 0
    jittered = jittered_blink(renderer, portrait, probe, measured)
    return {
        "jittered_peak_over_open": jittered["peak_over_open"],
        "jittered_spread": jittered["spread"],
        "jittered_ratios": jittered["ratios"],
        "open_ratio": open_ratio,
        "half_over_open": ratios[1] / open_ratio if usable else float("nan"),
        "peak_over_open": ratios[2] / open_ratio if usable else float("nan"),
        "eyes_measured": list(measured),
        "per_eye": {"open": per_eye[0], "half": per_eye[1], "shut": per_eye[2]},
        "strip": str(path) if path is not None else None,
    }


def mouth_direct(portrait, track, probe: FaceProbe, step: int = 2) -> dict:
    """dlib's mouth opening on every ``step``-th frame of the track rendered directly (no video coding).

    Parameters
    ----------
    portrait : Portrait
    track : Track
    probe : FaceProbe
    step : int
        Every how many frames one is rendered.

    Returns
    -------
    dict
        ``r``: Pearson r between dlib's re-detected opening (:func:`mouth_opening`) and the commanded
        landmarks' own, at lag 0; ``frames``: how many frames it was measured on.
    """
    from speaker.render import Renderer

    renderer = Renderer(portrait)
    seen, commanded = [], []
    for index in range(0, len(track), step):
        frame = track.frame(index)
        shape, _ = probe.find(renderer.render(frame), portrait.box)
        seen.append(mouth_opening(landmarks_of(shape)))
        commanded.append(mouth_opening(np.asarray(frame.landmarks, np.float64)))
    return {"r": pearson(np.asarray(seen), np.asarray(commanded)), "frames": len(seen)}


def zoom_strip(portrait, track, path: Path) -> Path:
    """Eyes and mouth, zoomed, at rest, widest open, mid-blink and blink peak, as one PNG."""
    import cv2
    from PIL import Image

    from speaker.render import Renderer
    from speaker.render.sheet import pick_frames

    picked = dict(pick_frames(track))
    labels = [label for label in ("rest", "open (max jaw)", "mid-blink", "blink") if label in picked]
    renderer = Renderer(portrait)
    lm = np.asarray(portrait.landmarks, np.float64)
    width = float(np.ptp(lm[:, 0]))
    boxes = [(lm[36:48].mean(axis=0), 0.55 * width, 0.22 * width), (lm[48:68].mean(axis=0), 0.3 * width, 0.2 * width)]
    columns = []
    for label in labels:
        frame = renderer.render(track.frame(picked[label]))
        parts = []
        for centre, half_w, half_h in boxes:
            x0, y0 = int(max(centre[0] - half_w, 0)), int(max(centre[1] - half_h, 0))
            crop = frame[y0:int(centre[1] + half_h), x0:int(centre[0] + half_w)]
            parts.append(cv2.resize(crop, (360, int(360 * crop.shape[0] / max(crop.shape[1], 1))),
                                    interpolation=cv2.INTER_CUBIC))
        column = np.concatenate(parts, axis=0)
        cv2.putText(column, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        columns.append(column)
    height = max(column.shape[0] for column in columns)
    columns = [np.pad(column, ((0, height - column.shape[0]), (0, 4), (0, 0))) for column in columns]
    Image.fromarray(np.concatenate(columns, axis=1)).save(path)
    return path


# --------------------------------------------------------------------------- driver


@dataclass
class Case:
    """One portrait to evaluate: a display name and the image file."""

    name: str
    path: Path
    figures: dict = field(default_factory=dict)
    skipped: str | None = None


def gather_cases(folder: Path) -> list[Case]:
    """The media portraits, Grace Hopper and the astronaut (written as a PNG in ``folder``)."""
    import matplotlib
    from PIL import Image
    from skimage import data

    cases = [Case(path.stem, path) for path in sorted(PORTRAITS_DIR.iterdir()) if path.is_file()
             and path.suffix.lower() in (".jpg", ".jpeg", ".png")]
    cases.append(Case("grace_hopper", Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"))
    astronaut = folder / "astronaut.png"
    Image.fromarray(data.astronaut()).save(astronaut)
    cases.append(Case("astronaut", astronaut))
    return cases


def judge_for(probe: FaceProbe, portrait) -> FaceProbe:
    """``probe``, or where dlib's detector misses the face in the photo itself, its :meth:`~FaceProbe.fitting_on_box`."""
    _, detected = probe.find(portrait.image, portrait.box)
    return probe if detected else probe.fitting_on_box()


def evaluate(case: Case, folder: Path, probe: FaceProbe) -> tuple:
    """Every measure of one portrait; returns ``(portrait, track)`` for reuse (or Nones when skipped)."""
    from speaker import face, motion
    from speaker.errors import SpeakerError
    from speaker.render import Renderer

    try:
        image, grayscale = face.load_image(case.path)
        portrait = face.find_portrait(image, grayscale)
    except SpeakerError as error:
        case.skipped = str(error)
        return None, None

    probe = judge_for(probe, portrait)
    rendered = render_video(case.path, folder, case.name)
    track = motion.load_track(rendered["track"])
    if tuple(track.image_size) != portrait.size:
        raise RuntimeError(f"{case.name}: track is {track.image_size}, portrait {portrait.size}")
    yaw = float(portrait.pose[0]) if portrait.pose is not None else 0.0
    zoom = zoom_strip(portrait, track, folder / f"{case.name}_zoom.png") if abs(yaw) >= ZOOM_FROM_YAW else None
    case.figures = {
        "size": list(portrait.size),
        "pose": list(portrait.pose) if portrait.pose is not None else None,
        "zoom": str(zoom) if zoom else None,
        "grayscale": portrait.grayscale,
        "face_width": portrait.face_width,
        "face_count": portrait.face_count,
        "fitted_on_box": probe.fits_on_box,
        "stage_seconds": rendered["stage_seconds"],
        "audio_seconds": rendered["audio_seconds"],
        "pipeline_error": rendered["error"],
        "sheet": str(rendered["sheet"]) if rendered["sheet"] else None,
        **measure_video(rendered["video"], portrait, track, probe, blinked_eyes(Renderer(portrait))),
        "blink_direct": blink_direct(portrait, probe, folder / f"{case.name}_eyes.png"),
        "render": render_speed(portrait, track),
    }
    return portrait, track


COLUMNS = ("portrait", "size", "yaw", "id med", "id max", "bg max", "mouth r", "blink", "half", "grey ok", "fps")


def table_row(case: Case) -> list:
    """Cells of one table row (numbers stay numbers for the median row)."""
    f = case.figures
    grey = "-" if f["grey_ok"] is None else ("yes" if f["grey_ok"] else f"no ({f['channel_spread_max']})")
    yaw = f"{f['pose'][0]:.0f}" if f.get("pose") else "-"
    return [case.name, f"{f['size'][0]}x{f['size'][1]}", yaw, f["identity_median"], f["identity_max"],
            f["background_max_change"], f["mouth"]["r"], f["blink_direct"]["peak_over_open"],
            f["blink_direct"]["half_over_open"], grey, f["render"]["fps"]]


def format_cell(value) -> str:
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def print_table(cases: list[Case]) -> dict:
    """Print the table and the median row; returns the median figures by column."""
    rows = [table_row(case) for case in cases if case.figures]
    medians: dict = {}
    median_row = ["median", "", ""]
    for column in range(3, len(COLUMNS)):
        values = [row[column] for row in rows if isinstance(row[column], float) and math.isfinite(row[column])]
        if values:
            medians[COLUMNS[column]] = float(np.median(values))
            median_row.append(medians[COLUMNS[column]])
        else:
            median_row.append("")
    text_rows = [list(COLUMNS)] + [[format_cell(v) for v in row] for row in rows + [median_row]]
    widths = [max(len(row[i]) for row in text_rows) for i in range(len(COLUMNS))]
    for number, row in enumerate(text_rows):
        print("  ".join(cell.ljust(width) if i < 3 else cell.rjust(width)
                        for i, (cell, width) in enumerate(zip(row, widths))))
        if number in (0, len(text_rows) - 2):
            print("  ".join("-" * width for width in widths))
    return medians


def print_details(cases: list[Case]) -> None:
    """A line per portrait with the secondary figures, and the skipped ones with their message."""
    for case in cases:
        if case.skipped:
            print(f"skipped {case.name}: {case.skipped}")
            continue
        f = case.figures
        mouth = f["mouth"]
        others = f["other_faces_max_change"]
        print(
            f"{case.name}: frames {f['frames']}{'' if f['frames_ok'] else ' (track differs!)'}, "
            f"min mean {f['min_frame_mean']:.1f}, "
            + ("dlib fitted on the face stage's box (its detector misses the photo's face), "
               if f["fitted_on_box"] else f"missed detections {f['missed_detections']}, ")
            + f"bg share {f['background_share']:.2f}, bg raw max {f['render']['background_max_change_raw']:.3f}, "
            f"first vs source {f['background_first_vs_source']:.2f}"
            + (f", other faces max {others:.2f}" if others is not None else "")
            + f"; video blink EAR open {f['blink']['open_ratio']:.3f} peak {f['blink']['peak_ratio']:.3f}"
            f" ({f['blink']['peak_frames']} peak frames)"
            f"; direct blink shut/open over small poses {f['blink_direct']['jittered_peak_over_open']:.2f}"
            f" +- {f['blink_direct']['jittered_spread']:.2f}"
            + f"; mouth best r {mouth['best_r']:.3f} at lag {mouth['best_lag']}, gain {mouth['gain']:.2f}, "
            f"range rendered {mouth['rendered_range']:.3f} vs commanded {mouth['commanded_range']:.3f}"
            + (f"; pipeline error: {f['pipeline_error']}" if f["pipeline_error"] else "")
        )


def print_verdict(cases: list[Case]) -> None:
    """The issue's done-when checks, one line each."""
    done = [case for case in cases if case.figures]
    refused = [case.name for case in cases if case.skipped]
    wrong_refusals = [name for name in refused if name not in MAY_BE_REFUSED]
    print(f"refused: {', '.join(refused) or 'none'}" + (f"  (should animate: {', '.join(wrong_refusals)})"
                                                         if wrong_refusals else "  (only those allowed)"))
    for label, key, test in (
        ("identity median <= 0.3", lambda f: f["identity_median"], lambda v: v <= 0.3),
        ("mouth r >= 0.5", lambda f: f["mouth"]["r"], lambda v: v >= 0.5),
        ("blink peak < half open", lambda f: f["blink_direct"]["peak_over_open"], lambda v: v < 0.5),
        ("blink peak < half open, mean over small poses", lambda f: f["blink_direct"]["jittered_peak_over_open"],
         lambda v: v < 0.5),
        ("video blink peak < half open", lambda f: f["blink"]["peak_over_open"], lambda v: v < 0.5),
        ("background max < 1", lambda f: f["background_max_change"], lambda v: v < 1.0),
    ):
        failing = []
        for case in done:
            value = key(case.figures)
            if not (isinstance(value, float) and math.isfinite(value)):
                failing.append(f"{case.name} (n/a)")
            elif not test(value):
                failing.append(f"{case.name} ({value:.2f}{', fitted on box' if case.figures['fitted_on_box'] else ''})")
        print(f"{label}: {len(done) - len(failing)}/{len(done)} pass" + (f"; failing: {', '.join(failing)}" if failing else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--sheets", type=Path, help="copy the contact sheets into this folder")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="evaluate only portraits whose name contains one of these")
    parser.add_argument("--keep", type=Path, help="render into this folder and keep the videos")
    parser.add_argument("--media", type=Path, help="the shared media folder (holding portraits/)")
    parser.add_argument("--mouth-direct", action="store_true",
                        help="also measure dlib's mouth opening on frames rendered directly (every 2nd frame)")
    args = parser.parse_args(argv)
    global PORTRAITS_DIR
    if args.media:
        PORTRAITS_DIR = args.media / "portraits"

    probe = FaceProbe()
    with tempfile.TemporaryDirectory(prefix="eval_render_") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        cases = gather_cases(folder)
        if args.only:
            cases = [case for case in cases if any(word in case.name for word in args.only)]
        grace = None
        for case in cases:
            started = time.perf_counter()
            portrait, track = evaluate(case, folder, probe)
            if args.mouth_direct and portrait is not None:
                judge = probe.fitting_on_box() if case.figures["fitted_on_box"] else probe  # as evaluate judged
                case.figures["mouth_direct"] = mouth_direct(portrait, track, judge)
                print(f"{case.name}: mouth r on frames rendered directly {case.figures['mouth_direct']['r']:.3f}",
                      file=sys.stderr, flush=True)
            status = f"skipped ({case.skipped})" if case.skipped else "done"
            print(f"[{time.perf_counter() - started:5.1f} s] {case.name}: {status}", file=sys.stderr, flush=True)
            if case.name == "grace_hopper" and portrait is not None:
                grace = (case.path, portrait, track)
        speed_512 = speed_at_512(*grace, folder) if grace else None

        print()
        medians = print_table(cases)
        if speed_512:
            print(f"\nrender speed at {SPEED_SIDE}x{SPEED_SIDE} (Grace Hopper crop): {speed_512['fps']:.1f} fps")
        print()
        print_details(cases)
        print()
        print_verdict(cases)

        if args.sheets:
            args.sheets.mkdir(parents=True, exist_ok=True)
            for case in cases:
                for key, suffix in (("sheet", "sheet"), ("zoom", "zoom")):
                    if case.figures.get(key):
                        target = args.sheets / f"{case.name}_{suffix}.png"
                        shutil.copyfile(case.figures[key], target)
                        case.figures[key] = str(target)
                strip = case.figures.get("blink_direct", {}).get("strip")
                if strip:
                    target = args.sheets / f"{case.name}_eyes.png"
                    shutil.copyfile(strip, target)
                    case.figures["blink_direct"]["strip"] = str(target)
                    marked = Path(strip).with_name(Path(strip).stem + "_dlib.png")
                    if marked.exists():
                        shutil.copyfile(marked, args.sheets / f"{case.name}_eyes_dlib.png")
        if args.out:
            results = {
                "script": SCRIPT,
                "motion": MOTION_STYLE,
                "seed": SEED,
                "portraits": {case.name: case.figures for case in cases if case.figures},
                "skipped": {case.name: case.skipped for case in cases if case.skipped},
                "median": medians,
                "render_fps_512": speed_512["fps"] if speed_512 else None,
            }
            text = json.dumps(_finite(results), indent=2, default=_json_default, allow_nan=False)
            args.out.write_text(text + "\n", encoding="utf-8")
    return 0


def _finite(value):
    """``value`` with every non-finite float (no measure possible) replaced by None, for strict JSON."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value


def _json_default(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    raise TypeError(type(value).__name__)


if __name__ == "__main__":
    sys.exit(main())
