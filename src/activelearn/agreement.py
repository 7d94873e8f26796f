"""How far annotators agree where several answered the same rows, and which rows are conflicts.

Plain numpy/pandas (no scikit-learn), so that `status` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(kw_only=True)
class Agreement:
    rows_answered_by_several: int
    annotators: list[str]  # those who share rows with someone
    kappa: float | None
    kappa_kind: str | None  # "Cohen" for two annotators, "Fleiss" for more
    disagreements: int  # rows whose annotators gave different labels
    conflicts: list[dict] = field(default_factory=list)  # ties: {"id", "answers": {annotator: label}}


def agreement(log: pd.DataFrame) -> Agreement:
    """Agreement over the rows labeled by two or more annotators (each annotator's latest answer)."""
    latest = log[(log["kind"] == "label") & ~log["evaluation"].astype(bool)]
    latest = latest.drop_duplicates(["id", "annotator"], keep="last")
    counts = latest.groupby("id")["annotator"].transform("size")
    shared = latest[counts >= 2]
    if shared.empty:
        return Agreement(rows_answered_by_several=0, annotators=[], kappa=None, kappa_kind=None, disagreements=0)
    annotators = sorted(shared["annotator"].unique())
    by_row = shared.groupby("id", sort=True)
    disagreements = int((by_row["answer"].nunique() > 1).sum())
    conflicts = []
    for row_id, answers in by_row:
        votes = answers["answer"].value_counts()
        if len(votes) > 1 and votes.iloc[0] == votes.iloc[1]:
            conflicts.append(
                {
                    "id": str(row_id),
                    "answers": dict(zip(answers["annotator"], answers["answer"], strict=True)),
                }
            )
    if len(annotators) == 2:
        kappa, kind = cohen_kappa(shared, *annotators), "Cohen"
    else:
        kappa, kind = fleiss_kappa(shared), "Fleiss"
    return Agreement(
        rows_answered_by_several=int(by_row.ngroups),
        annotators=annotators,
        kappa=kappa,
        kappa_kind=kind,
        disagreements=disagreements,
        conflicts=conflicts,
    )


def cohen_kappa(shared: pd.DataFrame, first: str, second: str) -> float | None:
    """Cohen's kappa of two annotators over the rows both labeled."""
    table = shared.pivot(index="id", columns="annotator", values="answer").dropna()
    if table.empty:
        return None
    return kappa_of(table[first].to_numpy(), table[second].to_numpy())


def kappa_of(a, b) -> float | None:
    """Cohen's kappa of two equally long label sequences (two annotators, or two models)."""
    a, b = np.asarray(a, dtype=str), np.asarray(b, dtype=str)
    if len(a) == 0:
        return None
    observed = float(np.mean(a == b))
    labels = np.union1d(a, b)
    expected = float(sum(np.mean(a == k) * np.mean(b == k) for k in labels))
    return _kappa(observed, expected)


def fleiss_kappa(shared: pd.DataFrame) -> float | None:
    """Fleiss' kappa, generalised to rows labeled by different numbers of annotators (two or more)."""
    counts = pd.crosstab(shared["id"], shared["answer"]).to_numpy(dtype=float)
    raters = counts.sum(axis=1)
    per_row = ((counts**2).sum(axis=1) - raters) / (raters * (raters - 1))
    proportions = counts.sum(axis=0) / raters.sum()
    return _kappa(float(per_row.mean()), float((proportions**2).sum()))


def _kappa(observed: float, expected: float) -> float | None:
    if expected >= 1.0:  # everyone always gave the one same label: agreement is perfect but kappa undefined
        return 1.0 if observed >= 1.0 else None
    return round((observed - expected) / (1.0 - expected), 4)
