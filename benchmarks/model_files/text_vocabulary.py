"""A text column's model file: how long skops takes to save and load a fitted TF-IDF vocabulary.

    .venv/bin/python benchmarks/model_files/text_vocabulary.py --label before [--runs 5]

Fits `features.build_features` on one text column of 20,000 short texts (the 3,046 Rotten
Tomatoes snippets of sample_data/, repeated, each with one of five words appended, as
benchmarks/model_files/run.py does), then times `model_files.model_bytes` of the fitted features and
`model_files.load_model` of those bytes written to a file (hash check, trusted-type audit, load):
medians of --runs in this one process. Writes (or replaces) the --label row of
text_vocabulary.md and exits 1 when the load takes longer than LOAD_BUDGET_S.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from run import (  # benchmarks/model_files/run.py: the same clock and machine line
    machine,
    median_seconds,
)

from activelearn.features import build_features
from activelearn.model_files import library_versions, load_model, model_bytes
from activelearn.storage import sha256_bytes

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[1] / "sample_data" / "movie_reviews.csv"
RESULTS = HERE / "text_vocabulary.md"
ROWS = 20_000
LOAD_BUDGET_S = 1.0  # a text project's query or predict pays this on every run
TABLE_HEAD = [
    "| run | vectorizer | terms | save: model_bytes (ms) | load: load_model (ms) | file (KiB) |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
]


def texts() -> pd.DataFrame:
    snippets = pd.read_csv(SAMPLE)["text"].dropna()
    rows = pd.concat([snippets] * (ROWS // len(snippets) + 1), ignore_index=True).iloc[:ROWS]
    rng = np.random.default_rng(0)
    return pd.DataFrame({"text": rows + " " + rng.choice(["", "really", "not", "quite", "so"], ROWS)})


def write_row(label: str, row: str) -> None:
    kept = []
    if RESULTS.exists():
        lines = RESULTS.read_text().splitlines()
        kept = (
            [
                line
                for line in lines[lines.index(TABLE_HEAD[1]) + 1 :]
                if line.startswith("| ") and not line.startswith(f"| {label} |")
            ]
            if TABLE_HEAD[1] in lines
            else []
        )
    lines = [
        "# A text column's model file: the TF-IDF vocabulary in skops",
        "",
        "Made by `benchmarks/model_files/text_vocabulary.py`; each row is one `--label` run of it, "
        "the last on " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()) + ".",
        "",
        f"Machine: {machine()}; {platform.python_implementation()} {platform.python_version()}.",
        "",
        "Libraries: " + ", ".join(f"{k} {v}" for k, v in library_versions().items()) + ".",
        "",
        f"`build_features` fitted on one text column of {ROWS:,} snippets; medians in one process. Save: "
        "`model_bytes` of the fitted features. Load: `load_model` of those bytes in a file (hash, trusted-type "
        "audit, `skops.io.loads`).",
        "",
        *TABLE_HEAD,
        *kept,
        row,
    ]
    RESULTS.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True, help="the row to write, e.g. before or after")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    features = build_features({"text": "text"}).fit(texts())
    vectorizer = features.named_steps["columns"].named_transformers_["text:text"]
    terms = len(vectorizer.vocabulary_)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "features.skops"
        save_s = median_seconds(lambda: model_bytes(features, {}), args.runs)
        data = model_bytes(features, {})
        path.write_bytes(data)
        load_s = median_seconds(lambda: load_model(path, sha256_bytes(data)), args.runs)
    row = (
        f"| {args.label} | `{type(vectorizer).__module__}.{type(vectorizer).__name__}` | {terms:,} | "
        f"{save_s * 1000:,.0f} | {load_s * 1000:,.0f} | {len(data) / 1024:,.0f} |"
    )
    print(row, flush=True)
    write_row(args.label, row)
    if load_s > LOAD_BUDGET_S:
        print(f"load took {load_s:.1f} s, over the {LOAD_BUDGET_S:.1f} s budget", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
