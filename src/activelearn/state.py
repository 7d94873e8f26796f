"""state.json <-> State: batches written, model versions trained; carries a schema_version."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import StateError
from .storage import write_json

SCHEMA_VERSION = 2


@dataclass
class BatchRecord:
    """A batch file written by `query`; its rows are reserved until answered."""

    name: str
    file: str
    ids: list[str]
    strategy: str
    model_version: int | None
    created: str
    sha256: str
    prefilled: bool = False  # the label column was filled with the model's suggestions
    suggestions: list[str] | None = None  # what was pre-filled, row by row (with `prefilled`)
    released: str | None = None  # when `query --release` gave its unanswered rows back
    evaluation: bool = False  # drawn at random by `query --eval`: its answers are evaluation labels

    def is_open(self, now: dt.datetime, expire_after_days: int) -> bool:
        """Still reserving its unanswered rows: neither released nor expired."""
        if self.released:
            return False
        if expire_after_days <= 0:
            return True
        return now - dt.datetime.fromisoformat(self.created) < dt.timedelta(days=expire_after_days)


@dataclass
class ModelRecord:
    """A trained model version and what it was trained on."""

    version: int
    file: str
    sha256: str
    created: str
    model: str
    n_labels: int
    labels_per_class: dict[str, int]
    label_log_sha256: str
    training_key: str
    fit_seconds: float
    cv_metrics: dict | None = None  # accuracy, balanced_accuracy, f1_macro, per_class (models.cross_validated_metrics)
    cv_folds: int = 0
    label_log_rows: int = 0  # answers in the (append-only) log when this model was trained
    labels_sha256: str = ""  # digest of the (id, label) pairs it was trained on
    eval_metrics: dict | None = None  # on the evaluation labels (evaluation.evaluate), if any
    eval_sha256: str = ""  # digest of the evaluation labels it was measured on
    stop_signals: dict | None = None  # on the stop set (stopping.stop_set_signals)
    # why it was trained: "first", "labels" (new labels), "settings" (same labels, other model
    # settings), "forced" (train --force on the same labels) or "unloadable" (same labels, but the
    # previous file would not be loaded: a pickle from an older activelearn); "" in records written before
    change: str = ""


@dataclass
class State:
    """Everything the project remembers besides its data files."""

    created: str
    pool_rows: int
    batches: list[BatchRecord] = field(default_factory=list)
    models: list[ModelRecord] = field(default_factory=list)
    reverted_imports: dict[str, str] = field(default_factory=dict)  # import id -> when reverted
    schema_version: int = SCHEMA_VERSION

    @property
    def latest_model(self) -> ModelRecord | None:
        return self.models[-1] if self.models else None

    def next_batch_number(self) -> int:
        """One past the highest number any batch (training or evaluation) has: numbers may have
        gaps where a file in batches/ that state.json did not know was skipped."""
        return max((int(b.name.rsplit("-", 1)[-1]) for b in self.batches), default=0) + 1

    def next_model_version(self) -> int:
        return (self.models[-1].version if self.models else 0) + 1

    def batch_named(self, name: str) -> BatchRecord | None:
        return next((b for b in self.batches if b.name == name), None)


def _v1_to_v2(raw: dict) -> dict:
    """Version 2 (issue 7) added evaluation batches, evaluation metrics and stopping signals."""
    for batch in raw.get("batches", []):
        batch.setdefault("evaluation", False)
    for model in raw.get("models", []):
        model.setdefault("eval_metrics", None)
        model.setdefault("eval_sha256", "")
        model.setdefault("stop_signals", None)
    return {**raw, "schema_version": 2}


# version -> the migration that upgrades a state of that version by one; applied in order on
# load, written back by the next command that saves the state
MIGRATIONS = {1: _v1_to_v2}


def load_state(path: Path) -> State:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateError(f"{path}: missing; the project is incomplete (was init interrupted?)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StateError(f"{path}: not valid JSON ({exc}); restore it from a backup") from None
    if not isinstance(raw, dict):
        raise StateError(f"{path}: not a JSON object; restore it from a backup")
    version = raw.get("schema_version")
    if not isinstance(version, int):
        raise StateError(f"{path}: no schema_version; this is not an activelearn state file")
    if version > SCHEMA_VERSION:
        raise StateError(
            f"{path}: schema_version {version} is newer than this activelearn understands "
            f"({SCHEMA_VERSION}); upgrade activelearn"
        )
    if version < 1:
        raise StateError(f"{path}: schema_version {version} is not one activelearn ever wrote; restore it from a backup")
    try:
        while version < SCHEMA_VERSION:
            raw = MIGRATIONS[version](raw)
            version = raw["schema_version"]
    except (KeyError, TypeError, AttributeError) as exc:
        raise StateError(f"{path}: malformed ({exc}); restore it from a backup") from None
    try:
        return State(
            created=raw["created"],
            pool_rows=raw["pool_rows"],
            batches=[BatchRecord(**b) for b in raw.get("batches", [])],
            models=[ModelRecord(**m) for m in raw.get("models", [])],
            reverted_imports=dict(raw.get("reverted_imports", {})),
            schema_version=version,
        )
    except (KeyError, TypeError) as exc:
        raise StateError(f"{path}: malformed ({exc}); restore it from a backup") from None


def save_state(path: Path, state: State) -> None:
    write_json(path, asdict(state))
