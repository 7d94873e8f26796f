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
