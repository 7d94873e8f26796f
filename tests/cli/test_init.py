"""init: every input format, ids, labels, classes and inferred column roles."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from activelearn.labels import read_label_log
from activelearn.roles import infer_role

from ..conftest import SAMPLE, run_cli


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": ["007", "008", "009", "010"],
            "size": [1.5, None, 3.0, 4.5],
            "colour": ["red", "blue", "red", None],
            "label": ["cat", "", "dog", ""],
        }
    )


def _write(frame: pd.DataFrame, path) -> None:
    suffix = path.suffix
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl", ".xlsx"])
def test_every_format_gives_the_same_project(tmp_path, suffix):
    data = tmp_path / f"data{suffix}"
    _write(_frame(), data)
    result = run_cli("init", tmp_path / "p", "--data", data, "--id-column", "key", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["labeled"] == 2
    assert report["classes"] == ["cat", "dog"]
    assert {c["name"]: c["role"] for c in report["columns"]} == {
        "size": "numeric",
        "colour": "categorical",
    }
    pool = pq.read_table(tmp_path / "p" / "data" / "pool.parquet").to_pandas()
    assert pool["key"].tolist() == ["007", "008", "009", "010"]
    assert "label" not in pool.columns
    log = read_label_log(tmp_path / "p" / "data" / "labels.parquet")
    assert sorted(zip(log["answer"], log["kind"])) == [("cat", "label"), ("dog", "label")]


def test_parquet_folder_of_parts(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = _frame()
    frame.iloc[:2].to_parquet(folder / "part-0.parquet", index=False)
    frame.iloc[2:].to_parquet(folder / "part-1.parquet", index=False)
    result = run_cli("init", tmp_path / "p", "--data", folder, "--id-column", "key", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 4


def test_generated_ids_are_stable_text(tmp_path):
    result = run_cli("init", tmp_path / "p", "--data", SAMPLE / "penguins.csv", "--label-column", "species")
    assert result.exit_code == 0
    assert result.stdout == f"{tmp_path / 'p'}\n"
    pool = pq.read_table(tmp_path / "p" / "data" / "pool.parquet").to_pandas()
    assert pool["id"].iloc[[0, 1, -1]].tolist() == ["r000001", "r000002", "r000344"]
    assert pool["id"].is_unique


def test_ids_keep_leading_zeros(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("key,x,label\n007,1,a\n0008,2,b\n")
    assert run_cli("init", tmp_path / "p", "--data", data, "--id-column", "key").exit_code == 0
    pool = pq.read_table(tmp_path / "p" / "data" / "pool.parquet").to_pandas()
    assert pool["key"].tolist() == ["007", "0008"]


def test_config_is_commented_and_parses(tmp_path):
    assert (
        run_cli(
            "init",
            tmp_path / "p",
            "--data",
            SAMPLE / "penguins.csv",
            "--label-column",
            "species",
            "--seed",
            "5",
            "--batch-size",
            "7",
        ).exit_code
        == 0
    )
    text = (tmp_path / "p" / "activelearn.toml").read_text()
    config = tomllib.loads(text)
    assert config["data"]["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert config["project"]["seed"] == 5 and config["query"]["batch_size"] == 7
    assert config["columns"] == {
        "island": "categorical",
        "bill_length_mm": "numeric",
        "bill_depth_mm": "numeric",
        "flipper_length_mm": "numeric",
        "body_mass_g": "numeric",
        "sex": "categorical",
        "year": "numeric",
    }
    assert 'sex               = "categorical"  # 2 distinct values, 11 missing' in text


def test_init_prints_the_inferred_roles_on_stderr(tmp_path):
    result = run_cli(
        "init",
        tmp_path / "p",
        "--data",
        SAMPLE / "movie_reviews.csv",
        "--label-column",
        "sentiment",
    )
    assert result.exit_code == 0
    assert "free text, 18 words on average" in result.stderr
    assert "476 distinct short values: too many categories" in result.stderr
    assert result.stdout.strip() == str(tmp_path / "p")


def test_overrides_for_text_and_ignored_columns(tmp_path):
    result = run_cli(
        "init",
        tmp_path / "p",
        "--data",
        SAMPLE / "movie_reviews.csv",
        "--label-column",
        "sentiment",
        "--text-columns",
        "movie",
        "--ignore-columns",
        "text",
        "--json",
    )
    roles = {c["name"]: c["role"] for c in json.loads(result.stdout)["columns"]}
    assert roles == {"text": "ignore", "movie": "text"}


def test_classes_match_labels_up_to_case_and_space(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n1, Cat \n2,DOG\n3,\n4,skip\n")
    result = run_cli("init", tmp_path / "p", "--data", data, "--classes", "cat,dog", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["labels_per_class"] == {"cat": 1, "dog": 1}
    log = read_label_log(tmp_path / "p" / "data" / "labels.parquet")
    assert log["kind"].tolist() == ["label", "label", "skip"]


def test_no_label_column_means_every_row_unlabeled(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("width,height\n1,2\n3,4\n")
    result = run_cli("init", tmp_path / "p", "--data", data, "--classes", "a,b", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["labeled"] == 0
    assert report["warnings"] == [f"{data}: no 'label' column, so every row starts unlabeled"]


def test_init_into_existing_empty_directory(tmp_path):
    (tmp_path / "p").mkdir()
    assert (
        run_cli("init", tmp_path / "p", "--data", SAMPLE / "penguins.csv", "--label-column", "species").exit_code == 0
    )
    assert (tmp_path / "p" / "activelearn.toml").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["p"]


def test_embedding_column_from_parquet_and_csv(tmp_path):
    rng = np.random.default_rng(0)
    vectors = [rng.normal(size=4).round(3).tolist() for _ in range(30)]
    labels = ["a", "b"] * 3 + [""] * 24
    table = pa.table({"emb": vectors, "label": labels})
    pq.write_table(table, tmp_path / "e.parquet")
    pd.DataFrame({"emb": [json.dumps(v) for v in vectors], "label": labels}).to_csv(tmp_path / "e.csv", index=False)
    for name in ("e.parquet", "e.csv"):
        project = tmp_path / name.replace(".", "_")
        result = run_cli("init", project, "--data", tmp_path / name, "--json")
        assert {c["name"]: c["role"] for c in json.loads(result.stdout)["columns"]} == {"emb": "embedding"}
        assert run_cli("-C", project, "train").exit_code == 0
        assert run_cli("-C", project, "query", "-n", "3").exit_code == 0


@pytest.mark.parametrize(
    "values, role",
    [
        ([1.0, 2.5, None, 4.0], "numeric"),
        (["1", "2.5", "NA", "4"], "numeric"),
        (["x", "y", "x", None], "categorical"),
        ([True, False, True, True], "categorical"),
        (["same"] * 4, "ignore"),
        ([None] * 4, "ignore"),
        (list(range(1, 31)), "ignore"),  # a row number
        ([f"u{i}" for i in range(60)], "ignore"),  # unique short values: an identifier
        ([f"this is review number {i} and it is long" for i in range(60)], "text"),
        (["[1, 2]", "[3, 4]", "[5, 6]"], "embedding"),
    ],
)
def test_role_inference(values, role):
    assert infer_role(pd.Series(values, name="c")).role == role
