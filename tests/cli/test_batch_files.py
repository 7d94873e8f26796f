"""Writing batch files: XLSX workbooks people fill in, never overwriting one, rewriting a lost one."""

from __future__ import annotations

import csv
import json

import pandas as pd
from openpyxl import load_workbook

from activelearn.labels import read_label_log

from ..conftest import SAMPLE, fill_batch, read_batch_ids, require_program, run_cli, snapshot
from .conftest import CODES, IDS, _tweets


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_an_eval_batch_says_it_was_drawn_at_random_for_the_evaluation_set(trained_project):
    result = run_cli("-C", trained_project, "query", "--eval", "5")
    assert result.exit_code == 0
    assert result.stdout == "batches/eval-0001.csv\n"
    assert (
        result.stderr == "eval-0001: 5 rows drawn uniformly at random for the evaluation set from 338 unlabeled rows\n"
    )
    report = _json(run_cli("-C", trained_project, "query", "--eval", "5", "--json"))
    assert report == {
        "batch": "eval-0002",
        "file": "batches/eval-0002.csv",
        "rows": 5,
        "strategy": "random",
        "model_version": None,
        "candidates": 333,
        "warnings": [],
        "pending": [],
        "evaluation": True,
        "explored": 0,
    }


def test_a_batch_by_the_model_still_names_its_strategy_and_model(trained_project):
    assert run_cli("-q", "-C", trained_project, "config", "set", "query.explore", "0").exit_code == 0
    result = run_cli("-C", trained_project, "query", "-n", "5")
    assert result.stderr == "batch-0001: 5 rows by diverse (model 1) from 338 unlabeled rows\n"


def test_query_never_overwrites_a_batch_file_that_state_json_does_not_know(trained_project):
    assert run_cli("-q", "-C", trained_project, "config", "set", "query.explore", "0").exit_code == 0
    backup = (trained_project / "state.json").read_bytes()
    first = _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))
    filled_path = trained_project / first["file"]
    fill_batch(filled_path, SAMPLE / "penguins_answers.csv")
    filled = filled_path.read_bytes()
    (trained_project / "state.json").write_bytes(backup)  # restored from a backup, as errors suggest

    result = run_cli("-C", trained_project, "query", "-n", "5")
    assert result.exit_code == 0
    assert result.stdout == "batches/batch-0002.csv\n"
    assert result.stderr == (
        "warning: batches/batch-0001.csv is not a batch state.json knows (was state.json restored from a "
        "backup?); left it untouched and named this batch batch-0002\n"
        "batch-0002: 5 rows by diverse (model 1) from 338 unlabeled rows\n"
    )
    assert filled_path.read_bytes() == filled
    # the next batch takes the next number: batch-0002 is recorded now
    assert _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))["batch"] == "batch-0003"
    # and the filled file's answers are not lost
    imported = _json(run_cli("-C", trained_project, "import-labels", filled_path, "--json"))
    assert imported["labels"] == 5


def test_query_skips_a_name_another_extension_of_it_holds(trained_project):
    (trained_project / "batches").mkdir(exist_ok=True)
    (trained_project / "batches" / "batch-0001.xlsx").write_bytes(b"someone's answers")
    report = _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))
    assert (report["batch"], report["file"]) == ("batch-0002", "batches/batch-0002.csv")
    assert report["warnings"] == [
        "batches/batch-0001.xlsx is not a batch state.json knows (was state.json restored from a backup?); "
        "left it untouched and named this batch batch-0002"
    ]
    assert (trained_project / "batches" / "batch-0001.xlsx").read_bytes() == b"someone's answers"
    assert len(read_batch_ids(trained_project / report["file"])) == 5


# ---------------------------------------------------------------------------------------------
# XLSX batches


def _workbook(path):
    from openpyxl import load_workbook

    return load_workbook(path)


def _validations(sheet) -> dict[str, tuple[str, str, bool]]:
    """cell range -> (type, formula, blank allowed) of each data validation of a sheet."""
    return {str(v.sqref): (v.type, v.formula1, bool(v.allow_blank)) for v in sheet.data_validations.dataValidation}


def test_an_xlsx_batch_has_a_drop_down_of_the_classes_frozen_headers_and_instructions(trained_project, tmp_path):
    out = tmp_path / "batch.xlsx"
    result = run_cli("-C", trained_project, "query", "-n", "5", "--out", out)
    assert (result.exit_code, result.stdout) == (0, f"{out}\n")
    book = _workbook(out)
    assert book.sheetnames == ["batch", "How to fill in"]
    batch = book["batch"]
    assert book.active.title == "batch"
    assert batch.freeze_panes == "B2"
    assert [c.value for c in batch[1]][:4] == ["id", "species", "suggestion", "confidence"]
    assert _validations(batch) == {"B2:B6": ("list", '"Adelie,Chinstrap,Gentoo,skip"', True)}
    assert all(batch.cell(row=r, column=2).number_format == "@" for r in range(2, 7))  # answers stay text
    assert [r[0] for r in book["How to fill in"].iter_rows(values_only=True)] == [
        "How to fill in batch-0001",
        'In the sheet "batch", write each row\'s answer in the column "species": one of Adelie, Chinstrap, '
        "Gentoo (the cell's drop-down lists them).",
        "If you cannot decide, write skip: the row is never trained on, and not offered again.",
        "Leave the label empty to answer a row later: it stays pending. A partly filled batch imports its answered rows.",
        'Do not edit the column "id": it is how each answer finds its row. The other columns are there to '
        "help you decide; editing them changes nothing.",
        "Save the file as .xlsx (or as .csv), under any name, and hand it back: activelearn import-labels FILE.",
    ]


def test_a_prefilled_xlsx_batch_explains_the_decision_column_and_lists_its_values(trained_project, tmp_path):
    out = tmp_path / "batch.xlsx"
    assert run_cli("-C", trained_project, "query", "-n", "3", "--prefill", "--out", out).exit_code == 0
    book = _workbook(out)
    assert _validations(book["batch"]) == {
        "B2:B4": ("list", '"Adelie,Chinstrap,Gentoo,skip"', True),
        "C2:C4": ("list", '"accept,fix,skip"', True),
    }
    lines = [r[0] for r in book["How to fill in"].iter_rows(values_only=True)]
    assert lines[1] == (
        'The column "species" holds the model\'s suggestion. In the column "decision" write accept (the '
        "suggestion is right), fix (after changing the label to one of Adelie, Chinstrap, Gentoo) or skip "
        "(you cannot decide). A row with neither a decision nor a changed label is not an answer."
    )
    assert (
        lines[3]
        == "Leave the decision empty to answer a row later: it stays pending. A partly filled batch imports its answered rows."
    )


def test_a_long_class_list_goes_on_a_hidden_sheet(tmp_path):
    classes = [f"category-number-{i:02d}" for i in range(30)]  # 570 characters: too long to inline
    data = tmp_path / "d.csv"
    data.write_text("x,label\n" + "".join(f"{i % 7},{classes[i] if i < 30 else ''}\n" for i in range(60)))
    assert run_cli("-q", "init", tmp_path / "p", "--data", data, "--classes", ",".join(classes)).exit_code == 0
    out = tmp_path / "batch.xlsx"
    assert run_cli("-C", tmp_path / "p", "query", "-n", "4", "--out", out).exit_code == 0
    book = _workbook(out)
    assert book.sheetnames == ["batch", "How to fill in", "lists"]
    assert book["lists"].sheet_state == "hidden"
    assert [r[0] for r in book["lists"].iter_rows(values_only=True)] == [*classes, "skip"]
    assert _validations(book["batch"]) == {"B2:B5": ("list", "'lists'!$A$1:$A$31", True)}
    assert "one of the 30 classes (the cell's drop-down lists them)" in book["How to fill in"]["A2"].value


FORMULAS = ('=HYPERLINK("http://x")', "@SUM(A1)", "-2+3", "+cmd|' /C calc'!A0")


def _formula_project(tmp_path):
    data = tmp_path / "d.csv"
    notes = [*FORMULAS, "plain"]
    data.write_text(
        "key,note,label\n"
        + "".join(
            f'k{i:03d},"{notes[i % 5].replace(chr(34), chr(34) * 2)}",{"ab"[i % 2] if i < 4 else ""}\n'
            for i in range(25)
        )
    )
    assert (
        run_cli(
            "-q",
            "init",
            tmp_path / "p",
            "--data",
            data,
            "--id-column",
            "key",
            "--text-columns",
            "note",
        ).exit_code
        == 0
    )
    return tmp_path / "p"


def test_xlsx_text_cells_are_typed_text_that_needs_no_guard(tmp_path):
    project = _formula_project(tmp_path)
    out = tmp_path / "batch.xlsx"
    assert run_cli("-C", project, "query", "-n", "21", "--out", out).exit_code == 0
    sheet = _workbook(out)["batch"]
    note = [c.value for c in sheet[1]].index("note") + 1
    cells = [sheet.cell(row=r, column=note) for r in range(2, 23)]
    assert {c.value for c in cells} == {*FORMULAS, "plain"}  # no visible ' in front
    assert all(c.data_type == "s" and c.number_format == "@" for c in cells)
    import zipfile

    assert b"<f>" not in zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")  # not one formula


def test_xlsx_formula_like_text_reads_back_exactly_and_imports(tmp_path):
    project = _formula_project(tmp_path)
    out = tmp_path / "batch.xlsx"
    assert run_cli("-C", project, "query", "-n", "21", "--out", out).exit_code == 0
    book = _workbook(out)
    sheet = book["batch"]
    for r in range(2, 23):
        sheet.cell(row=r, column=2).value = "a"
    book.save(out)
    result = run_cli("-C", project, "import-labels", out, "--json")
    assert json.loads(result.stdout)["labels"] == 21


def test_libreoffice_reads_xlsx_formula_like_text_as_text(tmp_path):
    import csv
    import subprocess

    soffice = require_program("soffice")
    project = _formula_project(tmp_path)
    out = tmp_path / "batch.xlsx"
    assert run_cli("-C", project, "query", "-n", "21", "--out", out).exit_code == 0
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path / "lo"),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with open(tmp_path / "lo" / "batch.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    note = rows[0].index("note")
    assert {r[note] for r in rows[1:]} == {*FORMULAS, "plain"}


def test_an_xlsx_cell_over_the_spreadsheet_limit_is_cut_with_a_marker_and_a_warning(tmp_path):
    long_text = "word " * 8000  # 40,000 characters
    data = tmp_path / "d.csv"
    data.write_text(
        "key,note,label\n"
        + "".join(f"k{i},{long_text if i == 7 else 'short'},{'ab'[i % 2] if i < 4 else ''}\n" for i in range(12))
    )
    assert (
        run_cli(
            "-q",
            "init",
            tmp_path / "p",
            "--data",
            data,
            "--id-column",
            "key",
            "--text-columns",
            "note",
        ).exit_code
        == 0
    )
    out = tmp_path / "batch.xlsx"
    result = run_cli("-C", tmp_path / "p", "query", "-n", "8", "--out", out)
    assert result.exit_code == 0
    sheet = _workbook(out)["batch"]
    row = next(r for r in range(2, 10) if sheet.cell(row=r, column=1).value == "k7")
    cell = sheet.cell(row=row, column=[c.value for c in sheet[1]].index("note") + 1).value
    marker = " [... cut: 40,000 characters, more than a spreadsheet cell holds]"
    assert cell == long_text[: 32767 - len(marker)] + marker
    assert result.stderr == (
        "warning: no model yet: chose rows that spread over the data (k-means), not by diverse; run train first\n"
        f"warning: {out} row {row} (id 'k7'), column 'note': 40,000 characters, more than an .xlsx cell holds "
        "(32,767); cut, with a marker (query --out batch.csv keeps it whole)\n"
        "batch-0001: 8 rows by representative (no model) from 8 unlabeled rows\n"
    )


# ---------------------------------------------------------------------------------------------
# query --rewrite BATCH


def test_rewrite_writes_a_lost_batch_again_byte_for_byte(trained_project):
    run_cli("-C", trained_project, "query", "-n", "4")
    report = _json(run_cli("-C", trained_project, "query", "-n", "6", "--json"))
    batch = trained_project / report["file"]
    original = batch.read_bytes()
    batch.unlink()
    result = run_cli("-C", trained_project, "query", "--rewrite", "batch-0002")
    assert (result.exit_code, result.stdout) == (0, "batches/batch-0002.csv\n")
    assert result.stderr == "batch-0002: wrote its 6 rows again from state.json\n"
    assert batch.read_bytes() == original  # same rows, order, suggestions and confidences


def test_rewrite_keeps_a_prefilled_xlsx_batch_as_it_was_sent(trained_project, tmp_path):
    out = tmp_path / "mine.xlsx"
    assert run_cli("-C", trained_project, "query", "-n", "5", "--prefill", "--out", out).exit_code == 0
    sent = list(_workbook(out)["batch"].iter_rows(values_only=True))
    out.unlink()
    report = _json(run_cli("-C", trained_project, "query", "--rewrite", "1", "--json"))
    assert report == {
        "batch": "batch-0001",
        "file": str(out),
        "rows": 5,
        "written": True,
        "warnings": [],
    }
    assert list(_workbook(out)["batch"].iter_rows(values_only=True)) == sent
    # untouched, the pre-filled rows are still no answers
    imported = _json(run_cli("-C", trained_project, "import-labels", out, "--json"))
    assert (imported["labels"], imported["unanswered"]) == (0, 5)


def test_rewrite_to_another_format_is_recorded_as_the_batch_file(trained_project, tmp_path):
    report = _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))
    ids = read_batch_ids(trained_project / report["file"])
    (trained_project / report["file"]).unlink()
    out = trained_project / "batches" / "batch-0001.xlsx"
    result = run_cli("-C", trained_project, "query", "--rewrite", "batch-0001", "--out", out)
    assert (result.exit_code, result.stdout) == (0, "batches/batch-0001.xlsx\n")
    sheet = _workbook(out)["batch"]
    assert [sheet.cell(row=r, column=1).value for r in range(2, 7)] == ids
    listed = _json(run_cli("-C", trained_project, "query", "--list", "--json"))
    assert listed["batches"][0]["file"] == "batches/batch-0001.xlsx"


def test_rewrite_refuses_to_overwrite_a_file_with_answers(trained_project):
    report = _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))
    fill_batch(trained_project / report["file"], SAMPLE / "penguins_answers.csv", only=2)
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, "query", "--rewrite", "batch-0001")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: batches/batch-0001.csv: exists and is not the batch as query wrote it (someone's answers may "
        "be in it); import it, or move it away and run query --rewrite batch-0001 again\n"
    )
    assert snapshot(trained_project) == before


def test_rewrite_of_a_file_that_is_there_as_written_changes_nothing(trained_project):
    run_cli("-C", trained_project, "query", "-n", "5")
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, "query", "--rewrite", "batch-0001")
    assert (result.exit_code, result.stdout) == (0, "batches/batch-0001.csv\n")
    assert result.stderr == "batch-0001: batches/batch-0001.csv is there as query wrote it; nothing written\n"
    assert snapshot(trained_project) == before


def test_rewrite_of_an_unknown_batch_is_a_usage_error(trained_project):
    run_cli("-C", trained_project, "query", "-n", "5")
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, "query", "--rewrite", "batch-0011")
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr
        == "error: --rewrite batch-0011: no such batch (did you mean 'batch-0001'?) (batches: batch-0001)\n"
    )
    result = run_cli("-C", trained_project, "query", "--rewrite", "batch-0001", "-n", "5", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": "--rewrite writes a batch again as it was recorded; it takes no -n",
        "exit_code": 2,
    }
    assert snapshot(trained_project) == before


def test_control_characters_no_xlsx_cell_can_hold_are_replaced_with_a_warning(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text('note,x,label\n"a\x0bb",1,\n"c\x1bd",2,\nplain,3,a\nmore,4,b\n')
    assert run_cli("-q", "init", tmp_path / "p", "--data", data, "--text-columns", "note").exit_code == 0
    out = tmp_path / "batch.xlsx"
    result = run_cli("-C", tmp_path / "p", "query", "-n", "2", "--strategy", "random", "--out", out)
    assert (result.exit_code, result.stdout) == (0, f"{out}\n")
    assert result.stderr == (
        f"warning: {out} column 'note', rows 2, 3: control characters no .xlsx cell can hold, shown as \ufffd "
        "(query --out batch.csv keeps them)\n"
        "batch-0001: 2 rows by random (no model) from 2 unlabeled rows\n"
    )
    sheet = _workbook(out)["batch"]
    assert {sheet.cell(row=r, column=3).value for r in (2, 3)} == {"a\ufffdb", "c\ufffdd"}


def test_rewrite_without_the_model_that_chose_the_batch_warns_and_keeps_the_rows(trained_project):
    report = _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))
    batch = trained_project / report["file"]
    ids = read_batch_ids(batch)
    batch.unlink()
    model = json.loads((trained_project / "state.json").read_text())["models"][0]["file"]
    (trained_project / model).unlink()
    result = run_cli("-C", trained_project, "query", "--rewrite", "batch-0001")
    assert (result.exit_code, result.stdout) == (0, "batches/batch-0001.csv\n")
    assert result.stderr == (
        f"warning: {trained_project / model}: model 1 is missing; run `activelearn train` to make a new one; "
        "batch-0001 is written again without its suggestion and confidence columns\n"
        "batch-0001: wrote its 5 rows again from state.json\n"
    )
    assert read_batch_ids(batch) == ids


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


def test_xlsx_batch_with_gaps_in_a_whole_number_column(trained_project, tmp_path):
    out = tmp_path / "b.xlsx"
    result = run_cli("-C", trained_project, "query", "-n", "338", "--out", out)
    assert result.exit_code == 0, result.stderr
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    mass = rows[0].index("body_mass_g")
    assert None in [r[mass] for r in rows[1:]]  # the two penguins never weighed: empty cells


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


def test_headers_are_neutralised_too(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("=cmd,label\n1,a\n2,b\n3,\n")
    run_cli("-q", "init", tmp_path / "p", "--data", data)
    batch = tmp_path / "p" / run_cli("-C", tmp_path / "p", "query", "-n", "1").stdout.strip()
    assert batch.read_text(encoding="utf-8-sig").splitlines()[0] == "id,label,'=cmd"
