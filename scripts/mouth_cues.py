"""What each portrait's photo says about how much of the upper teeth its mouth would show.

A speaking mouth shows more or less of its upper incisors by its upper lip:
long or moustached upper lips show few, and lower teeth instead on wide
vowels. This script prints, for every portrait of the media folder and Grace
Hopper, the cues a rule could use (dlib's neutral landmarks, or the face
mesh's where the face stage takes it):

philtrum / fw
    nose base (33) to the outer upper lip (51), face widths.
upper lip / mw
    outer (51) to inner (62) upper lip, the upper lip's height, mouth widths (48-54).
above lip / skin
    median luma on three lines from the nose base (32, 33, 34) to the upper
    lip (50, 51, 52), between 30 % and 80 % of the way, over the cheeks' skin
    luma (a moustache is darker than 1).
lip / skin
    the lips' median luma over the cheeks' (:func:`speaker.render.mouth.sample_palette`).

Usage::

    python scripts/mouth_cues.py [--media DIR]

The media folder defaults to ``../shared/media`` beside the repository, else
``/work/shared/media``. Real media are used here only, never in tests.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from check_faces import MEDIA_CANDIDATES

#: Share of the way from the nose base to the upper lip sampled for a moustache.
ABOVE_LIP_SPAN = (0.3, 0.8)


def cues(portrait) -> dict:
    """The cues of one portrait (see the module's docstring)."""
    from speaker.imaging import luma
    from speaker.render import mouth

    lm = np.asarray(portrait.landmarks, np.float64)
    face_width = portrait.face_width
    mouth_width = float(np.linalg.norm(lm[54] - lm[48]))
    palette = mouth.sample_palette(portrait.image, lm, face_width)
    skin = float(luma(palette.skin))
    image = portrait.image.astype(np.float64)
    shares = np.linspace(*ABOVE_LIP_SPAN, 6)
    points = [lm[nose] + t * (lm[lip] - lm[nose]) for nose, lip in ((32, 50), (33, 51), (34, 52)) for t in shares]
    above = float(np.median([luma(image[int(round(y)), int(round(x))]) for x, y in points]))
    return {
        "yaw": float(portrait.pose[0]) if portrait.pose is not None else 0.0,
        "philtrum / fw": float(np.linalg.norm(lm[51] - lm[33])) / face_width,
        "upper lip / mw": float(np.linalg.norm(lm[51] - lm[62])) / mouth_width,
        "above lip / skin": above / skin,
        "lip / skin": float(luma(palette.lip)) / skin,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", type=Path, help="the shared media folder (holding portraits/)")
    args = parser.parse_args()
    import matplotlib.cbook

    from speaker import face
    from speaker.errors import SpeakerError

    media = args.media or next((path for path in MEDIA_CANDIDATES if path.is_dir()), MEDIA_CANDIDATES[-1])
    paths = sorted(p for p in (media / "portraits").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    paths.append(Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    names = ("yaw", "philtrum / fw", "upper lip / mw", "above lip / skin", "lip / skin")
    print(f"{'portrait':30s}" + "".join(f"{name:>18s}" for name in names))
    for path in paths:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                image, grayscale = face.load_image(path)
                portrait = face.find_portrait(image, grayscale)
        except SpeakerError as error:
            print(f"{path.stem[:30]:30s}  refused: {error}")
            continue
        row = cues(portrait)
        print(f"{path.stem[:30]:30s}" + "".join(f"{row[name]:18.3f}" for name in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
