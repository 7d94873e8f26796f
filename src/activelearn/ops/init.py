"""`init`: create a project directory from a data file."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..config import (
    DEFAULT_STRATEGY,
    MODEL_NAMES,
    STRATEGY_NAMES,
    Config,
    new_project_settings,
    render_config,
    slow_preset_warning,
)
from ..dataset import scan_dataset
from ..errors import InputError, UsageError
from ..labels import empty_log, write_label_log
from ..messages import require_choice
from ..pool import CHUNK_ROWS
from ..progress import phase
from ..project import CONFIG_NAME, ProjectPaths
from ..roles import forced_roles
from ..state import State, save_state, utc_now
from ..storage import fsync, sha256_file, write_text, written
from ..tabular import parquet_parts

if TYPE_CHECKING:
    import pyarrow.parquet as pq


@dataclass(kw_only=True)
class InitResult:
    path: str
    rows: int
    id_column: str
    generated_ids: bool
    label_column: str
    classes: list[str]
    labeled: int
    labels_per_class: dict[str, int]
    columns: list[dict[str, str]]
    warnings: list[str] = field(default_factory=list)


def init_project(
    directory: Path,
    data: Path,
    *,
    id_column: str | None = None,
    label_column: str | None = None,
    classes: list[str] | None = None,
    model: str = "logistic",
    strategy: str = DEFAULT_STRATEGY,
    batch_size: int = 20,
    seed: int = 0,
    text_columns: Sequence[str] = (),
    ignore_columns: Sequence[str] = (),
    categorical_columns: Sequence[str] = (),
    numeric_columns: Sequence[str] = (),
    datetime_columns: Sequence[str] = (),
) -> InitResult:
    """Read `data`, infer column roles (except those the *_columns options force), and write a
    new project into `directory`."""
    _check_options(model, strategy, batch_size, seed)
    forced = forced_roles(
        text=text_columns,
        categorical=categorical_columns,
        numeric=numeric_columns,
        datetime=datetime_columns,
        ignore=ignore_columns,
    )
    shown_path = str(directory)
    directory = Path(directory).resolve()
    _check_target(directory)
    warnings: list[str] = []
    with _staged(directory) as paths:
        paths.pool.parent.mkdir(parents=True)
        phase("reading the data into the pool")
        with _PoolWriter(paths.pool) as sink:  # the pool is written chunk by chunk, in bounded memory
            scan = scan_dataset(
                Path(data),
                id_column=id_column,
                label_column=label_column,
                classes=classes,
                forced_roles=forced,
                warnings=warnings,
                sink=sink,
            )
        config = _config(scan, data, model, strategy, batch_size, seed)
        _warn_if_slow(config, warnings)
        phase("writing the project")
        write_label_log(paths.label_log, _label_log(scan.answers, Path(data)))  # even empty: a missing log is damage
        paths.batches.mkdir()
        paths.models.mkdir()
        created = utc_now()
        write_text(paths.config, render_config(config, created))
        save_state(paths.state, State(created=created, pool_rows=scan.rows, label_log_written=True))
    counts = scan.answers["answer"].value_counts()
    roles, class_list, answers = scan.roles, scan.classes, scan.answers
    return InitResult(
        path=shown_path,
        rows=scan.rows,
        id_column=scan.id_column,
        generated_ids=scan.generated_ids,
        label_column=scan.label_column,
        classes=class_list,
        labeled=int(len(answers)),
        labels_per_class={c: int(counts.get(c, 0)) for c in class_list},
        columns=[{"name": r.name, "role": r.role, "note": r.note} for r in roles],
        warnings=warnings,
    )


def _warn_if_slow(config: Config, warnings: list[str]) -> None:
    slow = slow_preset_warning(config.model, config.columns, "init --model logistic")
    if slow:
        warnings.append(slow)


def _config(scan, data, model, strategy, batch_size, seed) -> Config:
    roles = scan.roles
    return Config(
        id_column=scan.id_column,
        label_column=scan.label_column,
        classes=tuple(scan.classes),
        columns={r.name: r.role for r in roles},
        generated_ids=scan.generated_ids,
        source=str(Path(data).resolve()),
        model=model,
        strategy=strategy,
        batch_size=batch_size,
        seed=seed,
        column_notes={r.name: r.note for r in roles if r.note},
        month_first_columns=tuple(r.name for r in roles if r.role == "datetime" and r.month_first),
        **new_project_settings({r.name: r.role for r in roles}),
    )


def _check_options(model: str, strategy: str, batch_size: int, seed: int) -> None:
    require_choice("--model", model, MODEL_NAMES, "model")
    require_choice("--strategy", strategy, STRATEGY_NAMES, "strategy")
    if batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, not {batch_size}")
    if seed < 0:
        raise UsageError(f"--seed must be 0 or more, not {seed}")


def _check_target(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory}: exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        raise InputError(f"{directory}: directory not empty; init needs a new or empty directory")


def _label_log(answers: pd.DataFrame, data: Path) -> pd.DataFrame:
    if answers.empty:
        return empty_log()
    digest = sha256_file(data) if data.is_file() else _folder_digest(data)
    return answers.assign(
        annotator="init",
        time=utc_now(),
        source=str(data.resolve()),
        source_sha256=digest,
        batch=None,
        import_id="import-0001",
        evaluation=False,
        decision=None,
        correction=False,
    )


def _folder_digest(folder: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for part in parquet_parts(folder):
        digest.update(sha256_file(part).encode())
    return digest.hexdigest()


class _PoolWriter:
    """A sink for scan_dataset: appends each chunk to one Parquet file, in row groups that
    `query` reads one at a time. Opened on the first chunk, when the schema is known."""

    def __init__(self, path: Path):
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def __call__(self, table) -> None:
        import pyarrow.parquet as pq

        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table, row_group_size=CHUNK_ROWS)

    def __enter__(self):
        return self

    def __exit__(self, kind, *exc) -> None:
        if self.writer is not None:
            self.writer.close()
            if kind is None:
                fsync(self.path)  # on disk before the project folder is renamed into place


@contextlib.contextmanager
def _staged(directory: Path):
    """Paths of a staging folder to write the project into; moved into place on success, so that
    a failure at any moment leaves no project behind.

    A new directory is built beside its destination and renamed into place. An existing empty
    directory (perhaps the current one) cannot be replaced, so the files are built inside it and
    moved in, activelearn.toml last: until it exists, the directory is no project.
    """
    existing = directory.is_dir()
    parent = directory if existing else directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.init-", dir=parent))
    except OSError as exc:
        raise InputError(
            f"{directory}: cannot create the project there ({(exc.strerror or str(exc)).lower()})"
        ) from None
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; a project is an ordinary folder
    try:
        yield ProjectPaths(staging)
        try:
            if existing:
                for name in ("data", "batches", "models", "state.json", CONFIG_NAME):
                    os.replace(staging / name, directory / name)
                staging.rmdir()
            else:
                os.replace(staging, directory)
            written.append(directory)  # the project is there from now on
            fsync(parent)
        except OSError as exc:
            raise InputError(
                f"{directory}: cannot create the project there ({(exc.strerror or str(exc)).lower()})"
            ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if existing:
            for name in ("data", "batches", "models", "state.json"):
                target = directory / name
                shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
        raise
