"""``speaker web``: the Gradio page. Layout and wiring only; :mod:`.web_adapter` does the work.

Served offline: analytics off, system fonts (no web fonts), no share tunnel,
no server-side rendering (no Node); one job at a time through Gradio's queue.
Element ids are stable for tests and for people who script the page:
``portrait``, ``faces``, ``face``, ``text``, ``audio``, ``transcript``,
``dialogue`` (the accordion) and ``script``, ``voice``, ``motion``, ``fps``,
``seed``, ``speak``, ``stop``, ``video``, ``message``, ``downloads``.

Stopping a job is the studio's own stop signal, which the pipeline's progress
callback checks, and not Gradio's ``cancels=``: in Gradio 6.31 that only
abandons the event, while the worker thread renders on to the end, and it
frees the one render slot at once, so that the next job runs beside it.
"""

# No ``from __future__ import annotations``: Gradio finds the ``request: gr.Request`` parameters of the
# handlers by resolving their annotations, and as strings "gr" would not resolve (gradio is imported inside
# build_page, after offline_environment); the handlers would silently get None.

import html
import os

from .web_adapter import AUTOMATIC_VOICE, SUREST_FACE, Studio, StudioSettings

TITLE = "speaker — the portrait studio"

#: Quiet, gallery-like styling: warm paper, dark ink, one accent; system fonts only.
CSS = """
.gradio-container { max-width: 1180px !important; margin: 0 auto; }
#masthead { border-bottom: 1px solid #cfc6b4; padding: 6px 0 14px 0; margin-bottom: 6px; }
#masthead h1 { font-family: Georgia, 'Times New Roman', serif; font-weight: normal; font-size: 2.1em;
               letter-spacing: 0.01em; margin: 0; color: #2b2520; }
#masthead p { margin: 4px 0 0 0; color: #6b6053; font-size: 1.02em; }
#message { min-height: 3.2em; }
#message .speaker-message { border-left: 4px solid #b8923a; background: #faf6ee; padding: 10px 14px;
                            color: #2b2520; font-size: 1.02em; border-radius: 2px; }
#message .speaker-message.problem { border-left-color: #a33b2b; background: #fbefec; }
#speak { font-size: 1.1em; }
footer { display: none !important; }
"""


def offline_environment() -> None:
    """Keep Gradio and huggingface_hub off the network (set before gradio is imported)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("GRADIO_RUN_HISTORY", "False")


def message_html(sentence: str, problem: bool = False, title: str = "") -> str:
    """The message element's content: one sentence (after a bold title) in a box that stays on the page."""
    if not sentence:
        return ""
    kind = "speaker-message problem" if problem else "speaker-message"
    heading = f"<strong>{html.escape(title)}</strong> " if title else ""
    return f'<div class="{kind}" role="status">{heading}{html.escape(sentence)}</div>'


def job_fraction(stage: str, detail: str) -> float:
    """The part of a job done, 0 to 1, when the pipeline calls ``progress(stage, detail)``, for the page's bar.

    The stages before ``stage`` (in :data:`speaker.pipeline.STAGES`' order), and
    within it the part that a :class:`~speaker.pipeline.ProgressUpdate` detail
    tells (the frames a render has drawn); a plain detail is the stage's start.
    """
    from ..pipeline import STAGES, ProgressUpdate

    stages_done = STAGES.index(stage) if stage in STAGES else 0
    within = 0.0
    if isinstance(detail, ProgressUpdate) and detail.fraction is not None:
        # A recording's segments may add up to a frame more than its length rounds to.
        within = min(detail.fraction, 1.0)
    return (stages_done + within) / len(STAGES)


def theme():
    """A warm, sober Gradio theme using only fonts already on the visitor's machine."""
    import gradio as gr

    return gr.themes.Base(
        primary_hue=gr.themes.colors.amber,
        secondary_hue=gr.themes.colors.stone,
        neutral_hue=gr.themes.colors.stone,
        radius_size=gr.themes.sizes.radius_sm,
        font=["Helvetica Neue", "Helvetica", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
    ).set(body_background_fill="#f4f0e8", block_background_fill="#fffdf9", button_primary_background_fill="#2b2520",
          button_primary_background_fill_hover="#4a3f35", button_primary_text_color="#fffdf9",
          # Stop in the ink red of the problem messages.
          button_cancel_background_fill="#a33b2b", button_cancel_background_fill_hover="#86301f",
          button_cancel_text_color="#fffdf9", button_cancel_text_color_hover="#fffdf9")


def _pass_unreadable_uploads(upload) -> None:
    """Let a file Pillow cannot open reach the studio as it is, whose own reading says in one sentence
    what it is (Gradio's decoding of it failed with a bare "Error" on every panel).

    Done on the component rather than by subclassing it: Gradio writes a ``.pyi`` stub beside the module
    of every component class defined.
    """
    decode = upload.preprocess

    def preprocess(payload):
        try:
            return decode(payload)
        except Exception:  # noqa: BLE001 - any decoding failure: the studio reads the file and tells why
            return None if payload is None else payload.path

    upload.preprocess = preprocess


def build_page(studio: Studio):
    """The page: inputs on the left, the video, the message and the downloads on the right."""
    import gradio as gr

    from ..face.image import enable_heic

    enable_heic()  # Gradio's image upload opens the photo with Pillow too: a phone's HEIC photo must open

    settings = studio.settings
    with gr.Blocks(title=TITLE, analytics_enabled=False,
                   delete_cache=(600, int(settings.keep_minutes * 60))) as page:
        gr.HTML("<h1>Make a portrait speak</h1>"
                "<p>Upload a photograph or painting, give it words or a recording, and press Speak. "
                "Everything runs on this computer.</p>", elem_id="masthead")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                with gr.Row():
                    portrait = gr.Image(label="Portrait", type="filepath", sources=["upload"], elem_id="portrait",
                                        height=300)
                    _pass_unreadable_uploads(portrait)
                    faces = gr.Image(label="Faces found", interactive=False, elem_id="faces", height=300,
                                     buttons=[])
                face = gr.Dropdown(label="Which face speaks", choices=[("The clearest face", SUREST_FACE)],
                                   value=SUREST_FACE, elem_id="face")
                text = gr.Textbox(label="What to say", lines=3, placeholder="Type the words the portrait says.",
                                  elem_id="text")
                with gr.Row():
                    audio = gr.Audio(label="…or a recording to lip-sync", type="filepath", sources=["upload"],
                                     elem_id="audio")
                    transcript = gr.Textbox(label="What the recording says (optional, improves the lips)",
                                            lines=3, elem_id="transcript")
                with gr.Accordion("…or a dialogue between the faces of the photo", open=False, elem_id="dialogue"):
                    script = gr.Textbox(
                        label="Script: a line 'N: words' for face N (numbered as in 'Faces found'); optional "
                              "headers 'voice N = heart' and 'name N = Ada'",
                        lines=5, elem_id="script",
                        placeholder="name 0 = Giovanni\nvoice 1 = heart\n0: Good morning, my dear.\n"
                                    "1: Good morning. Did you sleep well?")
                # One above the other: side by side, half a column is too narrow for the three choices in a line.
                voice = gr.Dropdown(label="Voice", choices=studio.voice_choices(), value=AUTOMATIC_VOICE,
                                    elem_id="voice")
                motion = gr.Radio(label="Head motion", choices=["still", "calm", "lively"], value="calm",
                                  elem_id="motion")
                with gr.Accordion("More settings", open=False):
                    with gr.Row():
                        fps = gr.Slider(label="Frames per second", minimum=5, maximum=60, step=1, value=25,
                                        elem_id="fps")
                        seed = gr.Number(label="Seed (same seed, same video)", value=0, precision=0,
                                         elem_id="seed")
                    with gr.Row():
                        motion_scale = gr.Slider(label="Head motion amount", minimum=0, maximum=3, step=0.1,
                                                 value=1.0, elem_id="motion_scale")
                        max_side = gr.Slider(label="Largest video side (pixels)", minimum=256, maximum=1920,
                                             step=32, value=1280, elem_id="max_side")
                    with gr.Row():
                        language = gr.Textbox(label="Language of the recording (en, de, fr, ...; empty: heard "
                                                    "in it)", value="", elem_id="language")
                        lipsync = gr.Radio(label="Lip timing for recordings",
                                           choices=["auto", "phones", "audio-model"], value="auto",
                                           elem_id="lipsync")
                # Stop takes Speak's place while a job waits or runs.
                speak = gr.Button("Speak", variant="primary", elem_id="speak")
                stop = gr.Button("Stop", variant="stop", visible=False, elem_id="stop")
            with gr.Column(scale=4):
                video = gr.Video(label="The speaking portrait", interactive=False, elem_id="video", height=420)
                message = gr.HTML(elem_id="message")
                downloads = gr.File(label="Downloads: the video, its subtitles, motion track, mouth cues, "
                                          "contact sheet", file_count="multiple", interactive=False,
                                    elem_id="downloads")

        def show_faces(image_path):
            shown = studio.browser_copy(image_path)
            if shown is not None:  # the page shows the copy, whose own change event previews its faces
                return str(shown), gr.update(), gr.update(), gr.update()
            preview = studio.preview_faces(image_path)
            return (gr.update(), preview.image, gr.update(choices=preview.choices, value=SUREST_FACE),
                    message_html(preview.message, problem=preview.image is None and bool(preview.message)))

        def begin(request: gr.Request):
            studio.expect_job(request.session_hash)
            return gr.update(visible=False), gr.update(visible=True, value="Stop", interactive=True)

        def run(image_path, text_value, audio_path, transcript_value, voice_value, motion_value, fps_value,
                seed_value, face_value, motion_scale_value, language_value, lipsync_value, max_side_value,
                script_value, request: gr.Request, progress=gr.Progress()):
            def stage(name: str, detail: str) -> None:
                progress(job_fraction(name, detail), desc=f"{name}: {detail}")

            with studio.job(request.session_hash) as stopped:
                result = studio.make_video(
                    image_path, text_value, audio_path, transcript_value, voice=voice_value, motion=motion_value,
                    fps=fps_value, seed=seed_value or 0, face=face_value, motion_scale=motion_scale_value,
                    language=language_value, lipsync=lipsync_value, max_side=max_side_value, progress=stage,
                    script=script_value, stopped=stopped,
                )
            files = [str(path) for path in result.downloads] or None
            failed = result.video is None and not result.stopped
            return (str(result.video) if result.video else None, files,
                    message_html(result.message, problem=failed, title="Could not make the video." if failed else ""))

        def stop_job(request: gr.Request):
            # The job ends at the pipeline's next progress call (a stage, a sentence, or within about a second
            # while frames are drawn); run's answer then says so.
            studio.stop(request.session_hash)
            return gr.update(value="Stopping…", interactive=False)

        def end():
            return gr.update(visible=True), gr.update(visible=False)

        def tab_closed(request: gr.Request) -> None:
            studio.stop(request.session_hash)

        portrait.change(show_faces, inputs=portrait, outputs=[portrait, faces, face, message], concurrency_limit=None)
        # begin and end are outside the queue: the buttons change at once, also while another session renders.
        speak.click(begin, outputs=[speak, stop], queue=False, show_progress="hidden").then(
            run,
            inputs=[portrait, text, audio, transcript, voice, motion, fps, seed, face, motion_scale, language,
                    lipsync, max_side, script],
            outputs=[video, downloads, message],
            concurrency_limit=1, concurrency_id="speak", show_progress_on=[video],
        ).then(end, outputs=[speak, stop], queue=False, show_progress="hidden")
        stop.click(stop_job, outputs=stop, queue=False, show_progress="hidden")
        # Gradio calls it when the page's heartbeat connection drops: the tab was closed or reloaded.
        page.unload(tab_closed)
    return page


def serve(settings: StudioSettings | None = None, *, block: bool = True, quiet: bool = False):
    """Start the page on ``settings.host:settings.port``.

    Returns
    -------
    (page, url)
        The Gradio Blocks and the local address; with ``block=True`` this
        returns only when the server stops.
    """
    offline_environment()
    settings = settings or StudioSettings()
    studio = Studio(settings)
    page = build_page(studio)
    page.queue(default_concurrency_limit=1, max_size=16)
    _, url, _ = page.launch(
        server_name=settings.host, server_port=settings.port, share=False, inbrowser=False,
        prevent_thread_lock=True, show_error=False, quiet=quiet, ssr_mode=False, pwa=False, mcp_server=False,
        max_file_size=int(max(settings.max_image_mb, settings.max_audio_mb) * 1e6),
        allowed_paths=[str(studio.root)], footer_links=[], theme=theme(), css=CSS,
    )
    if block:
        try:
            page.block_thread()
        finally:
            page.close()
    return page, url
