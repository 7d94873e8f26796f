"""Label efficiency: every strategy against random sampling on real datasets, by `simulate`.

    .venv/bin/python benchmarks/label_efficiency/run.py [--repeats 10] [--only NAME ...]

Datasets (sources.py): penguins and movie reviews (all 12,808 snippets, from ../shared/datasets
when present, else the 3,000 in sample_data), scikit-learn's bundled breast cancer, wine and
digits, digits-rare (digits with classes 5-9 cut to a tenth: imbalanced), and from
../shared/datasets page_blocks (10% rare), yeast_me2 (3.4% rare), satimage (6 classes) and
movie_reviews_rare (movie reviews with "rotten" cut to 8%). Two runs use batches of 50 to
see whether diverse batches beat plain margin when batches are large.

Writes benchmarks/results/label_efficiency/: one folder per run (simulate's own outputs), and
REPORT.md with the machine, the settings, every summary table and the choice of the default.
Run by hand; it takes a while (about an hour on 2 cores).
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
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sources import DATASETS  # noqa: E402

from activelearn.curves import Paired, StrategySummary, area_under_curve, paired, summary_table  # noqa: E402
from activelearn.ops.simulate import simulate  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "label_efficiency"
STRATEGIES = [
    "random",
    "margin",
    "least-confidence",
    "entropy",
    "density",
    "committee",
    "committee-kl",
    "diverse",
    "balanced",
    "coreset",
]
SMALL_POOL = dict(initial=3, batch_size=5, budget=60)  # penguins and wine: training pools of ~250 and ~130 rows
SETTINGS = {  # name -> simulate's settings; the data come from sources.DATASETS
    "penguins": SMALL_POOL,
    "wine": SMALL_POOL,
    "breast_cancer": dict(initial=4, batch_size=10, budget=150),
    "digits": dict(initial=10, batch_size=10, budget=300),
    "digits_rare": dict(initial=10, batch_size=10, budget=300),
    "movie_reviews": dict(initial=10, batch_size=20, budget=600),
    "page_blocks": dict(initial=10, batch_size=10, budget=300),
    "yeast_me2": dict(initial=10, batch_size=10, budget=300),
    "satimage": dict(initial=10, batch_size=10, budget=300),
    "movie_reviews_rare": dict(initial=10, batch_size=20, budget=600),
}
# name -> (make data, label column, simulate settings)
RUNS = {name: (*DATASETS[name], settings) for name, settings in SETTINGS.items()}
RUNS["digits_batch50"] = (
    DATASETS["digits"][0],
    "target",
    dict(initial=10, batch_size=50, budget=510),
)
RUNS["movie_reviews_batch50"] = (
    DATASETS["movie_reviews"][0],
    "sentiment",
    dict(initial=10, batch_size=50, budget=1010),
)
LARGE_BATCH = ("digits_batch50", "movie_reviews_batch50")  # in report order


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")),
        "?",
    )
    import sklearn

    return {
        "date": dt.date.today().isoformat(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": f"{int(memory) / 2**20:.0f} GiB",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
    }


def load_summaries(name: str) -> list[StrategySummary]:
    table = pd.read_csv(RESULTS / name / "summary.csv")
    table = table.astype(object).where(table.notna(), None)
    return [StrategySummary(**row) for row in table.to_dict("records")]


def compare(name: str, first: str, second: str) -> Paired:
    """`first` against `second` over the run's seeds, by the AULC of macro-F1."""
    curves = pd.read_csv(RESULTS / name / "curves.csv")
    aulc = {
        (strategy, seed): area_under_curve(run["labels"].to_numpy(float), run["f1_macro"].to_numpy(float))
        for (strategy, seed), run in curves.sort_values("labels").groupby(["strategy", "seed"])
    }
    seeds = sorted(curves["seed"].unique())
    return paired([aulc[(first, s)] for s in seeds], [aulc[(second, s)] for s in seeds])


def choose_default(summaries: dict[str, list]) -> tuple[str, list[str], list[str]]:
    """The rule: among strategies never significantly worse than random on any dataset, the one
    with the highest median savings at the 95% target (over the datasets where that strategy or
    random reached it), then the best mean rank by AULC."""
    normal = {name: table for name, table in summaries.items() if name not in LARGE_BATCH}
    unreached = [name for name, table in normal.items() if all(s.labels_95 is None for s in table)]
    lines, candidates = [], []
    for strategy in STRATEGIES[1:]:
        mine = {name: next(s for s in table if s.strategy == strategy) for name, table in normal.items()}
        worse = [name for name, s in mine.items() if s.significantly_worse]
        savings = [s.savings_95 or 0.0 for name, s in mine.items() if name not in unreached]
        ranks = [
            1 + [s.strategy for s in sorted(table, key=lambda s: -s.aulc)].index(strategy) for table in normal.values()
        ]
        median_savings, mean_rank = float(np.median(savings)), float(np.mean(ranks))
        share = 1 / median_savings if median_savings else float("inf")
        lines.append(
            f"| {strategy} | {median_savings:.2f}x | {share:.2f} | {mean_rank:.1f} | {', '.join(worse) or '-'} |"
        )
        if not worse:
            candidates.append((-median_savings, mean_rank, strategy))
    best = sorted(candidates)[0][2] if candidates else "margin"
    return best, lines, unreached


def build_report() -> str:
    runs = {
        name: json.loads((RESULTS / name / "run.json").read_text())
        for name in RUNS
        if (RESULTS / name / "run.json").exists()
    }
    summaries = {name: load_summaries(name) for name in runs}
    best, lines, unreached = choose_default(summaries)
    info = json.loads((RESULTS / "machine.json").read_text())
    large = []
    for name in [n for n in LARGE_BATCH if n in runs]:
        c = compare(name, "diverse", "margin")
        large.append(
            f"- {name}: diverse against margin over {runs[name]['repeats']} seeds (AULC): {c.wins} wins, "
            f"{c.ties} ties, {c.losses} losses, Wilcoxon p = {c.p_value:.3f}"
        )
    sections = []
    for name, run in runs.items():
        sections.append(
            f"## {name}\n\n{run['rows']} rows, {len(run['classes'])} classes, initial {run['initial']}, batch "
            f"{run['batch_size']}, budget {run['budget']}, {run['repeats']} seeds; full-pool macro-F1 "
            f"{run['full_pool_score']:.3f}; {run['seconds']:.0f} s. Plot: [{name}/learning_curve.png]({name}/learning_curve.png)\n\n"
            f"{summary_table(summaries[name])}\n"
        )
    report = [
        "# Label efficiency benchmark",
        "",
        "Made by `benchmarks/label_efficiency/run.py`: `simulate` on each dataset, every strategy on the same",
        "splits and initial sets per seed; macro-F1 on a held-out quarter of the rows; logistic model.",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## The default strategy",
        "",
        "Rule: among strategies never significantly worse than random (paired Wilcoxon over seeds, p < 0.05)",
        "on any dataset at its normal batch size, the highest median savings against random at the 95%",
        "target, then the best mean rank by AULC. Datasets where no strategy reached the target within the",
        f"budget are left out of the median (and reported here): {', '.join(unreached) or 'none'}.",
        f"**Chosen: {best}.**",
        "",
        "| strategy | median savings vs random at 95% | labels as a share of random's | mean AULC rank | significantly worse than random on |",
        "| --- | ---: | ---: | ---: | --- |",
        *lines,
        "",
        "## Diverse batches against plain margin, at batches of 50",
        "",
        *large,
        "",
        *sections,
    ]
    return "\n".join(report) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--jobs", type=int, default=-1)
    parser.add_argument("--report-only", action="store_true", help="rebuild REPORT.md from the saved results")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        (RESULTS / "machine.json").write_text(json.dumps(machine(), indent=2) + "\n")
        with tempfile.TemporaryDirectory() as scratch:
            for name, (make, label, settings) in RUNS.items():
                if args.only and name not in args.only:
                    continue
                data = make(Path(scratch))
                started = time.perf_counter()
                result = simulate(
                    data,
                    label,
                    strategies=STRATEGIES,
                    repeats=args.repeats,
                    seed=0,
                    out=RESULTS / name,
                    jobs=args.jobs,
                    **settings,
                )
                facts = {k: v for k, v in asdict(result).items() if k not in ("strategies", "files", "warnings")}
                facts["seconds"] = round(time.perf_counter() - started, 1)
                (RESULTS / name / "run.json").write_text(json.dumps(facts, indent=2) + "\n")
                print(f"{name}: {facts['seconds']:.0f} s", file=sys.stderr)
    (RESULTS / "REPORT.md").write_text(build_report())
    print(f"wrote {RESULTS / 'REPORT.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
