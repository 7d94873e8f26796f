"""The spreadsheet round trip: manglings, encodings, pre-filled batches, annotators, batches over time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from activelearn.labels import read_label_log

from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli, snapshot
from .conftest import _json, _status
from .test_errors import assert_clean_failure

ANSWERS = SAMPLE / "penguins_answers.csv"


# --- ids mangled by spreadsheets ------------------------------------------------------------------


@pytest.fixture
def odd_ids(tmp_path) -> Path:
    """A project whose ids a spreadsheet mangles, with one batch holding all of them."""
    data = tmp_path / "d.csv"
    ids = ["plain", "plain2", "000123", "0042", "042", "1234567890123456", "3-4", "SEPT2", "10-11"]
    rows = [f"{key},{i},{'a' if i == 0 else 'b' if i == 1 else ''}" for i, key in enumerate(ids)]
    data.write_text("key,x,label\n" + "\n".join(rows) + "\n")
    project = tmp_path / "p"
    run_cli("-q", "init", project, "--data", data, "--id-column", "key")
    # init labeled the two plain rows; one batch holds every id a spreadsheet could mangle
    run_cli("-q", "-C", project, "query", "--strategy", "random", "-n", "7")
    return project


@pytest.mark.parametrize(
    "cell, repaired, cause",
    [
        ("1.23457E+15", "1234567890123456", "scientific notation"),
        ("1,23457E+15", "1234567890123456", "scientific notation"),
        ("1234567890123460", "1234567890123456", "rounded a long number"),
        ("2026-03-04", "3-4", "into a date"),
        ("03/04/2026", "3-4", "into a date"),
        ("2-Sep", "SEPT2", "into a date"),
        ("2026-10-11 00:00:00", "10-11", "into a date"),
    ],
)
def test_mangled_ids_are_repaired_with_a_warning(odd_ids, tmp_path, cell, repaired, cause):
    answers = tmp_path / "batch-0001.csv"
    answers.write_text(f'key,label\n"{cell}",a\n')
    result = run_cli("-C", odd_ids, "import-labels", answers)
    assert result.exit_code == 0, result.stderr
    assert f"repaired 1 id that a spreadsheet had mangled (row 2: '{cell}' -> '{repaired}'" in result.stderr
    assert cause in result.stderr
    log = read_label_log(odd_ids / "data" / "labels.parquet")
    assert log["id"].iloc[-1] == repaired and log["batch"].iloc[-1] == "batch-0001"


def test_ambiguous_mangling_is_an_error_naming_the_candidates(odd_ids, tmp_path):
    answers = tmp_path / "batch-0001.csv"
    answers.write_text("key,label\n42,a\n")  # 0042 or 042?
    before = snapshot(odd_ids)
    assert_clean_failure(
        run_cli("-C", odd_ids, "import-labels", answers),
        1,
        "row 2: id '42' is not in the pool (a spreadsheet dropped its leading zeros; it could be any of '0042', '042'",
    )
    assert snapshot(odd_ids) == before


def test_leading_zeros_repaired_when_unambiguous(odd_ids, tmp_path):
    answers = tmp_path / "batch-0001.csv"
    answers.write_text("key,label\n123,b\n")
    assert run_cli("-C", odd_ids, "import-labels", answers).exit_code == 0
    assert read_label_log(odd_ids / "data" / "labels.parquet")["id"].iloc[-1] == "000123"


# --- encodings and delimiters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, delimiter",
    [("utf-8", ","), ("utf-8-sig", ";"), ("utf-16", "\t"), ("utf-16-le", "\t"), ("utf-8", "|")],
)
def test_encodings_and_delimiters(trained_project, tmp_path, encoding, delimiter):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerows(
        [
            ["note, with comma", "species", "id"],
            ["café; ok", "gentoo\u00a0", "r000300"],
            [],
            ["x", "Adelie ", "r000002"],
        ]
    )
    path = tmp_path / "answers.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    assert _json(run_cli("-C", trained_project, "import-labels", path, "--json"))["labels"] == 2


def test_windows_1252_is_read_with_a_warning(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n1,café\n2,thé\n3,\n", encoding="utf-8")
    run_cli("-q", "init", tmp_path / "p", "--data", data)
    answers = tmp_path / "a.csv"
    answers.write_bytes("id,label\nr000003,Café\n".encode("cp1252"))
    result = run_cli("-C", tmp_path / "p", "import-labels", answers)
    assert result.exit_code == 0
    assert "a.csv: not valid UTF-8; read as Windows-1252" in result.stderr
    assert read_label_log(tmp_path / "p" / "data" / "labels.parquet")["answer"].iloc[-1] == "café"


def test_na_none_null_are_text_not_missing(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,None\n")
    assert_clean_failure(run_cli("-C", trained_project, "import-labels", answers), 1, "label 'None' is not a class")


# --- writing for spreadsheets ---------------------------------------------------------------------


def test_a_batch_too_big_for_a_spreadsheet_is_refused(trained_project, monkeypatch):
    import activelearn.batch_files

    monkeypatch.setattr(activelearn.batch_files, "EXCEL_MAX_ROWS", 11)
    before = snapshot(trained_project)
    assert_clean_failure(
        run_cli("-C", trained_project, "query", "-n", "20"),
        1,
        "20 rows do not fit in a spreadsheet (10 at most); ask for fewer with -n",
    )
    assert snapshot(trained_project) == before


# --- pre-filled batches ---------------------------------------------------------------------------


@pytest.fixture
def prefilled(trained_project) -> Path:
    report = _json(run_cli("-C", trained_project, "query", "-n", "6", "--prefill", "--json"))
    return trained_project / report["file"]


def test_prefilled_batch_layout(prefilled):
    frame = pd.read_csv(prefilled, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns[:5]) == ["id", "species", "decision", "suggestion", "confidence"]
    assert (frame["species"] == frame["suggestion"]).all() and (frame["decision"] == "").all()


def test_an_untouched_prefilled_batch_answers_nothing(trained_project, prefilled):
    result = _json(run_cli("-C", trained_project, "import-labels", prefilled, "--json"))
    assert (result["labels"], result["unanswered"]) == (0, 6)
    assert _status(trained_project)["pending_batches"][0]["outstanding"] == 6


def test_prefilled_decisions(trained_project, prefilled):
    frame = pd.read_csv(prefilled, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    other = {"Adelie": "Gentoo", "Gentoo": "Chinstrap", "Chinstrap": "Adelie"}
    frame.loc[0, "decision"] = "Accept"
    frame.loc[1, ["decision", "species"]] = ["fix", other[frame.loc[1, "suggestion"]]]
    frame.loc[2, "decision"] = "skip"
    frame.loc[3, "species"] = other[frame.loc[3, "suggestion"]]  # changed, decision forgotten: an answer
    frame.loc[4, ["decision", "species"]] = ["accept", ""]  # accepted with the label cell cleared
    frame.to_csv(prefilled, index=False, encoding="utf-8-sig")
    result = _json(run_cli("-C", trained_project, "import-labels", prefilled, "--json"))
    assert (result["labels"], result["skips"], result["unanswered"]) == (4, 1, 1)
    log = read_label_log(trained_project / "data" / "labels.parquet").set_index("id")
    ids = frame["id"]
    assert log.loc[ids[0], "answer"] == frame.loc[0, "suggestion"] and log.loc[ids[0], "decision"] == "accept"
    assert log.loc[ids[1], "answer"] == frame.loc[1, "species"] and log.loc[ids[1], "decision"] == "fix"
    assert log.loc[ids[2], "kind"] == "skip"
    assert pd.isna(log.loc[ids[3], "decision"]) and log.loc[ids[3], "answer"] == frame.loc[3, "species"]
    assert log.loc[ids[4], "answer"] == frame.loc[4, "suggestion"]


def test_unknown_decision_is_an_error(trained_project, prefilled):
    frame = pd.read_csv(prefilled, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    frame.loc[2, "decision"] = "acept"
    frame.to_csv(prefilled, index=False, encoding="utf-8-sig")
    assert_clean_failure(
        run_cli("-C", trained_project, "import-labels", prefilled),
        1,
        "row 4: decision 'acept' is not one of accept, fix, skip (did you mean 'accept'?)",
    )


def test_prefill_needs_a_model(penguins_project):
    assert_clean_failure(
        run_cli("-C", penguins_project, "query", "--prefill"),
        2,
        "--prefill fills in the model's suggestions",
    )


# --- several annotators -------------------------------------------------------------------------


def test_agreement_and_conflicts(trained_project, tmp_path):
    truth = pd.read_csv(ANSWERS).set_index("id")["species"]
    ids = [f"r{i:06d}" for i in range(100, 140)]
    other = {"Adelie": "Gentoo", "Gentoo": "Chinstrap", "Chinstrap": "Adelie"}
    ann = [truth[i] for i in ids]
    bo = [truth[i] if n % 5 else other[truth[i]] for n, i in enumerate(ids)]  # bo errs on every 5th row
    pd.DataFrame({"id": ids, "species": ann, "annotator": "ann"}).to_csv(tmp_path / "ann.csv", index=False)
    pd.DataFrame({"id": ids, "species": bo, "annotator": "bo"}).to_csv(tmp_path / "bo.csv", index=False)
    run_cli("-C", trained_project, "import-labels", tmp_path / "ann.csv", tmp_path / "bo.csv")
    agreement = _status(trained_project)["agreement"]
    assert agreement["kappa_kind"] == "Cohen" and agreement["annotators"] == ["ann", "bo"]
    assert agreement["kappa"] == pytest.approx(cohen_kappa_score(ann, bo), abs=1e-4)
    assert agreement["rows_answered_by_several"] == 40 and agreement["disagreements"] == 8
    assert len(agreement["conflicts"]) == 8  # one against one: a tie
    assert agreement["conflicts"][0] == {"id": "r000100", "answers": {"ann": ann[0], "bo": bo[0]}}
    # a third annotator breaks the ties, and Fleiss' kappa takes over
    pd.DataFrame({"id": ids, "species": ann, "annotator": "cy"}).to_csv(tmp_path / "cy.csv", index=False)
    run_cli("-C", trained_project, "import-labels", tmp_path / "cy.csv")
    status = _status(trained_project)
    assert status["agreement"]["kappa_kind"] == "Fleiss" and status["agreement"]["conflicts"] == []
    current = read_label_log(trained_project / "data" / "labels.parquet")
    assert status["labeled"] == 6 + 40 and len(current) == 6 + 120
    report = run_cli("-C", trained_project, "status").stdout
    assert "agreement: Fleiss's kappa" in report and "8 disagreements" in report


# --- batches over time --------------------------------------------------------------------------


def test_release_gives_rows_back(trained_project):
    first = read_batch_ids(
        trained_project / _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))["file"]
    )
    fill_batch(trained_project / "batches" / "batch-0001.csv", ANSWERS, only=2)
    run_cli("-C", trained_project, "import-labels", "batches/batch-0001.csv")
    released = run_cli("-C", trained_project, "query", "--release", "batch-0001")
    assert released.stdout == "released batch-0001: 3 rows back in the pool\n"
    listing = _json(run_cli("-C", trained_project, "query", "--list", "--json"))["batches"]
    assert [(b["name"], b["status"], b["answered"]) for b in listing] == [("batch-0001", "released", 2)]
    offered = set()
    for _ in range(40):  # the released rows come back in later batches
        report = _json(run_cli("-C", trained_project, "query", "-n", "10", "--strategy", "random", "--json"))
        offered |= set(read_batch_ids(trained_project / report["file"]))
        if report["rows"] < 10:
            break
    assert set(first[2:]) <= offered and not set(first[:2]) & offered
    again = run_cli("-C", trained_project, "query", "--release", "batch-0001", "--json")
    assert _json(again)["warnings"] == ["batch-0001: nothing to release (already released)"]
    assert_clean_failure(
        run_cli("-C", trained_project, "query", "--release", "batch-9"),
        2,
        "--release batch-9: no such batch",
    )


def test_batches_expire(trained_project):
    ids = read_batch_ids(
        trained_project / _json(run_cli("-C", trained_project, "query", "-n", "300", "--json"))["file"]
    )
    config = trained_project / "activelearn.toml"
    config.write_text(config.read_text().replace("expire_after_days = 0", "expire_after_days = 3"))
    state_file = trained_project / "state.json"
    state = json.loads(state_file.read_text())
    state["batches"][0]["created"] = (dt.datetime.now(dt.UTC) - dt.timedelta(days=4)).isoformat()
    state_file.write_text(json.dumps(state))
    report = _json(run_cli("-C", trained_project, "query", "-n", "300", "--json"))
    assert report["rows"] == 300 and set(read_batch_ids(trained_project / report["file"])) & set(ids)
    statuses = [b["status"] for b in _json(run_cli("-C", trained_project, "query", "--list", "--json"))["batches"]]
    assert statuses == ["expired", "open"]


def test_skipped_rows_come_back_only_when_asked(trained_project):
    report = _json(run_cli("-C", trained_project, "query", "-n", "338", "--json"))
    fill_batch(trained_project / report["file"], ANSWERS, only=1, transform=lambda label: "skip")
    run_cli("-C", trained_project, "import-labels", report["file"])
    run_cli("-C", trained_project, "query", "--release", "all")
    normal = _json(run_cli("-C", trained_project, "query", "-n", "400", "--json"))
    assert normal["rows"] == 337
    run_cli("-C", trained_project, "query", "--release", "all")
    asked = _json(run_cli("-C", trained_project, "query", "-n", "400", "--include-skipped", "--json"))
    assert asked["rows"] == 338


def test_dry_run_changes_nothing(trained_project):
    batch = trained_project / _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))["file"]
    fill_batch(batch, ANSWERS, only=3)
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, "import-labels", batch, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout == "would import 3 labels from 1 file; 2 unanswered (still pending)\n"
    assert snapshot(trained_project) == before


def test_revert_one_import_leaves_the_others(trained_project, tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("id,species\nr000300,Gentoo\nr000301,Gentoo\n")
    second.write_text("id,species\nr000002,Adelie\n")
    assert _json(run_cli("-C", trained_project, "import-labels", first, "--json"))["import_id"] == "import-0002"
    run_cli("-C", trained_project, "import-labels", second)
    trained = _json(run_cli("-C", trained_project, "train", "--json"))
    assert trained["n_labels"] == 9
    reverted = run_cli("-C", trained_project, "import-labels", "--revert", "import-0002")
    assert reverted.stdout == "reverted import-0002: 2 answers no longer count\n"
    status = _status(trained_project)
    assert status["labeled"] == 7 and status["model_up_to_date"] is False
    assert _json(run_cli("-C", trained_project, "train", "--json"))["n_labels"] == 7
    # the reverted file can be imported again, and a second revert of the same import is refused
    assert _json(run_cli("-C", trained_project, "import-labels", first, "--json"))["labels"] == 2
    assert_clean_failure(
        run_cli("-C", trained_project, "import-labels", "--revert", "import-0002"),
        1,
        "import-0002 was already reverted",
    )
    assert_clean_failure(
        run_cli("-C", trained_project, "import-labels", "--revert", "import-0042"),
        2,
        "--revert import-0042: no such import",
    )


# --- what a second review found ------------------------------------------------------------------


def test_a_rounded_id_that_is_another_pool_row_is_refused_not_misplaced(tmp_path):
    from openpyxl import Workbook

    data = tmp_path / "d.csv"
    keys = [str(1234567890123401 + i) for i in range(40)]
    data.write_text(
        "big,x,label\n" + "\n".join(f"{k},{i % 7},{'ab'[i] if i < 2 else ''}" for i, k in enumerate(keys)) + "\n"
    )
    project = tmp_path / "p"
    run_cli("-q", "init", project, "--data", data, "--id-column", "big")
    ids = read_batch_ids(project / run_cli("-C", project, "query", "-n", "12", "--strategy", "random").stdout.strip())
    book = Workbook()
    book.active.append(["big", "label"])
    for key in ids:  # as a spreadsheet stores them: 15 significant digits
        book.active.append([float(f"{int(key):.14e}"), "a"])
    book.save(tmp_path / "batch-0001.xlsx")
    before = snapshot(project)
    result = run_cli("-C", project, "import-labels", tmp_path / "batch-0001.xlsx")
    assert result.exit_code == 1
    assert "is a pool row not in batch-0001, but also" in result.stderr and "rounded a long number" in result.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize("name", ["batch-0002.csv", "batch-0002 - Sheet1.csv", "batch-0002 (1).csv"])
def test_untouched_prefilled_rows_stay_unanswered_without_the_helper_columns(trained_project, tmp_path, name):
    run_cli("-C", trained_project, "query", "-n", "4")
    report = _json(run_cli("-C", trained_project, "query", "-n", "8", "--prefill", "--json"))
    frame = pd.read_csv(trained_project / report["file"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    frame = frame.drop(columns=["suggestion", "confidence", "decision"])
    frame.to_csv(tmp_path / name, index=False)
    result = _json(run_cli("-C", trained_project, "import-labels", tmp_path / name, "--json"))
    assert (result["labels"], result["unanswered"]) == (0, 8)
    frame.loc[0, "species"] = {"Adelie": "Gentoo"}.get(frame.loc[0, "species"], "Adelie")  # one row changed
    frame.to_csv(tmp_path / name, index=False)
    assert _json(run_cli("-C", trained_project, "import-labels", tmp_path / name, "--json"))["labels"] == 1


def test_prefilled_classes_that_look_like_formulas_can_be_accepted(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(
        "x,label\n" + "\n".join(f"{i % 7},{['-1', '+1'][i % 2] if i < 6 else ''}" for i in range(30)) + "\n"
    )
    run_cli("-q", "init", tmp_path / "p", "--data", data)
    run_cli("-C", tmp_path / "p", "train")
    batch = tmp_path / "p" / run_cli("-C", tmp_path / "p", "query", "-n", "5", "--prefill").stdout.strip()
    frame = pd.read_csv(batch, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert frame["label"].str.startswith("'").all()  # guarded against formula injection
    frame["decision"] = "accept"
    frame.to_csv(batch, index=False, encoding="utf-8-sig")
    result = _json(run_cli("-C", tmp_path / "p", "import-labels", batch, "--json"))
    assert result["labels"] == 5
    log = read_label_log(tmp_path / "p" / "data" / "labels.parquet")
    assert set(log["answer"]) == {"-1", "+1"}


def test_revert_keeps_answers_a_later_import_repeated(trained_project, tmp_path):
    (tmp_path / "a.csv").write_text("id,species\nr000038,Adelie\n")
    (tmp_path / "b.csv").write_text("id,species\nr000038,Adelie\nr000100,Gentoo\n")
    run_cli("-C", trained_project, "import-labels", tmp_path / "a.csv")
    assert run_cli("-C", trained_project, "import-labels", tmp_path / "b.csv").stdout.startswith("imported 1 label")
    run_cli("-C", trained_project, "import-labels", "--revert", "import-0002")
    assert _status(trained_project)["labeled"] == 6 + 2


def test_the_same_file_from_another_annotator_is_new(trained_project, tmp_path):
    (tmp_path / "a.csv").write_text("id,species\nr000038,Adelie\nr000100,Gentoo\n")
    run_cli("-C", trained_project, "import-labels", tmp_path / "a.csv", "--annotator", "alice")
    again = run_cli("-C", trained_project, "import-labels", tmp_path / "a.csv", "--annotator", "alice")
    assert "1 file already imported" in again.stdout
    bob = _json(
        run_cli(
            "-C",
            trained_project,
            "import-labels",
            tmp_path / "a.csv",
            "--annotator",
            "bob",
            "--json",
        )
    )
    assert bob["labels"] == 2
    assert _status(trained_project)["agreement"]["rows_answered_by_several"] == 2


def test_formulas_saved_without_values_are_named(trained_project, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "species", "other"])
    book.active.append(["r000038", "=C2", "Adelie"])
    book.save(tmp_path / "f.xlsx")
    assert_clean_failure(
        run_cli("-C", trained_project, "import-labels", tmp_path / "f.xlsx"),
        1,
        "row 2: label '=C2' is not a class (a formula the file was saved without its value",
    )


def test_sheets_titles_trailing_delimiters_and_headerless_columns(trained_project, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "notes"
    book.active.append(["Fill in the species column"])
    sheet = book.create_sheet("labels")
    sheet.append(["Penguins to label, round 3"])
    sheet.append(["id", "species", None, None])
    sheet.append(["r000038", "Adelie", "scratch", 1])
    book.save(tmp_path / "wb.xlsx")
    result = run_cli("-C", trained_project, "import-labels", tmp_path / "wb.xlsx")
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    (tmp_path / "t.csv").write_text("id,species\nr000100,Gentoo,\nr000101,Gentoo,\n")
    assert run_cli("-C", trained_project, "import-labels", tmp_path / "t.csv").stdout.startswith("imported 2 labels")
    (tmp_path / "bom.csv").write_text("\u00ef\u00bb\u00bfid,species\nr000102,Gentoo\n")  # a BOM gone through cp1252
    assert run_cli("-C", trained_project, "import-labels", tmp_path / "bom.csv").stdout.startswith("imported 1 label")


def test_an_inbox_does_not_bring_back_a_reverted_file(trained_project, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.csv").write_text("id,species\nr000038,Adelie\n")
    run_cli("-C", trained_project, "import-labels", inbox)
    run_cli("-C", trained_project, "import-labels", "--revert", "import-0002")
    again = run_cli("-C", trained_project, "import-labels", inbox)
    assert again.stdout == "imported 0 labels; 1 file already imported\n"
    assert _status(trained_project)["labeled"] == 6


def test_numeric_classes_match_as_numbers(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n" + "\n".join(f"{i % 7},{i % 2 if i < 6 else ''}" for i in range(20)) + "\n")
    run_cli("-q", "init", tmp_path / "p", "--data", data)
    (tmp_path / "a.csv").write_text("id,label\nr000010,1.0\nr000011,0\n")
    result = _json(run_cli("-C", tmp_path / "p", "import-labels", tmp_path / "a.csv", "--json"))
    assert result["labels"] == 2
