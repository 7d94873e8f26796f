"""Label efficiency: every strategy against random sampling on real datasets, by `simulate`.

    .venv/bin/python benchmarks/label_efficiency/run.py [--repeats 10] [--only NAME ...]

Datasets: penguins and movie reviews (all 12,808 snippets, from ../shared/datasets when present,
else the 3,000 in sample_data), scikit-learn's bundled breast cancer, wine and digits, and
digits-rare (digits with classes 5-9 cut to a tenth: imbalanced). Two runs use batches of 50 to
see whether diverse batches beat plain margin when batches are large.

Writes benchmarks/results/label_efficiency/: one folder per run (simulate's own outputs), and
REPORT.md with the machine, the settings, every summary table and the choice of the default.
Run by hand; it takes a while (about half an hour on 2 cores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from activelearn.ops.simulating import simulate, summary_table  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "label_efficiency"
STRATEGIES = [
    "random", "margin", "least-confidence", "entropy", "density", "committee", "committee-kl",
    "diverse", "balanced", "coreset",
]
SHARED = REPO.parent / "shared" / "datasets"


def penguins(folder: Path) -> Path:
    pool = pd.read_csv(REPO / "sample_data" / "penguins.csv", keep_default_na=False)
    pool["species"] = pd.read_csv(REPO / "sample_data" / "penguins_answers.csv")["species"]
    path = folder / "penguins.csv"
    pool.to_csv(path, index=False)
    return path


def movie_reviews(folder: Path) -> Path:
    source = SHARED / "movie_reviews.csv"
    if not source.exists():
        pool = pd.read_csv(REPO / "sample_data" / "movie_reviews.csv", keep_default_na=False)
        pool["sentiment"] = pd.read_csv(REPO / "sample_data" / "movie_reviews_answers.csv")["sentiment"]
        source = folder / "movie_reviews.csv"
        pool.to_csv(source, index=False)
    return source


def _sklearn(loader, name: str, folder: Path, keep=None) -> Path:
    bunch = loader()
    frame = pd.DataFrame(bunch.data, columns=[str(c).replace(" ", "_") for c in bunch.feature_names])
    frame["target"] = [str(bunch.target_names[t]) if hasattr(bunch, "target_names") else str(t) for t in bunch.target]
    if keep is not None:
        frame = frame[keep(bunch.target)]
    path = folder / f"{name}.parquet"
    frame.reset_index(drop=True).to_parquet(path, index=False)
    return path


def digits_rare_mask(target: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (target < 5) | (rng.random(len(target)) < 0.1)


# name -> (make data, label column, simulate settings)
RUNS = {
    "penguins": (penguins, "species", dict(initial=3, batch_size=5, budget=60)),
    "wine": (lambda f: _sklearn(__import__("sklearn.datasets").datasets.load_wine, "wine", f), "target", dict(initial=3, batch_size=5, budget=60)),
    "breast_cancer": (lambda f: _sklearn(__import__("sklearn.datasets").datasets.load_breast_cancer, "breast_cancer", f), "target", dict(initial=4, batch_size=10, budget=150)),
    "digits": (lambda f: _sklearn(__import__("sklearn.datasets").datasets.load_digits, "digits", f), "target", dict(initial=10, batch_size=10, budget=300)),
    "digits_rare": (lambda f: _sklearn(__import__("sklearn.datasets").datasets.load_digits, "digits_rare", f, keep=digits_rare_mask), "target", dict(initial=10, batch_size=10, budget=300)),
    "movie_reviews": (movie_reviews, "sentiment", dict(initial=10, batch_size=20, budget=600)),
    "digits_batch50": (lambda f: _sklearn(__import__("sklearn.datasets").datasets.load_digits, "digits", f), "target", dict(initial=10, batch_size=50, budget=510)),
    "movie_reviews_batch50": (movie_reviews, "sentiment", dict(initial=10, batch_size=50, budget=1010)),
}
LARGE_BATCH = {"digits_batch50", "movie_reviews_batch50"}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "?")
    import sklearn

    return {
        "date": dt.date.today().isoformat(), "cpu": cpu, "cores": os.cpu_count(), "memory": f"{int(memory) / 2**20:.0f} GiB",
        "python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__, "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
    }


def choose_default(summaries: dict[str, list]) -> tuple[str, list[str]]:
    """The rule: among strategies never significantly worse than random on any dataset, the one
    with the highest median savings at 95%, then the highest mean AULC rank."""
    lines, candidates = [], []
    for strategy in STRATEGIES[1:]:
        rows = [next(s for s in table if s.strategy == strategy) for name, table in summaries.items() if name not in LARGE_BATCH]
        worse = [name for name, table in summaries.items() if name not in LARGE_BATCH
                 and next(s for s in table if s.strategy == strategy).significantly_worse]
        savings = [r.savings_95 if r.savings_95 is not None else 0.0 for r in rows]
        ranks = []
        for name, table in summaries.items():
            if name in LARGE_BATCH:
                continue
            order = sorted(table, key=lambda s: -s.aulc)
            ranks.append(1 + [s.strategy for s in order].index(strategy))
        median_savings, mean_rank = float(np.median(savings)), float(np.mean(ranks))
        lines.append(
            f"| {strategy} | {median_savings:.2f}x | {1 / median_savings if median_savings else float('inf'):.2f} | "
            f"{mean_rank:.1f} | {', '.join(worse) or '-'} |"
        )
        if not worse:
            candidates.append((-median_savings, mean_rank, strategy))
    best = sorted(candidates)[0][2] if candidates else "margin"
    return best, lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--jobs", type=int, default=-1)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    summaries, sections, timings = {}, [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, (make, label, settings) in RUNS.items():
            if args.only and name not in args.only:
                continue
            data = make(Path(scratch))
            started = time.perf_counter()
            result = simulate(
                data, label, strategies=STRATEGIES, repeats=args.repeats, seed=0, out=RESULTS / name,
                jobs=args.jobs, **settings,
            )
            timings[name] = time.perf_counter() - started
            summaries[name] = result.strategies
            sections.append(
                f"## {name}\n\n{result.rows} rows, {len(result.classes)} classes, initial {result.initial}, "
                f"batch {result.batch_size}, budget {result.budget}, {result.repeats} seeds; full-pool macro-F1 "
                f"{result.full_pool_score:.3f}; {timings[name]:.0f} s. Plot: [{name}/learning_curve.png]({name}/learning_curve.png)\n\n"
                f"{summary_table(result.strategies)}\n"
            )
            print(f"{name}: {timings[name]:.0f} s", file=sys.stderr)
    best, lines = choose_default(summaries)
    info = machine()
    report = [
        "# Label efficiency benchmark",
        "",
        "Made by `benchmarks/label_efficiency/run.py` (simulate on each dataset; every strategy on the same",
        "splits and initial sets per seed; metric macro-F1 on a held-out quarter of the rows; logistic model).",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## The default strategy",
        "",
        "Rule: among strategies never significantly worse than random (paired Wilcoxon over seeds, p < 0.05)",
        "on any dataset at its normal batch size, the highest median savings at the 95% target, then the best",
        f"mean rank by AULC. **Chosen: {best}.**",
        "",
        "| strategy | median savings vs random at 95% | labels as a share of random's | mean AULC rank | significantly worse than random on |",
        "| --- | ---: | ---: | ---: | --- |",
        *lines,
        "",
        *sections,
    ]
    (RESULTS / "REPORT.md").write_text("\n".join(report) + "\n")
    (RESULTS / "machine.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"default: {best}; wrote {RESULTS / 'REPORT.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
