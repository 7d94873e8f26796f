"""`query`: score the unlabeled pool and write the most useful rows as a batch file."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..batch_files import FillIn, batch_frame, write_batch
from ..config import STRATEGY_NAMES, embeds
from ..dask_engine import chosen_engine
from ..embedding_cache import pool_vectors_open
from ..errors import InputError, NothingToDoError, UsageError
from ..features import check_columns, pool_column_warnings
from ..labels import LabelLog
from ..messages import missing, require_choice
from ..pool import CHUNK_ROWS, iter_chunks, pool_columns, read_rows
from ..progress import phase
from ..project import Project, project_lock
from ..rows import id_array, without_ids
from ..selection import Context, choose
from ..state import BatchRecord, State, save_state, utc_now
from ..storage import sha256_file
from ..versions import latest_model
from .config import record_absent_settings

LABELED_ROWS_NEEDED = ("committee", "committee-kl", "coreset")
BATCH_SUFFIXES = (".csv", ".tsv", ".xlsx")


@dataclass(kw_only=True)
class QueryResult:
    batch: str | None  # None: not written, because of if_none_pending
    file: str | None
    rows: int
    strategy: str
    model_version: int | None
    candidates: int
    warnings: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # the training batches still waiting for answers before this one
    evaluation: bool = False  # drawn uniformly at random for the evaluation set (no model takes part)
    explored: int = 0  # rows of the batch drawn uniformly at random ([query] explore)


def default_jobs() -> int:
    """Scoring threads when --jobs is not given: one per core but one, which Arrow's own threads
    use to decode the next row groups. On 2 cores one scoring thread is as fast as two and peaks
    ~20 MiB lower on a 1M-row pool (benchmarks/scale)."""
    return max(1, (os.cpu_count() or 1) - 1)


def reserved_ids(state: State, log: LabelLog, expire_after_days: int, include_skipped: bool = False) -> set[str]:
    """Rows that may not be offered: answered ones (skipped ones too, unless asked), and the
    unanswered rows of batches still open (neither released nor expired)."""
    if include_skipped:
        reserved = log.answered_ids() - log.skipped_ids()
    else:
        reserved = log.answered_ids()
    now = dt.datetime.now(dt.UTC)
    for batch in state.batches:
        if batch.is_open(now, expire_after_days):
            reserved.update(batch.ids)
    return reserved


def query(
    project: Project,
    *,
    n: int | None = None,
    strategy: str | None = None,
    out: Path | None = None,
    prefill: bool = False,
    include_skipped: bool = False,
    jobs: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
    engine: str | None = None,
    scheduler: str | None = None,
    evaluation: int | None = None,
    if_none_pending: bool = False,
    wait: float = 0.0,
) -> QueryResult:
    """Pick the `n` most useful unlabeled rows and write them as the next batch file.

    With `prefill` the label column holds the model's suggestion and a `decision` column asks the
    person to accept, fix or skip it. With `include_skipped`, rows once skipped may come back.
    With `evaluation` (a number of rows), the batch is a uniformly random draw for the evaluation
    set instead (eval-NNNN.csv): its answers are evaluation labels, never trained on.
    With `if_none_pending`, nothing is written while an earlier batch still waits for answers
    (so that a cron job does not pile up batches nobody answers).
    """
    config = project.config
    if evaluation is not None:
        if n is not None:
            raise UsageError(f"--eval {evaluation} is the number of rows to draw; it takes no -n")
        if prefill:
            raise UsageError("--eval and --prefill do not go together: suggestions would bias the evaluation labels")
        if strategy not in (None, "random"):
            raise UsageError(f"--eval draws rows at random; it takes no --strategy ({strategy})")
        n, strategy = evaluation, "random"
    n = config.batch_size if n is None else n
    strategy = strategy or config.strategy
    if n < 1:
        raise UsageError(f"{'--eval' if evaluation is not None else '-n'} must be at least 1, not {n}")
    require_choice("--strategy", strategy, STRATEGY_NAMES, "strategy")
    engine, scheduler = chosen_engine(engine, scheduler, config, project.paths.config)
    with project_lock(project.paths, wait), contextlib.ExitStack() as opened:
        paths, state = project.paths, project.state
        log = project.label_log()
        waiting = _waiting_batches(project, log)  # before this one: reported, and with if_none_pending, a stop
        if if_none_pending and waiting:
            return QueryResult(
                batch=None, file=None, rows=0, strategy=strategy, model_version=None, candidates=0, pending=waiting
            )
        warnings: list[str] = []
        number, name = _free_name(project, "eval" if evaluation is not None else "batch", warnings)
        target = _target_path(project, name, out)
        check_columns(config.columns, pool_columns(paths.pool), str(paths.config), config.id_column)
        reserved = reserved_ids(state, log, config.expire_after_days, include_skipped)
        warnings += pool_column_warnings(config.columns, paths.pool, config.id_column, str(paths.config))

        # an evaluation batch is a random draw: it needs no model (nor its staleness warning), and
        # without one it shows no suggestions, which would bias the answers it is meant to check
        latest = latest_model(project, log) if evaluation is None else None
        stale = latest.stale_warning("a better batch") if latest is not None else None
        warnings += [stale] if stale else []
        pipeline, model_columns = (latest.pipeline, list(latest.columns)) if latest is not None else (None, [])
        if prefill and pipeline is None:
            raise UsageError("--prefill fills in the model's suggestions, and there is no model yet: run train first")
        context = Context(
            config.id_column,
            config.columns,
            config.seed,
            number,
            pipeline,
            model_columns,
            jobs=jobs or default_jobs(),
            explore=config.explore if evaluation is None else 0.0,
            text=config.text,
        )
        opened.enter_context(pool_vectors_open(paths, config.columns, needed=_embeds(strategy, context), build=True))
        if strategy in LABELED_ROWS_NEEDED:
            context.labeled, context.labels = _labeled_rows(project, log, context.used_columns)
        phase(f"scoring the pool ({strategy})")
        if engine == "dask":
            from ..dask_engine import choose_on_dask

            assert scheduler is not None  # chosen_engine gives the dask engine its scheduler's address
            chosen = choose_on_dask(scheduler, paths.pool, strategy, n, context, reserved)
        else:
            chosen = choose(
                strategy,
                lambda columns: _unreserved_chunks(project, columns, reserved, chunk_rows),
                n,
                context,
            )
        ids, candidates, used = chosen.ids, chosen.candidates, chosen.strategy
        warnings.extend(chosen.warnings)
        if used == "representative" and strategy != "representative":
            warnings.append(
                f"no model yet: chose rows that spread over the data (k-means), not by {strategy}; run train first"
            )
        if candidates == 0:
            raise NothingToDoError("nothing to query: every row of the pool is labeled or waiting in a pending batch")
        if len(ids) < n:
            warnings.append(f"only {len(ids)} unlabeled rows are left; the batch has all of them")

        phase("writing the batch")
        frame, suggestions = batch_table(project, context, ids, prefill, chosen.rows)
        predicted = dict(zip(ids, suggestions or [], strict=False))  # the model that chose the batch
        fill_in = FillIn.of(name, config, prefill)
        write_batch(frame, target, fill_in, warnings)
        record = BatchRecord(
            name=name,
            file=recorded_path(project, target),
            ids=[str(i) for i in ids],
            strategy=used,
            model_version=state.latest_model.version if pipeline is not None else None,
            created=utc_now(),
            sha256=sha256_file(target),
            prefilled=prefill,
            suggestions=suggestions if prefill else None,
            evaluation=evaluation is not None,
            explored={str(i): predicted[i] for i in chosen.explored} if chosen.explored else None,
        )
        state.batches.append(record)
        save_state(paths.state, state)
        warnings += record_absent_settings(project)  # once the batch is written: a failed query records nothing
        return QueryResult(
            batch=record.name,
            file=record.file,
            rows=len(ids),
            strategy=used,
            model_version=record.model_version,
            candidates=candidates,
            warnings=warnings,
            pending=waiting,
            evaluation=record.evaluation,
            explored=len(chosen.explored),
        )


def _embeds(strategy: str, context: Context) -> bool:
    """Whether choosing the batch embeds the pool's texts: the model does, or, without one, the
    features a cold start builds do (a random draw looks at no features)."""
    from ..embeddings import uses_embeddings

    if strategy == "random":
        return False
    return uses_embeddings(context.pipeline) if context.pipeline is not None else embeds(context.text)


def _waiting_batches(project: Project, log: LabelLog) -> list[str]:
    """The open batches with unanswered rows; evaluation batches, labeled on their own schedule,
    do not count."""
    from .batches import batch_overview

    answered = log.answered_ids()
    evaluation = {b.name for b in project.state.batches if b.evaluation}
    return [
        b.name
        for b in batch_overview(project.state, answered, project.config.expire_after_days)
        if b.status == "open" and b.name not in evaluation
    ]


def _free_name(project: Project, prefix: str, warnings: list[str]) -> tuple[int, str]:
    """(number, name) of the next batch: a number no batch has, and a name no file in batches/
    holds. A file there that state.json does not know (state.json restored from a backup, say)
    may hold someone's answers: it is left alone, and the batch takes the next number."""
    number, held = project.state.next_batch_number(), []
    while True:
        name = f"{prefix}-{number:04d}"
        found = batch_files_named(project.paths.batches, name)
        if not found:
            break
        held.extend(found)
        number += 1
    warnings.extend(
        f"{project.paths.relative(path)} is not a batch state.json knows (was state.json restored from a "
        f"backup?); left it untouched and named this batch {name}"
        for path in held
    )
    return number, name


def batch_files_named(folder: Path, name: str) -> list[Path]:
    """The files in `folder` that import-labels would take for batch `name`'s file (same stem, any
    extension, or the stem with a suffix a download adds, e.g. "batch-0002 (1).xlsx")."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.stem == name or (path.stem.startswith(name) and not path.stem[len(name)].isdigit())
    )


def _target_path(project: Project, name: str, out: Path | None) -> Path:
    if out is None:
        return project.paths.batches / f"{name}.csv"
    out = checked_batch_path(out)
    if out.exists():
        raise InputError(f"{out}: already exists; choose another --out or move it away")
    return out


def checked_batch_path(path: Path) -> Path:
    """A place a batch file can be written: a .csv, .tsv or .xlsx name in a folder that exists."""
    path = Path(path)
    if path.suffix.lower() not in BATCH_SUFFIXES:
        raise UsageError(f"--out {path}: a batch file ends in .csv, .tsv or .xlsx")
    if not path.resolve().parent.is_dir():
        raise InputError(missing(path, f"the folder {path.parent} does not exist"))
    return path


def recorded_path(project: Project, path: Path) -> str:
    """`path` as state.json records a batch file: relative to the project, or absolute outside it."""
    try:
        return project.paths.relative(path)
    except ValueError:  # outside the project: keep it absolute
        return str(Path(path).resolve())


def _unreserved_chunks(project: Project, columns: list[str], reserved: set[str], chunk_rows: int):
    id_column = project.config.id_column
    taken = id_array(reserved) if reserved else None
    for chunk in iter_chunks(project.paths.pool, list(dict.fromkeys([id_column, *columns])), chunk_rows):
        chunk = without_ids(chunk, id_column, taken)
        if len(chunk):
            yield chunk


def _labeled_rows(project: Project, log: LabelLog, columns: list[str]):
    """The current training labels with their rows, for strategies that look at them."""
    ids, labels = log.training_labels()
    return read_rows(project.paths.pool, project.config.id_column, ids, columns), labels


def batch_table(project: Project, context: Context, ids: list[str], prefill: bool, kept=None, sent=None):
    """The batch file's table; the chosen rows come from the scan when it kept them all. `sent`:
    the suggestions a pre-filled batch was sent with, when it is written again."""
    config = project.config
    display = list(config.display_columns or config.columns_with_role("numeric", "categorical", "text", "datetime"))
    needed = list(dict.fromkeys([config.id_column, *display, *context.model_columns]))
    if kept is not None and len(kept) == len(ids) and set(needed) <= set(kept.columns):
        rows = kept
    else:
        rows = read_rows(project.paths.pool, config.id_column, ids, needed)
    suggestions = confidence = None
    if context.pipeline is not None:
        proba = context.scorer.predict_proba(rows)
        suggestions = [str(c) for c in context.scorer.classes_[proba.argmax(axis=1)]]
        confidence = proba.max(axis=1)
    if sent is not None:  # as recorded, even without the model: import-labels compares with them
        suggestions = list(sent)
        confidence = confidence if confidence is not None else np.full(len(ids), np.nan)
    frame = batch_frame(rows, config.id_column, config.label_column, display, suggestions, confidence, prefill)
    return frame, suggestions
