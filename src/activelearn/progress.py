"""Phases of long work ("reading the pool", "fitting", ...), reported to whoever listens.

The core calls `phase(name)` where a long step starts. Nothing happens unless the CLI installed
a reporter with `reporting()`, which it does on a terminal (a rich spinner on stderr, render.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

Advance = Callable[[int], None]  # work done so far, for a phase with a known total
Reporter = Callable[[str, "int | None"], Advance]

_reporter: Reporter | None = None


def _ignore(done: int) -> None:
    pass


def phase(name: str, total: int | None = None) -> Advance:
    """Say that `name` starts (until the next phase); returns `advance(done)` to show how far it got."""
    return _ignore if _reporter is None else _reporter(name, total)


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[None]:
    """Send the phases started inside the block to `reporter`."""
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield
    finally:
        _reporter = previous
