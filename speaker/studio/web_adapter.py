"""Adapts the pipeline to the web page: form values in, files and one sentence out.

The page (:mod:`speaker.studio.web`) only lays out components and wires
events to the methods of one :class:`Studio` per server process. A
:class:`Studio` calls the same API as the CLI (:func:`speaker.pipeline.speak`,
:func:`speaker.pipeline.find_faces`) and turns a
:class:`~speaker.errors.SpeakerError` into the message shown on the page.
The pipeline's models (landmarker, voices, recognisers) are cached per
process, so every job after the first reuses them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..errors import SpeakerError

#: The choice meaning "the face the pipeline is surest of".
SUREST_FACE = -1
#: The voice choice meaning "no voice given": the pipeline's default for the text's
#: writing system (the Mandarin voice for Chinese characters, else ``default``), as the CLI without --voice.
AUTOMATIC_VOICE = "automatic"


#: Picture formats (Pillow's names) every browser shows; an upload in another is shown as a PNG copy.
BROWSER_PICTURE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP"})

#: What the page says of a job its user stopped (with Stop, or by closing the tab).
STOPPED = "Stopped: the video was not finished, and none of its files were kept."


class JobStopped(Exception):
    """Raised through the pipeline by its progress callback once the job's user asked it to stop.

    Not a :class:`SpeakerError`: nothing is wrong with the input. The pipeline
    removes its staged outputs as on any exception.
    """


class StudioSettings(BaseModel):
    """How ``speaker web`` serves (its flags)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    #: Largest portrait accepted, megabytes.
    max_image_mb: float = Field(25.0, gt=0)
    #: Largest recording accepted, megabytes (also the server's upload cap).
    max_audio_mb: float = Field(200.0, gt=0)
    #: Longest text or dialogue script, characters (a kiosk's pasted essay would hold the one render
    #: slot for a quarter of an hour); longer ones are for the command line or a batch.
    max_text_chars: int = Field(5000, gt=0)
    #: Uploads and finished videos are deleted after this many minutes.
    keep_minutes: float = Field(60.0, gt=0)


@dataclass
class FacePreview:
    """The portrait with its faces drawn and numbered, and the choices for the face selector."""

    image: np.ndarray | None
    choices: list[tuple[str, int]] = field(default_factory=lambda: [("The clearest face", SUREST_FACE)])
    message: str = ""


@dataclass
class JobResult:
    """What one click on *speak* made: the video, the downloads and the sentence to show."""

    video: Path | None
    downloads: list[Path] = field(default_factory=list)
    message: str = ""
    #: The job's user stopped it (``message`` is :data:`STOPPED`).
    stopped: bool = False


class Studio:
    """One per server process: runs jobs into its own temporary folder, removed at exit."""

    def __init__(self, settings: StudioSettings | None = None):
        self.settings = settings or StudioSettings()
        self.root = Path(tempfile.mkdtemp(prefix="speaker-web-"))
        self._lock = threading.Lock()
        # The stop signal of each page session's job, waiting in the queue or running.
        self._stops: dict[str, threading.Event] = {}
        self._stops_lock = threading.Lock()
        atexit.register(shutil.rmtree, self.root, True)

    # ------------------------------------------------------------------ inputs

    @staticmethod
    def voice_choices() -> list[tuple[str, str]]:
        """The bundled voice presets as ``(label, name)``, labelled with their language, after the automatic choice
        (:data:`AUTOMATIC_VOICE`) and ``default``."""
        from ..settings import list_voices

        presets = sorted(list_voices(), key=lambda preset: (preset.name != "default", preset.name))
        return [("automatic · by the text's language", AUTOMATIC_VOICE)] + [
            (" · ".join(filter(None, [preset.name, preset.language, getattr(preset, "gender", "")])), preset.name)
            for preset in presets]

    def browser_copy(self, image_path: str | None) -> Path | None:
        """A PNG of an uploaded portrait that browsers cannot show (HEIC from a phone, TIFF scans), or None.

        The copy has the photo's pixels as the pipeline reads them (upright, 8-bit RGB, at the
        file's full detail), so the page shows and animates the same picture. None also when the
        file cannot be read: :meth:`preview_faces` says why.
        """
        if not image_path:
            return None
        from PIL import Image

        from ..face.image import enable_heic, load_image, photo_size

        enable_heic()
        try:
            with Image.open(image_path) as picture:
                if picture.format in BROWSER_PICTURE_FORMATS:
                    return None
            self._check_size(image_path, self.settings.max_image_mb, "portrait")
            pixels, _ = load_image(image_path, max_side=max(photo_size(image_path)))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, SpeakerError):
            return None
        copy = self._new_job_folder() / f"{_safe_stem(image_path)}.png"
        Image.fromarray(pixels).save(copy, compress_level=1)
        return copy

    def preview_faces(self, image_path: str | None, face_backend: str = "dlib") -> FacePreview:
        """Find the faces in an uploaded portrait and draw them, numbered as ``face=`` counts them."""
        if not image_path:
            return FacePreview(None)
        from ..pipeline import collect_warnings, faces_left_to_right, find_faces

        try:
            self._check_size(image_path, self.settings.max_image_mb, "portrait")
            # What the face stage had to do to find the face (a photo turned upright, the face mesh's fit).
            with collect_warnings() as notes:
                portrait = find_faces(image_path, face_backend=face_backend)
        except SpeakerError as error:
            return FacePreview(None, message=_named_as_uploaded(str(error), image_path))
        if portrait.view is None:
            photo = portrait.image
            numbered, default_number = faces_left_to_right(portrait)
        else:
            # The video shows part of the photo (a small face in a large one); the choice is of all its faces.
            from ..pipeline import photo_faces

            faces = photo_faces(image_path, face_backend=face_backend)
            photo, numbered, default_number = faces.image, faces.boxes, faces.surest
        from ..render.sheet import draw_faces

        picture = draw_faces(photo, numbered, default_number)
        count = len(numbered)
        choices = [("The clearest face", SUREST_FACE)]
        choices += [(f"Face {n}" + (" (the clearest)" if n == default_number else ""), n) for n in range(count)]
        found = "1 face found." if count == 1 else f"{count} faces found, numbered left to right; choose one below."
        if notes:
            found += " Note: " + " ".join(notes)
        return FacePreview(picture, choices, found)

    # ------------------------------------------------------------------ the job

    def make_video(
        self,
        image_path: str | None,
        text: str | None,
        audio_path: str | None,
        transcript: str | None,
        voice: str = AUTOMATIC_VOICE,
        motion: str = "calm",
        fps: float = 25.0,
        seed: int = 0,
        face: int = SUREST_FACE,
        motion_scale: float = 1.0,
        language: str | None = None,
        lipsync: str = "auto",
        max_side: int = 1280,
        progress: Callable[[str, str], None] | None = None,
        script: str | None = None,
        stopped: threading.Event | None = None,
    ) -> JobResult:
        """Make one video with :func:`speaker.pipeline.speak`, or with a dialogue ``script``
        :func:`speaker.pipeline.dialogue`; never raises for a user's mistake.

        Parameters
        ----------
        stopped : threading.Event, optional
            Set (from another thread) to stop the job. The pipeline offers no
            earlier point than its next ``progress`` call (each stage, each
            sentence of a text or segment of a recording, and about every
            second while frames are drawn): the job ends there.

        Returns
        -------
        JobResult
            On success the MP4 and the downloads (subtitles, track JSON, mouth
            cues, contact sheet; a dialogue's subtitles, a track per face and its sheet);
            on a :class:`SpeakerError` no files and its sentence as ``message``;
            when ``stopped`` was set, no files and :data:`STOPPED`.
        """
        from ..pipeline import dialogue, speak

        self._prune()
        if stopped is None:
            stopped = threading.Event()
        if stopped.is_set():  # stopped while it waited for the render slot
            return JobResult(None, message=STOPPED, stopped=True)

        def checked_progress(stage: str, detail: str) -> None:
            if stopped.is_set():
                raise JobStopped
            if progress is not None:
                progress(stage, detail)

        if not image_path:
            return JobResult(None, message="Upload a portrait first.")
        # An empty text box means no text (the recording, if any, speaks); the pipeline checks the rest.
        text = text if text and text.strip() else None
        script = script if script and script.strip() else None
        if script is not None and (text is not None or audio_path):
            return JobResult(None, message="Give the words, a recording or a dialogue script, one of them: "
                                           "a dialogue's words are in its script.")
        if text is None and script is None and not audio_path:
            return JobResult(None, message="Type what the portrait says, upload a recording, or write a dialogue "
                                           "script.")
        longest = self.settings.max_text_chars
        for what, words in (("text", text), ("dialogue script", script)):
            if words is not None and len(words) > longest:
                return JobResult(None, message=f"The {what} has {len(words)} characters; this page takes at most "
                                               f"{longest} (about {longest // 800} minutes of speech). For longer "
                                               "ones use speaker --text-file or speaker batch on the command line.")
        job_folder = self._new_job_folder()
        stem = _safe_stem(image_path)
        out = job_folder / f"{stem}.mp4"
        try:
            self._check_size(image_path, self.settings.max_image_mb, "portrait")
            if audio_path:
                self._check_size(audio_path, self.settings.max_audio_mb, "recording")
            if script is not None:
                result = dialogue(
                    image_path, script, out, motion=motion, fps=float(fps), seed=int(seed),
                    motion_scale=float(motion_scale), max_side=int(max_side), subtitles=True,
                    export_track=job_folder / f"{stem}.track.json", preview=job_folder / f"{stem}.sheet.png",
                    progress=checked_progress,
                )
            else:
                result = speak(
                    image_path, text=text, audio=audio_path or None, out=out,
                    transcript=(transcript.strip() or None) if (transcript and audio_path) else None,
                    voice=None if voice in (None, "", AUTOMATIC_VOICE) else voice, motion=motion, fps=float(fps),
                    seed=int(seed),
                    face=None if face is None or int(face) == SUREST_FACE else int(face),
                    # The page's language field is the recording's (empty: the recogniser hears it); text is read
                    # in its voice's own language.
                    motion_scale=float(motion_scale), lipsync=lipsync,
                    language=((language or "").strip() or None) if audio_path else None,
                    max_side=int(max_side), subtitles=True,
                    export_track=job_folder / f"{stem}.track.json",
                    export_mouth_cues=job_folder / f"{stem}.cues.tsv",
                    preview=job_folder / f"{stem}.sheet.png",
                    progress=checked_progress,
                )
            if stopped.is_set():  # after the pipeline's last progress call: the user still asked for no video
                raise JobStopped
        except JobStopped:
            shutil.rmtree(job_folder, ignore_errors=True)
            return JobResult(None, message=STOPPED, stopped=True)
        except SpeakerError as error:
            shutil.rmtree(job_folder, ignore_errors=True)
            return JobResult(None, message=_named_as_uploaded(str(error), image_path, audio_path))
        except Exception as error:  # a bug in speaker: say so in one line, never a traceback on the page
            shutil.rmtree(job_folder, ignore_errors=True)
            return JobResult(None, message=f"Internal error in speaker ({type(error).__name__}: {error}); "
                                           "please report it.")
        seconds = sum(result.stage_seconds.values())
        message = (f"Done: {result.audio_seconds:.1f} s of video, {result.frames} frames at {result.fps:g} fps, "
                   f"made in {seconds:.1f} s.")
        notes = list(result.warnings)
        if script is not None and voice not in (None, "", AUTOMATIC_VOICE):
            notes.append(f"The voice menu ({voice}) is for words and recordings; a dialogue's voices are chosen by "
                         "its script's 'voice N = ...' headers.")
        if notes:
            message += " Note: " + " ".join(notes)
        return JobResult(result.path, [result.path, *result.extra_files], message)

    # ------------------------------------------------------------------ stopping a page's job

    def expect_job(self, session: str) -> None:
        """Give the job a page session is about to queue a stop signal of its own.

        Called before the job joins Gradio's queue, so that a Stop pressed
        while it waits for the render slot stops it, and one pressed too late
        for the session's previous job does not stop this one.
        """
        with self._stops_lock:
            self._stops[session] = threading.Event()

    @contextlib.contextmanager
    def job(self, session: str | None) -> Iterator[threading.Event]:
        """The stop signal to hand to :meth:`make_video` for a session's job, forgotten when the job ends.

        Without a session (a caller of the API), a signal nothing but the caller can set.
        """
        with self._stops_lock:
            signal = self._stops.setdefault(session, threading.Event()) if session else threading.Event()
        try:
            yield signal
        finally:
            with self._stops_lock:
                if session and self._stops.get(session) is signal:
                    del self._stops[session]

    def stop(self, session: str | None) -> bool:
        """Stop a session's job, waiting or running; it keeps none of its files.

        Returns
        -------
        bool
            Whether the session had a job to stop.
        """
        with self._stops_lock:
            signal = self._stops.get(session) if session else None
        if signal is None:
            return False
        signal.set()
        return True

    # ------------------------------------------------------------------ housekeeping

    @staticmethod
    def _check_size(path: str | os.PathLike, limit_mb: float, what: str) -> None:
        try:
            size_mb = os.path.getsize(path) / 1e6
        except OSError:
            raise SpeakerError(f"The uploaded {what} could not be read; upload it again.") from None
        if size_mb > limit_mb:
            raise SpeakerError(f"The {what} is {size_mb:.0f} MB; the limit is {limit_mb:g} MB.")

    def _new_job_folder(self) -> Path:
        """A folder of its own for one job's files (pruned with the rest after ``keep_minutes``)."""
        folder = self.root / f"job-{time.strftime('%H%M%S')}-{secrets.token_hex(3)}"
        folder.mkdir()
        return folder

    def _prune(self) -> None:
        """Delete the job folders older than ``keep_minutes``."""
        cutoff = time.time() - self.settings.keep_minutes * 60
        with self._lock:
            for folder in self.root.glob("job-*"):
                try:
                    if folder.stat().st_mtime < cutoff:
                        shutil.rmtree(folder, ignore_errors=True)
                except FileNotFoundError:
                    pass


def _named_as_uploaded(message: str, *uploads: str | os.PathLike | None) -> str:
    """``message`` with the server's copies of the uploads named as the user's files were
    (``/tmp/gradio/ffb4.../truncated.jpg`` -> ``truncated.jpg``: Gradio keeps the name)."""
    for upload in uploads:
        if upload:
            message = message.replace(str(upload), Path(upload).name)
    return message


def _safe_stem(path: str | os.PathLike) -> str:
    stem = Path(path).stem
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem).strip("-")
    return cleaned[:60] or "portrait"
