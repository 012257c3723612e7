"""The web page in a real browser: Debian's chromium driven by Playwright, against ``speaker web`` on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from speaker.studio.web import job_fraction, message_html
from speaker.render.sheet import draw_faces
from speaker.studio.web_adapter import STOPPED, SUREST_FACE, Studio, StudioSettings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
#: Bounded waits, seconds (the cores are shared; a first job also loads the models).
START_SECONDS = 120
JOB_SECONDS = 300


# ----------------------------------------------------------------------------- the adapter (fast)


def test_message_is_escaped_and_marks_problems():
    assert message_html("") == ""
    shown = message_html("No <face> & no luck.", problem=True, title="Could not make the video.")
    assert "No &lt;face&gt; &amp; no luck." in shown and "problem" in shown
    assert "<strong>Could not make the video.</strong>" in shown


def test_the_bar_moves_within_the_render_by_the_frames_drawn():
    from speaker.pipeline import STAGES, ProgressUpdate

    render = STAGES.index("render")
    assert job_fraction("face", "grace.jpg") == 0.0
    assert job_fraction("render", "400 frames") == render / len(STAGES)
    assert job_fraction("render", ProgressUpdate("100 of 400 frames", 0.25)) == (render + 0.25) / len(STAGES)
    # A script drawn sentence by sentence does not know its whole: the bar waits at the render's start.
    assert job_fraction("render", ProgressUpdate("3.0 s of video", None)) == render / len(STAGES)
    assert job_fraction("render", ProgressUpdate("401 of 400 frames", 401 / 400)) == (render + 1) / len(STAGES)


def test_faces_are_drawn_and_numbered_left_to_right():
    image = np.full((200, 400, 3), 90, np.uint8)
    boxes = np.array([[20, 60, 120, 160], [250, 60, 350, 160]], np.float32)
    picture = draw_faces(image, boxes, highlighted=1)
    assert picture.shape == image.shape
    changed = np.any(picture != 90, axis=2)
    # Each box's outline is drawn, and the inside of the face is left as it is.
    assert changed[60, 20:120].mean() > 0.9 and changed[60, 250:350].mean() > 0.9
    assert not changed[110, 60] and not changed[110, 300]
    # A face 20 px wide in a class photo drawn at 1280 px: its box is thin enough to leave it visible.
    class_photo = np.full((960, 1280, 3), 90, np.uint8)
    drawn = draw_faces(class_photo, np.array([[600, 500, 620, 520]], np.float32), highlighted=0, side=1280)
    assert not np.any(drawn[505:516, 605:616] != 90)


def test_make_video_turns_user_mistakes_into_one_sentence(noise_image_path, tmp_path):
    studio = Studio(StudioSettings(max_image_mb=0.0001))
    assert studio.make_video(None, "Hi", None, None).message == "Upload a portrait first."
    too_big = studio.make_video(str(noise_image_path), "Hi", None, None)
    assert too_big.video is None and too_big.message.startswith("The portrait is") and "limit" in too_big.message
    assert list(studio.root.iterdir()) == []  # a failed job leaves no folder behind


def test_no_words_too_many_words_and_a_damaged_upload_are_each_one_sentence(grace_hopper_path, tmp_path):
    studio = Studio(StudioSettings(max_text_chars=40))
    assert studio.make_video(str(grace_hopper_path), "  ", None, None).message.startswith(
        "Type what the portrait says, upload a recording")
    essay = studio.make_video(str(grace_hopper_path), "word " * 20, None, None)
    assert essay.video is None and essay.message.startswith("The text has 100 characters; this page takes at most 40")
    script = studio.make_video(str(grace_hopper_path), None, None, None, script="0: " + "word " * 20)
    assert script.message.startswith("The dialogue script has 103 characters")
    upload = tmp_path / "gradio-copy" / "truncated.jpg"  # where the server keeps the user's upload
    upload.parent.mkdir()
    upload.write_bytes(grace_hopper_path.read_bytes()[:300])
    for said in (studio.make_video(str(upload), "Hi", None, None).message, studio.preview_faces(str(upload)).message):
        assert said.startswith("Cannot read the image truncated.jpg") and "gradio-copy" not in said
    assert list(studio.root.iterdir()) == []


def test_a_dialogue_script_beside_words_or_a_recording_is_one_sentence(grace_hopper_path):
    studio = Studio()
    both = studio.make_video(str(grace_hopper_path), "Hi", None, None, script="0: Hello.")
    assert both.video is None and both.message.startswith("Give the words, a recording or a dialogue script, one")
    assert list(studio.root.iterdir()) == []


#: Many short sentences: the pipeline's progress calls come a sentence apart, and the whole would take minutes.
LONG_TEXT = " ".join(f"This is sentence {n} of a speech far too long to wait for." for n in range(1, 50))


def test_a_job_stopped_while_it_waits_for_the_render_slot_ends_at_once_and_keeps_nothing(grace_hopper_path):
    studio = Studio()
    assert studio.stop("tab") is False  # nothing to stop
    studio.expect_job("tab")
    assert studio.stop("tab") is True
    with studio.job("tab") as stopped:
        result = studio.make_video(str(grace_hopper_path), LONG_TEXT, None, None, stopped=stopped)
    assert result.stopped and result.video is None and result.downloads == [] and result.message == STOPPED
    assert list(studio.root.iterdir()) == []
    assert studio.stop("tab") is False  # the ended job is forgotten
    studio.expect_job("tab")  # the session's next job starts with a signal of its own
    with studio.job("tab") as stopped:
        assert not stopped.is_set()


@pytest.mark.slow
def test_a_job_stopped_at_a_sentence_ends_there_and_keeps_none_of_its_files(grace_hopper_path):
    studio = Studio()
    studio.expect_job("tab")
    seen, written = [], []

    def progress(stage: str, detail: str) -> None:
        seen.append(stage)
        if detail.startswith("segment 3,"):  # the first two sentences are being drawn and encoded
            written.extend(path.name for path in studio.root.rglob("*") if path.is_file())
            studio.stop("tab")

    with studio.job("tab") as stopped:
        result = studio.make_video(str(grace_hopper_path), LONG_TEXT, None, None, progress=progress, stopped=stopped)
    assert result.stopped and result.video is None and result.message == STOPPED
    assert any("grace_hopper-staged-" in name for name in written), written  # the video was being written
    assert list(studio.root.iterdir()) == []
    assert seen.count("motion") == 3  # no sentence after the stop was started


@pytest.mark.slow
def test_a_stop_after_the_last_stage_began_still_keeps_no_video(grace_hopper_path):
    studio = Studio()
    studio.expect_job("tab")

    def progress(stage: str, detail: str) -> None:
        # The render's start: "Hello."'s frames are drawn in less than the second after which the
        # pipeline would tell them, so this is its last progress call and it runs to the end.
        if stage == "render":
            studio.stop("tab")

    with studio.job("tab") as stopped:
        result = studio.make_video(str(grace_hopper_path), "Hello.", None, None, progress=progress, stopped=stopped)
    assert result.stopped and result.video is None and result.message == STOPPED
    assert list(studio.root.iterdir()) == []


#: One sentence (one track, no speech segments) whose frames take seconds to draw at 60 fps.
ONE_LONG_SENTENCE = ("Good morning to all of you who travelled here today, from the towns along the river and from "
                     "the hills beyond them, to hear what this old portrait has to say about the many years it has "
                     "seen from its place on the wall")


@pytest.mark.slow
def test_a_stop_while_a_sentence_is_drawn_ends_the_job_before_its_frames_are_done(grace_hopper_path):
    from speaker.pipeline import ProgressUpdate

    studio = Studio()
    studio.expect_job("tab")
    seen: dict = {}

    def progress(stage: str, detail: str) -> None:
        if stage == "render" and not isinstance(detail, ProgressUpdate):
            seen["render began"] = time.perf_counter()
        elif isinstance(detail, ProgressUpdate) and "stopped" not in seen:
            seen["stopped"], seen["fraction"] = time.perf_counter(), detail.fraction
            seen["files"] = [path.name for path in studio.root.rglob("*") if path.is_file()]
            studio.stop("tab")

    with studio.job("tab") as stopped:
        result = studio.make_video(str(grace_hopper_path), ONE_LONG_SENTENCE, None, None, fps=60, progress=progress,
                                   stopped=stopped)
    ended = time.perf_counter()
    assert result.stopped and result.video is None and result.downloads == [] and result.message == STOPPED
    assert "stopped" in seen, "the render told no frames before it ended"
    assert any("grace_hopper-staged-" in name for name in seen["files"]), seen["files"]  # being written
    assert list(studio.root.iterdir()) == []
    # The job ended before the frames left at the stop could have been drawn at the pace of those before it.
    drawing = seen["stopped"] - seen["render began"]
    left_to_draw = drawing * (1 - seen["fraction"]) / seen["fraction"]
    assert ended - seen["stopped"] < left_to_draw, (ended - seen["stopped"], left_to_draw, seen["fraction"])


@pytest.mark.slow
def test_preview_finds_the_face(grace_hopper_path, noise_image_path):
    studio = Studio()
    preview = studio.preview_faces(str(grace_hopper_path))
    assert preview.image is not None and preview.message == "1 face found."
    assert preview.choices == [("The clearest face", SUREST_FACE), ("Face 0 (the clearest)", 0)]
    nothing = studio.preview_faces(str(noise_image_path))
    assert nothing.image is None and nothing.message.startswith("No face was found")


def test_a_portrait_browsers_cannot_show_is_shown_as_a_png_of_the_same_pixels(grace_hopper_path, tmp_path):
    from PIL import Image

    from speaker.face.image import load_image

    studio = Studio()
    assert studio.browser_copy(str(grace_hopper_path)) is None  # a JPEG is shown as it is
    heic = Path(__file__).parent / "data" / "grace_hopper.heic"
    tiff = tmp_path / "scan.tif"
    Image.open(grace_hopper_path).convert("L").save(tiff)
    for upload in (heic, tiff):
        copy = studio.browser_copy(str(upload))
        assert copy.suffix == ".png" and copy.stem == upload.stem and copy.is_relative_to(studio.root)
        with Image.open(copy) as shown:
            assert shown.format == "PNG"
        assert np.array_equal(load_image(copy, max_side=4000)[0], load_image(upload, max_side=4000)[0])
    assert studio.preview_faces(str(copy)).message == "1 face found."
    damaged = tmp_path / "damaged.heic"
    damaged.write_bytes(heic.read_bytes()[:500])
    assert studio.browser_copy(str(damaged)) is None and "damaged" in studio.preview_faces(str(damaged)).message


@pytest.mark.slow
def test_preview_tells_that_a_photo_on_its_side_was_stood_upright(grace_hopper_path, tmp_path):
    from PIL import Image

    sideways = tmp_path / "sideways.png"
    Image.open(grace_hopper_path).rotate(90, expand=True).save(sideways)
    preview = Studio().preview_faces(str(sideways))
    assert preview.image is not None and preview.image.shape[0] > preview.image.shape[1]  # shown upright
    assert preview.message.startswith("1 face found. Note: The face in the photo lies on its side")


@pytest.mark.slow
def test_preview_of_a_class_photo_numbers_all_its_faces_though_the_video_shows_part_of_it(grace_hopper_path,
                                                                                         tmp_path):
    """60 px faces in a 4000x1000 photo: animated in the part around one, yet both are offered."""
    from PIL import Image

    small = Image.open(grace_hopper_path).convert("RGB").resize((160, 188), Image.LANCZOS)
    photo = Image.new("RGB", (4000, 1000), (128, 128, 128))
    photo.paste(small, (500, 300))
    photo.paste(small.transpose(Image.FLIP_LEFT_RIGHT), (3000, 500))
    photo.save(tmp_path / "class.png")
    preview = Studio().preview_faces(str(tmp_path / "class.png"))
    assert preview.message.startswith("2 faces found, numbered left to right")
    assert "small in this large photo" in preview.message
    assert [number for _, number in preview.choices][1:] == [0, 1]
    height, width = preview.image.shape[:2]
    assert abs(width / height - 4.0) < 0.05  # the whole photo, not the part about one face


# ----------------------------------------------------------------------------- in the browser (slow)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server_folder(tmp_path_factory) -> Path:
    """The server's log, Gradio's uploads (``gradio``) and its temporary folder (``tmp``), which holds the studio's."""
    folder = tmp_path_factory.mktemp("web")
    (folder / "tmp").mkdir()
    return folder


@pytest.fixture(scope="module")
def server(server_folder):
    """``speaker web`` in its own process on a free port of 127.0.0.1; stopped after the module."""
    port = free_port()
    folder = server_folder
    env = dict(os.environ, GRADIO_TEMP_DIR=str(folder / "gradio"), TMPDIR=str(folder / "tmp"))
    log = open(folder / "server.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "speaker", "web", "--host", "127.0.0.1", "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_SECONDS
    while True:
        assert process.poll() is None, (folder / "server.log").read_text()
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "the page did not start in time"
        time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver (as .ci/run does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(JOB_SECONDS * 1000)
        page.outside_requests = []
        page.on("request", lambda request: page.outside_requests.append(request.url)
                if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
        yield page
        browser.close()


VIDEO_PLAYABLE = """() => {
    const video = document.querySelector('#video video');
    return video !== null && video.readyState >= 2 && video.duration > 0.5 && video.videoWidth > 0;
}"""


@pytest.mark.slow
def test_page_makes_a_playable_video(server, browser_page, grace_hopper_path, tmp_path):
    page = browser_page
    page.goto(server)
    page.locator("#portrait input[type=file]").set_input_files(str(grace_hopper_path))
    page.wait_for_selector("#faces img")
    assert "1 face found" in page.locator("#message").inner_text()
    page.locator("#text textarea").fill("Hello, I am Grace Hopper.")
    page.locator("#speak").click()
    page.wait_for_function(VIDEO_PLAYABLE)
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)

    duration, width, height, source = page.evaluate(
        "() => { const v = document.querySelector('#video video'); "
        "return [v.duration, v.videoWidth, v.videoHeight, v.currentSrc]; }")
    assert source.startswith(server) and 1.0 < duration < 4.0 and (width, height) == (512, 600)
    assert page.locator("#message").inner_text().startswith("Done:")
    links = page.eval_on_selector_all("#downloads a[href]", "links => links.map(link => link.href)")
    names = sorted({link.rsplit("/", 1)[-1] for link in links})
    stem = grace_hopper_path.stem
    assert names == sorted(f"{stem}{end}" for end in (".mp4", ".srt", ".vtt", ".track.json", ".cues.tsv",
                                                       ".sheet.png"))
    assert all(link.startswith(server) for link in links)

    # The file the player plays is a real H.264/AAC MP4 as long as the player says.
    from speaker import video

    served = tmp_path / "served.mp4"
    served.write_bytes(page.request.get(source).body())
    info = video.probe(served)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert abs(info["video_duration"] - duration) < 0.2
    assert page.outside_requests == []  # offline for real: no fonts, scripts or analytics from elsewhere


@pytest.mark.slow
def test_a_file_that_is_no_picture_gives_one_sentence_on_the_page(server, browser_page, tmp_path):
    page = browser_page
    page.goto(server)
    fake = tmp_path / "notes.jpg"
    fake.write_text("These are my notes, not a photograph.")
    page.locator("#portrait input[type=file]").set_input_files(str(fake))
    message = page.locator("#message")
    message.filter(has_text="Cannot read notes.jpg: it is not a picture file").wait_for()
    assert page.get_by_text("Error", exact=True).count() == 0  # Gradio's bare badge on every panel, before


@pytest.mark.slow
def test_photo_without_a_face_gives_the_sentence_on_the_page(server, browser_page, noise_image_path):
    page = browser_page
    page.goto(server)
    page.locator("#portrait input[type=file]").set_input_files(str(noise_image_path))
    message = page.locator("#message")
    message.filter(has_text="No face was found").wait_for()
    page.locator("#text textarea").fill("Hello.")
    page.locator("#speak").click()
    # The job runs and fails; the sentence stays on the page (not a toast), with no video and no traceback.
    message.filter(has_text="Could not make the video.").wait_for()
    time.sleep(3)
    assert "Could not make the video. No face was found in the photo" in message.inner_text()
    assert "Traceback" not in page.content()
    assert page.locator("#video video").count() == 0
    assert page.outside_requests == []


@pytest.mark.slow
def test_page_makes_a_dialogue_between_the_faces_of_a_photo(server, browser_page, two_faces):
    page = browser_page
    page.goto(server)
    page.locator("#portrait input[type=file]").set_input_files(str(two_faces))
    page.locator("#message").filter(has_text="2 faces found").wait_for(timeout=START_SECONDS * 1000)
    page.locator("#dialogue button").first.click()
    page.locator("#script textarea").fill("name 0 = Grace\n0: Good morning.\n1: Good morning to you.\n")
    page.locator("#voice input").fill("heart")  # for words only: the page says so
    page.keyboard.press("Enter")
    page.locator("#speak").click()
    page.locator("#video video").wait_for(timeout=JOB_SECONDS * 1000)
    message = page.locator("#message").inner_text()
    assert message.startswith("Done:") and "dialogue's voices are chosen by its script's" in message
    links = page.eval_on_selector_all("#downloads a[href]", "links => links.map(link => link.href)")
    names = sorted({link.rsplit("/", 1)[-1] for link in links})
    assert names == ["two.mp4", "two.sheet.png", "two.srt", "two.track.face0.json", "two.track.face1.json", "two.vtt"]
    subtitles = page.request.get(next(link for link in links if link.endswith(".srt"))).text()
    assert "Grace: Good morning." in subtitles and "Face 1: Good morning to you." in subtitles
    assert page.outside_requests == []


def start_long_job(page, server, portrait: Path, server_folder: Path) -> Path:
    """Start :data:`LONG_TEXT` on the page; returns its job folder once its video is being written."""
    page.goto(server)
    page.locator("#portrait input[type=file]").set_input_files(str(portrait))
    page.wait_for_selector("#faces img")
    assert not page.locator("#stop").is_visible()
    page.locator("#text textarea").fill(LONG_TEXT)
    (root,) = (server_folder / "tmp").glob("speaker-web-*")
    earlier = set(root.glob("job-*"))
    page.locator("#speak").click()
    page.locator("#stop").wait_for(state="visible")
    assert not page.locator("#speak").is_visible()  # Stop takes its place
    deadline = time.monotonic() + JOB_SECONDS
    while not [folder for folder in set(root.glob("job-*")) - earlier if any(folder.iterdir())]:
        assert time.monotonic() < deadline, "the job did not start writing its video"
        time.sleep(0.2)
    (folder,) = set(root.glob("job-*")) - earlier
    return folder


def wait_until_gone(folder: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while folder.exists():
        assert time.monotonic() < deadline, f"the job still runs {seconds} s after it was stopped"
        time.sleep(0.2)


#: Seconds a job may take to stop: a sentence's frames (the whole long text takes minutes).
STOP_SECONDS = 30


@pytest.mark.slow
def test_stop_on_the_page_ends_the_job_keeping_nothing_and_the_next_job_runs(server, server_folder, browser_page,
                                                                           grace_hopper_path, tmp_path):
    page = browser_page
    portrait = tmp_path / "stopped.jpg"
    shutil.copy(grace_hopper_path, portrait)
    folder = start_long_job(page, server, portrait, server_folder)
    page.locator("#stop").click()
    message = page.locator("#message")
    message.filter(has_text=STOPPED).wait_for(timeout=STOP_SECONDS * 1000)
    # The sentence is the worker's own answer, given as it returned, after removing the job's files.
    assert not folder.exists()
    assert list(folder.parent.rglob("*stopped*")) == []
    assert "Could not make the video" not in message.inner_text() and "Traceback" not in page.content()
    page.locator("#speak").wait_for(state="visible")
    assert not page.locator("#stop").is_visible() and page.locator("#video video").count() == 0

    page.locator("#text textarea").fill("Hello again.")
    page.locator("#speak").click()
    page.wait_for_function(VIDEO_PLAYABLE)
    assert message.inner_text().startswith("Done:")
    assert sorted(path.name for path in folder.parent.rglob("stopped.mp4")) == ["stopped.mp4"]
    assert page.outside_requests == []


@pytest.mark.slow
def test_closing_the_tab_stops_its_job(server, server_folder, browser_page, grace_hopper_path, tmp_path):
    portrait = tmp_path / "closed.jpg"
    shutil.copy(grace_hopper_path, portrait)
    folder = start_long_job(browser_page, server, portrait, server_folder)
    browser_page.close()
    wait_until_gone(folder, STOP_SECONDS)
    assert list(folder.parent.rglob("*closed*")) == []
