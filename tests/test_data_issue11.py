"""Issue 11: data kept as written on its way into the pool, and what init infers from it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import run_cli, snapshot

IDS = [321823067619864577 + 7919 * i for i in range(30)]  # 18 digits: float64 would round them
CODES = [f"{i % 7:06d}" for i in range(30)]  # 000000 ... 000006


def _tweets(path: Path) -> Path:
    """30 rows: an 18-digit id_str, a zero-padded code, whole counts with gaps, a measurement."""
    rows = [["id_str", "code", "retweets", "score", "label"]]
    for i in range(30):
        rows.append(
            [
                str(IDS[i]),
                CODES[i],
                "" if i % 5 == 0 else str(10**15 + i),
                f"{i * 0.37:.2f}",
                ["spam", "ham", "news"][i % 3] if i < 9 else "",
            ]
        )
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _pool(project: Path) -> pa.Table:
    return pq.read_table(project / "data" / "pool.parquet")


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


def test_batch_files_show_integers_and_codes_as_written(tmp_path):
    assert (
        run_cli(
            "-q",
            "init",
            tmp_path / "p",
            "--data",
            _tweets(tmp_path / "t.csv"),
            "--id-column",
            "id_str",
        ).exit_code
        == 0
    )
    result = run_cli("-C", tmp_path / "p", "query", "-n", "21")
    assert result.exit_code == 0, result.stderr
    with open(tmp_path / "p" / "batches" / "batch-0001.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert {r["id_str"] for r in rows} <= {str(i) for i in IDS}
    assert {r["code"] for r in rows} <= set(CODES)
    expected = {str(IDS[i]): "" if i % 5 == 0 else str(10**15 + i) for i in range(30)}
    assert {r["id_str"]: r["retweets"] for r in rows} == {r["id_str"]: expected[r["id_str"]] for r in rows}


def test_predict_output_keeps_18_digit_ids(tmp_path):
    data = _tweets(tmp_path / "t.csv")
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data, "--id-column", "id_str").exit_code == 0
    assert run_cli("-q", "-C", project, "train").exit_code == 0
    for name in ("out.csv", "out.parquet"):
        result = run_cli("-q", "-C", project, "predict", "--out", tmp_path / name)
        assert result.exit_code == 0, result.stderr
        out = pd.read_parquet(tmp_path / name) if name.endswith("parquet") else pd.read_csv(tmp_path / name, dtype=str)
        assert out["id_str"].tolist() == [str(i) for i in IDS]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_reads_back_identically_with_long_integers_and_codes(tmp_path, suffix):
    project, copy = tmp_path / "p", tmp_path / "copy"
    assert run_cli("-q", "init", project, "--data", _tweets(tmp_path / "t.csv")).exit_code == 0
    out = tmp_path / f"labeled{suffix}"
    result = run_cli("-C", project, "export", "--out", out, "--all-columns", "--json")
    assert result.exit_code == 0, result.stderr
    options = json.loads(result.stdout)["init_options"]
    result = run_cli("-q", "init", copy, *options)
    assert result.exit_code == 0, result.stderr
    original = _pool(project).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).head(9)
    copied = _pool(copy).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    pd.testing.assert_frame_equal(copied[original.columns], original)
    assert _pool(copy).schema.remove(5) == _pool(project).schema  # the copy adds the evaluation flag
    assert copied["id_str"].tolist() == IDS[:9] and copied["code"].tolist() == CODES[:9]


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


@pytest.mark.parametrize(
    "values, role, note",
    [
        (
            [f"{i:05d}" for i in range(60)],
            "ignore",
            "a different value in every row (zero-padded codes) (an identifier? use --id-column)",
        ),
        (
            [f"{i % 80:05d}" for i in range(200)],
            "ignore",
            "80 distinct short values: too many categories (set to categorical or text to use)",
        ),
        (
            [str(10**17 + i * 13) for i in range(25)],
            "ignore",
            "a different whole number in every row (an identifier? use --id-column)",
        ),
        (
            [str(i * 7 % 25) for i in range(25)],
            "ignore",
            "a different whole number in every row (an identifier? use --id-column)",
        ),
        (
            [f"{i * 1.37 + 0.01:.2f}" for i in range(25)],
            "numeric",
            "numbers",
        ),  # unique measurements stay numeric
        ([str(i % 10) for i in range(25)], "numeric", "whole numbers"),  # whole numbers that repeat
        (
            [str(i * 7 % 19) for i in range(19)],
            "numeric",
            "whole numbers",
        ),  # too few rows to call unique an identifier
        (["0", "10", "20", "0"], "numeric", "whole numbers"),  # a lone 0 is no padding
    ],
)
def test_identifier_and_code_roles(tmp_path, values, role, note):
    from activelearn.roles import infer_role

    inferred = infer_role(pd.Series(values, name="c", dtype=object))
    assert (inferred.role, inferred.note) == (role, note)


# --- targets init cannot model yet, the label column, the classes ------------------------------


def _init_refused(tmp_path: Path, data: Path, message: str, *args) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("init", tmp_path / "p", "--data", data, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"error: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


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


def test_an_unknown_class_at_import_says_how_to_add_one(tmp_path):
    data = _csv(
        tmp_path / "d.csv",
        "x,label",
        [f"{i % 6},{['a', 'b', 'c', ''][i % 4] if i < 12 else ''}" for i in range(40)],
    )
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data).exit_code == 0
    assert run_cli("-q", "-C", project, "query", "-n", "2").exit_code == 0
    batch = project / "batches" / "batch-0001.csv"
    rows = list(csv.reader(batch.open(encoding="utf-8-sig")))
    rows[1][1] = "d"
    with open(batch, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(rows)
    before = snapshot(project)
    result = run_cli("-C", project, "import-labels", batch)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {batch} row 2: label 'd' is not a class (classes: a, b, c); to add a class, add it to "
        "[data] classes in activelearn.toml\n"
    )
    assert snapshot(project) == before


# --- roles set by hand in activelearn.toml ------------------------------------------------------


def _review_project(tmp_path: Path, comments: list[str]) -> Path:
    """40 rows: a numeric 'size', a 'comment' column of the given cells, 8 labels."""
    data = tmp_path / "d.csv"
    pd.DataFrame(
        {
            "size": [i % 9 * 1.5 for i in range(40)],
            "comment": comments,
            "label": [["good", "bad"][i % 2] if i < 8 else "" for i in range(40)],
        }
    ).to_csv(data, index=False)
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data).exit_code == 0
    return project


def _set_role(project: Path, column: str, role: str) -> None:
    config = project / "activelearn.toml"
    lines = [
        f'{column} = "{role}"' if line.split("=")[0].strip() == column else line
        for line in config.read_text().splitlines()
    ]
    config.write_text("\n".join(lines) + "\n")


def test_numeric_role_on_a_text_column_is_an_error(tmp_path):
    comments = [f"comment number {i} about the stay" for i in range(40)]
    comments[0] = ""  # empty cells are missing values, not text
    project = _review_project(tmp_path, comments)
    _set_role(project, "comment", "numeric")
    message = (
        "activelearn.toml: column 'comment' is numeric but row r000002 holds 'comment number 1 about the stay' "
        "(39 of 39 cells are not numbers); make it text or categorical"
    )
    for command in (["train"], ["query", "-n", "2"]):
        before = snapshot(project)
        result = run_cli("-C", project, *command)
        assert (result.exit_code, result.stdout, result.stderr) == (
            1,
            "",
            f"error: {project}/{message}\n",
        )
        assert snapshot(project) == before
    result = run_cli("-C", project, "verify")
    assert (result.exit_code, result.stdout) == (
        1,
        f"problem: activelearn.toml: {message} (fix the role in activelearn.toml)\n",
    )


def test_a_few_typos_in_a_numeric_column_are_a_warning(tmp_path):
    comments = ["12,5" if i == 4 else str(i * 3) for i in range(39)] + ["NA"]
    project = _review_project(tmp_path, comments)
    _set_role(project, "comment", "numeric")  # inferred otherwise: '12,5' is not a number
    result = run_cli("-C", project, "train")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"warning: {project}/activelearn.toml: column 'comment' is numeric but 1 of 39 cells are not numbers "
        "(row r000005 holds '12,5'); they count as missing values\n"
    )


def test_a_pool_column_left_out_of_columns_is_named(tmp_path):
    project = _review_project(tmp_path, [f"comment number {i} about the stay" for i in range(40)])
    config = project / "activelearn.toml"
    config.write_text("\n".join(x for x in config.read_text().splitlines() if not x.startswith("comment ")) + "\n")
    warning = (
        "warning: column 'comment' of the pool has no role in activelearn.toml [columns]; "
        'add `comment = "ignore"` to leave it out on purpose\n'
    )
    result = run_cli("-C", project, "train")
    assert (result.exit_code, result.stderr) == (0, warning)
    result = run_cli("-C", project, "verify")
    assert (result.exit_code, result.stderr) == (0, warning)
    assert result.stdout.startswith("ok: checked")
