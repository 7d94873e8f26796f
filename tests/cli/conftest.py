"""Helpers the CLI tests of several commands share (pytest loads the fixtures of tests/conftest.py too)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..conftest import run_cli


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
