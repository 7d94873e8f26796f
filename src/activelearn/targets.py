"""What a label column holds: classes, or a target activelearn cannot model yet (a number to
predict, several labels per row); and which column looks like the label when none is named."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from .roles import missing_mask

# Numbers as labels: this many distinct values with a fraction among them, or more than
# MAX_WHOLE_NUMBER_CLASSES distinct whole numbers, are a quantity, not classes (1-5 stars are classes).
REGRESSION_MIN_DISTINCT = 10
MAX_WHOLE_NUMBER_CLASSES = 20
LIST_SEPARATORS = (";", "|", ",")
MULTI_LABEL_SHARE = 0.8  # of the cells holding a separator, this share must join frequent labels
LABEL_NAMES = (
    "label",
    "labels",
    "class",
    "classes",
    "target",
    "species",
    "y",
    "category",
    "outcome",
    "answer",
    "tag",
)
LIKELY_LABEL_MAX_DISTINCT = 20
LIKELY_LABEL_MIN_EMPTY = 0.5  # share of empty cells in a column of few values: labels still to come


def regression_problem(labels: list[str], column: str) -> str | None:
    """Why these labels look like a number to predict, or None."""
    numbers = pd.to_numeric(pd.Series(labels, dtype=object), errors="coerce")
    if not len(labels) or numbers.isna().any():
        return None
    distinct = list(dict.fromkeys(labels))
    fractions = bool((numbers % 1 != 0).any())
    if len(distinct) < REGRESSION_MIN_DISTINCT or (not fractions and len(distinct) <= MAX_WHOLE_NUMBER_CLASSES):
        return None
    return (
        f"the {column!r} column holds {len(distinct)} distinct numbers (e.g. {', '.join(distinct[:3])}): it looks like a "
        "number to predict (regression), which activelearn cannot do yet; pass --classes to treat them as classes"
    )


def multi_label_problem(labels: list[str], column: str) -> str | None:
    """Why these labels look like several labels per row (parts that are labels themselves), or None."""
    for separator in LIST_SEPARATORS:
        split = [[p.strip() for p in label.split(separator) if p.strip()] for label in labels]
        joined = [(label, parts) for label, parts in zip(labels, split, strict=True) if len(parts) > 1]
        if len(joined) < 2:
            continue
        seen = Counter(part.casefold() for parts in split for part in set(parts))
        frequent = sum(all(seen[p.casefold()] > 1 for p in parts) for _, parts in joined)
        if frequent >= MULTI_LABEL_SHARE * len(joined):
            return (
                f"the {column!r} column looks like several labels per row (multi-label: {len(joined)} cells such as "
                f"{joined[0][0]!r} join labels with {separator!r}), which activelearn cannot do yet; pass --classes "
                "to force one class per distinct cell"
            )
    return None


def likely_label_column(sample: pd.DataFrame) -> tuple[str, str] | None:
    """(name, why) of the column that looks like the label: by its name, else a column of few
    values with many empty cells; None if none does."""
    by_name = {n.casefold().strip(): n for n in sample.columns}
    for name in LABEL_NAMES:
        if name in by_name:
            return by_name[name], "its name"
    for name in sample.columns:
        column = sample[name]
        empty = int(missing_mask(column).sum())
        distinct = column[~missing_mask(column)].astype(str).nunique()
        if 2 <= distinct <= LIKELY_LABEL_MAX_DISTINCT and empty >= LIKELY_LABEL_MIN_EMPTY * len(column):
            return name, f"{distinct} distinct values, {empty} of {len(column)} cells empty"
    return None
