"""What reaches the terminal: results on stdout, messages and progress on stderr, data escaped.

The pieces every render_<job> module uses (render_status, render_batches, render_labels,
render_model, render_project: what each command prints) live here, and the CLI's own error and
warning lines."""

from __future__ import annotations

import builtins
import contextlib
import json
import re
import sys
from functools import cache
from pathlib import Path

from rich.console import Console
from rich.markup import escape as markup_escape

# What would drive a terminal (C0 controls but tab and newline: ESC, BEL, CR, backspace...; DEL;
# C1 controls, CSI among them) or reorder what it shows (bidi marks, embeddings and overrides).
# Data (class, annotator and column names, cells, paths) is shown with these as escapes: \x1b.
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` with what would drive or reorder the terminal written as escapes ("\\x1b", "\\u202e")."""
    return TERMINAL_UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def escape(text: str) -> str:
    """Data as rich shows it: markup escaped, control characters as escapes."""
    return markup_escape(terminal_safe(text))


def print(*values) -> None:  # noqa: A001 - every plain result line of the render modules passes here
    builtins.print(*(terminal_safe(str(v)) for v in values))


def json_text(document) -> str:
    """A --json document: JSON escapes C0 controls itself; DEL, C1 and bidi characters too here."""
    return TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", json.dumps(document, ensure_ascii=False, default=str))


class _Console(Console):
    """A console that shows control characters in the text it prints as escapes, so that data
    printed in a table or a line cannot drive the terminal (rich's own styling is unaffected)."""

    def render_str(self, text: str, **options):
        return super().render_str(terminal_safe(text), **options)


@cache
def stderr() -> Console:
    return _Console(stderr=True, soft_wrap=True, highlight=False)


@cache
def stdout() -> Console:
    # a pipe or a cron log has no width: do not squeeze tables into 80 columns, nor cut lines;
    # a terminal has one: fit tables to it and wrap long lines at words
    tty = sys.stdout.isatty()
    return _Console(soft_wrap=not tty, highlight=False, width=None if tty else 120)


@contextlib.contextmanager
def phases(quiet: bool = False):
    """Show the core's phases (progress.phase) as a spinner on stderr, a bar when a phase has a
    total; only on a terminal and without -q. Started at the first phase, gone when done."""
    if quiet or not stderr().is_terminal:
        yield
        return
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from .progress import reporting

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=stderr(),
        transient=True,
    )
    task = counted = None  # the phase shown; the phase with a total still under way, and its name

    def report(name: str, total: int | None):
        nonlocal task, counted
        if counted is not None and total is None:  # a step inside it (simulate's fits): named beside it
            bar.update(counted[0], description=f"{counted[1]}: {escape(name)}")
            return lambda done: None
        if task is None:
            bar.start()
        else:
            bar.update(task, visible=False)  # one line: the phase under way
        task = current = bar.add_task(escape(name), total=total)
        counted = (current, escape(name)) if total is not None else None
        bar.refresh()

        def advance(done: int) -> None:
            nonlocal counted
            bar.update(current, completed=done)
            # counted is this phase's only when it has a total
            if counted is not None and counted[0] == current and total is not None and done >= total:
                counted = None

        return advance

    try:
        with reporting(report):
            yield
    finally:
        if task is not None:
            bar.stop()


def interrupted(written: list) -> None:
    """What Ctrl-C left: nothing, or the files already written (each whole: writes are atomic)."""
    if not written:
        stderr().print("interrupted; nothing changed")
        return
    cwd = Path.cwd()
    paths = [Path(p).absolute() for p in written]
    shown = [str(p.relative_to(cwd)) if p.is_relative_to(cwd) else str(p) for p in paths]
    stderr().print(f"interrupted; already written, and kept: {escape(', '.join(dict.fromkeys(shown)))}")


def error(message: str) -> None:
    stderr().print(f"[bold red]error:[/] {escape(message)}")


def problems(listed: list[str], unlisted: int) -> None:
    """Every problem behind an error, one a line (-v)."""
    for problem in listed:
        stderr().print(f"  {escape(problem)}")
    if unlisted:
        stderr().print(f"  and {unlisted} more")


def warn(message: str) -> None:
    stderr().print(f"[yellow]warning:[/] {escape(message)}")


def info(message: str, opts) -> None:
    if not opts.quiet:
        stderr().print(escape(message))


def per_class(counts: dict[str, int]) -> str:
    """'adelie 3, gentoo 2'."""
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def plural(n: int, word: str) -> str:
    """'1 label', '3 labels'."""
    return f"{n} {word}{'s' * (n != 1)}"
