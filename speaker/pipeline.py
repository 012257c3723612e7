"""The pipeline: the one module that knows every stage.

Text becomes speech with phoneme timings (or given audio is timed by
alignment or recognition); the timings and the audio drive a motion track for
the face found in the portrait; the renderer warps the portrait frame by
frame; the frames stream into an H.264/AAC MP4 with the speech muxed.
"""

from __future__ import annotations

import contextlib
import itertools
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import SpeakerError, SpeakerWarning
from .settings import SpeakOptions, VoicePreset, load_voice_preset, speaks, voice_for_language
from .timebase import n_frames
from .types import Phone, Portrait, Speech, Track, Word

#: Called as ``progress(stage, detail)`` when a stage starts.
ProgressCallback = Callable[[str, str], None]

STAGES = ("face", "speech", "timing", "motion", "render", "encode")

#: Seconds over which the motion of consecutive speech segments is
#: cross-faded, so head, eyes and blinks run on across a seam without a reset.
SEAM_SECONDS = 2.0


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


def _run_staged(out, options: dict, run: Callable[[Path, dict], SpeakResult]) -> SpeakResult:
    """Run one entry point with its outputs staged and its warnings collected.

    ``run(staged_out, staged_options)`` does the work, writing every file
    under a unique temporary name; they move into place together when it
    returns, and none is left when it raises.
    """
    with _collect_warnings() as collected, _StagedOutputs() as staged:
        staged_out, staged_options = staged.stage(out, options)
        result = staged.finished(run(staged_out, staged_options))
    result.warnings = collected
    return result


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
    return _run_staged(
        out, options, lambda staged_out, staged_options: _speak(image, text, audio, staged_out, progress, staged_options)
    )


def _speak(image, text, audio, out, progress, options) -> SpeakResult:
    opts = _options(image=image, text=text, audio=audio, out=out, **options)
    if (opts.text is None) == (opts.audio is None):
        raise SpeakerError("Give either text to say or an audio file to lip-sync, not both and not neither.")
    if opts.text is not None:
        from . import speech as speech_stage

        # The speech stage refuses it too, but only after the face is found: fail first.
        if not speech_stage.has_words(opts.text):
            raise SpeakerError("The text is empty; give some words to say.")
        _choose_voice(opts)  # an unknown voice or a language without one: fail first too

    from . import video

    _check_outputs(opts)
    clock = _StageClock(progress)

    if opts.audio is None and len(speech_stage.split_sentences(opts.text)) > 1:
        # The voice loads first, so that its thread synthesizes the first sentence while the face is found.
        stream = _open_speech_stream(opts, clock)
        try:
            return _speak_text_stream(opts, _find_face(opts, clock), clock, stream)
        finally:
            stream.close()
    portrait = _find_face(opts, clock)
    if opts.audio is not None:
        return _speak_recording(opts, portrait, clock)
    speech = _make_speech(opts, clock)

    from . import motion

    started = clock.start("motion", f"{speech.duration:.1f} s of speech at {opts.fps:g} fps")
    track = motion.animate(
        speech, portrait, fps=opts.fps, style=opts.motion, scale=opts.motion_scale, seed=opts.seed
    )
    clock.stop("motion", started)

    result = _render_and_encode(portrait, track, speech, opts.out, opts.debug_overlay, clock)
    result.timing_source = speech.source
    result.face_count = portrait.face_count
    result.extra_files += _write_extras(opts, portrait, track, speech)
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
    return _run_staged(
        out, options, lambda staged_out, staged_options: _render_track(image, track_path, staged_out, audio, progress, staged_options)
    )


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
    result = _render_and_encode(portrait, track, speech, opts.out, opts.debug_overlay, clock)
    result.timing_source = "track"
    result.extra_files += _write_extras(opts, portrait, track, speech)
    return result


class _StagedOutputs:
    """Every file of a run under a unique temporary name, moved into place only when all are written.

    :meth:`stage` swaps the video's path and the extras' paths for hidden
    names beside them. Files that a writer names after one of them (the
    subtitles after the video, a dialogue's per-face tracks after the track)
    share its unique temporary stem and follow it. When the run succeeds the
    extras are renamed into place and the video last; when it fails every
    temporary file is removed. A failure at any point therefore leaves none of
    the run's files, and two runs writing into one folder never share a name.
    """

    def __init__(self):
        self._staged: list[tuple[Path, Path]] = []  # (temporary, final), the video first

    def stage(self, out: str | Path, options: dict) -> tuple[Path, dict]:
        """``out`` and ``options`` with every output path replaced by its temporary name."""
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

        # The token goes before the suffix: writers choose formats by it, and a suffix-less name stays one.
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
            try:
                for path in self._written():
                    os.replace(path, self._final(path))
                return
            except OSError as failure:
                self._discard()
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
    # Text only: a recording goes through _speak_recording, segment by segment.
    from . import speech as speech_stage

    preset = _choose_voice(opts)
    started = clock.start("speech", f"voice {preset.name}")
    spoken = speech_stage.synthesize(opts.text, preset, seed=opts.seed)
    clock.stop("speech", started)
    return spoken


def _open_speech_stream(opts: SpeakOptions, clock: _StageClock):
    """Load the voice and start synthesizing the script sentence by sentence (a :class:`SpeechStream`)."""
    from . import speech as speech_stage

    preset = _choose_voice(opts)
    started = clock.start("speech", f"voice {preset.name}, sentence by sentence")
    stream = speech_stage.synthesize_stream(opts.text, preset, seed=opts.seed)
    clock.stop("speech", started)
    return stream


def _speak_text_stream(opts: SpeakOptions, portrait: Portrait, clock: _StageClock, stream) -> SpeakResult:
    """A script of several sentences: sentence k+1 is synthesized while sentence k is drawn.

    The speech stage's thread runs one sentence ahead; the segments go
    through :func:`render_speech_segments`. ``stage_seconds["speech"]`` is the
    time the frames waited for speech, so the stage times still add up to the
    run's wall-clock time.
    """

    def segments() -> Iterator[tuple[float, Speech]]:
        offset = 0.0
        for speech in stream:
            yield offset, speech
            offset += speech.duration

    result = render_speech_segments(portrait, segments(), opts, clock)
    clock.seconds["speech"] = clock.seconds.get("speech", 0.0) + clock.seconds.pop("timing", 0.0)
    return result


def _choose_voice(opts: SpeakOptions) -> VoicePreset:
    """The voice preset for text: the one given (checked against --language), else the language's default.

    Raises
    ------
    SpeakerError
        No voice for the language, or the given voice does not speak it.
    """
    if opts.voice is None:
        return voice_for_language(opts.language) if opts.language else load_voice_preset("default")
    preset = load_voice_preset(opts.voice)
    if opts.language and not speaks(preset, opts.language):
        raise SpeakerError(
            f"The voice '{preset.name}' speaks {preset.language}, not '{opts.language}'; "
            f"leave out --voice for the language's default voice, or see 'speaker voices'."
        )
    return preset


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


def _write_extras(opts: SpeakOptions, portrait: Portrait, track: Track, speech: Speech) -> list[Path]:
    from . import motion, render, video

    written: list[Path] = []
    if opts.subtitles and speech.words:
        written += video.write_subtitles(speech.words, opts.out.with_suffix(""))
    if opts.export_track is not None:
        motion.save_track(track, opts.export_track)
        written.append(Path(opts.export_track))
    if opts.export_mouth_cues is not None:
        motion.write_mouth_cues(track, opts.export_mouth_cues)
        written.append(Path(opts.export_mouth_cues))
    if opts.preview is not None:
        written.append(render.contact_sheet(portrait, track, opts.preview))
    return written


def _speak_recording(opts: SpeakOptions, portrait: Portrait, clock: _StageClock) -> SpeakResult:
    """A user's recording, read, recognised, timed, animated and encoded segment by segment.

    With a transcript the whole recording is aligned at once (a transcript
    is one text); when that fails, or without one, Whisper hears the words
    window by window and each segment of about 30 s is timed from them.
    """
    from . import timing

    started = clock.start("timing", f"{opts.audio}: reading")
    audio = timing.open_audio(opts.audio)
    try:
        segments = None
        if opts.transcript and any(ch.isalnum() for ch in opts.transcript):
            clock.start("timing", "aligning the transcript (pocketsphinx)")
            samples = audio.read(0, audio.n_samples)
            timed = timing.transcript_timeline(samples, audio.sample_rate, opts.transcript, opts.lipsync, opts.language)
            if timed is not None:
                segments = iter([(0.0, timed)])
        if segments is None:
            clock.start("timing", f"recognising the words of {audio.duration:.0f} s (Whisper base)")
            heard = timing.recognize_audio(audio, opts.language)
            timing.refuse_without_speech(heard, str(opts.audio))
            clock.start("timing", f"{len(heard.words)} words heard, language '{heard.language}'")
            segments = timing.timed_segments(audio, heard.words, heard.language, opts.lipsync)
        clock.stop("timing", started)
        return render_speech_segments(portrait, segments, opts, clock)
    finally:
        audio.close()


def render_speech_segments(
    portrait: Portrait,
    segments: Iterator[tuple[float, Speech]],
    opts: SpeakOptions,
    clock: _StageClock,
) -> SpeakResult:
    """Animate, render and encode speech that arrives in segments, holding one segment at a time.

    How to feed it: ``segments`` yields ``(offset, speech)`` in order, where
    ``offset`` is the second of the whole at which ``speech`` starts and
    ``speech`` is a :class:`~speaker.types.Speech` with times from its own
    start (phones, an articulation curve, or neither; words for subtitles).
    Segments must be contiguous (each starts where the previous one ended)
    and share one sample rate. The next segment is pulled from the iterator
    only when the previous one's frames are drawn, so a generator that
    synthesizes (or times) segment k+1 lazily runs between segments; time
    spent inside the iterator counts as ``timing``. Any segment length works;
    about 30 s keeps memory flat.

    Each segment is animated with the last :data:`SEAM_SECONDS` of the
    previous one in front of it, and over that lead-in the two tracks are
    cross-faded, so head pose, gaze, eyelids and mouth run on across the
    seam. Each segment gets its own seed (``opts.seed + k``).

    Returns
    -------
    SpeakResult
        ``timing_source`` lists each distinct source of the segments, in order
        (see :func:`distinct_sources`).
    """
    from . import motion, render, video

    fps = float(opts.fps)
    seam_frames = max(1, int(round(SEAM_SECONDS * fps)))
    renderer = render.Renderer(portrait, debug_overlay=opts.debug_overlay)
    keep_track = any(path is not None for path in (opts.export_track, opts.export_mouth_cues, opts.preview))
    state = {"emitted": 0, "duration": 0.0, "rate": None}
    sources: list[str] = []
    all_words: list[Word] = []
    kept: list[Track] = []
    render_seconds = [0.0]

    def draw(track: Track, first: int, stop: int) -> Iterator[np.ndarray]:
        if keep_track:
            kept.append(_track_slice(track, first, stop))
        for index in range(first, stop):
            began = time.perf_counter()
            frame = renderer.render(track.frame(index))
            render_seconds[0] += time.perf_counter() - began
            yield frame
        state["emitted"] += stop - first

    def pulled() -> Iterator[tuple[float, Speech]]:
        # Time spent making a segment (recognition, alignment, synthesis) is timing.
        while True:
            began = time.perf_counter()
            item = next(segments, None)
            clock.stop("timing", began)
            if item is None:
                return
            yield item

    timed = pulled()
    first_segment = next(timed, None)
    if first_segment is None:
        raise SpeakerError("There was no speech to animate.")
    state["rate"] = first_segment[1].sample_rate

    def pieces() -> Iterator[tuple[np.ndarray, Iterator[np.ndarray]]]:
        previous: Speech | None = None
        held: Track | None = None  # the previous track's last frames, not drawn yet
        index = 0
        for offset, speech in itertools.chain([first_segment], timed):
            if speech.sample_rate != state["rate"]:
                raise ValueError("All speech segments must share one sample rate.")
            if not sources or sources[-1] != speech.source:
                sources.append(speech.source)
                clock.start("timing", f"mouth timed by {speech.source} from {offset:.1f} s")
            all_words.extend(Word(w.text, w.start + offset, w.end + offset) for w in speech.words)
            state["duration"] = offset + speech.duration
            lead = 0.0 if held is None else offset - (state["emitted"]) / fps
            joined = speech if previous is None else _with_lead_in(previous, speech, lead)
            began = clock.start("motion", f"{joined.duration:.1f} s of speech at {fps:g} fps")
            track = motion.animate(joined, portrait, fps=fps, style=opts.motion, scale=opts.motion_scale,
                                   seed=opts.seed + index)
            clock.stop("motion", began)
            if held is not None:
                track = _cross_fade(held, track)
            keep_from = max(0, len(track) - seam_frames)
            held = _track_slice(track, keep_from, len(track))
            yield speech.samples, draw(track, 0, keep_from)
            previous, index = joined, index + 1
        if held is not None:
            total = n_frames(state["duration"], fps)
            stop = max(0, min(len(held), total - state["emitted"]))
            yield np.zeros(0, np.float32), draw(held, 0, stop)
            missing = total - state["emitted"]
            if missing > 0:  # rounding of segment lengths: repeat the last pose
                last = _track_slice(held, len(held) - 1, len(held))
                yield np.zeros(0, np.float32), (frame for _ in range(missing) for frame in draw(last, 0, 1))

    first_timing = clock.seconds.get("timing", 0.0)
    first_motion = clock.seconds.get("motion", 0.0)
    started = clock.start("render", "frames segment by segment")
    video.write_video_segments(opts.out, pieces(), size=portrait.size, fps=fps, sample_rate=state["rate"])
    total = time.perf_counter() - started
    inside = (clock.seconds.get("timing", 0.0) - first_timing) + (clock.seconds.get("motion", 0.0) - first_motion)
    clock.seconds["render"] = render_seconds[0]
    clock.seconds["encode"] = max(0.0, total - inside - render_seconds[0])
    result = SpeakResult(
        path=Path(opts.out),
        audio_seconds=state["duration"],
        frames=state["emitted"],
        fps=fps,
        stage_seconds=clock.seconds,
        timing_source="; ".join(distinct_sources(sources)),
        face_count=portrait.face_count,
    )
    result.extra_files += _write_segment_extras(opts, portrait, kept, all_words, fps)
    return result


def _track_slice(track: Track, start: int, stop: int) -> Track:
    """Frames ``[start, stop)`` of a track (arrays are views)."""
    return Track(
        fps=track.fps,
        landmarks=track.landmarks[start:stop],
        head_pose=track.head_pose[start:stop],
        articulation=track.articulation[start:stop],
        eyelid=track.eyelid[start:stop],
        image_size=track.image_size,
        words=list(track.words),
        gaze=track.gaze[start:stop],
    )


def _cross_fade(held: Track, track: Track) -> Track:
    """``track`` whose first ``len(held)`` frames fade from ``held`` into its own (raised cosine)."""
    count = min(len(held), len(track))
    weight = 0.5 - 0.5 * np.cos(np.pi * (np.arange(count) + 0.5) / count)

    def fade(old: np.ndarray, new: np.ndarray) -> np.ndarray:
        shape = (count,) + (1,) * (new.ndim - 1)
        mixed = new.copy()
        mixed[:count] = (1.0 - weight.reshape(shape)) * old[:count] + weight.reshape(shape) * new[:count]
        return mixed.astype(new.dtype, copy=False)

    return Track(
        fps=track.fps,
        landmarks=fade(held.landmarks, track.landmarks),
        head_pose=fade(held.head_pose, track.head_pose),
        articulation=fade(held.articulation, track.articulation),
        eyelid=fade(held.eyelid, track.eyelid),
        image_size=track.image_size,
        words=list(track.words),
        gaze=fade(held.gaze, track.gaze),
    )


def distinct_sources(sources: list[str]) -> list[str]:
    """The timing sources of a recording's segments, each once, in order of first use.

    Per-segment counts (``", 1 of 6 stretches spread"``, ``"... in 2 word-less
    stretches"``) are left out, so an hour's 120 segments give a line or two,
    not a page; the warnings give the counts and times.

    >>> distinct_sources(["whisper+pocketsphinx-align", "whisper+pocketsphinx-align, 1 of 6 stretches spread",
    ...                   "whisper+pocketsphinx-align, 1 of 5 stretches spread"])
    ['whisper+pocketsphinx-align', 'whisper+pocketsphinx-align, some stretches spread']
    """
    import re

    labels = [re.sub(r"\b\d+ of \d+ stretches", "some stretches", re.sub(r" in \d+ word-less", " in word-less", source))
              for source in sources]
    return list(dict.fromkeys(labels))


def _with_lead_in(previous: Speech, speech: Speech, lead: float) -> Speech:
    """``speech`` with the last ``lead`` seconds of ``previous`` in front (times shifted by ``lead``)."""
    rate = speech.sample_rate
    count = min(len(previous.samples), int(round(lead * rate)))
    lead = count / float(rate)
    cut = previous.duration - lead
    samples = np.concatenate([previous.samples[len(previous.samples) - count:], speech.samples])
    phones = [Phone(p.symbol, max(p.start - cut, 0.0), p.end - cut, p.stress)
              for p in previous.phones if p.end > cut]
    phones += [Phone(p.symbol, p.start + lead, p.end + lead, p.stress) for p in speech.phones]
    words = [Word(w.text, w.start - cut, w.end - cut) for w in previous.words if w.start >= cut]
    words += [Word(w.text, w.start + lead, w.end + lead) for w in speech.words]
    articulation = speech.articulation
    if speech.articulation is not None:
        from .types import ArticulationCurve

        rows = int(round(lead * speech.articulation.rate))
        if previous.articulation is not None:
            tail = previous.articulation.values[len(previous.articulation.values) - rows:] if rows else \
                previous.articulation.values[:0]
        else:  # a curve only in this segment (word-less speech): none in the lead
            tail = np.zeros((rows, speech.articulation.values.shape[1]), np.float32)
        articulation = ArticulationCurve(np.concatenate([tail, speech.articulation.values]), speech.articulation.rate)
    return Speech(samples=samples, sample_rate=rate, words=words, phones=phones, articulation=articulation,
                  source=speech.source)


def _write_segment_extras(opts: SpeakOptions, portrait: Portrait, kept: list[Track], words: list[Word],
                          fps: float) -> list[Path]:
    """Subtitles from every segment's words; a whole track only when one was asked for."""
    track = None
    if kept:
        track = Track(
            fps=fps,
            landmarks=np.concatenate([t.landmarks for t in kept]),
            head_pose=np.concatenate([t.head_pose for t in kept]),
            articulation=np.concatenate([t.articulation for t in kept]),
            eyelid=np.concatenate([t.eyelid for t in kept]),
            image_size=portrait.size,
            words=words,
            gaze=np.concatenate([t.gaze for t in kept]),
        )
    speech = Speech(samples=np.zeros(0, np.float32), sample_rate=16000, words=words)
    return _write_extras(opts, portrait, track, speech)


def animate(
    image: str | Path,
    out: str | Path = "speaker-animate.mp4",
    *,
    seconds: float | None = None,
    audio: str | Path | None = None,
    progress: ProgressCallback | None = None,
    **options,
) -> SpeakResult:
    """Bring the face in ``image`` to life without words: breathing, looks, blinks, smiles.

    Parameters
    ----------
    image : path
        The portrait.
    out : path
        Where to write the MP4 (written atomically).
    seconds : float, optional
        Length of the video; by default the length of ``audio``, else 10 s.
    audio : path, optional
        Music or any sound to mux (cut or padded with silence to ``seconds``);
        without it the video's sound is silence.
    progress : callable, optional
        ``progress(stage, detail)`` is called as each stage starts.
    **options
        Fields of :class:`speaker.settings.SpeakOptions` that apply: ``fps``,
        ``seed``, ``motion_scale``, ``face``, ``face_backend``, ``export_track``,
        ``debug_overlay``, ``preview``, ``max_side``.

    Returns
    -------
    SpeakResult

    Raises
    ------
    SpeakerError
        For any problem with the inputs, with a sentence to show the user.
    """
    return _run_staged(
        out, options, lambda staged_out, staged_options: _animate(image, staged_out, seconds, audio, progress, staged_options)
    )


#: Length of an animated portrait when neither seconds nor audio are given.
DEFAULT_ANIMATE_SECONDS = 10.0
#: Longest animated portrait (s): a track is held in memory.
MAX_ANIMATE_SECONDS = 3600.0


def _animate(image, out, seconds, audio, progress, options) -> SpeakResult:
    from . import motion

    opts = _options(image=image, out=out, audio=audio, **options)
    if seconds is not None and not (0 < float(seconds) <= MAX_ANIMATE_SECONDS):
        raise SpeakerError(f"--seconds must be above 0 and at most {MAX_ANIMATE_SECONDS:g}.")
    _check_outputs(opts)
    clock = _StageClock(progress)
    portrait = _find_face(opts, clock)
    if opts.audio is not None:
        from . import timing

        started = clock.start("timing", str(opts.audio))
        samples, rate = timing.load_audio(opts.audio)
        clock.stop("timing", started)
        duration = float(seconds) if seconds is not None else len(samples) / rate
    else:
        duration = float(seconds) if seconds is not None else DEFAULT_ANIMATE_SECONDS
        rate = 22050
        samples = np.zeros(0, np.float32)
    speech = Speech(samples=_fit_sound(samples, rate, duration), sample_rate=rate, source="idle")

    started = clock.start("motion", f"{duration:.1f} s idle at {opts.fps:g} fps")
    track = motion.idle_track(portrait, duration, opts.fps, scale=opts.motion_scale, seed=opts.seed)
    clock.stop("motion", started)
    result = _render_and_encode(portrait, track, speech, opts.out, opts.debug_overlay, clock)
    result.timing_source = "idle"
    result.face_count = portrait.face_count
    result.extra_files += _write_extras(opts, portrait, track, speech)
    return result


def drive(
    image: str | Path,
    video: str | Path,
    out: str | Path = "speaker-drive.mp4",
    *,
    audio: str | Path | None = None,
    fps: float | None = None,
    progress: ProgressCallback | None = None,
    **options,
) -> SpeakResult:
    """Make the face in ``image`` perform what the person in a driving video does.

    Parameters
    ----------
    image : path
        The portrait.
    video : path
        The driving video: one performer facing the camera.
    out : path
        Where to write the MP4 (written atomically).
    audio : path, optional
        Sound to mux instead of the driving video's own.
    fps : float, optional
        Frame rate of the result; by default the driving video's.
    progress : callable, optional
        ``progress(stage, detail)`` is called as each stage starts.
    **options
        Fields of :class:`speaker.settings.SpeakOptions` that apply:
        ``motion_scale``, ``face``, ``face_backend``, ``export_track``,
        ``export_mouth_cues``, ``debug_overlay``, ``preview``, ``max_side``.

    Returns
    -------
    SpeakResult

    Raises
    ------
    SpeakerError
        For any problem with the inputs (no face in the driving video among
        them), with a sentence to show the user.
    """
    return _run_staged(
        out, options, lambda staged_out, staged_options: _drive(image, video, staged_out, audio, fps, progress, staged_options)
    )


#: Progress is reported every this many seconds of driving video.
DRIVE_PROGRESS_SECONDS = 5.0


def _drive(image, video_path, out, audio, fps, progress, options) -> SpeakResult:
    from . import face, motion, video

    opts = _options(image=image, out=out, audio=audio, fps=fps, **options)
    _check_outputs(opts)
    clock = _StageClock(progress)
    driver = video.read_video(video_path)
    portrait = _find_face(opts, clock)
    fps = float(fps) if fps is not None else driver.fps

    started = clock.start("face", f"following the performer in {video_path} ({driver.fps:g} fps)")
    step = max(1, int(round(DRIVE_PROGRESS_SECONDS * driver.fps)))

    def on_frame(index: int) -> None:
        if progress is not None and index and index % step == 0:
            progress("face", f"{index / driver.fps:.0f} s of the driving video")

    performer = face.follow_face(driver.frames, driver.fps, backend=opts.face_backend, on_frame=on_frame)
    clock.stop("face", started)

    started = clock.start("motion", f"{len(performer)} performer frames retargeted at {fps:g} fps")
    track = motion.drive_track(performer, portrait, fps=fps, scale=opts.motion_scale)
    clock.stop("motion", started)

    speech = _driver_sound(opts.audio, Path(video_path), track.duration, clock)
    result = _render_and_encode(portrait, track, speech, opts.out, opts.debug_overlay, clock)
    result.timing_source = "drive"
    result.face_count = portrait.face_count
    result.extra_files += _write_extras(opts, portrait, track, speech)
    return result


def _driver_sound(audio: Path | None, video_path: Path, duration: float, clock: _StageClock) -> Speech:
    """The sound to mux with a driven portrait: ``audio``, else the driving video's, cut or padded to ``duration``."""
    from . import timing, video

    rate, samples = 22050, np.zeros(0, np.float32)
    if audio is not None:
        started = clock.start("timing", str(audio))
        samples, rate = timing.load_audio(audio)
        clock.stop("timing", started)
    elif video.probe(video_path).get("audio_codec"):
        try:
            samples, rate = timing.load_audio(video_path)
        except SpeakerError as error:
            from .errors import warn

            warn(f"The driving video's sound cannot be used ({str(error).rstrip('.')}); the video is silent.")
    return Speech(samples=_fit_sound(samples, rate, duration), sample_rate=rate, source="drive")


def _fit_sound(samples: np.ndarray, rate: int, duration: float) -> np.ndarray:
    """``samples`` (N,) cut, or padded with silence, to ``duration`` seconds at ``rate``."""
    wanted = int(round(duration * rate))
    samples = np.asarray(samples, np.float32)[:wanted]
    return np.concatenate([samples, np.zeros(wanted - len(samples), np.float32)])


def dialogue(
    image: str | Path,
    script: str,
    out: str | Path = "speaker-dialogue.mp4",
    *,
    progress: ProgressCallback | None = None,
    **options,
) -> SpeakResult:
    """Several faces of one photo speak a script in turn; the others listen.

    Parameters
    ----------
    image : path
        The photo with the faces (numbered left to right from 0).
    script : str
        The script's text: lines ``N: words`` and headers such as
        ``voice 0 = calm`` or ``name 1 = Mary`` (see :mod:`speaker.script`).
    out : path
        Where to write the MP4 (written atomically).
    progress : callable, optional
        ``progress(stage, detail)`` is called as each stage starts.
    **options
        Fields of :class:`speaker.settings.SpeakOptions` that apply: ``fps``,
        ``seed``, ``motion``, ``motion_scale``, ``face_backend``, ``subtitles``,
        ``export_track`` (one file per face: ``<stem>.face<N>.json``),
        ``debug_overlay``, ``max_side``.

    Returns
    -------
    SpeakResult
        ``face_count`` is the number of faces in the photo.

    Raises
    ------
    SpeakerError
        An empty script, a line for a face that is not in the photo, an
        unknown voice, or any other problem with the inputs.
    """
    return _run_staged(
        out, options, lambda staged_out, staged_options: _dialogue(image, script, staged_out, progress, staged_options)
    )


#: Seconds of silence before the first line, between two lines and after the last.
DIALOGUE_LEAD = 0.4
DIALOGUE_TURN_PAUSE = 0.5
DIALOGUE_TAIL = 0.6


def _dialogue(image, script_text, out, progress, options) -> SpeakResult:
    from . import face, motion, render, speech as speech_stage, timing, video
    from .script import parse_script
    from .speech.core import concatenate
    from .types import Phone, Scene, Word

    script = parse_script(script_text)
    opts = _options(image=image, out=out, **options)
    _check_outputs(opts)
    for face_number in script.faces:
        if opts.export_track is not None:
            video.check_writable(_face_track_path(opts.export_track, face_number))
    presets = {number: load_voice_preset(script.voices.get(number, "default")) for number in script.faces}
    clock = _StageClock(progress)

    started = clock.start("face", str(opts.image))
    loaded, grayscale = face.load_image(opts.image, max_side=opts.max_side)
    first = face.find_portrait(loaded, grayscale, face_index=0, backend=opts.face_backend, max_side=opts.max_side)
    missing = [number for number in script.faces if number >= first.face_count]
    if missing:
        found = "1 face (0)" if first.face_count == 1 else f"{first.face_count} faces (0 to {first.face_count - 1})"
        raise SpeakerError(f"The script names face {missing[0]}, but the photo has {found}, counted left to right.")
    portraits = {number: first if number == 0 else face.find_portrait(
        loaded, grayscale, face_index=number, backend=opts.face_backend, max_side=opts.max_side)
        for number in script.faces}
    clock.stop("face", started)

    lines = []
    for index, line in enumerate(script.lines):
        started = clock.start("speech", f"line {index + 1} of {len(script.lines)}: face {line.face}, voice "
                                        f"{presets[line.face].name}")
        lines.append(speech_stage.synthesize(line.text, presets[line.face], seed=opts.seed + index))
        clock.stop("speech", started)
    rate = lines[0].sample_rate
    lines = [spoken if spoken.sample_rate == rate else spoken.with_timings(
        samples=timing.resample(spoken.samples, spoken.sample_rate, rate), sample_rate=rate) for spoken in lines]

    def silent(seconds: float) -> Speech:
        return Speech(samples=np.zeros(int(round(seconds * rate)), np.float32), sample_rate=rate,
                      phones=[Phone("SIL", 0.0, seconds)], source="dialogue")

    def labelled(spoken: Speech, label: str) -> Speech:
        words = list(spoken.words)
        if words:
            words[0] = Word(f"{label}: {words[0].text}", words[0].start, words[0].end)
        return spoken.with_timings(words=words)

    def timeline(parts: list[Speech]) -> Speech:
        return concatenate([silent(DIALOGUE_LEAD), *parts, silent(DIALOGUE_TAIL)], pause=DIALOGUE_TURN_PAUSE)

    mix = timeline([labelled(spoken, script.label(line.face)) for spoken, line in zip(lines, script.lines)])
    # Where each line sits in the mix: concatenate puts the lead, then a pause before every part.
    spans, cursor = [], DIALOGUE_LEAD + DIALOGUE_TURN_PAUSE
    for spoken in lines:
        spans.append((cursor, cursor + spoken.duration))
        cursor += spoken.duration + DIALOGUE_TURN_PAUSE

    started = clock.start("motion", f"{len(script.faces)} faces over {mix.duration:.1f} s")
    tracks = []
    centres = {number: float(portrait.box[0] + portrait.box[2]) / 2 for number, portrait in portraits.items()}
    for number in script.faces:
        own = timeline([spoken if line.face == number else silent(spoken.duration)
                        for spoken, line in zip(lines, script.lines)])
        track = motion.animate(own, portraits[number], fps=opts.fps, style=opts.motion, scale=opts.motion_scale,
                               seed=opts.seed + 7919 * number)
        listening = [(start, end, float(np.sign(centres[line.face] - centres[number])))
                     for (start, end), line in zip(spans, script.lines) if line.face != number]
        tracks.append(motion.listen(track, listening, seed=opts.seed + number))
    clock.stop("motion", started)

    scene = Scene(portraits=[portraits[number] for number in script.faces], tracks=tracks)
    render_seconds = [0.0]

    def timed_frames() -> Iterator[np.ndarray]:
        frames = render.render_scene(scene, debug_overlay=opts.debug_overlay)
        while True:
            begun = time.perf_counter()
            frame = next(frames, None)
            render_seconds[0] += time.perf_counter() - begun
            if frame is None:
                return
            yield frame

    started = clock.start("render", f"{len(scene)} frames, {len(script.faces)} faces")
    video.write_video(opts.out, timed_frames(), size=first.size, fps=scene.fps, samples=mix.samples,
                      sample_rate=mix.sample_rate, n_frames=len(scene))
    clock.seconds["render"] = render_seconds[0]
    clock.seconds["encode"] = time.perf_counter() - started - render_seconds[0]
    result = SpeakResult(path=Path(opts.out), audio_seconds=mix.duration, frames=len(scene), fps=scene.fps,
                         stage_seconds=clock.seconds, timing_source="piper", face_count=first.face_count)
    if opts.subtitles:
        result.extra_files += video.write_subtitles(mix.words, opts.out.with_suffix(""))
    if opts.export_track is not None:
        for number, track in zip(script.faces, tracks):
            motion.save_track(track, _face_track_path(opts.export_track, number))
            result.extra_files.append(_face_track_path(opts.export_track, number))
    return result


def _face_track_path(path: Path, face_number: int) -> Path:
    """``scene.json`` -> ``scene.face1.json``: one track file per face of a dialogue."""
    path = Path(path)
    return path.with_name(f"{path.stem}.face{face_number}{path.suffix or '.json'}")
