"""Scale: whole-process wall time and peak memory of every command on big pools, side by side
with the floor and with what a modAL user writes.

    .venv/bin/python benchmarks/scale/run.py [--sizes 100000 1000000 5000000] [--runs 3] [--text 200000]

Pools are generated (20 numeric features, 3 classes, 300 rows labeled; a text pool from the
movie-review snippets) under benchmarks/scale/work/ (not committed). Each step runs as its own
process under /usr/bin/time; the report gives medians over --runs and the ratios the issue asks
for, and is written to benchmarks/results/scale/REPORT.md (or --results DIR) with the date and
machine. Needs modAL-python (`pip install -e '.[bench]'`). With --baseline, the 1M default query
is also timed against an older checkout's; the run of the new defaults (benchmarks/results/scale/issue13/):

    .venv/bin/python benchmarks/scale/run.py --sizes 1000000 --text 200000 --runs 3 \
        --baseline /path/to/checkout-at-7d1c3af/.venv/bin/activelearn --results benchmarks/results/scale/issue13
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORK = HERE / "work"
RESULTS = REPO / "benchmarks" / "results" / "scale"
BIN = Path(sys.executable).parent
ACTIVELEARN = str(BIN / "activelearn")
FEATURES = 20
LABELED = 300
CHUNK = 500_000

sys.path.insert(0, str(REPO / "benchmarks" / "label_efficiency"))


def make_numeric_pool(rows: int, path: Path) -> Path:
    """3 classes from 3 random linear scores of 20 features, with noise; written in chunks."""
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(FEATURES, 3))
    writer = None
    for start in range(0, rows, CHUNK):
        size = min(CHUNK, rows - start)
        X = rng.normal(size=(size, FEATURES)).astype(np.float32)
        truth = np.array(["a", "b", "c"])[(X @ weights + rng.normal(scale=2.0, size=(size, 3))).argmax(axis=1)]
        label = np.where(np.arange(start, start + size) < LABELED, truth, None)
        table = pa.table(
            {
                **{f"f{i:02d}": X[:, i] for i in range(FEATURES)},
                "label": pa.array(label, type=pa.string()),
                "truth": truth,
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()
    return path


def make_text_pool(rows: int, path: Path) -> Path:
    """Review snippets, each with a few words of another appended so that rows differ."""
    if path.exists():
        return path
    import pandas as pd

    shared = REPO.parent / "shared" / "datasets" / "movie_reviews.csv"
    reviews = pd.read_csv(shared if shared.exists() else REPO / "sample_data" / "movie_reviews_labeled.csv")
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(reviews), rows)
    words = np.array(" ".join(reviews["text"].head(2000)).split())  # an array once: choice converts a list every call
    tails = [" ".join(rng.choice(words, 3)) for _ in range(rows)]
    text = [f"{reviews['text'].iloc[p]} {t}" for p, t in zip(picks, tails, strict=True)]
    truth = reviews["sentiment"].to_numpy()[picks]
    label = pa.array(np.where(np.arange(rows) < LABELED, truth, None), type=pa.string())
    pq.write_table(pa.table({"text": text, "label": label, "truth": truth}), path)
    return path


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak memory in MiB) of one whole process."""
    done = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr}")
    seconds, kib = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) / 1024


def medians(command, runs: int, before=None) -> dict:
    samples = []
    for _ in range(runs):
        if before:
            before()
        samples.append(timed(command))
    return {
        "seconds": statistics.median(s for s, _ in samples),
        "mib": statistics.median(m for _, m in samples),
        "runs": runs,
    }


def interleaved(commands: dict, runs: int) -> dict:
    """Medians per command, the commands taking turns in every run."""
    samples: dict[str, list] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, before) in commands.items():
            if before:
                before()
            samples[name].append(timed(command))
    return {
        name: {
            "seconds": statistics.median(s for s, _ in got),
            "mib": statistics.median(m for _, m in got),
            "runs": runs,
        }
        for name, got in samples.items()
    }


# what a project did before the new defaults (class weights, pool features, exploration): the rows
# compared with the floor and modAL keep to it, so they measure the tool's overhead as before
# (margin on the same plain model, no exploration)
BEFORE_13 = ("model.class_weight=none", "features.fit_on=labels", "query.explore=0")


def init_args(data: Path, text: bool) -> list[str]:
    """init's arguments after the project folder, the same for this checkout and the baseline."""
    return [
        "--data",
        str(data),
        "--label-column",
        "label",
        "--ignore-columns",
        "truth",
        *(["--text-columns", "text"] if text else []),
    ]


def _set(tool: str, project: Path, settings) -> None:
    for setting in settings:
        subprocess.run([tool, "-q", "-C", str(project), "config", "set", *setting.split("=", 1)], check=True)


def _fresh(tool: str, project: Path, data: Path, text: bool, settings: tuple[str, ...] = ()):
    """A callable that makes `project` anew with `tool`'s init, then `settings` (KEY=VALUE)."""

    def make():
        shutil.rmtree(project, ignore_errors=True)
        subprocess.run([tool, "-q", "init", str(project), *init_args(data, text)], check=True)
        _set(tool, project, settings)

    return make


def _release(tool: str, project: Path):
    return lambda: subprocess.run([tool, "-q", "-C", str(project), "query", "--release", "all"], check=True)


def against_baseline(name: str, data: Path, baseline: str, runs: int) -> dict:
    """`train` and `query -n 100` with each tool's defaults as init writes them, this checkout
    against `baseline` (the activelearn executable of an older checkout), each on a project of
    its own made from the same pool; the queries take turns run by run."""
    new, old = WORK / f"project-{name}-defaults", WORK / f"project-{name}-baseline"
    result = {
        "first train, default settings": medians(
            [ACTIVELEARN, "-q", "-C", str(new), "train"],
            runs,
            before=_fresh(ACTIVELEARN, new, data, text=False),
        ),
        "first train, default settings, before": medians(
            [baseline, "-q", "-C", str(old), "train"],
            runs,
            before=_fresh(baseline, old, data, text=False),
        ),
    }
    compared = {
        "query, default settings": (
            [ACTIVELEARN, "-q", "-C", str(new), "query", "-n", "100"],
            _release(ACTIVELEARN, new),
        ),
        "query, default settings, before": (
            [baseline, "-q", "-C", str(old), "query", "-n", "100"],
            _release(baseline, old),
        ),
    }
    return {**result, **interleaved(compared, max(runs, 7))}


def bench_pool(name: str, data: Path, runs: int, text: bool, settings: tuple[str, ...] = ()) -> dict:
    """Every step on one pool; `settings` (KEY=VALUE) are set by `config set` after init, and the
    first train, which then fits what the settings need from the pool (embeddings, features),
    is timed on its own."""
    project = WORK / f"project-{name}"
    init = [ACTIVELEARN, "-q", "init", str(project), *init_args(data, text)]
    result = {"init": medians(init, runs, before=lambda: shutil.rmtree(project, ignore_errors=True))}
    label = "first train (" + ", ".join(settings) + ")" if settings else "first train"
    result[label] = medians(
        [ACTIVELEARN, "-q", "-C", str(project), "train"],
        runs,
        before=_fresh(ACTIVELEARN, project, data, text, settings),
    )
    result["train"] = medians([ACTIVELEARN, "-q", "-C", str(project), "train", "--force"], runs)
    release = _release(ACTIVELEARN, project)
    # the three ways to query, interleaved run by run so that a busy spell hits them alike
    # "query" uses margin, the strategy of both baselines; the default (diverse) has its own row
    compared = {
        "query": (
            [ACTIVELEARN, "-q", "-C", str(project), "query", "-n", "100", "--strategy", "margin"],
            release,
        ),
        "floor query": (
            [str(BIN / "python"), str(HERE / "baselines.py"), "floor", str(project)],
            None,
        ),
    }
    if not text:
        compared["modAL query"] = (
            [str(BIN / "python"), str(HERE / "baselines.py"), "modal", str(project)],
            None,
        )
    result.update(interleaved(compared, max(runs, 7)))
    if not text:
        for strategy in ("diverse", "coreset"):
            result[f"query --strategy {strategy}"] = medians(
                [
                    ACTIVELEARN,
                    "-q",
                    "-C",
                    str(project),
                    "query",
                    "-n",
                    "100",
                    "--strategy",
                    strategy,
                ],
                runs,
                before=release,
            )
    answers = _filled_batch(project, data)
    result["import-labels"] = medians(
        [ACTIVELEARN, "-q", "-C", str(project), "import-labels", str(answers)],
        runs,
        before=lambda: _undo_imports(project),
    )
    result["status"] = medians([ACTIVELEARN, "-C", str(project), "status"], max(runs, 5))
    return result


def _filled_batch(project: Path, data: Path) -> Path:
    import pandas as pd

    batch = (
        project
        / subprocess.run(
            [ACTIVELEARN, "-q", "-C", str(project), "query", "-n", "100"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    frame = pd.read_csv(batch, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rows = frame["id"].str[1:].astype(int) - 1
    truth = pq.read_table(data, columns=["truth"]).column("truth").to_numpy(zero_copy_only=False)
    frame["label"] = truth[rows.to_numpy()]
    answers = WORK / f"answers-{project.name}.csv"
    frame[["id", "label"]].to_csv(answers, index=False)
    return answers


def _undo_imports(project: Path) -> None:
    state_file = project / "state.json"
    state = json.loads(state_file.read_text())
    log = pq.read_table(project / "data" / "labels.parquet")
    for import_id in set(log.column("import_id").to_pylist()) - {"import-0001"} - set(state["reverted_imports"]):
        subprocess.run(
            [ACTIVELEARN, "-q", "-C", str(project), "import-labels", "--revert", import_id],
            check=True,
        )


def packages(python: Path) -> set[str]:
    """name==version of every distribution installed where `python` runs."""
    listing = "import importlib.metadata as m; print('\\n'.join(f'{d.metadata[\"Name\"]}=={d.version}' for d in m.distributions()))"
    return set(subprocess.run([str(python), "-c", listing], capture_output=True, text=True, check=True).stdout.split())


def environments(baseline: str) -> list[str]:
    """What differs between this checkout's environment and the baseline's, as report lines: a
    model load imports what is installed (skops walks scikit-learn's modules, and pytest then
    comes along), so the two are timed fairly only with the same packages."""

    def others(python: Path) -> set[str]:  # activelearn itself differs by design
        return {p for p in packages(python) if not p.lower().startswith("activelearn==")}

    mine, theirs = others(BIN / "python"), others(Path(baseline).parent / "python")
    return [
        f"- packages only in this checkout's environment: {', '.join(sorted(mine - theirs)) or 'none'}",
        f"- packages only in the baseline's (`{baseline}`): {', '.join(sorted(theirs - mine)) or 'none'}",
    ]


def help_time(tool: str = ACTIVELEARN, runs: int = 11) -> dict:
    return medians([tool, "--help"], runs)


def report(results: dict, info: dict, baseline_lines: list[str] = ()) -> str:
    lines = [
        "# Scale benchmark",
        "",
        "Made by `benchmarks/scale/run.py`: every step a whole process under `/usr/bin/time`;",
        "medians over the runs given (query, floor and modAL take turns in each run). Memory is peak",
        "resident set size. `query` is `query -n 100 --strategy margin`, the strategy of both baselines",
        "(the floor script and modAL's margin sampling); the default strategy, diverse, has its own row.",
        "The numeric pools' projects keep the settings of before issue #13 (no class weights, features",
        "fitted on the labels, no exploration) so that those rows compare with earlier runs; the rows",
        '"default settings" are projects as init now writes them, against the `--baseline` checkout\'s.',
        'A text pool\'s "first train" after `features.text=embedding` embeds the whole pool.',
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        *baseline_lines,
        "",
        f"`activelearn --help`: {results['help']['seconds']:.2f} s (median of {results['help']['runs']})"
        + (
            f"; the baseline's: {results['baseline help']['seconds']:.2f} s (the machine's speed that day, apart "
            "from the code)"
            if "baseline help" in results
            else ""
        ),
        "",
    ]
    for pool, steps in results.items():
        if pool in ("help", "baseline help"):
            continue
        lines += [f"## {pool}", "", "| step | seconds | peak MiB |", "| --- | ---: | ---: |"]
        lines += [f"| {step} | {m['seconds']:.2f} | {m['mib']:.0f} |" for step, m in steps.items()]
        q, floor = steps["query"], steps["floor query"]
        lines += [
            "",
            f"- query / floor: {q['seconds'] / floor['seconds']:.2f}x time, {q['mib'] / floor['mib']:.2f}x memory",
        ]
        if "modAL query" in steps:
            m = steps["modAL query"]
            lines += [f"- query / modAL: {q['seconds'] / m['seconds']:.2f}x time, {q['mib'] / m['mib']:.2f}x memory"]
        lines.append("")
    return "\n".join(lines + targets(results))


def targets(results: dict) -> list[str]:
    """The issue's targets, each with the measured value and whether it is met."""
    rows = []

    def check(what: str, value: float, limit: float, unit: str = "") -> None:
        rows.append(f"| {what} | {value:.2f}{unit} | {limit:g}{unit} | {'yes' if value <= limit else '**no**'} |")

    one = results.get("numeric 1,000,000 rows")
    five = results.get("numeric 5,000,000 rows")
    if one:
        check(
            "1M query time / floor",
            one["query"]["seconds"] / one["floor query"]["seconds"],
            1.3,
            "x",
        )
        check(
            "1M query time / modAL",
            one["query"]["seconds"] / one["modAL query"]["seconds"],
            1.0,
            "x",
        )
        check("1M query memory / modAL", one["query"]["mib"] / one["modAL query"]["mib"], 0.25, "x")
        check("1M status", one["status"]["seconds"], 0.6, " s")
        if "query, default settings, before" in one:
            check(
                "1M default query time / before issue #13",
                one["query, default settings"]["seconds"] / one["query, default settings, before"]["seconds"],
                1.1,
                "x",
            )
    if one and five:
        check("5M query memory / 1M", five["query"]["mib"] / one["query"]["mib"], 1.25, "x")
    check("activelearn --help", results["help"]["seconds"], 0.3, " s")
    return [
        "## Targets (issues #5 and #13)",
        "",
        "| target | measured | limit | met |",
        "| --- | ---: | ---: | --- |",
        *rows,
        "",
    ]


def main() -> None:
    from run import machine  # the label-efficiency benchmark's machine description

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--text", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--text-settings",
        nargs="*",
        default=["features.text=tfidf", "features.text=embedding"],
        help="the text pool once per item: comma-separated KEY=VALUE set after init ('': as init writes)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="the folder for REPORT.md and results.json")
    parser.add_argument(
        "--baseline",
        help="the activelearn executable of an older checkout: its default query is "
        "timed against this one's on each numeric pool (install it with the same extras: the report lists the packages that differ)",
    )
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    args.results.mkdir(parents=True, exist_ok=True)
    results = {
        "help": help_time(),
        **({"baseline help": help_time(args.baseline)} if args.baseline else {}),
    }
    for size in args.sizes:
        data = make_numeric_pool(size, WORK / f"pool-{size}.parquet")
        results[f"numeric {size:,} rows"] = bench_pool(str(size), data, args.runs, text=False, settings=BEFORE_13)
        if args.baseline:
            results[f"numeric {size:,} rows"].update(against_baseline(str(size), data, args.baseline, args.runs))
        print(f"{size}: done", file=sys.stderr)
    if args.text:
        data = make_text_pool(args.text, WORK / f"text-{args.text}.parquet")
        for number, choice in enumerate(args.text_settings):
            settings = tuple(s for s in choice.split(",") if s)
            label = f"text {args.text:,} rows" + (f", {', '.join(settings)}" if settings else "")
            results[label] = bench_pool(f"text-{args.text}-{number}", data, args.runs, text=True, settings=settings)
    info = machine()
    baseline_lines = environments(args.baseline) if args.baseline else []
    (args.results / "results.json").write_text(
        json.dumps({"machine": info, "baseline": baseline_lines, "results": results}, indent=2) + "\n"
    )
    (args.results / "REPORT.md").write_text(report(results, info, baseline_lines) + "\n")
    print(report(results, info, baseline_lines))


if __name__ == "__main__":
    main()
