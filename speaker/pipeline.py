"""The pipeline: the one module that knows every stage.

Text becomes speech with phoneme timings (or given audio is timed by
alignment or recognition); the timings and the audio drive a motion track for
the face found in the portrait; the renderer warps the portrait frame by
frame; the frames stream into an H.264/AAC MP4 with the speech muxed.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import SpeakerError, SpeakerWarning
from .settings import SpeakOptions, load_voice_preset
from .types import Portrait, Speech, Track

#: Called as ``progress(stage, detail)`` when a stage starts.
ProgressCallback = Callable[[str, str], None]

STAGES = ("face", "speech", "timing", "motion", "render", "encode")


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
    warnings: list[str] = field(default_factory=list)

    @property
    def seconds_per_audio_second(self) -> float:
        """Total compute time per second of speech (below 1 is faster than real time)."""
        return sum(self.stage_seconds.values()) / max(self.audio_seconds, 1e-9)


@contextlib.contextmanager
def _collect_warnings() -> Iterator[list[str]]:
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


class _StageClock:
    def __init__(self, progress: ProgressCallback | None):
        self.seconds: dict[str, float] = {}
        self._progress = progress

    def start(self, stage: str, detail: str = "") -> float:
        if self._progress is not None:
            self._progress(stage, detail)
        return time.perf_counter()

    def stop(self, stage: str, started: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started


def speak(
    image: str | Path,
    text: str | None = None,
    audio: str | Path | None = None,
    out: str | Path = "speaker.mp4",
    *,
    progress: ProgressCallback | None = None,
    **options,
) -> SpeakResult:
    """Make the face in ``image`` say ``text`` (or lip-sync it to ``audio``).

    Parameters
    ----------
    image : path
        The portrait (JPEG, PNG, ...).
    text : str, optional
        What to say, synthesized with the voice preset ``voice``.
    audio : path, optional
        A recording to lip-sync instead of ``text`` (wav, flac, mp3, ogg, m4a).
    out : path
        Where to write the MP4 (written atomically).
    progress : callable, optional
        ``progress(stage, detail)`` is called as each stage starts.
    **options
        Any field of :class:`speaker.settings.SpeakOptions`: ``transcript``,
        ``voice``, ``fps``, ``seed``, ``motion``, ``motion_scale``, ``face``,
        ``face_backend``, ``lipsync``, ``language``, ``subtitles``, ``export_track``,
        ``export_mouth_cues``, ``debug_overlay``, ``preview``, ``max_side``.

    Returns
    -------
    SpeakResult

    Raises
    ------
    SpeakerError
        For any problem with the inputs, with a sentence to show the user.
    """
    with _collect_warnings() as collected:
        result = _speak(image, text, audio, out, progress, options)
    result.warnings = collected
    return result


def _speak(image, text, audio, out, progress, options) -> SpeakResult:
    opts = _options(image=image, text=text, audio=audio, out=out, **options)
    if (opts.text is None) == (opts.audio is None):
        raise SpeakerError("Give either text to say or an audio file to lip-sync, not both and not neither.")
    if opts.text is not None:
        from . import speech as speech_stage

        # The speech stage refuses it too, but only after the face is found: fail first.
        if not speech_stage.has_words(opts.text):
            raise SpeakerError("The text is empty; give some words to say.")

    from . import video

    _check_outputs(opts)
    clock = _StageClock(progress)

    portrait = _find_face(opts, clock)
    speech = _make_speech(opts, clock)

    from . import motion

    started = clock.start("motion", f"{speech.duration:.1f} s of speech at {opts.fps:g} fps")
    track = motion.animate(
        speech, portrait, fps=opts.fps, style=opts.motion, scale=opts.motion_scale, seed=opts.seed
    )
    clock.stop("motion", started)

    with _StagedOutputs() as staged:
        result = _render_and_encode(portrait, track, speech, staged.temporary(opts.out), opts.debug_overlay, clock)
        result.extra_files += _write_extras(opts, portrait, track, speech, staged)
    result.path = Path(opts.out)
    result.timing_source = speech.source
    result.face_count = portrait.face_count
    return result


def render_track(
    image: str | Path,
    track_path: str | Path,
    out: str | Path,
    *,
    audio: str | Path | None = None,
    progress: ProgressCallback | None = None,
    **options,
) -> SpeakResult:
    """Render a saved (possibly edited) track on its portrait, without re-running speech.

    The portrait must be the one the track was made for (same size after
    loading); ``audio`` is muxed when given, else the video is silent.
    """
    with _collect_warnings() as collected:
        result = _render_track(image, track_path, out, audio, progress, options)
    result.warnings = collected
    return result


def _render_track(image, track_path, out, audio, progress, options) -> SpeakResult:
    from . import motion

    opts = _options(image=image, out=out, audio=audio, **options)
    _check_outputs(opts)
    clock = _StageClock(progress)
    track = motion.load_track(Path(track_path))
    portrait = _find_face(opts, clock)
    if tuple(track.image_size) != portrait.size:
        raise SpeakerError(
            f"The track was made for a {track.image_size[0]}x{track.image_size[1]} portrait, "
            f"but this image loads as {portrait.size[0]}x{portrait.size[1]}; use the same image."
        )
    if opts.audio is not None:
        from . import timing

        samples, rate = timing.load_audio(opts.audio)
    else:
        rate = 22050
        samples = np.zeros(int(round(track.duration * rate)), np.float32)
    speech = Speech(samples=samples, sample_rate=rate, words=list(track.words), source="track")
    with _StagedOutputs() as staged:
        result = _render_and_encode(portrait, track, speech, staged.temporary(opts.out), opts.debug_overlay, clock)
        result.extra_files += _write_extras(opts, portrait, track, speech, staged)
    result.path = Path(opts.out)
    result.timing_source = "track"
    return result


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


def _options(**values) -> SpeakOptions:
    from pydantic import ValidationError

    try:
        return SpeakOptions(**{key: value for key, value in values.items() if value is not None})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SpeakerError(f"Invalid option '{where}': {first['msg']}.") from None


def _check_outputs(opts: SpeakOptions) -> None:
    # Fail before minutes of work, not after: every file we will write must be writable.
    from . import video

    for path in (opts.out, opts.export_track, opts.export_mouth_cues, opts.preview):
        if path is not None:
            video.check_writable(path)


def _find_face(opts: SpeakOptions, clock: _StageClock) -> Portrait:
    from . import face

    started = clock.start("face", str(opts.image))
    image, grayscale = face.load_image(opts.image, max_side=opts.max_side)
    portrait = face.find_portrait(
        image, grayscale, face_index=opts.face, backend=opts.face_backend, max_side=opts.max_side
    )
    clock.stop("face", started)
    return portrait


def _make_speech(opts: SpeakOptions, clock: _StageClock) -> Speech:
    if opts.text is not None:
        from . import speech as speech_stage

        preset = load_voice_preset(opts.voice)
        started = clock.start("speech", f"voice {preset.name}")
        spoken = speech_stage.synthesize(opts.text, preset, seed=opts.seed)
        clock.stop("speech", started)
        return spoken

    from . import timing

    started = clock.start("timing", str(opts.audio))
    samples, rate = timing.load_audio(opts.audio)
    spoken = timing.timeline_for_audio(
        samples, rate, opts.transcript, method=opts.lipsync, language=opts.language
    )
    clock.stop("timing", started)
    return spoken


def _render_and_encode(
    portrait: Portrait,
    track: Track,
    speech: Speech,
    out: Path,
    debug_overlay: bool,
    clock: _StageClock,
) -> SpeakResult:
    from . import render, video

    render_seconds = [0.0]

    def timed_frames() -> Iterator[np.ndarray]:
        frames = render.render_frames(portrait, track, debug_overlay=debug_overlay)
        while True:
            started = time.perf_counter()
            frame = next(frames, None)
            render_seconds[0] += time.perf_counter() - started
            if frame is None:
                return
            yield frame

    started = clock.start("render", f"{len(track)} frames")
    video.write_video(
        out,
        timed_frames(),
        size=portrait.size,
        fps=track.fps,
        samples=speech.samples,
        sample_rate=speech.sample_rate,
        n_frames=len(track),
    )
    total = time.perf_counter() - started
    clock.seconds["render"] = render_seconds[0]
    clock.seconds["encode"] = total - render_seconds[0]
    return SpeakResult(
        path=Path(out),
        audio_seconds=speech.duration,
        frames=len(track),
        fps=track.fps,
        stage_seconds=clock.seconds,
    )


def _write_extras(
    opts: SpeakOptions, portrait: Portrait, track: Track, speech: Speech, staged: _StagedOutputs
) -> list[Path]:
    """Write the extras under temporary names; ``staged`` moves them into place with the MP4."""
    from . import motion, render, video

    written: list[Path] = []
    if opts.subtitles and speech.words:
        stem = opts.out.with_suffix("")
        temporary_stem = _unique_name(stem)
        video.write_subtitles(speech.words, temporary_stem)
        for suffix in (".srt", ".vtt"):
            written.append(staged.rename_later(Path(str(temporary_stem) + suffix), Path(str(stem) + suffix)))
    if opts.export_track is not None:
        motion.save_track(track, staged.temporary(opts.export_track))
        written.append(Path(opts.export_track))
    if opts.export_mouth_cues is not None:
        motion.write_mouth_cues(track, staged.temporary(opts.export_mouth_cues))
        written.append(Path(opts.export_mouth_cues))
    if opts.preview is not None:
        render.contact_sheet(portrait, track, staged.temporary(opts.preview))
        written.append(Path(opts.preview))
    return written


def _unique_name(final: Path) -> Path:
    """A hidden name beside ``final``, unique per call, keeping its suffix (writers choose formats by it)."""
    import secrets

    final = Path(final).expanduser()
    return final.parent / f".{final.stem}.staged-{secrets.token_hex(4)}{final.suffix}"


class _StagedOutputs:
    """Every output of a run under a unique temporary name, moved into place only when all are written.

    The extras are renamed first and the MP4 (the first name asked for) last,
    so a run that fails at any point leaves none of its files behind, and two
    runs writing into one folder never share a temporary name.
    """

    def __init__(self):
        self._renames: list[tuple[Path, Path]] = []

    def temporary(self, final: str | Path) -> Path:
        """A unique temporary name for ``final``, to be moved there when the run succeeds."""
        final = Path(final).expanduser()
        temporary = _unique_name(final)
        self.rename_later(temporary, final)
        return temporary

    def rename_later(self, temporary: Path, final: Path) -> Path:
        """Move ``temporary`` to ``final`` when the run succeeds; returns ``final``."""
        self._renames.append((Path(temporary), Path(final)))
        return Path(final)

    def __enter__(self) -> _StagedOutputs:
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        import os

        if error_type is None:
            try:
                for temporary, final in self._renames[1:] + self._renames[:1]:
                    if temporary.exists():
                        os.replace(temporary, final)
                return
            except OSError as failure:
                self._discard()
                raise SpeakerError(
                    f"Cannot move the finished files into place: {failure.strerror or failure}."
                ) from None
        self._discard()

    def _discard(self) -> None:
        for temporary, _ in self._renames:
            temporary.unlink(missing_ok=True)
