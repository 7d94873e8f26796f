"""Small helpers the operations share."""

from __future__ import annotations

import datetime as dt
import hashlib
import json


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def labels_digest(log) -> str:
    """A digest of the current training labels (id, label): equal digests, equal training data."""
    from ..labels import current_labels

    current = current_labels(log, evaluation=False)
    current = current[current["kind"] == "label"].sort_values("id")
    lines = "\n".join(f"{i}\t{label}" for i, label in zip(current["id"], current["label"], strict=True))
    return hashlib.sha256(lines.encode()).hexdigest()


def training_key(project, log) -> str:
    """What a model version depends on: the training labels, and the settings that shape the model.

    Equal keys mean retraining would give the same model; a model whose key differs is stale.
    `log` is the label log less reverted imports.
    """
    config = project.config
    spec = {"labels": labels_digest(log), "model": config.model, "columns": config.columns, "seed": config.seed}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
