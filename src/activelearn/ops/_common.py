"""Small helpers the operations share."""

from __future__ import annotations

import datetime as dt

from ..versions import load_record, training_key


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def latest_model(project, log):
    """The newest model: (record, fitted pipeline, {column: role} it uses, what changed since it
    was trained: None, "labels imported" or "settings in activelearn.toml"); None before any
    train."""
    record = project.state.latest_model
    if record is None:
        return None
    pipeline, columns = load_record(project, record)
    digest = log.training_digest()
    changed = None
    if record.training_key != training_key(project.config, digest):
        changed = "labels imported" if digest != record.labels_sha256 else "settings in activelearn.toml"
    return record, pipeline, columns, changed


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
