"""Helpers the CLI tests of several commands share (pytest loads the fixtures of tests/conftest.py too)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ..conftest import SAMPLE, fill_batch, run_cli


def _ok(result):
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return result


IDS = [321823067619864577 + 7919 * i for i in range(30)]  # 18 digits: float64 would round them
CODES = [f"{i % 7:06d}" for i in range(30)]  # 000000 ... 000006


def _tweets(path: Path) -> Path:
    """30 rows: an 18-digit id_str, a zero-padded code, whole counts with gaps, a measurement."""
    rows = [["id_str", "code", "retweets", "score", "label"]]
    for i in range(30):
        rows.append(
            [
                str(IDS[i]),
                CODES[i],
                "" if i % 5 == 0 else str(10**15 + i),
                f"{i * 0.37:.2f}",
                ["spam", "ham", "news"][i % 3] if i < 9 else "",
            ]
        )
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _pool(project: Path) -> pa.Table:
    return pq.read_table(project / "data" / "pool.parquet")


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _status(project):
    return _json(run_cli("-C", project, "status", "--json"))


MANGLED_BOM = "\u00ef\u00bb\u00bf"  # a byte-order mark read as Windows-1252: shows as ï»¿


NOT_A_TABLE = "not a table of rows; use a CSV, TSV, XLSX, ODS, Parquet or JSON Lines file"


# package scope: built once for every file of tests/cli that reads it (train's tests copy it first)
@pytest.fixture(scope="package")
def evaluated_project(tmp_path_factory):
    """Penguins with a 40-row evaluation set and three models (6, 16 and 26 labels); tests only read it."""
    project = tmp_path_factory.mktemp("evaluated") / "proj"
    run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species")
    batch = project / run_cli("-q", "-C", project, "query", "--eval", "40").stdout.strip()
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    run_cli("-q", "-C", project, "import-labels", batch)
    run_cli("-q", "-C", project, "train")
    for _ in range(2):
        batch = project / run_cli("-q", "-C", project, "query", "-n", "10").stdout.strip()
        fill_batch(batch, SAMPLE / "penguins_answers.csv")
        run_cli("-q", "-C", project, "import-labels", batch)
        assert run_cli("-q", "-C", project, "train").exit_code == 0
    return project


def _per_class_lines(metrics: dict, title: str) -> list[str]:
    lines = [title]
    width = max(len(c) for c in metrics["per_class"])
    for name, m in metrics["per_class"].items():
        support = f"  {m['support']} labels" if "support" in m else ""
        lines.append(f"  {name.ljust(width)}  precision {m['precision']:.3f}  recall {m['recall']:.3f}{support}")
    return lines
