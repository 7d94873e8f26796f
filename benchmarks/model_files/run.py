"""Model files: skops (what activelearn saves) against joblib signed with an HMAC (the other
way to make model files safe to load), and plain joblib (the old, unsafe format) for reference.

    .venv/bin/python benchmarks/model_files/run.py [--runs 7]

For each model: save time (serialise + write), load time (read the file once + check + load from
those bytes), both the median of --runs in this one process, and the file size. The models:
the default preset (logistic) on the sample penguins, a random forest (200 trees) on them, and
the default preset on a 20,000-row pool of a text and a numeric column (the movie-review
snippets, repeated, with a length column). Writes benchmarks/model_files/results.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from activelearn.model_files import library_versions, load_model, save_model
from activelearn.models import build_pipeline

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[1] / "sample_data"
KEY = os.urandom(32)  # direction (b): a per-user key kept outside the project


def models():
    penguins = pd.read_csv(SAMPLE / "penguins.csv", na_values=["NA"]).dropna(subset=["species"])
    roles = {
        "island": "categorical",
        "bill_length_mm": "numeric",
        "bill_depth_mm": "numeric",
        "flipper_length_mm": "numeric",
        "body_mass_g": "numeric",
        "sex": "categorical",
        "year": "numeric",
    }
    y = penguins["species"].to_numpy()
    yield (
        "penguins, logistic (default), 344 rows",
        build_pipeline("logistic", roles, 0, y).fit(penguins, y),
    )
    yield (
        "penguins, random-forest, 344 rows",
        build_pipeline("random-forest", roles, 0, y).fit(penguins, y),
    )
    reviews = pd.read_csv(SAMPLE / "movie_reviews_labeled.csv")
    reviews = pd.concat([reviews] * (20_000 // len(reviews) + 1), ignore_index=True).iloc[:20_000]
    rng = np.random.default_rng(0)
    reviews["text"] = reviews["text"] + " " + rng.choice(["", "really", "not", "quite", "so"], len(reviews))
    reviews["length"] = reviews["text"].str.len()
    y = reviews["sentiment"].to_numpy()
    roles = {"text": "text", "length": "numeric"}
    yield (
        "reviews text + numeric, logistic (default), 20,000 rows",
        build_pipeline("logistic", roles, 0, y).fit(reviews, y),
    )


def skops_save(path: Path, pipeline) -> None:
    save_model(path, pipeline, {"columns": {}})


def skops_load(path: Path, digest: str) -> None:
    load_model(path, digest)


def hmac_save(path: Path, pipeline) -> None:
    buffer = io.BytesIO()
    joblib.dump({"pipeline": pipeline, "metadata": {"columns": {}}}, buffer)
    data = buffer.getvalue()
    path.write_bytes(data)
    path.with_suffix(".sig").write_text(hmac.new(KEY, data, hashlib.sha256).hexdigest())


def hmac_load(path: Path, digest: str) -> None:
    data = path.read_bytes()
    expected = path.with_suffix(".sig").read_text()
    if not hmac.compare_digest(hmac.new(KEY, data, hashlib.sha256).hexdigest(), expected):
        raise ValueError("signed by another key")
    joblib.load(io.BytesIO(data))


def joblib_save(path: Path, pipeline) -> None:
    joblib.dump({"pipeline": pipeline, "metadata": {"columns": {}}}, path)


def joblib_load(path: Path, digest: str) -> None:
    joblib.load(path)


FORMATS = {
    "skops (chosen)": (skops_save, skops_load, ".skops"),
    "joblib + HMAC": (hmac_save, hmac_load, ".joblib"),
    "joblib alone (unsafe)": (joblib_save, joblib_load, ".joblib"),
}


def median_seconds(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False).stdout.strip()
    return f"`{uname}`; CPU {cpu}, {os.cpu_count()} cores (shared with other jobs while measured)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    lines = [
        "# Model files: skops against joblib + HMAC",
        "",
        f"Made by `benchmarks/model_files/run.py --runs {runs}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"Machine: {machine()}.",
        "",
        "Libraries: "
        + ", ".join(f"{k} {v}" for k, v in library_versions().items())
        + f", joblib {joblib.__version__}.",
        "",
        f"Medians of {runs} runs in one process. Save: serialise and write the file. Load: read it once, check it "
        "(skops: hash and trusted types; HMAC: the signature), load from those bytes.",
        "",
        "| model | format | save (ms) | load (ms) | file size (KiB) |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, pipeline in models():
            for fmt, (save, load, suffix) in FORMATS.items():
                path = Path(tmp) / f"m{suffix}"
                save_ms = median_seconds(lambda: save(path, pipeline), runs) * 1000
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                load_ms = median_seconds(lambda: load(path, digest), runs) * 1000
                size = path.stat().st_size / 1024
                lines.append(f"| {name} | {fmt} | {save_ms:,.1f} | {load_ms:,.1f} | {size:,.0f} |")
                print(lines[-1], flush=True)
    (HERE / "results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
