"""`train`: fit the configured model on every current label and save it as a new version."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from .. import pool_features
from ..config import embeds, slow_preset_warning
from ..embedding_cache import pool_vectors_open
from ..errors import NotEnoughLabelsError, StateError
from ..features import check_columns, pool_column_warnings
from ..model_files import MODEL_SUFFIX, library_versions, save_model
from ..models import FitResult, fit_model
from ..pool import pool_columns, read_rows, rows_at
from ..progress import phase
from ..project import Project, project_lock
from ..state import ModelRecord, save_state, utc_now
from ..storage import sha256_file
from ..versions import TrainingSet, change_reason, load_record, model_problem, needs_new_model
from .config import record_absent_settings


@dataclass(kw_only=True)
class TrainResult:
    version: int
    file: str
    model: str
    n_labels: int
    labels_per_class: dict[str, int]
    cv_metrics: dict | None
    cv_folds: int
    fit_seconds: float
    up_to_date: bool = False
    eval_metrics: dict | None = None  # on the evaluation labels, with 95% intervals
    stop_signals: dict | None = None  # on the stop set: agreement with the previous model, uncertainty
    reevaluated: bool = False  # up to date, but measured again on a changed evaluation set
    eval_note: str = ""  # why the evaluation intervals are wide: a class with few evaluation labels
    warnings: list[str] = field(default_factory=list)


def train(project: Project, *, wait: float = 0.0, force: bool = False) -> TrainResult:
    """Fit on all current labels, measure the model on the evaluation labels and the stop set,
    and save it as a new version. A no-op (up_to_date) when nothing the model depends on
    changed; then only a changed evaluation set is measured again. A project whose
    activelearn.toml predates a setting gets it written there (configuring.record_absent_settings)."""
    with project_lock(project.paths, wait):
        result = _train(project, force)
        result.warnings += record_absent_settings(project)  # after the work: a failed train records nothing
    return result


def _train(project: Project, force: bool) -> TrainResult:
    config, state, paths = project.config, project.state, project.paths
    check_columns(config.columns, pool_columns(paths.pool), str(paths.config), config.id_column)
    column_warnings = pool_column_warnings(config.columns, paths.pool, config.id_column, str(paths.config))
    training = TrainingSet.of(project.label_log(), config)
    latest = state.latest_model
    # features fitted on the pool that must be fitted again (the pool or their file changed)
    # make a new model even on the same labels and settings
    stat = state.features.pool_stat if state.features is not None else None
    features_reason = pool_features.stale_reason(project) if config.features_fit_on == "pool" else None
    features_stale = features_reason is not None
    # a pool only touched since: its new stat is in the record, saved even by an up-to-date train
    # so that the next one need not hash the pool again
    restat = state.features is not None and state.features.pool_stat != stat
    # a model that would not be loaded (a pickle from an older activelearn, say) is replaced
    # even on the same labels: nothing else could use it
    unloadable = False
    if latest is not None and not needs_new_model(latest, training, force=force, features_stale=features_stale):
        kept = _kept(project, latest, training, restat, column_warnings)
        if kept is not None:
            return kept
        unloadable = True
    change = change_reason(latest, training, features_stale=features_stale, unloadable=unloadable)
    with contextlib.ExitStack() as opened:
        # the pool's texts are embedded once, here, and read back by this and every later command (and
        # by the features fitted on the pool, below)
        embedded = embeds(config.text)
        opened.enter_context(pool_vectors_open(paths, config.columns, needed=embedded, build=embedded))
        warnings: list[str] = list(column_warnings)
        features, new_features = (
            pool_features.for_training(project, features_reason, warnings)
            if config.features_fit_on == "pool"
            else (None, None)
        )
        fitted = _fit(project, training, features, warnings)
        phase("scoring the stop set and the evaluation set")
        stop_signals = _stop_set(project, fitted.pipeline, latest, training.digest, warnings)
        eval_metrics = _evaluate(project, fitted.pipeline, training.eval_ids, training.eval_truth)
        phase("writing")
        superseded = None
        if new_features is not None:  # written before the state that names them, as the model is
            assert features is not None  # new features come with their record
            pool_features.save(paths, features, new_features)
            superseded, state.features = state.features, new_features
        record = _record(project, training, fitted, change, eval_metrics=eval_metrics, stop_signals=stop_signals)
        _save_model(project, record, fitted)
        if superseded is not None:
            pool_features.remove(paths, superseded, keep=new_features)
        result = _result(record, config)
        result.warnings.extend(warnings)
        return result


def _kept(
    project: Project, latest: ModelRecord, training: TrainingSet, restat: bool, warnings: list[str]
) -> TrainResult | None:
    """The latest model kept, when it knows the labels and settings: up to date, or measured again
    on a changed evaluation set; None when its file would not be loaded (it is then replaced)."""
    config, state = project.config, project.state
    if latest.eval_sha256 == training.eval_digest:
        if model_problem(project, latest) is not None:
            return None
        if restat:
            save_state(project.paths.state, state)
        return _result(latest, config, up_to_date=True, warnings=warnings)
    try:
        pipeline, _ = load_record(project, latest)  # the file read once: checked and loaded
    except StateError:
        return None
    latest.eval_metrics = _evaluate(project, pipeline, training.eval_ids, training.eval_truth)
    latest.eval_sha256 = training.eval_digest
    save_state(project.paths.state, state)
    return _result(latest, config, up_to_date=True, reevaluated=True, warnings=warnings)


def _fit(project: Project, training: TrainingSet, features, warnings: list[str]) -> FitResult:
    """The configured model fitted on the training labels' rows of the pool; a warning when the
    preset was slow for the width of the data."""
    config, paths = project.config, project.paths
    phase("reading the pool")
    rows = read_rows(paths.pool, config.id_column, training.ids, config.feature_columns)
    try:
        fitted = fit_model(
            config.model,
            config.columns,
            config.seed,
            rows,
            training.labels,
            month_first=config.month_first_columns,
            class_weight=config.class_weight,
            features=features,
            text=config.text,
        )
    except NotEnoughLabelsError as exc:
        if not len(training.eval_ids):
            raise
        raise NotEnoughLabelsError(
            f"{exc.message} ({len(training.eval_ids)} evaluation labels are never trained on)"
        ) from None
    width = getattr(fitted.pipeline[-1], "n_features_in_", None)
    slow = slow_preset_warning(
        config.model,
        config.columns,
        f'[model] name = "logistic" in {paths.config.name}',
        width,
        fitted.fit_seconds,
        len(training.labels),
    )
    if slow:
        warnings.append(slow)
    return fitted


def _record(
    project: Project,
    training: TrainingSet,
    fitted: FitResult,
    change: str,
    *,
    eval_metrics: dict | None,
    stop_signals: dict | None,
) -> ModelRecord:
    """The record of the next model version (its file's SHA-256 is filled in once it is written)."""
    config, paths = project.config, project.paths
    version = project.state.next_model_version()
    return ModelRecord(
        version=version,
        file=paths.relative(_model_path(project, version)),
        sha256="",
        created=utc_now(),
        model=config.model,
        n_labels=int(len(training.labels)),
        labels_per_class=training.labels_per_class(),
        label_log_sha256=sha256_file(paths.label_log) if paths.label_log.exists() else "",
        label_log_rows=training.log_rows,
        labels_sha256=training.digest,
        training_key=training.key,
        fit_seconds=fitted.fit_seconds,
        cv_metrics=fitted.cv_metrics,
        cv_folds=fitted.cv_folds,
        eval_metrics=eval_metrics,
        eval_sha256=training.eval_digest,
        stop_signals=stop_signals,
        change=change,
    )


def _model_path(project: Project, version: int) -> Path:
    return project.paths.models / f"model-{version:04d}{MODEL_SUFFIX}"


def _save_model(project: Project, record: ModelRecord, fitted: FitResult) -> None:
    """Write the model file, then the state that names it (a crash in between leaves an unnamed file)."""
    config, state, paths = project.config, project.state, project.paths
    metadata = {
        **record.__dict__,
        "classes": [str(c) for c in fitted.pipeline.classes_],
        "columns": config.columns,
        "id_column": config.id_column,
        "versions": library_versions(),
    }
    record.sha256 = save_model(_model_path(project, record.version), fitted.pipeline, metadata)
    state.models.append(record)
    save_state(paths.state, state)  # last: the model file is in place before state names it


def _evaluate(project: Project, pipeline, ids, truth) -> dict | None:
    """The model's metrics on the evaluation labels, or None without any."""
    from ..evaluation import evaluate
    from ..scoring import Scorer

    if not len(ids):
        return None
    config = project.config
    rows = read_rows(project.paths.pool, config.id_column, ids, config.feature_columns)
    return evaluate(truth, Scorer(pipeline).predict(rows), seed=config.seed)


def _stop_set(
    project: Project, pipeline, previous: ModelRecord | None, digest: str, warnings: list[str]
) -> dict | None:
    """The new model on the stop set, compared with the previous model when that one learned
    from other labels (a retrain on the same labels says nothing about convergence)."""
    from ..scoring import Scorer
    from ..stopping import stop_set_signals

    rows = _stop_set_rows(project)
    if rows is None:
        return None
    before = None
    if previous is not None and previous.labels_sha256 != digest:
        try:
            before = Scorer(load_record(project, previous)[0])
        except StateError as exc:
            warnings.append(f"stopping signals: cannot compare with model {previous.version} ({exc.message})")
        else:
            if set(map(str, before.classes_)) != set(map(str, pipeline.classes_)):
                before = None  # a class appeared: the models are not comparable yet
    return stop_set_signals(rows, Scorer(pipeline), before)


def _stop_set_rows(project: Project):
    """The stop set's rows. The first train copies them (every column) out of the pool into
    data/stop_set.parquet, so that later trains read 1,000 rows instead of the whole pool."""
    import pyarrow.parquet as pq

    from ..stopping import stop_set_positions
    from ..storage import atomic_path

    config, paths = project.config, project.paths
    if paths.stop_set.exists():
        try:
            rows = pq.read_table(paths.stop_set)
            if set(config.feature_columns) <= set(rows.column_names):
                return rows
        except Exception:  # noqa: BLE001 - a damaged copy is made again from the pool
            pass
    rows = rows_at(
        paths.pool,
        stop_set_positions(project.state.pool_rows, config.seed),
        pool_columns(paths.pool),
    )
    if rows is not None:
        with atomic_path(paths.stop_set) as tmp:
            pq.write_table(rows, tmp)
    return rows


def _result(
    record: ModelRecord, config, up_to_date: bool = False, reevaluated: bool = False, warnings=()
) -> TrainResult:
    from ..evaluation import few_labels_note

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
        eval_metrics=record.eval_metrics,
        stop_signals=record.stop_signals,
        reevaluated=reevaluated,
        eval_note=few_labels_note(record.eval_metrics, config.stop_min_eval_per_class),
        warnings=list(warnings),
    )
