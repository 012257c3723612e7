"""Command line: flags become settings, ``SpeakerError`` becomes one line.

This module imports nothing heavy, so ``speaker --help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from . import __version__
from .errors import SpeakerError, invalid_setting, warn
from .files import read_text_file, transcript_text

DEMO_LINE = (
    "Hello! I am Grace Hopper. I wrote one of the first compilers, "
    "and I still say: the most dangerous phrase in the language is, we've always done it this way."
)
#: The demo's voice: an American woman (Kokoro af_heart).
DEMO_VOICE = "heart"

EXAMPLES = """\
examples:
  speaker demo
  speaker --image lincoln.jpg --text "Four score and seven years ago..." -o lincoln.mp4
  speaker --image lincoln.jpg --text-file script.txt --voice orator -o out.mp4
  speaker --image lincoln.jpg --audio narration.flac --transcript narration.txt -o out.mp4
  speaker --image goethe.jpg --audio rede.mp3 --language de -o goethe.mp4
  speaker --image luxun.jpg --language zh --text "世上本没有路，走的人多了，也便成了路。" -o luxun.mp4
  speaker faces --image group.jpg -o faces.png   # the faces, numbered as --face counts them
  speaker --image group.jpg --face 1 --text "I'm the one on the right." -o right.mp4
  speaker --image photo.jpg --text "Hi" -o hi.mp4 --export-track hi.json --export-mouth-cues hi.tsv
  speaker render --image photo.jpg --track hi.json --audio hi.wav -o edited.mp4
  speaker --image photo.jpg --drive performer.mp4 -o performed.mp4 --export-track performed.json
  speaker animate --image photo.jpg --seconds 10 -o alive.mp4
  speaker dialogue --image couple.jpg --script scene.txt -o scene.mp4
  speaker voices [--json]
  speaker batch exhibits.csv --jobs 2
  speaker web
"""


def _speak_arguments(parser: argparse.ArgumentParser, image_required: bool = True) -> None:
    source = parser.add_argument_group("what to say (one of)")
    source.add_argument("--text", help="the words to say")
    source.add_argument("--text-file", type=Path, metavar="FILE", help="read the words from a UTF-8 text file")
    source.add_argument("--audio", type=Path, metavar="FILE", help="lip-sync this recording (wav, flac, mp3, ogg, m4a)")
    source.add_argument("--drive", type=Path, metavar="VIDEO",
                        help="perform what the person in this video does (its sound is muxed unless --audio is given)")
    source.add_argument(
        "--transcript", metavar="FILE_OR_TEXT",
        help="what is said in --audio (a text file or the words); improves lip sync",
    )
    parser.add_argument("--image", type=Path, required=image_required, metavar="FILE", help="the portrait to animate")
    parser.add_argument("-o", "--out", type=_file_name, default=Path("speaker.mp4"), metavar="FILE",
                        help="the MP4 to write (default: %(default)s)")
    look = parser.add_argument_group("voice and motion")
    look.add_argument("--voice", help="voice preset name or .toml path (see 'speaker voices'; default: 'default', "
                                      "the Mandarin voice for text in Chinese characters, or with --language "
                                      "the language's default voice)")
    look.add_argument("--motion", choices=["still", "calm", "lively"], default="calm", help="head motion (default: calm)")
    look.add_argument("--motion-scale", type=float, default=1.0, metavar="X", help="multiply head motion by X")
    look.add_argument("--fps", type=float, help="frames per second (default: 25, or the --drive video's)")
    look.add_argument("--seed", type=int, default=0, help="same inputs and seed give the same frames")
    look.add_argument("--face", type=int, metavar="N", help="which face to animate, counting left to right from 0")
    _face_backend_argument(look)
    look.add_argument("--language", default=None, metavar="CODE",
                      help="language, e.g. en, en-GB, zh, fr, es, it, de: with --text it picks the language's "
                           "default voice (or checks --voice speaks it); with --audio it hints the speech "
                           "recogniser (default: the voice's language for --text, detected for --audio)")
    look.add_argument("--lipsync", default="auto", choices=["auto", "phones", "audio-model"],
                      help="how --audio is timed: auto (the transcript aligned, else the recognised words aligned "
                           "or spread), phones (phone recognition), or audio-model")
    look.add_argument("--max-side", type=int, default=1280, metavar="PX", help="cap the long side of the video")
    extra = parser.add_argument_group("extra outputs")
    extra.add_argument("--subtitles", action=argparse.BooleanOptionalAction, default=True,
                       help="write .srt and .vtt beside the video (default: on)")
    extra.add_argument("--export-track", type=Path, metavar="JSON", help="save the motion track (JSON)")
    extra.add_argument("--export-mouth-cues", type=Path, metavar="TSV_OR_JSON",
                       help="save mouth cues in Rhubarb Lip Sync's format (.tsv or .json)")
    extra.add_argument("--preview", type=Path, metavar="PNG", help="save a contact sheet of key frames (.png, or .jpg)")
    extra.add_argument("--debug-overlay", action="store_true", help="draw the landmarks on the frames")


def _face_backend_argument(parser) -> None:
    parser.add_argument("--face-backend", default="dlib", choices=["dlib", "face-alignment"],
                        help="face landmark backend (default: dlib)")


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def _file_name(text: str) -> Path:
    """An output's path as typed; one ending in a slash names a folder, and a Path would drop the slash."""
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text} names a folder; give a file name in it, such as {text}speaker.mp4")
    return Path(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speaker",
        description="Make a portrait photo speak: text or audio in, a lip-synced MP4 out.",
        epilog=EXAMPLES + "\nsubcommands: 'speaker demo', 'speaker voices', 'speaker faces', 'speaker render', "
               "'speaker animate', 'speaker dialogue', 'speaker batch', 'speaker web' (each has --help)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"speaker {__version__}")
    _speak_arguments(parser)
    _common_arguments(parser)
    return parser


def build_render_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speaker render",
        description="Render a saved (possibly edited) motion track on its portrait.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--image", type=Path, required=True, metavar="FILE", help="the portrait the track was made for")
    parser.add_argument("--track", type=Path, required=True, metavar="JSON", help="track from --export-track")
    parser.add_argument("--audio", type=Path, metavar="FILE", help="audio to mux (default: silent)")
    parser.add_argument("-o", "--out", type=_file_name, default=Path("speaker.mp4"), metavar="FILE")
    parser.add_argument("--face", type=int, metavar="N", help="which face, as when the track was made")
    parser.add_argument("--face-backend", default="dlib", choices=["dlib", "face-alignment"])
    parser.add_argument("--max-side", type=int, default=1280, metavar="PX")
    parser.add_argument("--subtitles", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--preview", type=Path, metavar="PNG")
    parser.add_argument("--debug-overlay", action="store_true")
    _common_arguments(parser)
    return parser


def build_demo_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speaker demo",
        description="Grace Hopper's portrait (public domain, shipped with matplotlib) says a line.",
    )
    parser.add_argument("-o", "--out", type=_file_name, default=Path("speaker-demo.mp4"), metavar="FILE",
                        help="the MP4 to write (default: %(default)s)")
    parser.add_argument("--text", default=DEMO_LINE, help="what she says")
    parser.add_argument("--voice", default=DEMO_VOICE, help="voice preset (default: %(default)s, an American woman)")
    parser.add_argument("--preview", type=Path, metavar="PNG", help="save a contact sheet of key frames (.png, or .jpg)")
    _common_arguments(parser)
    return parser


def demo_portrait_path() -> Path:
    """Grace Hopper's US Navy portrait, which ships inside matplotlib."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


#: Least seconds between two printed lines when the second is only an update of a stage already started:
#: the pipeline reports a render's frames every second, a line now and then is enough in a terminal.
UPDATE_LINE_SECONDS = 10.0


class _Progress:
    """Stage-by-stage progress on stderr, only when it is a terminal.

    Every stage's start is printed. An update of a stage already started
    (a :class:`speaker.pipeline.ProgressUpdate` detail, such as the frames
    a render has drawn) is printed only when no line was printed for
    ``update_seconds``.

    Parameters
    ----------
    enabled : bool
        Print at all (stderr is a terminal and ``--quiet`` is not given).
    update_seconds : float
        Least seconds between an update's line and the line before it.
    """

    def __init__(self, enabled: bool, update_seconds: float = UPDATE_LINE_SECONDS):
        self.enabled = enabled
        self.update_seconds = update_seconds
        self.started = time.perf_counter()
        self._last_line = -float("inf")

    def __call__(self, stage: str, detail: str) -> None:
        if not self.enabled:
            return
        # Imported here, not at the top: the pipeline is loaded by the time it reports, but --help must not load it.
        from .pipeline import ProgressUpdate

        now = time.perf_counter()
        if isinstance(detail, ProgressUpdate) and now - self._last_line < self.update_seconds:
            return
        self._last_line = now
        print(f"speaker: {now - self.started:6.1f} s  {stage:<7} {detail}", file=sys.stderr, flush=True)


def _run_speak(args: argparse.Namespace, progress: _Progress) -> int:
    from .pipeline import speak

    if args.drive is not None:
        return _run_drive(args, progress)
    if args.text is not None and args.text_file is not None:
        raise SpeakerError("Give --text or --text-file, not both.")
    if args.text is None and args.text_file is None and args.audio is None:
        raise SpeakerError("Give what the portrait says: --text or --text-file (words), --audio (a recording to "
                           "lip-sync), or --drive (a video of a person to follow); 'speaker animate' moves it "
                           "without words.")
    text = read_text_file(args.text_file, "text") if args.text_file is not None else args.text
    if args.transcript is not None and args.audio is None:
        raise SpeakerError("--transcript goes with --audio.")
    result = speak(
        args.image,
        text=text,
        audio=args.audio,
        out=args.out,
        transcript=transcript_text(args.transcript),
        voice=args.voice,
        fps=args.fps,
        seed=args.seed,
        motion=args.motion,
        motion_scale=args.motion_scale,
        face=args.face,
        face_backend=args.face_backend,
        lipsync=args.lipsync,
        language=args.language,
        subtitles=args.subtitles,
        export_track=args.export_track,
        export_mouth_cues=args.export_mouth_cues,
        debug_overlay=args.debug_overlay,
        preview=args.preview,
        max_side=args.max_side,
        progress=progress,
    )
    _report(result, args.quiet, _another_face(args))
    return 0


def _run_drive(args: argparse.Namespace, progress: _Progress) -> int:
    from .pipeline import drive

    if args.text is not None or args.text_file is not None or args.transcript is not None:
        raise SpeakerError("--drive takes the place of --text (give --audio only to replace the video's sound).")
    result = drive(
        args.image, args.drive, args.out, audio=args.audio, fps=args.fps, motion_scale=args.motion_scale,
        face=args.face, face_backend=args.face_backend, export_track=args.export_track,
        export_mouth_cues=args.export_mouth_cues, debug_overlay=args.debug_overlay, preview=args.preview,
        max_side=args.max_side, progress=progress,
    )
    _report(result, args.quiet, _another_face(args))
    return 0


def _another_face(args: argparse.Namespace) -> str | None:
    """How to animate another face of a group photo, for a run that chose none (no ``--face``); else None."""
    if getattr(args, "face", 0) is not None:  # chosen, or a subcommand without --face (a dialogue)
        return None
    return (f"--face N animates another; 'speaker faces --image {shlex.quote(str(args.image))} -o faces.png' "
            "draws them numbered.")


def _report(result, quiet: bool, another_face: str | None = None) -> None:
    """Print what was written; on a photo of several faces, which spoke and ``another_face`` (:func:`_another_face`)."""
    if quiet:
        return
    total = sum(result.stage_seconds.values())
    # An idle portrait, a driving video or a saved track moves the face without speech to time it by.
    moved_by = {"idle": "", "drive": "Motion from the driving video.", "track": "Motion from the track."}
    spoken = result.timing_source not in moved_by
    print(
        f"Wrote {result.path} ({result.audio_seconds:.1f} s, {result.frames} frames at {result.fps:g} fps) "
        f"in {total:.1f} s ({result.seconds_per_audio_second:.2f} s per second of {'speech' if spoken else 'video'})."
    )
    if result.timing_source and spoken:
        print(f"Mouth timed by {result.timing_source}.")
    elif moved_by.get(result.timing_source):
        print(moved_by[result.timing_source])
    for path in result.extra_files:
        print(f"Wrote {path}")
    if another_face is not None:
        from .pipeline import chosen_face_sentence

        told = chosen_face_sentence(result, another_face)
        if told:
            print(told)


def _run_render(argv: list[str]) -> int:
    args = build_render_parser().parse_args(argv)

    def run() -> int:
        from .pipeline import render_track

        result = render_track(
            args.image, args.track, args.out, audio=args.audio, face=args.face,
            face_backend=args.face_backend, max_side=args.max_side, subtitles=args.subtitles,
            preview=args.preview, debug_overlay=args.debug_overlay,
            progress=_Progress(sys.stderr.isatty() and not args.quiet),
        )
        if args.audio is None:
            # A track holds no sound: a forgotten --audio would otherwise show only when the video is played.
            warn("No --audio given: the video is silent (give --audio FILE to mux the track's recording).")
        _report(result, args.quiet, _another_face(args))
        return 0

    return _guarded(run, args.debug)


def _run_demo(argv: list[str]) -> int:
    args = build_demo_parser().parse_args(argv)

    def run() -> int:
        from .pipeline import speak

        result = speak(
            demo_portrait_path(), text=args.text, out=args.out, voice=args.voice, preview=args.preview,
            progress=_Progress(sys.stderr.isatty() and not args.quiet),
        )
        _report(result, args.quiet)
        return 0

    return _guarded(run, args.debug)


def build_voices_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="speaker voices", description="List the voice presets --voice takes: "
                                     "name, language, sex, engine, description.")
    parser.add_argument("--json", action="store_true", help="a JSON list of the presets instead of a table")
    return parser


def _run_voices(argv: list[str]) -> int:
    import json

    from .settings import list_voices

    args = build_voices_parser().parse_args(argv)
    rows = [
        {"name": preset.name, "language": preset.language, "gender": preset.gender,
         "engine": preset.engine, "description": preset.description}
        for preset in list_voices()
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print(f"{'NAME':<10} {'LANGUAGE':<9} {'SEX':<6} {'ENGINE':<6}  DESCRIPTION")
    for row, preset in zip(rows, list_voices()):
        language = row["language"] + ("*" if preset.language_default else "")
        print(f"{row['name']:<10} {language:<9} {row['gender'] or '-':<6} {row['engine']:<6}  {row['description']}")
    print("* the language's default voice (--language CODE without --voice)")
    return 0


def build_faces_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speaker faces",
        description="List the faces of a photo, numbered left to right as --face counts them, and draw them.",
        epilog="example:\n  speaker faces --image group.jpg -o faces.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--image", type=Path, required=True, metavar="FILE", help="the photo")
    parser.add_argument("-o", "--out", type=_file_name, metavar="PNG",
                        help="save the photo with its faces boxed and numbered (.png, or .jpg)")
    _face_backend_argument(parser)
    parser.add_argument("--max-side", type=int, default=1280, metavar="PX",
                        help="the long side the photo is looked at (as for the video; default: 1280)")
    _common_arguments(parser)
    return parser


def _run_faces(argv: list[str]) -> int:
    args = build_faces_parser().parse_args(argv)

    def run() -> int:
        from .pipeline import photo_faces

        if args.out is not None:
            from .render.sheet import check_picture_name
            from .video import check_writable

            check_writable(args.out)
            check_picture_name(args.out, "the picture of the faces")
        found = photo_faces(args.image, face_backend=args.face_backend, max_side=args.max_side)
        count = len(found.boxes)
        print(f"{count} face{'' if count == 1 else 's'} in {args.image}, numbered left to right as --face counts "
              "them (pixels of the photo, upright):")
        from .face import MIN_FACE_WIDTH

        for number, (x0, y0, x1, y1) in enumerate(found.boxes * found.to_file):
            clearest = "  the clearest: animated without --face" if number == found.surest else ""
            if x1 - x0 < MIN_FACE_WIDTH:
                clearest += f"  too small to animate (under {MIN_FACE_WIDTH} pixels)"
            print(f"  face {number}: {x1 - x0:.0f} pixels wide, centre at ({(x0 + x1) / 2:.0f}, {(y0 + y1) / 2:.0f})"
                  f"{clearest}")
        if args.out is not None:
            from .render.sheet import draw_faces, write_picture

            picture = draw_faces(found.image, found.boxes, found.surest, side=max(found.image.shape[:2]))
            write_picture(picture, args.out, "the picture of the faces")
            if not args.quiet:
                print(f"Wrote {args.out}")
        return 0

    return _guarded(run, args.debug)


def build_batch_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speaker batch",
        description="Make one video per row of a manifest (CSV or TOML), on local processes or a Dask cluster.",
        epilog="columns: image, then text or text_file or audio, and out; any other column is named like a "
               "speaker option (voice, motion, fps, seed, face, transcript, language, preview, ...). Paths are "
               "relative to the manifest. The report <manifest>.report.csv lists every row; rows done before "
               "whose inputs did not change are skipped.",
    )
    parser.add_argument("manifest", type=Path, help="the manifest, e.g. exhibits.csv")
    parser.add_argument("--jobs", type=int, metavar="N", help="local processes (default: the number of cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a Dask scheduler, e.g. tcp://head:8786 (default: $DASK_SCHEDULER_ADDRESS, "
                             "else local processes)")
    parser.add_argument("--retries", type=int, default=2, metavar="N",
                        help="tries again a row whose process crashed (default: 2)")
    parser.add_argument("--task-memory", type=float, default=4.0, metavar="GB",
                        help="memory one row claims of the Dask workers' 'memory' resource (default: 4)")
    _common_arguments(parser)
    return parser


def _run_batch(argv: list[str]) -> int:
    args = build_batch_parser().parse_args(argv)

    def run() -> int:
        from pydantic import ValidationError

        from .studio.batch import BatchSettings, run_batch

        try:
            settings = BatchSettings(
                jobs=args.jobs, scheduler=args.scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None,
                retries=args.retries, task_memory=int(args.task_memory * 1024**3),
            )
        except ValidationError as error:
            raise invalid_setting(error) from None
        bar = None
        if sys.stderr.isatty() and not args.quiet:
            from tqdm import tqdm

            bar = tqdm(unit="row", desc="speaker batch", file=sys.stderr)

        def on_start(total: int) -> None:
            if bar is not None:
                bar.reset(total=total)

        def on_outcome(outcome) -> None:
            line = None
            if outcome.status == "failed":
                line = f"speaker: row {outcome.row} failed: {outcome.reason}"
            elif outcome.status == "done" and outcome.reason:
                line = f"speaker: row {outcome.row} warning: {outcome.reason}"
            if line is not None:
                if bar is None:
                    print(line, file=sys.stderr)
                else:
                    bar.write(line, file=sys.stderr)
            if bar is not None:
                bar.update(1)

        try:
            summary = run_batch(args.manifest, settings, on_start=on_start, on_outcome=on_outcome)
        finally:
            if bar is not None:
                bar.close()
        if not args.quiet:
            print(f"{summary.count('done')} done, {summary.count('skipped')} skipped, "
                  f"{summary.count('failed')} failed; report: {summary.report}")
        return 1 if summary.count("failed") else 0

    return _guarded(run, args.debug)


def build_web_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speaker web",
        description="Serve the portrait studio, a web page for making videos without a terminal, on this computer.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s, this computer only; 0.0.0.0 for the network)")
    parser.add_argument("--port", type=int, default=7860, help="port (default: %(default)s)")
    parser.add_argument("--max-image-mb", type=float, default=25.0, metavar="MB", help="largest portrait (default: 25)")
    parser.add_argument("--max-audio-mb", type=float, default=200.0, metavar="MB",
                        help="largest recording (default: 200)")
    parser.add_argument("--max-text-chars", type=int, default=5000, metavar="N",
                        help="longest text or dialogue script, characters (default: 5000, about 6 minutes of speech)")
    parser.add_argument("--keep-minutes", type=float, default=60.0, metavar="MIN",
                        help="uploads and videos are deleted after this long (default: 60)")
    _common_arguments(parser)
    return parser


def _run_web(argv: list[str]) -> int:
    args = build_web_parser().parse_args(argv)

    def run() -> int:
        from pydantic import ValidationError

        from .studio.web_adapter import StudioSettings

        try:
            settings = StudioSettings(host=args.host, port=args.port, max_image_mb=args.max_image_mb,
                                      max_audio_mb=args.max_audio_mb, max_text_chars=args.max_text_chars,
                                      keep_minutes=args.keep_minutes)
        except ValidationError as error:
            raise invalid_setting(error) from None
        from .studio.web import serve

        if not args.quiet:
            print(f"speaker: serving the studio at http://{args.host}:{args.port} (Ctrl-C stops it)", file=sys.stderr)
        try:
            serve(settings, block=True, quiet=True)
        except OSError as error:
            raise SpeakerError(f"Cannot serve on {args.host}:{args.port}: {error}.") from None
        return 0

    return _guarded(run, args.debug)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # Warnings are for the user, also with --quiet (quiet silences progress only).
    from .errors import SpeakerWarning

    # Libraries' own warnings (deprecations and the like) are not the user's business; --debug shows them.
    if issubclass(category, SpeakerWarning):
        print(f"speaker: warning: {message}", file=sys.stderr, flush=True)


def _guarded(run, debug: bool) -> int:
    import warnings

    if not debug:
        warnings.showwarning = _show_warning
    try:
        return run()
    except SpeakerError as error:
        print(f"speaker: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("speaker: interrupted.", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: one line unless asked for the traceback
        if debug:
            raise
        print(f"speaker: internal error: {type(error).__name__}: {error} (run with --debug for the traceback)",
              file=sys.stderr)
        return 3


def build_animate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speaker animate",
        description="Bring a portrait to life without words: breathing, slow looks, blinks, a faint smile.",
        epilog="example:\n  speaker animate --image photo.jpg --seconds 10 -o alive.mp4",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--image", type=Path, required=True, metavar="FILE", help="the portrait to animate")
    parser.add_argument("--seconds", type=float, metavar="S",
                        help="length of the video (default: the length of --audio, else 10)")
    parser.add_argument("--audio", type=Path, metavar="FILE", help="music or sound to mux (default: silent)")
    parser.add_argument("-o", "--out", type=_file_name, default=Path("speaker-animate.mp4"), metavar="FILE",
                        help="the MP4 to write (default: %(default)s)")
    _scene_arguments(parser)
    parser.add_argument("--face", type=int, metavar="N", help="which face to animate, counting left to right from 0")
    parser.add_argument("--export-track", type=Path, metavar="JSON", help="save the motion track (JSON)")
    parser.add_argument("--preview", type=Path, metavar="PNG", help="save a contact sheet of key frames (.png, or .jpg)")
    _common_arguments(parser)
    return parser


def _scene_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by the subcommands that animate a photo without speech of their own."""
    parser.add_argument("--motion-scale", type=float, default=1.0, metavar="X", help="multiply head motion by X")
    parser.add_argument("--fps", type=float, default=25.0, help="frames per second (default: 25)")
    parser.add_argument("--seed", type=int, default=0, help="same inputs and seed give the same frames")
    _face_backend_argument(parser)
    parser.add_argument("--max-side", type=int, default=1280, metavar="PX", help="cap the long side of the video")
    parser.add_argument("--debug-overlay", action="store_true", help="draw the landmarks on the frames")


def _run_pipeline(args: argparse.Namespace, call) -> int:
    """Run ``call(progress)`` (a pipeline function returning a SpeakResult) as a guarded subcommand."""

    def run() -> int:
        result = call(_Progress(sys.stderr.isatty() and not args.quiet))
        _report(result, args.quiet, _another_face(args))
        return 0

    return _guarded(run, args.debug)


def _run_animate(argv: list[str]) -> int:
    from .pipeline import animate

    args = build_animate_parser().parse_args(argv)
    return _run_pipeline(args, lambda progress: animate(
        args.image, args.out, seconds=args.seconds, audio=args.audio, fps=args.fps, seed=args.seed,
        motion_scale=args.motion_scale, face=args.face, face_backend=args.face_backend,
        max_side=args.max_side, export_track=args.export_track, preview=args.preview,
        debug_overlay=args.debug_overlay, progress=progress,
    ))


def build_dialogue_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speaker dialogue",
        description="Faces of one photo speak a script in turn; the others listen (blink, nod, look at the speaker).",
        epilog="script lines are 'N: words' (faces left to right from 0); headers 'voice N = PRESET' and "
               "'name N = NAME'\nexample:\n  speaker dialogue --image couple.jpg --script scene.txt -o scene.mp4",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--image", type=Path, required=True, metavar="FILE", help="the photo with the faces")
    parser.add_argument("--script", type=Path, required=True, metavar="FILE", help="the dialogue (UTF-8 text)")
    parser.add_argument("-o", "--out", type=_file_name, default=Path("speaker-dialogue.mp4"), metavar="FILE",
                        help="the MP4 to write (default: %(default)s)")
    parser.add_argument("--motion", choices=["still", "calm", "lively"], default="calm", help="head motion (default: calm)")
    _scene_arguments(parser)
    parser.add_argument("--subtitles", action=argparse.BooleanOptionalAction, default=True,
                        help="write .srt and .vtt beside the video, with the speaker's name (default: on)")
    parser.add_argument("--export-track", type=Path, metavar="JSON",
                        help="save each face's track as JSON.face<N>.json")
    parser.add_argument("--preview", type=Path, metavar="PNG",
                        help="save a contact sheet: each face speaking, a blink, the middle (.png, or .jpg)")
    _common_arguments(parser)
    return parser


def _run_dialogue(argv: list[str]) -> int:
    from .pipeline import dialogue

    args = build_dialogue_parser().parse_args(argv)
    return _run_pipeline(args, lambda progress: dialogue(
        args.image, read_text_file(args.script, "script"), args.out, fps=args.fps, seed=args.seed,
        motion=args.motion, motion_scale=args.motion_scale, face_backend=args.face_backend,
        max_side=args.max_side, subtitles=args.subtitles, export_track=args.export_track, preview=args.preview,
        debug_overlay=args.debug_overlay, progress=progress,
    ))


def _stop_on_terminate(signal_number, frame) -> None:
    """SIGTERM (``kill``, ``timeout``, a service manager) unwinds like Ctrl-C: the run's partial and
    temporary files are removed on the way out, which the signal's default action would leave behind."""
    print("speaker: stopped.", file=sys.stderr)
    raise SystemExit(128 + signal_number)


#: Words users try for what another command or flag does.
_COMMAND_MEANINGS = {"idle": "speaker animate", "alive": "speaker animate", "drive": "speaker --drive VIDEO",
                     "speak": "speaker --image ... --text ...", "say": "speaker --image ... --text ..."}


def _unknown_command(word: str, commands: list[str]) -> str:
    """The sentence for ``speaker WORD`` where WORD is no command (the main command takes flags only)."""
    import difflib

    if Path(word).expanduser().exists():
        return (f"{word} is given without its flag; name each file by what it is: --image PHOTO, "
                "--audio RECORDING, --text-file SCRIPT (speaker --help).")
    meant = _COMMAND_MEANINGS.get(word) or next(
        (f"speaker {close}" for close in difflib.get_close_matches(word, commands, n=1)), None)
    return (f"Unknown command '{word}'" + (f" (did you mean '{meant}'?)" if meant else "")
            + f"; the commands are {', '.join(commands)}, or flags alone (speaker --help).")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``speaker`` command; returns the exit status."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_terminate)
    argv = list(sys.argv[1:] if argv is None else argv)
    subcommands = {
        "voices": _run_voices, "faces": _run_faces, "render": _run_render, "demo": _run_demo, "animate": _run_animate,
        "dialogue": _run_dialogue, "batch": _run_batch, "web": _run_web,
    }
    try:
        if argv and argv[0] in subcommands:
            return subcommands[argv[0]](argv[1:])
        if argv and not argv[0].startswith("-"):
            print(f"speaker: error: {_unknown_command(argv[0], list(subcommands))}", file=sys.stderr)
            return 2
        args = build_parser().parse_args(argv)
        progress = _Progress(sys.stderr.isatty() and not args.quiet)
        return _guarded(lambda: _run_speak(args, progress), args.debug)
    except BrokenPipeError:
        # The reader of our output left (speaker voices | head): nothing more to say to it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
