"""Speed and memory of the whole pipeline, stage by stage.

For about 10 s and 60 s of speech on a 512x512 portrait at 25 fps, each run
in a fresh process: wall seconds per stage, total seconds per second of audio,
peak memory (resident set of the Python process; the ffmpeg encoder is a
separate process whose memory does not depend on the length), rendering alone in frames per second, and the time of
encoding the same number of frames alone (the floor a renderer cannot beat).

With ``--recording-minutes``, the same for a user's long recording without
a transcript (recognition, alignment, streaming in segments): the recording
is built from the real speech clips of the shared media (``clips_dev`` speech
clips, LibriSpeech, GRID) repeated with short pauses, at 16 kHz. With
``--with-transcript`` as well, the recording is GRID s1's 60 sentences
repeated, lip-synced with their transcript (``--transcript``).

Usage::

    python scripts/benchmark.py [--durations 10 60] [--voice heart] [--json bench.json]
    python scripts/benchmark.py --recording-minutes 1 60 [--media /work/shared/media]
    python scripts/benchmark.py --recording-minutes 1 10 --with-transcript
    python scripts/benchmark.py --cli --durations 20 [--repeat 3] [--voice heart]

With ``--cli``, the ``speaker`` command as a user runs it, from a cold start
(interpreter, imports, models): wall and CPU seconds (the process and its
encoder) per second of audio, each run ``--repeat`` times.

``--voice`` picks the preset that reads the (English) script; ``wall s/s`` is
the speak() call's wall-clock time and ``cpu s/s`` its CPU time (both cores),
per second of audio.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SENTENCES = [
    "Four score and seven years ago our fathers brought forth on this continent a new nation.",
    "It was conceived in liberty, and dedicated to the proposition that all men are created equal.",
    "Now we are engaged in a great civil war, testing whether that nation can long endure.",
    "We are met on a great battlefield of that war, to dedicate a portion of that field.",
    "The world will little note, nor long remember what we say here, but it can never forget what they did here.",
    "Museums keep the memory of people who can no longer speak for themselves.",
    "A portrait that speaks invites the visitor to listen a little longer.",
]
WORDS_PER_SECOND = 3.2


def script_for(seconds: float) -> str:
    words_wanted = seconds * WORDS_PER_SECOND
    sentences, words = [], 0
    while words < words_wanted:
        sentence = SENTENCES[len(sentences) % len(SENTENCES)]
        sentences.append(sentence)
        words += len(sentence.split())
    return " ".join(sentences)


def portrait_512(folder: Path) -> Path:
    import cv2

    from speaker.cli import demo_portrait_path

    image = cv2.imread(str(demo_portrait_path()))
    top = (image.shape[0] - 512) // 2
    path = folder / "portrait_512.png"
    cv2.imwrite(str(path), image[top:top + 512, :512])
    return path


def run_case(seconds: float, folder: Path, voice: str = "default") -> dict:
    """One case, in this process (called in a fresh child by :func:`main`)."""
    import speaker
    from speaker import face, motion, render, speech, video
    from speaker.settings import load_voice_preset

    image = portrait_512(folder)
    began_wall, began_cpu = time.perf_counter(), time.process_time()
    result = speaker.speak(image, text=script_for(seconds), out=folder / "bench.mp4", subtitles=False, voice=voice)
    wall, cpu = time.perf_counter() - began_wall, time.process_time() - began_cpu
    figures = {
        "voice": voice,
        "wall_seconds_per_audio_second": wall / result.audio_seconds,
        "cpu_seconds_per_audio_second": cpu / result.audio_seconds,
        "audio_seconds": result.audio_seconds,
        "frames": result.frames,
        "stage_seconds": result.stage_seconds,
        "total_seconds": sum(result.stage_seconds.values()),
        "seconds_per_audio_second": result.seconds_per_audio_second,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }

    # Rendering alone, on a track of the same length.
    pixels, grayscale = face.load_image(image)
    portrait = face.find_portrait(pixels, grayscale)
    spoken = speech.synthesize(script_for(min(seconds, 10)), load_voice_preset("default"))
    track = motion.animate(spoken, portrait, fps=25.0)
    renderer = render.Renderer(portrait)
    started = time.perf_counter()
    for index in range(len(track)):
        renderer.render(track.frame(index))
    figures["render_only_fps"] = len(track) / (time.perf_counter() - started)

    # Encoding alone: the same number of frames, a small changing patch on the portrait.
    def frames():
        for index in range(result.frames):
            frame = portrait.image.copy()
            frame[200:260, 220:300] = (index * 7) % 256
            yield frame

    samples = np.zeros(int(result.audio_seconds * 22050), np.float32)
    started = time.perf_counter()
    video.write_video(folder / "floor.mp4", frames(), size=portrait.size, fps=25.0,
                      samples=samples, sample_rate=22050, n_frames=result.frames)
    figures["encode_only_seconds"] = time.perf_counter() - started
    return figures


#: Real speech clips of the shared media used to build long recordings.
SPEECH_CLIPS = ("clips_dev/lrs3_*.mp4", "clips_dev/mead_*.mp4", "clips_dev/astorfi_sample.mp4",
                "audio/*.flac", "clips/grid_*.mpg")
RECORDING_RATE = 16000
PAUSE_SECONDS = 0.4


def media_folder(given: Path | None) -> Path:
    """The shared media: ``--media``, else ``../shared/media`` beside the repository, else /work/shared/media."""
    for folder in ([given] if given else []) + [REPO.parent / "shared" / "media", Path("/work/shared/media")]:
        if folder is not None and folder.is_dir():
            return folder
    raise SystemExit("The shared media folder was not found; pass --media.")


def build_recording(minutes: float, path: Path, media: Path) -> Path:
    """A FLAC of ``minutes`` of real speech: the shared clips one after another, repeated, 0.4 s apart."""
    import soundfile

    from speaker.timing import load_audio, resample

    clips = []
    for pattern in SPEECH_CLIPS:
        for clip in sorted(media.glob(pattern)):
            samples, rate = load_audio(clip)
            clips.append(resample(samples, rate, RECORDING_RATE))
    pause = np.zeros(int(PAUSE_SECONDS * RECORDING_RATE), np.float32)
    wanted, written = int(minutes * 60 * RECORDING_RATE), 0
    with soundfile.SoundFile(str(path), "w", samplerate=RECORDING_RATE, channels=1, format="FLAC") as out:
        while written < wanted:
            for clip in clips:
                piece = np.concatenate([clip, pause])[: wanted - written]
                out.write(piece)
                written += len(piece)
                if written >= wanted:
                    break
    return path


def build_transcribed_recording(minutes: float, path: Path, media: Path) -> tuple[Path, str]:
    """A FLAC of ``minutes`` of GRID s1 sentences one after another, repeated, 0.4 s apart, and its transcript."""
    import soundfile

    from speaker.timing import load_audio, resample

    sentences = []
    for clip in sorted((media / "grid_s1").glob("*.mpg")):
        words = [line.split()[2] for line in clip.with_suffix(".align").read_text().splitlines()
                 if len(line.split()) == 3 and line.split()[2] not in ("sil", "sp")]
        samples, rate = load_audio(clip)
        sentences.append((resample(samples, rate, RECORDING_RATE), " ".join(words)))
    pause = np.zeros(int(PAUSE_SECONDS * RECORDING_RATE), np.float32)
    wanted, written, said = int(minutes * 60 * RECORDING_RATE), 0, []
    with soundfile.SoundFile(str(path), "w", samplerate=RECORDING_RATE, channels=1, format="FLAC") as out:
        while written < wanted:
            for samples, text in sentences:
                if wanted - written < len(samples):
                    written = wanted
                    break
                out.write(np.concatenate([samples, pause]))
                written += len(samples) + len(pause)
                said.append(text)
    return path, ". ".join(said) + "."


def _cpu_seconds() -> float:
    """CPU seconds (user + system, all threads) of this process and its finished children (the encoder)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_recording_case(minutes: float, folder: Path, media: Path, with_transcript: bool = False) -> dict:
    """A recording of ``minutes`` lip-synced (without transcript, or with one), in this process (a fresh child)."""
    import speaker

    transcript = None
    if with_transcript:
        recording, transcript = build_transcribed_recording(minutes, folder / "recording.flac", media)
    else:
        recording = build_recording(minutes, folder / "recording.flac", media)
    image = portrait_512(folder)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    result = speaker.speak(image, audio=recording, transcript=transcript, out=folder / "bench.mp4")
    return {
        "audio_seconds": result.audio_seconds,
        "frames": result.frames,
        "stage_seconds": result.stage_seconds,
        "wall_seconds": time.perf_counter() - started,
        "cpu_seconds_per_audio_second": (_cpu_seconds() - cpu_before) / result.audio_seconds,
        "seconds_per_audio_second": result.seconds_per_audio_second,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_run_mb": rss_before,
        "timing_source": result.timing_source,
        "warnings": len(result.warnings),
        "words": sum(1 for line in (folder / "bench.srt").read_text().splitlines() if "-->" in line),
    }


def cli_main(args) -> int:
    """Time the ``speaker`` command from a cold start for each duration."""
    import shutil

    from speaker.video import probe

    command = shutil.which("speaker")
    if command is None:
        print("The speaker command is not on PATH; install the project with pip install -e .", file=sys.stderr)
        return 1
    print(f"voice {args.voice}, speaker command from a cold start, {args.repeat} run(s) each")
    print(f"{'speech s':>9}{'wall s':>8}{'wall s/s':>9}{'cpu s/s':>8}   (every run: wall s/s)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        image = portrait_512(folder)
        for seconds in args.durations:
            runs = []
            for _ in range(args.repeat):
                out = folder / "cli.mp4"
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                began = time.perf_counter()
                done = subprocess.run([command, "--image", str(image), "--text", script_for(seconds), "-o", str(out),
                                       "--voice", args.voice, "--quiet"], capture_output=True, text=True)
                wall = time.perf_counter() - began
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if done.returncode != 0:
                    print(done.stderr.strip(), file=sys.stderr)
                    return 1
                audio = probe(out)["audio_duration"]
                cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
                runs.append((wall, cpu, audio))
            wall, cpu, audio = sorted(runs)[len(runs) // 2]
            every = " ".join(f"{run[0] / run[2]:.2f}" for run in runs)
            print(f"{audio:>9.1f}{wall:>8.2f}{wall / audio:>9.2f}{cpu / audio:>8.2f}   ({every})")
    return 0


def recording_main(args) -> int:
    media = media_folder(args.media)
    results = {}
    for minutes in args.recording_minutes:
        command = [sys.executable, __file__, "--child-recording", str(minutes), "--media", str(media)]
        done = subprocess.run(command + (["--with-transcript"] if args.with_transcript else []),
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        results[minutes] = json.loads(done.stdout.strip().splitlines()[-1])
    stages = ["face", "timing", "motion", "render", "encode"]
    print(f"{'audio s':>9}{'frames':>8}" + "".join(f"{s:>8}" for s in stages)
          + f"{'wall':>8}{'s/s':>7}{'cpu s/s':>8}{'peak MB':>9}")
    for figures in results.values():
        cells = "".join(f"{figures['stage_seconds'].get(s, 0.0):>8.1f}" for s in stages)
        print(f"{figures['audio_seconds']:>9.1f}{figures['frames']:>8}{cells}{figures['wall_seconds']:>8.1f}"
              f"{figures['seconds_per_audio_second']:>7.2f}{figures['cpu_seconds_per_audio_second']:>8.2f}"
              f"{figures['peak_rss_mb']:>9.0f}")
    print("s/s: wall seconds of the stages per audio second; cpu s/s: CPU seconds of all threads and the encoder"
          + ("; with the transcript, timed by " + next(iter(results.values()))["timing_source"]
             if args.with_transcript and results else ""))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--durations", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--voice", default="default", help="voice preset reading the script (default: default)")
    parser.add_argument("--recording-minutes", type=float, nargs="+",
                        help="benchmark recordings of these lengths (minutes) without transcript instead")
    parser.add_argument("--media", type=Path, help="the shared media folder (default ../shared/media)")
    parser.add_argument("--with-transcript", action="store_true",
                        help="with --recording-minutes: GRID s1 sentences lip-synced with their transcript")
    parser.add_argument("--cli", action="store_true", help="time the speaker command from a cold start instead")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each duration with --cli (default 3)")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--child-recording", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child_recording is not None:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run_recording_case(args.child_recording, Path(tmp), args.media, args.with_transcript)))
        return 0
    if args.recording_minutes:
        return recording_main(args)

    if args.cli:
        return cli_main(args)
    if args.child is not None:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run_case(args.child, Path(tmp), args.voice)))
        return 0

    print(f"voice {args.voice}")
    results = {}
    for seconds in args.durations:
        done = subprocess.run([sys.executable, __file__, "--child", str(seconds), "--voice", args.voice],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr.strip().splitlines()[-1], file=sys.stderr)
            return 1
        results[seconds] = json.loads(done.stdout.strip().splitlines()[-1])

    stages = ["face", "speech", "motion", "render", "encode"]
    print(f"{'speech s':>9}{'frames':>8}" + "".join(f"{s:>8}" for s in stages)
          + f"{'total':>8}{'s/s':>7}{'wall s/s':>9}{'cpu s/s':>8}{'peak MB':>9}{'render fps':>11}{'enc only':>9}")
    for figures in results.values():
        cells = "".join(f"{figures['stage_seconds'].get(s, 0.0):>8.2f}" for s in stages)
        print(f"{figures['audio_seconds']:>9.1f}{figures['frames']:>8}{cells}{figures['total_seconds']:>8.2f}"
              f"{figures['seconds_per_audio_second']:>7.2f}{figures['wall_seconds_per_audio_second']:>9.2f}"
              f"{figures['cpu_seconds_per_audio_second']:>8.2f}{figures['peak_rss_mb']:>9.0f}"
              f"{figures['render_only_fps']:>11.1f}"
              f"{figures['encode_only_seconds']:>9.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
