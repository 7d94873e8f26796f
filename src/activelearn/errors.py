"""The exception family: each class carries the exit code the CLI returns for it."""

from __future__ import annotations


class ActivelearnError(Exception):
    """An expected failure: bad input, or nothing to do that was required. Exit 1."""

    exit_code = 1

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])  # every problem found, when `message` names only the first


class UsageError(ActivelearnError):
    """The command line itself is wrong (conflicting or invalid options). Exit 2."""

    exit_code = 2


class ProjectNotFoundError(ActivelearnError):
    """No activelearn.toml in the directory or any parent."""


class ProjectReadOnlyError(ActivelearnError):
    """A command that changes the project cannot write in its folder (read-only, or not the owner's)."""


class ConfigError(ActivelearnError):
    """activelearn.toml does not parse or names something that does not exist."""


class StateError(ActivelearnError):
    """state.json is missing, corrupt, or from a newer activelearn."""


class ModelFileError(StateError):
    """A model file (or state.json's record of it) the tool refuses to load: `reason` and `fix`
    apart, for verify to list them as a problem."""

    def __init__(self, where: str, reason: str, fix: str, *, pickled: bool = False) -> None:
        super().__init__(f"{where}: {reason}; {fix}")
        self.reason, self.fix = reason, fix
        self.pickled = pickled  # a pickle, as an older activelearn saved models


class InputError(ActivelearnError):
    """A data or label file cannot be read or does not fit the project."""


class NotEnoughLabelsError(ActivelearnError):
    """The model cannot be fitted on the labels there are."""


class NothingToDoError(ActivelearnError):
    """The command was asked for something there is nothing left to do for."""


class LockHeldError(ActivelearnError):
    """Another activelearn command holds the project lock. Exit 75 (EX_TEMPFAIL): try again later."""

    exit_code = 75


class ConflictError(ActivelearnError):
    """Another command changed the project while this one ran, so this one wrote nothing (it
    would have written over that change). Exit 75 (EX_TEMPFAIL), as for a held lock: run it again."""

    exit_code = 75
