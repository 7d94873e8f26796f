"""Atomic writes (a file is replaced whole or not at all), fsync, hashes, and the guard that makes a
command refuse to write over a change made while it held the project lock."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConflictError, InputError

TEMP_MARK = ".tmp-"
written: list[Path] = []  # files atomic_path replaced in this process: what an interrupted command did commit


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename.

    The temp file is fsynced before the rename and the directory after it, so a crash at any
    moment leaves either the old file or the new one. On failure the temp file is removed.
    """
    path = Path(path)
    for guard in _guards:  # before anything is written
        guard.check()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}", dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, _mode_for(path))
        yield tmp
        fsync(tmp)
        digest, existed = (sha256_file(tmp) if _guards else ""), path.exists()
        for guard in _guards:  # again, right before the file is replaced
            guard.check()
        os.replace(tmp, path)
        written.append(path)
        for guard in _guards:
            guard.wrote(path, digest, existed)
    except OSError as exc:  # disk full, read-only, quota: the previous file is untouched
        tmp.unlink(missing_ok=True)
        raise _write_error(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync(path.parent)


@dataclass
class Unchanged:
    """Files as a command found them on taking the project lock: each atomic write while it runs
    first checks that none changed since, so a command that got in anyway (through a lock that
    could not be taken, or by hand) makes this one refuse, rather than write over its change."""

    found: dict[Path, str | None]  # resolved path -> SHA-256 of its bytes (None: no such file)
    still_held: Callable[[], bool]  # whether the lock is still the project's
    message: str
    created: list[tuple[Path, str]] = field(default_factory=list)  # files this command added, as written

    @classmethod
    def of(cls, paths: list[Path], still_held: Callable[[], bool], message: str) -> Unchanged:
        return cls({Path(p).resolve(): _digest(Path(p)) for p in paths}, still_held, message)

    def check(self) -> None:
        """Raise ConflictError, after taking back the files this command added, if a file changed."""
        if self.still_held() and all(_digest(p) == d for p, d in self.found.items()):
            return
        for path, digest in reversed(self.created):  # "nothing was written" holds: remove what we added
            if _digest(path) == digest:
                path.unlink(missing_ok=True)
        raise ConflictError(self.message)

    def wrote(self, path: Path, digest: str, existed: bool) -> None:
        """This command's own write: the new bytes of a watched file are the ones to compare with."""
        resolved = path.resolve()
        if resolved in self.found:
            self.found[resolved] = digest
        elif not existed:
            self.created.append((path, digest))


_guards: list[Unchanged] = []  # of the lock this process holds (project.project_lock)


@contextlib.contextmanager
def unchanged(guard: Unchanged) -> Iterator[Unchanged]:
    """Check `guard` before and during every atomic write inside the block."""
    _guards.append(guard)
    try:
        yield guard
    finally:
        _guards.remove(guard)


def _digest(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return None
    except OSError as exc:  # unreadable: the same answer each time, unless that changes
        return f"unreadable: {exc.strerror}"


def _write_error(path: Path, exc: OSError) -> InputError:
    cause = exc.strerror or str(exc)
    return InputError(f"{path}: cannot write it ({cause.lower()}); nothing was changed, the previous version is intact")


def _mode_for(path: Path) -> int:
    """The replaced file's permissions, or the umask's default for a new file (mkstemp's is 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def fsync(path: Path) -> None:
    """Flush a file's bytes, or a directory's entries (a rename inside it), to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_files([path])


def sha256_files(paths: list[Path], prefix: bytes = b"") -> str:
    """The SHA-256 of `prefix` followed by the bytes of each file in turn."""
    digest = hashlib.sha256(prefix)
    for path in paths:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
