"""Batch exhibitions: the rows of a manifest become videos, on local processes or on a Dask cluster.

A manifest is a CSV (or TOML) file with one row per video: ``image``, then
``text``, ``text_file`` or ``audio``, and ``out``; any other column is named
like a CLI option (``transcript``, ``voice``, ``motion``, ``motion_scale``,
``fps``, ``seed``, ``face``, ``language``, ``preview``, ...; a hyphen may stand
for the underscore). Paths are relative to the manifest.

Each row is one job for :func:`speaker.pipeline.speak`. Jobs go to anything
shaped like :mod:`concurrent.futures` (``submit``, then ``as_completed``): a
local :class:`~concurrent.futures.ProcessPoolExecutor`, whose worker processes
keep their models loaded from row to row, or a ``dask.distributed`` client,
where each row runs in a child process of the Dask worker (one per worker
thread, kept from row to row) so that a cancelled task or a killed worker
stops its work and leaves no file behind.

A report ``<manifest stem>.report.csv`` beside the manifest (``<name>.toml.report.csv``
for a TOML manifest) gets one line per
row (row, output, status ``done``/``skipped``/``failed``/``interrupted``, seconds, the
one-sentence reason, a fingerprint of the row and its input files, and the
other files the row wrote). Run the batch again and the rows already done
whose fingerprint did not change and whose files are all still there are
skipped; a row whose video or any other file of it was deleted is made again.
A batch stopped by Ctrl-C or SIGTERM stops its rows (their temporary files
are removed), marks those not done ``interrupted`` in the report and then
stops (the CLI exits 130 or 143); the next run skips the rows it finished.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import warnings
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import SpeakerError, warn
from ..files import TEXT_FILE_SUFFIXES, read_text_file, replaced_atomically, transcript_text
from ..settings import SpeakOptions

#: The columns of the report, in order.
REPORT_COLUMNS = ("row", "output", "status", "seconds", "reason", "fingerprint", "extras")
#: How the report's ``extras`` cell separates the files (a name holding it only makes its row run again).
EXTRAS_SEPARATOR = " | "
#: Columns that hold what to say or where to write, apart from the pipeline's options.
SOURCE_COLUMNS = ("image", "out", "text", "text_file", "audio")
#: Option columns whose value is a path relative to the manifest.
PATH_OPTIONS = ("export_track", "export_mouth_cues", "preview")
#: Every column a manifest may have.
KNOWN_COLUMNS = tuple(dict.fromkeys(SOURCE_COLUMNS + tuple(SpeakOptions.model_fields)))
#: How often a Dask task checks whether it was cancelled, seconds.
CANCEL_POLL_SECONDS = 0.25
#: How often the batch looks for finished rows on a Dask cluster, seconds.
DASK_POLL_SECONDS = 0.2
#: How long a stopped batch waits for a local worker to remove its row's temporary files, seconds.
STOP_SECONDS = 20
#: The reason given in the report for a row that an interrupted batch did not finish.
INTERRUPTED = "The batch was stopped before this row was done; the next run makes it."
#: Row options the batch does not take from the manifest.
_NOT_COLUMNS = ("debug_overlay",)


class BatchSettings(BaseModel):
    """How a batch runs (the flags of ``speaker batch``)."""

    model_config = ConfigDict(extra="forbid")

    #: Local worker processes; ``None`` for the number of CPU cores.
    jobs: int | None = Field(None, ge=1, le=256)
    #: A Dask scheduler address (``tcp://host:8786``); ``None`` runs on local processes.
    scheduler: str | None = None
    #: How often a row that crashed its process is tried again (a row failing with a reason is not).
    retries: int = Field(2, ge=0, le=10)
    #: Bytes of the Dask workers' ``memory`` resource one row claims (when the workers declare one).
    task_memory: int = Field(4 * 1024**3, ge=0)


class ManifestRow(BaseModel):
    """One row of a manifest, as read (paths still relative to the manifest, cells still text)."""

    model_config = ConfigDict(extra="forbid")

    row: int
    image: str | None = None
    out: str | None = None
    text: str | None = None
    text_file: str | None = None
    audio: str | None = None
    #: The other columns (pipeline options), validated by :class:`SpeakOptions` before any row renders.
    options: dict[str, Any] = Field(default_factory=dict)


@dataclass
class Job:
    """One row made ready to run: absolute paths, the text file still unread (it is read by the worker)."""

    row: int
    out: str
    image: str | None
    text: str | None
    text_file: str | None
    audio: str | None
    options: dict[str, Any]
    fingerprint: str
    #: A sentence when the row cannot run at all (missing cell, both text and audio, ...).
    problem: str = ""


@dataclass
class Outcome:
    """What became of one row: one line of the report."""

    row: int
    output: str
    status: str
    seconds: float = 0.0
    reason: str = ""
    fingerprint: str = ""
    #: The files the row wrote besides its video (subtitles, track, mouth cues, preview), absolute paths.
    extras: list[str] = field(default_factory=list)

    def all_there(self) -> bool:
        """True when the video and every other file the row wrote exist.

        Present is done: a file changed by hand since (an edited .srt) is the user's and is kept;
        only its input's changes (the fingerprint) or its deletion make the row run again.
        """
        return all(os.path.isfile(path) for path in [self.output, *self.extras])


@dataclass
class BatchSummary:
    """Counts of a finished batch and where its report is."""

    report: Path
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Rows with this status."""
        return sum(outcome.status == status for outcome in self.outcomes)


# ----------------------------------------------------------------------------- manifest


def read_manifest(path: str | Path) -> list[ManifestRow]:
    """Read a CSV or TOML manifest.

    A TOML manifest holds an array of tables named ``row`` (``[[row]]``), each
    with the same keys as the CSV's columns. Empty cells are absent.

    Raises
    ------
    SpeakerError
        The file is missing or unreadable, has an unknown column, no ``image``
        or ``out`` column, no rows, or two rows writing the same file.
    """
    path = Path(path)
    if not path.is_file():
        raise SpeakerError(f"The manifest {path} does not exist.")
    try:
        if path.suffix.lower() == ".toml":
            records = tomllib.loads(path.read_text(encoding="utf-8")).get("row", [])
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise SpeakerError(f"The manifest {path} must hold its rows as [[row]] tables.")
            columns = list(dict.fromkeys(key for record in records for key in record))
        else:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle, delimiter=_separator(handle.readline()))
                handle.seek(0)
                columns = list(reader.fieldnames or [])
                records = [record for record in reader if any((value or "").strip() for value in record.values())]
    except (OSError, UnicodeDecodeError, csv.Error, tomllib.TOMLDecodeError) as error:
        raise SpeakerError(f"Cannot read the manifest {path}: {error}.") from None

    names = {column: _column_name(column) for column in columns}
    unknown = [column for column, name in names.items() if name not in KNOWN_COLUMNS or name in _NOT_COLUMNS]
    if unknown:
        raise SpeakerError(
            f"The manifest {path.name} has unknown column '{unknown[0]}'; "
            f"columns are {', '.join(c for c in KNOWN_COLUMNS if c not in _NOT_COLUMNS)}."
        )
    for required in ("image", "out"):
        if required not in names.values():
            raise SpeakerError(f"The manifest {path.name} has no '{required}' column.")
    if not records:
        raise SpeakerError(f"The manifest {path.name} has no rows.")

    rows = []
    for number, record in enumerate(records, start=1):
        cells = {names[key]: _cell(value) for key, value in record.items() if key in names}
        cells = {key: value for key, value in cells.items() if value is not None}
        sources = {key: cells.pop(key) for key in SOURCE_COLUMNS if key in cells}
        rows.append(ManifestRow(row=number, options=cells, **{k: str(v) for k, v in sources.items()}))

    seen: dict[str, int] = {}
    for row in rows:
        if row.out is None:
            continue
        target = str((path.parent / row.out).resolve())
        if target in seen:
            raise SpeakerError(f"Rows {seen[target]} and {row.row} of {path.name} both write {row.out}.")
        seen[target] = row.row
    return rows


def _column_name(column: str | None) -> str:
    return (column or "").strip().lower().replace("-", "_")


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def make_job(row: ManifestRow, folder: Path) -> Job:
    """Resolve a row's paths against the manifest's folder and fingerprint it."""
    options = dict(row.options)
    for key in PATH_OPTIONS:
        if key in options:
            options[key] = str(_resolve(folder, options[key]))
    transcript = options.get("transcript")
    if isinstance(transcript, str) and _names_a_file(folder, transcript):
        options["transcript"] = str(_resolve(folder, transcript))
    voice = options.get("voice")
    if isinstance(voice, str) and voice.lower().endswith(".toml"):
        options["voice"] = str(_resolve(folder, voice))

    job = Job(
        row=row.row,
        out=str(_resolve(folder, row.out)) if row.out else "",
        image=str(_resolve(folder, row.image)) if row.image else None,
        text=row.text,
        text_file=str(_resolve(folder, row.text_file)) if row.text_file else None,
        audio=str(_resolve(folder, row.audio)) if row.audio else None,
        options=options,
        fingerprint="",
    )
    job.problem = _problem(job)
    job.fingerprint = fingerprint(job)
    return job


def _separator(header: str) -> str:
    """The separator of a CSV manifest, from its header line: a comma, or the semicolon (or tab) that
    spreadsheets set to many European languages write instead."""
    return max((",", ";", "\t"), key=lambda separator: (header.count(separator), separator == ","))


def _resolve(folder: Path, value: str) -> Path:
    return (folder / Path(value).expanduser()).resolve()


def _names_a_file(folder: Path, value: str) -> bool:
    # The same rule as the CLI's --transcript: a text file by suffix, or an existing file.
    return Path(value).suffix.lower() in TEXT_FILE_SUFFIXES or (folder / value).is_file()


def _problem(job: Job) -> str:
    if not job.out:
        return "The row has no 'out' (the video to write)."
    if not job.image:
        return "The row has no 'image' (the portrait)."
    given = [name for name in ("text", "text_file", "audio") if getattr(job, name)]
    if not given:
        return "The row has no words to say: give text, text_file or audio."
    if len(given) > 1:
        return f"The row gives {' and '.join(given)}; give only one of text, text_file and audio."
    return ""


def fingerprint(job: Job) -> str:
    """A hash of the row's cells and of its input files' sizes and modification times.

    A row is skipped on the next run only when this is unchanged and its video and the other files
    it wrote exist (:meth:`Outcome.all_there`).
    """
    from .. import __version__

    described = {key: value for key, value in asdict(job).items() if key not in ("fingerprint", "problem")}
    described["speaker"] = __version__
    inputs = [job.image, job.text_file, job.audio, job.options.get("transcript"), job.options.get("voice")]
    files = {}
    for name in inputs:
        if isinstance(name, str) and os.path.isfile(name):
            status = os.stat(name)
            files[name] = [status.st_size, status.st_mtime_ns]
    described["files"] = files
    encoded = json.dumps(described, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:16]


# ----------------------------------------------------------------------------- one row


def check_job(job: Job) -> str:
    """Why the row cannot run, found before any rendering: one sentence, or ``""`` when none is found.

    The pipeline's own checks, done without its work: a missing or doubled cell,
    the settings (``--seed must be a whole number (given: 'abc')``), the files to
    read (the portrait, the text and transcript files, the recording), empty text,
    the voice (known, and speaking ``language``) and the names of the outputs. What
    only the work tells (no face in the photo, a silent recording) fails the row as it runs.
    Makes the video's folder, as running the row would.
    """
    from ..pipeline import check_speak

    if job.problem:
        return job.problem
    try:
        options, text = _row_inputs(job)
        _make_folder(Path(job.out).parent)
        check_speak(job.image, text, job.audio, job.out, **options)
    except SpeakerError as error:
        return str(error)
    return ""


def _row_inputs(job: Job) -> tuple[dict[str, Any], str | None]:
    """The row's options with its transcript file read, and its text (its text file read).

    Raises
    ------
    SpeakerError
        An unreadable text or transcript file.
    """
    text = read_text_file(Path(job.text_file), "text") if job.text_file else job.text
    options = dict(job.options)
    if "transcript" in options:
        options["transcript"] = transcript_text(str(options["transcript"]))
    return options, text


def run_job(job: Job) -> Outcome:
    """Make one row's video with :func:`speaker.pipeline.speak` (in this process).

    Never raises for a problem with the row: a :class:`SpeakerError` becomes
    the outcome's reason; so does any other exception (a bug, named as such).
    The reason of a row done lists the warnings of its run and, on a photo of
    several faces where the row chose none, which face was animated.
    """
    from ..pipeline import check_speak, chosen_face_sentence, speak

    started = time.perf_counter()
    status, reason, extras = "failed", job.problem, []
    if not job.problem:
        try:
            options, text = _row_inputs(job)
            # A manifest names its videos where they belong (videos/hopper.mp4): their folders are made.
            _make_folder(Path(job.out).parent)
            # Checked again (a file may have gone since the batch began), and read as the pipeline
            # reads it: a CSV's "false" is False for every check, the staged names' included.
            checked = check_speak(job.image, text, job.audio, job.out, **options)
            options = {key: getattr(checked, key) for key in options}
            with warnings.catch_warnings():
                # The run's SpeakerWarnings come back in its result, for the report and the
                # batch's own line per row; printed here a worker would print them raw.
                warnings.showwarning = _keep_quiet
                result = speak(job.image, text=text, audio=job.audio, out=job.out, **options)
            told = [chosen_face_sentence(result, "A 'face' column chooses another.")] if options.get("face") is None else []
            status, reason = "done", " ".join(sentence for sentence in [*result.warnings, *told] if sentence)
            extras = [str(path) for path in result.extra_files]
        except SpeakerError as error:
            reason = str(error)
        except Exception as error:  # a bug in speaker: the row fails, the batch goes on
            reason = f"Internal error: {type(error).__name__}: {error}."
    seconds = round(time.perf_counter() - started, 2)
    return Outcome(job.row, job.out, status, seconds, reason, job.fingerprint, extras)


def _make_folder(folder: Path) -> None:
    """Make ``folder`` and its missing parents (left in place when the row fails: another row may share them)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SpeakerError(f"Cannot write to {folder}: it is not a folder.") from None
    except OSError as error:
        raise SpeakerError(f"Cannot make the folder {folder}: {error.strerror or error}.") from None


def _keep_quiet(message, category, filename, lineno, file=None, line=None) -> None:
    """A ``warnings.showwarning`` that shows nothing."""


#: One resident child process per worker thread, reused from row to row so its models stay loaded.
_resident = threading.local()


def run_job_in_child(job: Job) -> Outcome:
    """Run one row in a child Python process and wait for it (the Dask task).

    The child stays for the thread's next rows (its models stay loaded). It
    dies with its parent (a killed Dask worker takes its children with it)
    and is stopped when the task is cancelled; either way it removes its
    temporary files. A child that dies without an outcome raises
    ``RuntimeError``, so that Dask tries the row again.
    """
    import select

    child = getattr(_resident, "child", None)
    if child is None or child.poll() is not None:
        command = [sys.executable, "-m", "speaker.studio.batch", "--child"]
        child = _resident.child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    still_wanted = _dask_task_watch()
    try:
        child.stdin.write(json.dumps(asdict(job)).encode("utf-8") + b"\n")
        child.stdin.flush()
        while True:
            ready, _, _ = select.select([child.stdout], [], [], CANCEL_POLL_SECONDS)
            if ready:
                line = child.stdout.readline()
                break
            if not still_wanted():
                raise RuntimeError(f"Row {job.row} was cancelled.")
    except BaseException:
        # Cancelled, or the worker is going down: stop the child, which removes its temporary files.
        child.terminate()
        child.wait()
        raise
    if not line.strip():
        code = child.wait()
        raise RuntimeError(f"The process making row {job.row} ended with status {code}.")
    return Outcome(**json.loads(line))


def _keys_running(dask_worker) -> list[str]:
    """The keys of the tasks a Dask worker's threads are running, cancelled ones included (``client.run``)."""
    return [str(task.key) for task in dask_worker.state.executing]


def _dask_task_watch() -> Callable[[], bool]:
    """A check that the Dask task running this thread is still wanted (always true outside Dask).

    Dask cannot interrupt a task's thread when the task is cancelled; the task
    polls this and stops its child itself.
    """
    try:
        from distributed import get_worker
        from distributed.worker import thread_state

        worker, key = get_worker(), thread_state.key
    except (ImportError, ValueError, AttributeError):
        return lambda: True

    def wanted() -> bool:
        task = worker.state.tasks.get(key)
        return task is not None and task.state not in ("cancelled", "released", "forgotten")

    return wanted


def _child_main() -> int:
    """``python -m speaker.studio.batch --child``: jobs as JSON lines on stdin, outcomes as JSON lines on stdout."""
    _die_with_parent()
    # SIGTERM becomes an exception, so the pipeline's cleanup removes the temporary files.
    signal.signal(signal.SIGTERM, _exit_on_first_signal)
    # Anything a library prints goes to stderr; stdout carries the outcomes only.
    outcome_stream = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    for line in sys.stdin:
        if line.strip():
            outcome = run_job(Job(**json.loads(line)))
            outcome_stream.write(json.dumps(asdict(outcome)) + "\n")
            outcome_stream.flush()
    return 0


def _exit_on_first_signal(number: int, frame) -> None:
    # A dying Dask worker's child can get SIGTERM twice within milliseconds (its parent's death, and
    # again as the process group is stopped); a second exception would cut the cleanup short.
    signal.signal(number, signal.SIG_IGN)
    sys.exit(128 + number)


def _die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        sys.exit(128 + signal.SIGTERM)


# ----------------------------------------------------------------------------- executors


class _LocalProcesses:
    """Rows on a local process pool; the pool's processes keep their models from row to row."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool = self._new_pool()

    def _new_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: a fresh interpreter per worker, the same on every platform (no fork of a threaded parent).
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_pool_worker)

    def submit(self, job: Job):
        return self._pool.submit(_run_job_in_pool, job)

    def as_completed(self, futures: Iterable) -> Iterator:
        from concurrent.futures import as_completed

        return as_completed(list(futures))

    def crashed(self, error: BaseException) -> bool:
        """True when the row's process died (the pool is then replaced so the others go on)."""
        from concurrent.futures.process import BrokenProcessPool

        if not isinstance(error, BrokenProcessPool):
            return False
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        return True

    def stop(self, futures: Iterable) -> None:
        """Stop the rows being made at once: each worker gets SIGTERM, removes its row's temporary files and ends."""
        # ProcessPoolExecutor has no public way to stop its workers before Python 3.14 (terminate_workers).
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _start_pool_worker() -> None:
    """Set up a local worker: Ctrl-C is left to the batch, which stops its workers itself with SIGTERM;
    SIGTERM becomes an exception, so the pipeline's cleanup removes the row's temporary files; and the
    worker dies with the batch (a batch killed outright leaves no worker rendering on)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_first_signal)
    _die_with_parent()


def _run_job_in_pool(job: Job) -> Outcome:
    """:func:`run_job` in a local worker; stopped, the worker ends rather than start the next row queued for it."""
    try:
        return run_job(job)
    except SystemExit as stop:  # the row's files are removed by now
        os._exit(stop.code if isinstance(stop.code, int) else 1)


class _DaskCluster:
    """Rows as tasks on a Dask cluster, each in a child process; Dask retries and reschedules them."""

    def __init__(self, address: str, retries: int, task_memory: int):
        try:
            from distributed import Client
        except ImportError:
            raise SpeakerError("Running on a Dask cluster needs dask[distributed]: pip install 'dask[distributed]'.") from None
        try:
            self.client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise SpeakerError(f"Cannot reach the Dask scheduler at {address}: {error}.") from None
        self.retries = retries
        workers = self.client.scheduler_info().get("workers", {}).values()
        if any("memory" in (worker.get("resources") or {}) for worker in workers):
            self.resources = {"memory": task_memory}
        else:
            self.resources = None
            warn(
                "The Dask workers declare no 'memory' resource, so rows are not spread by memory; "
                "start workers with --resources memory=BYTES to limit them."
            )

    def submit(self, job: Job):
        key = f"speaker-row-{job.row}-{job.fingerprint}-{secrets.token_hex(3)}"
        return self.client.submit(
            run_job_in_child, job, key=key, pure=False, retries=self.retries, resources=self.resources
        )

    def as_completed(self, futures: Iterable) -> Iterator:
        # Not distributed.as_completed: it can miss a task that finished on another worker after the
        # first one was killed, and then waits for ever (dask/dask#8882). The futures' own state does not.
        pending = list(futures)
        while pending:
            finished = [future for future in pending if future.done()]
            if not finished:
                time.sleep(DASK_POLL_SECONDS)
            for future in finished:
                pending.remove(future)
                yield future

    def crashed(self, error: BaseException) -> bool:
        return False  # Dask has already retried and rescheduled the row

    def stop(self, futures: Iterable) -> None:
        """Cancel the rows not finished; each task then stops its child, which removes its temporary files.

        Waits (at most :data:`STOP_SECONDS`) until no worker still runs one of them: Dask cannot interrupt
        a task's thread, which notices the cancel within :data:`CANCEL_POLL_SECONDS`, and the batch must
        not say its rows stopped while a child is still writing one.
        """
        unfinished = [future for future in futures if not future.done()]
        keys = {str(future.key) for future in unfinished}
        self.client.cancel(unfinished)
        deadline = time.monotonic() + STOP_SECONDS
        while keys and time.monotonic() < deadline:
            running = self.client.run(_keys_running)
            if not keys & {key for worker_keys in running.values() for key in worker_keys}:
                return
            time.sleep(DASK_POLL_SECONDS)

    def close(self) -> None:
        self.client.close()


# ----------------------------------------------------------------------------- the batch


def report_path(manifest: str | Path) -> Path:
    """``exhibits.csv`` reports to ``exhibits.report.csv`` beside it, ``exhibits.toml`` to
    ``exhibits.toml.report.csv`` (so that the two manifests of one folder keep their own reports)."""
    manifest = Path(manifest)
    named = manifest.stem if manifest.suffix.lower() == ".csv" else manifest.name
    return manifest.with_name(named + ".report.csv")


def read_report(path: Path) -> dict[str, Outcome]:
    """The outcomes of a previous run by output path (empty when there is none).

    A row of a report without the ``extras`` column (written before it was
    kept) is left out: which files it wrote is not known, so it runs again.
    """
    if not path.is_file():
        return {}
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return {
                line["output"]: Outcome(int(line["row"]), line["output"], line["status"], float(line["seconds"] or 0),
                                        line["reason"], line["fingerprint"],
                                        [name for name in line["extras"].split(EXTRAS_SEPARATOR) if name])
                for line in csv.DictReader(handle) if line.get("extras") is not None
            }
    except (OSError, KeyError, ValueError, csv.Error):
        warn(f"The previous report {path.name} could not be read, so every row runs again.")
        return {}


def write_report(path: Path, outcomes: Iterable[Outcome]) -> None:
    """Write the report atomically (a unique temporary name, then a rename)."""
    try:
        with replaced_atomically(path) as partial, open(partial, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(REPORT_COLUMNS)
            for o in sorted(outcomes, key=lambda o: o.row):
                writer.writerow([o.row, o.output, o.status, f"{o.seconds:.2f}", o.reason, o.fingerprint,
                                 EXTRAS_SEPARATOR.join(o.extras)])
    except OSError as error:
        raise SpeakerError(f"Cannot write the report {path}: {error.strerror or error}.") from None


def run_batch(
    manifest: str | Path,
    settings: BatchSettings | None = None,
    *,
    on_start: Callable[[int], None] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> BatchSummary:
    """Make every row's video; the report is rewritten as each row finishes.

    Parameters
    ----------
    manifest : path
        The CSV or TOML manifest.
    settings : BatchSettings, optional
        Local processes (default: one per core) or a Dask scheduler.
    on_start : callable, optional
        Called with the number of rows once the manifest is read.
    on_outcome : callable, optional
        Called with each row's :class:`Outcome` as it is known (skipped rows first).

    Returns
    -------
    BatchSummary

    Raises
    ------
    SpeakerError
        Only for the manifest as a whole (unreadable, unknown column, ...) or
        an unreachable scheduler; a failing row never raises.
    """
    settings = settings or BatchSettings()
    manifest = Path(manifest)
    rows = read_manifest(manifest)
    report = report_path(manifest)
    previous = read_report(report)
    jobs = [make_job(row, manifest.parent.resolve()) for row in rows]
    if on_start is not None:
        on_start(len(jobs))

    outcomes: dict[int, Outcome] = {}
    started = time.time()

    def record(outcome: Outcome) -> None:
        outcomes[outcome.row] = outcome
        write_report(report, outcomes.values())
        if on_outcome is not None:
            on_outcome(outcome)

    executor = None
    running: dict[Any, Job] = {}  # the futures of the rows sent to the executor and not yet recorded
    try:
        # Every row is checked before any renders, so that the bad ones are told at once; the good ones then run.
        to_run = []
        for job in jobs:
            before = previous.get(job.out)
            if (before is not None and before.status in ("done", "skipped") and before.fingerprint == job.fingerprint
                    and before.all_there()):
                record(Outcome(job.row, job.out, "skipped", 0.0, "Done before; inputs unchanged.", job.fingerprint,
                               before.extras))
            elif problem := check_job(job):
                record(Outcome(job.row, job.out, "failed", 0.0, problem, job.fingerprint))
            else:
                to_run.append(job)

        if to_run:
            if settings.scheduler:
                executor = _DaskCluster(settings.scheduler, settings.retries, settings.task_memory)
            else:
                executor = _LocalProcesses(min(settings.jobs or os.cpu_count() or 1, len(to_run)))
            _run_all(executor, to_run, settings.retries, record, running)
    except BaseException:
        # Ctrl-C, SIGTERM (the CLI turns it into SystemExit) or an error of the batch itself: the rows being
        # made are stopped, and the report tells every row, those not done as interrupted, before it goes on.
        with _signals_held():
            for future, job in running.items():
                finished = _done(future)
                if finished is not None and job.row not in outcomes:
                    outcomes[job.row] = finished
                    if on_outcome is not None:
                        on_outcome(finished)
            if executor is not None:
                executor.stop(running)
                executor.close()
                executor = None
            for job in running.values():
                if job.row not in outcomes and (finished := _finished_as_stopped(job, started)) is not None:
                    outcomes[job.row] = finished
                    if on_outcome is not None:
                        on_outcome(finished)
            _record_interrupted(jobs, outcomes, report, on_outcome)
        raise
    finally:
        if executor is not None:
            executor.close()
    return BatchSummary(report, [outcomes[job.row] for job in jobs])


def _run_all(executor, jobs: list[Job], retries: int, record: Callable[[Outcome], None], pending: dict) -> None:
    """Run ``jobs`` on ``executor``, recording each outcome; ``pending`` holds the futures not yet recorded."""
    attempts = {job.row: 0 for job in jobs}
    pending.update({executor.submit(job): job for job in jobs})
    while pending:
        crashed: list[Job] = []
        for future in executor.as_completed(list(pending)):
            job = pending[future]
            try:
                record(future.result())
            except Exception as error:
                attempts[job.row] += 1
                if executor.crashed(error) and attempts[job.row] <= retries:
                    crashed.append(job)
                    del pending[future]
                    break  # the pool was replaced: every unfinished row goes to the new one
                reason = f"The process making this row died ({type(error).__name__}: {error})."
                record(Outcome(job.row, job.out, "failed", 0.0, reason, job.fingerprint))
            del pending[future]  # only once recorded: an interruption before that still finds the row here
        if crashed:
            crashed += list(pending.values())
            pending.clear()
            pending.update({executor.submit(job): job for job in crashed})


def _done(future) -> Outcome | None:
    """The outcome of a row that was done when the batch was stopped, else None (it failed, or was cut short)."""
    try:
        outcome = future.result() if future.done() and not future.cancelled() else None
    except BaseException:
        return None
    return outcome if isinstance(outcome, Outcome) and outcome.status == "done" else None


def _finished_as_stopped(job: Job, started: float) -> Outcome | None:
    """The outcome of a row that finished as the batch was stopped (a cancelled Dask task gives none), or None.

    A run moves its video into place after every other file of it (``_StagedOutputs``), so a video written
    since the batch ``started`` (``time.time()``) is a whole row; its other files are those it names.
    """
    from ..video.subtitles import subtitle_paths

    video = Path(job.out)
    try:
        if video.stat().st_mtime < started:
            return None
    except OSError:
        return None
    named = [*subtitle_paths(video.with_suffix(""))] if str(job.options.get("subtitles", True)).lower() not in (
        "false", "0", "no") else []
    named += [Path(job.options[key]) for key in ("export_track", "export_mouth_cues", "preview") if job.options.get(key)]
    extras = [str(path) for path in named if path.is_file()]
    return Outcome(job.row, job.out, "done", 0.0, "Finished as the batch was stopped.", job.fingerprint, extras)


def _record_interrupted(jobs: list[Job], outcomes: dict[int, Outcome], report: Path,
                        on_outcome: Callable[[Outcome], None] | None) -> None:
    """Mark the rows without an outcome interrupted, write the report once, and say so in one line."""
    not_done = [Outcome(job.row, job.out, "interrupted", 0.0, INTERRUPTED, job.fingerprint)
                for job in jobs if job.row not in outcomes]
    for outcome in not_done:
        outcomes[outcome.row] = outcome
        if on_outcome is not None:
            on_outcome(outcome)
    write_report(report, outcomes.values())
    if not_done:
        count = f"{len(not_done)} of its {len(jobs)} rows {'was' if len(not_done) == 1 else 'were'}"
        warn(f"The batch was stopped before {count} done; {report.name} marks "
             f"{'it' if len(not_done) == 1 else 'them'} interrupted, and running it again makes just those.")


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM ignored while a stopped batch stops its rows and writes its report
    (a second Ctrl-C would cut that short); a no-op outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {number: signal.signal(number, signal.SIG_IGN) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    sys.exit(_child_main())
