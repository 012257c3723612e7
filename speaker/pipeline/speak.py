"""``speak`` (text or a recording) and ``render_track`` (a saved motion track)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import SpeakerError, warn
from ..settings import (SpeakOptions, VoicePreset, default_voice, default_voice_note, foreign_voice_note,
                        load_voice_preset, speaks, voice_for_language)
from ..text import has_words, written_language
from ..types import Portrait, Speech
from .core import (
    ProgressCallback, SpeakResult, _StageClock, _check_outputs, _find_face, _options, _render_and_encode,
    _run_staged, _write_extras, faces_left_to_right,
)
from .segments import render_speech_segments


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
        ``progress(stage, detail)`` is called as each stage starts, and about once a
        second while frames are drawn (``progress("render", ProgressUpdate)``).
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


def check_speak(
    image: str | Path,
    text: str | None = None,
    audio: str | Path | None = None,
    out: str | Path = "speaker.mp4",
    **options,
) -> SpeakOptions:
    """What :func:`speak` refuses before any work, checked without doing it (a batch checks all its rows first).

    The settings, the portrait and the recording (readable, present), the
    text (words in it, a voice that speaks it) and the names of the outputs.
    What only the work tells (no face in the photo, a silent recording) is
    not found here. Writes nothing.

    Returns
    -------
    SpeakOptions
        The options validated.

    Raises
    ------
    SpeakerError
        The sentence :func:`speak` would raise.
    """
    from ..face.image import load_image
    from .core import _StagedOutputs

    opts, _ = _checked_options(image, text, audio, out, options)
    load_image(opts.image, max_side=opts.max_side)
    if opts.audio is not None and not Path(opts.audio).is_file():
        raise SpeakerError(f"The audio file {opts.audio} does not exist.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # said when the work is done
        # The names only: nothing is written. Validated values: a manifest's "false" is False.
        _StagedOutputs().stage(out, {key: getattr(opts, key) for key in options})
    return opts


def _checked_options(image, text, audio, out, options: dict) -> tuple[SpeakOptions, VoicePreset | None]:
    """The options validated, the text's voice chosen (None for a recording) and the outputs writable:
    refused before any work."""
    opts = _options(image=image, text=text, audio=audio, out=out, **options)
    if (opts.text is None) == (opts.audio is None):
        raise SpeakerError("Give either text to say or an audio file to lip-sync, not both and not neither.")
    preset = None
    if opts.text is not None:
        # The speech stage refuses it too, but only after the face is found: fail first.
        if not has_words(opts.text):
            raise SpeakerError("The text is empty; give some words to say.")
        preset = _choose_voice(opts)  # an unknown voice or a language without one: fail first too
    _check_outputs(opts)
    return opts, preset


def _speak(image, text, audio, out, progress, options) -> SpeakResult:
    from .. import speech as speech_stage

    opts, preset = _checked_options(image, text, audio, out, options)
    if preset is not None:
        _say_whose_voice(opts, preset)
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

    from .. import motion

    started = clock.start("motion", f"{speech.duration:.1f} s of speech at {opts.fps:g} fps")
    track = motion.animate(
        speech, portrait, fps=opts.fps, style=opts.motion, scale=opts.motion_scale, seed=opts.seed
    )
    clock.stop("motion", started)

    result = _render_and_encode(portrait, track, speech, opts.out, opts.debug_overlay, clock)
    result.timing_source = speech.source
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
    from .. import motion

    opts = _options(image=image, out=out, audio=audio, **options)
    _check_outputs(opts)
    clock = _StageClock(progress)
    track = motion.load_track(Path(track_path))
    portrait = _find_face(opts, clock)
    made_for = _face_of_track(portrait, track) if tuple(track.image_size) == portrait.size else None
    if made_for is not None and made_for != portrait.face_index and opts.face is None:
        portrait = _find_face(opts.model_copy(update={"face": made_for}), clock)  # the face it was made for
    elif made_for != portrait.face_index:
        # Another photo, or another face of this one (--face): one performance, many faces.
        made = (f"face {made_for} of this photo" if made_for is not None
                else f"another portrait ({track.image_size[0]}x{track.image_size[1]})")
        to = f"face {portrait.face_index} of this photo" if portrait.face_count > 1 else "this face"
        warn(f"The track was made for {made}; its motion, mouth and blinks are carried over to {to}.")
        track = motion.retarget_track(track, portrait)
    if opts.audio is not None:
        from .. import timing

        samples, rate = timing.load_audio(opts.audio)
        heard = len(samples) / rate
        if abs(heard - track.duration) > TRACK_AUDIO_SLACK:
            ending = "silent at its end" if heard < track.duration else "the recording cut short"
            warn(f"The recording lasts {heard:.1f} s and the track {track.duration:.1f} s: the video is as long as "
                 f"the track, {ending}.")
        track_samples = int(round(track.duration * rate))
        samples = np.pad(samples[:track_samples], (0, max(0, track_samples - len(samples))))
    else:
        rate = 22050
        samples = np.zeros(int(round(track.duration * rate)), np.float32)
    speech = Speech(samples=samples, sample_rate=rate, words=list(track.words), source="track")
    result = _render_and_encode(portrait, track, speech, opts.out, opts.debug_overlay, clock)
    result.timing_source = "track"
    result.extra_files += _write_extras(opts, portrait, track, speech)
    return result


#: Seconds a recording may differ from the track it is rendered with before the user is told.
TRACK_AUDIO_SLACK = 0.5


def _face_of_track(portrait: Portrait, track) -> int | None:
    """The number of the photo's face whose box holds the track's first face (as ``face=`` counts), or None.

    Only the photo as a whole is numbered here; a portrait that shows part of a large photo keeps its own.
    """
    if portrait.view is not None or len(track) == 0:
        return portrait.face_index
    centre = np.asarray(track.landmarks[0], np.float64).mean(axis=0)
    boxes, own = faces_left_to_right(portrait)
    inside = [number for number, (x0, y0, x1, y1) in enumerate(boxes)
              if x0 <= centre[0] <= x1 and y0 <= centre[1] <= y1]
    if not inside:
        return None
    return own if own in inside else inside[0]  # the portrait's own face first, where boxes overlap


def _make_speech(opts: SpeakOptions, clock: _StageClock) -> Speech:
    # Text only: a recording goes through _speak_recording, segment by segment.
    from .. import speech as speech_stage

    preset = _choose_voice(opts)
    started = clock.start("speech", f"voice {preset.name}")
    spoken = speech_stage.synthesize(opts.text, preset, seed=opts.seed)
    clock.stop("speech", started)
    return spoken


def _open_speech_stream(opts: SpeakOptions, clock: _StageClock):
    """Load the voice and start synthesizing the script sentence by sentence (a :class:`SpeechStream`)."""
    from .. import speech as speech_stage

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

    The language is ``--language``'s, else the one the text's writing system
    tells (:func:`speaker.text.written_language`: Chinese characters are
    spoken by a Mandarin voice), else English.

    Raises
    ------
    SpeakerError
        No voice for the language, or the given voice does not speak it.
    """
    if opts.voice is None:
        return voice_for_language(opts.language) if opts.language else default_voice(opts.text)
    preset = load_voice_preset(opts.voice)
    if opts.language and not speaks(preset, opts.language):
        raise SpeakerError(
            f"The voice '{preset.name}' speaks {preset.language}, not '{opts.language}'; "
            f"leave out --voice for the language's default voice, or see 'speaker voices'."
        )
    return preset


def _say_whose_voice(opts: SpeakOptions, preset: VoicePreset) -> None:
    """Tell the user when the text's writing system chose the voice, or the voice given does not speak it."""
    written = written_language(opts.text)
    if written is None or opts.language:
        return
    note = (default_voice_note("The text is", opts.text, preset) if opts.voice is None
            else foreign_voice_note("The text is", opts.text, preset))
    if note is not None:
        warn(note)


def _speak_recording(opts: SpeakOptions, portrait: Portrait, clock: _StageClock) -> SpeakResult:
    """A user's recording, read, recognised, timed, animated and encoded segment by segment.

    With a transcript a recording of up to ``timing.WHOLE_ALIGNMENT_SECONDS``
    is aligned at once; a longer one is cut where Whisper heard the
    transcript's words and aligned piece by piece (memory flat with length).
    When alignment fails, or without a transcript, Whisper hears the words
    window by window and each segment of about 30 s is timed from them.
    """
    from .. import timing

    started = clock.start("timing", f"{opts.audio}: reading")
    audio = timing.open_audio(opts.audio)
    if opts.transcript is not None and not has_words(opts.transcript):
        warn("The transcript has no words (an empty file?); the recording's words are recognised instead.")
    try:
        segments = None
        aligned_in_pieces = (audio.duration > timing.WHOLE_ALIGNMENT_SECONDS
                             and timing.is_english(opts.language or "en"))
        if has_words(opts.transcript) and aligned_in_pieces:
            segments = _long_transcript_segments(opts, audio, clock)
        elif has_words(opts.transcript):
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
            words = timing.words_to_time(opts.transcript, heard.words)
            segments = timing.timed_segments(audio, words, heard.language, opts.lipsync)
        clock.stop("timing", started)
        return render_speech_segments(portrait, segments, opts, clock, total_seconds=audio.duration)
    finally:
        audio.close()


def _long_transcript_segments(opts: SpeakOptions, audio, clock: _StageClock):
    """Segments of a long recording with a transcript: Whisper anchors it, each piece is aligned alone (flat memory)."""
    from .. import timing

    clock.start("timing", f"recognising the words of {audio.duration:.0f} s (Whisper base) to cut the transcript")
    heard = timing.recognize_audio(audio, opts.language or "en")
    timing.refuse_without_speech(heard, str(opts.audio))
    clock.start("timing", f"{len(heard.words)} words heard; aligning the transcript piece by piece (pocketsphinx)")
    segments = timing.transcript_segments(audio, opts.transcript, heard.words, heard.language, opts.lipsync)
    return segments if segments is not None else timing.timed_segments(audio, heard.words, heard.language,
                                                                       opts.lipsync)
