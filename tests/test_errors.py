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
