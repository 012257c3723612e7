"""Long recordings in pieces: read, recognise and time audio without holding it all in memory.

>>> with open_audio("talk.mp3") as audio:
...     heard = recognize_audio(audio)              # words of the whole hour, window by window
...     for offset, speech in timed_segments(audio, heard.words, heard.language):
...         ...                                      # about 30 s each, cut in pauses

Formats libsndfile reads (wav, flac, ogg...) are read in place by seeking;
anything else is decoded once by ffmpeg into a temporary WAV file that is
then read the same way.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np

from ..errors import SpeakerError, warn
from ..types import Speech, Word
from .audio import FFMPEG_TIMEOUT, MIN_DURATION, SILENT_PEAK, SILENT_RMS, SOUNDFILE_SUFFIXES, _probe_sample_rate
from .core import Transcription, load_backend, load_recognizer
from .recognized import is_english, no_speech_error, timeline_from_words

#: Audio given to the recogniser at a time (s). Whisper hears 30 s windows;
#: faster-whisper's voice-activity filter drops the pauses first and packs the
#: speech of the whole piece into those windows, so a long piece fills them
#: where 28 s pieces left each a third empty (a 5-minute recording of the
#: shared clips: 14 instead of 18 encoder passes, recognition 0.20 instead of
#: 0.23 CPU s per audio second). The piece (16 kHz float32, 7.7 MB, and its
#: features) is the same for any length of recording.
RECOGNITION_WINDOW = 120.0
#: Windows are cut at the quietest 20 ms within this many seconds before their end.
CUT_SEARCH = 4.0
#: Target length of an animated segment (s); cut in the longest pause between
#: recognised words in the last :data:`SEGMENT_SEARCH` seconds before it.
SEGMENT_SECONDS = 30.0
SEGMENT_SEARCH = 10.0
#: Samples read at a time when scanning the whole file.
SCAN_SECONDS = 10.0
#: Default recogniser.
RECOGNIZER = "whisper"

LipsyncMethod = Literal["auto", "phones", "audio-model"]


class AudioFile:
    """A mono recording read in pieces: ``read(start, stop)`` in samples.

    Use :func:`open_audio` for a file, :meth:`from_samples` for audio already in memory.
    """

    def __init__(self, sound_file, sample_rate: int, n_samples: int, cleanup: Path | None = None,
                 samples: np.ndarray | None = None, name: str = "") -> None:
        self._file = sound_file
        self._samples = samples
        self._cleanup = cleanup
        self.sample_rate = int(sample_rate)
        self.n_samples = int(n_samples)
        self.name = name

    @classmethod
    def from_samples(cls, samples: np.ndarray, sample_rate: int, name: str = "") -> "AudioFile":
        """Audio held in memory, seen through the same interface."""
        samples = np.asarray(samples, np.float32).reshape(-1)
        return cls(None, sample_rate, len(samples), samples=samples, name=name)

    @property
    def duration(self) -> float:
        """Seconds of audio."""
        return self.n_samples / float(self.sample_rate)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)``, shape (stop - start,), float32 mono in [-1, 1]."""
        start, stop = max(0, int(start)), min(self.n_samples, int(stop))
        if stop <= start:
            return np.zeros(0, np.float32)
        if self._samples is not None:
            return self._samples[start:stop]
        try:
            self._file.seek(start)
            data = self._file.read(stop - start, dtype="float32", always_2d=True)
        except RuntimeError as error:  # libsndfile's errors (a FLAC cut short "lost sync")
            raise SpeakerError(f"Cannot read audio from {self.name or 'the recording'}: the file is damaged "
                               f"({str(error).strip().rstrip('.')}).") from None
        return np.clip(np.nan_to_num(data.mean(axis=1, dtype=np.float32)), -1.0, 1.0)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._cleanup is not None:
            shutil.rmtree(self._cleanup, ignore_errors=True)
            self._cleanup = None

    def __enter__(self) -> "AudioFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_audio(path: str | Path) -> AudioFile:
    """Open a user's recording for reading in pieces, and check it is usable.

    Raises
    ------
    SpeakerError
        Missing or undecodable file, shorter than :data:`~speaker.timing.audio.MIN_DURATION`, or silent.
    """
    import soundfile

    path = Path(path)
    if not path.is_file():
        raise SpeakerError(f"The audio file {path} does not exist.")
    work: Path | None = None
    sound_file = None
    if path.suffix.lower() in SOUNDFILE_SUFFIXES:
        try:
            sound_file = soundfile.SoundFile(str(path))
        except Exception:  # libsndfile raises several types for formats it lacks
            sound_file = None
    if sound_file is None:
        work = Path(tempfile.mkdtemp(prefix="speaker-audio-"))
        try:
            sound_file = soundfile.SoundFile(str(_decode_to_wav(path, work / "audio.wav")))
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    audio = AudioFile(sound_file, sound_file.samplerate, sound_file.frames, cleanup=work, name=str(path))
    try:
        _check_usable(audio, path)
    except BaseException:
        audio.close()
        raise
    return audio


def _decode_to_wav(path: Path, wav: Path) -> Path:
    """ffmpeg decodes the first audio stream straight to a mono 16-bit WAV file (no memory held)."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    sample_rate = _probe_sample_rate(ffmpeg, path)
    if sample_rate is None:
        raise SpeakerError(f"Cannot read audio from {path}: it is not a supported audio or video file, or it has no sound.")
    command = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-vn", "-map", "0:a:0",
               "-ac", "1", "-ar", str(sample_rate), "-c:a", "pcm_s16le", "-f", "wav", "-rf64", "auto", str(wav)]
    result = subprocess.run(command, capture_output=True, timeout=FFMPEG_TIMEOUT * 6)
    if result.returncode != 0 or not wav.is_file() or wav.stat().st_size <= 44:
        raise SpeakerError(f"Cannot read audio from {path}: ffmpeg could not decode it (corrupt or unsupported file).")
    return wav


def _check_usable(audio: AudioFile, path: Path) -> None:
    if audio.duration < MIN_DURATION:
        raise SpeakerError(f"The audio in {path} lasts {audio.duration:.2f} s; give at least {MIN_DURATION} s of speech.")
    step = int(SCAN_SECONDS * audio.sample_rate)
    peak, energy = 0.0, 0.0
    for start in range(0, audio.n_samples, step):
        block = audio.read(start, start + step)
        peak = max(peak, float(np.max(np.abs(block))) if len(block) else 0.0)
        energy += float(np.sum(np.square(block, dtype=np.float64)))
    if peak < SILENT_PEAK or np.sqrt(energy / max(1, audio.n_samples)) < SILENT_RMS:
        raise SpeakerError(f"The audio in {path} is silent; give a recording with speech in it.")


def quiet_cut(samples: np.ndarray, sample_rate: int, search_seconds: float = CUT_SEARCH) -> int:
    """Index of the quietest 20 ms in the last ``search_seconds`` of ``samples`` (where to cut)."""
    hop = max(1, int(0.02 * sample_rate))
    begin = max(0, len(samples) - int(search_seconds * sample_rate))
    window = samples[begin:]
    count = len(window) // hop
    if count < 2:
        return len(samples)
    energy = np.mean(np.square(window[: count * hop].reshape(count, hop), dtype=np.float64), axis=1)
    return begin + int(np.argmin(energy)) * hop + hop // 2


def recognize_audio(audio: AudioFile, language: str | None = None, recognizer: str = RECOGNIZER,
                    on_window=None) -> Transcription:
    """Words of the whole recording, recognised piece by piece (about 2 minutes each, cut at quiet moments).

    Parameters
    ----------
    audio : AudioFile
    language : str or None
        ISO 639-1 hint; None detects it on the first window with speech and
        keeps it for the rest (one language per recording).
    recognizer : str
        Name of the recogniser (see :data:`speaker.timing.core.RECOGNIZERS`).
    on_window : callable, optional
        ``on_window(seconds_done, seconds_total)`` after each window (progress).

    Returns
    -------
    Transcription
        Words with times in seconds from the start of the recording.
    """
    model = load_recognizer(recognizer)
    limit = int(RECOGNITION_WINDOW * audio.sample_rate)
    words: list[Word] = []
    detected, probability = language, 1.0
    start = 0
    while start < audio.n_samples:
        samples = audio.read(start, start + limit)
        if start + len(samples) < audio.n_samples:
            samples = samples[: quiet_cut(samples, audio.sample_rate)]
        heard = model.transcribe(samples, audio.sample_rate, language=detected)
        offset = start / float(audio.sample_rate)
        words += [Word(w.text, w.start + offset, w.end + offset) for w in heard.words]
        if detected is None and heard.words:
            detected, probability = heard.language, heard.language_probability
        elif language is not None and heard.words and len(words) == len(heard.words):
            _check_language_given(model, samples, audio.sample_rate, language)
        start += max(1, len(samples))
        if on_window is not None:
            on_window(min(start, audio.n_samples) / float(audio.sample_rate), audio.duration)
    return Transcription(words=words, language=detected or "en", language_probability=probability)


#: A language given that the recording does not sound like is told when the recogniser hears another this surely.
OTHER_LANGUAGE_PROBABILITY = 0.8


def _check_language_given(model, samples: np.ndarray, sample_rate: int, language: str) -> None:
    """Tell the user when the first speech of a recording sounds surely like another language than
    the one given: its words were heard as the language given, and read wrong."""
    sounds = model.language_of(samples, sample_rate)
    if sounds is None:
        return
    heard, probability = sounds
    given = language.lower().replace("_", "-").split("-")[0]
    if heard != given and probability >= OTHER_LANGUAGE_PROBABILITY:
        warn(f"The recording sounds like '{heard}' ({probability:.0%} sure), not '{language}' as given; its words "
             f"were heard as '{language}', so the subtitles may be wrong: leave out --language to have it detected.")


def segment_bounds(audio: AudioFile, words: list[Word], seconds: float | None = None) -> list[tuple[int, int]]:
    """Where to cut the recording into segments to animate: ``[start, stop)`` sample ranges in order.

    Each cut is in the middle of the longest pause between words within
    :data:`SEGMENT_SEARCH` seconds before ``seconds`` after the previous cut
    (no word is cut), or, where no word was heard, at a quiet moment.
    ``seconds`` defaults to :data:`SEGMENT_SECONDS`.
    """
    seconds = SEGMENT_SECONDS if seconds is None else seconds
    search = min(SEGMENT_SEARCH, seconds / 2)
    rate = audio.sample_rate
    bounds: list[tuple[int, int]] = []
    start = 0
    while audio.n_samples - start > int(seconds * rate):
        begin, limit = start / rate, start / rate + seconds
        near = [w for w in words if w.end > limit - search and w.start < limit]
        gaps = [((a.end + b.start) / 2, b.start - a.end) for a, b in zip(near, near[1:]) if b.start > a.end]
        if len(near) >= 2 and gaps:
            cut = int(max(gaps, key=lambda gap: gap[1])[0] * rate)
        elif not near:
            window = audio.read(int((limit - search) * rate), int(limit * rate))
            cut = int((limit - search) * rate) + quiet_cut(window, rate, search)
        else:  # one long word across the whole search window: cut after it
            cut = int(min(near[-1].end, begin + seconds + search) * rate)
        cut = min(max(cut, start + rate), audio.n_samples)
        bounds.append((start, cut))
        start = cut
    bounds.append((start, audio.n_samples))
    return bounds


def time_segment(samples: np.ndarray, sample_rate: int, words: list[Word], language: str,
                 method: LipsyncMethod = "auto", offset: float = 0.0) -> Speech:
    """The timeline of one segment of a recording without a transcript, from its recognised words.

    Parameters
    ----------
    samples : np.ndarray, shape (N,), float32
    sample_rate : int
    words : list of Word
        Recognised words inside the segment, seconds from its start.
    language : str
        ISO 639-1 code.
    method : {"auto", "phones", "audio-model"}
        ``"auto"``: recognised words aligned (English) or spread (others),
        and the audio model inside speech where no word was recognised;
        ``"phones"``: pocketsphinx phone recognition; ``"audio-model"``: the
        audio-to-articulation network. The words are kept in every case (subtitles).
    offset : float
        Seconds from the start of the recording to the segment (for warnings).
    """
    if method == "auto":
        from .wordless import voice_activity, with_audio_model_where_wordless

        # One voice-activity pass: it trims spread word spans and finds the word-less speech.
        activity = voice_activity(samples, sample_rate)
        timed = timeline_from_words(samples, sample_rate, words, language, recognizer=RECOGNIZER, offset=offset,
                                    activity=activity)
        return with_audio_model_where_wordless(timed, offset, activity=activity)
    if method == "phones":
        if not is_english(language):
            warn(f"Phone recognition knows only English, and the speech is in '{language}'; "
                 "the mouth may be timed poorly (lipsync 'auto' spreads the recognised words).")
        return load_backend("pocketsphinx").recognize(samples, sample_rate).with_timings(words=list(words))
    if method == "audio-model":
        from .audio_model import predict_articulation

        curve = predict_articulation(samples, int(sample_rate))
        return Speech(samples=samples, sample_rate=int(sample_rate), words=list(words), articulation=curve,
                      phones=[], source="audio-model")
    raise SpeakerError(f"Unknown lip-sync method '{method}'; use 'auto', 'phones' or 'audio-model'.")


def timed_segments(audio: AudioFile, words: list[Word], language: str, method: LipsyncMethod = "auto",
                   seconds: float | None = None) -> Iterator[tuple[float, Speech]]:
    """The recording as timed segments of about ``seconds`` (default :data:`SEGMENT_SECONDS`) each, read and timed one at a time.

    Yields
    ------
    offset : float
        Seconds from the start of the recording to the segment's first sample.
    speech : Speech
        The segment's audio, words and timeline (times from its own start).
        Consecutive segments are contiguous: each starts where the last ended.
    """
    rate = audio.sample_rate
    for start, stop in segment_bounds(audio, words, seconds):
        begin, end = start / float(rate), stop / float(rate)
        inside = [Word(w.text, max(0.0, w.start - begin), min(end, w.end) - begin)
                  for w in words if w.start >= begin - 1e-6 and w.start < end]
        yield begin, time_segment(audio.read(start, stop), rate, inside, language, method, offset=begin)


def refuse_without_speech(transcription: Transcription, where: str) -> None:
    """Raise the one no-speech sentence when the recogniser heard nothing at all."""
    if not transcription.words:
        raise no_speech_error(where)
