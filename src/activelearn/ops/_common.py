"""Small helpers the operations share."""

from __future__ import annotations

import datetime as dt


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
