"""Ids that spreadsheets mangled, matched back to the ids a batch was sent out with.

Excel and LibreOffice turn `000123` into `123`, `1234567890123456` into `1.23457E+15` or
`1234567890123460`, and `3-4` or `SEPT2` into dates. A mangled id is repaired when exactly one
of the batch's own ids could have become it; otherwise the import says what happened.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
SCIENTIFIC = re.compile(r"^[+-]?(\d)(?:[.,](\d+))?E([+-]?\d+)$", re.IGNORECASE)

CAUSES = {
    "zeros": "a spreadsheet dropped its leading zeros",
    "scientific": "a spreadsheet turned a long number into scientific notation",
    "rounded": "a spreadsheet rounded a long number to 15 digits",
    "date": "a spreadsheet turned it into a date",
}


@dataclass(frozen=True)
class Repair:
    raw: str
    candidates: tuple[str, ...]  # exactly one: repaired; more: ambiguous
    cause: str

    def __post_init__(self):
        object.__setattr__(self, "candidates", tuple(sorted(self.candidates)))

    @property
    def id(self) -> str | None:
        return self.candidates[0] if len(self.candidates) == 1 else None

    def describe(self) -> str:
        return CAUSES[self.cause]


SPREADSHEET_DIGITS = 15  # significant digits a spreadsheet keeps of a number
MAX_NUMBER_DIGITS = 100  # longer numbers are no mangled ids: not tried (a cell of 5,000 digits, or E+99999)


class IdRepairer:
    """Index a batch's ids by the forms a spreadsheet could turn them into.

    Each lookup is a dict lookup or a binary search, so a file of n rows is checked in
    O(n log n), not by comparing every cell with every id."""

    def __init__(self, ids):
        self.digits: dict[str, list[str]] = defaultdict(list)  # without leading zeros -> ids
        numbers: list[tuple[int, str]] = []
        self.dates: dict[tuple[int, int], list[str]] = defaultdict(list)
        for value in dict.fromkeys(ids):
            if value.isdigit():
                self.digits[value.lstrip("0") or "0"].append(value)
                numbers.append((int(value), value))
            for key in _dates_an_id_could_become(value):
                self.dates[key].append(value)
        numbers.sort()
        self.values = [number for number, _ in numbers]  # sorted, for bisect
        self.numbers = [value for _, value in numbers]

    def repair(self, raw: str) -> Repair | None:
        """The batch ids `raw` could be a mangled form of, with the cause; None if no form fits."""
        raw = raw.strip()
        if len(raw) > MAX_NUMBER_DIGITS + 10:
            return None  # no spreadsheet writes a number that long (and int() of it would be slow)
        if raw.isdigit():
            found = [c for c in self.digits.get(raw.lstrip("0") or "0", []) if c != raw]
            if found:
                return Repair(raw, tuple(found), "zeros")
            number = int(raw)
            if len(str(number)) > SPREADSHEET_DIGITS and _could_be_rounded(number):
                found = self._near(_round(number, SPREADSHEET_DIGITS), SPREADSHEET_DIGITS)
                if found:
                    return Repair(raw, tuple(found), "rounded")
        match = SCIENTIFIC.match(raw)
        if match:
            digits, exponent = match.group(1) + (match.group(2) or ""), int(match.group(3))
            if len(digits) - 1 <= exponent <= MAX_NUMBER_DIGITS:  # a whole number of a size an id has
                found = self._near(int(digits) * 10 ** (exponent - len(digits) + 1), len(digits))
                if found:
                    return Repair(raw, tuple(found), "scientific")
        found = sorted({c for key in _dates_a_cell_could_mean(raw) for c in self.dates.get(key, [])})
        if found:
            return Repair(raw, tuple(found), "date")
        return None

    def _near(self, shown: int, significant: int) -> list[str]:
        """The ids a spreadsheet could show as `shown` with `significant` digits: those that round
        to it; failing that, for an id longer than a spreadsheet keeps, those within one unit of
        its 15th digit (LibreOffice was seen writing 6.75125408803775E+017 for 675125408803774464)."""
        length = len(str(shown))
        unit = 10 ** max(length - significant, 0)
        exact = [c for n, c in self._between(shown - unit, shown + unit) if _round(n, significant) == shown]
        if exact or length <= SPREADSHEET_DIGITS:
            return exact
        unit = 10 ** (length - SPREADSHEET_DIGITS)
        return [c for _, c in self._between(shown - unit, shown + unit)]

    def _between(self, low: int, high: int) -> list[tuple[int, str]]:
        start, stop = bisect.bisect_left(self.values, low), bisect.bisect_right(self.values, high)
        return list(zip(self.values[start:stop], self.numbers[start:stop], strict=True))


def _round(number: int, significant: int) -> int:
    """`number` rounded half up to `significant` digits, as a spreadsheet shows it."""
    unit = 10 ** max(len(str(number)) - significant, 0)
    return (number + unit // 2) // unit * unit


def _could_be_rounded(number: int) -> bool:
    """A long number that a spreadsheet could have written: its digits past the 15th are zeros,
    or it is exactly a floating-point number (as a number cell of an XLSX file is)."""
    return _round(number, SPREADSHEET_DIGITS) == number or int(float(number)) == number


def lost_precision(raw: str) -> bool:
    """Whether a cell is a number too long for a spreadsheet to have kept all its digits."""
    return raw.isdigit() and len(raw.lstrip("0")) > SPREADSHEET_DIGITS


def _valid(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def _dates_an_id_could_become(value: str) -> set[tuple[int, int]]:
    """(month, day) pairs a spreadsheet could read `value` as."""
    keys = set()
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{2,4}))?", value)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        keys |= {(a, b), (b, a)}
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if m:
        keys.add((int(m.group(2)), int(m.group(3))))
    m = re.fullmatch(r"([A-Za-z]+)-?(\d{1,2})", value) or re.fullmatch(r"(\d{1,2})-?([A-Za-z]+)", value)
    if m:
        word, number = (m.group(1), m.group(2)) if m.group(1).isalpha() else (m.group(2), m.group(1))
        if word.casefold() in MONTHS:
            keys.add((MONTHS[word.casefold()], int(number)))
    return {k for k in keys if _valid(*k)}


def _dates_a_cell_could_mean(raw: str) -> set[tuple[int, int]]:
    """(month, day) pairs a date cell written as `raw` may hold."""
    keys = set()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?", raw)
    if m:
        keys.add((int(m.group(2)), int(m.group(3))))
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})", raw)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        keys |= {(a, b), (b, a)}
    m = re.fullmatch(r"(\d{1,2})-([A-Za-z]{3,})(?:-(\d{2,4}))?", raw)
    if m and m.group(2).casefold() in MONTHS:
        keys.add((MONTHS[m.group(2).casefold()], int(m.group(1))))
    m = re.fullmatch(r"([A-Za-z]{3,})-(\d{1,2})", raw)
    if m and m.group(1).casefold() in MONTHS:
        keys.add((MONTHS[m.group(1).casefold()], int(m.group(2))))
    return {k for k in keys if _valid(*k)}
