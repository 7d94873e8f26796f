"""Property-based: whatever a file holds, import-labels imports exactly the answered rows or exits 1
with a one-line message, never a traceback, leaving the project byte-for-byte unchanged."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from activelearn.labels import read_label_log

from ..conftest import SAMPLE, run_cli, snapshot

CLASSES = ("Adelie", "Chinstrap", "Gentoo")
LABEL_EDITS = ("", "exact", "upper", "spaced", "nbsp", "skip", "bogus", "None", "NA")
ID_EDITS = ("keep", "keep", "keep", "quoted", "unknown")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("t") / "proj"
    run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species")
    run_cli("-q", "-C", project, "train")
    run_cli("-q", "-C", project, "query", "-n", "8")
    return project


def _fresh(template: Path, tmp_path: Path, n: int) -> Path:
    project = tmp_path / f"p{n}"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(template, project)
    return project


def _batch_rows(project: Path) -> list[list[str]]:
    with open(project / "batches" / "batch-0001.csv", newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def _label_text(edit: str, truth: str) -> str:
    return {
        "": "",
        "exact": truth,
        "upper": truth.upper(),
        "spaced": f"  {truth} ",
        "nbsp": f"{truth}\u00a0",
        "skip": "skip",
        "bogus": "Penguin",
        "None": "None",
        "NA": "NA",
    }[edit]


def _id_text(edit: str, id_: str) -> str:
    return {"keep": id_, "quoted": "'" + id_, "unknown": "x" + id_}[edit]


counter = iter(range(10**9))


@given(
    edits=st.lists(
        st.tuples(st.sampled_from(ID_EDITS), st.sampled_from(LABEL_EDITS), st.sampled_from(CLASSES)),
        min_size=8,
        max_size=8,
    ),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    order=st.permutations(range(11)),
    blank_rows=st.lists(st.integers(0, 8), max_size=3),
)
@SETTINGS
def test_random_edits_import_exactly_the_answered_rows(
    template, tmp_path, edits, delimiter, encoding, order, blank_rows
):
    project = _fresh(template, tmp_path, next(counter))
    rows = _batch_rows(project)
    header, body = rows[0], rows[1:]
    expected, bad = set(), False
    for row, (id_edit, label_edit, truth) in zip(body, edits, strict=True):
        row[0] = _id_text(id_edit, row[0])
        row[1] = _label_text(label_edit, truth)
        if not row[1]:
            continue
        if id_edit == "unknown" or label_edit in ("bogus", "None", "NA"):
            bad = True
        else:
            real_id = row[0].removeprefix("'")
            expected.add(
                (
                    real_id,
                    "skip" if label_edit == "skip" else truth,
                    "skip" if label_edit == "skip" else "label",
                )
            )
    table = [[r[i] for i in order] for r in [header, *body]]
    for position in sorted(blank_rows, reverse=True):
        table.insert(position + 1, [""] * len(header))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(table)
    path = tmp_path / "batch-0001.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))

    before = snapshot(project)
    result = run_cli("-C", project, "import-labels", path)
    assert result.exception is None, result.exception
    event(f"exit {result.exit_code}")
    if bad:
        assert result.exit_code == 1, result.stdout
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert snapshot(project) == before
        return
    assert result.exit_code == 0, result.stderr
    log = read_label_log(project / "data" / "labels.parquet")
    new = log[log["import_id"] != "import-0001"]
    assert set(zip(new["id"], new["answer"], new["kind"], strict=True)) == expected


def _mutate(data: bytes, cuts: list[int], flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in flips:
        if out:
            out[position % len(out)] = value
    for cut in cuts:
        if out:
            del out[cut % len(out) :]
    return bytes(out)


@given(
    source=st.sampled_from(["batch", "random", "xlsx"]),
    noise=st.binary(max_size=300),
    cuts=st.lists(st.integers(0, 10**6), max_size=1),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    suffix=st.sampled_from([".csv", ".xlsx", ".tsv", ".txt"]),
)
@SETTINGS
def test_random_bytes_never_give_a_traceback_nor_change_on_failure(
    template, tmp_path, source, noise, cuts, flips, suffix
):
    project = _fresh(template, tmp_path, next(counter))
    if source == "batch":
        data = (project / "batches" / "batch-0001.csv").read_bytes()
    elif source == "xlsx":
        data = (
            Path(__file__).parent.parent / "fixtures" / "spreadsheets" / "batch-0001.libreoffice-text.xlsx"
        ).read_bytes()
    else:
        data = noise
    path = tmp_path / f"answers{suffix}"
    path.write_bytes(_mutate(data, cuts, flips))
    before = snapshot(project)
    result = run_cli("-C", project, "import-labels", path, "--json")
    assert result.exception is None, repr(result.exception)
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr)
    event(f"{source}: exit {result.exit_code}")
    if result.exit_code == 1:
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert snapshot(project) == before
    else:
        log = read_label_log(project / "data" / "labels.parquet")
        assert set(log["answer"]) <= set(CLASSES) | {"skip"}
