"""Batches over time: list them with their progress, release the unanswered rows of one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ActivelearnError, InputError, UsageError
from ..messages import did_you_mean
from ..project import Project, project_lock
from ..state import BatchRecord, State, save_state, utc_now
from ..storage import sha256_file
from ..versions import model_version


@dataclass(kw_only=True)
class BatchInfo:
    name: str
    file: str
    rows: int
    answered: int
    outstanding: int
    status: str  # open, answered, released or expired
    strategy: str
    created: str
    prefilled: bool


@dataclass(kw_only=True)
class BatchList:
    batches: list[BatchInfo]
    warnings: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class ReleaseResult:
    released: list[str]
    rows: int
    warnings: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class RewriteResult:
    batch: str
    file: str
    rows: int
    written: bool  # False: the file was there as query wrote it
    warnings: list[str] = field(default_factory=list)


def batch_overview(state: State, answered: set[str], expire_after_days: int) -> list[BatchInfo]:
    """Every batch with how many of its rows have an answer, and whether it still reserves the rest."""
    now = dt.datetime.now(dt.UTC)
    overview = []
    for batch in state.batches:
        got = sum(1 for i in batch.ids if i in answered)
        if got == len(batch.ids):
            status = "answered"
        elif batch.released:
            status = "released"
        elif not batch.is_open(now, expire_after_days):
            status = "expired"
        else:
            status = "open"
        overview.append(
            BatchInfo(
                name=batch.name,
                file=batch.file,
                rows=len(batch.ids),
                answered=got,
                outstanding=len(batch.ids) - got,
                status=status,
                strategy=batch.strategy,
                created=batch.created,
                prefilled=batch.prefilled,
            )
        )
    return overview


def list_batches(project: Project) -> BatchList:
    """Every batch written so far, oldest first."""
    answered = project.label_log().answered_ids()
    return BatchList(batches=batch_overview(project.state, answered, project.config.expire_after_days))


def release_batches(project: Project, names: list[str], *, wait: float = 0.0) -> ReleaseResult:
    """Give the unanswered rows of the named batches back to the pool, for another query to offer.

    Answers to a released batch are still accepted by import-labels.
    """
    with project_lock(project.paths, wait):
        state = project.state
        answered = project.label_log().answered_ids()
        known = [b.name for b in state.batches]
        chosen = known if names == ["all"] else names
        warnings, released, rows = [], [], 0
        for name in chosen:
            batch = _batch_named(state, name, "--release")
            outstanding = [i for i in batch.ids if i not in answered]
            if batch.released or not outstanding:
                if names != ["all"]:
                    warnings.append(
                        f"{batch.name}: nothing to release ({'already released' if batch.released else 'every row is answered'})"
                    )
                continue
            batch.released = utc_now()
            released.append(batch.name)
            rows += len(outstanding)
        if released:
            save_state(project.paths.state, state)
        return ReleaseResult(released=released, rows=rows, warnings=warnings)


def _batch_named(state: State, name: str, option: str) -> BatchRecord:
    """The batch called `name` ("batch-0003", "eval-0002", or its number, "3"), or a usage error."""
    batch = state.batch_named(name)
    if batch is None and name.isdigit():
        batch = next((b for b in state.batches if b.name.rsplit("-", 1)[-1] == name.zfill(4)), None)
    if batch is None:
        known = [b.name for b in state.batches]
        raise UsageError(
            f"{option} {name}: no such batch{did_you_mean(name, known)} (batches: {', '.join(known[-5:]) or 'none'})"
        )
    return batch


def rewrite_batch(project: Project, name: str, *, out: Path | None = None, wait: float = 0.0) -> RewriteResult:
    """Write a lost batch file again from its record in state.json: the same rows in the same
    order, the same suggestions, in its recorded format (or `out`'s), which becomes its file.

    A file already at that place is left alone: if it is the batch as query wrote it there is
    nothing to do, and otherwise someone's answers may be in it, so it is an error.
    """
    from ..batch_files import FillIn, write_batch
    from ..selection import Context
    from .query import batch_table, checked_batch_path, recorded_path

    with project_lock(project.paths, wait):
        state, paths, config = project.state, project.paths, project.config
        batch = _batch_named(state, name, "--rewrite")
        recorded = Path(batch.file) if Path(batch.file).is_absolute() else paths.root / batch.file
        target = checked_batch_path(out if out is not None else recorded)
        shown = recorded_path(project, target)
        if target.exists():
            if target.is_file() and sha256_file(target) == batch.sha256:
                return RewriteResult(batch=batch.name, file=shown, rows=len(batch.ids), written=False)
            raise InputError(
                f"{shown}: exists and is not the batch as query wrote it (someone's answers may be in it); "
                f"import it, or move it away and run query --rewrite {batch.name} again"
            )
        warnings: list[str] = []
        pipeline, columns = None, list[str]()  # without the model, if it cannot be loaded
        if batch.model_version is not None:
            try:
                pipeline, columns = model_version(project, batch.model_version)
            except ActivelearnError as exc:
                lost = "confidence column" if batch.prefilled else "suggestion and confidence columns"
                warnings.append(f"{exc.message}; {batch.name} is written again without its {lost}")
        context = Context(config.id_column, config.columns, config.seed, 0, pipeline, columns)
        frame, _ = batch_table(
            project,
            context,
            batch.ids,
            batch.prefilled,
            sent=batch.suggestions if batch.prefilled else None,
        )
        fill_in = FillIn.of(batch.name, config, batch.prefilled)
        write_batch(frame, target, fill_in, warnings)
        batch.file, batch.sha256 = recorded_path(project, target), sha256_file(target)
        save_state(paths.state, state)
        return RewriteResult(batch=batch.name, file=batch.file, rows=len(batch.ids), written=True, warnings=warnings)
