"""Importing a 20,000-row batch whose numeric ids a spreadsheet mangled (matching them was
once quadratic, 157 s). Times the whole `import-labels` process and the id repair alone, and writes
benchmarks/results/id_repair/results.json with the machine.

    .venv/bin/python benchmarks/id_repair/run.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACTIVELEARN = Path(sys.executable).with_name("activelearn")
BASE = 1_000_000_000_000_000  # 16-digit ids, 37 apart: each rounds to 15 digits uniquely


def mangled(value: str, i: int) -> str:
    """What a spreadsheet writes for a 16-digit id: rounded to 15 digits, or in E-notation."""
    number = int(value)
    if i % 2 == 0:
        return str((number + 5) // 10 * 10)  # 1000000000000037 -> 1000000000000040
    return f"{number:.14E}".replace("E+", "E+0")  # 1.00000000000004E+015, as LibreOffice writes it


def run(*args, cwd=None) -> tuple[float, float]:
    start = time.perf_counter()
    subprocess.run([str(ACTIVELEARN), *map(str, args)], check=True, cwd=cwd, capture_output=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return time.perf_counter() - start, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "pool.csv"
        with open(data, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "label", "x"])
            for i in range(rows):
                writer.writerow([BASE + 37 * i, ("a", "b")[i % 2] if i < 10 else "", i % 97])
        run(
            "-q",
            "init",
            tmp / "proj",
            "--data",
            data,
            "--id-column",
            "id",
            "--label-column",
            "label",
        )
        run("-C", tmp / "proj", "-q", "query", "-n", rows - 10, "--strategy", "random")
        batch = next((tmp / "proj" / "batches").glob("batch-*.csv"))
        with open(batch, newline="", encoding="utf-8-sig") as f:
            sent = [row[0] for row in list(csv.reader(f))[1:]]
        answers = tmp / "answers.csv"
        with open(answers, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "label"])
            writer.writerows([mangled(value, i), "ab"[i % 2]] for i, value in enumerate(sent))
        seconds, peak = run("-C", tmp / "proj", "import-labels", answers)
    sys.path.insert(0, str(ROOT / "src"))
    from activelearn.idrepair import IdRepairer

    core = {}  # batch size -> seconds to index the batch and repair every cell: linear, not quadratic
    for size in (len(sent) // 4, len(sent)):
        start = time.perf_counter()
        repairer = IdRepairer(sent[:size])
        repairs = [repairer.repair(mangled(value, i)) for i, value in enumerate(sent[:size])]
        core[size] = round(time.perf_counter() - start, 3)
    repaired = sum(r is not None and r.id == value for r, value in zip(repairs, sent, strict=True))
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "rows": len(sent),
        "ids_repaired": repaired,
        "import_labels_seconds": round(seconds, 2),
        "peak_mib_of_init_query_import": round(peak),
        "id_repair_seconds_by_batch_size": core,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "note": "2 cores shared with 6 other jobs when measured: times are upper bounds",
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    out = ROOT / "benchmarks" / "results" / "id_repair" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
