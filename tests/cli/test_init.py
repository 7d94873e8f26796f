"""init: every input format, ids, labels, classes and inferred column roles."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from activelearn.labels import read_label_log
from activelearn.roles import infer_role

from ..conftest import SAMPLE, run_cli
from .conftest import CODES, IDS, MANGLED_BOM, NOT_A_TABLE, _csv, _pool, _tweets
from .test_errors import assert_clean_failure


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


def test_integers_and_zero_padded_codes_are_kept_in_the_pool(tmp_path):
    result = run_cli("init", tmp_path / "p", "--data", _tweets(tmp_path / "t.csv"), "--json")
    assert result.exit_code == 0, result.stderr
    columns = {c["name"]: (c["role"], c["note"]) for c in json.loads(result.stdout)["columns"]}
    assert columns == {
        "id_str": (
            "ignore",
            "a different whole number in every row (an identifier? use --id-column)",
        ),
        "code": ("categorical", "7 distinct values"),
        "retweets": ("numeric", "whole numbers, 6 missing"),
        "score": ("numeric", "numbers"),
    }
    pool = _pool(tmp_path / "p")
    assert [str(pool.schema.field(n).type) for n in ("id_str", "code", "retweets", "score")] == [
        "int64",
        "string",
        "int64",
        "double",
    ]
    assert pool.column("id_str").to_pylist() == IDS
    assert pool.column("code").to_pylist() == CODES
    assert pool.column("retweets").to_pylist()[:3] == [None, 10**15 + 1, 10**15 + 2]
    config = (tmp_path / "p" / "activelearn.toml").read_text()
    assert (
        'id_str   = "ignore"       # a different whole number in every row (an identifier? use --id-column)' in config
    )


def test_parquet_integers_with_nulls_stay_exact(tmp_path):
    data = tmp_path / "t.parquet"
    pq.write_table(
        pa.table(
            {
                "app_id": pa.array(IDS, type=pa.int64()),
                "votes": pa.array([None if i % 4 == 0 else 2**60 + i for i in range(30)], type=pa.int64()),
                "label": ["a", "b"] * 3 + [None] * 24,
            }
        ),
        data,
    )
    result = run_cli("init", tmp_path / "p", "--data", data, "--json")
    assert result.exit_code == 0, result.stderr
    assert {c["name"]: c["role"] for c in json.loads(result.stdout)["columns"]} == {
        "app_id": "ignore",
        "votes": "numeric",
    }
    pool = _pool(tmp_path / "p")
    assert pool.column("app_id").to_pylist() == IDS
    assert pool.column("votes").to_pylist() == [None if i % 4 == 0 else 2**60 + i for i in range(30)]
    assert run_cli("-q", "-C", tmp_path / "p", "train").exit_code == 0


# --- targets init cannot model yet, the label column, the classes ------------------------------


def _init_refused(tmp_path: Path, data: Path, message: str, *args) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("init", tmp_path / "p", "--data", data, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"error: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_continuous_label_is_refused_as_regression(tmp_path):
    data = _csv(tmp_path / "d.csv", "x,price", [f"{i % 4},{i * 13.7 + 100:.2f}" for i in range(22)])
    _init_refused(
        tmp_path,
        data,
        f"{data}: the 'price' column holds 22 distinct numbers (e.g. 100.00, 113.70, 127.40): it looks like a "
        "number to predict (regression), which activelearn cannot do yet; pass --classes to treat them as classes",
        "--label-column",
        "price",
    )
    classes = ",".join(f"{i * 13.7 + 100:.2f}" for i in range(22))
    result = run_cli(
        "-q",
        "init",
        tmp_path / "p",
        "--data",
        data,
        "--label-column",
        "price",
        "--classes",
        classes,
    )
    assert result.exit_code == 0, result.stderr


def test_whole_number_labels_of_a_few_values_are_classes(tmp_path):
    data = _csv(tmp_path / "d.csv", "x,stars", [f"{i % 7 * 0.3:.1f},{i % 5 + 1}" for i in range(40)])
    result = run_cli("init", tmp_path / "p", "--data", data, "--label-column", "stars", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["classes"] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("separator", [";", "|", ","])
def test_several_labels_per_row_are_refused_as_multi_label(tmp_path, separator):
    topics = [
        "politics",
        "media",
        "sports",
        f"politics{separator}media",
        f"media{separator}sports",
        "politics",
        f"politics{separator}sports",
        "sports",
    ]
    data = tmp_path / "d.csv"
    pd.DataFrame({"text": [f"story {i}" for i in range(8)], "topic": topics}).to_csv(data, index=False)
    _init_refused(
        tmp_path,
        data,
        f"{data}: the 'topic' column looks like several labels per row (multi-label: 3 cells such as "
        f"'politics{separator}media' join labels with '{separator}'), which activelearn cannot do yet; pass --classes to force "
        "one class per distinct cell",
        "--label-column",
        "topic",
    )


def test_a_label_with_a_separator_that_is_no_list_of_labels_is_a_class(tmp_path):
    data = _csv(tmp_path / "d.csv", "x,label", ["1,cat", "2,dog", '3,"yes, certainly"', "4,cat"])
    result = run_cli("init", tmp_path / "p", "--data", data, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["classes"] == ["cat", "dog", "yes, certainly"]


def test_no_label_column_names_the_column_that_looks_like_it(tmp_path):
    data = _csv(
        tmp_path / "d.csv",
        "bill,species,island",
        ["1.5,Adelie,Biscoe", "2.5,,Dream", "3.5,Gentoo,Biscoe", "4.5,,Dream"],
    )
    _init_refused(
        tmp_path,
        data,
        f"{data}: no 'label' column; 'species' looks like the label column (its name): pass --label-column species "
        "(or --classes a,b,c to start with every row unlabeled)",
    )


def test_no_label_column_suggests_a_sparse_column_of_few_values(tmp_path):
    rows = [f"{i * 0.5},{['yes', 'no'][i % 2] if i < 6 else ''},{i % 4}" for i in range(30)]
    data = _csv(tmp_path / "d.csv", "size,reply,group", rows)
    _init_refused(
        tmp_path,
        data,
        f"{data}: no 'label' column; 'reply' looks like the label column (2 distinct values, 24 of 30 cells empty): "
        "pass --label-column reply (or --classes a,b,c to start with every row unlabeled)",
    )


def test_no_label_column_and_nothing_like_one(tmp_path):
    data = _csv(tmp_path / "d.csv", "width,height", ["1,2", "3,4"])
    _init_refused(
        tmp_path,
        data,
        f"{data}: no 'label' column; name the label column with --label-column, or pass --classes a,b,c to start "
        "with every row unlabeled",
    )


def test_no_label_column_with_classes_warns_of_a_likely_label_column(tmp_path):
    data = _csv(tmp_path / "d.csv", "bill,target", ["1.5,a", "2.5,", "3.5,b", "4.5,"])
    result = run_cli("init", tmp_path / "p", "--data", data, "--classes", "a,b", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        f"{data}: no 'label' column, so every row starts unlabeled; 'target' looks like the label column "
        "(its name): pass --label-column target if it is",
    ]


def test_two_classes_seen_are_named_with_how_to_add_more(tmp_path):
    data = _csv(tmp_path / "d.csv", "x,label", [f"{i % 4},{['a', 'b', ''][i % 3]}" for i in range(30)])
    result = run_cli("init", tmp_path / "p", "--data", data, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        f"{data}: only 2 classes seen (a, b); pass --classes if there are more"
    ]
    result = run_cli("-q", "init", tmp_path / "q", "--data", data, "--classes", "a,b")
    assert (result.exit_code, result.stderr) == (0, "")


def test_few_labels_name_the_classes_seen(tmp_path):
    data = _csv(tmp_path / "d.csv", "x,label", ["1,a", "2,b", "3,c", "4,a", "5,", "6,"])
    result = run_cli("init", tmp_path / "p", "--data", data, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        f"{data}: only 4 labels, of 3 classes (a, b, c); pass --classes if there are more"
    ]


@pytest.mark.parametrize("suffix", ["parquet", "xlsx", "jsonl"])
def test_init_strips_a_bom_from_the_headers_of_any_format(tmp_path, suffix):
    import pandas as pd

    frame = pd.DataFrame({f"{MANGLED_BOM}app_id": [1, 2, 3, 4], "income": [1, 2, 1, 2], "label": ["a", "b", "", ""]})
    data = tmp_path / f"d.{suffix}"
    if suffix == "parquet":
        frame.to_parquet(data)
    elif suffix == "xlsx":
        frame.to_excel(data, index=False)
    else:  # a real byte-order mark before the first line
        data.write_bytes(
            b"\xef\xbb\xbf"
            + frame.rename(columns={f"{MANGLED_BOM}app_id": "app_id"}).to_json(orient="records", lines=True).encode()
        )
    result = run_cli("-q", "init", tmp_path / "p", "--data", data, "--id-column", "app_id")
    assert (result.exit_code, result.stderr) == (0, "")
    assert 'id_column = "app_id"' in (tmp_path / "p" / "activelearn.toml").read_text()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "d.csv: empty file (0 bytes)"),
        (b"\n\n", "d.csv: no header row (the file starts with blank lines)"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), f"d.csv: looks like a PNG image, {NOT_A_TABLE}"),
        (
            b'x,y,label\n1,2,a\n"two\nlines",3,b\n2,b\n4,5,a\n',
            "d.csv line 5: expected 3 fields, got 2; check the delimiters and quotes",
        ),
        (
            b"x,label\n1,a\xe9\n2,b\x81\n",
            "d.csv line 3: byte 0x81 is neither UTF-8 nor Windows-1252 text",
        ),
        (
            b"x,label\n" + b"1,a\n" * 300_000 + b"2,caf\xe9\n",
            "d.csv: not valid UTF-8 past its first megabyte",
        ),
    ],
)
def test_an_unreadable_data_file_is_named_in_words(tmp_path, content, message):
    data = tmp_path / "d.csv"
    data.write_bytes(content)
    result = run_cli("init", tmp_path / "p", "--data", data, "--classes", "a,b")
    assert_clean_failure(result, 1, message)
    assert not (tmp_path / "p").exists()


def test_init_reads_old_mac_line_ends(tmp_path):
    data = tmp_path / "d.csv"
    data.write_bytes(b"x,label\r1,a\r2,b\r3,\r")
    result = run_cli("-q", "init", tmp_path / "p", "--data", data)
    assert (result.exit_code, result.stderr) == (0, "")
    assert run_cli("-C", tmp_path / "p", "status", "--json").stdout.count('"labeled": 2') == 1


def test_init_dot_in_an_empty_current_directory(tmp_path):
    target = tmp_path / "here"
    target.mkdir()
    result = run_cli("-C", target, "init", ".", "--data", SAMPLE / "penguins.csv", "--label-column", "species")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ".\n"
    assert sorted(p.name for p in target.iterdir()) == [
        "activelearn.toml",
        "batches",
        "data",
        "models",
        "state.json",
    ]
    assert oct(target.stat().st_mode & 0o777) == oct(0o777 & ~_umask())
    assert run_cli("-C", target, "train").exit_code == 0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_parquet_nulls_in_typed_label_and_id_columns(tmp_path):
    table = pa.table(
        {
            "pid": pa.array([1, 2, 3, 4, 5], type=pa.int64()),
            "x": [0.1, 0.2, 0.8, 0.9, 0.5],
            "y": pa.array([0, 1, None, 1, None], type=pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "d.parquet")
    result = run_cli(
        "init",
        tmp_path / "p",
        "--data",
        tmp_path / "d.parquet",
        "--id-column",
        "pid",
        "--label-column",
        "y",
        "--json",
    )
    report = json.loads(result.stdout)
    assert report["classes"] == ["0", "1"] and report["labeled"] == 3
    bad = pa.table({"pid": pa.array([1, None], type=pa.int64()), "x": [1.0, 2.0], "y": ["a", "b"]})
    pq.write_table(bad, tmp_path / "bad.parquet")
    failed = run_cli(
        "init",
        tmp_path / "q",
        "--data",
        tmp_path / "bad.parquet",
        "--id-column",
        "pid",
        "--label-column",
        "y",
    )
    assert_clean_failure(failed, 1, "bad.parquet row 3: the id column 'pid' is empty")


def test_repeated_headers_are_refused(tmp_path, trained_project):
    data = tmp_path / "d.csv"
    data.write_text("x,label,label\n1,a,a\n2,b,b\n")
    assert_clean_failure(
        run_cli("init", tmp_path / "p", "--data", data),
        1,
        "d.csv: the column 'label' appears more than once",
    )
    answers = tmp_path / "a.csv"
    answers.write_text("id,species,species\nr000300,Gentoo,Adelie\n")
    assert_clean_failure(
        run_cli("-C", trained_project, "import-labels", answers),
        1,
        "a.csv: the column 'species' appears more than once",
    )


def test_init_refuses_data_with_no_usable_column(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("same,label\nx,a\nx,b\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        run_cli("init", tmp_path / "p", "--data", data),
        1,
        "d.csv: no column can be a feature (same: the same value in every row); name the columns to use with --text-columns",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_parquet_file_damaged_past_its_first_row_groups_is_a_one_line_error(tmp_path):
    """Found in review: an error met while reading a later row group escaped as a traceback."""
    import numpy as np

    rows = 50_000
    table = pa.table(
        {
            "x": np.random.default_rng(0).normal(size=rows),
            "label": pa.array(["a" if i % 2 else None for i in range(rows)]),
        }
    )
    data = tmp_path / "damaged.parquet"
    pq.write_table(table, data, row_group_size=10_000)
    raw = bytearray(data.read_bytes())
    start = pq.ParquetFile(data).metadata.row_group(3).column(0).data_page_offset
    raw[start + 20 : start + 2000] = b"\xff" * 1980  # the footer is intact, a data page is not
    data.write_bytes(bytes(raw))
    assert_clean_failure(
        run_cli("init", tmp_path / "p", "--data", data),
        1,
        "damaged.parquet: cannot read as parquet",
    )
    assert not (tmp_path / "p").exists()
