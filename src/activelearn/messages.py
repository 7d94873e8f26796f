"""Wording shared by the messages that tell people how to fix their input."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

C_DIRECTORY: str | None = None  # the DIR of `-C DIR` as typed, set by the CLI: relative paths start there


def missing(path, what: str = "no such file or folder") -> str:
    """'PATH: no such file or folder (looked in /abs/folder; paths after -C are relative to DIR)'.

    For every path a person typed that is not there: a relative path says where it was looked for."""
    return f"{path}: {what}{where_looked(path)}"


def where_looked(path) -> str:
    if Path(path).is_absolute():
        return ""
    after_c = f"; paths after -C are relative to {C_DIRECTORY}" if C_DIRECTORY is not None else ""
    return f" (looked in {Path(path).absolute().parent}{after_c})"


SHOWN_CHARACTERS = 60  # of a cell echoed in a message
LISTED_PROBLEMS = 20  # problems listed under -v and in --json before "and N more"


def shown(value) -> str:
    """A cell's value quoted for a message, cut to SHOWN_CHARACTERS: a 180 KB cell must not
    fill the terminal. "'abc'", or "'abcd…' (180,000 characters)"."""
    text = str(value)
    if len(text) <= SHOWN_CHARACTERS:
        return repr(text)
    return f"{text[:SHOWN_CHARACTERS] + '…'!r} ({len(text):,} characters)"


def first_of(problems: list[str]) -> str:
    """One line for a list of problems: the first, and how many more (-v lists them)."""
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more problem{'s' * (more != 1)}: -v lists them)" if more else "")


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when none is close."""
    choices = [str(c) for c in choices]
    folded = {c.casefold(): c for c in choices}
    close = difflib.get_close_matches(str(value).casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def class_hint(value: str, classes: Iterable[str]) -> str:
    """'(did you mean 'cat'? classes: cat, dog)' for a label that is not a class."""
    classes = list(classes)
    close = did_you_mean(value, classes).strip()[1:-1]  # "did you mean 'cat'?" without parentheses
    listing = f"classes: {', '.join(classes)}"
    return f"({close} {listing})" if close else f"({listing})"


def require_choice(option: str, value: str, choices, noun: str) -> None:
    """Raise a usage error unless `value` is one of `choices`: '--model 'x' is not a model (...)'."""
    from .errors import UsageError

    if value not in choices:
        raise UsageError(
            f"{option} {value!r} is not a {noun}{did_you_mean(value, choices)} (choose from {', '.join(choices)})"
        )


def first_line(exc: BaseException) -> str:
    """An exception's message, first line only, for a one-line error."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
