"""`train`: fit the configured model on every current label and save it as a new version."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..features import check_columns
from ..labels import read_label_log, training_labels, without_reverted
from ..models import fit_model, library_versions, save_model
from ..pool import pool_columns, read_rows
from ..project import Project, project_lock
from ..state import ModelRecord, save_state
from ..storage import sha256_file
from ._common import labels_digest, training_key, utc_now


@dataclass
class TrainResult:
    version: int
    file: str
    model: str
    n_labels: int
    labels_per_class: dict[str, int]
    cv_metrics: dict[str, float] | None
    cv_folds: int
    fit_seconds: float
    up_to_date: bool = False
    warnings: list[str] = field(default_factory=list)


def train(project: Project, *, wait: float = 0.0, force: bool = False) -> TrainResult:
    """Fit on all current labels; a no-op (up_to_date) when nothing the model depends on changed."""
    with project_lock(project.paths, wait):
        config, state, paths = project.config, project.state, project.paths
        check_columns(config.columns, pool_columns(paths.pool), str(paths.config), config.id_column)
        log = read_label_log(paths.label_log)
        counted = without_reverted(log, state.reverted_imports)
        ids, labels = training_labels(counted)
        digest = labels_digest(ids, labels)
        key = training_key(config, digest)
        latest = state.latest_model
        if latest is not None and latest.training_key == key and not force:
            return _result(latest, up_to_date=True)

        rows = read_rows(paths.pool, config.id_column, ids, config.feature_columns)
        fitted = fit_model(config.model, config.columns, config.seed, rows, labels)

        version = state.next_model_version()
        path = paths.models / f"model-{version:04d}.joblib"
        classes, counts = np.unique(labels, return_counts=True)
        record = ModelRecord(
            version=version,
            file=paths.relative(path),
            sha256="",
            created=utc_now(),
            model=config.model,
            n_labels=int(len(labels)),
            labels_per_class={str(c): int(n) for c, n in zip(classes, counts, strict=True)},
            label_log_sha256=sha256_file(paths.label_log) if paths.label_log.exists() else "",
            label_log_rows=int(len(log)),
            labels_sha256=digest,
            training_key=key,
            fit_seconds=fitted.fit_seconds,
            cv_metrics=fitted.cv_metrics,
            cv_folds=fitted.cv_folds,
        )
        metadata = {**record.__dict__, "classes": [str(c) for c in fitted.pipeline.classes_],
                    "columns": config.columns, "id_column": config.id_column,
                    "versions": library_versions()}
        save_model(path, fitted.pipeline, metadata)
        record.sha256 = sha256_file(path)
        state.models.append(record)
        save_state(paths.state, state)  # last: the model file is in place before state names it
        return _result(record)


def _result(record: ModelRecord, up_to_date: bool = False) -> TrainResult:
    return TrainResult(
        version=record.version,
        file=record.file,
        model=record.model,
        n_labels=record.n_labels,
        labels_per_class=record.labels_per_class,
        cv_metrics=record.cv_metrics,
        cv_folds=record.cv_folds,
        fit_seconds=record.fit_seconds,
        up_to_date=up_to_date,
    )
