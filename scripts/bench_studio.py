"""Measure the studio: page start-up, click-to-video for a 10 s line, batch throughput.

    python scripts/bench_studio.py web [--screenshot docs/studio.png]
    python scripts/bench_studio.py batch [--rows 8] [--workers 2]

``web`` starts ``speaker web`` on a free port of 127.0.0.1, times it until the
page answers, then drives Debian's chromium (Playwright) through two jobs of
the same ~10 s line on Grace Hopper's portrait (the first loads the models,
the second reuses them). ``batch`` renders ``--rows`` rows of ~10 s each,
first on local processes (``speaker batch --jobs N``), then on a Dask
LocalCluster of N single-threaded workers on 127.0.0.1, and prints videos per
minute. Figures depend on the machine's load; say so when quoting them.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

#: About ten seconds of speech with the default voice (piper speaks about 3.2 words a second).
TEN_SECOND_LINE = (
    "Good evening, and welcome to the museum. I was one of the first programmers of the Harvard Mark One, "
    "and I spent my life teaching machines to understand our words, not the other way round."
)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

def portrait_path() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_web(screenshot: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    work = Path(tempfile.mkdtemp(prefix="bench-studio-"))
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "speaker", "web", "--port", str(port), "--quiet"],
                              env=dict(os.environ, GRADIO_TEMP_DIR=str(work / "gradio")))
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 300:
                    raise SystemExit("the page did not start")
                time.sleep(0.1)
        print(f"page start-up (command to first answer): {time.perf_counter() - started:.1f} s")

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 960})
            page.set_default_timeout(600_000)
            page.goto(url)
            page.locator("#portrait input[type=file]").set_input_files(str(portrait_path()))
            page.wait_for_selector("#faces img")
            page.locator("#text textarea").fill(TEN_SECOND_LINE)
            for attempt in ("first job (loads the models)", "second job (models reused)"):
                previous = page.locator("#message").inner_text()
                clicked = time.perf_counter()
                page.locator("#speak").click()
                # Done when the job's new message is up and the player can play the video.
                page.wait_for_function(
                    """(previous) => { const v = document.querySelector('#video video');
                       const m = document.querySelector('#message').innerText;
                       return m !== previous && m.startsWith('Done') && v !== null && v.readyState >= 2; }""",
                    arg=previous)
                seconds = time.perf_counter() - clicked
                duration = page.evaluate("() => document.querySelector('#video video').duration")
                print(f"click to playable video, {attempt}: {seconds:.1f} s for {duration:.1f} s of video "
                      f"({page.locator('#message').inner_text().strip()})")
            if screenshot is not None:
                page.evaluate("() => document.querySelector('#video video').currentTime = 2.2")
                time.sleep(1.0)
                page.screenshot(path=str(screenshot), full_page=True)
                print(f"screenshot: {screenshot}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


def write_rows(folder: Path, rows: int) -> Path:
    shutil.copy(portrait_path(), folder / "hopper.jpg")
    manifest = folder / "exhibits.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "text", "out", "seed"])
        for row in range(rows):
            writer.writerow(["hopper.jpg", TEN_SECOND_LINE, f"videos/exhibit{row}.mp4", row])
    (folder / "videos").mkdir()
    return manifest


def bench_batch(rows: int, workers: int) -> None:
    from distributed import LocalCluster

    for where in ("local processes", "Dask LocalCluster"):
        folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
        manifest = write_rows(folder, rows)
        command = [sys.executable, "-m", "speaker", "batch", str(manifest), "--quiet"]
        started = time.perf_counter()
        if where == "local processes":
            done = subprocess.run(command + ["--jobs", str(workers)])
        else:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None) as cluster:
                print(f"LocalCluster up in {time.perf_counter() - started:.1f} s")
                done = subprocess.run(command + ["--scheduler", cluster.scheduler_address])
        seconds = time.perf_counter() - started
        made = len(list((folder / "videos").glob("*.mp4")))
        print(f"{where}: {made}/{rows} videos of ~10 s in {seconds:.1f} s = {made / seconds * 60:.2f} videos per minute"
              f" (exit {done.returncode}, {workers} workers)")
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    web = sub.add_parser("web")
    web.add_argument("--screenshot", type=Path)
    batch = sub.add_parser("batch")
    batch.add_argument("--rows", type=int, default=8)
    batch.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.what == "web":
        bench_web(args.screenshot)
    else:
        bench_batch(args.rows, args.workers)


if __name__ == "__main__":
    main()
