"""Streaming frames and speech into an H.264/AAC MP4 with the ffmpeg binary.

Frames go to ffmpeg's standard input one at a time as raw RGB, so memory
does not grow with the length of the video. The MP4 is written beside its
destination under a hidden temporary name and renamed into place only when
ffmpeg has finished: an interrupted or failed run leaves no partial file.
"""

from __future__ import annotations

import os
import queue
import subprocess
import tempfile
import threading
from fractions import Fraction
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..errors import SpeakerError
from ..files import partial_path
from ..timebase import n_frames as frames_for_duration

#: x264 speed/size trade-off; "veryfast" keeps encoding well below rendering time on 2 cores.
X264_PRESET = "veryfast"
#: x264 constant rate factor: about 20 looks clean on faces at portrait sizes.
X264_CRF = 20
AAC_BITRATE = "128k"
#: Segments of audio queued for the AAC encoder of :func:`write_video_segments`.
AUDIO_SEGMENTS_AHEAD = 2
#: Seconds to wait for ffmpeg to finish muxing after the last frame.
FINISH_TIMEOUT = 600.0
#: Lines of ffmpeg's error output quoted in an error message.
ERROR_TAIL_LINES = 8
#: ffmpeg messages that mean the user's disk or folder is at fault, not speaker.
_USER_FAULTS = ("No space left on device", "Permission denied", "Read-only file system", "Disk quota exceeded")


#: Names the MP4 the encoder writes may have (QuickTime takes MP4 as .mov).
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov")


def check_video_name(path: Path) -> None:
    """Raise :class:`SpeakerError` when ``path``'s suffix names a format other than MP4 (.gif, .avi, .webm).

    A name without a suffix is refused too: players and file managers would not know what it holds.
    """
    if not path.suffix:
        raise SpeakerError(f"Cannot write {path.name}: a video's name needs a suffix; name it {path.name}.mp4.")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise SpeakerError(f"Cannot write {path.name}: the video is an MP4 (H.264 with AAC sound); "
                           f"name it {path.with_suffix('.mp4').name}.")


def refuse_non_file(path: Path) -> None:
    """Raise :class:`SpeakerError` when the file to write, ``path``, exists as something other than a file.

    A folder, or a device, pipe or socket (``-o /dev/null``): files are written under a temporary
    name and renamed into place, which would replace a device with a plain file.
    """
    if path.is_dir():
        raise SpeakerError(f"Cannot write to {path}: it is a folder; give a file name such as {path / 'speaker.mp4'}.")
    if path.exists() and not path.is_file():
        raise SpeakerError(f"Cannot write to {path}: it is a device or a pipe, not a file; give a file name "
                           "such as speaker.mp4.")


def check_writable(path: str | Path) -> None:
    """Make sure a file can be written at ``path``, before any expensive work.

    Creates and deletes a hidden probe file in the destination folder.

    Raises
    ------
    SpeakerError
        ``path`` is a folder, its folder does not exist or is not a folder, or
        the folder cannot be written to.
    """
    path = Path(path).expanduser()
    refuse_non_file(path)
    folder = path.parent
    if not folder.exists():
        raise SpeakerError(f"Cannot write to {folder}: the folder does not exist.")
    if not folder.is_dir():
        raise SpeakerError(f"Cannot write to {folder}: it is not a folder.")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.write-test-"):
            pass
    except OSError as error:
        raise SpeakerError(f"Cannot write to {folder}: {error.strerror or error}.") from None


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    size: tuple[int, int],
    fps: float,
    samples: np.ndarray | None,
    sample_rate: int,
    n_frames: int | None = None,
) -> Path:
    """Encode frames and audio into an MP4 (H.264 yuv420p + AAC), atomically.

    Parameters
    ----------
    path : str or Path
        The MP4 to write (replaced if it exists).
    frames : iterable of np.ndarray, each shape (H, W, 3), uint8
        RGB frames, consumed one at a time (a generator is fine).
    size : (int, int)
        ``(W, H)`` in pixels, both even.
    fps : float
        Frames per second.
    samples : np.ndarray, shape (N,) or (N, C), float32, or None
        Audio in [-1, 1]; None or empty for a silent video without an audio stream.
    sample_rate : int
        Audio samples per second.
    n_frames : int, optional
        Exactly how many frames to write; by default
        ``speaker.timebase.n_frames(audio duration, fps)`` when there is audio
        (the video then lasts the audio within one frame), else every frame
        given. A shorter iterator has its last frame repeated; a longer one is
        not consumed past ``n_frames``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    SpeakerError
        The destination cannot be written (folder missing, read-only, disk full).
    ValueError
        Odd or mismatched frame size, or no frames at all.
    RuntimeError
        ffmpeg failed for another reason (its error output is quoted).
    """
    import imageio_ffmpeg
    import soundfile

    path = Path(path).expanduser()
    width, height = int(size[0]), int(size[1])
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"Video size must be positive and even (H.264 yuv420p), got {width}x{height}.")
    has_audio = samples is not None and len(samples) > 0
    if n_frames is None and has_audio:
        n_frames = frames_for_duration(len(samples) / float(sample_rate), fps)
    check_writable(path)

    partial = partial_path(path)
    with tempfile.TemporaryDirectory(prefix="speaker-encode-") as work:
        work_dir = Path(work)
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-r", _rate(fps), "-i", "-",
        ]  # fmt: skip
        if has_audio:
            audio_path = work_dir / "speech.wav"
            soundfile.write(audio_path, np.clip(np.asarray(samples, np.float32), -1.0, 1.0), int(sample_rate), subtype="FLOAT")
            command += ["-i", str(audio_path), "-map", "0:v:0", "-map", "1:a:0"]
            command += ["-c:a", "aac", "-b:a", AAC_BITRATE]
        command += [
            "-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(X264_CRF), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-f", "mp4", str(partial),
        ]  # fmt: skip
        error_log_path = work_dir / "ffmpeg.log"
        with open(error_log_path, "wb") as error_log:
            # Own session: a Ctrl-C reaches Python only, which then stops ffmpeg and cleans up.
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=error_log, start_new_session=True
            )
        try:
            written = _feed(process, frames, width, height, n_frames)
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass  # ffmpeg already exited; its exit code and log tell why
            code = process.wait(timeout=FINISH_TIMEOUT)
            if code != 0 or written == 0:
                _raise_ffmpeg_error(error_log_path, path, written)
            os.replace(partial, path)
        except BaseException:
            # Whatever happened (a frame generator raising, Ctrl-C, ffmpeg dying),
            # stop ffmpeg and leave nothing half-written behind.
            _stop(process)
            partial.unlink(missing_ok=True)
            raise
    return path


def _feed(process: subprocess.Popen, frames: Iterable[np.ndarray], width: int, height: int, n_frames: int | None) -> int:
    """Write RGB frames to ffmpeg's stdin as YUV 4:2:0; returns how many were written.

    The conversion is done here (BT.601 limited range, as ffmpeg's own): it
    costs the renderer's thread 0.5 ms a frame and saves the encoder, which
    shares the cores with speech, about 1.4 ms, and halves the bytes piped.
    """
    import cv2

    written = 0
    last: np.ndarray | None = None
    try:
        for frame in frames:
            if n_frames is not None and written >= n_frames:
                break
            frame = np.asarray(frame)
            if frame.shape != (height, width, 3):
                raise ValueError(f"Frame {written} has shape {frame.shape}, expected {(height, width, 3)}.")
            last = cv2.cvtColor(np.ascontiguousarray(frame, dtype=np.uint8), cv2.COLOR_RGB2YUV_I420)
            process.stdin.write(last.data)
            written += 1
        if n_frames is not None and last is not None:
            while written < n_frames:
                process.stdin.write(last.data)
                written += 1
    except BrokenPipeError:
        # ffmpeg has exited; its error output says why (reported by the caller).
        process.wait()
    if last is None:
        raise ValueError("No frames were given to encode.")
    return written


def _rate(fps: float) -> str:
    """Frame rate as ffmpeg's exact fraction (29.97002997 -> "30000/1001")."""
    rate = Fraction(fps).limit_denominator(1001)
    return f"{rate.numerator}/{rate.denominator}"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    try:
        process.stdin.close()
    except OSError:
        pass
    process.wait()


def _raise_ffmpeg_error(error_log_path: Path, path: Path, written: int) -> None:
    log = error_log_path.read_text(encoding="utf-8", errors="replace").strip()
    for fault in _USER_FAULTS:
        if fault in log:
            raise SpeakerError(f"Cannot write to {path.parent}: {fault.lower()}.")
    tail = "\n".join(log.splitlines()[-ERROR_TAIL_LINES:]) or "no error output"
    raise RuntimeError(f"ffmpeg failed after {written} frames writing {path}:\n{tail}")


def write_video_segments(
    path: str | Path,
    segments: Iterable[tuple[np.ndarray, Iterable[np.ndarray]]],
    size: tuple[int, int],
    fps: float,
    sample_rate: int,
) -> Path:
    """Encode a long video whose audio and frames arrive segment by segment, atomically.

    Memory does not grow with the length: each segment's audio streams into
    an AAC encoder (its own ffmpeg, fed from a thread) and its frames into a
    video-only MP4; when the last segment is done, one more ffmpeg pass
    copies both into ``path``.

    Parameters
    ----------
    path : str or Path
        The MP4 to write (replaced if it exists).
    segments : iterable of (np.ndarray, iterable of np.ndarray)
        ``(audio, frames)`` per segment in order: audio shape (N,), float32
        mono in [-1, 1]; frames (H, W, 3) uint8. Each segment's audio is
        written before its frames are drawn. The caller gives
        ``speaker.timebase.n_frames(total audio seconds, fps)`` frames in all.
    size : (int, int)
        ``(W, H)`` in pixels, both even.
    fps : float
    sample_rate : int
        Audio samples per second (the same for every segment).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    SpeakerError, ValueError, RuntimeError
        As :func:`write_video`.
    """
    path = Path(path).expanduser()
    check_writable(path)
    partial = partial_path(path)
    # The video-only file is as large as the result: it is kept beside it (the same disk, not a small
    # /tmp) under a hidden partial name, so that an interrupted run is seen and cleaned up like any other.
    video_path = partial.with_name(f"{partial.name}-video")
    with tempfile.TemporaryDirectory(prefix="speaker-encode-") as work:
        work_dir = Path(work)
        audio = _AudioEncoder(work_dir / "speech.m4a", sample_rate, work_dir / "audio.log", path)
        try:

            def frames() -> Iterator[np.ndarray]:
                for samples, segment_frames in segments:
                    audio.write(samples)
                    yield from segment_frames

            write_video(video_path, frames(), size=size, fps=fps, samples=None, sample_rate=sample_rate)
            audio_path = audio.finish()
            _mux(video_path, audio_path, partial, path, work_dir / "mux.log")
            os.replace(partial, path)
        except BaseException:
            audio.stop()
            partial.unlink(missing_ok=True)
            raise
        finally:
            video_path.unlink(missing_ok=True)
    return path


class _AudioEncoder:
    """An ffmpeg that encodes the speech to AAC while the frames are drawn, fed from a thread.

    Encoding a minute of speech takes ffmpeg's AAC encoder about 1.5 s of
    CPU; done after the last frame it was the tail of every run. Segments
    are queued (at most :data:`AUDIO_SEGMENTS_AHEAD`) and written by a thread,
    so the renderer never waits on the pipe.
    """

    def __init__(self, out: Path, sample_rate: int, error_log_path: Path, path: Path):
        import imageio_ffmpeg

        self.out, self.samples, self._log_path, self._path = out, 0, error_log_path, path
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                   "-f", "f32le", "-ar", str(int(sample_rate)), "-ac", "1", "-i", "-",
                   "-c:a", "aac", "-b:a", AAC_BITRATE, "-f", "mp4", str(out)]
        with open(error_log_path, "wb") as error_log:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=error_log, start_new_session=True)
        self._pending: queue.Queue = queue.Queue(maxsize=AUDIO_SEGMENTS_AHEAD)
        self._failed = threading.Event()
        self._thread = threading.Thread(target=self._feed, name="speaker-audio-encoder", daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        while (samples := self._pending.get()) is not None:
            if self._failed.is_set():
                continue  # drain, so that write() never blocks on a dead encoder
            try:
                self._process.stdin.write(samples.data)
            except (BrokenPipeError, OSError, ValueError):
                self._failed.set()
        try:
            self._process.stdin.close()
        except OSError:
            pass

    def write(self, samples: np.ndarray) -> None:
        """Queue one segment's audio, shape (N,), float32 mono in [-1, 1]."""
        samples = np.ascontiguousarray(np.clip(np.asarray(samples, np.float32).reshape(-1), -1.0, 1.0))
        if len(samples):
            self.samples += len(samples)
            self._pending.put(samples)

    def finish(self) -> Path | None:
        """Wait for the encoder; the AAC file, or None when no audio was given."""
        self._pending.put(None)
        self._thread.join()
        code = self._process.wait(timeout=FINISH_TIMEOUT)
        if code != 0:
            _raise_ffmpeg_error(self._log_path, self._path, -1)
        return self.out if self.samples > 0 else None

    def stop(self) -> None:
        """Stop the encoder after a failure elsewhere (the thread ends as its pipe breaks)."""
        _stop(self._process)
        self._failed.set()
        # Drop what is still queued, so that the end marker fits and the thread sees it.
        while True:
            try:
                self._pending.get_nowait()
            except queue.Empty:
                break
        self._pending.put_nowait(None)
        self._thread.join(timeout=5.0)


def _mux(video_path: Path, audio_path: Path | None, partial: Path, path: Path, error_log_path: Path) -> None:
    """Copy the video stream and the AAC audio (if any) into ``partial``; ffmpeg's errors name ``path``."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
               "-i", str(video_path)]
    if audio_path is not None:
        command += ["-i", str(audio_path), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "copy"]
    command += ["-c:v", "copy", "-movflags", "+faststart", "-f", "mp4", str(partial)]
    with open(error_log_path, "wb") as error_log:
        code = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=error_log, timeout=FINISH_TIMEOUT * 6).returncode
    if code != 0:
        _raise_ffmpeg_error(error_log_path, path, -1)
