"""simulate: its files, its fairness (paired runs) and its determinism, on tabular and text data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from activelearn.curves import area_under_curve, labels_to_reach

from .conftest import SAMPLE, run_cli
from .test_errors import assert_clean_failure


def _labeled(name: str, label: str, tmp_path: Path, rows: int | None = None) -> Path:
    pool = pd.read_csv(SAMPLE / f"{name}.csv", keep_default_na=False)
    pool[label] = pd.read_csv(SAMPLE / f"{name}_answers.csv")[label]
    path = tmp_path / f"{name}_labeled.csv"
    (pool if rows is None else pool.head(rows)).to_csv(path, index=False)
    return path


@pytest.fixture
def penguins_labeled(tmp_path) -> Path:
    return _labeled("penguins", "species", tmp_path)


def _simulate(*args):
    return run_cli("simulate", *args, "--jobs", "1")


def test_outputs(penguins_labeled, tmp_path):
    out = tmp_path / "sim"
    result = _simulate(
        penguins_labeled, "--label-column", "species", "--strategy", "margin", "--strategy", "diverse",
        "--initial", "3", "--batch-size", "5", "--budget", "23", "--repeats", "2", "--out", out,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("| strategy | AULC |")
    assert [line.split("|")[1].strip() for line in result.stdout.splitlines()[2:]] == ["random", "margin", "diverse"]
    curves = pd.read_csv(out / "curves.csv")
    assert list(curves.columns) == ["strategy", "seed", "labels", "accuracy", "balanced_accuracy", "f1_macro"]
    assert len(curves) == 3 * 2 * 5  # strategies x seeds x points (3, 8, 13, 18, 23 labels)
    assert sorted(curves["labels"].unique()) == [3, 8, 13, 18, 23]
    # paired: every strategy starts from the same initial set, so the first point is the same
    first = curves[curves["labels"] == 3].groupby("seed")["f1_macro"].nunique()
    assert (first == 1).all()
    summary = pd.read_csv(out / "summary.csv")
    assert summary["strategy"].tolist() == ["random", "margin", "diverse"]
    assert {"aulc", "labels_95", "labels_99", "savings_95", "wins", "ties", "losses", "p_value"} <= set(summary.columns)
    assert "| strategy | AULC |" in (out / "summary.md").read_text()
    png = (out / "learning_curve.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000


def test_same_seed_same_curves_whatever_the_workers(penguins_labeled, tmp_path):
    args = [penguins_labeled, "--label-column", "species", "--strategy", "committee", "--strategy", "coreset",
            "--initial", "3", "--batch-size", "5", "--budget", "18", "--repeats", "2"]
    assert _simulate(*args, "--out", tmp_path / "a").exit_code == 0
    assert run_cli("simulate", *args, "--out", tmp_path / "b", "--jobs", "2").exit_code == 0
    assert (tmp_path / "a" / "curves.csv").read_text() == (tmp_path / "b" / "curves.csv").read_text()


def test_text_data(tmp_path):
    data = _labeled("movie_reviews", "sentiment", tmp_path, rows=800)
    result = _simulate(
        data, "--label-column", "sentiment", "--strategy", "margin", "--strategy", "density",
        "--initial", "10", "--batch-size", "20", "--budget", "70", "--repeats", "1", "--out", tmp_path / "sim", "--json",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"] == 800 and report["classes"] == ["fresh", "rotten"]
    assert [s["strategy"] for s in report["strategies"]] == ["random", "margin", "density"]


def test_unlabeled_rows_are_left_out_with_a_warning(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n" + "\n".join(f"{i % 5},{'ab'[i % 2] if i < 40 else ''}" for i in range(50)) + "\n")
    result = _simulate(data, "--label-column", "label", "--initial", "2", "--budget", "12", "--repeats", "1", "--out", tmp_path / "s")
    assert result.exit_code == 0, result.stderr
    assert "10 rows have no label and are left out of the simulation" in result.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--strategy", "margn"], 2, "--strategy 'margn' is not a strategy (did you mean 'margin'?)"),
        (["--budget", "3", "--initial", "5"], 2, "--budget 3 leaves nothing to query after the 5 initial labels"),
        (["--test-size", "1.5"], 2, "--test-size is a fraction between 0 and 1, not 1.5"),
        (["--metric", "auc"], 2, "--metric 'auc' is not one of accuracy, balanced_accuracy, f1_macro"),
    ],
)
def test_errors(penguins_labeled, tmp_path, args, code, message):
    result = _simulate(penguins_labeled, "--label-column", "species", *args, "--out", tmp_path / "s")
    assert_clean_failure(result, code, message)
    assert not (tmp_path / "s").exists()


def test_curve_arithmetic():
    import numpy as np

    labels, scores = np.array([10, 20, 30]), np.array([0.5, 0.7, 0.9])
    assert area_under_curve(labels, scores) == pytest.approx(0.7)
    assert labels_to_reach(labels, scores, 0.7) == 20 and labels_to_reach(labels, scores, 0.95) is None
