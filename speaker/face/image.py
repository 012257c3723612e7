"""Loading a portrait photo into an upright, even-sized RGB array.

Whatever the file holds (JPEG with an EXIF rotation, a palette GIF, a
transparent PNG, a CMYK print file, a 16-bit greyscale scan, a 1-bit
drawing), :func:`load_image` gives RGB ``uint8`` pixels the rest of the
pipeline can use as they are: turned upright, no larger than ``max_side`` on
the long side, and with even width and height (H.264 in yuv420p needs both
even).
"""

from __future__ import annotations

import functools
import math
import warnings
from pathlib import Path

import cv2
import numpy as np

from ..errors import SpeakerError

#: Most pixels we are willing to decode (after JPEG draft reduction): about
#: 300 MB of RGB. Larger files are refused rather than risk running out of memory.
MAX_DECODE_PIXELS = 100_000_000

#: Colour that transparent pixels are laid on (white, as a page or browser shows them).
ALPHA_BACKGROUND = (255, 255, 255)

#: A photo counts as greyscale when its channels differ by at most this many
#: levels (of 255) on all but a few pixels; JPEG chroma noise stays below it,
#: sepia toning (R > G > B by tens of levels) does not.
GRAYSCALE_TOLERANCE = 2
#: Share of pixels that may exceed the tolerance (JPEG ringing at sharp edges).
GRAYSCALE_OUTLIER_SHARE = 0.01
#: Pixels sampled for the greyscale test (a regular grid keeps it fast).
GRAYSCALE_SAMPLE_PIXELS = 250_000

#: Smallest width or height we accept; no face can be found in less.
MIN_SIDE = 16

#: Suffixes of files given as a picture by mistake, told as what they are.
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"})
SOUND_SUFFIXES = frozenset({".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma"})

_GRAYSCALE_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"}


def load_image(path: str | Path, max_side: int = 1280,
               region: tuple[float, float, float, float] | None = None) -> tuple[np.ndarray, bool]:
    """Read a photo as upright RGB pixels with even dimensions.

    Parameters
    ----------
    path : str or Path
        Any image file Pillow can read (JPEG, PNG, GIF, BMP, TIFF, WebP, ...).
    max_side : int
        The longest side of the result in pixels; larger photos are scaled down
        (JPEGs are decoded at a reduced scale directly, so memory stays bounded).
    region : tuple of float, optional
        ``(left, top, right, bottom)``, shares 0..1 of the upright photo's
        width and height: only that part is returned, at the detail the file
        has there (scaled down only if it is larger than ``max_side``).

    Returns
    -------
    image : np.ndarray, shape (H, W, 3), uint8
        RGB pixels, EXIF orientation applied, transparency laid on white,
        ``max(H, W) <= max_side``, H and W even (one row or column cropped off
        the bottom or right when odd).
    grayscale : bool
        True when the photo has no colour: a greyscale file mode, or RGB whose
        channels are equal within :data:`GRAYSCALE_TOLERANCE` levels.

    Raises
    ------
    SpeakerError
        The file is missing, is a folder, is not a readable image, or is too large.
    """
    from PIL import Image, ImageOps

    path = Path(path).expanduser()
    if not path.exists():
        if str(path).lower().startswith(("http:/", "https:/", "www.")):  # a Path folds "https://" to "https:/"
            address = str(path).replace(":/", "://", 1)
            raise SpeakerError(f"The image {address} is a web address; speaker works offline: download the "
                               "picture and give its file.")
        raise SpeakerError(f"The image {path} does not exist.")
    if path.is_dir():
        raise SpeakerError(f"The image {path} is a folder; give the path of a photo file.")

    try:
        decode_side = max_side
        if region is not None:
            # Decoded so that the region, not the whole photo, fits within max_side.
            decode_side = int(np.ceil(max_side / max(region[2] - region[0], region[3] - region[1], 1e-6)))
        picture = _open_bounded(path, decode_side)
        picture = ImageOps.exif_transpose(picture)
        if region is not None:
            width, height = picture.size
            left, top, right, bottom = region
            picture = picture.crop((round(left * width), round(top * height),
                                    round(right * width), round(bottom * height)))
        grayscale_mode = picture.mode in _GRAYSCALE_MODES
        rgb = _to_rgb(picture)
    except SpeakerError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        # Pillow reports truncated or corrupt data as OSError/ValueError/SyntaxError.
        raise SpeakerError(f"Cannot read the image {path}: the file is damaged or not an image ({error}).") from None

    if min(rgb.size) < MIN_SIDE:
        raise SpeakerError(
            f"The image {path} is only {rgb.size[0]}x{rgb.size[1]} pixels; give a photo at least {MIN_SIDE} pixels on each side."
        )
    rgb = _fit_within(rgb, max_side)
    pixels = np.asarray(rgb, dtype=np.uint8)
    pixels = pixels[: pixels.shape[0] // 2 * 2, : pixels.shape[1] // 2 * 2]
    pixels = np.ascontiguousarray(pixels)
    grayscale = grayscale_mode or looks_grayscale(pixels)
    return pixels, bool(grayscale)


def photo_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` in pixels of the photo in a file, upright (EXIF orientation applied), read from its header."""
    with _open_unchecked(Path(path).expanduser()) as picture:
        width, height = picture.size
        # EXIF orientations 5-8 turn the picture a quarter turn.
        if picture.getexif().get(0x0112, 1) in (5, 6, 7, 8):
            width, height = height, width
    return width, height


@functools.cache
def enable_heic() -> bool:
    """Whether Pillow opens HEIC/HEIF photos (a phone's camera default), by pi-heif's decoder, registered once."""
    try:
        from pi_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def _open_unchecked(path: Path):
    """``Image.open`` (lazy) without Pillow's decompression-bomb check.

    That check refuses some legitimate huge JPEGs that draft() decodes at
    1/8 scale; :func:`_open_bounded` checks the decoded size itself instead.
    """
    from PIL import Image

    enable_heic()
    saved_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    finally:
        Image.MAX_IMAGE_PIXELS = saved_limit


def looks_grayscale(image: np.ndarray) -> bool:
    """Whether an RGB image has (practically) no colour.

    Parameters
    ----------
    image : np.ndarray, shape (H, W, 3), uint8

    Returns
    -------
    bool
        True when all three channels agree within :data:`GRAYSCALE_TOLERANCE`
        levels on all but :data:`GRAYSCALE_OUTLIER_SHARE` of the pixels.
    """
    height, width = image.shape[:2]
    step = max(1, int(np.sqrt(height * width / GRAYSCALE_SAMPLE_PIXELS)))
    sample = image[::step, ::step].astype(np.int16)
    spread = sample.max(axis=2) - sample.min(axis=2)
    outliers = np.count_nonzero(spread > GRAYSCALE_TOLERANCE)
    return outliers <= GRAYSCALE_OUTLIER_SHARE * spread.size


def _open_bounded(path: Path, max_side: int):
    """Open lazily, shrink JPEG decoding with draft(), refuse decompression bombs."""
    from PIL import UnidentifiedImageError

    try:
        picture = _open_unchecked(path)
    except UnidentifiedImageError:
        kind = Path(path).suffix.lower()
        if kind in (".heic", ".heif") and not enable_heic():
            raise SpeakerError(f"Cannot read {path}: HEIC photos need the pi-heif package (pip install pi-heif), "
                               "or convert the photo to JPEG.") from None
        if kind in VIDEO_SUFFIXES:
            raise SpeakerError(f"{path} is a video, not a picture: the portrait must be a photo or painting "
                               "(a video for the face to follow goes to --drive).") from None
        if kind in SOUND_SUFFIXES:
            raise SpeakerError(f"{path} is a sound file, not a picture: the portrait must be a photo or painting "
                               "(a recording to lip-sync goes to --audio).") from None
        raise SpeakerError(f"Cannot read {path}: it is not a picture file (JPEG, PNG, TIFF, HEIC, WebP, ...).") from None

    width, height = picture.size
    if picture.format == "JPEG":
        # draft() picks a DCT scale (1/2, 1/4, 1/8) no smaller than asked,
        # so the decode is already close to the final size.
        # A region of a huge scan asked for at the file's detail: the finest DCT scale that fits.
        scale = min(max_side / max(width, height), _finest_jpeg_scale(width, height))
        if scale < 1.0:
            picture.draft(picture.mode, (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))))
            width, height = picture.size
    if width * height > MAX_DECODE_PIXELS:
        raise SpeakerError(
            f"The image {path} is too large to load safely ({width}x{height} pixels); "
            f"resize it below {MAX_DECODE_PIXELS // 1_000_000} megapixels first."
        )
    picture.load()
    return picture


def _finest_jpeg_scale(width: int, height: int) -> float:
    """The finest of a JPEG's decoding scales (1, 1/2, 1/4, 1/8) at which its ``width`` x ``height`` pixels fit
    :data:`MAX_DECODE_PIXELS` (1/8 when none does: refused after)."""
    return next((share for share in (1.0, 0.5, 0.25) if width * height * share ** 2 <= MAX_DECODE_PIXELS), 0.125)


def finest_detail(path: str | Path) -> float:
    """The finest detail, a share of the file's pixels along each side, at which :func:`load_image` can decode
    any part of the photo: 1, or for a JPEG over :data:`MAX_DECODE_PIXELS` the finest scale that fits."""
    with _open_unchecked(Path(path).expanduser()) as picture:
        return _finest_jpeg_scale(*picture.size) if picture.format == "JPEG" else 1.0


def _to_rgb(picture):
    """Convert any Pillow mode to 8-bit RGB (alpha laid on :data:`ALPHA_BACKGROUND`)."""
    from PIL import Image

    mode = picture.mode
    if mode.startswith("I;16"):
        # Always the full 0..65535 range, even for a dark picture whose maximum is small.
        levels = np.asarray(picture).astype(np.float64) / 257.0
        grey = np.clip(np.round(levels), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if mode in ("I", "F"):
        return Image.fromarray(_deep_to_uint8(np.asarray(picture))).convert("RGB")
    if mode == "P":
        has_alpha = "transparency" in picture.info
        picture = picture.convert("RGBA" if has_alpha else "RGB")
        mode = picture.mode
    elif mode in ("PA", "LA", "La", "RGBa"):
        picture = picture.convert("RGBA")
        mode = "RGBA"
    if mode == "RGBA":
        background = Image.new("RGBA", picture.size, ALPHA_BACKGROUND + (255,))
        return Image.alpha_composite(background, picture).convert("RGB")
    if mode == "RGB":
        return picture
    # 1, L, CMYK, YCbCr, LAB, HSV: Pillow's conversion is what we want.
    return picture.convert("RGB")


def _deep_to_uint8(values: np.ndarray) -> np.ndarray:
    """Scale 32-bit integer or float greyscale (modes I and F) to 0..255.

    Data whose maximum is above 255 is taken to span 0..65535; float data in
    0..1 is taken as fractions; anything else is stretched to its own range.
    """
    is_float = values.dtype.kind == "f"
    values = values.astype(np.float64)
    high = float(values.max()) if values.size else 0.0
    low = float(values.min()) if values.size else 0.0
    if is_float and low >= 0.0 and high <= 1.0:
        scaled = values * 255.0
    elif low >= 0 and high <= 255:
        scaled = values
    elif low >= 0 and high <= 65535:
        scaled = values / 257.0
    else:
        scaled = (values - low) * (255.0 / max(high - low, 1e-9))
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def _fit_within(picture, max_side: int):
    """Scale down (Lanczos) so the long side is at most ``max_side``."""
    from PIL import Image

    width, height = picture.size
    if max(width, height) <= max_side:
        return picture
    scale = max_side / max(width, height)
    size = (max(MIN_SIDE, round(width * scale)), max(MIN_SIDE, round(height * scale)))
    # reducing_gap does a fast integer box reduction first: bounded time and memory.
    return picture.resize(size, Image.LANCZOS, reducing_gap=3.0)


def sample_bilinear(grey: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Bilinear samples (N,) of a float32 image at points (N, 2), pixels (clamped at the border)."""
    xy = np.asarray(xy, np.float32).reshape(-1, 1, 2)
    return cv2.remap(grey, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).ravel()
