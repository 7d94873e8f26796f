"""simulation_splits: the rows, roles, test splits and initial sets simulate uses, for other tools."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import activelearn.simulation as simulating
from activelearn.ops.simulate import simulate
from activelearn.simulation import simulation_splits

from ..conftest import SAMPLE


def _penguins(tmp_path: Path) -> Path:
    pool = pd.read_csv(SAMPLE / "penguins.csv", keep_default_na=False)
    pool["species"] = pd.read_csv(SAMPLE / "penguins_answers.csv")["species"]
    path = tmp_path / "penguins_labeled.csv"
    pool.to_csv(path, index=False)
    return path


def test_the_same_runs_as_simulate(tmp_path, monkeypatch):
    data = _penguins(tmp_path)
    used = []
    real_runs = simulating._runs
    monkeypatch.setattr(simulating, "_runs", lambda *a: used.append(real_runs(*a)) or used[-1])
    simulate(
        data,
        "species",
        strategies=["random"],
        initial=4,
        batch_size=5,
        budget=9,
        repeats=3,
        seed=7,
        out=tmp_path / "sim",
        jobs=1,
    )
    splits = simulation_splits(data, "species", repeats=3, initial=4, seed=7)
    assert [r.seed for r in splits.runs] == [r.seed for r in used[0]] == [7, 8, 9]
    for mine, theirs in zip(splits.runs, used[0]):
        assert np.array_equal(mine.train, theirs.train) and np.array_equal(mine.test, theirs.test)
        assert np.array_equal(mine.initial, theirs.initial)
    # and what they are, from a known-good run (the splits every published benchmark used): 344
    # rows, a quarter (86) held out, one row of each class first, then one at random
    assert [(len(r.train), len(r.test)) for r in splits.runs] == [(258, 86)] * 3
    assert [r.initial.tolist() for r in splits.runs] == [
        [155, 285, 46, 295],
        [34, 286, 176, 39],
        [34, 245, 283, 116],
    ]
    assert [r.test[:5].tolist() for r in splits.runs] == [
        [0, 1, 4, 6, 9],
        [9, 13, 14, 18, 26],
        [4, 12, 18, 19, 22],
    ]
    assert splits.labels[splits.runs[0].initial].tolist() == [
        "Gentoo",
        "Chinstrap",
        "Adelie",
        "Chinstrap",
    ]


def test_frame_labels_roles_and_splits(tmp_path):
    data = _penguins(tmp_path)
    splits = simulation_splits(data, "species", repeats=2, initial=4, seed=0)
    answers = pd.read_csv(SAMPLE / "penguins_answers.csv")["species"]
    assert len(splits.frame) == len(splits.labels) == len(answers)
    assert sorted(np.unique(splits.labels)) == ["Adelie", "Chinstrap", "Gentoo"]
    assert splits.columns["island"] == "categorical" and splits.columns["bill_length_mm"] == "numeric"
    for run in splits.runs:
        assert len(run.test) == round(0.25 * len(answers))
        assert not set(run.train) & set(run.test)
        assert set(run.initial) <= set(run.train) and len(run.initial) == 4
        assert len(set(splits.labels[run.initial])) == 3  # one row of each class first
