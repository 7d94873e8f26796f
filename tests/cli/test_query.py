"""query: which rows, in what file, and that the choice is reproducible."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli
from .conftest import _ok


def _query(project, *args):
    result = run_cli("-C", project, "query", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_batch_file_layout(trained_project):
    report = _query(trained_project, "-n", "5")
    assert report == {
        "batch": "batch-0001",
        "file": "batches/batch-0001.csv",
        "rows": 5,
        "strategy": "diverse",
        "model_version": 1,
        "candidates": 338,
        "warnings": [],
        "pending": [],
        "evaluation": False,
        "explored": 1,  # [query] explore = 0.2, as init writes it for tables
    }
    raw = (trained_project / report["file"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == [
        "id",
        "species",
        "suggestion",
        "confidence",
        "island",
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
        "year",
    ]
    assert all(r[1] == "" for r in rows[1:])
    assert all(r[2] in ("Adelie", "Chinstrap", "Gentoo") and 0 < float(r[3]) <= 1 for r in rows[1:])
    assert all(r[10].isdigit() for r in rows[1:])  # 2007, not 2007.0


def test_most_uncertain_rows_come_first(trained_project):
    assert (
        run_cli("-q", "-C", trained_project, "config", "set", "query.explore", "0").exit_code == 0
    )  # the strategy's own order
    report = _query(trained_project, "-n", "10", "--strategy", "least-confidence")
    confidences = pd.read_csv(trained_project / report["file"], encoding="utf-8-sig")["confidence"]
    assert confidences.is_monotonic_increasing


def test_never_offers_a_labeled_or_pending_row(trained_project):
    labeled = set(pd.read_parquet(trained_project / "data" / "labels.parquet")["id"])
    offered: list[str] = []
    for strategy in ("margin", "entropy", "least-confidence", "random"):
        report = _query(trained_project, "-n", "40", "--strategy", strategy)
        ids = read_batch_ids(trained_project / report["file"])
        assert len(ids) == 40 and not labeled & set(ids)
        offered.extend(ids)
    assert len(offered) == len(set(offered))


def test_the_last_rows_and_then_nothing(trained_project):
    assert _query(trained_project, "-n", "330")["rows"] == 330
    last = _query(trained_project, "-n", "20")
    assert last["rows"] == 8
    assert last["warnings"] == ["only 8 unlabeled rows are left; the batch has all of them"]
    assert run_cli("-C", trained_project, "query").exit_code == 1


def test_first_batch_without_a_model_spreads_over_the_data(penguins_project):
    report = _query(penguins_project, "-n", "12")
    assert report["strategy"] == "representative" and report["model_version"] is None
    ids = read_batch_ids(penguins_project / report["file"])
    assert ids != [f"r{i:06d}" for i in range(1, 13)]
    # the answers cover every species and every island, not a clump of near-duplicates
    truth = pd.read_csv(SAMPLE / "penguins_answers.csv").set_index("id")["species"]
    assert set(truth[ids]) == {"Adelie", "Chinstrap", "Gentoo"}
    batch = pd.read_csv(penguins_project / report["file"], encoding="utf-8-sig")
    assert set(batch["island"]) == {"Biscoe", "Dream", "Torgersen"}
    assert "suggestion" not in batch.columns


def test_same_seed_same_batch_other_seed_other_batch(tmp_path):
    batches = []
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        project = tmp_path / name
        run_cli(
            "init",
            project,
            "--data",
            SAMPLE / "movie_reviews.csv",
            "--label-column",
            "sentiment",
            "--seed",
            seed,
        )
        run_cli("-C", project, "train")
        batches.append(read_batch_ids(project / _query(project, "-n", "15", "--strategy", "random")["file"]))
    assert batches[0] == batches[1]
    assert batches[0] != batches[2]


def test_xlsx_batch_keeps_ids_as_text_and_types_formula_like_cells_as_text(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(
        'key,note,x,label\n00042,=HYPERLINK("http://x"),1,a\n00043,@SUM(A1),2,b\n00044,-safe,3,\n00045,plain,4,\n'
    )
    run_cli("init", tmp_path / "p", "--data", data, "--id-column", "key", "--text-columns", "note")
    run_cli("-C", tmp_path / "p", "train")
    out = tmp_path / "batch.xlsx"
    assert run_cli("-C", tmp_path / "p", "query", "-n", "2", "--out", out).stdout == f"{out}\n"
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("key", "label")
    assert {r[0] for r in rows[1:]} == {"00044", "00045"}
    assert all(sheet.cell(row=i, column=1).data_type == "s" for i in (2, 3))
    assert {r[rows[0].index("note")] for r in rows[1:]} == {
        "-safe",
        "plain",
    }  # typed text: no ' needed
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_csv_batch_neutralises_formula_cells(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text('note,x,label\n=1+1,1,a\n+cmd,2,b\n"\tx",3,\n@me,4,\nok,5,\n')
    run_cli("-q", "init", tmp_path / "p", "--data", data, "--text-columns", "note")
    report = _query(tmp_path / "p", "-n", "3", "--strategy", "random")
    notes = pd.read_csv(tmp_path / "p" / report["file"], encoding="utf-8-sig", keep_default_na=False)["note"]
    assert set(notes) == {"'\tx", "'@me", "ok"}


def test_query_after_import_warns_that_the_model_is_stale(trained_project):
    report = _query(trained_project, "-n", "5")
    fill_batch(trained_project / report["file"], SAMPLE / "penguins_answers.csv")
    # -C makes relative paths relative to the project, as git -C does
    result = run_cli("-C", trained_project, "import-labels", report["file"])
    assert result.exit_code == 0
    assert (
        "model 1 does not know the labels imported since it was trained"
        in _query(trained_project, "-n", "5")["warnings"][0]
    )


@pytest.mark.parametrize("model", ["logistic", "random-forest", "gradient-boosting", "naive-bayes", "linear-svm"])
def test_every_model_preset_trains_and_queries_on_mixed_and_text_data(tmp_path, model):
    for name, label in (("penguins", "species"), ("movie_reviews", "sentiment")):
        project = tmp_path / name
        run_cli(
            "-q",
            "init",
            project,
            "--data",
            SAMPLE / f"{name}.csv",
            "--label-column",
            label,
            "--model",
            model,
        )
        trained = run_cli("-C", project, "train", "--json")
        assert trained.exit_code == 0, trained.stderr
        assert json.loads(trained.stdout)["model"] == model
        assert _query(project, "-n", "5")["rows"] == 5


def test_query_json_names_the_batches_still_waiting_for_answers(trained_project):
    first = json.loads(_ok(run_cli("-C", trained_project, "query", "-n", "3", "--json")).stdout)
    assert (first["batch"], first["pending"]) == ("batch-0001", [])
    second = json.loads(_ok(run_cli("-C", trained_project, "query", "-n", "3", "--json")).stdout)
    assert (second["batch"], second["pending"]) == ("batch-0002", ["batch-0001"])
    evaluation = json.loads(_ok(run_cli("-C", trained_project, "query", "--eval", "3", "--json")).stdout)
    assert (evaluation["batch"], evaluation["pending"]) == (
        "eval-0003",
        ["batch-0001", "batch-0002"],
    )


def test_a_role_changed_after_training(trained_project):
    config = trained_project / "activelearn.toml"
    config.write_text(config.read_text().replace('sex               = "categorical"', 'sex = "ignore"'))
    result = run_cli("-C", trained_project, "query", "-n", "3", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        "model 1 does not know the settings in activelearn.toml since it was trained; "
        "run `activelearn train` first for a better batch"
    ]
    status = json.loads(run_cli("-C", trained_project, "status", "--json").stdout)
    assert status["model_up_to_date"] is False
    assert run_cli("-C", trained_project, "train").stdout.startswith("model 2:")
