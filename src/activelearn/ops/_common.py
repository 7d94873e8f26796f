"""Small helpers the operations share."""

from __future__ import annotations

import datetime as dt
import hashlib
import json


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


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
