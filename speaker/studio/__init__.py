"""The studio: shells around the pipeline for people and for exhibitions.

``web`` lays out a Gradio page and ``web_adapter`` adapts the pipeline to it;
``batch`` turns the rows of a manifest into jobs on local processes or on a
Dask cluster. None of them holds logic of its own: every video is made by
:func:`speaker.pipeline.speak`, exactly as the CLI makes it.
"""
