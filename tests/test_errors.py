"""The one error type and the one warning type: what the user is told."""

from __future__ import annotations

import subprocess
import sys
import warnings

from speaker.errors import SpeakerWarning, warn
from speaker.pipeline import collect_warnings


def test_collected_warnings_are_still_shown():
    shown = []
    with warnings.catch_warnings():
        warnings.showwarning = lambda message, *args, **kwargs: shown.append(str(message))
        with collect_warnings() as collected:
            warn("The transcript could not be aligned; the phones were recognised instead.")
            warn("The transcript could not be aligned; the phones were recognised instead.")
    assert collected == ["The transcript could not be aligned; the phones were recognised instead."] * 2
    assert len(shown) == 2


def test_cli_prints_a_warning_as_one_line_also_when_quiet():
    code = (
        "import sys; from speaker import cli; from speaker.errors import warn\n"
        "sys.exit(cli._guarded(lambda: (warn('A worse path took over.'), 0)[1], debug=False))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0
    assert run.stderr.strip() == "speaker: warning: A worse path took over."


def test_warning_type_is_a_user_warning():
    assert issubclass(SpeakerWarning, UserWarning)


def test_a_setting_out_of_range_is_named_as_its_flag_with_its_limit_and_the_value_given():
    import pytest

    from speaker.errors import SpeakerError
    from speaker.pipeline.core import _options

    with pytest.raises(SpeakerError, match=r"^--motion-scale must be at most 3 \(given: 5\)\.$"):
        _options(image="a.jpg", out="a.mp4", motion_scale=5.0)
    with pytest.raises(SpeakerError, match=r"^--seed must be a whole number \(given: 'q'\)\.$"):
        _options(image="a.jpg", out="a.mp4", seed="q")
    with pytest.raises(SpeakerError, match=r"^--motion must be 'still', 'calm' or 'lively' \(given: 'wild'\)\.$"):
        _options(image="a.jpg", out="a.mp4", motion="wild")
    # From Python, a value of the wrong kind: said in words, not as pydantic's type names.
    with pytest.raises(SpeakerError, match=r"^--image must name a file \(given: 123\)\.$"):
        _options(image=123, out="a.mp4")
    with pytest.raises(SpeakerError, match=r"^--text must be text \(given: \['Hi\.'\]\)\.$"):
        _options(image="a.jpg", out="a.mp4", text=["Hi."])


def test_a_voice_presets_bad_value_is_named_as_its_key(tmp_path):
    import pytest

    from speaker.errors import SpeakerError
    from speaker.settings import load_voice_preset

    preset = tmp_path / "fast.toml"
    preset.write_text("speed = 9\n")
    with pytest.raises(SpeakerError, match=r"fast\.toml is invalid: speed must be at most 4 \(given: 9\)\.$"):
        load_voice_preset(preset)
