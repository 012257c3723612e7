"""Motion from elsewhere: ``animate`` (idle life, no words), ``drive`` (a performer's video), ``dialogue`` (several faces of one photo)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import SpeakerError, warn
from ..settings import VoicePreset, load_voice_preset
from ..types import Speech
from .core import (
    ProgressCallback, SpeakResult, _StageClock, _check_outputs, _encode_timed, _find_face, _options,
    _render_and_encode, _run_staged, _write_extras,
)


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
        ``progress(stage, detail)`` is called as each stage starts, and about once a
        second while frames are drawn (``progress("render", ProgressUpdate)``).
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
    from .. import motion

    opts = _options(image=image, out=out, audio=audio, **options)
    if seconds is not None:
        try:
            seconds = float(seconds)
        except (TypeError, ValueError):
            raise SpeakerError(f"--seconds must be a number (given: {seconds!r}).") from None
        if not 0 < seconds <= MAX_ANIMATE_SECONDS:
            raise SpeakerError(f"--seconds must be above 0 and at most {MAX_ANIMATE_SECONDS:g}.")
    _check_outputs(opts)
    clock = _StageClock(progress)
    portrait = _find_face(opts, clock)
    if opts.audio is not None:
        from .. import timing

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
        ``progress(stage, detail)`` is called as each stage starts, and about once a
        second while frames are drawn (``progress("render", ProgressUpdate)``).
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
    from .. import face, motion, video

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
    result.extra_files += _write_extras(opts, portrait, track, speech)
    return result


def _driver_sound(audio: Path | None, video_path: Path, duration: float, clock: _StageClock) -> Speech:
    """The sound to mux with a driven portrait: ``audio``, else the driving video's, cut or padded to ``duration``."""
    from .. import timing, video

    rate, samples = 22050, np.zeros(0, np.float32)
    if audio is not None:
        started = clock.start("timing", str(audio))
        samples, rate = timing.load_audio(audio)
        clock.stop("timing", started)
    elif video.probe(video_path).get("audio_codec"):
        try:
            samples, rate = timing.load_audio(video_path, speech_needed=False)  # a silent one is muxed as it is
        except SpeakerError as error:
            warn(f"The driving video's sound cannot be read, so the video is silent: {error}")
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
        ``progress(stage, detail)`` is called as each stage starts, and about once a
        second while frames are drawn (``progress("render", ProgressUpdate)``).
    **options
        Fields of :class:`speaker.settings.SpeakOptions` that apply: ``fps``,
        ``seed``, ``motion``, ``motion_scale``, ``face_backend``, ``subtitles``,
        ``export_track`` (one file per face: ``<stem>.face<N>.json``),
        ``preview`` (a contact sheet: each face speaking, a blink, the middle),
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


def _face_voices(script) -> tuple[dict[int, VoicePreset], list[str]]:
    """Each face's voice, and the sentences telling the choices no header made.

    A face's voice is its header's, else the one its lines' writing system calls for, or, when
    another face already speaks with that one, another speaker of that language and sex.
    """
    from ..settings import default_voice, default_voice_note, foreign_voice_note, other_speaker_like, same_speaker

    def lines_of(face: int) -> str:
        return " ".join(line.text for line in script.lines if line.face == face)

    voices = {face: load_voice_preset(script.voices[face]) for face in script.faces if face in script.voices}
    notes = [note for face, preset in voices.items()
             if (note := foreign_voice_note(f"Face {face}'s lines are", lines_of(face), preset)) is not None]
    for face in script.faces:
        if face in voices:
            continue
        said = lines_of(face)
        preset = default_voice(said)
        note = default_voice_note(f"Face {face}'s lines are", said, preset, pronoun="them")
        if note is not None:
            notes.append(note)
        sharing = next((other for other, voice in voices.items() if same_speaker(voice, preset)), None)
        if sharing is not None:
            taken = voices[sharing].name
            if taken != preset.name:
                taken += f", {preset.name}'s speaker"
            other = other_speaker_like(preset, list(voices.values()))
            if other is None:
                kind = " ".join(filter(None, (preset.gender, preset.language)))
                notes.append(f"Faces {sharing} and {face} are heard in one speaker's voice ({taken}): no other "
                             f"bundled {kind} voice is free; a 'voice {face} = PRESET' header tells them apart.")
            else:
                notes.append(f"Face {face} has no voice header and face {sharing} speaks with {taken}, so "
                             f"{other.name} ({other.language}, {other.gender}) speaks face {face}'s lines.")
                preset = other
        voices[face] = preset
    return voices, notes


def _dialogue(image, script_text, out, progress, options) -> SpeakResult:
    from .. import face, motion, render, speech as speech_stage, timing, video
    from ..script import parse_script
    from ..speech.core import concatenate
    from ..types import Phone, Scene

    script = parse_script(script_text)
    opts = _options(image=image, out=out, **options)
    _check_outputs(opts)
    for face_number in script.faces:
        if opts.export_track is not None:
            video.check_writable(_face_track_path(opts.export_track, face_number))
    presets, voice_notes = _face_voices(script)  # told once the faces are found
    clock = _StageClock(progress)

    started = clock.start("face", str(opts.image))
    try:
        portraits = dict(zip(script.faces, face.load_portraits(
            opts.image, list(script.faces), backend=opts.face_backend, max_side=opts.max_side)))
    except face.FaceNotInPhoto as error:
        count = error.face_count
        missing = [number for number in script.faces if number >= count]
        found = "1 face (0)" if count == 1 else f"{count} faces (0 to {count - 1})"
        raise SpeakerError(f"The script names face {missing[0]}, but the photo has {found}, counted left to right "
                           "('speaker faces --image PHOTO' shows them).") from None
    first = portraits[script.faces[0]]
    clock.stop("face", started)
    for note in voice_notes:
        warn(note)

    lines = []
    for index, line in enumerate(script.lines):
        started = clock.start("speech", f"line {index + 1} of {len(script.lines)}: face {line.face}, voice "
                                        f"{presets[line.face].name}")
        lines.append(speech_stage.synthesize(line.text, presets[line.face], seed=opts.seed + index))
        clock.stop("speech", started)
    timed_by = "; ".join(dict.fromkeys(spoken.source for spoken in lines))  # each voice engine once
    rate = lines[0].sample_rate
    lines = [spoken if spoken.sample_rate == rate else spoken.with_timings(
        samples=timing.resample(spoken.samples, spoken.sample_rate, rate), sample_rate=rate) for spoken in lines]

    def silent(seconds: float) -> Speech:
        return Speech(samples=np.zeros(int(round(seconds * rate)), np.float32), sample_rate=rate,
                      phones=[Phone("SIL", 0.0, seconds)], source="dialogue")

    def labelled(spoken: Speech, label: str) -> Speech:  # each word names its speaker for the subtitles
        return spoken.with_timings(words=[replace(word, speaker=label) for word in spoken.words])

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
    _encode_timed(
        clock,
        f"{len(scene)} frames, {len(script.faces)} faces",
        render.render_scene(scene, debug_overlay=opts.debug_overlay),
        lambda frames: video.write_video(opts.out, frames, size=first.size, fps=scene.fps, samples=mix.samples,
                                         sample_rate=mix.sample_rate, n_frames=len(scene)),
        total_frames=len(scene),
        fps=scene.fps,
    )
    result = SpeakResult(path=Path(opts.out), audio_seconds=mix.duration, frames=len(scene), fps=scene.fps,
                         stage_seconds=clock.seconds, timing_source=timed_by, face_count=first.face_count,
                         face_index=None)
    if opts.subtitles:
        result.extra_files += video.write_subtitles(mix.words, opts.out.with_suffix(""))
    if opts.export_track is not None:
        for number, track in zip(script.faces, tracks):
            motion.save_track(track, _face_track_path(opts.export_track, number))
            result.extra_files.append(_face_track_path(opts.export_track, number))
    if opts.preview is not None:
        result.extra_files.append(render.scene_sheet(scene, [script.label(number) for number in script.faces],
                                                     opts.preview))
    return result


def _face_track_path(path: Path, face_number: int) -> Path:
    """``scene.json`` -> ``scene.face1.json``: one track file per face of a dialogue."""
    path = Path(path)
    return path.with_name(f"{path.stem}.face{face_number}{path.suffix or '.json'}")
