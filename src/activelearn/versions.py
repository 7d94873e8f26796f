"""Model versions: what a model depends on (its training labels and key), whether the latest one
is stale, why a new one is trained, and loading one by its record in state.json."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from .config import Config
    from .errors import StateError
    from .labels import LabelLog
    from .project import Project
    from .state import ModelRecord


def labels_digest(ids: Iterable, labels: Iterable) -> str:
    """A digest of training labels (id, label): equal digests, equal training data."""
    pairs = sorted(zip(map(str, ids), map(str, labels), strict=True))
    return hashlib.sha256("\n".join(f"{i}\t{label}" for i, label in pairs).encode()).hexdigest()


def training_key(config: Config, digest: str) -> str:
    """What a model version depends on: its training labels (their digest), and the settings that
    shape the model. Equal keys mean retraining would give the same model; a model whose key
    differs is stale."""
    spec: dict[str, Any] = {"labels": digest, "model": config.model, "columns": config.columns, "seed": config.seed}
    if config.month_first_key is not None:
        # [] (every date day first) and no key (decided at each fit) give other models; a config
        # without the key, or without dates, keeps the key it had before month_first_columns
        spec["month_first"] = config.month_first_key
    if config.class_weight != "none":  # unweighted, the key an old project's model was trained with
        spec["class_weight"] = config.class_weight
    if config.features_fit_on != "labels":  # absent from the keys of models fitted as before the setting
        spec["fit_on"] = config.features_fit_on
    if config.text != "tfidf":  # a config without [features] text keeps the key it had before the key
        spec["text"] = config.text
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def what_changed(record: ModelRecord, config: Config, digest: str) -> str | None:
    """What a model does not know, its training labels' digest being `digest` now: None (it is up
    to date), "labels imported" or "settings in activelearn.toml"."""
    if record.training_key == training_key(config, digest):
        return None
    return "labels imported" if digest != record.labels_sha256 else "settings in activelearn.toml"


@dataclass(frozen=True, kw_only=True)
class LatestModel:
    """The newest model version, loaded, and what changed since it was trained."""

    record: ModelRecord
    pipeline: Any  # the fitted pipeline
    columns: dict[str, str]  # {column: role} it uses
    changed: str | None  # as `what_changed`: None when it is up to date

    @property
    def version(self) -> int:
        return self.record.version

    def stale_warning(self, better: str) -> str | None:
        """The warning that the model does not know what changed since it was trained (None when it
        is up to date); `better` is what training first gives ("a better batch")."""
        if self.changed is None:
            return None
        return (
            f"model {self.version} does not know the {self.changed} since it was trained; "
            f"run `activelearn train` first for {better}"
        )


def latest_model(project: Project, log: LabelLog) -> LatestModel | None:
    """The newest model, loaded (its file checked), and whether it knows the training labels of
    `log` and the settings of activelearn.toml; None before any train."""
    record = project.state.latest_model
    if record is None:
        return None
    pipeline, columns = load_record(project, record)
    changed = what_changed(record, project.config, log.training_digest())
    return LatestModel(record=record, pipeline=pipeline, columns=columns, changed=changed)


@dataclass(frozen=True, kw_only=True)
class TrainingSet:
    """What a new model would learn from and be measured on, as the label log gives them now, and
    the key it would carry."""

    ids: np.ndarray
    labels: np.ndarray
    digest: str  # labels_digest of (ids, labels)
    key: str  # training_key of the digest and the settings
    eval_ids: np.ndarray
    eval_truth: np.ndarray
    eval_digest: str  # labels_digest of the evaluation labels; "" without any
    log_rows: int  # the answers in the whole log: the log is append-only, so what came after is new

    @classmethod
    def of(cls, log: LabelLog, config: Config) -> TrainingSet:
        ids, labels = log.training_labels()
        digest = labels_digest(ids, labels)
        eval_ids, eval_truth = log.evaluation_labels()
        return cls(
            ids=ids,
            labels=labels,
            digest=digest,
            key=training_key(config, digest),
            eval_ids=eval_ids,
            eval_truth=eval_truth,
            eval_digest=labels_digest(eval_ids, eval_truth) if len(eval_ids) else "",
            log_rows=int(len(log.whole)),
        )

    def labels_per_class(self) -> dict[str, int]:
        import numpy as np

        classes, counts = np.unique(self.labels, return_counts=True)
        return {str(c): int(n) for c, n in zip(classes, counts, strict=True)}


def needs_new_model(latest: ModelRecord | None, training: TrainingSet, *, force: bool, features_stale: bool) -> bool:
    """Whether train fits a new model rather than keep the latest: there is none, its labels or
    settings changed, the features fitted on the pool must be fitted again, or `force`. (A latest
    model whose file would not be loaded is replaced too; that takes reading it.)"""
    return latest is None or latest.training_key != training.key or force or features_stale


def change_reason(latest: ModelRecord | None, training: TrainingSet, *, features_stale: bool, unloadable: bool) -> str:
    """Why a new model is trained, as its record says (state.ModelRecord.change): the first
    reason that holds of first, labels, settings, features, unloadable and forced."""
    if latest is None:
        return "first"
    if latest.labels_sha256 != training.digest:
        return "labels"
    if latest.training_key != training.key:
        return "settings"
    if features_stale:
        return "features"
    return "unloadable" if unloadable else "forced"


def model_version(project: Project, version: int) -> tuple[Any, list[str]]:
    """(fitted pipeline, the columns it uses) of one model version, as `latest_model` loads the newest."""
    from .errors import StateError

    record = next((m for m in project.state.models if m.version == version), None)
    if record is None:
        raise StateError(f"{project.paths.state}: no model version {version}")
    pipeline, columns = load_record(project, record)
    return pipeline, list(columns)


def load_record(project: Project, record: ModelRecord) -> tuple[Any, dict[str, str]]:
    """(fitted pipeline, {column: role} it uses) of a model record, its hash checked."""
    from .model_files import load_model, record_file

    pipeline, metadata = load_model(*record_file(project.paths.root, record, model_name(record)))
    return pipeline, {name: role for name, role in metadata["columns"].items() if role != "ignore"}


def model_problem(project: Project, record: ModelRecord) -> StateError | None:
    """Why a model record's file would be refused on loading (outside models/, missing, changed,
    a pickle, foreign types), without loading it: the error, or None when it would be loaded."""
    from .errors import StateError
    from .model_files import read_checked, record_file

    try:
        read_checked(*record_file(project.paths.root, record, model_name(record)))
    except StateError as exc:
        return exc
    return None


def model_name(record: ModelRecord) -> str:
    """What messages call a model record's file."""
    return f"model {record.version}"
