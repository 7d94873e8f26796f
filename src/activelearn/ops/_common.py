"""Small helpers the operations share."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Iterable


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when none is close."""
    choices = [str(c) for c in choices]
    folded = {c.casefold(): c for c in choices}
    close = difflib.get_close_matches(str(value).casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def match_label(value: str, classes: Iterable[str]) -> str | None:
    """The class `value` names, up to case and surrounding white space; None if it names none."""
    wanted = value.strip().casefold()
    return next((c for c in classes if c.casefold() == wanted), None)


def class_hint(value: str, classes: Iterable[str]) -> str:
    """'(did you mean 'cat'? classes: cat, dog)' for a label that is not a class."""
    classes = list(classes)
    close = did_you_mean(value, classes).strip()[1:-1]  # "did you mean 'cat'?" without parentheses
    listing = f"classes: {', '.join(classes)}"
    return f"({close} {listing})" if close else f"({listing})"


def training_key(project) -> str:
    """What a model version depends on: the label log, and the settings that shape the model.

    Equal keys mean retraining would give the same model; a model whose key differs is stale.
    """
    from ..storage import sha256_file

    config, log = project.config, project.paths.label_log
    spec = {
        "labels": sha256_file(log) if log.exists() else "",
        "model": config.model,
        "columns": config.columns,
        "seed": config.seed,
        "reverted": sorted(project.state.reverted_imports),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
