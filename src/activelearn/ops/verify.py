"""`verify`: check that the project is whole and consistent; `--repair` fixes what is safe to fix.

Each check reads what it needs and reports a problem with how to fix it; a check that cannot
run because an earlier file is broken is skipped (its file is already reported).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ActivelearnError
from ..progress import phase
from ..project import Project, project_lock
from ..state import save_state, utc_now
from ..storage import TEMP_MARK, sha256_file

if TYPE_CHECKING:
    from ..labels import LabelLog


@dataclass(kw_only=True)
class Problem:
    where: str  # the file (relative to the project) the problem is in
    what: str
    fix: str
    repaired: bool = False


@dataclass(kw_only=True)
class VerifyResult:
    project: str
    checked: list[str]  # what was checked, in order
    problems: list[Problem]
    ok: bool = True  # no problem left (repaired ones aside)
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 while a problem is left (repaired ones aside), 0 when the project is whole."""
        return 0 if self.ok else 1


def verify(project: Project, *, repair: bool = False, wait: float = 0.0) -> VerifyResult:
    """Every promise of the project directory, checked; with `repair`, stray temp files removed
    and batches whose file is gone released, and nothing else changed."""
    if repair:
        with project_lock(project.paths, wait) as removed:  # taking the lock removes stray temp files
            return _verify(project, repair=True, removed=removed)
    return _verify(project, repair=False)


def _verify(project: Project, repair: bool, removed: Sequence[Path] = ()) -> VerifyResult:
    paths = project.paths
    result = VerifyResult(project=str(paths.root), checked=[], problems=[])
    problem = lambda where, what, fix, repaired=False: result.problems.append(
        Problem(where=where, what=what, fix=fix, repaired=repaired)
    )  # noqa: E731

    _stray_temp_files(paths.root, repair, problem, removed)
    result.checked.append("temporary files")
    config = _load(
        lambda: project.config,
        "activelearn.toml",
        "fix that line, or restore the file from a backup",
        problem,
        paths.root,
    )
    state = _load(lambda: project.state, "state.json", "restore it from a backup", problem, paths.root)
    result.checked += ["activelearn.toml", "state.json"]
    if config is None or state is None:
        return _done(result)

    from ..labels import LabelLog
    from ..pool import pool_columns

    columns = _load(
        lambda: pool_columns(paths.pool),
        "data/pool.parquet",
        "restore it from a backup, or init the project again",
        problem,
        paths.root,
    )
    log = _load(
        lambda: LabelLog.read(paths, state),
        "data/labels.parquet",
        "restore it from a backup",
        problem,
        paths.root,
    )
    result.checked += ["data/pool.parquet", "data/labels.parquet"]
    if columns is not None:
        phase("checking the pool")
        result.warnings += _check_pool(project, config, state, columns, problem)
        result.checked.append("pool rows and columns")
    if columns is not None and log is not None:
        phase("checking the labels")
        _check_labels(project, config, state, log, problem)
        result.checked.append("labels")
    phase("checking the models")
    result.warnings += _check_models(project, state, problem)
    result.checked.append("models")
    if config.features_fit_on == "pool" and state.features is not None:  # unused, and not read, otherwise
        _check_features(project, state.features, problem)
        result.checked.append("features fitted on the pool")
    released = _check_batches(project, state, log, repair, problem)
    result.checked.append("batches")
    if released:
        save_state(paths.state, state)
    return _done(result)


def _done(result: VerifyResult) -> VerifyResult:
    result.ok = not any(not p.repaired for p in result.problems)
    return result


def _load(read, where: str, fix: str, problem, root: Path):
    """What `read` returns, or None with the problem reported (its message without the file,
    which the problem names, and without a fix that repeats the problem's)."""
    try:
        return read()
    except ActivelearnError as exc:
        what = exc.message.removeprefix(f"{root / where}: ")
        problem(where, what.removesuffix(f"; {fix}"), fix)
        return None


def _stray_temp_files(root: Path, repair: bool, problem, removed=()) -> None:
    """Temporary files an interrupted write left behind (never part of the project's state);
    `removed`: those the project lock already removed, reported as repaired."""
    for path in removed:
        problem(
            str(path.relative_to(root)),
            "a temporary file left by an interrupted command",
            "verify --repair removes it",
            repaired=True,
        )
    for path in sorted(root.rglob(f"*{TEMP_MARK}*")) + sorted(root.glob(".*.init-*")):
        if not path.name.startswith("."):
            continue
        if repair:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        problem(
            str(path.relative_to(root)),
            "a temporary file left by an interrupted command",
            "verify --repair removes it",
            repaired=repair,
        )


def _check_pool(project: Project, config, state, columns: list[str], problem) -> list[str]:
    """Problems of the pool and of how activelearn.toml uses its columns; returns the warnings."""
    from ..features import check_columns, pool_column_warnings
    from ..pool import check_pool

    warnings: list[str] = []
    try:
        check_columns(config.columns, columns, "activelearn.toml", config.id_column)
    except ActivelearnError as exc:
        problem("activelearn.toml", exc.message, "fix the column names in activelearn.toml")
    else:
        try:
            warnings = pool_column_warnings(config.columns, project.paths.pool, config.id_column, "activelearn.toml")
        except ActivelearnError as exc:
            problem("activelearn.toml", exc.message, "fix the role in activelearn.toml")
    _load(
        lambda: check_pool(project.paths, state),
        "data/pool.parquet",
        "restore the pool written by init",
        problem,
        project.paths.root,
    )
    return warnings


def _check_labels(project: Project, config, state, log: LabelLog, problem) -> None:
    from ..pool import pool_ids

    ids = pool_ids(project.paths.pool, config.id_column)
    unknown = sorted(set(log.whole["id"].dropna()) - ids)
    if unknown:
        problem(
            "data/labels.parquet",
            f"{len(unknown)} answers name ids that are not in the pool (e.g. {unknown[0]!r})",
            "restore the label log from a backup",
        )
    unknown = log.unknown_classes(config.classes)  # a reverted import no longer counts
    if len(unknown):
        bad = sorted(set(unknown["answer"].dropna()))
        imports = ", ".join(sorted(set(unknown["import_id"].dropna()))[:5])
        problem(
            "data/labels.parquet",
            f"labels {', '.join(map(repr, bad[:5]))} are not among the classes of activelearn.toml",
            f"add them to [data] classes, or revert the import that brought them: activelearn import-labels --revert {imports}",
        )
    kinds = set(log.whole["kind"].dropna()) - {"label", "skip"}
    if kinds:
        problem(
            "data/labels.parquet",
            f"unknown kinds of answer: {', '.join(sorted(kinds))}",
            "restore the label log",
        )
    known_imports = set(log.imports())
    for import_id in sorted(set(state.reverted_imports) - known_imports):
        problem(
            "state.json",
            f"reverts {import_id}, which is not in the label log",
            "restore state.json or the label log",
        )
    batch_ids = {i for b in state.batches for i in b.ids}
    missing = sorted(batch_ids - ids)
    if missing:
        problem(
            "state.json",
            f"{len(missing)} batch rows are not in the pool (e.g. {missing[0]!r})",
            "restore state.json",
        )


def _check_models(project: Project, state, problem) -> list[str]:
    """Every model file is one the tool would load: in models/, present, unchanged, a skops file
    of trusted types. An older version that an older activelearn pickled is only a warning (the
    latest model is what query and predict load); returns the warnings."""
    from ..errors import ModelFileError
    from ..model_files import record_file
    from ..versions import model_name, model_problem

    warnings = []
    for record in state.models:
        try:
            path = record_file(project.paths.root, record, model_name(record))[0]
        except ModelFileError as exc:
            problem("state.json", exc.reason, exc.fix)
            continue
        if not path.is_file():
            problem(
                record.file,
                f"model {record.version} is missing",
                "run `activelearn train --force` for a new one",
            )
        elif sha256_file(path) != record.sha256:
            problem(
                record.file,
                f"model {record.version} has changed since activelearn wrote it (it will not be loaded)",
                "delete it and run `activelearn train --force`",
            )
        else:
            refused = model_problem(project, record)
            if not isinstance(refused, ModelFileError):
                continue
            if refused.pickled and record is not state.latest_model:
                warnings.append(
                    f"{record.file}: {refused.reason}; it is older than the latest model, which is what "
                    "query and predict load"
                )
            else:
                problem(record.file, refused.reason, refused.fix)
    return warnings


def _check_features(project: Project, record, problem) -> None:
    """The features fitted on the pool are what train would reuse: in models/, present, unchanged,
    of trusted types. Train fits them again when they are not (they are derived data)."""
    from ..errors import ModelFileError
    from ..model_files import read_checked, record_file
    from ..pool_features import FEATURES_FILE, file_problem

    fix = "run `activelearn train`: it fits the features on the pool again"
    found = file_problem(project.paths, record)
    if found is not None:
        problem(*found, fix)
        return
    try:
        read_checked(*record_file(project.paths.root, record, FEATURES_FILE))
    except ModelFileError as exc:
        problem(record.file, exc.reason, fix)


def _check_batches(project: Project, state, log: LabelLog | None, repair: bool, problem) -> bool:
    """Batch files still waiting for answers must exist; with repair, a batch whose file is gone is released."""
    answered = log.answered_ids() if log is not None else set()
    released = False
    for batch in state.batches:
        path = Path(batch.file) if Path(batch.file).is_absolute() else project.paths.root / batch.file
        outstanding = [i for i in batch.ids if i not in answered]
        if batch.released or not outstanding or path.exists():
            continue
        if repair:
            batch.released = utc_now()
            released = True
        problem(
            batch.file,
            f"{batch.name} waits for {len(outstanding)} answers, but its file is gone",
            "verify --repair releases the batch (its rows return to the pool)",
            repaired=repair,
        )
    return released
