"""User-facing settings: voice presets and the options of one run.

These are what a user can set (CLI flags, TOML voice presets, keyword
arguments of :func:`speaker.speak`). Internal tuning constants live beside the
code that uses them, not here. Every setting has a default that works.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import SpeakerError, invalid_setting
from .text import LANGUAGE_NAMES, written_language

MotionStyle = Literal["still", "calm", "lively"]


class VoicePreset(BaseModel):
    """A voice: which TTS engine and model, and how it speaks.

    Stored as TOML in ``voices/`` (or any file given by path).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = "default"
    description: str = ""
    engine: Literal["piper", "kokoro"] = "piper"
    #: Language the voice speaks, a BCP 47 tag: ``en-US``, ``en-GB``, ``zh``, ``fr``, ``de``...
    language: str = Field("en-US", pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*$")
    #: ``female`` or ``male`` (as the voice sounds), empty when unknown.
    gender: Literal["female", "male", ""] = ""
    #: This voice speaks its language when ``--language`` is given without ``--voice``.
    language_default: bool = False
    #: Kokoro style vectors: a shipped name (``af_heart``) or a ``.bin`` path.
    #: A relative path is taken relative to the preset file.
    kokoro_voice: str = ""
    #: Path to a Piper ``.onnx`` voice; empty for the bundled en_US joe voice.
    #: A relative path is taken relative to the preset file.
    model: str = ""
    #: Path to the voice's ``.onnx.json``; empty for ``<model>.json``.
    config: str = ""
    speaker_id: int | None = None
    #: Speaking rate: 1.0 as trained, 0.8 slower, 1.2 faster.
    speed: float = Field(1.0, gt=0.2, le=4.0)
    #: Piper's noise scale (variation of the voice).
    noise_scale: float = Field(0.667, ge=0.0, le=2.0)
    #: Piper's noise width (variation of phoneme durations).
    noise_w: float = Field(0.8, ge=0.0, le=2.0)
    #: Seconds of silence between sentences.
    sentence_pause: float = Field(0.35, ge=0.0, le=5.0)


class SpeakOptions(BaseModel):
    """The options of one run, as the CLI flags and :func:`speaker.speak` give them."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    image: Path
    out: Path
    text: str | None = None
    audio: Path | None = None
    transcript: str | None = None
    #: Voice preset name or TOML path; None: ``default``, or the language's default voice.
    voice: str | None = None
    fps: float = Field(25.0, ge=5.0, le=60.0)
    seed: int = 0
    motion: MotionStyle = "calm"
    motion_scale: float = Field(1.0, ge=0.0, le=3.0)
    face: int | None = None
    face_backend: str = "dlib"
    lipsync: Literal["auto", "phones", "audio-model"] = "auto"
    #: Language (ISO 639-1, optionally with a region): for text, None is the
    #: voice's own language; for audio, None lets the recogniser tell.
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]+)?$")
    subtitles: bool = True
    export_track: Path | None = None
    export_mouth_cues: Path | None = None
    debug_overlay: bool = False
    preview: Path | None = None
    max_side: int = Field(1280, ge=64, le=4096)


def _voices_dir() -> Path:
    return Path(str(resources.files("speaker.voices")))


def list_voices() -> list[VoicePreset]:
    """The bundled voice presets, sorted by name."""
    presets = [load_voice_preset(path) for path in sorted(_voices_dir().glob("*.toml"))]
    return sorted(presets, key=lambda preset: preset.name)


def load_voice_preset(name_or_path: str | Path) -> VoicePreset:
    """Load a voice preset by bundled name (``"orator"``) or by TOML path.

    Raises
    ------
    SpeakerError
        Unknown name, unreadable file or invalid preset.
    """
    path = Path(name_or_path)
    if not (path.suffix == ".toml" or path.exists()):
        path = _voices_dir() / f"{name_or_path}.toml"
        if not path.exists():
            known = ", ".join(p.stem for p in sorted(_voices_dir().glob("*.toml")))
            raise SpeakerError(f"Unknown voice '{name_or_path}'; known voices: {known}.")
    if not path.exists():
        raise SpeakerError(f"The voice preset file {path} does not exist ('speaker voices' lists the shipped voices).")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SpeakerError(f"Cannot read voice preset {path}: {error}.") from None
    data.setdefault("name", path.stem)
    try:
        preset = VoicePreset(**data)
    except ValidationError as error:
        raise SpeakerError(f"Voice preset {path} is invalid: {invalid_setting(error, flags=False)}") from None
    for key in ("model", "config", "kokoro_voice"):
        value = getattr(preset, key)
        if key == "kokoro_voice" and not value.endswith(".bin"):
            continue  # a shipped voice's name, not a path
        if value and not Path(value).is_absolute():
            preset = preset.model_copy(update={key: str((path.parent / value).resolve())})
    return preset


def speaks(preset: VoicePreset, language: str) -> bool:
    """True when the voice speaks ``language``.

    ``en`` matches ``en-US`` and ``en-GB``; ``en-GB`` matches only ``en-GB``
    (and a voice tagged plain ``en``); case and ``_`` / ``-`` do not matter.
    """
    wanted = language.lower().replace("_", "-").split("-")
    spoken = preset.language.lower().replace("_", "-").split("-")
    if wanted[0] != spoken[0]:
        return False
    return len(wanted) == 1 or len(spoken) == 1 or wanted[1:] == spoken[1:]


def same_speaker(first: VoicePreset, second: VoicePreset) -> bool:
    """True when two presets are one speaker's voice (``default``, ``calm`` and ``orator`` are all
    Piper's joe, in other deliveries), whatever their speed and pauses."""

    def speaker(preset: VoicePreset) -> tuple:
        return preset.engine, preset.kokoro_voice, preset.model, preset.speaker_id

    return speaker(first) == speaker(second)


def other_speaker_like(preset: VoicePreset, taken: list[VoicePreset]) -> VoicePreset | None:
    """A bundled voice of ``preset``'s language and sex whose speaker none of ``taken`` is, or None.

    Language defaults first, then by name; so two faces in dialogue without voices get two
    different people of the same kind.
    """
    candidates = sorted((other for other in list_voices()
                         if speaks(other, preset.language) and other.gender == preset.gender),
                        key=lambda other: (not other.language_default, other.name))
    return next((other for other in candidates
                 if not any(same_speaker(other, busy) for busy in taken)), None)


def default_voice(text: str | None) -> VoicePreset:
    """The voice for ``text`` when none is chosen: the default voice of the language its writing
    system tells (:func:`speaker.text.written_language`: Chinese characters), else ``default``.

    Raises
    ------
    SpeakerError
        The writing system's language has no bundled voice (Japanese, Korean).
    """
    written = written_language(text)
    return voice_for_language(written) if written else load_voice_preset("default")


def default_voice_note(subject: str, text: str | None, preset: VoicePreset, pronoun: str = "it") -> str | None:
    """The sentence telling that ``text``'s writing system chose ``preset`` (:func:`default_voice`), or None.

    ``subject`` and ``pronoun`` name the text in it: ``"The text is"`` / ``"it"``,
    ``"Face 1's lines are"`` / ``"them"``.
    """
    written = written_language(text)
    if written is None:
        return None
    return (f"{subject} written in {LANGUAGE_NAMES[written]}, so the voice {preset.name} ({preset.language}) "
            f"speaks {pronoun}.")


def foreign_voice_note(subject: str, text: str | None, preset: VoicePreset) -> str | None:
    """The sentence telling that the voice chosen, ``preset``, does not speak ``text``'s writing system
    (:func:`speaker.text.written_language`), naming the voices that do; None when it does or no
    writing system tells. ``subject`` as :func:`default_voice_note` takes it.

    Not a refusal: a voice may be asked to read a foreign name.
    """
    written = written_language(text)
    if written is None or speaks(preset, written):
        return None
    others = ", ".join(voice.name for voice in list_voices() if speaks(voice, written))
    return (f"{subject} written in {LANGUAGE_NAMES[written]}, but the voice '{preset.name}' speaks {preset.language}; "
            + (f"voices that speak it: {others}." if others else "no bundled voice speaks it."))


def voice_for_language(language: str) -> VoicePreset:
    """The bundled voice that speaks ``language`` by default.

    The preset marked ``language_default`` among those that speak it, else
    the first (by name) that speaks it.

    Raises
    ------
    SpeakerError
        No bundled voice speaks the language (the sentence says how to add a Piper voice).
    """
    candidates = [preset for preset in list_voices() if speaks(preset, language)]
    if not candidates:
        spoken = sorted({preset.language for preset in list_voices()})
        raise SpeakerError(
            f"No bundled voice speaks '{language}' (they speak {', '.join(spoken)}); for another language "
            f"download a Piper voice (.onnx and .onnx.json), write a preset TOML with engine = \"piper\", "
            f"model = \"<voice>.onnx\" and language = \"{language}\", and pass it with --voice."
        )
    return next((preset for preset in candidates if preset.language_default), candidates[0])
