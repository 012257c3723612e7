"""How far dlib's eye aspect ratio falls on REAL blinks (calibration for the rendered lids).

Decodes the talking clips of the media folder (``clips_dev/`` and ``clips/``),
fits dlib's 68 points on every frame, and finds blinks as minima of the eye
aspect ratio (EAR, both eyes averaged) well below the clip's open level (its
80th percentile). For each blink it prints the EAR at the minimum over the
open level, and with ``--sheets DIR`` writes a zoomed strip of the eyes (open
frame, blink frame) with dlib's eye points drawn, to look at.

    python scripts/calibrate_blink.py --media /work/shared/media --sheets /tmp/blinks

With ``--transplant CLIP:FRAME`` it also pastes that clip's real shut eyes
(the frame of a blink; the clip's open frame gives the corners) into the
clip's own open frame and into every portrait of ``portraits/``, the eye
alone and with the lid skin up towards the brow, and prints dlib's EAR there
over the face's own: how far dlib's measure falls on these faces for an eye
that IS shut, the yardstick for the rendered lids (e.g. ``lp_d0:66``).

With ``--squeeze`` it also prints how far the brow comes down and the cheek
under the eye up at each deep blink (shut/open below SQUEEZE_BELOW), the
photo followed by template matching against the nose (eye widths), median
over the open frames (EAR at least 0.9 of the open level) within SQUEEZE_WINDOW;
the orbicularis squeeze of a real blink (a renderer that followed it, brows down 0.023
eye widths at shut, moved neither dlib's blink figure nor the lip-sync one for the better:
not kept).

Media is for calibration only; nothing here is used by the package.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_render import FaceProbe, eye_aspect_ratio, landmarks_of  # noqa: E402

#: A blink: a local minimum of the EAR below this share of the clip's open level.
BLINK_BELOW = 0.75
#: The clip's open level: this percentile of its per-frame EAR.
OPEN_PERCENTILE = 80
#: Clips whose open level is at most this count as narrow-eyed (the
#: portraits that missed half of open had open EAR 0.22-0.29).
NARROW_OPEN_EAR = 0.31
#: Frames are worked on scaled so that their longer side is at most this.
MAX_SIDE = 720


#: Deep blinks measured for the squeeze: shut/open EAR below this.
SQUEEZE_BELOW = 0.5
#: Open frames compared with a blink: within this many frames of it.
SQUEEZE_WINDOW = 8
#: Eye points: corners, lower lid, brow (dlib's 68).
SQUEEZE_EYES = (((36, 39), (40, 41), (17, 18, 19, 20, 21)), ((42, 45), (46, 47), (22, 23, 24, 25, 26)))
#: Patches followed from an open frame into the blink's, eye widths: the brow's
#: (this tall about the brow points), the cheek's (from and to this far below
#: the lower lid) and the nose's (points 29-33, the head's own motion).
SQUEEZE_BROW_HALF = 0.15
SQUEEZE_CHEEK = (0.2, 0.5)
#: How far (eye widths) a patch is searched for up and down.
SQUEEZE_SEARCH = 0.3


def _vertical_shift(open_gray: np.ndarray, shut_gray: np.ndarray, box, search: int) -> float:
    """How far down (pixels, sub-pixel) the photo inside ``box`` of the open frame moved in the shut one."""
    import cv2

    x0, y0, x1, y1 = (int(round(v)) for v in box)
    if x1 - x0 < 4 or y1 - y0 < 3 or y0 - search < 0 or y1 + search > shut_gray.shape[0]:
        return float("nan")
    template = open_gray[y0:y1, x0:x1]
    strip = shut_gray[y0 - search:y1 + search, x0:x1]
    scores = cv2.matchTemplate(strip, template, cv2.TM_CCOEFF_NORMED)[:, 0]
    k = int(np.argmax(scores))
    offset = 0.0
    if 0 < k < len(scores) - 1:
        a, b, c = scores[k - 1], scores[k], scores[k + 1]
        offset = float(0.5 * (a - c) / min(a - 2 * b + c, -1e-9))
    return k + offset - search


def squeeze_shifts(frame_open: np.ndarray, lm_open: np.ndarray, frame_shut: np.ndarray) -> np.ndarray:
    """The brow's drop and the cheek's rise (eye widths, both eyes' mean) from an open frame to a shut one.

    The photo itself is followed (template matching of the brow's patch, the
    cheek's below the lower lid and the nose's), not dlib's points: on a shut
    eye dlib moves its eye corners, the top of its nose and its brows with the
    lids. Both against the nose's own shift (the head's nod).

    Returns
    -------
    np.ndarray, shape (2,)
        ``[brow down, cheek up]``, eye widths, NaN where a patch left the frame.
    """
    import cv2

    gray_open = cv2.cvtColor(frame_open, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gray_shut = cv2.cvtColor(frame_shut, cv2.COLOR_RGB2GRAY).astype(np.float32)
    widths = [float(np.linalg.norm(lm_open[c[1]] - lm_open[c[0]])) for c, _, _ in SQUEEZE_EYES]
    width = float(np.mean(widths))
    search = max(int(round(SQUEEZE_SEARCH * width)), 2)
    nose = lm_open[29:34]
    nose_dy = _vertical_shift(gray_open, gray_shut, (nose[:, 0].min() - 0.1 * width, nose[:, 1].min(),
                                                     nose[:, 0].max() + 0.1 * width, nose[:, 1].max()), search)
    shifts = []
    for corners, lower, brow in SQUEEZE_EYES:
        brow_pts = lm_open[list(brow)]
        brow_y = float(brow_pts[:, 1].mean())
        brow_dy = _vertical_shift(gray_open, gray_shut, (brow_pts[:, 0].min(), brow_y - SQUEEZE_BROW_HALF * width,
                                                         brow_pts[:, 0].max(), brow_y + SQUEEZE_BROW_HALF * width),
                                  search)
        lower_y = float(lm_open[list(lower), 1].mean())
        xs = lm_open[list(corners), 0]
        cheek_dy = _vertical_shift(gray_open, gray_shut, (xs.min(), lower_y + SQUEEZE_CHEEK[0] * width,
                                                          xs.max(), lower_y + SQUEEZE_CHEEK[1] * width), search)
        shifts.append([(brow_dy - nose_dy) / width, (nose_dy - cheek_dy) / width])
    return np.nanmean(np.array(shifts), axis=0)


def squeeze_of_blinks(ears: np.ndarray, points: list, frames: list, open_level: float, blinks: list[int]) -> list:
    """Brow drop and cheek rise (eye widths) of each deep blink, against the open frames near it.

    Returns
    -------
    list of tuple
        ``(frame, shut/open, brow drop, cheek rise)``, medians over the open
        frames within SQUEEZE_WINDOW (EAR at least 0.9 of the open level);
        positive is towards the eye.
    """
    found = []
    for i in blinks:
        if not ears[i] < SQUEEZE_BELOW * open_level:
            continue
        near = [j for j in range(max(0, i - SQUEEZE_WINDOW), min(len(ears), i + SQUEEZE_WINDOW + 1))
                if points[j] is not None and ears[j] >= 0.9 * open_level]
        if not near:
            continue
        shifts = np.array([squeeze_shifts(frames[j], points[j], frames[i]) for j in near])
        brow, cheek = np.nanmedian(shifts, axis=0)
        found.append((i, float(ears[i] / open_level), float(brow), float(cheek)))
    return found


def default_media() -> Path:
    here = Path(__file__).resolve().parent.parent / ".." / "shared" / "media"
    return here if here.exists() else Path("/work/shared/media")


def clip_ears(path: Path, probe: FaceProbe) -> tuple[np.ndarray, list]:
    """Per-frame EAR (NaN where no face) and the frames' eye landmarks (68, 2) or None."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    ears, points, frames = [], [], []
    box = None
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        scale = min(1.0, MAX_SIDE / max(bgr.shape[:2]))
        if scale < 1.0:
            bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        if box is None:
            rects = probe.detector(rgb, 1)
            if not len(rects):
                ears.append(np.nan), points.append(None), frames.append(None)
                continue
            r = max(rects, key=lambda r: r.area())
            box = np.array([r.left(), r.top(), r.right(), r.bottom()], float)
        shape, detected = probe.find(rgb, box)
        if not detected:
            ears.append(np.nan), points.append(None), frames.append(None)
            continue
        lm = landmarks_of(shape)
        box = np.array([*lm.min(axis=0), *lm.max(axis=0)])
        ears.append(eye_aspect_ratio(lm)), points.append(lm), frames.append(rgb)
    return np.array(ears), points, frames


def find_blinks(ears: np.ndarray) -> tuple[float, list[int]]:
    """The open level and the frames of blink minima."""
    finite = np.isfinite(ears)
    if finite.sum() < 10:
        return float("nan"), []
    open_level = float(np.percentile(ears[finite], OPEN_PERCENTILE))
    blinks = []
    for i in range(1, len(ears) - 1):
        if not finite[i]:
            continue
        window = ears[max(0, i - 3): i + 4]
        if ears[i] <= np.nanmin(window) and ears[i] < BLINK_BELOW * open_level:
            if not blinks or i - blinks[-1] > 4:
                blinks.append(i)
    return open_level, blinks


def eye_strip(frame_open, lm_open, frame_shut, lm_shut, path: Path) -> None:
    """Both eyes, zoomed 6 times, open above shut, dlib's points drawn."""
    import cv2
    from PIL import Image

    rows = []
    for frame, lm in ((frame_open, lm_open), (frame_shut, lm_shut)):
        centre = lm[36:48].mean(axis=0)
        width = float(np.linalg.norm(lm[45] - lm[36]))
        x0, y0 = int(max(centre[0] - 0.8 * width, 0)), int(max(centre[1] - 0.3 * width, 0))
        x1, y1 = int(centre[0] + 0.8 * width), int(centre[1] + 0.3 * width)
        zoom = 720.0 / max(x1 - x0, 1)
        crop = cv2.resize(frame[y0:y1, x0:x1], None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
        for index in range(36, 48):
            p = (lm[index] - [x0, y0]) * zoom
            cv2.circle(crop, (int(p[0]), int(p[1])), 3, (255, 0, 0) if index in (37, 38, 40, 41, 43, 44, 46, 47)
                       else (0, 255, 0), -1)
        rows.append(crop)
    height = min(r.shape[0] for r in rows)
    Image.fromarray(np.concatenate([r[:height] for r in rows], axis=0)).save(path)


#: The pasted region around each eye: half axes (eye widths) and how far its
#: centre sits above the eye's (eye widths). "eye" is the eyeball and lids;
#: "to brow" takes the lid skin up towards the brow as well.
PASTE_REGIONS = {"eye": ((0.75, 0.4), 0.0), "to brow": ((0.9, 0.6), 0.15)}


def transplant_eyes(image: np.ndarray, landmarks: np.ndarray, donor: np.ndarray,
                    donor_landmarks: np.ndarray, region: str = "eye") -> np.ndarray:
    """A portrait with both eyes replaced by a donor frame's eyes.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
    landmarks : np.ndarray, shape (68, 2)
        The portrait's landmarks, pixels.
    donor : np.ndarray, shape (h, w, 3), uint8
        The frame whose eyes are pasted (e.g. a real blink).
    donor_landmarks : np.ndarray, shape (68, 2)
        Where the donor's eye corners are (an open frame of the same clip:
        dlib's corners on a shut eye are less sure).
    region : str
        A key of :data:`PASTE_REGIONS`.

    Returns
    -------
    np.ndarray, shape (H, W, 3), uint8
        Each donor eye moved by the similarity that maps its corners onto the
        portrait's, its tone scaled to the portrait's skin around the eye,
        blended in through a soft ellipse (:data:`PASTE_REGIONS`).
    """
    import cv2

    result = image.astype(np.float32)
    for first in (36, 42):
        source = np.float32([donor_landmarks[first], donor_landmarks[first + 3]])
        target = np.float32([landmarks[first], landmarks[first + 3]])
        similarity, _ = cv2.estimateAffinePartial2D(source, target)
        moved = cv2.warpAffine(donor, similarity, (image.shape[1], image.shape[0])).astype(np.float32)
        width = float(np.linalg.norm(target[1] - target[0]))
        (half_x, half_y), up = PASTE_REGIONS[region]
        centre = target.mean(axis=0) - [0.0, up * width]
        mask = np.zeros(image.shape[:2], np.float32)
        cv2.ellipse(mask, (int(centre[0]), int(centre[1])), (int(half_x * width), int(half_y * width)),
                    0, 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), 0.1 * width)[..., None]
        ring = (mask[..., 0] > 0.05) & (mask[..., 0] < 0.5)
        gain = (image[ring].mean(axis=0) + 1.0) / (moved[ring].mean(axis=0) + 1.0)
        result += mask * (np.clip(moved * gain, 0, 255) - result)
    return np.clip(result + 0.5, 0, 255).astype(np.uint8)


def transplant_figures(media: Path, donor_spec: str, probe: FaceProbe, sheets: Path | None) -> None:
    """Print dlib's EAR with a real shut eye pasted in, over the face's own.

    First into the same clip's open frame (same person, scale and place: the
    paste itself must not hide the blink), then into every portrait, for each
    region of :data:`PASTE_REGIONS`, and, as a control, the clip's OPEN eye
    pasted the same way (what the paste alone does to dlib's measure).
    """
    from PIL import Image

    from speaker import face
    from speaker.errors import SpeakerError

    stem, frame_index = donor_spec.rsplit(":", 1)
    clip = next(c for c in sorted(media.glob(f"clips*/{stem}.*")) if c.suffix in (".mp4", ".mpg"))
    ears, points, frames = clip_ears(clip, probe)
    open_level, _ = find_blinks(ears)
    open_frame = int(np.nanargmin(np.abs(ears - open_level)))
    donor, corners = frames[int(frame_index)], points[open_frame]
    print(f"{stem}: frame {frame_index} EAR {ears[int(frame_index)] / ears[open_frame]:.2f} of open frame {open_frame}")
    own_box = np.array([*corners.min(axis=0), *corners.max(axis=0)])
    for region in PASTE_REGIONS:
        pasted = transplant_eyes(frames[open_frame], corners, donor, corners, region)
        shape, _ = probe.find(pasted, own_box)
        print(f"  pasted ({region}) into its own open frame: EAR {eye_aspect_ratio(landmarks_of(shape)) / ears[open_frame]:.2f}")
    ratios: dict = {(region, kind): [] for region in PASTE_REGIONS for kind in ("shut", "open")}
    for path in sorted((media / "portraits").iterdir()):
        try:
            image, grayscale = face.load_image(path)
            portrait = face.find_portrait(image, grayscale)
        except SpeakerError:
            continue
        landmarks = np.asarray(portrait.landmarks, np.float64)
        shape, found = probe.find(portrait.image, portrait.box)
        if not found:
            continue
        own = eye_aspect_ratio(landmarks_of(shape))
        cells = []
        for region in PASTE_REGIONS:
            for kind, source in (("shut", donor), ("open", frames[open_frame])):
                pasted = transplant_eyes(portrait.image, landmarks, source, corners, region)
                if portrait.grayscale:
                    pasted[..., 0] = pasted[..., 2] = pasted[..., 1]
                pasted_shape, pasted_found = probe.find(pasted, portrait.box)
                ratio = eye_aspect_ratio(landmarks_of(pasted_shape)) / own if pasted_found else float("nan")
                ratios[(region, kind)].append(ratio)
                cells.append(f"{region} {kind} {ratio:.2f}")
                if sheets and kind == "shut":
                    centre, width = landmarks[36:48].mean(axis=0), float(np.ptp(landmarks[:, 0]))
                    x0, y0 = int(max(centre[0] - 0.55 * width, 0)), int(max(centre[1] - 0.22 * width, 0))
                    Image.fromarray(np.ascontiguousarray(pasted[y0:int(centre[1] + 0.22 * width),
                                                                x0:int(centre[0] + 0.55 * width)])).save(
                        sheets / f"transplant_{path.stem}_{region.replace(' ', '_')}.png")
        print(f"  {path.stem:40s} EAR over the portrait's: " + ", ".join(cells), flush=True)
    for (region, kind), values in ratios.items():
        values = np.array(values)
        values = values[np.isfinite(values)]
        print(f"{kind} eye of {stem} pasted ({region}) into {len(values)} portraits: EAR median "
              f"{np.median(values):.2f} of open, below 0.5 on {(values < 0.5).sum()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=default_media())
    parser.add_argument("--sheets", type=Path, default=None, help="folder for zoomed eye strips")
    parser.add_argument("--only", nargs="*", default=None, help="clip name stems to measure")
    parser.add_argument("--transplant", metavar="CLIP:FRAME", default=None,
                        help="paste this real blink frame's eyes into every portrait and measure")
    parser.add_argument("--squeeze", action="store_true",
                        help="also measure how far the brow and the lower lid move at deep blinks")
    args = parser.parse_args(argv)
    probe = FaceProbe()
    if args.sheets:
        args.sheets.mkdir(parents=True, exist_ok=True)
    if args.transplant:
        transplant_figures(args.media, args.transplant, probe, args.sheets)
        return 0
    clips = sorted((args.media / "clips_dev").glob("*.mp4")) + sorted((args.media / "clips").glob("*.mpg"))
    if args.only:
        clips = [c for c in clips if any(o in c.stem for o in args.only)]
    if args.sheets:
        args.sheets.mkdir(parents=True, exist_ok=True)
    all_ratios, all_open, all_shut, deepest, squeezes = [], [], [], [], []
    for clip in clips:
        ears, points, frames = clip_ears(clip, probe)
        open_level, blinks = find_blinks(ears)
        ratios = [float(ears[i] / open_level) for i in blinks]
        all_ratios += ratios
        all_open += [open_level] * len(blinks)
        all_shut += [float(ears[i]) for i in blinks]
        if blinks:
            deepest.append((open_level, float(min(ears[i] for i in blinks))))
        print(f"{clip.stem:40s} frames {len(ears):4d} open EAR {open_level:.3f} blinks "
              + " ".join(f"#{i}:{r:.2f} ({ears[i]:.3f})" for i, r in zip(blinks, ratios)), flush=True)
        if args.squeeze:
            found = squeeze_of_blinks(ears, points, frames, open_level, blinks)
            squeezes += found
            for i, ratio, brow, cheek in found:
                print(f"  squeeze #{i}: shut/open {ratio:.2f} brow down {brow:+.3f} cheek up {cheek:+.3f} "
                      "eye widths", flush=True)
        if args.sheets and blinks:
            open_frame = int(np.nanargmin(np.abs(ears - open_level)))
            for i in blinks:
                eye_strip(frames[open_frame], points[open_frame], frames[i], points[i],
                          args.sheets / f"{clip.stem}_{i:04d}.png")
    if all_ratios:
        values = np.array(all_ratios)
        print(f"\n{len(values)} blinks: shut/open EAR median {np.median(values):.2f}, "
              f"min {values.min():.2f}, max {values.max():.2f}, below 0.5: {(values < 0.5).sum()}")
        shut, opened = np.array(all_shut), np.array(all_open)
        print(f"shut EAR (absolute) median {np.median(shut):.3f}, min {shut.min():.3f}, max {shut.max():.3f}")
        narrow = opened <= NARROW_OPEN_EAR
        if narrow.any():
            print(f"{narrow.sum()} blinks of narrow-eyed clips (open EAR <= {NARROW_OPEN_EAR}): shut EAR median "
                  f"{np.median(shut[narrow]):.3f} (min {shut[narrow].min():.3f}), shut/open median "
                  f"{np.median(values[narrow]):.2f}, below 0.5: {(values[narrow] < 0.5).sum()}")
        # Most minima are partial blinks; a clip's deepest one is the nearest to a shut eye.
        opens, shuts = np.array(deepest).T
        print(f"deepest blink of each of {len(shuts)} clips: shut EAR median {np.median(shuts):.3f} "
              f"(range {shuts.min():.3f}-{shuts.max():.3f}), shut/open median {np.median(shuts / opens):.2f}, "
              f"below 0.5 on {(shuts / opens < 0.5).sum()}")
        narrow = opens <= NARROW_OPEN_EAR
        if narrow.any():
            print(f"  of the {narrow.sum()} narrow-eyed clips: shut EAR " + ", ".join(
                f"{o:.3f}->{c:.3f} ({c / o:.2f})" for o, c in zip(opens[narrow], shuts[narrow])))
    if squeezes:
        brow, cheek = (np.array([f[k] for f in squeezes]) for k in (2, 3))
        print(f"squeeze at {len(squeezes)} deep blinks (shut/open < {SQUEEZE_BELOW}): brow down median "
              f"{np.nanmedian(brow):+.3f} (quartiles {np.nanpercentile(brow, 25):+.3f} {np.nanpercentile(brow, 75):+.3f}), "
              f"cheek up median {np.nanmedian(cheek):+.3f} (quartiles {np.nanpercentile(cheek, 25):+.3f} "
              f"{np.nanpercentile(cheek, 75):+.3f}) eye widths")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
