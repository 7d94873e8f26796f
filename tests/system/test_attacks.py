"""Issue 12's attacks on the tool, one test each: a marker file that must not appear, a label
count that must not drop, or a clean refusal within bounded time and memory. Each section is one
kind of attack; the race and kill tests beside these live in tests/test_crash.py."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pytest

from ..conftest import SAMPLE, fill_batch, require_program, run_cli, snapshot  # noqa: F401  (the sections below use them)


# === 1. the project lock and compare-and-swap on state.json ====================================




# === 2. model files that would run code ========================================================




# === 3/4. spreadsheet outputs: batch overwrite, CR/LF in cells, guarded exports, terminal escapes


def test_query_after_state_json_is_restored_leaves_the_filled_batch_alone(trained_project):
    """Issue 12 item 3: a person fills batch-0001 without importing it; state.json comes back from
    a backup taken before that query; the next query must not write over the person's answers."""
    backup = (trained_project / "state.json").read_bytes()
    first = run_cli("-C", trained_project, "query", "-n", "5")
    assert (first.exit_code, first.stdout) == (0, "batches/batch-0001.csv\n")
    filled = trained_project / "batches" / "batch-0001.csv"
    assert fill_batch(filled, SAMPLE / "penguins_answers.csv") == 5
    answers = filled.read_bytes()
    (trained_project / "state.json").write_bytes(backup)
    second = run_cli("-C", trained_project, "query", "-n", "5")
    assert second.exit_code == 0, second.stderr
    assert second.stdout == "batches/batch-0002.csv\n"
    assert ("warning: batches/batch-0001.csv is not a batch state.json knows (was state.json restored from a "
            "backup?); left it untouched and named this batch batch-0002\n") in second.stderr
    assert filled.read_bytes() == answers
    imported = run_cli("-C", trained_project, "import-labels", filled, "--json")
    assert json.loads(imported.stdout)["labels"] == 5  # the answers still count


INSIDE = "is inside the project's own files; write the output elsewhere"
EXTENSION = "the extension decides the format; use .csv or .parquet"


@pytest.mark.parametrize("command", ["export", "predict"])
@pytest.mark.parametrize(("target", "refusal"), [
    ("batches/batch-0001.csv", INSIDE), ("batches/new.csv", INSIDE), ("data/pool.parquet", INSIDE),
    ("data/other.csv", INSIDE), ("models/m.parquet", INSIDE), ("state.json", EXTENSION), ("activelearn.toml", EXTENSION),
])
def test_export_and_predict_never_write_into_the_project(trained_project, command, target, refusal):
    assert run_cli("-C", trained_project, "query", "-n", "5").exit_code == 0
    out = trained_project / target
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, command, "--out", out)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: --out {out}{':' if refusal == EXTENSION else ''} {refusal}\n"
    assert snapshot(trained_project) == before




# a cell holding CR, LF or CRLF before a formula: unquoted, a spreadsheet starts a new row there
CR_NOTES = ["ok\r=cmd|' /C calc'!A0", "x\n=1+1", "a\r\n@SUM(1)", "=2+2", "plain", "two\r\rlines", "'=quoted", "+\r-\n@"]
CR_ID = "id\r=HYPERLINK(1)"
POOL_NOTES = [n.removeprefix("'") for n in CR_NOTES]  # init reads "'=quoted" as guarded: "=quoted"


def _cr_project(tmp_path: Path, labeled: int = 2) -> Path:
    rows = [["key", "note", "label"]] + [
        [CR_ID if i == 3 else f"k{i}", note, "ab"[i % 2] if i < labeled else ""] for i, note in enumerate(CR_NOTES * 2)
    ]
    data = tmp_path / "d.csv"
    with open(data, "w", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    assert run_cli("-q", "init", tmp_path / "p", "--data", data, "--id-column", "key", "--text-columns", "note").exit_code == 0
    return tmp_path / "p"


def _unsafe_lines(cells) -> list[str]:
    """The cells with a line a spreadsheet would run as a formula."""
    return [c for c in cells for line in re.split(r"\r\n|\r|\n", c or "") if line.startswith(("=", "+", "-", "@"))]


def test_cr_or_lf_in_a_cell_neither_starts_a_row_nor_gets_past_the_formula_guard(tmp_path):
    project = _cr_project(tmp_path)
    result = run_cli("-C", project, "query", "-n", "14", "--strategy", "random")
    assert result.exit_code == 0, result.stderr
    batch = project / result.stdout.strip()
    with open(batch, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 15 and {len(r) for r in rows} == {3}
    assert _unsafe_lines(c for r in rows for c in r) == []
    assert sorted(r[2] for r in rows[1:] if r[0] == "k8") == ["ok\r'=cmd|' /C calc'!A0"]  # guarded after the CR
    # read back exactly: every id matches its row, the one holding a CR too
    for row in rows[1:]:
        row[1] = "a"
    with open(batch, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(rows)
    imported = run_cli("-C", project, "import-labels", batch, "--json")
    assert imported.exit_code == 0, imported.stderr
    assert json.loads(imported.stdout)["labels"] == 14


def test_libreoffice_opens_a_batch_with_cr_in_cells_row_for_row_with_no_formula(tmp_path):
    from openpyxl import load_workbook

    soffice = require_program("soffice")
    project = _cr_project(tmp_path)
    result = run_cli("-C", project, "query", "-n", "14", "--strategy", "random")
    batch = project / result.stdout.strip()
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless", "--infilter=CSV:44,34,76,1",
         "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(batch)],
        check=True, capture_output=True, timeout=180,
    )
    sheet = load_workbook(tmp_path / "lo" / "batch-0001.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert sheet.max_row == 15
    assert [c.value for c in cells if c.data_type == "f"] == []
    assert _unsafe_lines(str(c.value) for c in cells if c.value is not None) == []
    assert sorted(str(sheet.cell(row=r, column=1).value) for r in range(2, 16)) == sorted(
        ["id\n'=HYPERLINK(1)", *(f"k{i}" for i in range(2, 16) if i != 3)]  # k0, k1 labeled at init
    )



def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("command", ["export", "predict"])
def test_export_and_predict_csv_have_the_formula_guard_and_raw_is_exact(tmp_path, command):
    project = _cr_project(tmp_path, labeled=16)
    assert run_cli("-C", project, "train").exit_code == 0
    guarded, raw = tmp_path / "out.csv", tmp_path / "raw.csv"
    for out, extra in ((guarded, []), (raw, ["--raw"])):
        result = run_cli("-C", project, command, "--out", out, *extra)
        assert (result.exit_code, result.stdout) == (0, f"{out}\n"), result.stderr
    rows, exact = _csv_rows(guarded), _csv_rows(raw)
    assert len(rows) == len(exact) == 17 and {len(r) for r in rows} == {len(rows[0])}
    assert _unsafe_lines(c for r in rows for c in r) == []
    ids = [r[0] for r in rows[1:]]
    assert "id\r'=HYPERLINK(1)" in ids and CR_ID not in ids
    assert sorted(r[0] for r in exact[1:]) == sorted([CR_ID, *(f"k{i}" for i in range(16) if i != 3)])
    if command == "export":
        assert [r[2] for r in exact[1:]] == POOL_NOTES * 2  # the notes, byte for byte
        assert _unsafe_lines(r[2] for r in exact[1:]) != []


def test_init_reads_a_guarded_export_back_as_the_original_values(tmp_path):
    project = _cr_project(tmp_path, labeled=16)
    exported = run_cli("-C", project, "export", "--out", tmp_path / "out.csv", "--json")
    assert exported.exit_code == 0, exported.stderr
    options = json.loads(exported.stdout)["init_options"]
    assert run_cli("-q", "init", tmp_path / "again", *options).exit_code == 0
    for name in ("project", "again"):
        assert run_cli("-C", tmp_path / ("p" if name == "project" else name), "export", "--raw", "--out", tmp_path / f"{name}.csv").exit_code == 0
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "project.csv").read_bytes()
    assert [r[2] for r in _csv_rows(tmp_path / "again.csv")[1:]] == POOL_NOTES * 2



def test_xlsx_batch_with_vt_or_esc_in_cells_is_written_safely_and_reads_back(tmp_path):
    """Issue 12 item 6: \\x0b or \\x1b in a cell gave a traceback. No .xlsx cell holds them: in a
    context cell they become U+FFFD with a warning naming the column and rows; in the id column the
    batch is refused, nothing written, since an answer would not find its row."""
    from openpyxl import load_workbook

    data = tmp_path / "d.csv"
    data.write_text('key,no\x0bte\x1b,label\nk0,a,a\nk1,c,b\nk2,"e\x1b[31mred",\nk3,"v\x0btab",\nk4,plain,\n')
    assert run_cli("-q", "init", tmp_path / "p", "--data", data, "--id-column", "key").exit_code == 0
    out = tmp_path / "batch.xlsx"
    result = run_cli("-C", tmp_path / "p", "query", "-n", "3", "--strategy", "random", "--out", out)
    assert (result.exit_code, result.exception) == (0, None)
    book = load_workbook(out)
    sheet = book["batch"]
    assert [c.value for c in sheet[1]] == ["key", "label", "no\ufffdte\ufffd"]
    notes = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=3).value for r in (2, 3, 4)}
    assert notes == {"k2": "e\ufffd[31mred", "k3": "v\ufffdtab", "k4": "plain"}
    rows = ", ".join(str(r) for r in (2, 3, 4) if sheet.cell(row=r, column=1).value != "k4")
    assert result.stderr == (
        f"warning: {out} column 'no\\x0bte\\x1b', rows {rows}: control characters no .xlsx cell can hold, shown as "
        "\ufffd (query --out batch.csv keeps them)\n"
        "batch-0001: 3 rows by random (no model) from 3 unlabeled rows\n"
    )
    for r in (2, 3, 4):
        sheet.cell(row=r, column=2).value = "a"
    book.save(out)
    imported = run_cli("-C", tmp_path / "p", "import-labels", out, "--json")
    assert (imported.exit_code, json.loads(imported.stdout)["labels"]) == (0, 3)

    data.write_text('key,note,label\nk0,a,a\nk1,c,b\n"k2\x1b",e,\n')
    assert run_cli("-q", "init", tmp_path / "q", "--data", data, "--id-column", "key").exit_code == 0
    before = snapshot(tmp_path / "q")
    refused = run_cli("-C", tmp_path / "q", "query", "-n", "1", "--out", tmp_path / "ids.xlsx")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr.endswith(
        f"error: {tmp_path / 'ids.xlsx'} row 2, column 'key': control characters no .xlsx cell can hold; "
        "write the batch as CSV instead (--out batch.csv)\n"
    )
    assert snapshot(tmp_path / "q") == before and not (tmp_path / "ids.xlsx").exists()



TERMINAL_CONTROLS = ("\x1b", "\x07", "\x08", "\r", "\x9b", "\u202e")


def _no_terminal_controls(result) -> None:
    for stream in (result.stdout, result.stderr):
        assert [c for c in TERMINAL_CONTROLS if c in stream] == [], stream


@pytest.mark.parametrize("json_mode", [False, True])
def test_class_annotator_and_column_names_reach_the_terminal_escaped(tmp_path, json_mode):
    """Issue 12, terminal escapes: names from the data and from answer files are shown with their
    control characters (ESC, CSI, BEL, CR, backspace, bidi overrides) as escapes."""
    red, title, bidi = "\x1b[31mred", "\x1b]0;pwned\x07\x08\r", "evil\u202etxt.exe\x9b2J"
    data = tmp_path / "d.csv"
    data.write_text(f'key,"{bidi}",label\nk0,1,"{red}"\nk1,2,b\nk2,3,\nk3,4,\nk4,5,\n', encoding="utf-8")
    flag = ["--json"] if json_mode else []
    runs = [run_cli("-v", "init", tmp_path / "p", "--data", data, "--id-column", "key", *flag)]
    project = tmp_path / "p"
    runs.append(run_cli("-C", project, "train", *flag))
    answers = tmp_path / "answers.csv"
    answers.write_text(f'key,label,annotator\nk2,"{red}","{red}"\nk3,b,"{title}"\n', encoding="utf-8")
    runs.append(run_cli("-C", project, "import-labels", answers, *flag))
    answers.write_text(f'key,label\nk4,"{title}"\n', encoding="utf-8")
    runs.append(run_cli("-C", project, "import-labels", answers, *flag))  # not a class: an error naming it
    runs += [run_cli("-v", "-C", project, "status", *flag), run_cli("-C", project, "train", *flag)]
    assert [r.exit_code for r in runs] == [0, 0, 0, 1, 0, 0]
    for result in runs:
        _no_terminal_controls(result)
    if json_mode:  # the escapes are JSON's: the values themselves are intact
        status = json.loads(runs[4].stdout)
        assert set(status["annotators"]) == {"init", red, title.strip()} and red in status["labels_per_class"]
    else:
        assert "4 answers from \\x1b[31mred, \\x1b]0;pwned\\x07\\x08, init\n" in runs[4].stdout
        assert "\\x1b[31mred" in runs[1].stdout


# === 5. bounded parsers: bombs and huge files ==================================================




# === 6. broken project files ===================================================================




# === medium: inbox symlinks, fake annotators, control characters at init, colliding ids, scheduler




# === hostile corpus: tests/fixtures/hostile/ ===================================================
