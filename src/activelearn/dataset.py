"""A data file -> the typed pool, its row ids, the labels already in it, and each column's role.

Shared by `init` (which writes the result as a project) and `simulate` (which uses it in memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, UsageError
from .labels import match_label
from .messages import class_hint, did_you_mean
from .roles import ColumnRole, infer_role, typed_column
from .storage import read_table

GENERATED_ID_NAMES = ("id", "row_id", "activelearn_id")


@dataclass
class Dataset:
    pool: pd.DataFrame  # the id column, then every feature column typed by its role
    id_column: str
    generated_ids: bool
    label_column: str
    classes: list[str]
    answers: pd.DataFrame  # id, answer, kind ("label" or "skip") for each row whose label is filled
    roles: list[ColumnRole]


def load_dataset(
    data: Path,
    *,
    id_column: str | None = None,
    label_column: str | None = None,
    classes: list[str] | None = None,
    text_columns=(),
    ignore_columns=(),
    warnings: list[str],
) -> Dataset:
    """Read `data` and work out ids, labels, classes and column roles, checking each on the way."""
    frame = read_table(Path(data), warnings)
    if len(frame) == 0:
        raise InputError(f"{data}: has no rows")
    frame.columns = _column_names(frame, data)

    label_name = label_column or "label"
    if id_column is not None and id_column == label_name:
        raise UsageError(f"--id-column and --label-column both name {id_column!r}; they must differ")
    if label_column is not None and label_name not in frame.columns:
        raise InputError(f"{data}: no label column {label_name!r}{did_you_mean(label_name, frame.columns)}")
    if label_name not in frame.columns:
        warnings.append(f"{data}: no {label_name!r} column, so every row starts unlabeled")
    for name in [id_column, *text_columns, *ignore_columns]:
        if name is not None and name not in frame.columns:
            raise InputError(f"{data}: no column {name!r}{did_you_mean(name, frame.columns)}")

    ids, id_name, generated = _row_ids(frame, id_column, data)
    raw_labels = _label_cells(frame, label_name)
    class_list = _classes(raw_labels, classes, data, label_name, warnings)
    answers = _initial_answers(raw_labels, ids, class_list, data, label_name)

    feature_frame = frame.drop(columns=[c for c in (label_name, id_column) if c in frame.columns])
    if id_name in feature_frame.columns:
        raise InputError(f"{data}: a column is named {id_name!r}; rename it or pass --id-column")
    roles = _roles(feature_frame, text_columns, ignore_columns)
    if all(r.role == "ignore" for r in roles):
        reasons = "; ".join(f"{r.name}: {r.note}" for r in roles) or "no columns besides the id and label"
        raise InputError(
            f"{data}: no column can be a feature ({reasons}); name the columns to use with "
            "--text-columns, or check the data"
        )
    pool = pd.DataFrame({id_name: ids})
    for role in roles:
        pool[role.name] = typed_column(feature_frame[role.name], role.role).to_numpy()

    return Dataset(pool, id_name, generated, label_name, class_list, answers, roles)


def _column_names(frame: pd.DataFrame, data: Path) -> list[str]:
    names = [str(c).strip() for c in frame.columns]
    for i, name in enumerate(names):
        if not name or name.startswith("Unnamed: "):
            raise InputError(f"{data}: column {i + 1} has no name; give every column a header")
    seen = set()
    for name in names:
        if name in seen:
            raise InputError(f"{data}: the column {name!r} appears twice; give each column its own name")
        seen.add(name)
    return names


def _row_ids(frame: pd.DataFrame, id_column: str | None, data: Path) -> tuple[list[str], str, bool]:
    if id_column is None:
        width = max(6, len(str(len(frame))))
        name = next(n for n in GENERATED_ID_NAMES if n not in frame.columns)
        return [f"r{i:0{width}d}" for i in range(1, len(frame) + 1)], name, True
    ids = [_id_text(v) for v in frame[id_column]]
    seen: dict[str, int] = {}
    for row, value in enumerate(ids, start=2):
        if not value:
            raise InputError(f"{data} row {row}: the id column {id_column!r} is empty; every row needs an id")
        if value in seen:
            raise InputError(
                f"{data} row {row}: id {value!r} is also in row {seen[value]}; ids must be unique "
                "(or leave out --id-column to generate ids)"
            )
        seen[value] = row
    return ids, id_column, False


def _id_text(value) -> str:
    if not isinstance(value, (list, tuple, np.ndarray)) and pd.isna(value):  # None, NaN, pd.NA, NaT
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _label_cells(frame: pd.DataFrame, label_name: str) -> pd.Series:
    """Label cells as stripped text; '' where unlabeled (an empty cell)."""
    if label_name not in frame.columns:
        return pd.Series([""] * len(frame), dtype=object)
    return frame[label_name].map(lambda v: _id_text(v)).reset_index(drop=True)


def _classes(raw: pd.Series, classes: list[str] | None, data: Path, label_name: str, warnings: list[str]) -> list[str]:
    present = raw[raw != ""]
    if classes:
        classes = [c.strip() for c in classes if c.strip()]
        folded = [c.casefold() for c in classes]
        if len(set(folded)) != len(folded):
            raise UsageError(f"--classes names a class twice: {', '.join(classes)}")
        return classes
    if present.empty:
        raise InputError(
            f"{data}: the {label_name!r} column has no labels yet, so the classes are unknown; "
            "name them with --classes a,b,c"
        )
    found: dict[str, str] = {}
    for value in present:
        if value.casefold() not in {"skip"}:
            found.setdefault(value.casefold(), value)
    class_list = sorted(found.values())
    if len(class_list) < 2:
        warnings.append(
            f"{data}: only one class among the labels ({', '.join(class_list)}); "
            "name them all with --classes so that answers of the others are accepted"
        )
    suspicious = [c for c in class_list if c.casefold() in {"na", "n/a", "nan", "null", "none"}]
    if suspicious:
        warnings.append(
            f"{data}: {suspicious[0]!r} is taken as a class; if it means 'unlabeled', empty those cells"
        )
    return class_list


def _initial_answers(raw: pd.Series, ids: list[str], classes: list[str], data: Path, label_name: str) -> pd.DataFrame:
    rows = []
    for i, value in enumerate(raw):
        if not value:
            continue
        if value.casefold() == "skip":
            rows.append((ids[i], value, "skip"))
            continue
        canonical = match_label(value, classes)
        if canonical is None:
            raise InputError(f"{data} row {i + 2}: label {value!r} is not a class {class_hint(value, classes)}")
        rows.append((ids[i], canonical, "label"))
    return pd.DataFrame(rows, columns=["id", "answer", "kind"])


def _roles(frame: pd.DataFrame, text_columns, ignore_columns) -> list[ColumnRole]:
    roles = []
    for name in frame.columns:
        if name in ignore_columns:
            roles.append(ColumnRole(name, "ignore", "--ignore-columns"))
        elif name in text_columns:
            roles.append(ColumnRole(name, "text", "--text-columns"))
        else:
            roles.append(infer_role(frame[name]))
    return roles


