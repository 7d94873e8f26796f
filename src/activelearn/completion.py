"""Shell completion of option values: strategy and model names, batch names. Cheap (no pandas):
it runs at every press of Tab."""

# no `from __future__ import annotations`: Typer reads these signatures to know what to pass

from pathlib import Path

import typer

from .config import MODEL_NAMES, STRATEGY_NAMES
from .errors import ActivelearnError


def strategies(incomplete: str) -> list[str]:
    return [name for name in STRATEGY_NAMES if name.startswith(incomplete)]


def models(incomplete: str) -> list[str]:
    return [name for name in MODEL_NAMES if name.startswith(incomplete)]


def open_batches(ctx: typer.Context, incomplete: str) -> list[str]:
    """The batches not yet released (and 'all'), for `query --release`, read from state.json of the
    project that -C names, or the one around the working directory (answered rows are in the label
    log, which completion does not read: release says which batches have nothing to release)."""
    from .project import Project

    directory = ctx.find_root().params.get("directory") or Path.cwd()
    try:
        names = [b.name for b in Project.find(Path(directory)).state.batches if not b.released]
    except (ActivelearnError, OSError):  # no project there (yet): nothing to offer
        return []
    return [name for name in [*names, "all"] if name.startswith(incomplete)]
