"""activelearn.toml <-> a frozen Config; `init` writes the file, `config set` edits one key of it,
every command reads it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, UsageError
from .messages import did_you_mean

ROLES = ("numeric", "categorical", "text", "embedding", "datetime", "ignore")
MODEL_NAMES = ("logistic", "random-forest", "gradient-boosting", "naive-bayes", "linear-svm")
# [model] class_weight: "balanced" makes every class count equally in the loss; "none" (and a file
# without the key) fits unweighted, as every model before the key did
CLASS_WEIGHTS = ("balanced", "none")
SLOW_ON_MANY_FEATURES = (
    "random-forest",
    "gradient-boosting",
)  # trees: minutes on thousands of one-hot / TF-IDF columns
MANY_FEATURES = 1000  # beyond this many columns (one-hot and TF-IDF), a slow preset is warned about
FAST_PRESETS = "logistic or linear-svm"
# the strategies of selection.STRATEGIES (named here so that reading the config stays light)
# The default strategy, chosen by the label-efficiency benchmark (benchmarks/results/label_efficiency):
# never significantly worse than random on any dataset, and the fewest labels to 95% on the median one.
DEFAULT_STRATEGY = "diverse"
STRATEGY_NAMES = (
    "margin",
    "least-confidence",
    "entropy",
    "density",
    "committee",
    "committee-kl",
    "diverse",
    "balanced",
    "coreset",
    "representative",
    "random",
)
DEFAULT_SKIP_VALUES = ("skip",)
ENGINES = ("local", "dask")
# what the features (imputer, scaler, categories, vocabulary, date parts) are fitted on: the labeled
# rows at each train (as before the key), or once on the pool (pool_features.py)
FIT_ON = ("labels", "pool")
# the representations of a text column ([features] text); the first is the legacy one, used when
# the key is absent (named here, not in features.py, so that reading the config stays light)
TEXT_REPRESENTATIONS = ("tfidf", "embedding", "both")


def embeds(text: str) -> bool:
    """Whether a [features] text setting turns text columns into sentence vectors (embeddings.py)."""
    return text in ("embedding", "both")


# What `init` writes into a new project for the settings added after the first projects were made, by kind of data ("text"
# when a column has the role text, else "tables"), chosen by the rule in
# benchmarks/label_efficiency/defaults.py (benchmarks/results/label_efficiency/defaults/REPORT.md).
# Only where they differ from the Config defaults, which are what a file without the key means
# (the behaviour of projects made before it; see RECORDED_KEYS).
NEW_PROJECT_SETTINGS: dict[str, dict[str, Any]] = {
    "text": {"text": "embedding"},
    "tables": {"class_weight": "balanced", "features_fit_on": "pool", "explore": 0.2},
}


def new_project_settings(columns: dict[str, str]) -> dict[str, Any]:
    """The settings init writes for a project whose columns have these roles."""
    return NEW_PROJECT_SETTINGS["text" if "text" in columns.values() else "tables"]


# section -> allowed keys; the single source for validation and for "did you mean"
SCHEMA: dict[str, tuple[str, ...]] = {
    "project": ("seed",),
    "data": (
        "source",
        "id_column",
        "generated_ids",
        "label_column",
        "classes",
        "skip_values",
        "month_first_columns",
    ),
    "columns": (),  # any column name
    "features": ("fit_on", "text"),
    "model": ("name", "class_weight"),
    "query": (
        "strategy",
        "batch_size",
        "display_columns",
        "expire_after_days",
        "engine",
        "scheduler",
        "explore",
    ),
    "stop": (
        "budget",
        "agreement",
        "window",
        "min_gain",
        "uncertain_share",
        "min_eval_per_class",
        "min_labels_per_class",
    ),
}


@dataclass(frozen=True)
class Config:
    """A project's configuration, as read from activelearn.toml."""

    id_column: str
    label_column: str
    classes: tuple[str, ...]
    columns: dict[str, str]
    generated_ids: bool = False
    source: str = ""
    skip_values: tuple[str, ...] = DEFAULT_SKIP_VALUES
    # datetime columns written month first (03/05/2024 is 5 March), as init read them; None in a
    # file from before the key: the order is then decided from the rows a model is fitted on
    month_first_columns: tuple[str, ...] | None = None
    features_fit_on: str = "labels"  # FIT_ON; "labels" in a file without the key
    model: str = "logistic"
    class_weight: str = "none"
    text: str = TEXT_REPRESENTATIONS[0]  # [features] text: how a text column becomes features
    strategy: str = DEFAULT_STRATEGY
    batch_size: int = 20
    seed: int = 0
    display_columns: tuple[str, ...] | None = None
    expire_after_days: int = 0
    engine: str = "local"  # or "dask": score the pool on a Dask cluster at `scheduler`
    scheduler: str = ""
    # the share of each batch of a model-based strategy drawn uniformly at random from the pool
    # (selection.explored_rows); 0, the value when the key is absent, draws none
    explore: float = 0.0
    # stopping signals (see stopping.py): a label budget (0: none), and the thresholds
    budget: int = 0
    stop_agreement: float = 0.99  # kappa between consecutive models on the stop set
    stop_window: int = 3  # ... over this many consecutive models
    stop_min_gain: float = 0.01  # evaluation macro-F1 change too small to count, whatever the interval
    stop_uncertain_share: float = 0.02  # share of the stop set the model is unsure about
    # evaluation labels every class needs before the plateau is judged: below 10, one answer moves
    # that class's recall by more than 0.1 and its interval spans about half the range
    stop_min_eval_per_class: int = 10
    # training labels every class needs before a model-based signal may recommend stopping: a model
    # that has seen a class fewer times cannot show it has learned it (it may predict it almost
    # never, and then be sure of nearly every row)
    stop_min_labels_per_class: int = 10
    column_notes: dict[str, str] = field(default_factory=dict, compare=False)

    def columns_with_role(self, *roles: str) -> list[str]:
        return columns_with_role(self.columns, *roles)

    @property
    def feature_columns(self) -> list[str]:
        return [name for name, role in self.columns.items() if role != "ignore"]

    @property
    def month_first_key(self) -> list[str] | None:
        """month_first_columns as the keys of models and features take it: sorted; None without the
        key, or without a datetime column (then it changes no feature)."""
        if self.month_first_columns is None or "datetime" not in self.columns.values():
            return None
        return sorted(self.month_first_columns)


def columns_with_role(columns: dict[str, str], *roles: str) -> list[str]:
    """The columns that have one of `roles`, in [columns] order."""
    return [name for name, role in columns.items() if role in roles]


def load_config(path: Path) -> Config:
    return config_from_dict(read_config_file(path)[1], str(path))


def read_config_file(path: Path) -> tuple[str, dict]:
    """activelearn.toml's text and what it says, unchecked."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing; this directory is not a complete activelearn project") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix that line, or restore the file from a backup") from None


def config_from_dict(raw: dict, where: str = "activelearn.toml") -> Config:
    """Validate the parsed TOML and build a Config; every problem names the key and the fix."""
    _check_keys(raw, where)
    project = raw.get("project", {})
    data = raw.get("data", {})
    model = raw.get("model", {})
    query = raw.get("query", {})
    features = raw.get("features", {})
    stop = raw.get("stop", {})
    columns = raw.get("columns", {})

    for key in ("id_column", "label_column", "classes"):
        if key not in data:
            raise ConfigError(f"{where}: [data] {key} is missing")
    for name, role in columns.items():
        if role not in ROLES:
            raise ConfigError(
                f"{where}: [columns] {name} = {role!r} is not a role{did_you_mean(str(role), ROLES)} "
                f"(roles: {', '.join(ROLES)})"
            )
    config = Config(
        id_column=_typed(data["id_column"], str, where, "[data] id_column"),
        label_column=_typed(data["label_column"], str, where, "[data] label_column"),
        classes=tuple(_typed_list(data["classes"], where, "[data] classes")),
        columns=dict(columns),
        generated_ids=_typed(data.get("generated_ids", False), bool, where, "[data] generated_ids"),
        source=_typed(data.get("source", ""), str, where, "[data] source"),
        skip_values=tuple(_typed_list(data.get("skip_values", list(DEFAULT_SKIP_VALUES)), where, "[data] skip_values")),
        month_first_columns=(
            tuple(_typed_list(data["month_first_columns"], where, "[data] month_first_columns"))
            if "month_first_columns" in data
            else None
        ),
        features_fit_on=_choice(features.get("fit_on", "labels"), FIT_ON, where, "[features] fit_on"),
        model=_choice(model.get("name", "logistic"), MODEL_NAMES, where, "[model] name"),
        class_weight=_choice(model.get("class_weight", "none"), CLASS_WEIGHTS, where, "[model] class_weight"),
        text=_choice(
            features.get("text", TEXT_REPRESENTATIONS[0]),
            TEXT_REPRESENTATIONS,
            where,
            "[features] text",
        ),
        strategy=_choice(query.get("strategy", DEFAULT_STRATEGY), STRATEGY_NAMES, where, "[query] strategy"),
        batch_size=_positive_int(query.get("batch_size", 20), where, "[query] batch_size"),
        seed=_non_negative(project.get("seed", 0), where, "[project] seed"),
        display_columns=(
            tuple(_typed_list(query["display_columns"], where, "[query] display_columns"))
            if "display_columns" in query
            else None
        ),
        expire_after_days=_typed(query.get("expire_after_days", 0), int, where, "[query] expire_after_days"),
        engine=_choice(query.get("engine", "local"), ENGINES, where, "[query] engine"),
        scheduler=_typed(query.get("scheduler", ""), str, where, "[query] scheduler"),
        explore=_share(query.get("explore", 0.0), where, "[query] explore"),
        budget=_non_negative(stop.get("budget", 0), where, "[stop] budget"),
        stop_agreement=_fraction(stop.get("agreement", 0.99), where, "[stop] agreement"),
        stop_window=_positive_int(stop.get("window", 3), where, "[stop] window"),
        stop_min_gain=_fraction(stop.get("min_gain", 0.01), where, "[stop] min_gain"),
        stop_uncertain_share=_fraction(stop.get("uncertain_share", 0.02), where, "[stop] uncertain_share"),
        stop_min_eval_per_class=_positive_int(stop.get("min_eval_per_class", 10), where, "[stop] min_eval_per_class"),
        stop_min_labels_per_class=_positive_int(
            stop.get("min_labels_per_class", 10), where, "[stop] min_labels_per_class"
        ),
    )
    if len(set(c.casefold() for c in config.classes)) != len(config.classes):
        raise ConfigError(f"{where}: [data] classes has two classes that differ only in case")
    for name in config.display_columns or ():
        if name not in config.columns:
            raise ConfigError(
                f"{where}: [query] display_columns names {name!r}, which is not a column"
                f"{did_you_mean(name, list(config.columns))}"
            )
    return config


def _check_keys(raw: dict, where: str) -> None:
    for section, value in raw.items():
        if section not in SCHEMA:
            raise ConfigError(f"{where}: unknown section [{section}]{did_you_mean(section, SCHEMA)}")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {section} must be a [section]")
        allowed = SCHEMA[section]
        if not allowed:
            continue
        for key in value:
            if key not in allowed:
                raise ConfigError(f"{where}: unknown key {key!r} in [{section}]{did_you_mean(key, allowed)}")


class WrongTypeError(ConfigError):
    """A key holds a value of the wrong type (`config set` then tries the value typed otherwise)."""


def _typed(value, kind, where: str, key: str):
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise WrongTypeError(f"{where}: {key} must be {kind.__name__}, not {value!r}")
    return value


def _typed_list(value, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise WrongTypeError(f"{where}: {key} must be a list of strings, not {value!r}")
    return value


def _choice(value, choices, where: str, key: str) -> str:
    if value not in choices:
        raise ConfigError(
            f"{where}: {key} = {value!r} is not known{did_you_mean(str(value), choices)} "
            f"(choose from {', '.join(choices)})"
        )
    return value


def _non_negative(value, where: str, key: str) -> int:
    _typed(value, int, where, key)
    if value < 0:
        raise ConfigError(f"{where}: {key} must be 0 or more, not {value}")
    return value


def _fraction(value, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError(f"{where}: {key} must be a number from 0 to 1, not {value!r}")
    return float(value)


def _share(value, where: str, key: str) -> float:
    """A share of a batch: at least 0 and below 1 (a batch drawn wholly at random is `random`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ConfigError(
            f"{where}: {key} must be a number from 0 up to (not including) 1, not {value!r}; "
            "0.1 draws a tenth of each batch at random, 0 none"
        )
    return float(value)


def _positive_int(value, where: str, key: str) -> int:
    _typed(value, int, where, key)
    if value < 1:
        raise ConfigError(f"{where}: {key} must be at least 1, not {value}")
    return value


# ---------------------------------------------------------------------------------------------
# writing (init)


_TOML_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_escaped(char: str) -> str:
    """One character as a TOML basic string holds it: printable ones as they are, the rest (control
    characters, DEL, U+2028, non-breaking and zero-width spaces ...) as \\uXXXX, which TOML
    requires of control characters and makes the others visible to whoever edits the file."""
    if char in _TOML_ESCAPES:
        return _TOML_ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:  # no \\u escape and no UTF-8 file can hold half a surrogate pair
        raise ConfigError(f"{char!r} is half of a UTF-16 surrogate pair, which activelearn.toml cannot hold")
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _toml_str(value: str) -> str:
    """`value` as a TOML basic string that reads back to exactly `value`."""
    try:
        return '"' + "".join(map(_toml_escaped, value)) + '"'
    except ConfigError as exc:
        raise ConfigError(f"{value!r}: {exc.message}; rename it") from None


def _toml_comment(text: str) -> str:
    """`text` for a TOML comment, which may hold no control character but tab."""
    return "".join(c if c.isprintable() else _toml_escaped(c) for c in text)


def _toml_list(values) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def _toml_key(name: str) -> str:
    bare = name and all(c.isascii() and (c.isalnum() or c in "_-") for c in name)
    return name if bare else _toml_str(name)


def render_config(config: Config, created: str) -> str:
    """The commented activelearn.toml that init writes for the user to review."""
    id_note = (
        "generated by init: r000001, r000002, ... in the order of the data file"
        if config.generated_ids
        else "taken from the data file"
    )
    width = max((len(_toml_key(n)) for n in config.columns), default=0)
    column_lines = []
    for name, role in config.columns.items():
        line = f"{_toml_key(name).ljust(width)} = {_toml_str(role)}"
        note = config.column_notes.get(name)
        column_lines.append(f"{line.ljust(width + 17)} # {_toml_comment(note)}" if note else line)
    display = (
        f"display_columns = {_toml_list(config.display_columns)}"
        if config.display_columns is not None
        else "# display_columns = []   # columns shown in batch files (default: every used column)"
    )
    month_first = (
        f"month_first_columns = {_toml_list(config.month_first_columns)}   # datetime columns written month first: 03/05/2024 is 5 March"
        if config.month_first_columns is not None
        else "# month_first_columns = []   # datetime columns written month first (default: decided at each fit)"
    )
    return f"""\
# activelearn project configuration, written by `activelearn init` on {created}.
# Review it, above all the column roles: every command reads this file; edit it by hand or with
# `activelearn config set KEY VALUE`, which checks the value and keeps these comments.

[project]
seed = {config.seed}                      # seeds every random choice, so runs repeat exactly

[data]
source = {_toml_str(config.source)}
id_column = {_toml_str(config.id_column)}        # {id_note}
generated_ids = {str(config.generated_ids).lower()}
label_column = {_toml_str(config.label_column)}
classes = {_toml_list(config.classes)}
skip_values = {_toml_list(config.skip_values)}   # answers meaning "cannot decide": recorded, never trained on
{month_first}

[columns]
# The role of each column: numeric, categorical, text, embedding (a list of numbers), datetime or ignore.
# Change a role to use a column differently, or to "ignore" to leave it out of the model.
{chr(10).join(column_lines)}

[features]
fit_on = {_toml_str(config.features_fit_on)}   # pool: fitted once on the pool's rows (up to 100,000 of them); labels: on the labeled rows at each train
text = {_toml_str(config.text)}   # how text columns become features: {", ".join(TEXT_REPRESENTATIONS)} (embedding: a bundled sentence model, offline)

[model]
name = {_toml_str(config.model)}   # {", ".join(MODEL_NAMES)}
class_weight = {_toml_str(config.class_weight)}   # balanced: every class counts equally, so rare ones are learned; none: as labeled

[query]
strategy = {_toml_str(config.strategy)}   # {", ".join(STRATEGY_NAMES)}
batch_size = {config.batch_size}
expire_after_days = {config.expire_after_days}   # unanswered rows of older batches return to the pool (0: never)
engine = {_toml_str(config.engine)}   # local, or dask: score on a Dask cluster (pip install 'activelearn[dask]')
scheduler = {_toml_str(config.scheduler)}   # with engine = "dask": tcp://host:8786
explore = {config.explore}   # share of each batch drawn at random from the pool: a guard against a misled strategy, and an unbiased estimate in status
{display}

[stop]
# When to stop labeling: `status` recommends it when any signal is met, and `status --check`
# then exits 3 (0 while labeling still pays off), for make and cron to act on.
budget = {config.budget}              # labels you can afford (0: no budget)
agreement = {config.stop_agreement}        # stabilizing predictions: kappa between consecutive models on the stop set ...
window = {config.stop_window}              # ... at least this high for this many models in a row
min_gain = {config.stop_min_gain}        # evaluation plateau: a change within this (or half the interval's half-width) is no gain
min_eval_per_class = {config.stop_min_eval_per_class}   # evaluation labels every class needs before a plateau is judged
uncertain_share = {config.stop_uncertain_share}   # share of the stop set the model is unsure about, at or below this
min_labels_per_class = {config.stop_min_labels_per_class}   # training labels every class needs before a model-based signal may say stop
"""


# ---------------------------------------------------------------------------------------------
# reading and editing one key (`config get/set`); the checks are config_from_dict's own

# keys fixed at init: the pool, the label log and the batch files depend on them
FIXED_KEYS = {
    ("data", "id_column"): "every row, label and batch is keyed by it in the pool",
    (
        "data",
        "generated_ids",
    ): "the ids were generated or taken from the data when init wrote the pool",
    ("data", "label_column"): "batch files already written carry it as their answer column",
}


def split_key(text: str) -> tuple[str, str]:
    """'query.strategy' -> ('query', 'strategy'); an unknown section or key names the closest one.
    Any name goes in [columns]: whether it is a column is the project's to say."""
    section, dot, key = text.partition(".")
    if not dot or not key:
        keys = [f"{s}.{k}" for s, names in SCHEMA.items() for k in names]
        raise UsageError(f"config key {text!r} is not SECTION.KEY{did_you_mean(text, keys)} (e.g. query.strategy)")
    if section not in SCHEMA:
        raise UsageError(f"config key {text!r}: unknown section [{section}]{did_you_mean(section, SCHEMA)}")
    allowed = SCHEMA[section]
    if allowed and key not in allowed:
        raise UsageError(
            f"config key {text!r}: unknown key {key!r} in [{section}]{did_you_mean(key, allowed)} "
            f"(keys: {', '.join(allowed)})"
        )
    return section, key


# The keys added after the first projects were made. A file without one keeps the
# behaviour of before the key, its Config default; train and query write that value into the file
# (ops.config.record_absent_settings), so that it says how the project behaves.
RECORDED_KEYS = (
    ("model", "class_weight"),
    ("features", "fit_on"),
    ("features", "text"),
    ("query", "explore"),
)


def default_values() -> dict:
    """Every key's default, as init would write it for a Config of defaults (display_columns has
    none: every used column); for RECORDED_KEYS, what a file without the key means."""
    return tomllib.loads(render_config(Config(id_column="", label_column="", classes=(), columns={}), created=""))


def typed_value(text: str, like) -> list:
    """The values `text` may stand for, as TOML would type them, the likeliest first: by the type
    of `like` (the key's current or default value) when known, else a TOML literal, text, or a
    comma-separated list. config_from_dict decides which one the key takes."""
    items = [p.strip() for p in text.split(",") if p.strip()]
    if isinstance(like, bool):
        return [{"true": True, "false": False}.get(text.strip(), text)]
    if isinstance(like, (int, float)):
        try:
            number = float(text) if isinstance(like, float) else int(text)
        except ValueError:
            return [text]
        return [number]
    if isinstance(like, str):
        return [text]
    if isinstance(like, list):
        return [items]
    try:
        literal = [tomllib.loads(f"value = {text}")["value"]]
    except tomllib.TOMLDecodeError:
        literal = []
    return [*literal, text, items]


def with_value(raw: dict, section: str, key: str, value) -> dict:
    """A copy of the parsed file with one key set."""
    changed = {name: dict(table) if isinstance(table, dict) else table for name, table in raw.items()}
    changed.setdefault(section, {})[key] = value
    return changed


def check_change(old: Config, new: Config, section: str, key: str, used_classes: set[str]) -> None:
    """Refuse a change that would break a project made by init: a fixed key, a class in use, a
    role for the id or label column."""
    name = f"{section}.{key}"
    if (section, key) in FIXED_KEYS:
        raise UsageError(
            f"config {name} cannot change after init: {FIXED_KEYS[section, key]} (start a new project to change it)"
        )
    removed = sorted(used_classes & (set(old.classes) - set(new.classes)))
    if removed:
        raise UsageError(
            f"config data.classes cannot drop {', '.join(map(repr, removed))}: labels use it "
            "(adding a class is fine; relabel those rows or revert their import first)"
        )
    if section == "columns" and key in (old.id_column, old.label_column):
        what = "id" if key == old.id_column else "label"
        raise UsageError(f"config {name}: {key!r} is the {what} column, which has no role")


def slow_preset_warning(
    model: str,
    columns: dict[str, str],
    how_to_change: str,
    features: int | None = None,
    fit_seconds: float = 0.0,
    labels: int = 0,
) -> str | None:
    """A warning when the preset is known to be slow on the features: text columns, or (once a
    model is fitted) more than MANY_FEATURES columns; None otherwise."""
    if model not in SLOW_ON_MANY_FEATURES:
        return None
    text = columns_with_role(columns, "text")
    if not text and (features is None or features <= MANY_FEATURES):
        return None
    source = (
        f"the text column{'s' * (len(text) != 1)} {', '.join(text)}" if text else "one-hot categories and other columns"
    )
    if features is None:
        cost = f"{source} give{'s' * (len(text) == 1)} thousands: fitting may take many minutes"
    else:
        cost = (
            f"this model has {features:,} ({source}): it took {fit_seconds:.1f} s on {labels} labels, "
            "and takes longer as labels grow"
        )
    return f"{model} is slow on many sparse features, and {cost}; {FAST_PRESETS} fit them in seconds ({how_to_change})"
