"""The data that flows between the stages.

Every stage takes and gives these types and nothing else, so a stage can be
replaced, tested or driven from saved data on its own. Arrays are numpy;
times are seconds (float) everywhere except in a :class:`Track`, which is
indexed by video frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

#: The articulation parameters of the mouth, in the column order of every
#: ``(T, K)`` articulation array. Each lies in [0, 1]; 0 is the mouth at rest.
#:
#: - ``jaw_open``: jaw drop, 1 for a wide "ah".
#: - ``lip_closure``: lips pressed together (p, b, m); overrides ``jaw_open``
#:   for the lips, not for the jaw.
#: - ``lip_spread``: corners drawn back, 1 for "ee".
#: - ``lip_round``: lips rounded and pushed forward, 1 for "oo" or "w".
#: - ``upper_lip_raise``: upper lip lifted off the teeth ("sh", "r").
#: - ``lower_lip_tuck``: lower lip raised to the upper teeth (f, v).
ARTICULATION_NAMES: tuple[str, ...] = (
    "jaw_open",
    "lip_closure",
    "lip_spread",
    "lip_round",
    "upper_lip_raise",
    "lower_lip_tuck",
)

#: Column order of a head pose ``(T, 6)`` array: rotations in degrees
#: (yaw turns right-positive, pitch nods down-positive, roll tilts clockwise
#: in the image), translations in pixels of the portrait, and a scale factor
#: around 1.0 (1.02 = 2 % nearer the camera).
HEAD_POSE_NAMES: tuple[str, ...] = ("yaw", "pitch", "roll", "tx", "ty", "scale")

#: ARPAbet phones (no stress digits) that the motion stage understands, plus
#: ``SIL`` for silence and pauses. Timing backends map their own symbols
#: onto this set; anything else becomes the nearest of these.
PHONES: tuple[str, ...] = (
    "SIL",
    "AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY",
    "OW", "OY", "UH", "UW",
    "B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG",
    "P", "R", "S", "SH", "T", "TH", "V", "W", "Y", "Z", "ZH",
)


@dataclass(frozen=True)
class Word:
    """A spoken word with its time span in seconds.

    Attributes
    ----------
    text : str
        The word as written.
    start, end : float
        Seconds from the start of the audio.
    speaker : str or None
        Who says it, shown in the subtitles of a dialogue (``"Lincoln"``,
        ``"Face 1"``); None (the default) where one voice speaks throughout.
        The dialogue sets it; :func:`speaker.speech.concatenate` keeps it.
    """

    text: str
    start: float
    end: float
    speaker: str | None = None


@dataclass(frozen=True)
class Phone:
    """One phone of the timeline.

    Attributes
    ----------
    symbol : str
        One of :data:`PHONES`.
    start, end : float
        Seconds from the start of the audio.
    stress : int
        0 unstressed or unknown, 1 primary, 2 secondary (vowels only).
    """

    symbol: str
    start: float
    end: float
    stress: int = 0


@dataclass
class ArticulationCurve:
    """Articulation sampled at a fixed rate, as given by an audio-only model.

    Attributes
    ----------
    values : np.ndarray, shape (N, K), float32
        Columns in the order of :data:`ARTICULATION_NAMES`.
    rate : float
        Samples per second (row ``i`` is at time ``i / rate``).
    """

    values: np.ndarray
    rate: float


@dataclass
class Speech:
    """Audio with what is said in it and when.

    Attributes
    ----------
    samples : np.ndarray, shape (N,), float32
        Mono audio in [-1, 1].
    sample_rate : int
        Samples per second.
    words : list of Word
        Words in time order (may be empty when nothing is known of the words).
    phones : list of Phone
        Phone timeline in time order, silences included as ``SIL``.
    articulation : ArticulationCurve or None
        Mouth articulation predicted straight from the audio, used when no
        phone timeline is available.
    source : str
        Where the timings came from, e.g. ``"piper"``, ``"pocketsphinx-align"``.
    """

    samples: np.ndarray
    sample_rate: int
    words: list[Word] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    articulation: ArticulationCurve | None = None
    source: str = ""

    @property
    def duration(self) -> float:
        """Length of the audio in seconds."""
        return len(self.samples) / float(self.sample_rate)

    def with_timings(self, **changes) -> "Speech":
        """A copy with some fields replaced (the samples are shared, not copied)."""
        return replace(self, **changes)


@dataclass
class Portrait:
    """The still photograph to animate, with the face found in it.

    Attributes
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
        RGB pixels, already oriented, resized and padded to even dimensions.
    landmarks : np.ndarray, shape (68, 2), float32
        iBUG-68 landmarks of the chosen face, (x, y) in pixels of ``image``.
    box : np.ndarray, shape (4,), float32
        Face box ``(x0, y0, x1, y1)`` in pixels.
    grayscale : bool
        True when the photo has no colour (the output must have none either).
    face_index : int
        Which face was chosen, counting faces left to right from 0.
    face_count : int
        How many faces were found in the photo.
    other_faces : np.ndarray, shape (F, 4), float32
        Boxes of the faces that were not chosen (they must stay still).
    depth : np.ndarray or None, shape (68,), float32
        Depth of each landmark in pixels (towards the camera positive), from
        a 3D fit; None where no fit was made.
    pose : tuple of float or None
        ``(yaw, pitch, roll)`` of the face in the photo, degrees (signs as
        in :data:`HEAD_POSE_NAMES`), from the same fit; None where none was made.
    view : tuple of float or None
        ``(left, top, right, bottom)`` pixels of the photo file that ``image``
        shows when it is a closer look at part of the photo (a small face in
        a large one, :func:`speaker.face.load_portrait`); ``face_index`` and
        ``face_count`` then count the faces of the whole photo, while
        ``other_faces`` are those in ``image``. None: ``image`` is the photo.
    upscale : float
        Pixels of ``image`` per pixel of the photo where a small photo (or the
        closer look at a small face) was enlarged to be worked on; 1 otherwise.
        The photo's grain is that many pixels wide.
    """

    image: np.ndarray
    landmarks: np.ndarray
    box: np.ndarray
    grayscale: bool = False
    face_index: int = 0
    face_count: int = 1
    other_faces: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    depth: np.ndarray | None = None
    pose: tuple[float, float, float] | None = None
    view: tuple[float, float, float, float] | None = None
    upscale: float = 1.0

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the image in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    @property
    def face_width(self) -> float:
        """Jaw width (landmark 0 to 16) in pixels: the unit of face-relative sizes."""
        return float(np.linalg.norm(self.landmarks[16] - self.landmarks[0]))


@dataclass
class Track:
    """Everything that moves, frame by frame: the data the renderer draws.

    Landmarks are the expressive face (mouth, jaw, eyelids) in the portrait's
    pixel frame *before* head pose; the renderer applies ``head_pose``.

    Attributes
    ----------
    fps : float
        Frames per second.
    landmarks : np.ndarray, shape (T, 68, 2), float32
        iBUG-68 landmarks per frame, pixels.
    head_pose : np.ndarray, shape (T, 6), float32
        Columns :data:`HEAD_POSE_NAMES`.
    articulation : np.ndarray, shape (T, K), float32
        Columns :data:`ARTICULATION_NAMES`.
    eyelid : np.ndarray, shape (T,), float32
        Eyelid closure, 0 open to 1 shut.
    image_size : tuple of int
        (width, height) of the portrait the landmarks refer to.
    words : list of Word
        For subtitles and mouth cues.
    gaze : np.ndarray, shape (T, 2), float32
        Where the irises sit in the eye openings relative to the photo's,
        ``(dx, dy)`` in eye widths: dx along the line of the eyes (towards
        image right on an upright face), dy across it (down positive).
        None (the default) means zeros: the photo's own gaze.
    """

    fps: float
    landmarks: np.ndarray
    head_pose: np.ndarray
    articulation: np.ndarray
    eyelid: np.ndarray
    image_size: tuple[int, int]
    words: list[Word] = field(default_factory=list)
    gaze: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.gaze is None:
            self.gaze = np.zeros((len(self), 2), np.float32)

    def __len__(self) -> int:
        return int(self.landmarks.shape[0])

    @property
    def duration(self) -> float:
        """Seconds covered by the frames."""
        return len(self) / self.fps

    def frame(self, index: int) -> "TrackFrame":
        """The track's data at one frame."""
        return TrackFrame(
            landmarks=self.landmarks[index],
            head_pose=self.head_pose[index],
            articulation=self.articulation[index],
            eyelid=float(self.eyelid[index]),
            gaze=self.gaze[index],
        )


@dataclass(frozen=True)
class TrackFrame:
    """One frame of a :class:`Track` (shapes as there, without the T axis)."""

    landmarks: np.ndarray
    head_pose: np.ndarray
    articulation: np.ndarray
    eyelid: float
    gaze: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float32))


@dataclass
class PerformerFaces:
    """The face of a performer followed through a driving video.

    Attributes
    ----------
    fps : float
        Frames per second of the video.
    size : tuple of int
        (width, height) of the video's frames.
    landmarks : np.ndarray, shape (T, 68, 2), float32
        iBUG-68 landmarks per frame, pixels of the video, smoothed over time;
        where the face was lost they hold the last pose seen (before the
        first sighting, the first pose).
    found : np.ndarray, shape (T,), bool
        Frames where the face was actually detected.
    irises : np.ndarray, shape (T, 2, 2), float32
        Centre of the dark iris inside each eye opening (right then left eye
        of the image, i.e. landmarks 36-41 then 42-47), pixels; NaN where the
        eye was shut or not found.
    """

    fps: float
    size: tuple[int, int]
    landmarks: np.ndarray
    found: np.ndarray
    irises: np.ndarray

    def __len__(self) -> int:
        return int(self.landmarks.shape[0])


@dataclass
class Scene:
    """One photo with several of its faces animated at once.

    Each face has its own :class:`Portrait` (same image, its own
    ``face_index``; the other faces are in its ``other_faces``) and its own
    :class:`Track`; the renderer draws each face's change over the photo and
    adds them up, so each change stays in its own face's region.

    Attributes
    ----------
    portraits : list of Portrait
        One per animated face, all of the same image.
    tracks : list of Track
        One per portrait, all of the same length and fps.
    """

    portraits: list[Portrait]
    tracks: list[Track]

    def __post_init__(self) -> None:
        if not self.portraits or len(self.portraits) != len(self.tracks):
            raise ValueError("A scene needs one track per portrait, and at least one of each.")
        shapes = {portrait.image.shape for portrait in self.portraits}
        lengths = {len(track) for track in self.tracks}
        rates = {float(track.fps) for track in self.tracks}
        if len(shapes) != 1 or len(lengths) != 1 or len(rates) != 1:
            raise ValueError("The portraits of a scene share one image, and its tracks one length and fps.")

    @property
    def image(self) -> np.ndarray:
        """The photo, shape (H, W, 3) uint8."""
        return self.portraits[0].image

    @property
    def fps(self) -> float:
        return float(self.tracks[0].fps)

    def __len__(self) -> int:
        return len(self.tracks[0])
