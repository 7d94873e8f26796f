"""Files saved by a real spreadsheet program (LibreOffice, see fixtures/spreadsheets) import exactly."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from activelearn.labels import read_label_log

from ..conftest import read_batch_ids, run_cli
from ..fixtures.spreadsheets.make_fixtures import (
    build_long_ids_project,
    build_project,
    long_ids_answer,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "spreadsheets"
SAVED = sorted(p.name for p in FIXTURES.glob("batch-0001.libreoffice-*"))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The project the fixtures were made from, rebuilt the same way (same data, same seed)."""
    return build_project(tmp_path_factory.mktemp("template"), FIXTURES / "pool.csv")


@pytest.fixture
def project(template, tmp_path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(template, copy)
    return copy


def expected_answers() -> set[tuple[str, str, str]]:
    with open(FIXTURES / "expected.csv", newline="", encoding="utf-8") as f:
        return {tuple(row) for row in list(csv.reader(f))[1:]}


def new_answers(project: Path) -> set[tuple[str, str, str]]:
    log = read_label_log(project / "data" / "labels.parquet")
    fresh = log[log["import_id"] != "import-0001"]
    return set(zip(fresh["id"], fresh["answer"], fresh["kind"], strict=True))


def test_the_rebuilt_batch_is_the_one_the_fixtures_came_from(template):
    assert read_batch_ids(template / "batches" / "batch-0001.csv") == read_batch_ids(FIXTURES / "filled.csv")
    assert len(SAVED) == 14


@pytest.mark.parametrize("name", ["filled.csv", *SAVED])
def test_every_saved_variant_imports_exactly_the_answers(project, name):
    result = run_cli("-C", project, "import-labels", FIXTURES / name, "--json")
    assert result.exit_code == 0, result.stderr
    assert new_answers(project) == expected_answers()
    status = run_cli("-C", project, "status", "--json")
    assert '"outstanding": 2' in status.stdout  # the two rows left empty stay pending
    if "default" in name:  # LibreOffice's own number detection mangled the numeric ids
        assert "that a spreadsheet had mangled" in result.stderr
    elif "cp1252" not in name:
        assert result.stderr == ""


def test_an_xlsx_renamed_csv_still_imports(project, tmp_path):
    renamed = tmp_path / "batch-0001.csv"
    shutil.copy(FIXTURES / "batch-0001.libreoffice-text.xlsx", renamed)
    assert run_cli("-C", project, "import-labels", renamed).exit_code == 0
    assert new_answers(project) == expected_answers()


# --- 18-digit ids, as LibreOffice's number detection leaves them --------------------------------

LONG_IDS = FIXTURES / "long_ids"


@pytest.fixture(scope="module")
def long_ids_template(tmp_path_factory) -> Path:
    return build_long_ids_project(tmp_path_factory.mktemp("long_ids"), LONG_IDS / "pool.csv")


@pytest.mark.parametrize(
    "name, mangled",
    # in the XLSX file, 5 of the ids are exactly the floating-point number stored: only 25 are mangled
    [("batch-0001.libreoffice-default.utf8.csv", 30), ("batch-0001.libreoffice-default.xlsx", 25)],
)
def test_eighteen_digit_ids_libreoffice_rounded_wrongly_are_repaired(long_ids_template, tmp_path, name, mangled):
    # LibreOffice wrote two of the 30 ids with their 15th digit off by one (6.75125408803775E+017
    # for 675125408803774464): each is still the only batch id within one unit of that digit
    project = tmp_path / "project"
    shutil.copytree(long_ids_template, project)
    assert read_batch_ids(project / "batches" / "batch-0001.csv") == read_batch_ids(LONG_IDS / "filled.csv")
    result = run_cli("-C", project, "import-labels", LONG_IDS / name, "--json")
    assert result.exit_code == 0, result.stderr
    assert '"labels": 30' in result.stdout and f'"repaired_ids": {mangled}' in result.stdout
    assert f"repaired {mangled} ids that a spreadsheet had mangled (row " in result.stderr
    log = read_label_log(project / "data" / "labels.parquet")
    ids = read_batch_ids(LONG_IDS / "filled.csv")
    assert dict(zip(log["id"], log["answer"], strict=True)) == {i: long_ids_answer(i) for i in ids}
