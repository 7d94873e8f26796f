"""Choose the defaults by `simulate`: the learner (class weights, features fitted on the pool, the
text representation) and the policy (strategy, exploration share), with scikit-activeml's and
modAL's margin sampling as reference lines on the same splits and first labels.

    .venv/bin/python benchmarks/label_efficiency/defaults.py [--only DATASET ...] [--configs NAME ...]
        [--repeats 10] [--jobs -1] [--estimate] [--report-only]

Protocol: 20 first labels, batches of 10, up to 300 labels, a held-out quarter scored (penguins and
wine, whose training pools are smaller than that, keep run.py's 3, 5 and 60); 10 seeds; the area
under the learning curve (AULC) of balanced accuracy and of macro-F1. The datasets are sources.py's.

Each (dataset, configuration) result has its own folder under
benchmarks/results/label_efficiency/defaults/DATASET/, so runs can be split by --only and
--configs, and resumed: a folder with its run.json is done and skipped. --report-only rebuilds
REPORT.md from the folders. The peers need the `bench` extra (pip install -e '.[bench]').

On 2 cores, two groups at once, each about half the work (then the report):

    defaults.py --jobs 1 --only movie_reviews penguins wine yeast_me2 &
    defaults.py --jobs 1 --only movie_reviews_rare page_blocks satimage digits digits_rare breast_cancer &
    wait; defaults.py --report-only
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import REPO, SMALL_POOL, machine  # noqa: E402  (run.py puts src/ on the path)
from sources import DATASETS, RARE_SEED, RARE_SHARE, TEXT_SETS, movie_reviews  # noqa: E402

from activelearn.config import default_values  # noqa: E402
from activelearn.curves import area_under_curve, labels_to_reach, median_reached, paired  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "label_efficiency" / "defaults"
METRICS = ("balanced_accuracy", "f1_macro")  # the rule's two AULCs; the first ranks
IMBALANCED = ("page_blocks", "yeast_me2", "digits_rare", "movie_reviews_rare")
PROTOCOL = dict(initial=20, batch_size=10, budget=300)
# penguins and wine, whose training pools are under 300 rows, keep run.py's settings
PROTOCOLS = {name: SMALL_POOL if name in ("penguins", "wine") else PROTOCOL for name in DATASETS}
# today's learner and policy, bit for bit: what a project without these keys runs with (a default
# Config, as init renders it), keyed by simulate's argument names
LEGACY = {
    key: values[section][key]
    for values in [default_values()]
    for section, key in (
        ("model", "class_weight"),
        ("features", "fit_on"),
        ("features", "text"),
        ("query", "explore"),
    )
}


@dataclass(frozen=True)
class Config:
    """A learner (class_weight, fit_on, text) and a policy (strategy, explore)."""

    name: str
    class_weight: str
    fit_on: str
    text: str
    strategy: str
    explore: float
    budgeted: bool = True  # run when --configs does not name the configurations


# Every configuration compared. On a dataset without text, `text` has no effect: such configurations
# share one run with their tf-idf twin. `budgeted` is about time, not labels: every configuration
# gets the same label budget (PROTOCOLS). A budgeted row is in the default run (BUDGETED, when
# --configs names none); the others were cut from it to keep it near 50 min on 2 cores (each explore
# share costs a simulate call of its own, which also repeats random) and run only when --configs
# names them. Explore 0.2 and 0.5 were run that way, by name, for the published report, whose
# configuration table therefore says "no" for them; margin at 0 and 0.2 never were. Marking them
# budgeted would change that table, so they stay as run. The text variants (tfidf, both) are run
# only with the combination's policy (diverse, 0.1), not across the strategy x explore grid.
CONFIGS = [
    Config(*row)
    for row in (
        # name                      class_weight  fit_on    text         strategy   explore  budgeted
        ("default", "none", "labels", "tfidf", "diverse", 0.0, True),  # today's
        ("balanced", "balanced", "labels", "tfidf", "diverse", 0.0, True),  # one change
        ("pool", "none", "pool", "tfidf", "diverse", 0.0, True),
        ("embedding", "none", "labels", "embedding", "diverse", 0.0, True),
        ("explore", "none", "labels", "tfidf", "diverse", 0.1, True),
        ("combination", "balanced", "pool", "embedding", "diverse", 0.1, True),  # all four
        ("combination-explore0", "balanced", "pool", "embedding", "diverse", 0.0, True),  # variants
        ("combination-margin", "balanced", "pool", "embedding", "margin", 0.1, True),
        ("combination-tfidf", "balanced", "pool", "tfidf", "diverse", 0.1, True),
        ("combination-both", "balanced", "pool", "both", "diverse", 0.1, True),
        ("combination-margin0", "balanced", "pool", "embedding", "margin", 0.0, False),
        ("combination-explore0.2", "balanced", "pool", "embedding", "diverse", 0.2, False),
        ("combination-explore0.5", "balanced", "pool", "embedding", "diverse", 0.5, False),
        ("combination-margin0.2", "balanced", "pool", "embedding", "margin", 0.2, False),
    )
]
DEFAULT = "default"
PEERS = {  # name -> what it is, for the report
    "skactiveml": "scikit-activeml UncertaintySampling(method='margin_sampling') with SklearnClassifier",
    "modal": "modAL ActiveLearner with margin_sampling",
}
CONFIG_NAMES = [c.name for c in CONFIGS] + list(PEERS)
BUDGETED = [c.name for c in CONFIGS if c.budgeted] + list(PEERS)


# --- which run a configuration is on a dataset ---------------------------------------------------


def learner_key(config: Config, dataset: str) -> str:
    text = config.text if dataset in TEXT_SETS else "tfidf"
    return f"{config.class_weight}-{config.fit_on}-{text}"


def run_key(config: Config, dataset: str) -> str:
    """The folder of a configuration's results on a dataset (shared by configurations that are
    the same there)."""
    return f"{learner_key(config, dataset)}_{config.strategy}_{config.explore:g}"


def random_key(config: Config, dataset: str) -> str:
    """The folder of random sampling with the same learner: the configuration's own baseline."""
    return f"{learner_key(config, dataset)}_random"


def simulate_options(config: Config, dataset: str, explore: float) -> dict:
    """simulate's keyword arguments for this learner and share: only those not at today's value."""
    learner = dict(zip(("class_weight", "fit_on", "text"), learner_key(config, dataset).split("-")))
    wanted = {**learner, "explore": explore}
    return {key: value for key, value in wanted.items() if value != LEGACY[key]}


# --- the rule ---------------------------------------------------------------------------------


def significantly_worse(mine: np.ndarray, other: np.ndarray) -> bool:
    return paired(mine, other).significantly_worse


@dataclass
class Verdict:
    config: str
    mean_aulc: float | None  # mean over datasets of the mean AULC of balanced accuracy
    mean_f1: float | None
    worse_on: list[str]  # "dataset: metric below random/default"
    missing: list[str]  # datasets without its results (or its random's)

    @property
    def eligible(self) -> bool:
        return not self.worse_on and not self.missing


def choose_defaults(aulc: dict, configs: list[Config] = CONFIGS, default: str = DEFAULT) -> tuple[str, list[Verdict]]:
    """The rule. `aulc[dataset][run key][metric]` holds per-seed AULCs (seeds in the same order).
    Among the configurations never significantly worse (paired Wilcoxon over seeds, p < 0.05, on
    the AULC of balanced accuracy and of macro-F1) than random with the same learner, nor than
    today's default, on any dataset, the one with the best mean AULC of balanced accuracy over
    the datasets; the first in the table on a tie; today's default when none qualifies."""
    by_name = {c.name: c for c in configs}
    verdicts = []
    for config in configs:
        worse, missing, means, f1s = [], [], [], []
        for dataset, runs in aulc.items():
            own, references = (
                run_key(config, dataset),
                {
                    "random": random_key(config, dataset),
                    "default": run_key(by_name[default], dataset),
                },
            )
            if own not in runs or any(ref not in runs for ref in references.values()):
                missing.append(dataset)
                continue
            for metric in METRICS:
                for reference, key in references.items():
                    if key != own and significantly_worse(runs[own][metric], runs[key][metric]):
                        worse.append(f"{dataset}: {metric} below {reference}")
            means.append(float(np.mean(runs[own][METRICS[0]])))
            f1s.append(float(np.mean(runs[own][METRICS[1]])))
        verdicts.append(
            Verdict(
                config.name,
                float(np.mean(means)) if means else None,
                float(np.mean(f1s)) if f1s else None,
                worse,
                missing,
            )
        )
    eligible = [v for v in verdicts if v.eligible]
    best = max(eligible, key=lambda v: v.mean_aulc).config if eligible else default  # max keeps the first of equals
    return best, verdicts


KINDS = {
    "text": lambda dataset: dataset in TEXT_SETS,
    "tables": lambda dataset: dataset not in TEXT_SETS,
}


def choose_by_kind(aulc: dict, configs: list[Config] = CONFIGS, default: str = DEFAULT) -> dict:
    """The rule applied on its own to the text sets and to the tables: kind -> (chosen, verdicts).
    `init` knows whether a project has a text column, so it can write the defaults of its kind;
    the joint rule stays in the report beside it."""
    return {
        kind: choose_defaults({d: runs for d, runs in aulc.items() if belongs(d)}, configs, default)
        for kind, belongs in KINDS.items()
    }


def kind_of(dataset: str) -> str:
    return next(kind for kind, belongs in KINDS.items() if belongs(dataset))


# --- running ------------------------------------------------------------------------------------


def plan(dataset: str, names: list[str], results: Path) -> dict[tuple[str, float], list[str]]:
    """The simulate calls still to make on a dataset: (learner, explore) -> strategies. Random runs
    with its learner's smallest share still to run (random draws every row at random anyway)."""
    wanted = [c for c in CONFIGS if c.name in names]
    groups: dict[tuple[str, float], list[str]] = {}
    learners = {}
    for config in wanted:
        learner = learner_key(config, dataset)
        learners.setdefault(learner, config)
        if not (results / dataset / run_key(config, dataset) / "run.json").exists():
            strategies = groups.setdefault((learner, config.explore), [])
            if config.strategy not in strategies:
                strategies.append(config.strategy)
    for learner, config in learners.items():
        if not (results / dataset / random_key(config, dataset) / "run.json").exists():
            shares = sorted(share for key, share in groups if key == learner)
            groups.setdefault((learner, shares[0] if shares else 0.0), []).insert(0, "random")
    return groups


def run_group(dataset, data, label, learner, explore, strategies, repeats, jobs, results: Path) -> float:
    """One simulate call; each strategy's curves go to its own folder. Returns seconds per curve."""
    from activelearn.ops.simulate import simulate

    config = Config("", *learner.split("-"), "random", explore)
    with tempfile.TemporaryDirectory() as scratch:
        started, cpu = time.perf_counter(), time.process_time()
        result = simulate(
            data,
            label,
            strategies=strategies,
            repeats=repeats,
            seed=0,
            out=Path(scratch) / "sim",
            jobs=jobs,
            metric="balanced_accuracy",
            **PROTOCOLS[dataset],
            **simulate_options(config, dataset, explore),
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        curves = pd.read_csv(Path(scratch) / "sim" / "curves.csv")
    computed = len(dict.fromkeys(["random", *strategies]))  # simulate always runs random
    for strategy in strategies:
        key = f"{learner}_random" if strategy == "random" else f"{learner}_{strategy}_{explore:g}"
        folder = results / dataset / key
        folder.mkdir(parents=True, exist_ok=True)
        curves[curves["strategy"] == strategy].to_csv(folder / "curves.csv", index=False)
        facts = {
            "dataset": dataset,
            "learner": learner,
            "strategy": strategy,
            "explore": explore if strategy != "random" else None,
            "simulate options": simulate_options(config, dataset, explore),
            "repeats": repeats,
            "rows": result.rows,
            "classes": result.classes,
            **PROTOCOLS[dataset],
            "full_pool_balanced_accuracy": result.full_pool_score,
            "seconds per curve": round(seconds / computed, 1),
            "cores": os.cpu_count() if jobs < 0 else jobs,
            # at --jobs 1 every fit is in this process: its CPU time, unlike the wall time, does not
            # grow when other work shares the cores
            "cpu seconds per curve": round(cpu / computed, 1) if jobs == 1 else None,
        }
        (folder / "run.json").write_text(json.dumps(facts, indent=2) + "\n")
    return seconds / computed


def run_peers(dataset, data, label, peers, repeats, results: Path) -> None:
    from activelearn.simulation import simulation_splits

    splits = simulation_splits(data, label, repeats=repeats, initial=PROTOCOLS[dataset]["initial"], seed=0)
    for peer in peers:
        folder = results / dataset / f"peer-{peer}"
        if (folder / "run.json").exists():
            continue
        started, cpu = time.perf_counter(), time.process_time()
        curves = pd.DataFrame([point for run in splits.runs for point in peer_curve(peer, splits, run, dataset)])
        folder.mkdir(parents=True, exist_ok=True)
        curves.to_csv(folder / "curves.csv", index=False)
        facts = {
            "dataset": dataset,
            "peer": PEERS[peer],
            "repeats": repeats,
            **PROTOCOLS[dataset],
            "seconds per curve": round(time.perf_counter() - started, 1),
            "cores": 1,
            "cpu seconds per curve": round(time.process_time() - cpu, 1),
        }
        (folder / "run.json").write_text(json.dumps(facts, indent=2) + "\n")
        print(f"{dataset} {peer}: {facts['seconds per curve']:.0f} s", file=sys.stderr)


def peer_features(splits, run):
    """What a user of these libraries writes: the pool turned into one numeric matrix before the
    loop (their query functions take a matrix of the whole pool): numeric columns median-imputed
    (where values are missing) and standardised, categorical ones one-hot encoded, text as TF-IDF;
    fitted on the training pool. Returns the training and test matrices."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = splits.frame
    parts = []
    numeric = [c for c, role in splits.columns.items() if role == "numeric"]
    if numeric:
        steps = [SimpleImputer(strategy="median")] if frame[numeric].isna().any().any() else []
        parts.append(("numeric", make_pipeline(*steps, StandardScaler()), numeric))
    categorical = [c for c, role in splits.columns.items() if role == "categorical"]
    if categorical:
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore"), categorical))
    for column in (c for c, role in splits.columns.items() if role == "text"):
        # a 5,000-term vocabulary: scikit-activeml takes dense matrices only
        parts.append((column, TfidfVectorizer(max_features=5000), column))
    table = frame.astype({c: "float64" for c in numeric}).astype({c: object for c in categorical})
    for c in categorical:
        table[c] = table[c].where(table[c].notna(), "missing").astype(str)
    transform = ColumnTransformer(parts, sparse_threshold=0.0)
    train = transform.fit_transform(table.iloc[run.train]).astype(np.float32)
    return train, transform.transform(table.iloc[run.test]).astype(np.float32)


def peer_curve(peer, splits, run, dataset) -> list[dict]:
    """The peer's learning curve on the run's split, from the same first labels."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    settings = PROTOCOLS[dataset]
    classes, y = np.unique(splits.labels, return_inverse=True)
    X, X_test = peer_features(splits, run)
    y_train, y_test = y[run.train], y[run.test]
    where = {position: i for i, position in enumerate(run.train)}
    labeled = [where[p] for p in run.initial]  # positions in the training pool
    estimator = LogisticRegression(max_iter=1000)
    points = []
    if peer == "modal":
        from modAL.models import ActiveLearner
        from modAL.uncertainty import margin_sampling

        while True:
            # a new learner each round: modAL 0.4.2.1's teach() and fit() pass check_X_y the
            # force_all_finite argument scikit-learn 1.8 removed; its constructor fits without it
            learner = ActiveLearner(
                estimator=clone(estimator),
                query_strategy=margin_sampling,
                X_training=X[labeled],
                y_training=y_train[labeled],
            )
            points.append(_point(peer, run.seed, len(labeled), learner.predict(X_test), y_test))
            unlabeled = np.setdiff1d(np.arange(len(X)), labeled)
            size = min(settings["batch_size"], settings["budget"] - len(labeled), len(unlabeled))
            if size <= 0:
                return points
            chosen, _ = learner.query(X[unlabeled], n_instances=size)
            labeled.extend(unlabeled[np.asarray(chosen)].tolist())
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.pool import UncertaintySampling

    clf = SklearnClassifier(estimator, classes=np.arange(len(classes)), missing_label=-1, random_state=run.seed)
    strategy = UncertaintySampling(method="margin_sampling", missing_label=-1, random_state=run.seed)
    y_known = np.full(len(X), -1)
    y_known[labeled] = y_train[labeled]
    while True:
        clf.fit(X, y_known)
        points.append(_point(peer, run.seed, int((y_known != -1).sum()), clf.predict(X_test), y_test))
        size = min(
            settings["batch_size"],
            settings["budget"] - int((y_known != -1).sum()),
            int((y_known == -1).sum()),
        )
        if size <= 0:
            return points
        chosen = strategy.query(X=X, y=y_known, clf=clf, fit_clf=False, batch_size=size)
        y_known[chosen] = y_train[chosen]


def _point(peer, seed, labels, predicted, truth) -> dict:
    """One point of a curve, scored and rounded as simulate scores its own."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    return {
        "strategy": peer,
        "seed": seed,
        "labels": labels,
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "balanced_accuracy": round(float(balanced_accuracy_score(truth, predicted)), 4),
        "f1_macro": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
    }


# --- time ------------------------------------------------------------------------------------------

# Core-seconds per curve and seed (one strategy, with its share of simulate's full-pool fits) on 2
# shared cores, measured with today's learner at --jobs 1; a peer's curve likewise. The estimate
# uses a dataset's own finished runs when it has some. The new learners' own cost (embeddings
# above all) is not in it.
# 2026-12-01, 1 seed each, load average 6-9 from other work (so an upper bound); penguins not
# measured (taken as wine), and the peers on digits, page_blocks, satimage, movie_reviews_rare not
# measured (taken from the nearest measured set).
MEASURED = {
    "penguins": 1.3,
    "wine": 1.3,
    "breast_cancer": 2.8,
    "digits": 3.2,
    "digits_rare": 3.8,
    "movie_reviews": 15.3,
    "page_blocks": 3.3,
    "yeast_me2": 2.6,
    "satimage": 5.2,
    "movie_reviews_rare": 9.2,
}
MEASURED_PEERS = {
    "penguins": 0.35,
    "wine": 0.35,
    "breast_cancer": 0.85,
    "digits": 1.15,
    "digits_rare": 1.15,
    "movie_reviews": 8.05,
    "page_blocks": 1.15,
    "yeast_me2": 0.7,
    "satimage": 1.15,
    "movie_reviews_rare": 8.05,
}


def _rate(facts: list[dict]) -> float | None:
    """Median core-seconds per curve and seed of finished runs (CPU time where measured)."""
    rates = [(f.get("cpu seconds per curve") or f["seconds per curve"] * f["cores"]) / f["repeats"] for f in facts]
    return float(np.median(rates)) if rates else None


def estimate(datasets: list[str], names: list[str], repeats: int, results: Path) -> tuple[float, list[str]]:
    """Core-seconds for what is left to run, and one line per dataset."""
    total, lines = 0.0, []
    for dataset in datasets:
        curves = sum(len(dict.fromkeys(["random", *s])) for s in plan(dataset, names, results).values())
        done = [json.loads(p.read_text()) for p in (results / dataset).glob("*/run.json")]
        rate = _rate([f for f in done if "peer" not in f]) or MEASURED.get(dataset, math.nan)
        peer_rate = _rate([f for f in done if "peer" in f]) or MEASURED_PEERS.get(dataset, math.nan)
        peers = [p for p in PEERS if p in names and not (results / dataset / f"peer-{p}" / "run.json").exists()]
        seconds = (curves * rate + len(peers) * peer_rate) * repeats
        total += 0 if math.isnan(seconds) else seconds
        lines.append(
            f"{dataset}: ({curves} curves x {rate:.2f} s + {len(peers)} peer curves x {peer_rate:.2f} s) "
            f"x {repeats} seeds = {seconds / 60:.1f} core-min"
        )
    return total, lines


# --- the report -----------------------------------------------------------------------------------


def load(results: Path, datasets: list[str]) -> tuple[dict, dict, dict]:
    """Per dataset: per-seed AULCs by run key, the curves by run key, and each run's facts."""
    aulc, curves, facts = {}, {}, {}
    for dataset in datasets:
        for folder in sorted((results / dataset).glob("*/run.json")):
            key = folder.parent.name
            table = pd.read_csv(folder.parent / "curves.csv").sort_values(["seed", "labels"])
            per_seed = {
                m: np.array(
                    [
                        area_under_curve(r["labels"].to_numpy(float), r[m].to_numpy(float))
                        for _, r in table.groupby("seed")
                    ]
                )
                for m in METRICS
            }
            aulc.setdefault(dataset, {})[key] = per_seed
            curves.setdefault(dataset, {})[key] = table
            facts.setdefault(dataset, {})[key] = json.loads(folder.read_text())
    return aulc, curves, facts


def labels_to_95(table: pd.DataFrame, target: float) -> float | None:
    """Median over seeds of the labels needed to reach `target` balanced accuracy (a seed that
    never does counts as infinitely late); None when most seeds never do."""
    return median_reached(
        [
            labels_to_reach(r["labels"].to_numpy(float), r["balanced_accuracy"].to_numpy(float), target)
            for _, r in table.groupby("seed")
        ]
    )


def _versus(mine, other) -> str:
    against = paired(mine, other)
    worse = " (worse)" if against.significantly_worse else ""
    return f"{against.wins}/{against.ties}/{against.losses} p={against.p_value:.3f}{worse}"


def _labels(value) -> str:
    return "-" if value is None else f"{value:g}"


def dataset_section(dataset, aulc, curves, facts) -> list[str]:
    by_name = {c.name: c for c in CONFIGS}
    runs, default_key = aulc[dataset], run_key(by_name[DEFAULT], dataset)
    full = {
        key: f["full_pool_balanced_accuracy"] for key, f in facts[dataset].items() if "full_pool_balanced_accuracy" in f
    }
    reference = max(full.values()) if full else None
    target = 0.95 * reference if reference else None
    any_facts = next(f for f in facts[dataset].values() if "rows" in f)
    shown: dict[str, list[str]] = {}  # run key -> the configurations it is
    for config in CONFIGS:
        shown.setdefault(run_key(config, dataset), []).append(config.name)
    for config in CONFIGS:
        shown.setdefault(random_key(config, dataset), [f"random ({learner_key(config, dataset)})"])
    shown.update({f"peer-{p}": [f"peer: {p}"] for p in PEERS})
    rows = []
    for key, names in shown.items():
        if key not in runs:
            continue
        mine = runs[key]
        config = next((c for c in CONFIGS if run_key(c, dataset) == key), None)
        # a peer's random: today's learner's
        base = random_key(config or by_name[DEFAULT], dataset) if not key.endswith("_random") else None
        cells = [", ".join(names)]
        cells += [f"{np.mean(mine[m]):.3f} ± {np.std(mine[m], ddof=1):.3f}" for m in METRICS]
        cells.append(_labels(labels_to_95(curves[dataset][key], target)) if target else "-")
        for ref in (default_key, base):
            for m in METRICS:
                cells.append(_versus(mine[m], runs[ref][m]) if ref and ref in runs and ref != key else "-")
        rows.append("| " + " | ".join(cells) + " |")
    lines = [
        f"## {dataset}",
        "",
        f"{any_facts.get('rows', '?')} rows; initial {any_facts['initial']}, batch {any_facts['batch_size']}, budget "
        f"{any_facts['budget']}, {any_facts['repeats']} seeds. Full-pool balanced accuracy by learner: "
        + ", ".join(f"{k.rsplit('_', 1)[0]} {v:.3f}" for k, v in sorted(full.items()) if k.endswith("_random"))
        + (f"; labels to 95% means to {target:.3f} (95% of the best of them)." if target else "."),
        "",
        "| configuration | AULC balanced accuracy | AULC macro-F1 | labels to 95% | vs default (bal. acc.) | "
        "vs default (F1) | vs its random (bal. acc.) | vs its random (F1) |",
        "| --- | ---: | ---: | ---: | :---: | :---: | :---: | :---: |",
        *rows,
        "",
    ]
    return lines


def build_report(results: Path) -> str:
    datasets = [d for d in DATASETS if (results / d).is_dir()]
    aulc, curves, facts = load(results, datasets)
    ran = [c for c in CONFIGS if c.name == DEFAULT or any(run_key(c, d) in aulc[d] for d in aulc)]
    best, verdicts = choose_defaults(aulc, ran)
    by_kind = choose_by_kind(aulc, ran)
    by_name = {c.name: c for c in CONFIGS}
    chosen, default = by_name[best], by_name[DEFAULT]
    chosen_for = {kind: by_name[name] for kind, (name, _) in by_kind.items()}
    info = json.loads((results / "machine.json").read_text()) if (results / "machine.json").exists() else {}
    checks, gains = [], {m: [] for m in METRICS}
    for dataset in aulc:
        new, old = run_key(chosen_for[kind_of(dataset)], dataset), run_key(default, dataset)
        if new not in aulc[dataset] or old not in aulc[dataset]:
            continue
        cells = []
        for m in METRICS:
            a, b = aulc[dataset][new][m], aulc[dataset][old][m]
            cells.append(f"{100 * np.mean(a - b):+.1f} ({_versus(a, b)})")
            if dataset in IMBALANCED:
                gains[m].append(100 * float(np.mean(a - b)))
        below = any(significantly_worse(aulc[dataset][new][m], aulc[dataset][old][m]) for m in METRICS)
        target = 0.95 * max(f.get("full_pool_balanced_accuracy", 0) for f in facts[dataset].values())
        reach = [_labels(labels_to_95(curves[dataset][k], target)) for k in (new, old)]
        checks.append(
            f"| {dataset} | {chosen_for[kind_of(dataset)].name} | {cells[0]} | {cells[1]} | {'no' if below else 'yes'} | {reach[0]} | {reach[1]} |"
        )
    kind_sections = []
    for kind, (name, kind_verdicts) in by_kind.items():
        c = by_name[name]
        kind_sections += [
            f"### {kind}: **{name}** (class_weight {c.class_weight}, fit_on {c.fit_on}, text {c.text}, strategy "
            f"{c.strategy}, explore {c.explore:g})",
            "",
            *_verdict_table(kind_verdicts),
            "",
        ]
    gain_line = ", ".join(f"{m} {np.mean(g):+.1f} points" if g else f"{m} -" for m, g in gains.items())
    rare = _rare_counts()
    report = [
        "# Choosing the defaults: learner and policy",
        "",
        "Made by `benchmarks/label_efficiency/defaults.py`: `simulate` on each dataset, every configuration on",
        "the same test splits and first labels per seed; peers on the same splits and first labels.",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        f"Protocol: {PROTOCOL['initial']} first labels, batches of {PROTOCOL['batch_size']}, up to {PROTOCOL['budget']} "
        f"labels, a held-out quarter; penguins and wine (training pools under 300 rows): {SMALL_POOL['initial']}, "
        f"{SMALL_POOL['batch_size']}, {SMALL_POOL['budget']}. AULC: the area under the learning curve divided by "
        "its span of labels. movie_reviews_rare: movie_reviews with a seeded subsample of 'rotten' "
        f"(seed {RARE_SEED}, {RARE_SHARE:.0%}): {rare}.",
        "",
        "## The rule",
        "",
        "Among the configurations never significantly worse (paired Wilcoxon over seeds, p < 0.05) on the AULC",
        "of balanced accuracy, nor on that of macro-F1, than random sampling with the same learner, nor than",
        "today's default, on any dataset: the best mean AULC of balanced accuracy over the datasets.",
        f"**Chosen: {best}** (class_weight {chosen.class_weight}, fit_on {chosen.fit_on}, text {chosen.text} on "
        f"text sets, strategy {chosen.strategy}, explore {chosen.explore:g}).",
        "",
        *_verdict_table(verdicts),
        "",
        f"Not run (cut for time): {', '.join(c.name for c in CONFIGS if c not in ran) or 'none'}.",
        "",
        "## The rule by kind of data: what init writes",
        "",
        "The same rule, applied on its own to the text sets ("
        + ", ".join(d for d in aulc if kind_of(d) == "text")
        + ") and to the tables (the rest). `init` writes the choice of the project's kind: text when a column has",
        "the role `text`.",
        "",
        *kind_sections,
        "## The chosen defaults against today's",
        "",
        "Each dataset against its kind's choice. AULC gain in points (W/T/L, p); labels to 95% of the best",
        "full-pool balanced accuracy, new and old.",
        "",
        "| dataset | chosen | balanced accuracy | macro-F1 | not significantly below today's | labels to 95% new | old |",
        "| --- | --- | ---: | ---: | :---: | ---: | ---: |",
        *checks,
        "",
        f"Mean gain on the imbalanced sets ({', '.join(IMBALANCED)}): {gain_line} (target: at least +5).",
        "",
        "## Configurations",
        "",
        "| name | class_weight | fit_on | text | strategy | explore | in the budgeted run |",
        "| --- | --- | --- | --- | --- | ---: | :---: |",
        *[
            f"| {c.name} | {c.class_weight} | {c.fit_on} | {c.text} | {c.strategy} | {c.explore:g} | "
            f"{'yes' if c.budgeted else 'no'} |"
            for c in CONFIGS
        ],
        "",
        "On datasets without text, `text` has no effect and configurations differing only in it share a run.",
        "Each learner's random sampling is its baseline. Peers: "
        + "; ".join(f"{name}: {what}" for name, what in PEERS.items())
        + ", logistic regression (max_iter=1000) on the pool as one matrix fitted on the training rows: numeric",
        "columns median-imputed where values are missing and standardised, categorical ones one-hot, text as TF-IDF",
        "(5,000 terms: scikit-activeml takes dense matrices only).",
        "",
    ]
    for dataset in aulc:
        report += dataset_section(dataset, aulc, curves, facts)
    return "\n".join(report) + "\n"


def _verdict_table(verdicts: list[Verdict]) -> list[str]:
    """The rule's table: one row per configuration, with why it is or is not a candidate."""

    def mean(value):
        return "-" if value is None else f"{value:.3f}"

    return [
        "| configuration | mean AULC bal. acc. | mean AULC F1 | significantly worse on | missing on | candidate |",
        "| --- | ---: | ---: | --- | --- | :---: |",
        *[
            f"| {v.config} | {mean(v.mean_aulc)} | {mean(v.mean_f1)} | {'; '.join(v.worse_on) or '-'} | "
            f"{', '.join(v.missing) or '-'} | {'yes' if v.eligible else 'no'} |"
            for v in verdicts
        ],
    ]


def _rare_counts() -> str:
    with tempfile.TemporaryDirectory() as scratch:
        labels = pd.read_csv(DATASETS["movie_reviews_rare"][0](Path(scratch)), keep_default_na=False)["sentiment"]
        before = pd.read_csv(movie_reviews(Path(scratch)), keep_default_na=False)["sentiment"]
    counts = labels.value_counts()
    return (
        f"{len(before):,} rows ({before.value_counts().to_dict()}) cut to {len(labels):,} "
        f"({counts.to_dict()}, {counts.min() / len(labels):.1%} rare)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--only", nargs="*", choices=list(DATASETS), metavar="DATASET")
    parser.add_argument("--configs", nargs="*", choices=CONFIG_NAMES, metavar="NAME")
    parser.add_argument("--jobs", type=int, default=-1)
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="the results folder (to try the harness apart)",
    )
    parser.add_argument("--estimate", action="store_true", help="print the time left to run, and stop")
    parser.add_argument("--report-only", action="store_true", help="rebuild REPORT.md from the saved results")
    args = parser.parse_args()
    datasets, names = args.only or list(DATASETS), args.configs or BUDGETED
    results: Path = args.results
    results.mkdir(parents=True, exist_ok=True)
    # one BLAS/OpenMP thread, as simulate's worker processes have: at --jobs 1 on shared cores, two
    # spinning threads doubled both the CPU and the wall time (wine, 2 seeds: 4.9 s CPU against 2.0)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    if not args.report_only:
        total, lines = estimate(datasets, names, args.repeats, results)
        print(
            "\n".join(lines) + f"\nestimate: {total / 60:.0f} core-minutes, {total / 120:.0f} min on 2 cores "
            "(at today's learner's speed)",
            file=sys.stderr,
        )
        if args.estimate:
            return
        (results / "machine.json").write_text(json.dumps(machine(), indent=2) + "\n")
        with tempfile.TemporaryDirectory() as scratch:
            for dataset in datasets:
                make, label = DATASETS[dataset]
                data = make(Path(scratch))
                for (learner, explore), strategies in plan(dataset, names, results).items():
                    rate = run_group(
                        dataset,
                        data,
                        label,
                        learner,
                        explore,
                        strategies,
                        args.repeats,
                        args.jobs,
                        results,
                    )
                    print(
                        f"{dataset} {learner} explore {explore:g} {strategies}: {rate:.0f} s per curve",
                        file=sys.stderr,
                    )
                peers = [p for p in PEERS if p in names]
                if peers:
                    run_peers(dataset, data, label, peers, args.repeats, results)
    (results / "REPORT.md").write_text(build_report(results))
    print(f"wrote {results / 'REPORT.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
