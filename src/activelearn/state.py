"""state.json <-> State: batches written, model versions trained; carries a schema_version."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields
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
    # the rows drawn uniformly at random ([query] explore), each with the class the model that
    # chose the batch predicted for it then; None in batches without (and in records written before)
    explored: dict[str, str] | None = None

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
    # settings), "features" (same labels and settings, but the features fitted on the pool had to be
    # fitted again: the pool or their file changed), "forced" (train --force on the same labels) or
    # "unloadable" (same labels, but the previous file would not be loaded: a pickle from an older
    # activelearn); "" in records written before
    change: str = ""


@dataclass
class FeaturesRecord:
    """The features fitted on the pool (`[features] fit_on = "pool"`, pool_features.py), reused by
    every train until the pool or the settings that shape them change."""

    version: int
    file: str  # models/features-0001.skops
    sha256: str
    created: str
    key: str  # digest of the settings that shape them (pool_features.features_key)
    pool_rows: int  # the pool they were fitted from: its rows, ...
    pool_sha256: str  # ... the SHA-256 of its bytes, ...
    pool_stat: str  # ... and a digest of its files' sizes and times, checked first (no hashing)
    fitted_rows: int  # the pool rows they were fitted on: every row, or a seeded sample


@dataclass
class State:
    """Everything the project remembers besides its data files."""

    created: str
    pool_rows: int
    batches: list[BatchRecord] = field(default_factory=list)
    models: list[ModelRecord] = field(default_factory=list)
    reverted_imports: dict[str, str] = field(default_factory=dict)  # import id -> when reverted
    schema_version: int = SCHEMA_VERSION
    # init wrote data/labels.parquet, empty or not (every init does now): a missing log is then damage,
    # not a project that never had a label; absent (False) in older files
    label_log_written: bool = False
    # the features fitted on the pool; None before the first train with [features] fit_on = "pool"
    # (and in older files)
    features: FeaturesRecord | None = None

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
    """Version 2 added evaluation batches, evaluation metrics and stopping signals."""
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
    except (ValueError, RecursionError):  # a number of over 4300 digits, or arrays nested too deep
        raise StateError(
            f"{path}: not a state file activelearn wrote (a number or nesting too large); restore it from a backup"
        ) from None
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
        raise StateError(
            f"{path}: schema_version {version} is not one activelearn ever wrote; restore it from a backup"
        )
    try:
        while version < SCHEMA_VERSION:
            raw = MIGRATIONS[version](raw)
            version = raw["schema_version"]
    except (KeyError, TypeError, AttributeError) as exc:
        raise StateError(f"{path}: malformed ({exc}); restore it from a backup") from None
    return _state_from(raw, version, path)


MAX_COUNT = 2**63 - 1  # the most numpy and Parquet can count: a larger count is damage, not data
BATCH_NAME = re.compile(r"[a-z]+-[0-9]{1,12}")  # batch-0001, eval-0001: state.next_batch_number reads the number


def _state_from(raw: dict, version: int, path: Path) -> State:
    """The State of a raw state.json, every field checked for its type (a hand-edited or damaged
    file is one StateError naming the field, never a crash later on)."""

    def bad(where: str, what: str):
        return StateError(f"{path}: {where} {what}; restore it from a backup")

    created, pool_rows = raw.get("created", MISSING), raw.get("pool_rows", MISSING)
    hint: object  # a type or a generic alias such as dict[str, str]
    for key, value, hint in (("created", created, str), ("pool_rows", pool_rows, int)):
        if value is MISSING:
            raise bad(key, "is missing")
        if not _conforms(value, hint):
            raise bad(key, f"should be {_describe(hint)}, not {_shown(value)}")
    batches, models = raw.get("batches", []), raw.get("models", [])
    reverted = raw.get("reverted_imports", {})
    label_log_written = raw.get("label_log_written", False)
    for key, value, hint in (
        ("batches", batches, list),
        ("models", models, list),
        ("reverted_imports", reverted, dict[str, str]),
        ("label_log_written", label_log_written, bool),
    ):
        if not _conforms(value, hint):
            raise bad(key, f"should be {_describe(hint)}, not {_shown(value)}")
    batch_records = [_record(BatchRecord, b, f"batches[{n}]", bad) for n, b in enumerate(batches)]
    for n, batch in enumerate(batch_records):
        if not BATCH_NAME.fullmatch(batch.name):
            raise bad(f"batches[{n}].name", f"should be like batch-0001, not {_shown(batch.name)}")
        for key in ("created", "released"):
            if getattr(batch, key) is not None and not _is_timestamp(getattr(batch, key)):
                raise bad(
                    f"batches[{n}].{key}",
                    f"should be a time like 2024-01-31T12:00:00+00:00, not {_shown(getattr(batch, key))}",
                )
        offered = set(batch.ids)
        stray = next((i for i in batch.explored or {} if i not in offered), None)
        if stray is not None:
            raise bad(
                f"batches[{n}].explored",
                f"names the row {_shown(stray)}, which is not in the batch",
            )
    model_records = [_record(ModelRecord, m, f"models[{n}]", bad) for n, m in enumerate(models)]
    features = raw.get("features")
    features_record = None if features is None else _record(FeaturesRecord, features, "features", bad)
    for n, model in enumerate(model_records):
        for key, needed in METRICS.items():
            where = _metrics_problem(getattr(model, key), needed)
            if where is not None:
                raise bad(f"models[{n}].{key}{where}", "should be a number")
    return State(
        created=created,
        pool_rows=pool_rows,
        batches=batch_records,
        models=model_records,
        reverted_imports=dict(reverted),
        schema_version=version,
        label_log_written=label_log_written,
        features=features_record,
    )


# the metrics of a model record: the keys each must have (when it is not empty), every value in
# it a number, true/false, null, or a list or object of them (what train wrote; status formats them)
METRICS = {
    "cv_metrics": ("accuracy", "balanced_accuracy", "f1_macro"),
    "eval_metrics": ("accuracy", "balanced_accuracy", "f1_macro"),
    "stop_signals": ("uncertain_share",),
}


def _metrics_problem(value, needed: tuple[str, ...]) -> str | None:
    """None if `value` (a model record's metrics) is as train writes it; else where it is not
    (".f1_macro", ".per_class.cat.recall")."""
    if not value:
        return None
    for key in needed:
        if not isinstance(value.get(key), (int, float)) or isinstance(value.get(key), bool):
            return f".{key}"

    def leaf(item, where: str) -> str | None:
        if isinstance(item, dict):
            return next((w for k, v in item.items() if (w := leaf(v, f"{where}.{k}")) is not None), None)
        if isinstance(item, list):
            return next((w for i, v in enumerate(item) if (w := leaf(v, f"{where}[{i}]")) is not None), None)
        return None if item is None or isinstance(item, (bool, int, float)) else where  # NaN: a fold that failed

    return leaf(value, "")


@functools.cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _record(cls, raw, where: str, bad):
    """One BatchRecord, ModelRecord or FeaturesRecord of state.json, its fields checked against their annotations."""
    if not isinstance(raw, dict):
        raise bad(where, f"should be an object, not {_shown(raw)}")
    hints = _hints(cls)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise bad(where, f"has an unknown field {unknown[0]!r}")
    for name, f in known.items():
        if name not in raw:
            if f.default is MISSING and f.default_factory is MISSING:
                raise bad(f"{where}.{name}", "is missing")
        elif not _conforms(raw[name], hints[name]):
            raise bad(f"{where}.{name}", f"should be {_describe(hints[name])}, not {_shown(raw[name])}")
    return cls(**raw)


def _conforms(value, hint) -> bool:
    """Whether a JSON value is of the annotated type (counts: 0 to MAX_COUNT; floats: finite)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is types.UnionType or origin is typing.Union:
        return any(_conforms(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if hint is str:
        return isinstance(value, str)
    if (origin or hint) is list:
        return (
            isinstance(value, list) and all(_conforms(v, args[0]) for v in value) if args else isinstance(value, list)
        )
    if (origin or hint) is dict:
        if not isinstance(value, dict):
            return False
        return not args or all(_conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items())
    raise TypeError(f"no check for {hint!r}")  # a field of a type this table does not know yet


def _describe(hint) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is types.UnionType or origin is typing.Union:
        return " or ".join(_describe(a) for a in args)
    names = {
        type(None): "null",
        bool: "true or false",
        int: f"a whole number from 0 to {MAX_COUNT}",
        float: "a number",
        str: "a string",
    }
    if hint in names:
        return names[hint]
    if (origin or hint) is list:
        return f"a list of {_describe(args[0]).removeprefix('a ')}s" if args else "a list"
    return f"an object of {_describe(args[1]).removeprefix('a ')}s" if args else "an object"


def _shown(value) -> str:
    text = (
        json.dumps(value, ensure_ascii=False) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    )
    return text if len(text) <= 40 else f"{text[:37]}..."


def _is_timestamp(text: str) -> bool:
    """An ISO 8601 time with its UTC offset, as utc_now writes (one without cannot be compared)."""
    try:
        return dt.datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def save_state(path: Path, state: State) -> None:
    write_json(path, asdict(state))


def utc_now() -> str:
    """The time now as state.json and the label log record it: ISO 8601 in UTC, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
