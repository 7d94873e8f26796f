"""IdRepairer: ids a spreadsheet rounded or stripped of leading zeros, found again among the batch ids."""

from __future__ import annotations

import random

from activelearn.idrepair import IdRepairer

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


def test_id_repair_gives_up_on_numbers_no_spreadsheet_writes():
    from activelearn.idrepair import IdRepairer

    repairer = IdRepairer(["675125408803774464", "000123"])
    assert repairer.repair("9" * 5000) is None  # int() of it raises past 4,300 digits
    assert repairer.repair("1E+99999") is None  # 10**99999 would take long
    assert repairer.repair("6.75125408803775E+017").candidates == ("675125408803774464",)
    assert repairer.repair("123").candidates == ("000123",)
