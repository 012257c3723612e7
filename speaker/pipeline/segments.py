"""Speech that arrives in segments (a recording cut at pauses, a script sentence by sentence): animated, rendered and encoded one segment at a time, the motion cross-faded at each seam."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import SpeakerError
from ..settings import SpeakOptions
from ..timebase import n_frames
from ..types import Phone, Portrait, Speech, Track, Word
from .core import SpeakResult, _StageClock, _write_extras


#: Seconds over which the motion of consecutive speech segments is
#: cross-faded, so head, eyes and blinks run on across a seam without a reset.
SEAM_SECONDS = 2.0


def render_speech_segments(
    portrait: Portrait,
    segments: Iterator[tuple[float, Speech]],
    opts: SpeakOptions,
    clock: _StageClock,
    total_seconds: float | None = None,
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

    ``total_seconds``, the length of the whole where it is known (a recording),
    lets each segment's progress line say how far along it is, and the
    updates while frames are drawn say how many of the whole's frames are
    done (without it, how many seconds of video).

    Returns
    -------
    SpeakResult
        ``timing_source`` lists each distinct source of the segments, in order
        (see :func:`distinct_sources`).
    """
    from .. import motion, render, video

    fps = float(opts.fps)
    seam_frames = max(1, int(round(SEAM_SECONDS * fps)))
    renderer = render.Renderer(portrait, debug_overlay=opts.debug_overlay)
    keep_track = any(path is not None for path in (opts.export_track, opts.export_mouth_cues, opts.preview))
    state = {"emitted": 0, "duration": 0.0, "rate": None}
    sources: list[str] = []
    all_words: list[Word] = []
    kept: list[Track] = []
    render_seconds = [0.0]
    whole_frames = n_frames(total_seconds, fps) if total_seconds else None

    def draw(track: Track, first: int, stop: int) -> Iterator[np.ndarray]:
        if keep_track:
            kept.append(_track_slice(track, first, stop))
        for index in range(first, stop):
            began = time.perf_counter()
            frame = renderer.render(track.frame(index))
            render_seconds[0] += time.perf_counter() - began
            state["emitted"] += 1
            clock.frames_drawn(state["emitted"], whole_frames, fps)
            yield frame

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
            whole = f" of {total_seconds:.0f} s" if total_seconds else " of speech"
            began = clock.start("motion", f"segment {index + 1}, {offset:.0f}-{offset + speech.duration:.0f} s"
                                          f"{whole} at {fps:g} fps")
            track = motion.animate(joined, portrait, fps=fps, style=opts.motion, scale=opts.motion_scale,
                                   seed=opts.seed + index)
            clock.stop("motion", began)
            if held is not None:
                track = _cross_fade(held, track, portrait.landmarks)
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
        face_index=portrait.face_index,
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


def _cross_fade(held: Track, track: Track, neutral: np.ndarray) -> Track:
    """``track`` whose first ``len(held)`` frames fade from ``held`` into its own (raised cosine).

    The eyelid is the larger of the two instead, so that blinks in the seam
    shut fully, and the eyes' landmarks follow that eyelid (``neutral``: the
    portrait's landmarks, (68, 2) pixels): faded, they closed a blink only
    part way while the eyelid said shut.
    """
    from ..motion.landmarks import with_eyelids

    count = min(len(held), len(track))
    weight = 0.5 - 0.5 * np.cos(np.pi * (np.arange(count) + 0.5) / count)

    def fade(old: np.ndarray, new: np.ndarray) -> np.ndarray:
        shape = (count,) + (1,) * (new.ndim - 1)
        mixed = new.copy()
        mixed[:count] = (1.0 - weight.reshape(shape)) * old[:count] + weight.reshape(shape) * new[:count]
        return mixed.astype(new.dtype, copy=False)

    def blinks_kept(old: np.ndarray, new: np.ndarray) -> np.ndarray:
        # A blink is not faded: mixed, a blink in the seam of either track
        # became a twitch that never shut (peak closure 0.1-0.85).
        kept = new.copy()
        kept[:count] = np.maximum(old[:count], new[:count])
        return kept

    eyelid = blinks_kept(held.eyelid, track.eyelid)
    return Track(
        fps=track.fps,
        landmarks=with_eyelids(fade(held.landmarks, track.landmarks), neutral, eyelid),
        head_pose=fade(held.head_pose, track.head_pose),
        articulation=fade(held.articulation, track.articulation),
        eyelid=eyelid,
        image_size=track.image_size,
        words=list(track.words),
        gaze=fade(held.gaze, track.gaze),
    )


def distinct_sources(sources: list[str]) -> list[str]:
    """The timing sources of a recording's segments, each once, in order of first use, with what
    happened in some of their segments in brackets.

    Per-segment counts (``", 1 of 6 stretches spread"``, ``"... in 2 word-less
    stretches"``) are left out, so an hour's 120 segments give a line, not a
    page; the warnings give the counts and times.

    >>> distinct_sources(["whisper+pocketsphinx-align", "whisper+pocketsphinx-align, 1 of 6 stretches spread",
    ...                   "whisper+pocketsphinx-align, audio model in 2 word-less stretches", "piper"])
    ['whisper+pocketsphinx-align (some stretches spread; audio model in word-less stretches)', 'piper']
    """
    import re

    notes: dict[str, dict[str, None]] = {}
    for source in sources:
        label = re.sub(r"\b\d+ of \d+ stretches", "some stretches", re.sub(r" in \d+ word-less", " in word-less", source))
        base, *extras = label.split(", ")
        notes.setdefault(base, {}).update(dict.fromkeys(extras))
    return [f"{base} ({'; '.join(extras)})" if extras else base for base, extras in notes.items()]


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
        from ..types import ArticulationCurve

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
