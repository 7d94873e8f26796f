"""Find the project root, name its files, and hold its lock."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import LockHeldError, ProjectNotFoundError, ProjectReadOnlyError

if TYPE_CHECKING:
    from .labels import LabelLog

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
    Yields the stray temporary files it removed on taking the lock (for `verify --repair`).

    The lock is an flock on the project folder itself, which deleting or replacing a file cannot
    take away, and the lock file, which Windows (no flock on folders; an open file cannot be
    deleted there) and older activelearn versions use. While it is held, every atomic write
    first checks that state.json and the label log are as the lock found them (compare-and-swap),
    so that a command that got in anyway makes this one refuse instead of writing over its change.
    Read the state under the lock: that is what the writes are compared with.
    """
    from .storage import Unchanged, unchanged

    deadline = time.monotonic() + max(wait, 0.0)
    with contextlib.ExitStack() as held:
        folder = _lock_folder(paths, deadline, wait)
        if folder is not None:
            held.callback(os.close, folder)  # closing the descriptor releases the flock
        held.enter_context(_lock_file(paths, deadline, wait))
        message = f"{paths.root}: another command changed the project; nothing was written"
        found = Unchanged.of([paths.state, paths.label_log], _same_folder(paths, folder), message)
        held.enter_context(unchanged(found))
        yield remove_stray_temp_files(paths.root)


def _lock_held(paths: ProjectPaths, wait: float) -> LockHeldError:
    hint = "try again later" if wait <= 0 else f"waited {wait:g}s; try again later"
    return LockHeldError(
        f"{paths.root}: another activelearn command holds the project lock ({hint}, or pass --wait SECONDS)"
    )


def _lock_folder(paths: ProjectPaths, deadline: float, wait: float) -> int | None:
    """A descriptor of the project folder holding an exclusive flock on it, or None where folders
    cannot be locked (Windows; a network file system without flock): the lock file and the
    compare-and-swap then guard the project alone."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        folder = os.open(paths.root, os.O_RDONLY)
    except OSError:
        return None
    while True:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return folder
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(folder)
                raise _lock_held(paths, wait) from None
            time.sleep(0.05)
        except OSError:
            os.close(folder)
            return None


def _same_folder(paths: ProjectPaths, folder: int | None) -> Callable[[], bool]:
    """Whether the folder locked is still the one at the project's path (not moved away and replaced)."""
    if folder is None:
        return lambda: True
    locked = os.fstat(folder)
    identity = lambda status: (status.st_dev, status.st_ino)  # noqa: E731

    def same() -> bool:
        try:
            return identity(os.stat(paths.root)) == identity(locked)
        except OSError:
            return False

    return same


@contextlib.contextmanager
def _lock_file(paths: ProjectPaths, deadline: float, wait: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(paths.lock, timeout=max(deadline - time.monotonic(), 0.0))
    try:
        lock.acquire()
    except Timeout:
        raise _lock_held(paths, wait) from None
    except OSError as exc:  # a read-only folder or file system
        cause = (exc.strerror or str(exc)).lower()
        raise ProjectReadOnlyError(
            f"{paths.root}: cannot write the lock file {LOCK_NAME} ({cause}); commands that change "
            f"the project need its folder writable: chmod -R u+w {paths.root}, or work on a copy"
        ) from None
    try:
        yield
    finally:
        lock.release()


def remove_stray_temp_files(root: Path) -> list[Path]:
    """Delete the temporary files a killed command left (safe under the lock: only a command
    holding it writes them); the project's real files were never touched by them."""
    from .storage import TEMP_MARK

    removed = []
    embeddings = sorted((root / "data" / "embeddings").glob("*/"))  # the pool's text vectors (embeddings.py)
    for folder in (root, root / "data", root / "batches", root / "models", *embeddings):
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

    def label_log(self, *, classes: bool = True) -> LabelLog:
        """The label log, once the files every command relies on are checked: the pool (readable,
        with the rows state.json counted), the log (present if the project had one, its schema),
        and with `classes`, every label that counts of a class of activelearn.toml
        (`import-labels --revert` goes without: it is the fix). Each is refused with a one-line
        error naming the file and the fix."""
        from .labels import LabelLog
        from .pool import check_pool

        config, state, paths = self.config, self.state, self.paths  # each refused if damaged
        check_pool(paths, state)
        log = LabelLog.read(paths, state)
        if classes:
            log.check_classes(config.classes, paths.config)
        return log
