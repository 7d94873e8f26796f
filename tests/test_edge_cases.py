"""Inputs and edits real users make, each of which once broke something."""

from __future__ import annotations

import json
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import load_workbook

from activelearn.labels import read_label_log

from .cli.test_errors import assert_clean_failure
from .conftest import SAMPLE, run_cli, snapshot


def test_xlsx_batch_with_gaps_in_a_whole_number_column(trained_project, tmp_path):
    out = tmp_path / "b.xlsx"
    result = run_cli("-C", trained_project, "query", "-n", "338", "--out", out)
    assert result.exit_code == 0, result.stderr
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    mass = rows[0].index("body_mass_g")
    assert None in [r[mass] for r in rows[1:]]  # the two penguins never weighed: empty cells


def test_a_data_column_named_row_imports(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("row,x,label\n1,0.1,a\n2,0.9,b\n3,0.2,\n4,0.8,\n")
    run_cli("-q", "init", tmp_path / "p", "--data", data)
    run_cli("-C", tmp_path / "p", "train")
    batch = tmp_path / "p" / run_cli("-C", tmp_path / "p", "query", "-n", "2").stdout.strip()
    text = batch.read_text(encoding="utf-8-sig").splitlines()
    batch.write_text("\n".join([text[0]] + [line.replace(",,", ",a,", 1) for line in text[1:]]) + "\n")
    result = run_cli("-C", tmp_path / "p", "import-labels", batch)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("imported 2 labels")


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


def test_a_text_column_with_no_words_among_the_labels(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("txt,num,label\n,1,a\n,2,b\n,1.5,a\n,2.5,b\nsome words,3,\n")
    run_cli("-q", "init", tmp_path / "p", "--data", data, "--text-columns", "txt")
    run_cli("-q", "-C", tmp_path / "p", "config", "set", "features.text", "tfidf")  # embeddings take empty texts
    before = snapshot(tmp_path / "p")
    result = run_cli("-C", tmp_path / "p", "train")
    assert_clean_failure(result, 1, "the text column 'txt' has no words in the 4 rows the model is fitted on")
    assert snapshot(tmp_path / "p") == before


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


def test_a_number_column_set_to_embedding(trained_project):
    config = trained_project / "activelearn.toml"
    config.write_text(config.read_text().replace('year              = "numeric"', 'year = "embedding"'))
    result = run_cli("-C", trained_project, "train", "--force")
    assert_clean_failure(result, 1, "[columns] 'year' is 'embedding' but holds 2007, not a list of numbers")


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


def test_data_columns_named_like_the_tools_own(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("annotator,suggestion,confidence,label\nann1,up,1,a\nann2,down,2,b\nann1,up,3,\nann2,down,4,\n")
    run_cli("-q", "init", tmp_path / "p", "--data", data)
    run_cli("-C", tmp_path / "p", "train")
    batch = tmp_path / "p" / run_cli("-C", tmp_path / "p", "query", "-n", "2").stdout.strip()
    frame = pd.read_csv(batch, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == [
        "id",
        "label",
        "suggestion",
        "confidence",
        "annotator (data)",
        "suggestion (data)",
        "confidence (data)",
    ]
    frame["label"] = "a"
    frame.to_csv(batch, index=False)
    run_cli("-C", tmp_path / "p", "import-labels", batch, "--annotator", "me")
    log = read_label_log(tmp_path / "p" / "data" / "labels.parquet")
    assert set(log["annotator"]) == {"init", "me"}


def test_two_annotators_answering_the_same_row_in_one_file_is_refused(trained_project, tmp_path):
    # one file is one vote per row (tests/system/test_attacks.py: it must not outvote a person)
    answers = tmp_path / "a.csv"
    answers.write_text("id,species,annotator\nr000015,Adelie,bob\nr000015,Gentoo,alice\nr000016,Adelie,bob\n")
    result = run_cli("-C", trained_project, "import-labels", answers, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"] == (
        f"{answers} row 3: id 'r000015' is answered again under annotator 'alice' (row 2: 'bob'); one file gives "
        "one answer per row, so that it cannot outvote the people who answered the row: put each person's answers "
        "in a file of their own"
    )


def test_status_sees_corrections_as_changes(trained_project, tmp_path):
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    first.write_text("id,species\nr000300,Adelie\n")
    second.write_text("id,species\nr000300,Gentoo\n")
    run_cli("-C", trained_project, "import-labels", first)
    run_cli("-C", trained_project, "train")
    run_cli("-C", trained_project, "import-labels", second)  # a correction: the label count stays
    status = json.loads(run_cli("-C", trained_project, "status", "--json").stdout)
    assert (status["labeled"], status["answers_since_model"], status["model_up_to_date"]) == (
        7,
        1,
        False,
    )
    assert "1 answer since the last model: run `activelearn train`" in run_cli("-C", trained_project, "status").stdout


def test_headers_are_neutralised_too(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("=cmd,label\n1,a\n2,b\n3,\n")
    run_cli("-q", "init", tmp_path / "p", "--data", data)
    batch = tmp_path / "p" / run_cli("-C", tmp_path / "p", "query", "-n", "1").stdout.strip()
    assert batch.read_text(encoding="utf-8-sig").splitlines()[0] == "id,label,'=cmd"


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


def test_a_workbook_needing_a_newer_zip_version_is_a_clean_error(trained_project, tmp_path):
    """Found by Hypothesis: zipfile raises NotImplementedError for an unknown 'version needed'."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "species"])
    book.active.append(["r000015", "Adelie"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    data = bytearray(good.read_bytes())
    central = data.find(b"PK\x01\x02")
    while central != -1:  # every central directory entry now claims to need zip version 6.4
        data[central + 6] = 64
        central = data.find(b"PK\x01\x02", central + 4)
    bad = tmp_path / "answers.csv"
    bad.write_bytes(bytes(data))
    before = snapshot(trained_project)
    assert_clean_failure(run_cli("-C", trained_project, "import-labels", bad), 1, "answers.csv: cannot read as XLSX")
    assert snapshot(trained_project) == before


def test_no_path_in_the_config_is_ever_opened(trained_project):
    """[data] source records where init took the data from; no command reads it, so an edited
    config cannot make activelearn read (or write) a file outside the project."""
    config = trained_project / "activelearn.toml"
    text = config.read_text()
    source = next(line for line in text.splitlines() if line.startswith("source = "))
    config.write_text(text.replace(source, 'source = "/nonexistent/../etc/passwd"'))
    for args in (["train", "--force"], ["query", "-n", "3"], ["status"], ["verify"]):
        result = run_cli("-C", trained_project, *args)
        assert result.exit_code == 0, (args, result.stderr)


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
