"""Small helpers the operations share."""

from __future__ import annotations

import datetime as dt
import hashlib
import json


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def labels_digest(ids, labels) -> str:
    """A digest of training labels (id, label): equal digests, equal training data."""
    pairs = sorted(zip(map(str, ids), map(str, labels), strict=True))
    return hashlib.sha256("\n".join(f"{i}\t{label}" for i, label in pairs).encode()).hexdigest()


def training_key(config, digest: str) -> str:
    """What a model version depends on: its training labels (their digest), and the settings that
    shape the model. Equal keys mean retraining would give the same model; a model whose key
    differs is stale."""
    spec = {"labels": digest, "model": config.model, "columns": config.columns, "seed": config.seed}
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


def latest_model(project, log):
    """The newest model: (record, fitted pipeline, {column: role} it uses, what changed since it
    was trained: None, "labels imported" or "settings in activelearn.toml"); None before any
    train. `log` is the label log as counted (reverted imports left out)."""
    from ..labels import training_labels

    record = project.state.latest_model
    if record is None:
        return None
    pipeline, columns = load_record(project, record)
    digest = labels_digest(*training_labels(log))
    changed = None
    if record.training_key != training_key(project.config, digest):
        changed = "labels imported" if digest != record.labels_sha256 else "settings in activelearn.toml"
    return record, pipeline, columns, changed


def model_version(project, version: int):
    """(fitted pipeline, the columns it uses) of one model version, as `latest_model` loads the newest."""
    from ..errors import StateError

    record = next((m for m in project.state.models if m.version == version), None)
    if record is None:
        raise StateError(f"{project.paths.state}: no model version {version}")
    pipeline, columns = load_record(project, record)
    return pipeline, list(columns)


def load_record(project, record):
    """(fitted pipeline, {column: role} it uses) of a model record, its hash checked."""
    from ..model_files import load_model, record_file

    pipeline, metadata = load_model(*record_file(project.paths.root, record, model_name(record)))
    return pipeline, {name: role for name, role in metadata["columns"].items() if role != "ignore"}


def checked_log(project, *, classes: bool = True):
    """The whole label log (reverted imports included), once the files every command relies on
    are checked: the pool (readable, with the rows state.json counted), the log (present if the
    project had one, its schema), and with `classes`, every label that counts of a class of
    activelearn.toml (`import-labels --revert` goes without: it is the fix). Each is refused with
    a one-line error naming the file and the fix."""
    from ..labels import check_classes, project_log, without_reverted
    from ..pool import check_pool

    config, state, paths = project.config, project.state, project.paths  # each refused if damaged
    check_pool(paths, state)
    log = project_log(paths, state)
    if classes:
        check_classes(without_reverted(log, state.reverted_imports), config.classes, paths)
    return log


def checked_answers(project):
    """The answers that count (the label log less reverted imports), checked as `checked_log`."""
    from ..labels import without_reverted

    return without_reverted(checked_log(project), project.state.reverted_imports)


def model_problem(project, record):
    """Why a model record's file would be refused on loading (outside models/, missing, changed,
    a pickle, foreign types), without loading it: the error, or None when it would be loaded."""
    from ..errors import StateError
    from ..model_files import read_checked, record_file

    try:
        read_checked(*record_file(project.paths.root, record, model_name(record)))
    except StateError as exc:
        return exc
    return None


def model_name(record) -> str:
    """What messages call a model record's file."""
    return f"model {record.version}"


def chosen_engine(project, engine: str | None, scheduler: str | None) -> tuple[str, str | None]:
    """(engine, scheduler address) for query and predict: the option, else activelearn.toml; a
    Dask scheduler checked (dask_engine.scheduler_address) before anything is read or sent."""
    from ..config import ENGINES
    from ..messages import require_choice

    config = project.config
    engine = engine or config.engine
    require_choice("--engine", engine, ENGINES, "engine")
    if engine == "dask":
        from ..dask_engine import scheduler_address

        scheduler = scheduler_address(scheduler, config.scheduler, project.paths.config)
    return engine, scheduler
