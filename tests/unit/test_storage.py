"""storage: atomic writes, the delimiter sniffer and the formula guard."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activelearn.storage import TEMP_MARK, atomic_path
from activelearn.tabular import sniff_delimiter

# --- storage -------------------------------------------------------------------------------------


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half-writ")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and not any(TEMP_MARK in p.name for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    "header, wanted, expected",
    [
        ("id;label;text", ("id", "label"), ";"),
        ("id\tlabel", ("id", "label"), "\t"),
        ("id|label|note, with comma", ("id", "label"), "|"),
        ('"id","label"', ("id", "label"), ","),
        ("a;b;c", (), ";"),
    ],
)
def test_sniff_delimiter_picks_the_one_that_yields_the_columns(header, wanted, expected):
    assert sniff_delimiter(header, ".csv", wanted) == expected


# --- the formula guard (cells.guarded / unguarded, csv_line) --------------------------------------

GUARD_ALPHABET = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "\r\n", "'", "a", " ", '"', ","])


@given(st.lists(GUARD_ALPHABET, max_size=12).map("".join))
@settings(max_examples=500, deadline=None)
def test_the_guard_leaves_no_line_a_formula_and_is_undone_exactly(text):
    import csv
    import io
    import re

    from activelearn.cells import csv_line, guarded, unguarded

    shown = guarded(text)
    assert unguarded(shown) == text
    assert [line for line in re.split(r"\r\n|\r|\n", shown) if line.startswith(("=", "+", "-", "@", "\t"))] == []
    assert not shown.startswith(("\r", "\n"))
    assert list(csv.reader(io.StringIO(csv_line([shown, "x"]), newline=""))) == [[shown, "x"]]


def test_the_guard_at_each_line_start():
    from activelearn.cells import guarded

    assert [guarded(t) for t in ("ok\r=cmd|' /C calc'!A0", "=1+1", "'=1", "a\r\n@b\n\nc", "plain", "it's")] == [
        "ok\r'=cmd|' /C calc'!A0",
        "'=1+1",
        "''=1",
        "a\r\n'@b\n\nc",
        "plain",
        "it's",
    ]
