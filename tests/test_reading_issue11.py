"""How answer and data files are read (issue 11): ids, headers, byte-order marks, what a file is."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from activelearn.idrepair import IdRepairer
from activelearn.labels import read_label_log

from .cli.test_errors import assert_clean_failure, assert_unchanged
from .conftest import run_cli, snapshot

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
        cells = [
            _scientific(number, up=False),
            _scientific(number, up=True),
            str(int(float(number))),
            str(round(number, -3)),
        ]
        assert [repairer.repair(c).id for c in cells] == [str(number)] * 4, cells


def test_two_ids_within_a_unit_of_an_off_cell_are_ambiguous():
    repairer = IdRepairer(["675125408803774100", "675125408803775900"])
    repair = repairer.repair("6.75125408803775E+017")  # off by one from either
    assert repair.id is None and repair.candidates == ("675125408803774100", "675125408803775900")
    # the id it rounds to exactly wins over one only within a unit
    assert repairer.repair("6.75125408803774E+017").id == "675125408803774100"


def test_a_long_id_that_fits_no_batch_id_says_it_lost_precision(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(
        "tweet_id,x,label\n"
        + "\n".join(f"{675125408803774464 + 10**9 * i},{i},{'ab'[i] if i < 2 else ''}" for i in range(12))
        + "\n"
    )
    project = tmp_path / "p"
    run_cli("-q", "init", project, "--data", data, "--id-column", "tweet_id")
    run_cli("-q", "-C", project, "query", "-n", "5")
    answers = tmp_path / "batch-0001.csv"
    answers.write_text("tweet_id,label\n685125408803774976,a\n")  # an XLSX number cell: a float's digits
    assert_unchanged(
        project,
        lambda: run_cli("-C", project, "import-labels", answers),
        1,
        f"{answers} row 2: id '685125408803774976' is not in the pool (a spreadsheet keeps 15 digits of a "
        "number, so a longer id loses its last digits; format the id column as text and copy the ids from the batch file)",
    )


# --- headers ------------------------------------------------------------------------------------------


@pytest.fixture
def deny_project(tmp_path) -> Path:
    """A project whose label column is `deny` and id column `app_id` (as in a mortgage table)."""
    data = tmp_path / "loans.csv"
    rows = [f"{1000 + i},{i % 5},{['yes', 'no'][i % 2] if i < 4 else ''}" for i in range(20)]
    data.write_text("app_id,income,deny\n" + "\n".join(rows) + "\n")
    project = tmp_path / "p"
    assert (
        run_cli("-q", "init", project, "--data", data, "--id-column", "app_id", "--label-column", "deny").exit_code == 0
    )
    return project


def test_headers_match_the_tool_columns_up_to_case_and_space(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("APP_ID , Deny ,Annotator\n1004,Yes,Ann\n1005,no,Ann\n")
    result = run_cli("-C", deny_project, "import-labels", answers)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("imported 2 labels from 1 file")
    log = read_label_log(deny_project / "data" / "labels.parquet")
    assert list(zip(log["id"], log["answer"], log["annotator"]))[-2:] == [
        ("1004", "yes", "Ann"),
        ("1005", "no", "Ann"),
    ]


def test_a_missing_label_column_names_the_nearest_header(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("app_id,denied,income\n1004,yes,3\n")
    assert_unchanged(
        deny_project,
        lambda: run_cli("-C", deny_project, "import-labels", answers),
        1,
        f"{answers}: no 'deny' column (did you mean 'denied'?) (found: app_id, denied, income); "
        "the file needs the id column 'app_id' and the label column 'deny'",
    )


def test_two_headers_naming_the_same_column_are_an_error(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("app_id,Deny,DENY\n1004,yes,no\n")
    assert_unchanged(
        deny_project,
        lambda: run_cli("-C", deny_project, "import-labels", answers),
        1,
        f"{answers}: the columns 'Deny', 'DENY' all name the label column 'deny'; keep one of them",
    )


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
        data.write_bytes(
            b"\xef\xbb\xbf"
            + frame.rename(columns={f"{MANGLED_BOM}app_id": "app_id"}).to_json(orient="records", lines=True).encode()
        )
    result = run_cli("-q", "init", tmp_path / "p", "--data", data, "--id-column", "app_id")
    assert (result.exit_code, result.stderr) == (0, "")
    assert 'id_column = "app_id"' in (tmp_path / "p" / "activelearn.toml").read_text()


# --- what a file is, and where it is broken: no library internals ------------------------------------

NOT_A_TABLE = "not a table of rows; use a CSV, TSV, XLSX, ODS, Parquet or JSON Lines file"


def _zip(path: Path, member: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, "hello")
    return path.read_bytes()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file (0 bytes)"),
        (b"\n\r\n\n", "no header row (the file holds only blank lines)"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), f"looks like a PNG image, {NOT_A_TABLE}"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", f"looks like a JPEG image, {NOT_A_TABLE}"),
        (b"%PDF-1.7\n%\xe2\xe3", f"looks like a PDF document, {NOT_A_TABLE}"),
        (
            b"\x1f\x8b\x08\x00" + bytes(20),
            f"looks like a gzip archive (decompress it first), {NOT_A_TABLE}",
        ),
        ("zip:notes.txt", f"looks like a ZIP archive (extract it first), {NOT_A_TABLE}"),
        ("zip:word/document.xml", f"looks like a Word document, {NOT_A_TABLE}"),
        (
            b"app_id,deny\n1004,yes\n1005,no,x,y\n",
            "line 3: expected 2 fields, got 4; check the delimiters and quotes",
        ),
        (
            b"app_id,deny\n1004,caf\xe9\n1005,\x81\n",
            "line 3: byte 0x81 is neither UTF-8 nor Windows-1252 text; save the file as UTF-8",
        ),
    ],
)
def test_an_unreadable_answer_file_is_named_in_words(deny_project, tmp_path, content, message):
    answers = tmp_path / "answers.csv"
    if isinstance(content, str):
        content = _zip(tmp_path / "a.zip", content.removeprefix("zip:"))
    answers.write_bytes(content)
    before = snapshot(deny_project)
    where = f"{answers} " if message.startswith("line ") else f"{answers}: "
    assert_clean_failure(run_cli("-C", deny_project, "import-labels", answers), 1, where + message)
    assert snapshot(deny_project) == before


def test_old_mac_line_ends_are_read(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_bytes(b"app_id,deny\r1004,yes\r1005,no\r")
    result = run_cli("-C", deny_project, "import-labels", answers)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("imported 2 labels from 1 file")


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


# --- Parquet and JSON Lines answer files --------------------------------------------------------------


def _answers_json(result) -> dict:
    import json

    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_parquet_answer_file_with_integer_ids_imports(deny_project, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    table = pa.table(
        {
            "app_id": pa.array([1004, 1005, 1006, 1007], pa.int64()),
            "deny": pa.array(["Yes", None, "skip", " no "]),
            "income": pa.array([1.5, None, 2.0, 3.0]),
        }
    )
    pq.write_table(table, inbox / "answers.parquet")
    result = _answers_json(run_cli("-C", deny_project, "import-labels", inbox, "--json"))
    assert (result["labels"], result["skips"], result["unanswered"]) == (2, 1, 1)
    log = read_label_log(deny_project / "data" / "labels.parquet")
    assert list(zip(log["id"], log["answer"], log["kind"]))[-3:] == [
        ("1004", "yes", "label"),
        ("1006", "skip", "skip"),
        ("1007", "no", "label"),
    ]


def test_a_parquet_answer_file_names_its_rows(deny_project, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"app_id": [1004, 1005], "deny": ["yes", "maybe"]}), tmp_path / "a.parquet")
    assert_unchanged(
        deny_project,
        lambda: run_cli("-C", deny_project, "import-labels", tmp_path / "a.parquet"),
        1,
        f"{tmp_path / 'a.parquet'} row 2: label 'maybe' is not a class (classes: no, yes)",
    )


@pytest.mark.parametrize("suffix", ["jsonl", "ndjson"])
def test_a_json_lines_answer_file_imports(deny_project, tmp_path, suffix):
    answers = tmp_path / f"answers.{suffix}"
    answers.write_text(
        '{"app_id": 1004, "deny": "Yes", "note": {"seen": true}}\n'
        '{"app_id": "1005", "deny": ""}\n'
        "\n"
        '{"app_id": 1006, "deny": "skip"}\n'
        '{"app_id": 1007}\n'
    )
    result = _answers_json(run_cli("-C", deny_project, "import-labels", answers, "--json"))
    assert (result["labels"], result["skips"], result["unanswered"]) == (1, 1, 2)
    log = read_label_log(deny_project / "data" / "labels.parquet")
    assert list(zip(log["id"], log["answer"]))[-2:] == [("1004", "yes"), ("1006", "skip")]


@pytest.mark.parametrize(
    "line, message",
    [
        (
            '{"app_id": 1005, "deny": "no"',
            "line 2: not valid JSON (Expecting ',' delimiter at column 30)",
        ),
        (
            '["1005", "no"]',
            'line 2: not a JSON object; each line needs one, as {"id": ..., "label": ...}',
        ),
        # a problem with a value names the row, as in every format: in JSON Lines, the line number
        (
            '{"app_id": 1005, "deny": "nope"}',
            "row 2: label 'nope' is not a class (did you mean 'no'? classes: no, yes)",
        ),
    ],
)
def test_a_bad_json_lines_answer_file_names_the_line(deny_project, tmp_path, line, message):
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"app_id": 1004, "deny": "yes"}\n' + line + "\n")
    assert_unchanged(
        deny_project,
        lambda: run_cli("-C", deny_project, "import-labels", answers),
        1,
        f"{answers} {message}",
    )


def test_id_repair_gives_up_on_numbers_no_spreadsheet_writes():
    from activelearn.idrepair import IdRepairer

    repairer = IdRepairer(["675125408803774464", "000123"])
    assert repairer.repair("9" * 5000) is None  # int() of it raises past 4,300 digits
    assert repairer.repair("1E+99999") is None  # 10**99999 would take long
    assert repairer.repair("6.75125408803775E+017").candidates == ("675125408803774464",)
    assert repairer.repair("123").candidates == ("000123",)
