"""What every entry point shares: the result, progress and stage clock, staged outputs, warnings, finding the face, rendering and encoding a whole track."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import SpeakerError, SpeakerWarning, invalid_setting, warn
from ..settings import SpeakOptions
from ..types import Portrait, Speech, Track


#: Called as ``progress(stage, detail)`` when a stage starts, and while frames are drawn about once a
#: second with a :class:`ProgressUpdate` as the detail.
ProgressCallback = Callable[[str, str], None]

STAGES = ("face", "speech", "timing", "motion", "render", "encode")

#: Least wall-clock seconds between two progress calls while frames are drawn: a page's bar moves and
#: its Stop takes effect within about a second, and a fast render does not make hundreds of calls.
RENDER_PROGRESS_SECONDS = 1.0


class ProgressUpdate(str):
    """The detail of a ``progress(stage, detail)`` call that tells how far a stage already started is.

    A ``str``, so that every callback shows it as it shows any detail; a
    callback that draws a bar reads :attr:`fraction` instead of parsing the
    words, and one that prints lines tells an update (this class) from a
    stage's start (a plain ``str``).

    Parameters
    ----------
    text : str
        What to show (``"120 of 400 frames"``).
    fraction : float or None
        The part of the stage done, 0 to 1; None where the whole is not known
        yet (a script synthesized sentence by sentence).
    """

    fraction: float | None

    def __new__(cls, text: str, fraction: float | None = None) -> ProgressUpdate:
        update = super().__new__(cls, text)
        update.fraction = fraction
        return update


@dataclass
class SpeakResult:
    """What :func:`speak` made, and how long each stage took.

    Attributes
    ----------
    path : Path
        The MP4 written.
    audio_seconds : float
        Length of the speech (and of the video, within one frame).
    frames : int
        Number of video frames.
    fps : float
        Frames per second.
    stage_seconds : dict of str to float
        Wall-clock seconds spent in each stage (render and encode overlap in
        time; ``render`` counts only the drawing of frames).
    extra_files : list of Path
        Subtitles, exported track, mouth cues, preview sheet.
    timing_source : str
        Where the mouth timing came from (``piper``, ``pocketsphinx-align``, ...).
    face_count : int
        Faces found in the photo.
    face_index : int or None
        The face animated, as ``face=`` counts them (left to right from 0);
        None for a dialogue, where several speak.
    warnings : list of str
        The sentences of every :class:`~speaker.errors.SpeakerWarning` raised
        during the run (fallbacks taken), in order.
    """

    path: Path
    audio_seconds: float
    frames: int
    fps: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    extra_files: list[Path] = field(default_factory=list)
    timing_source: str = ""
    face_count: int = 1
    face_index: int | None = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def seconds_per_audio_second(self) -> float:
        """Total compute time per second of speech (below 1 is faster than real time)."""
        return sum(self.stage_seconds.values()) / max(self.audio_seconds, 1e-9)


def chosen_face_sentence(result: SpeakResult, how_to_choose: str) -> str | None:
    """On a photo of several faces, which one was animated, and ``how_to_choose`` another; None otherwise.

    For the shells to tell a user who chose no face (``--face``, a manifest's
    ``face`` column): without it a group photo's user cannot tell whose face
    moved, nor that another can.
    """
    if result.face_count <= 1 or result.face_index is None:
        return None
    return (f"The photo has {result.face_count} faces; face {result.face_index} (counting from 0 at the left) is "
            f"animated. {how_to_choose}")


@contextlib.contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Gather the run's SpeakerWarnings while still showing each one as it happens."""
    collected: list[str] = []
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, SpeakerWarning):
            collected.append(str(message))
        previous(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", SpeakerWarning)
        warnings.showwarning = show
        yield collected


def _run_staged(out, options: dict, run: Callable[[Path, dict], SpeakResult]) -> SpeakResult:
    """Run one entry point with its outputs staged and its warnings collected.

    ``run(staged_out, staged_options)`` does the work, writing every file
    under a unique temporary name; they move into place together when it
    returns, and none is left when it raises.
    """
    _one_thread_per_stage()
    with collect_warnings() as collected, _StagedOutputs() as staged:
        staged_out, staged_options = staged.stage(out, options)
        result = staged.finished(run(staged_out, staged_options))
    result.warnings = collected
    return result


def _one_thread_per_stage() -> None:
    """Keep OpenCV's own thread pool out of the way of the pipeline's parallel stages.

    Speech is synthesized in a thread and the encoder is a process while the
    frames are drawn, so the 2 cores are already busy; OpenCV's workers
    then only wait for each other (measured under load: 16.6 against 7.5 ms
    a frame drawn).
    """
    import cv2

    cv2.setNumThreads(1)


class _StageClock:
    """Each stage's wall-clock seconds, and the run's progress calls.

    ``progress`` is called as each stage starts (:meth:`start`) and, while
    frames are drawn, at most every :data:`RENDER_PROGRESS_SECONDS`
    (:meth:`frames_drawn`). Whatever the callback raises (the web page's
    ``JobStopped``) ends the run there.
    """

    def __init__(self, progress: ProgressCallback | None):
        self.seconds: dict[str, float] = {}
        self._progress = progress
        self._last_call = time.perf_counter()

    def start(self, stage: str, detail: str = "") -> float:
        if self._progress is not None:
            self._last_call = time.perf_counter()
            self._progress(stage, detail)
        return time.perf_counter()

    def frames_drawn(self, done: int, total: int | None, fps: float) -> None:
        """Call ``progress("render", ...)`` with the frames drawn so far, unless a call was made less than
        :data:`RENDER_PROGRESS_SECONDS` ago.

        Called after every frame: the throttle is by wall-clock time, so a
        slow render is heard from every second and a fast one rarely.

        Parameters
        ----------
        done : int
            Frames drawn so far.
        total : int or None
            Frames of the whole video; None where it is not known yet (the
            detail then says the seconds of video drawn).
        fps : float
            Frames per second of the video.
        """
        if self._progress is None:
            return
        now = time.perf_counter()
        if now - self._last_call < RENDER_PROGRESS_SECONDS:
            return
        self._last_call = now
        if total is None:
            update = ProgressUpdate(f"{done / fps:.1f} s of video", None)
        else:
            update = ProgressUpdate(f"{done} of {total} frames", done / total)
        self._progress("render", update)

    def stop(self, stage: str, started: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started


#: The outputs a run may write beside its video, by option, and how the user names each.
_EXTRA_OUTPUTS = {"export_track": "--export-track", "export_mouth_cues": "--export-mouth-cues", "preview": "--preview"}


def _file_name(value, flag: str) -> None:
    """Raise :class:`SpeakerError` unless ``value`` is a non-empty file name (a ``str`` or path)."""
    import os

    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise SpeakerError(f"{flag} must name a file (given: {value!r}).")


def _refuse_shared_names(out: Path, options: dict) -> None:
    """Raise :class:`SpeakerError` when two of a run's outputs are one file (``-o g.mp4 --export-track g.mp4``,
    ``--export-track k.srt`` beside ``k.mp4``'s subtitles): the one written last would replace the other."""
    import os

    from ..video.subtitles import subtitle_paths

    named = {"the video": out}
    if options.get("subtitles", True):
        named["the subtitles"], named["the WebVTT subtitles"] = subtitle_paths(out.with_suffix(""))
    for key, flag in _EXTRA_OUTPUTS.items():
        if options.get(key) is not None:
            path = Path(options[key]).expanduser()
            for what, taken in named.items():
                if os.path.abspath(path) == os.path.abspath(taken):
                    raise SpeakerError(f"{flag} {path} is the file of {what} too; give it a name of its own.")
            named[flag] = path


def _tell_old_subtitles(out: Path, options: dict) -> None:
    """Without subtitles, say that an earlier run's beside the video stay (players show them with it)."""
    from ..video.subtitles import subtitle_paths

    if options.get("subtitles", True):
        return
    older = [path.name for path in subtitle_paths(out.with_suffix("")) if path.is_file()]
    if older:
        warn(f"{' and '.join(older)} beside {out.name} {'is' if len(older) == 1 else 'are'} from an earlier run and "
             "stay as they were; a player shows them with the new video unless they are deleted.")


class _StagedOutputs:
    """Every file of a run under a unique temporary name, moved into place only when all are written.

    :meth:`stage` refuses a video named as another format than MP4 and a
    video's or an extra's path that is a folder, and swaps them for hidden
    names beside them. Files that a writer names after one of them (the
    subtitles after the video, a dialogue's per-face tracks after the track)
    share its unique temporary stem and follow it. When the run succeeds the
    extras are renamed into place and the video last (a rename that fails
    takes back those made before it); when it fails every temporary file is
    removed. A failure at any point therefore leaves none of the run's files,
    and two runs writing into one folder never share a name.
    """

    def __init__(self):
        self._staged: list[tuple[Path, Path]] = []  # (temporary, final), the video first

    def stage(self, out: str | Path, options: dict) -> tuple[Path, dict]:
        """``out`` and ``options`` with every output path replaced by its temporary name."""
        from ..video.encoder import check_video_name, refuse_non_file

        # The names are read here, before the settings are validated: a name that is no name is told as such.
        _file_name(out, "-o")
        for key, flag in _EXTRA_OUTPUTS.items():
            if options.get(key) is not None:
                _file_name(options[key], flag)
        refuse_non_file(Path(out).expanduser())  # a folder is told as one, not as a name without a suffix
        check_video_name(Path(out))
        _refuse_shared_names(Path(out).expanduser(), options)
        _tell_old_subtitles(Path(out).expanduser(), options)
        temporary_out = self._add(Path(out).expanduser())
        staged = dict(options)
        for key in ("export_track", "export_mouth_cues", "preview"):
            if staged.get(key) is not None:
                staged[key] = self._add(Path(staged[key]).expanduser())
        return temporary_out, staged

    def finished(self, result: SpeakResult) -> SpeakResult:
        """The result with the final names in place of the temporary ones."""
        result.path = self._final(Path(result.path))
        result.extra_files = [self._final(Path(path)) for path in result.extra_files]
        return result

    def _add(self, final: Path) -> Path:
        import secrets

        from ..video.encoder import refuse_non_file

        refuse_non_file(final)  # the temporary name beside it passes every later check where this name cannot

        # The token goes before the suffix: writers choose formats by it.
        temporary = final.parent / f".{final.stem}-staged-{secrets.token_hex(4)}{final.suffix}"
        self._staged.append((temporary, final))
        return temporary

    def _final(self, path: Path) -> Path:
        for temporary, final in self._staged:
            if path.parent == temporary.parent and (path.name == temporary.name
                                                    or path.name.startswith(temporary.stem + ".")):
                return final if path.name == temporary.name else final.with_name(
                    final.stem + path.name[len(temporary.stem):])
        return path

    def _written(self) -> list[Path]:
        """The temporary files on disk, the video's last."""
        found: list[Path] = []
        for temporary, _ in reversed(self._staged):
            if temporary.parent.is_dir():
                found += [path for path in temporary.parent.iterdir()
                          if path.name == temporary.name or path.name.startswith(temporary.stem + ".")]
        video = self._staged[0][0] if self._staged else None
        return sorted(set(found), key=lambda path: path == video)

    def __enter__(self) -> _StagedOutputs:
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        import os

        if error_type is None:
            written = self._written()
            in_the_way = [self._final(path) for path in written if self._final(path).is_dir()]
            if in_the_way:
                self._discard()
                raise SpeakerError(f"Cannot write to {in_the_way[0]}: it is a folder; nothing was written.")
            moved: list[Path] = []
            try:
                for path in written:
                    os.replace(path, self._final(path))
                    moved.append(self._final(path))
                return
            except BaseException as failure:  # an OSError, or Ctrl-C / SIGTERM between two renames
                # None of the run's files, not the extras moved before the failure either.
                for path in moved:
                    path.unlink(missing_ok=True)
                self._discard()
                if not isinstance(failure, OSError):
                    raise
                raise SpeakerError(f"Cannot move the finished files into place: {failure.strerror or failure}.") from None
        self._discard()
        if isinstance(error, SpeakerError):
            # The user named the final files; say those, not the temporary names.
            message = str(error)
            for temporary, final in self._staged:
                message = message.replace(str(temporary), str(final))
            if message != str(error):
                raise SpeakerError(message) from None

    def _discard(self) -> None:
        for path in self._written():
            path.unlink(missing_ok=True)


def find_faces(image: str | Path, *, face_backend: str = "dlib", max_side: int = 1280) -> Portrait:
    """Load a portrait as :func:`speak` would and find its faces, to let a user choose one.

    Returns
    -------
    Portrait
        The face the pipeline would animate by default (``face_index``) and the
        others (``other_faces``); together, sorted by the centre of their boxes,
        they are faces 0 to ``face_count - 1``, the numbers ``face=`` takes.

    Raises
    ------
    SpeakerError
        Unreadable image, no face, or the default face cannot be animated.
    """
    opts = _options(image=image, out="unused.mp4", face_backend=face_backend, max_side=max_side)
    return _find_face(opts, _StageClock(None))


def faces_left_to_right(portrait: Portrait) -> tuple[np.ndarray, int]:
    """The boxes of the faces in ``portrait.image`` (its own and ``other_faces``) in the order ``face=``
    counts them, left to right by their centres, and the number of the portrait's own face among them.

    Returns
    -------
    boxes : np.ndarray, shape (F, 4), float64
        ``(x0, y0, x1, y1)`` in ``portrait.image`` pixels.
    own : int
        Index in ``boxes`` of ``portrait.box``.
    """
    boxes = np.concatenate([portrait.box[None, :], portrait.other_faces], axis=0).astype(np.float64)
    order = np.argsort((boxes[:, 0] + boxes[:, 2]) / 2, kind="stable")
    return boxes[order], int(np.flatnonzero(order == 0)[0])


@dataclass
class PhotoFaces:
    """The faces of a whole photo, numbered as ``face=`` counts them.

    Attributes
    ----------
    image : np.ndarray, shape (H, W, 3), uint8
        The photo as the face stage looks at it: scaled down to ``max_side``,
        turned upright when its faces lay on their side.
    boxes : np.ndarray, shape (F, 4), float64
        ``(x0, y0, x1, y1)`` of each face in ``image`` pixels, left to right.
    surest : int
        The face animated when none is chosen (the one the backend is surest of).
    to_file : float
        Pixels of the photo file per pixel of ``image``.
    """

    image: np.ndarray
    boxes: np.ndarray
    surest: int
    to_file: float


def photo_faces(image: str | Path, *, face_backend: str = "dlib", max_side: int = 1280) -> PhotoFaces:
    """Every face of a photo, numbered as ``face=`` counts them, to let a user choose one.

    Unlike :func:`find_faces` nothing is fitted or checked: a face listed may
    still be refused (turned too far, too small) when it is animated.

    Raises
    ------
    SpeakerError
        Unreadable image, or no face.
    """
    from .. import face

    opts = _options(image=image, out="unused.mp4", face_backend=face_backend, max_side=max_side)
    return PhotoFaces(*face.faces_of_photo(opts.image, backend=opts.face_backend, max_side=opts.max_side))


def _options(**values) -> SpeakOptions:
    from pydantic import ValidationError

    try:
        return SpeakOptions(**{key: value for key, value in values.items() if value is not None})
    except ValidationError as error:
        raise invalid_setting(error) from None


def _check_outputs(opts: SpeakOptions) -> None:
    # Fail before minutes of work, not after: every file we will write must be writable.
    from .. import video
    from ..motion.formats import check_mouth_cues_name
    from ..render.sheet import check_picture_name

    for path in (opts.out, opts.export_track, opts.export_mouth_cues, opts.preview):
        if path is not None:
            video.check_writable(path)
    if opts.export_mouth_cues is not None:
        check_mouth_cues_name(opts.export_mouth_cues)
    if opts.preview is not None:
        check_picture_name(opts.preview, "the contact sheet")


def _find_face(opts: SpeakOptions, clock: _StageClock) -> Portrait:
    from .. import face

    started = clock.start("face", str(opts.image))
    portrait = face.load_portrait(opts.image, face_index=opts.face, backend=opts.face_backend, max_side=opts.max_side)
    clock.stop("face", started)
    return portrait


def _render_and_encode(
    portrait: Portrait,
    track: Track,
    speech: Speech,
    out: Path,
    debug_overlay: bool,
    clock: _StageClock,
) -> SpeakResult:
    from .. import render, video

    _encode_timed(
        clock,
        f"{len(track)} frames",
        render.render_frames(portrait, track, debug_overlay=debug_overlay),
        lambda frames: video.write_video(out, frames, size=portrait.size, fps=track.fps, samples=speech.samples,
                                         sample_rate=speech.sample_rate, n_frames=len(track)),
        total_frames=len(track),
        fps=track.fps,
    )
    return SpeakResult(
        path=Path(out),
        audio_seconds=speech.duration,
        frames=len(track),
        fps=track.fps,
        stage_seconds=clock.seconds,
        face_count=portrait.face_count,
        face_index=portrait.face_index,
    )


def _encode_timed(
    clock: _StageClock,
    detail: str,
    frames: Iterator[np.ndarray],
    write: Callable[[Iterator[np.ndarray]], object],
    *,
    total_frames: int,
    fps: float,
) -> None:
    """Run ``write(frames)`` (an encoder pulling the frames), timing drawing apart from encoding.

    The time spent making the frames is the ``render`` stage, the rest of
    the call ``encode``. While the frames are drawn the clock's progress
    callback hears how many of ``total_frames`` are done
    (:meth:`_StageClock.frames_drawn`); an exception it raises leaves
    ``write`` from inside the frames, whose encoder then stops and removes
    its partial file.
    """
    render_seconds = 0.0

    def timed() -> Iterator[np.ndarray]:
        nonlocal render_seconds
        done = 0
        while True:
            began = time.perf_counter()
            frame = next(frames, None)
            render_seconds += time.perf_counter() - began
            if frame is None:
                return
            done += 1
            clock.frames_drawn(done, total_frames, fps)
            yield frame

    started = clock.start("render", detail)
    write(timed())
    clock.seconds["render"] = render_seconds
    clock.seconds["encode"] = time.perf_counter() - started - render_seconds


def _write_extras(opts: SpeakOptions, portrait: Portrait, track: Track, speech: Speech) -> list[Path]:
    from .. import motion, render, video

    written: list[Path] = []
    if opts.subtitles and speech.words:
        written += video.write_subtitles(speech.words, opts.out.with_suffix(""))
    if opts.export_track is not None:
        motion.save_track(track, opts.export_track)
        written.append(Path(opts.export_track))
    if opts.export_mouth_cues is not None:
        # Rhubarb names the recording it timed; a text's speech has no file of its own.
        motion.write_mouth_cues(track, opts.export_mouth_cues, sound_file=str(opts.audio or ""))
        written.append(Path(opts.export_mouth_cues))
    if opts.preview is not None:
        written.append(render.contact_sheet(portrait, track, opts.preview))
    return written
