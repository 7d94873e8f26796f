"""simulate: its files, its fairness (paired runs) and its determinism, on tabular and text data."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from activelearn.curves import area_under_curve, labels_to_reach

from ..conftest import SAMPLE, run_cli
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
        penguins_labeled,
        "--label-column",
        "species",
        "--strategy",
        "margin",
        "--strategy",
        "diverse",
        "--initial",
        "3",
        "--batch-size",
        "5",
        "--budget",
        "23",
        "--repeats",
        "2",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("| strategy | AULC |")
    assert [line.split("|")[1].strip() for line in result.stdout.splitlines()[2:]] == [
        "random",
        "margin",
        "diverse",
    ]
    curves = pd.read_csv(out / "curves.csv")
    assert list(curves.columns) == [
        "strategy",
        "seed",
        "labels",
        "accuracy",
        "balanced_accuracy",
        "f1_macro",
    ]
    assert len(curves) == 3 * 2 * 5  # strategies x seeds x points (3, 8, 13, 18, 23 labels)
    assert sorted(curves["labels"].unique()) == [3, 8, 13, 18, 23]
    # paired: every strategy starts from the same initial set, so the first point is the same
    first = curves[curves["labels"] == 3].groupby("seed")["f1_macro"].nunique()
    assert (first == 1).all()
    summary = pd.read_csv(out / "summary.csv")
    assert summary["strategy"].tolist() == ["random", "margin", "diverse"]
    assert {
        "aulc",
        "labels_95",
        "labels_99",
        "savings_95",
        "wins",
        "ties",
        "losses",
        "p_value",
    } <= set(summary.columns)
    assert "| strategy | AULC |" in (out / "summary.md").read_text()
    png = (out / "learning_curve.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000


def test_same_seed_same_curves_whatever_the_workers(penguins_labeled, tmp_path):
    args = [
        penguins_labeled,
        "--label-column",
        "species",
        "--strategy",
        "committee",
        "--strategy",
        "coreset",
        "--initial",
        "3",
        "--batch-size",
        "5",
        "--budget",
        "18",
        "--repeats",
        "2",
    ]
    assert _simulate(*args, "--out", tmp_path / "a").exit_code == 0
    assert run_cli("simulate", *args, "--out", tmp_path / "b", "--jobs", "2").exit_code == 0
    assert (tmp_path / "a" / "curves.csv").read_text() == (tmp_path / "b" / "curves.csv").read_text()


def test_text_data(tmp_path):
    data = _labeled("movie_reviews", "sentiment", tmp_path, rows=800)
    result = _simulate(
        data,
        "--label-column",
        "sentiment",
        "--strategy",
        "margin",
        "--strategy",
        "density",
        "--initial",
        "10",
        "--batch-size",
        "20",
        "--budget",
        "70",
        "--repeats",
        "1",
        "--out",
        tmp_path / "sim",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"] == 800 and report["classes"] == ["fresh", "rotten"]
    assert [s["strategy"] for s in report["strategies"]] == ["random", "margin", "density"]


def test_unlabeled_rows_are_left_out_with_a_warning(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n" + "\n".join(f"{i % 5},{'ab'[i % 2] if i < 40 else ''}" for i in range(50)) + "\n")
    result = _simulate(
        data,
        "--label-column",
        "label",
        "--initial",
        "2",
        "--budget",
        "12",
        "--repeats",
        "1",
        "--out",
        tmp_path / "s",
    )
    assert result.exit_code == 0, result.stderr
    assert "10 rows have no label and are left out of the simulation" in result.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (
            ["--strategy", "margn"],
            2,
            "--strategy 'margn' is not a strategy (did you mean 'margin'?)",
        ),
        (
            ["--budget", "3", "--initial", "5"],
            2,
            "--budget 3 leaves nothing to query after the 5 initial labels",
        ),
        (["--test-size", "1.5"], 2, "--test-size is a fraction between 0 and 1, not 1.5"),
        (
            ["--metric", "auc"],
            2,
            "--metric 'auc' is not one of accuracy, balanced_accuracy, f1_macro",
        ),
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


# --- warnings about what the simulation can show ---------------------------------------------------

FEW_REPEATS = "with 3 repeats the Wilcoxon test cannot reach p < 0.05; use --repeats 6 or more"


def _notes(out: Path) -> list[str]:
    return [
        line.removeprefix("Note: ")
        for line in (out / "summary.md").read_text().splitlines()
        if line.startswith("Note: ")
    ]


def test_too_few_repeats_for_a_p_value_are_warned_about(penguins_labeled, tmp_path):
    out = tmp_path / "sim"
    args = [
        penguins_labeled,
        "--label-column",
        "species",
        "--strategy",
        "margin",
        "--initial",
        "3",
        "--batch-size",
        "5",
        "--budget",
        "13",
        "--out",
        out,
    ]
    result = _simulate(*args, "--repeats", "3")
    assert result.exit_code == 0, result.stderr
    assert f"warning: {FEW_REPEATS}\n" in result.stderr
    assert FEW_REPEATS not in result.stdout
    assert _notes(out) == [FEW_REPEATS]
    result = _simulate(*args, "--repeats", "3", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["notes"] == [FEW_REPEATS]
    assert f"warning: {FEW_REPEATS}\n" in result.stderr

    result = _simulate(*args, "--repeats", "6", "--json")
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["notes"], result.stderr.strip()) == (
        [],
        "",
    )  # a progress bar's newline aside
    assert _notes(out) == []


def test_one_repeat_is_worded_in_the_singular(penguins_labeled, tmp_path):
    result = _simulate(
        penguins_labeled,
        "--label-column",
        "species",
        "--initial",
        "3",
        "--batch-size",
        "5",
        "--budget",
        "8",
        "--repeats",
        "1",
        "--out",
        tmp_path / "s",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["notes"] == [
        "with 1 repeat the Wilcoxon test cannot reach p < 0.05; use --repeats 6 or more"
    ]


def test_a_pool_smaller_than_the_budget_is_warned_about(tmp_path):
    data = tmp_path / "few.csv"
    pd.read_csv(_labeled("penguins", "species", tmp_path)).sample(40, random_state=0).to_csv(data, index=False)
    # 30 rows left after the 25% test split
    out = tmp_path / "sim"
    result = _simulate(
        data,
        "--label-column",
        "species",
        "--strategy",
        "margin",
        "--initial",
        "3",
        "--batch-size",
        "10",
        "--budget",
        "50",
        "--repeats",
        "6",
        "--out",
        out,
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    note = (
        "the pool after the test split has 30 rows, not more than the budget of 50 labels: every strategy "
        "ends with all of them labeled; lower --budget or use more data"
    )
    assert json.loads(result.stdout)["notes"] == [note]
    assert result.stderr.strip() == f"warning: {note}"
    assert _notes(out) == [note]


def test_a_class_too_small_for_the_splits_is_warned_about(tmp_path):
    pool = pd.read_csv(SAMPLE / "penguins.csv", keep_default_na=False)
    pool["species"] = pd.read_csv(SAMPLE / "penguins_answers.csv")["species"]
    rare = pool[pool["species"] == "Chinstrap"].head(1)
    data = tmp_path / "rare.csv"
    pd.concat([pool[pool["species"] != "Chinstrap"], rare]).to_csv(data, index=False)
    out = tmp_path / "sim"
    with warnings.catch_warnings(record=True) as caught:  # no library warning besides our note
        warnings.simplefilter("always")
        result = _simulate(
            data,
            "--label-column",
            "species",
            "--strategy",
            "margin",
            "--initial",
            "3",
            "--batch-size",
            "5",
            "--budget",
            "13",
            "--repeats",
            "6",
            "--out",
            out,
            "--json",
        )
    assert [str(w.message) for w in caught if "sklearn" in w.filename] == []
    assert result.exit_code == 0, result.stderr
    note = (
        "class 'Chinstrap' has 1 row, too few for both the training pool and the test split of every "
        "repeat: its scores are not measured in some; add rows of it"
    )
    assert json.loads(result.stdout)["notes"] == [note]
    assert result.stderr.strip() == f"warning: {note}"
    assert _notes(out) == [note]


def test_the_smallest_wilcoxon_p_value_is_scipys():
    import numpy as np
    from scipy.stats import wilcoxon

    from activelearn.curves import repeats_needed, smallest_p_value

    for pairs in range(2, 9):
        all_better = np.arange(1, pairs + 1) / 100  # every seed favours one side: the extreme case
        assert wilcoxon(all_better).pvalue == pytest.approx(smallest_p_value(pairs))
    assert repeats_needed(0.05) == 6 and smallest_p_value(5) >= 0.05 > smallest_p_value(6)


# --- [features] fit_on = "pool" ------------------------------------------------------------------


def _count_feature_fits(monkeypatch) -> list:
    """Every fit of a ColumnTransformer (the features) in this process, as it happens."""
    from sklearn.compose import ColumnTransformer

    fits = []
    original = ColumnTransformer.fit_transform

    def counted(self, *args, **kwargs):
        fits.append(len(args[0]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ColumnTransformer, "fit_transform", counted)
    return fits


def test_fit_on_pool_fits_the_features_once_per_repeat_on_its_training_rows(penguins_labeled, tmp_path, monkeypatch):
    from activelearn.ops.simulate import simulate

    fits = _count_feature_fits(monkeypatch)
    common = dict(strategies=["margin", "committee"], initial=3, batch_size=5, budget=18, repeats=2, jobs=1)
    pooled = simulate(penguins_labeled, "species", fit_on="pool", out=tmp_path / "pool", **common)
    assert fits == [258, 258]  # once per repeat, on the 75% of 344 rows left after its test split
    fits.clear()
    legacy = simulate(penguins_labeled, "species", out=tmp_path / "labels", **common)
    assert len(fits) > 2 * 3 * 4  # at every point of every curve (and the committee members)
    assert [s.strategy for s in pooled.strategies] == [s.strategy for s in legacy.strategies]
    curves = pd.read_csv(tmp_path / "pool" / "curves.csv")
    assert sorted(curves["labels"].unique()) == [3, 8, 13, 18]
    assert "- features fitted on: pool" in (tmp_path / "pool" / "summary.md").read_text()
    assert "features fitted on" not in (tmp_path / "labels" / "summary.md").read_text()


def test_fit_on_labels_is_the_simulation_as_before(penguins_labeled, tmp_path):
    args = [
        penguins_labeled,
        "--label-column",
        "species",
        "--strategy",
        "margin",
        "--initial",
        "3",
        "--batch-size",
        "5",
        "--budget",
        "13",
        "--repeats",
        "1",
    ]
    assert _simulate(*args, "--out", tmp_path / "a").exit_code == 0
    assert _simulate(*args, "--fit-on", "labels", "--out", tmp_path / "b").exit_code == 0
    assert (tmp_path / "a" / "curves.csv").read_text() == (tmp_path / "b" / "curves.csv").read_text()
    pooled = _simulate(*args, "--fit-on", "pool", "--out", tmp_path / "c", "--json")
    assert pooled.exit_code == 0, pooled.stderr
    assert json.loads(pooled.stdout)["fit_on"] == "pool"


def test_a_wrong_fit_on_is_a_usage_error(penguins_labeled, tmp_path):
    result = _simulate(penguins_labeled, "--label-column", "species", "--fit-on", "pol", "--out", tmp_path / "s")
    assert_clean_failure(
        result,
        2,
        "--fit-on 'pol' is not a choice (did you mean 'pool'?) (choose from labels, pool)",
    )
    assert not (tmp_path / "s").exists()
