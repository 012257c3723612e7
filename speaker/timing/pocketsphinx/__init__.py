"""Pocketsphinx backend: forced alignment to a transcript and phone recognition."""

from __future__ import annotations

from ..core import TimingBackend


def load() -> TimingBackend:
    """The pocketsphinx timing backend (pocketsphinx is imported on first use)."""
    from .backend import PocketsphinxBackend

    return PocketsphinxBackend()
