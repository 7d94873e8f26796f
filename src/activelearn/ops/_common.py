"""Small helpers the operations share."""

from __future__ import annotations

import datetime as dt
import hashlib
import json


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def labels_digest(ids, labels) -> str:
    """A digest of training labels (id, label): equal digests, equal training data."""
    pairs = sorted(zip(map(str, ids), map(str, labels), strict=True))
    return hashlib.sha256("\n".join(f"{i}\t{label}" for i, label in pairs).encode()).hexdigest()


def training_key(config, digest: str) -> str:
    """What a model version depends on: its training labels (their digest), and the settings that
    shape the model. Equal keys mean retraining would give the same model; a model whose key
    differs is stale."""
    spec = {"labels": digest, "model": config.model, "columns": config.columns, "seed": config.seed}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
