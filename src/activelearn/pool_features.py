"""Features fitted on the pool (`[features] fit_on = "pool"`), not on the labels.

The unsupervised steps of the features (imputer, scaler, one-hot categories, TF-IDF vocabulary and
idf, date parts, vector widths: the whole `features.build_features` pipeline) are fitted once on
the pool's rows, or on a seeded sample of POOL_FIT_ROWS of them for a bigger pool, and kept in
models/features-NNNN.skops. Every train reuses them and fits only the estimator. They are fitted
again when a setting that shapes them changes, when the pool changes, or when their file is missing
or changed: they are derived data, so train makes them again rather than refusing.

The sample is drawn by row position from the pool's size and the seed alone, and read row group by
row group keeping only its rows, so it (and the features) are the same however the pool's rows are
grouped, and memory holds the sample and one row group, whatever the pool's size.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

POOL_FIT_ROWS = 100_000  # pool rows the features are fitted on, at most: the TF-IDF of 100,000
# documents or the statistics of 100,000 rows are as good as the whole pool's, in bounded memory
FEATURES_PREFIX = "features-"
FEATURES_FILE = "the features file"  # what messages call it


class FrozenFeatures(TransformerMixin, BaseEstimator):
    """Fitted features that fitting a pipeline leaves as they are: `fit` does nothing, and
    sklearn.base.clone (cross-validation folds, committee members) returns this very object, so
    only the estimator after it learns from the labels."""

    def __init__(self, features=None):
        self.features = features

    def __sklearn_clone__(self):
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True  # made from fitted features only

    def fit(self, X, y=None, **params):
        return self

    def transform(self, X):
        return self.features.transform(X)

    def fit_transform(self, X, y=None, **params):
        return self.features.transform(X)

    @property
    def named_steps(self):
        """The steps of the features, where features.column_transformer finds their columns."""
        return self.features.named_steps


def sample_positions(pool_rows: int, seed: int) -> np.ndarray:
    """The positions of the pool rows the features are fitted on, in order: every row of a pool of
    up to POOL_FIT_ROWS, else a seeded sample of that many (from the size and the seed alone)."""
    if pool_rows <= POOL_FIT_ROWS:
        return np.arange(pool_rows)
    # numpy draws a sample of a twentieth or less of the pool without a permutation of it: the
    # memory this takes is bounded by the sample's size
    rng = np.random.default_rng([seed, 0xFEA7])
    return np.sort(rng.choice(pool_rows, size=POOL_FIT_ROWS, replace=False))


def sample_rows(pool: Path, positions: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """The pool rows at the sorted `positions` (pool.rows_at: row group by row group, keeping only
    those rows)."""
    from .errors import StateError
    from .pool import rows_at
    from .rows import arrow_to_frame

    rows = rows_at(pool, positions, columns)
    if rows is None:
        raise StateError(f"{pool}: the pool has no rows to fit the features on; init the project again")
    return arrow_to_frame(rows)


def fit_features(
    rows: pd.DataFrame,
    columns: dict[str, str],
    model: str,
    month_first=None,
    *,
    text: str = "tfidf",
) -> FrozenFeatures:
    """The features the preset `model` takes (features.build_features), fitted on `rows` (pool
    rows: no labels) and frozen."""
    from .features import explained_fit_errors
    from .models import preset_features

    features = preset_features(model, columns, month_first, text=text)
    with explained_fit_errors(columns, len(rows), pool=True):
        features.fit(rows)
    return FrozenFeatures(features)


def features_key(config) -> str:
    """A digest of what shapes the features besides the pool: the columns' roles, the preset's
    kind of features, how dates read, and the sample (its seed and size)."""
    from .models import PRESETS

    spec = {
        "columns": [[name, role] for name, role in config.columns.items() if role != "ignore"],
        **PRESETS[config.model].feature_settings,
        "month_first": config.month_first_key,
        "seed": config.seed,
        "sample_rows": POOL_FIT_ROWS,
    }
    if config.text != "tfidf":  # features of text as before the setting keep their key
        spec["text"] = config.text
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


# --- the pool's identity ------------------------------------------------------------------------


def pool_stat(pool: Path) -> str:
    """A digest of the pool's files, sizes, inodes and modification times: cheap to take, and
    unchanged while the pool is."""
    from .tabular import parquet_parts

    entries = []
    for part in parquet_parts(pool):
        status = part.stat()
        entries.append([_part_name(pool, part), status.st_size, status.st_ino, status.st_mtime_ns])
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def pool_sha256(pool: Path) -> str:
    """The SHA-256 of the pool's bytes (of each part's, with its name, for a folder of parts)."""
    from .storage import sha256_file
    from .tabular import parquet_parts

    if not pool.is_dir():
        return sha256_file(pool)
    lines = (f"{_part_name(pool, part)}\t{sha256_file(part)}" for part in parquet_parts(pool))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _part_name(pool: Path, part: Path) -> str:
    return part.name if part == pool else part.relative_to(pool).as_posix()


def _same_pool(pool: Path, record) -> bool:
    """Whether the pool holds the bytes the features were fitted from (hashed only when its files'
    sizes or times changed; then a pool only touched has its new stat put in the record, so that
    the next check need not hash it once the record is saved)."""
    stat = pool_stat(pool)
    if stat == record.pool_stat:
        return True
    if pool_sha256(pool) != record.pool_sha256:
        return False
    record.pool_stat = stat
    return True


# --- in the project -----------------------------------------------------------------------------


def stale_reason(project) -> str | None:
    """None when the stored features can be reused; else why train must fit them on the pool
    again: "" when there is nothing to tell (none stored yet, other settings), else a warning (the
    pool changed, the file did). Cheap checks, no loading."""
    record, paths = project.state.features, project.paths
    if record is None or record.key != features_key(project.config):
        return ""
    # the pool's row count is state.json's (train checked it, check_pool), which the record copied
    # when fitting: only the pool's bytes can tell it changed
    if not _same_pool(paths.pool, record):
        return f"{paths.relative(paths.pool)} changed since the features were fitted on it"
    problem = file_problem(paths, record)
    return None if problem is None else ": ".join(problem)


def file_problem(paths, record) -> tuple[str, str] | None:
    """(where, what) when the features file a record names would not be reused: outside models/
    (state.json's problem), missing, or changed since written; None when it is as written."""
    from .errors import ModelFileError
    from .model_files import record_file
    from .storage import sha256_file

    try:
        path, sha256, what = record_file(paths.root, record, FEATURES_FILE)
    except ModelFileError as exc:
        return "state.json", exc.reason
    if not path.is_file():
        return record.file, f"{what} is missing"
    if sha256_file(path) != sha256:
        return record.file, f"{what} has changed since activelearn wrote it"
    return None


def for_training(project, reason: str | None, warnings: list[str]):
    """(the features train uses, the FeaturesRecord of new ones to save, or None): the stored ones
    when `stale_reason` found them fit for the pool and settings as they are (`reason` None), else
    new ones fitted on the pool (a warning says why when the pool or the file changed)."""
    from .errors import ModelFileError, StateError
    from .model_files import load_model, record_file

    if reason is None:
        record, paths = project.state.features, project.paths
        try:
            features, _ = load_model(*record_file(paths.root, record, FEATURES_FILE))
        except ModelFileError as exc:  # a file with the recorded hash that would not load
            reason = f"{record.file}: {exc.reason}"
        except StateError as exc:  # gone or changed since stale_reason looked
            reason = exc.message
        else:
            if isinstance(features, FrozenFeatures):
                return features, None
            reason = f"{record.file}: {FEATURES_FILE} holds no features"
    if reason:
        warnings.append(f"{reason}; fitted the features on the pool again")
    return fit_on_pool(project)


def fit_on_pool(project):
    """(new features fitted on the pool, their FeaturesRecord); the file is written by `save`."""
    import datetime as dt

    from .model_files import MODEL_SUFFIX
    from .progress import phase
    from .state import FeaturesRecord

    config, state, paths = project.config, project.state, project.paths
    positions = sample_positions(state.pool_rows, config.seed)
    phase(f"fitting the features on {len(positions):,} pool rows")
    rows = sample_rows(paths.pool, positions, config.feature_columns)
    features = fit_features(rows, config.columns, config.model, config.month_first_columns, text=config.text)
    version = (state.features.version if state.features is not None else 0) + 1
    record = FeaturesRecord(
        version=version,
        file=paths.relative(paths.models / f"{FEATURES_PREFIX}{version:04d}{MODEL_SUFFIX}"),
        sha256="",
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        key=features_key(config),
        pool_rows=state.pool_rows,
        pool_sha256=pool_sha256(paths.pool),
        pool_stat=pool_stat(paths.pool),
        fitted_rows=len(positions),
    )
    return features, record


def save(paths, features: FrozenFeatures, record) -> None:
    """Write the features file, atomically, with the record as its metadata; its SHA-256 goes in
    `record`."""
    from dataclasses import asdict

    from .model_files import library_versions, save_model

    metadata = {key: value for key, value in asdict(record).items() if key != "sha256"}
    record.sha256 = save_model(paths.root / record.file, features, {**metadata, "versions": library_versions()})


def remove(paths, record, keep) -> None:
    """Delete the file of superseded features (every model file holds its own copy), unless it is
    `keep`'s or lies outside models/."""
    from .errors import StateError
    from .model_files import model_path

    if record.file == keep.file:
        return
    try:
        model_path(paths.root, record.file, FEATURES_FILE).unlink(missing_ok=True)
    except (StateError, OSError):  # not ours to delete, or already gone: nothing depends on it
        pass
