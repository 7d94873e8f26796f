"""Small helpers the operations share."""

from __future__ import annotations

import datetime as dt

from ..versions import labels_digest, load_record, training_key


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
