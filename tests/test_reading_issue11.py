"""How answer and data files are read (issue 11): ids, headers, byte-order marks, what a file is."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from activelearn.idrepair import IdRepairer
from activelearn.labels import read_label_log

from .conftest import run_cli, snapshot
from .test_errors import assert_clean_failure


# --- ids a spreadsheet rounded ----------------------------------------------------------------------


def _scientific(number: int, up: bool) -> str:
    """An 18-digit `number` with 15 significant digits, as LibreOffice writes it in a CSV file,
    rounded down or up: one of the two is right, the other off by one in the last digit."""
    digits = number // 1000 + (up and number % 1000 > 0)
    return f"{str(digits)[0]}.{str(digits)[1:]}E+017"


def test_id_repair_is_indexed_and_right_for_twenty_thousand_ids():
    rng = random.Random(12)
    ids = sorted({rng.randrange(10**17, 10**18) for _ in range(20_000)})
    assert min(b - a for a, b in zip(ids, ids[1:])) > 2_000  # each id alone within a unit of its 15th digit
    repairer = IdRepairer([str(i) for i in ids])
    for number in ids:
        cells = [_scientific(number, up=False), _scientific(number, up=True), str(int(float(number))), str(round(number, -3))]
        assert [repairer.repair(c).id for c in cells] == [str(number)] * 4, cells


def test_two_ids_within_a_unit_of_an_off_cell_are_ambiguous():
    repairer = IdRepairer(["675125408803774100", "675125408803775900"])
    repair = repairer.repair("6.75125408803775E+017")  # off by one from either
    assert repair.id is None and repair.candidates == ("675125408803774100", "675125408803775900")
    # the id it rounds to exactly wins over one only within a unit
    assert repairer.repair("6.75125408803774E+017").id == "675125408803774100"


def test_a_long_id_that_fits_no_batch_id_says_it_lost_precision(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("tweet_id,x,label\n" + "\n".join(f"{675125408803774464 + 10**9 * i},{i},{'ab'[i] if i < 2 else ''}" for i in range(12)) + "\n")
    project = tmp_path / "p"
    run_cli("-q", "init", project, "--data", data, "--id-column", "tweet_id")
    run_cli("-q", "-C", project, "query", "-n", "5")
    answers = tmp_path / "batch-0001.csv"
    answers.write_text("tweet_id,label\n685125408803774976,a\n")  # an XLSX number cell: a float's digits
    before = snapshot(project)
    assert_clean_failure(
        run_cli("-C", project, "import-labels", answers), 1,
        f"{answers} row 2: id '685125408803774976' is not in the pool (a spreadsheet keeps 15 digits of a "
        "number, so a longer id loses its last digits; format the id column as text and copy the ids from the batch file)",
    )
    assert snapshot(project) == before


# --- headers ------------------------------------------------------------------------------------------


@pytest.fixture
def deny_project(tmp_path) -> Path:
    """A project whose label column is `deny` and id column `app_id` (as in a mortgage table)."""
    data = tmp_path / "loans.csv"
    rows = [f"{1000 + i},{i % 5},{['yes', 'no'][i % 2] if i < 4 else ''}" for i in range(20)]
    data.write_text("app_id,income,deny\n" + "\n".join(rows) + "\n")
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data, "--id-column", "app_id", "--label-column", "deny").exit_code == 0
    return project


def test_headers_match_the_tool_columns_up_to_case_and_space(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("APP_ID , Deny ,Annotator\n1004,Yes,Ann\n1005,no,Ann\n")
    result = run_cli("-C", deny_project, "import-labels", answers)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("imported 2 labels from 1 file")
    log = read_label_log(deny_project / "data" / "labels.parquet")
    assert list(zip(log["id"], log["answer"], log["annotator"]))[-2:] == [("1004", "yes", "Ann"), ("1005", "no", "Ann")]


def test_a_missing_label_column_names_the_nearest_header(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("app_id,denied,income\n1004,yes,3\n")
    before = snapshot(deny_project)
    assert_clean_failure(
        run_cli("-C", deny_project, "import-labels", answers), 1,
        f"{answers}: no 'deny' column (did you mean 'denied'?) (found: app_id, denied, income); "
        "the file needs the id column 'app_id' and the label column 'deny'",
    )
    assert snapshot(deny_project) == before


def test_two_headers_naming_the_same_column_are_an_error(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("app_id,Deny,DENY\n1004,yes,no\n")
    before = snapshot(deny_project)
    assert_clean_failure(
        run_cli("-C", deny_project, "import-labels", answers), 1,
        f"{answers}: the columns 'Deny', 'DENY' all name the label column 'deny'; keep one of them",
    )
    assert snapshot(deny_project) == before


# --- byte-order marks -------------------------------------------------------------------------------

MANGLED_BOM = "\u00ef\u00bb\u00bf"  # a byte-order mark read as Windows-1252: shows as ï»¿


def test_a_mangled_bom_is_stripped_from_an_answer_workbook(deny_project, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append([f"{MANGLED_BOM}app_id", "deny"])
    book.active.append(["1004", "yes"])
    book.save(tmp_path / "answers.xlsx")
    result = run_cli("-C", deny_project, "import-labels", tmp_path / "answers.xlsx")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("imported 1 label from 1 file")


def test_a_bom_read_as_windows_1252_is_stripped_from_an_answer_csv(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_bytes(b"\xef\xbb\xbfapp_id,deny,note\n1004,yes,caf\xe9\n")  # not UTF-8: read as Windows-1252
    result = run_cli("-C", deny_project, "import-labels", answers)
    assert result.exit_code == 0 and result.stdout.startswith("imported 1 label from 1 file")
    assert result.stderr == f"warning: {answers}: not valid UTF-8; read as Windows-1252\n"


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
        data.write_bytes(b"\xef\xbb\xbf" + frame.rename(columns={f"{MANGLED_BOM}app_id": "app_id"}).to_json(orient="records", lines=True).encode())
    result = run_cli("-q", "init", tmp_path / "p", "--data", data, "--id-column", "app_id")
    assert (result.exit_code, result.stderr) == (0, "")
    assert 'id_column = "app_id"' in (tmp_path / "p" / "activelearn.toml").read_text()
