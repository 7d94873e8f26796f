"""Batches over time: list them with their progress, release the unanswered rows of one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..errors import UsageError
from ..labels import answered_ids, counted_answers
from ..project import Project, project_lock
from ..state import State, save_state
from ..messages import did_you_mean
from ._common import utc_now


@dataclass
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


@dataclass
class BatchList:
    batches: list[BatchInfo]
    warnings: list[str] = field(default_factory=list)


@dataclass
class ReleaseResult:
    released: list[str]
    rows: int
    warnings: list[str] = field(default_factory=list)


def batch_overview(state: State, answered: set[str], expire_after_days: int) -> list[BatchInfo]:
    """Every batch with how many of its rows have an answer, and whether it still reserves the rest."""
    now = dt.datetime.now(dt.timezone.utc)
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
            BatchInfo(batch.name, batch.file, len(batch.ids), got, len(batch.ids) - got, status,
                      batch.strategy, batch.created, batch.prefilled)
        )
    return overview


def list_batches(project: Project) -> BatchList:
    """Every batch written so far, oldest first."""
    answered = answered_ids(counted_answers(project.paths, project.state))
    return BatchList(batch_overview(project.state, answered, project.config.expire_after_days))


def release_batches(project: Project, names: list[str], *, wait: float = 0.0) -> ReleaseResult:
    """Give the unanswered rows of the named batches back to the pool, for another query to offer.

    Answers to a released batch are still accepted by import-labels.
    """
    with project_lock(project.paths, wait):
        state = project.state
        answered = answered_ids(counted_answers(project.paths, state))
        known = [b.name for b in state.batches]
        chosen = known if names == ["all"] else names
        warnings, released, rows = [], [], 0
        for name in chosen:
            batch = state.batch_named(name) or state.batch_named(f"batch-{name.zfill(4)}" if name.isdigit() else name)
            if batch is None:
                raise UsageError(f"--release {name}: no such batch{did_you_mean(name, known)} (batches: {', '.join(known[-5:]) or 'none'})")
            outstanding = [i for i in batch.ids if i not in answered]
            if batch.released or not outstanding:
                if names != ["all"]:
                    warnings.append(f"{batch.name}: nothing to release ({'already released' if batch.released else 'every row is answered'})")
                continue
            batch.released = utc_now()
            released.append(batch.name)
            rows += len(outstanding)
        if released:
            save_state(project.paths.state, state)
        return ReleaseResult(released, rows, warnings)
