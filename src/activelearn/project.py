"""Find the project root, name its files, and hold its lock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import LockHeldError, ProjectNotFoundError

CONFIG_NAME = "activelearn.toml"
LOCK_NAME = ".activelearn.lock"


@dataclass(frozen=True)
class ProjectPaths:
    """Where each of a project's files lives."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def pool(self) -> Path:
        return self.root / "data" / "pool.parquet"

    @property
    def label_log(self) -> Path:
        return self.root / "data" / "labels.parquet"

    @property
    def stop_set(self) -> Path:
        """The stop set's rows, copied out of the pool by the first train (stopping.py)."""
        return self.root / "data" / "stop_set.parquet"

    @property
    def batches(self) -> Path:
        return self.root / "batches"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def lock(self) -> Path:
        return self.root / LOCK_NAME

    def relative(self, path: Path) -> str:
        """`path` as written in state.json: relative to the root, with forward slashes."""
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()


def find_root(start: Path) -> Path:
    """The nearest directory at or above `start` that holds activelearn.toml (as git finds .git)."""
    start = Path(start).resolve()
    for directory in (start, *start.parents):
        if (directory / CONFIG_NAME).is_file():
            return directory
    raise ProjectNotFoundError(
        f"not an activelearn project: no {CONFIG_NAME} in {start} or any parent "
        "(create one with `activelearn init DIR --data FILE`, or point to one with -C DIR)"
    )


@contextlib.contextmanager
def project_lock(paths: ProjectPaths, wait: float = 0.0) -> Iterator[list[Path]]:
    """Hold the project lock; raise LockHeldError if another command keeps it past `wait` seconds.
    Yields the stray temporary files it removed on taking the lock (for `verify --repair`)."""
    from filelock import FileLock, Timeout

    lock = FileLock(paths.lock, timeout=max(wait, 0.0))
    try:
        lock.acquire()
    except Timeout:
        hint = "try again later" if wait <= 0 else f"waited {wait:g}s; try again later"
        raise LockHeldError(
            f"{paths.root}: another activelearn command holds the project lock ({hint}, "
            "or pass --wait SECONDS)"
        ) from None
    try:
        yield remove_stray_temp_files(paths.root)
    finally:
        lock.release()


def remove_stray_temp_files(root: Path) -> list[Path]:
    """Delete the temporary files a killed command left (safe under the lock: only a command
    holding it writes them); the project's real files were never touched by them."""
    from .storage import TEMP_MARK

    removed = []
    for folder in (root, root / "data", root / "batches", root / "models"):
        for path in folder.glob(f".*{TEMP_MARK}*") if folder.is_dir() else ():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@dataclass
class Project:
    """An opened project: its paths, configuration and state, loaded on first use."""

    paths: ProjectPaths

    @classmethod
    def find(cls, start: Path) -> Project:
        return cls(ProjectPaths(find_root(start)))

    @cached_property
    def config(self):
        from .config import load_config

        return load_config(self.paths.config)

    @cached_property
    def state(self):
        from .state import load_state

        return load_state(self.paths.state)
