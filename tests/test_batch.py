"""Batch exhibitions: manifests, the report, resuming, local processes and a Dask cluster; atomic extras."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from speaker.errors import SpeakerError
from speaker.studio.batch import BatchSettings, make_job, read_manifest, report_path, run_batch

#: Short lines, a low frame rate and a small frame keep each row to a few seconds.
ROW_OPTIONS = {"fps": "10", "max_side": "256"}


def write_manifest(folder: Path, rows: list[dict], name: str = "exhibits.csv") -> Path:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    path = folder / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_report(manifest: Path) -> dict[int, dict]:
    with open(report_path(manifest), newline="", encoding="utf-8") as handle:
        return {int(line["row"]): line for line in csv.DictReader(handle)}


@pytest.fixture
def exhibition(tmp_path, grace_hopper_path) -> Path:
    """Four rows: two good, a corrupt image, empty text."""
    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    (tmp_path / "line.txt").write_text("Good morning.", encoding="utf-8")
    # No videos/ folder: the batch makes it, as the README's example expects.
    return write_manifest(tmp_path, [
        {"image": "hopper.jpg", "text": "Hello there.", "out": "videos/one.mp4", **ROW_OPTIONS},
        {"image": "hopper.jpg", "text_file": "line.txt", "out": "videos/two.mp4", "motion": "still", **ROW_OPTIONS},
        {"image": "broken.jpg", "text": "Hello.", "out": "videos/broken.mp4", **ROW_OPTIONS},
        {"image": "hopper.jpg", "text": "  ", "out": "videos/empty.mp4", **ROW_OPTIONS},
    ])


def assert_two_good_rows_done(manifest: Path) -> None:
    videos = manifest.parent / "videos"
    assert sorted(p.name for p in videos.iterdir()) == ["one.mp4", "one.srt", "one.vtt", "two.mp4", "two.srt", "two.vtt"]
    report = read_report(manifest)
    assert [report[n]["status"] for n in (1, 2, 3, 4)] == ["done", "done", "failed", "failed"]
    assert report[3]["reason"].startswith("Cannot read") and "broken.jpg" in report[3]["reason"]
    assert "no words" in report[4]["reason"]
    from speaker import video

    for name in ("one.mp4", "two.mp4"):
        info = video.probe(videos / name)
        assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
        assert info["video_duration"] > 0.3


# ----------------------------------------------------------------------------- manifests (fast)


def test_manifest_columns_are_checked(tmp_path):
    with pytest.raises(SpeakerError, match="unknown column 'colour'"):
        read_manifest(write_manifest(tmp_path, [{"image": "a.jpg", "text": "Hi", "out": "a.mp4", "colour": "red"}]))
    with pytest.raises(SpeakerError, match="no 'out' column"):
        read_manifest(write_manifest(tmp_path, [{"image": "a.jpg", "text": "Hi"}]))
    with pytest.raises(SpeakerError, match="Rows 1 and 2 .* both write a.mp4"):
        read_manifest(write_manifest(tmp_path, [{"image": "a.jpg", "text": "Hi", "out": "a.mp4"}] * 2))
    with pytest.raises(SpeakerError, match="does not exist"):
        read_manifest(tmp_path / "missing.csv")


def test_rows_take_cli_option_names_and_paths_relative_to_the_manifest(tmp_path):
    manifest = write_manifest(tmp_path, [
        {"image": "p/a.jpg", "audio": "talk.flac", "out": "v/a.mp4", "motion-scale": "0.5", "preview": "v/a.png"},
        {"image": "b.jpg", "text": "Hi", "audio": "", "out": "b.mp4", "motion-scale": "", "preview": ""},
    ])
    first, second = (make_job(row, tmp_path) for row in read_manifest(manifest))
    assert first.image == str(tmp_path / "p" / "a.jpg") and first.audio == str(tmp_path / "talk.flac")
    assert first.options == {"motion_scale": "0.5", "preview": str(tmp_path / "v" / "a.png")}
    assert second.audio is None and second.options == {} and second.text == "Hi" and not second.problem


def test_a_csv_and_a_toml_manifest_of_one_folder_keep_their_own_reports(tmp_path):
    assert report_path(tmp_path / "show.csv") == tmp_path / "show.report.csv"
    assert report_path(tmp_path / "show.toml") == tmp_path / "show.toml.report.csv"


def test_a_csv_manifest_saved_with_semicolons_reads_like_one_with_commas(tmp_path):
    # A spreadsheet set to German or French saves CSV with semicolons, and Excel adds a byte-order mark.
    (tmp_path / "semi.csv").write_bytes("\ufeffimage;text;out;seed\na.jpg;Hello, world.;a.mp4;3\n".encode("utf-8"))
    (row,) = read_manifest(tmp_path / "semi.csv")
    assert (row.image, row.text, row.out, row.options) == ("a.jpg", "Hello, world.", "a.mp4", {"seed": "3"})


def test_toml_manifest_reads_like_the_csv(tmp_path):
    (tmp_path / "show.toml").write_text('[[row]]\nimage = "a.jpg"\ntext = "Hi"\nout = "a.mp4"\nseed = 3\n')
    (row,) = read_manifest(tmp_path / "show.toml")
    assert (row.image, row.text, row.out, row.options) == ("a.jpg", "Hi", "a.mp4", {"seed": 3})


def test_a_row_with_two_sources_fails_with_a_reason(tmp_path):
    manifest = write_manifest(tmp_path, [{"image": "a.jpg", "text": "Hi", "audio": "a.wav", "out": "a.mp4"}])
    summary = run_batch(manifest)
    assert [(o.status, o.reason) for o in summary.outcomes] == [
        ("failed", "The row gives text and audio; give only one of text, text_file and audio.")
    ]
    assert read_report(manifest)[1]["status"] == "failed"


def test_fingerprint_follows_the_input_files(tmp_path, grace_hopper_path):
    shutil.copy(grace_hopper_path, tmp_path / "a.jpg")
    manifest = write_manifest(tmp_path, [{"image": "a.jpg", "text": "Hi", "out": "a.mp4"}])
    (row,) = read_manifest(manifest)
    before = make_job(row, tmp_path).fingerprint
    assert make_job(row, tmp_path).fingerprint == before
    os.utime(tmp_path / "a.jpg", ns=(0, 10**18))
    assert make_job(row, tmp_path).fingerprint != before
    changed = row.model_copy(update={"text": "Hello"})
    assert make_job(changed, tmp_path).fingerprint != make_job(row, tmp_path).fingerprint


class WritingProcesses:
    """Stands in for the local process pool: each row "renders" at once, writing its video, subtitles
    and the extras it names as small files (so the batch's own logic is tested without rendering)."""

    submitted: list[int] = []

    def __init__(self, jobs: int):
        WritingProcesses.submitted = []

    def submit(self, job):
        from concurrent.futures import Future

        from speaker.studio.batch import Outcome

        WritingProcesses.submitted.append(job.row)
        out = Path(job.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        extras = [out.with_suffix(".srt"), out.with_suffix(".vtt")]
        extras += [Path(job.options[key]) for key in ("export_track", "export_mouth_cues", "preview")
                   if key in job.options]
        for path in [out, *extras]:
            path.write_text(f"row {job.row}")
        future = Future()
        future.set_result(Outcome(job.row, job.out, "done", 0.1, "", job.fingerprint, [str(p) for p in extras]))
        return future

    def as_completed(self, futures):
        return list(futures)

    def crashed(self, error):
        return False

    def stop(self, futures):
        pass

    def close(self):
        pass


@pytest.fixture
def writing_processes(monkeypatch):
    import speaker.studio.batch

    monkeypatch.setattr(speaker.studio.batch, "_LocalProcesses", WritingProcesses)
    return WritingProcesses


def test_a_row_is_made_again_when_any_file_it_wrote_is_gone_and_kept_when_edited(
        tmp_path, grace_hopper_path, writing_processes):
    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    manifest = write_manifest(tmp_path, [
        {"image": "hopper.jpg", "text": "Hello.", "out": "v/one.mp4", "preview": "v/one.png",
         "export_mouth_cues": "v/one.tsv"},
        {"image": "hopper.jpg", "text": "Hi.", "out": "v/two.mp4"},
    ])
    assert [o.status for o in run_batch(manifest).outcomes] == ["done", "done"]
    assert read_report(manifest)[1]["extras"] == " | ".join(
        str(tmp_path / "v" / name) for name in ("one.srt", "one.vtt", "one.tsv", "one.png"))
    for gone in ("one.png", "one.tsv", "one.srt", "one.vtt", "one.mp4"):
        (tmp_path / "v" / gone).unlink()
        assert [o.status for o in run_batch(manifest).outcomes] == ["done", "skipped"], gone
        assert (tmp_path / "v" / gone).is_file() and writing_processes.submitted == [1]
    # Present is done: a file changed by hand is the user's, not redone over.
    (tmp_path / "v" / "one.srt").write_text("edited by hand")
    assert [o.status for o in run_batch(manifest).outcomes] == ["skipped", "skipped"]
    assert (tmp_path / "v" / "one.srt").read_text() == "edited by hand"
    # Skipped, the row still names its files: deleting one later runs it again.
    (tmp_path / "v" / "one.png").unlink()
    assert [o.status for o in run_batch(manifest).outcomes] == ["done", "skipped"]


def test_a_report_that_does_not_name_the_files_runs_its_rows_again(tmp_path, grace_hopper_path, writing_processes):
    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    manifest = write_manifest(tmp_path, [{"image": "hopper.jpg", "text": "Hello.", "out": "one.mp4"}])
    run_batch(manifest)
    report = report_path(manifest)
    lines = report.read_text().splitlines()
    # As a report was written before it named the files (the last column).
    report.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    assert [o.status for o in run_batch(manifest).outcomes] == ["done"]
    assert [o.status for o in run_batch(manifest).outcomes] == ["skipped"]


def test_bad_rows_are_told_before_any_row_renders_and_the_good_ones_still_run(
        tmp_path, grace_hopper_path, writing_processes):
    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    manifest = write_manifest(tmp_path, [
        {"image": "hopper.jpg", "text": "Hello.", "out": "v/good.mp4"},
        {"image": "missing.jpg", "text": "Hello.", "out": "v/missing.mp4"},
        {"image": "hopper.jpg", "text": "Hello.", "out": "v/voice.mp4", "voice": "nobody"},
        {"image": "hopper.jpg", "text": "Hello.", "out": "v/seed.mp4", "seed": "abc"},
        {"image": "broken.jpg", "text": "Hello.", "out": "v/broken.mp4"},
        {"image": "hopper.jpg", "text_file": "none.txt", "out": "v/text.mp4"},
        {"image": "hopper.jpg", "text": "Hello.", "out": "v/film.gif"},
        {"image": "hopper.jpg", "text": "Hi.", "out": "v/good2.mp4", "subtitles": "false"},
    ])
    told = []
    summary = run_batch(manifest, on_outcome=lambda outcome: told.append((outcome.row, outcome.status, outcome.reason)))
    # Every bad row is told first, one sentence each, as the pipeline itself words it; then the good rows run.
    assert [(row, status) for row, status, _ in told] == [
        (2, "failed"), (3, "failed"), (4, "failed"), (5, "failed"), (6, "failed"), (7, "failed"),
        (1, "done"), (8, "done")]
    reasons = {row: reason for row, _, reason in told}
    assert reasons[2] == f"The image {tmp_path / 'missing.jpg'} does not exist."
    assert reasons[3].startswith("Unknown voice 'nobody'; known voices: ")
    assert reasons[4] == "--seed must be a whole number (given: 'abc')."
    assert reasons[5].startswith(f"Cannot read the image {tmp_path / 'broken.jpg'}")
    assert reasons[6] == f"The text file {tmp_path / 'none.txt'} does not exist."
    assert reasons[7].startswith("Cannot write film.gif: the video is an MP4")
    assert writing_processes.submitted == [1, 8]
    assert sorted(read_report(manifest)) == list(range(1, 9))
    assert [o.row for o in summary.outcomes] == list(range(1, 9))


def test_the_command_tells_each_bad_row_in_one_line(tmp_path, grace_hopper_path):
    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    manifest = write_manifest(tmp_path, [
        {"image": "missing.jpg", "text": "Hello.", "out": "a.mp4"},
        {"image": "hopper.jpg", "text": "Hello.", "out": "b.mp4", "seed": "abc"},
    ])
    done = subprocess.run([sys.executable, "-m", "speaker", "batch", str(manifest)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"speaker: row 1 failed: The image {tmp_path / 'missing.jpg'} does not exist.",
        "speaker: row 2 failed: --seed must be a whole number (given: 'abc').",
    ]
    assert "0 done, 0 skipped, 2 failed" in done.stdout


def test_an_interrupted_batch_reports_every_row_and_its_next_run_skips_those_done(
        tmp_path, grace_hopper_path, writing_processes, monkeypatch):
    from concurrent.futures import Future

    from speaker.errors import SpeakerWarning

    class InterruptedAfterTheFirstRow(WritingProcesses):
        stopped: list = []

        def submit(self, job):
            return super().submit(job) if job.row == 1 else Future()  # the other rows never finish

        def as_completed(self, futures):
            yield from [future for future in futures if future.done()]
            raise KeyboardInterrupt

        def stop(self, futures):
            InterruptedAfterTheFirstRow.stopped = sorted(job.row for job in futures.values())

    import speaker.studio.batch

    monkeypatch.setattr(speaker.studio.batch, "_LocalProcesses", InterruptedAfterTheFirstRow)
    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    manifest = write_manifest(tmp_path, [{"image": "hopper.jpg", "text": f"Line {n}.", "out": f"{n}.mp4"}
                                         for n in (1, 2, 3)])
    with pytest.warns(SpeakerWarning, match=r"^The batch was stopped before 2 of its 3 rows were done; "
                                            r"exhibits.report.csv marks them interrupted"):
        with pytest.raises(KeyboardInterrupt):
            run_batch(manifest)
    assert InterruptedAfterTheFirstRow.stopped == [2, 3]  # the rows still being made are stopped
    report = read_report(manifest)
    assert [report[n]["status"] for n in (1, 2, 3)] == ["done", "interrupted", "interrupted"]
    monkeypatch.setattr(speaker.studio.batch, "_LocalProcesses", WritingProcesses)
    assert [o.status for o in run_batch(manifest).outcomes] == ["skipped", "done", "done"]
    assert WritingProcesses.submitted == [2, 3]


# ----------------------------------------------------------------------------- end to end (slow)


@pytest.mark.slow
def test_a_failing_extra_leaves_no_file_at_all(grace_hopper_path, tmp_path):
    from speaker import speak

    keep = tmp_path / "keep.txt"
    keep.write_text("not ours")
    with pytest.raises(SpeakerError, match="tsv or .json"):
        # The mouth cues fail last, after the video, the subtitles and the track are written.
        speak(grace_hopper_path, text="Hello.", out=tmp_path / "hi.mp4", fps=10, max_side=256,
              export_track=tmp_path / "hi.json", preview=tmp_path / "hi.png",
              export_mouth_cues=tmp_path / "hi.cues")
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.slow
def test_batch_on_local_processes_reports_failures_and_resumes(exhibition):
    command = [sys.executable, "-m", "speaker", "batch", str(exhibition), "--jobs", "2"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr
    assert "row 3 failed: Cannot read" in first.stderr and "row 4 failed" in first.stderr
    assert "2 done, 0 skipped, 2 failed" in first.stdout
    assert_two_good_rows_done(exhibition)

    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == 1
    assert "0 done, 2 skipped, 2 failed" in second.stdout
    assert [read_report(exhibition)[n]["status"] for n in (1, 2)] == ["skipped", "skipped"]

    # A changed input runs its row again, and only that row.
    (exhibition.parent / "line.txt").write_text("Good evening.", encoding="utf-8")
    third = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert [read_report(exhibition)[n]["status"] for n in (1, 2)] == ["skipped", "done"], third.stderr


@pytest.mark.slow
def test_a_deleted_preview_is_made_again_on_the_next_run(tmp_path, grace_hopper_path):
    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    manifest = write_manifest(tmp_path, [{"image": "hopper.jpg", "text": "Hello.", "out": "hi.mp4",
                                          "preview": "hi.png", "export_mouth_cues": "hi.tsv", **ROW_OPTIONS}])
    assert [o.status for o in run_batch(manifest, BatchSettings(jobs=1)).outcomes] == ["done"]
    assert read_report(manifest)[1]["extras"].split(" | ") == [
        str(tmp_path / name) for name in ("hi.srt", "hi.vtt", "hi.tsv", "hi.png")]
    (tmp_path / "hi.png").unlink()
    assert [o.status for o in run_batch(manifest, BatchSettings(jobs=1)).outcomes] == ["done"]
    assert (tmp_path / "hi.png").is_file()


@pytest.mark.slow
def test_a_rows_warning_is_one_line_naming_the_row(tmp_path, grace_hopper_path):
    """Warnings raised in a worker process come back with the row, not as Python's raw warning lines."""
    from PIL import Image

    Image.open(grace_hopper_path).rotate(90, expand=True).save(tmp_path / "sideways.png")
    manifest = write_manifest(tmp_path, [{"image": "sideways.png", "text": "Hello.", "out": "side.mp4", **ROW_OPTIONS}])
    done = subprocess.run([sys.executable, "-m", "speaker", "batch", str(manifest)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "speaker: row 1 warning: The face in the photo lies on its side" in done.stderr
    assert "SpeakerWarning" not in done.stderr and "warn(" not in done.stderr
    assert read_report(manifest)[1]["reason"].startswith("The face in the photo lies on its side")


#: A line that keeps a row busy for some seconds, so that it is still being made when the batch is stopped.
LONG_LINE = ("This line is long enough that its row is still being drawn and encoded when the batch is "
             "stopped. It goes on for a second sentence.")


def stopped_batch(manifest: Path, signal_number: int, *options: str) -> subprocess.CompletedProcess:
    """Run ``speaker batch`` and stop it once row 1's video is there and another row is being written.

    SIGINT goes to the whole process group, as Ctrl-C in a terminal sends it; SIGTERM to the batch
    alone, as ``kill`` and ``timeout`` send it.
    """
    folder = manifest.parent
    # Ctrl-C reaches a batch run from a terminal; a test run started in the background (`cmd &` from a
    # script, nohup) has SIGINT ignored, and the batch would inherit that and never see it.
    batch = subprocess.Popen([sys.executable, "-m", "speaker", "batch", str(manifest), *options],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 240
        # A long row still drawing its frames: its video being written (under names beginning with dots,
        # "...long2-staged-..."), its subtitles (written last) not yet.
        while not ((folder / "first.mp4").is_file() and list(folder.glob("*long*-staged-*.partial*"))
                   and not list(folder.glob("*long*-staged-*.srt"))):
            assert batch.poll() is None and time.monotonic() < deadline, batch.communicate()
            time.sleep(0.02)
        if signal_number == signal.SIGINT:
            os.killpg(batch.pid, signal_number)
        else:
            batch.send_signal(signal_number)
        stdout, stderr = batch.communicate(timeout=60)
    finally:
        if batch.poll() is None:
            batch.kill()
    return subprocess.CompletedProcess(batch.args, batch.returncode, stdout, stderr)


@pytest.fixture
def long_exhibition(tmp_path, grace_hopper_path) -> Path:
    """A short row first, then two long ones."""
    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    return write_manifest(tmp_path, [
        {"image": "hopper.jpg", "text": "Hello.", "out": "first.mp4", **ROW_OPTIONS},
        {"image": "hopper.jpg", "text": LONG_LINE, "out": "long2.mp4", "fps": "25", "export_track": "long2.json"},
        {"image": "hopper.jpg", "text": LONG_LINE, "out": "long3.mp4", "fps": "25"},
    ])


def assert_stopped_cleanly(manifest: Path, stopped: subprocess.CompletedProcess, code: int) -> list[str]:
    """The batch stopped: row 1 done, the long rows interrupted (or, one that finished just as the signal
    came, done), every row in the report, and on disk only whole rows: no half-written or temporary file."""
    assert stopped.returncode == code, stopped.stderr
    assert "Traceback" not in stopped.stderr
    report = read_report(manifest)
    statuses = [report[n]["status"] for n in (1, 2, 3)]
    assert statuses[0] == "done" and "interrupted" in statuses and set(statuses[1:]) <= {"done", "interrupted"}
    count = statuses.count("interrupted")
    told = (f"speaker: warning: The batch was stopped before {count} of its 3 rows {'was' if count == 1 else 'were'} "
            f"done; exhibits.report.csv marks {'it' if count == 1 else 'them'} interrupted, and running it again "
            "makes just those.")
    assert told in stopped.stderr, stopped.stderr
    time.sleep(1)  # an encoder left running would have written its file by now
    whole = {"long2.mp4": ["long2.json", "long2.mp4", "long2.srt", "long2.vtt"],
             "long3.mp4": ["long3.mp4", "long3.srt", "long3.vtt"]}
    finished = [name for row, status in zip((2, 3), statuses[1:]) if status == "done"
                for name in whole[f"long{row}.mp4"]]
    assert sorted(p.name for p in manifest.parent.iterdir()) == sorted([
        "exhibits.csv", "exhibits.report.csv", "first.mp4", "first.srt", "first.vtt", "hopper.jpg", *finished])
    return statuses


@pytest.mark.slow
@pytest.mark.parametrize("signal_number, jobs", [(signal.SIGINT, "1"), (signal.SIGINT, "2"), (signal.SIGTERM, "2")])
def test_a_stopped_batch_stops_its_rows_and_reports_every_one(long_exhibition, signal_number, jobs,
                                                              writing_processes):
    stopped = stopped_batch(long_exhibition, signal_number, "--jobs", jobs)
    statuses = assert_stopped_cleanly(long_exhibition, stopped, 128 + signal_number)
    assert ("speaker: interrupted." if signal_number == signal.SIGINT else "speaker: stopped.") in stopped.stderr
    # The next run makes only the rows not done.
    assert [o.status for o in run_batch(long_exhibition).outcomes] == [
        "skipped" if status == "done" else "done" for status in statuses]


@pytest.fixture(scope="module")
def local_cluster():
    """Two single-threaded Dask workers on 127.0.0.1 (dashboard too), each with a 'memory' resource.

    Shared by the module's tests: a killed worker is restarted by its nanny.
    """
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0", resources={"memory": 8 * 1024**3},
    ) as cluster:
        yield cluster


@pytest.mark.slow
def test_batch_on_a_dask_cluster(exhibition, local_cluster, monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", local_cluster.scheduler_address)
    done = subprocess.run([sys.executable, "-m", "speaker", "batch", str(exhibition)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "warning" not in done.stderr  # the workers declare the memory resource
    assert "2 done, 0 skipped, 2 failed" in done.stdout
    assert_two_good_rows_done(exhibition)
    again = run_batch(exhibition, BatchSettings(scheduler=local_cluster.scheduler_address))
    assert [o.status for o in again.outcomes] == ["skipped", "skipped", "failed", "failed"]


@pytest.mark.slow
def test_a_stopped_batch_on_a_dask_cluster_cancels_its_rows_and_reports_every_one(long_exhibition, local_cluster):
    stopped = stopped_batch(long_exhibition, signal.SIGINT, "--scheduler", local_cluster.scheduler_address)
    time.sleep(2)  # the cancelled tasks stop their children, which remove their files
    assert_stopped_cleanly(long_exhibition, stopped, 130)


@pytest.mark.slow
def test_a_killed_dask_worker_leaves_no_partial_file_and_its_row_completes(tmp_path, grace_hopper_path, local_cluster):
    from distributed import Client

    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    # Long enough, at 25 fps, that the worker can be stopped while it streams frames into the video.
    line = "This line is long enough that the worker making it can be stopped halfway through its video. Twice."
    manifest = write_manifest(tmp_path, [{"image": "hopper.jpg", "text": line, "out": "long.mp4",
                                          "export_track": "long.json", "fps": "25", "max_side": "320"}])
    summary = {}
    runner = threading.Thread(target=lambda: summary.update(
        result=run_batch(manifest, BatchSettings(scheduler=local_cluster.scheduler_address))))
    runner.start()

    with Client(local_cluster.scheduler_address, timeout="10s") as client:
        deadline = time.monotonic() + 240
        # Mid-row: the video is being encoded under its temporary name.
        while not list(tmp_path.glob("*long-staged-*.mp4.partial-*")):
            assert runner.is_alive() and time.monotonic() < deadline, "the row was never seen writing"
            time.sleep(0.02)
        busy = [address for address, keys in client.processing().items() if keys]
        assert len(busy) == 1
        (pid,) = client.run(os.getpid, workers=busy).values()
        os.kill(pid, signal.SIGKILL)
    # The killed worker's child cleans up after itself; the row is rescheduled on the other worker.
    runner.join(timeout=300)
    assert not runner.is_alive()

    (outcome,) = summary["result"].outcomes
    assert outcome.status == "done", outcome.reason
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["exhibits.csv", "exhibits.report.csv", "hopper.jpg", "long.json", "long.mp4", "long.srt", "long.vtt"]


@pytest.mark.slow
def test_a_cancelled_dask_task_stops_its_child_and_leaves_nothing(tmp_path, grace_hopper_path, local_cluster):
    from distributed import Client

    from speaker.studio.batch import run_job_in_child

    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    # Long, at 60 fps: several seconds of frames even for a child whose models are already loaded.
    line = ("A line long enough to be cancelled while its frames are still being drawn and encoded. "
            "It goes on, and on, so that the cancellation arrives well before the last frame.")
    manifest = write_manifest(tmp_path, [{"image": "hopper.jpg", "text": line, "out": "cut.mp4", "fps": "60"}])
    (row,) = read_manifest(manifest)
    with Client(local_cluster.scheduler_address, timeout="10s") as client:
        future = client.submit(run_job_in_child, make_job(row, tmp_path), pure=False)
        deadline = time.monotonic() + 240
        while not list(tmp_path.glob("*cut-staged-*.mp4.partial-*")):
            assert not future.done() and time.monotonic() < deadline, "the row was never seen writing"
            time.sleep(0.02)
        future.cancel()
        deadline = time.monotonic() + 30
        while list(tmp_path.glob(".*")) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exhibits.csv", "hopper.jpg"]


@pytest.mark.slow
def test_a_row_child_stopped_twice_in_a_row_still_removes_its_files(tmp_path, grace_hopper_path):
    # A dying Dask worker's child can get SIGTERM twice within milliseconds; the second must not cut
    # the cleanup of the first short.
    import json
    from dataclasses import asdict

    shutil.copy(grace_hopper_path, tmp_path / "hopper.jpg")
    line = "A line long enough to be stopped while its frames are drawn. It has two sentences."
    manifest = write_manifest(tmp_path, [{"image": "hopper.jpg", "text": line, "out": "stop.mp4", "fps": "25"}])
    (row,) = read_manifest(manifest)
    child = subprocess.Popen([sys.executable, "-m", "speaker.studio.batch", "--child"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdin.write(json.dumps(asdict(make_job(row, tmp_path))).encode("utf-8") + b"\n")
        child.stdin.flush()
        deadline = time.monotonic() + 240
        while not list(tmp_path.glob("*stop-staged-*.mp4.partial-*")):
            assert child.poll() is None and time.monotonic() < deadline, "the row was never seen writing"
            time.sleep(0.02)
        child.send_signal(signal.SIGTERM)
        time.sleep(0.002)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
    time.sleep(1)  # an ffmpeg left running would finish its file by now
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exhibits.csv", "hopper.jpg"]


def test_staged_outputs_move_into_place_together_or_not_at_all(tmp_path):
    from speaker.pipeline import SpeakResult, _StagedOutputs

    def run(fail: bool) -> SpeakResult | None:
        with _StagedOutputs() as staged:
            out, options = staged.stage(tmp_path / "talk.mp4", {"export_track": tmp_path / "talk.json", "fps": 10})
            assert options["fps"] == 10 and out.name.startswith(".talk-staged-") and out.suffix == ".mp4"
            track = options["export_track"]
            out.write_bytes(b"video")
            subtitles = out.with_suffix(".srt")  # named after the video, as the subtitle writer does
            subtitles.write_text("1")
            face_track = track.with_name(f"{track.stem}.face1.json")  # named after the track, as dialogues do
            face_track.write_text("{}")
            if fail:
                raise SpeakerError(f"Cannot write {track}.")
            return staged.finished(SpeakResult(path=out, audio_seconds=1, frames=10, fps=10,
                                               extra_files=[subtitles, track, face_track]))

    with pytest.raises(SpeakerError, match=r"Cannot write .*/talk\.json\.$"):
        run(fail=True)
    assert list(tmp_path.iterdir()) == []
    result = run(fail=False)
    assert result.path == tmp_path / "talk.mp4"
    assert result.extra_files == [tmp_path / "talk.srt", tmp_path / "talk.json", tmp_path / "talk.face1.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.face1.json", "talk.mp4", "talk.srt"]


def test_staged_outputs_refuse_a_folder_before_the_work_and_leave_nothing_when_a_name_is_taken_by_one(tmp_path):
    from speaker.pipeline import _StagedOutputs

    (tmp_path / "talk").mkdir()
    with pytest.raises(SpeakerError, match=r"Cannot write to .*/talk: it is a folder"):
        with _StagedOutputs() as staged:
            staged.stage(tmp_path / "talk", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk"]

    (tmp_path / "film.srt").mkdir()  # found only when the files are moved: the subtitles are named by their writer
    with pytest.raises(SpeakerError, match=r"Cannot write to .*/film\.srt: it is a folder; nothing was written\."):
        with _StagedOutputs() as staged:
            out, options = staged.stage(tmp_path / "film.mp4", {"export_track": tmp_path / "film.json"})
            out.write_bytes(b"video")
            out.with_suffix(".srt").write_text("1")
            options["export_track"].write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.srt", "talk"]
    assert list((tmp_path / "film.srt").iterdir()) == []


def test_staged_outputs_refuse_a_pipe_and_two_outputs_of_one_name_before_the_work(tmp_path):
    import os
    import stat

    from speaker.pipeline import _StagedOutputs

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)  # as /dev/null is a device: renamed over, it would become a plain file
    with pytest.raises(SpeakerError, match=r"Cannot write to .*/pipe: it is a device or a pipe, not a file"):
        with _StagedOutputs() as staged:
            staged.stage(pipe, {})
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    for out, options, told in (
            ("g.mp4", {"export_track": "g.mp4"}, r"--export-track .*/g\.mp4 is the file of the video too"),
            ("k.mp4", {"export_track": "k.srt"}, r"--export-track .*/k\.srt is the file of the subtitles too"),
            ("j.mp4", {"export_track": "j.json", "export_mouth_cues": "j.json"},
             r"--export-mouth-cues .*/j\.json is the file of --export-track too")):
        with pytest.raises(SpeakerError, match=told):
            with _StagedOutputs() as staged:
                staged.stage(tmp_path / out, {key: tmp_path / name for key, name in options.items()})
    with _StagedOutputs() as staged:  # without subtitles, k.srt is free for the track
        staged.stage(tmp_path / "k.mp4", {"export_track": tmp_path / "k.srt", "subtitles": False})
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_without_subtitles_an_earlier_runs_beside_the_video_are_told(tmp_path):
    from speaker.errors import SpeakerWarning
    from speaker.pipeline import _StagedOutputs

    (tmp_path / "talk.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nFirst version.\n")
    with pytest.warns(SpeakerWarning, match=r"^talk\.srt beside talk\.mp4 is from an earlier run"):
        with _StagedOutputs() as staged:
            staged.stage(tmp_path / "talk.mp4", {"subtitles": False})
    assert (tmp_path / "talk.srt").read_text().endswith("First version.\n")  # the user's to delete, not ours


def test_staged_outputs_take_back_the_files_moved_before_a_move_fails(tmp_path, monkeypatch):
    import os

    from speaker.pipeline import _StagedOutputs

    replace = os.replace
    moves = []

    def replace_then_fail(source, target):
        moves.append(target)
        if len(moves) == 2:
            raise PermissionError(13, "Permission denied")
        replace(source, target)

    with pytest.raises(SpeakerError, match="Cannot move the finished files into place: Permission denied"):
        with _StagedOutputs() as staged:
            out, options = staged.stage(tmp_path / "film.mp4", {"export_track": tmp_path / "film.json"})
            out.write_bytes(b"video")
            options["export_track"].write_text("{}")
            monkeypatch.setattr(os, "replace", replace_then_fail)
    assert len(moves) == 2 and list(tmp_path.iterdir()) == []


def test_check_speak_refuses_what_speak_would_before_any_work_and_writes_nothing(grace_hopper_path, tmp_path):
    from speaker.errors import SpeakerError
    from speaker.pipeline import check_speak

    out = tmp_path / "talk.mp4"
    opts = check_speak(grace_hopper_path, "Hello there.", out=out, fps="30", subtitles="false")
    assert opts.fps == 30 and opts.subtitles is False
    for arguments, expected in (
        (dict(text="Hello.", voice="marvin"), "Unknown voice 'marvin'"),
        (dict(text="  ,  "), "The text is empty"),
        (dict(audio=tmp_path / "gone.wav"), "gone.wav does not exist"),
        (dict(text="Hello.", seed="abc"), "--seed must be a whole number"),
        (dict(text="Hello.", export_track=out), "is the file of the video too"),
    ):
        with pytest.raises(SpeakerError, match=expected):
            check_speak(grace_hopper_path, out=out, **arguments)
    with pytest.raises(SpeakerError, match="does not exist"):
        check_speak(tmp_path / "nobody.jpg", "Hello.", out=out)
    assert list(tmp_path.iterdir()) == []


def test_an_interruption_while_the_files_move_into_place_leaves_none_of_them(tmp_path, monkeypatch):
    import os

    from speaker.pipeline import SpeakResult, _StagedOutputs

    real_replace, calls = os.replace, []

    def interrupted_replace(source, destination):
        calls.append(destination)
        if len(calls) == 2:  # Ctrl-C between the first rename and the second
            raise KeyboardInterrupt
        real_replace(source, destination)

    with pytest.raises(KeyboardInterrupt):
        with _StagedOutputs() as staged:
            out, options = staged.stage(tmp_path / "talk.mp4", {"export_track": tmp_path / "talk.json"})
            out.write_bytes(b"video")
            options["export_track"].write_text("{}")
            monkeypatch.setattr(os, "replace", interrupted_replace)
            staged.finished(SpeakResult(path=out, audio_seconds=1, frames=10, fps=10,
                                        extra_files=[options["export_track"]]))
    assert len(calls) == 2 and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_row_of_a_group_photo_without_a_face_says_which_face_was_animated(tmp_path, two_faces):
    shutil.copy(two_faces, tmp_path / "pair.png")
    manifest = write_manifest(tmp_path, [
        {"image": "pair.png", "text": "Hello.", "out": "clearest.mp4", "face": "", "fps": "10"},
        {"image": "pair.png", "text": "Hello.", "out": "left.mp4", "face": "0", "fps": "10"},
    ])
    assert [o.status for o in run_batch(manifest, BatchSettings(jobs=1)).outcomes] == ["done", "done"]
    report = read_report(manifest)
    assert report[1]["reason"].startswith("The photo has 2 faces; face "), report[1]["reason"]
    assert report[1]["reason"].endswith("A 'face' column chooses another.")
    assert "The photo has" not in report[2]["reason"]  # the row chose its face
