"""`simulate`: the loop with known labels playing the person, to compare strategies on your data.

It runs the same code as `train` and `query`: the data is read as `init` reads it, models come
from the same presets, and every batch is chosen by the same selection engine. Each repeat
(seed) draws one test split and one initial set, shared by every strategy, so that strategies
are compared on paired runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..config import (
    CLASS_WEIGHTS,
    DEFAULT_STRATEGY,
    FIT_ON,
    MODEL_NAMES,
    STRATEGY_NAMES,
    TEXT_REPRESENTATIONS,
    embeds,
)
from ..curves import METRICS, StrategySummary, significance_note, summarize
from ..dataset import load_dataset
from ..errors import InputError, UsageError
from ..messages import require_choice
from ..models import fit_model
from ..pool import CHUNK_ROWS
from ..progress import phase
from ..roles import forced_roles
from ..selection import Context, choose
from ..storage import atomic_path, write_text

if TYPE_CHECKING:
    from ..embeddings import KnownVectors

BASELINE = "random"


@dataclass(kw_only=True)
class SimulateResult:
    data: str
    out: str
    rows: int
    classes: list[str]
    model: str
    metric: str
    initial: int
    batch_size: int
    budget: int
    repeats: int
    full_pool_score: float  # the metric of a model trained on every training row, mean over repeats
    strategies: list[StrategySummary]
    files: list[str]
    notes: list[str] = field(default_factory=list)  # what the data and repeats are too few to show
    warnings: list[str] = field(default_factory=list)
    fit_on: str = "labels"  # what the features were fitted on: the labeled rows, or each repeat's pool


@dataclass(frozen=True)
class _Loop:
    """What every simulated loop shares: the data's columns and the settings being compared."""

    id_column: str
    columns: dict[str, str]
    month_first: tuple[str, ...]
    model: str
    batch_size: int
    budget: int
    class_weight: str = "none"
    explore: float = 0.0
    fit_on: str = "labels"
    text: str = "tfidf"
    vectors: KnownVectors | None = None  # the data's texts' vectors (when config.embeds(text))

    def fit(self, X, y, seed: int, features=None):
        """The model on rows X; `features`: the repeat's, fitted on its pool (fit_on "pool")."""
        return fit_model(
            self.model,
            self.columns,
            seed,
            X,
            y,
            cross_validate=False,
            month_first=self.month_first,
            class_weight=self.class_weight,
            features=features,
            text=self.text,
        )

    def vectors_known(self):
        """Inside the block, the models' TextEmbedders take the data's vectors, embedded once."""
        from ..embeddings import known_vectors

        return known_vectors(self.vectors)


@dataclass(frozen=True)
class _Run:
    """One repeat: its seed, test split and initial labeled rows (positions in the data)."""

    seed: int
    train: np.ndarray
    test: np.ndarray
    initial: np.ndarray


def simulate(
    data: Path,
    label_column: str,
    *,
    id_column: str | None = None,
    strategies: Sequence[str] = (DEFAULT_STRATEGY,),
    model: str = "logistic",
    class_weight: str = "none",
    initial: int = 10,
    batch_size: int = 10,
    budget: int | None = None,
    repeats: int = 6,
    test_size: float = 0.25,
    seed: int = 0,
    metric: str = "f1_macro",
    out: Path = Path("simulation"),
    jobs: int = -1,
    text_columns=(),
    ignore_columns=(),
    categorical_columns=(),
    numeric_columns=(),
    datetime_columns=(),
    explore: float = 0.0,
    fit_on: str = "labels",
    text: str = "tfidf",
) -> SimulateResult:
    """Simulate active learning on a fully labeled file and write curves, summary and plot to `out`.
    With `explore`, model-based strategies draw that share of each batch at random, as `query` does
    with [query] explore. With `fit_on` "pool", each repeat fits the features once on its training
    rows (its pool), and every model along its curves fits only the estimator, as `[features]
    fit_on = "pool"` does."""
    strategies = _check_options(strategies, model, initial, batch_size, budget, repeats, test_size, metric)
    if isinstance(explore, bool) or not 0 <= explore < 1:
        raise UsageError(
            f"--explore is the share of each batch drawn at random, from 0 up to (not including) 1, not {explore}"
        )
    require_choice("--class-weight", class_weight, CLASS_WEIGHTS, "class weighting")
    require_choice("--fit-on", fit_on, FIT_ON, "choice")
    require_choice("--text", text, TEXT_REPRESENTATIONS, "text representation")
    if seed < 0:
        raise UsageError(f"--seed must be 0 or more, not {seed}")
    if jobs == 0:
        raise UsageError("--jobs must not be 0 (a number of processes, or -1 for one per core)")
    if Path(out).exists() and not Path(out).is_dir():
        raise UsageError(f"--out {out}: is a file; simulate writes a folder")
    forced = forced_roles(
        text=text_columns,
        categorical=categorical_columns,
        numeric=numeric_columns,
        datetime=datetime_columns,
        ignore=ignore_columns,
    )
    warnings: list[str] = []
    splits = simulation_splits(
        data,
        label_column,
        repeats=repeats,
        test_size=test_size,
        initial=initial,
        seed=seed,
        id_column=id_column,
        forced=forced,
        warnings=warnings,
    )
    frame, labels, columns, runs = splits.frame, splits.labels, splits.columns, splits.runs
    train_rows = len(runs[0].train)
    wanted = budget or initial + 30 * batch_size
    budget = min(wanted, train_rows)
    if budget <= initial:
        raise UsageError(f"--budget {budget} leaves nothing to query after the {initial} initial labels")

    tasks = [(run, strategy) for run in runs for strategy in ["full-pool", *strategies]]
    vectors = _embedded(frame, columns) if embeds(text) else None
    loop = _Loop(
        splits.id_column,
        columns,
        splits.month_first,
        model,
        batch_size,
        budget,
        class_weight,
        explore,
        fit_on,
        text,
        vectors,
    )
    features = _pool_features(runs, frame, loop, jobs) if fit_on == "pool" else {}
    results = _parallel(tasks, (frame, labels, loop), jobs, features)
    full_scores = {seed_: scores[metric] for (seed_, strategy), scores in results.items() if strategy == "full-pool"}
    curves = pd.DataFrame(
        [point for (_, strategy), points in results.items() if strategy != "full-pool" for point in points]
    )
    summaries = summarize(curves, full_scores, metric, BASELINE)
    notes = _notes(runs, labels, wanted, len(strategies) > 1)
    warnings.extend(notes)
    files = _write_outputs(
        Path(out),
        curves,
        summaries,
        full_scores,
        _settings(data, splits, loop, metric, initial, repeats, test_size, seed, train_rows),
        notes,
    )
    return SimulateResult(
        data=str(data),
        out=str(out),
        rows=len(frame),
        classes=splits.classes,
        model=model,
        metric=metric,
        initial=initial,
        batch_size=batch_size,
        budget=budget,
        repeats=repeats,
        full_pool_score=round(float(np.mean(list(full_scores.values()))), 4),
        strategies=summaries,
        files=files,
        notes=notes,
        warnings=warnings,
        fit_on=fit_on,
    )


@dataclass(frozen=True)
class SimulationSplits:
    """What `simulate` runs on: the labeled rows, their labels, the column roles and, per repeat,
    the test split and initial set every strategy shares (for comparing other tools on them)."""

    frame: pd.DataFrame
    labels: np.ndarray
    id_column: str
    columns: dict[str, str]  # column -> role, as `init` would infer it
    runs: list[_Run]
    label_column: str
    classes: list[str]  # as the dataset lists them
    month_first: tuple[str, ...]  # datetime columns written month first


def simulation_splits(
    data: Path,
    label_column: str,
    *,
    repeats: int = 6,
    test_size: float = 0.25,
    initial: int = 10,
    seed: int = 0,
    id_column: str | None = None,
    forced: dict[str, str] | None = None,
    warnings: list[str] | None = None,
) -> SimulationSplits:
    """The rows, roles, test splits and initial sets `simulate` uses with these settings (its own
    source of them). What reading the data warns about is appended to `warnings`."""
    warnings = [] if warnings is None else warnings
    dataset = load_dataset(
        Path(data),
        id_column=id_column,
        label_column=label_column,
        forced_roles=forced or {},
        warnings=warnings,
    )
    frame, labels = _labeled_rows(dataset, data, warnings)
    runs = _runs(labels, repeats, test_size, initial, seed)
    month_first = tuple(r.name for r in dataset.roles if r.role == "datetime" and r.month_first)
    return SimulationSplits(
        frame,
        labels,
        dataset.id_column,
        {r.name: r.role for r in dataset.roles},
        runs,
        dataset.label_column,
        dataset.classes,
        month_first,
    )


def _check_options(strategies, model, initial, batch_size, budget, repeats, test_size, metric) -> list[str]:
    strategies = list(dict.fromkeys(strategies or [DEFAULT_STRATEGY]))
    for name in strategies:
        require_choice("--strategy", name, STRATEGY_NAMES, "strategy")
    require_choice("--model", model, MODEL_NAMES, "model")
    if metric not in METRICS:
        raise UsageError(f"--metric {metric!r} is not one of {', '.join(METRICS)}")
    for name, value, low in (
        ("--initial", initial, 2),
        ("--batch-size", batch_size, 1),
        ("--repeats", repeats, 1),
    ):
        if value < low:
            raise UsageError(f"{name} must be at least {low}, not {value}")
    if budget is not None and budget < 1:
        raise UsageError(f"--budget must be at least 1, not {budget}")
    if not 0 < test_size < 1:
        raise UsageError(f"--test-size is a fraction between 0 and 1, not {test_size}")
    if BASELINE not in strategies:
        strategies.insert(0, BASELINE)  # the baseline every strategy is measured against
    return strategies


def _labeled_rows(dataset, data, warnings) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows with a known class (skips and empty labels left out), and their labels."""
    answers = dataset.answers[dataset.answers["kind"] == "label"].set_index("id")["answer"]
    frame = dataset.pool[dataset.pool[dataset.id_column].isin(answers.index)].reset_index(drop=True)
    dropped = len(dataset.pool) - len(frame)
    if dropped:
        warnings.append(f"{data}: {dropped} rows have no label and are left out of the simulation")
    labels = answers.loc[frame[dataset.id_column]].to_numpy(dtype=object)
    if len(np.unique(labels)) < 2:
        raise InputError(f"{data}: simulation needs labels of at least 2 classes")
    return frame, labels


def _runs(labels: np.ndarray, repeats: int, test_size: float, initial: int, seed: int) -> list[_Run]:
    """Per repeat: a stratified test split and an initial set with one row of each class (as far
    as `initial` allows), the rest at random: the same for every strategy."""
    from sklearn.model_selection import train_test_split

    positions = np.arange(len(labels))
    runs = []
    for repeat in range(repeats):
        run_seed = seed + repeat
        try:
            train, test = train_test_split(positions, test_size=test_size, stratify=labels, random_state=run_seed)
        except ValueError:  # a class too small to stratify
            try:
                train, test = train_test_split(positions, test_size=test_size, random_state=run_seed)
            except ValueError:
                raise UsageError(f"--test-size {test_size} leaves no rows to train or to test on") from None
        if initial >= len(train):
            raise UsageError(f"--initial {initial} is not less than the {len(train)} training rows")
        rng = np.random.default_rng([seed, repeat])
        shuffled = rng.permutation(train)
        first_of_class = list(dict.fromkeys(labels[shuffled]))
        seeds = [shuffled[np.flatnonzero(labels[shuffled] == c)[0]] for c in first_of_class][:initial]
        taken = set(seeds)
        rest = [p for p in shuffled if p not in taken][: initial - len(seeds)]
        runs.append(_Run(run_seed, np.sort(train), np.sort(test), np.asarray(seeds + rest)))
    return runs


def _notes(runs: list[_Run], labels: np.ndarray, budget: int, compared: bool) -> list[str]:
    """What the simulation is too small to show: p-values (too few repeats), differences at the
    end of the curves (a pool the budget exhausts), the scores of a class (too few of its rows)."""
    notes = []
    note = significance_note(len(runs)) if compared else None
    if note:
        notes.append(note)
    train_rows = len(runs[0].train)
    if train_rows <= budget:
        notes.append(
            f"the pool after the test split has {train_rows} rows, not more than the budget of {budget} labels: "
            "every strategy ends with all of them labeled; lower --budget or use more data"
        )
    classes, counts = np.unique(labels, return_counts=True)
    for name, count in zip(classes, counts.tolist()):
        if any(not np.any(labels[run.test] == name) or not np.any(labels[run.train] == name) for run in runs):
            notes.append(
                f"class {name!r} has {count} row{'s' * (count != 1)}, too few for both the training pool and the "
                "test split of every repeat: its scores are not measured in some; add rows of it"
            )
    return notes


def _pool_features(runs: list[_Run], frame, loop: _Loop, jobs: int) -> dict:
    """seed -> the features fitted on that repeat's training rows (its pool; a seeded sample of
    them beyond pool_features.POOL_FIT_ROWS), as `train` fits them on the project's pool."""
    from joblib import Parallel, delayed

    from ..pool_features import sample_positions

    phase("fitting the features on each repeat's pool")
    calls = (
        delayed(_fit_pool_features)(frame.iloc[run.train[sample_positions(len(run.train), run.seed)]], loop)
        for run in runs
    )
    return dict(zip((run.seed for run in runs), Parallel(n_jobs=jobs)(calls), strict=True))


def _fit_pool_features(rows, loop: _Loop):
    from ..pool_features import fit_features

    with loop.vectors_known():
        return fit_features(rows, loop.columns, loop.model, loop.month_first, text=loop.text)


def _parallel(tasks, args, jobs: int, features: dict) -> dict:
    """(seed, strategy) -> the task's result, in the order of `tasks` whatever order they finish in;
    `features`: seed -> the repeat's features fitted on its pool (none: fitted with each model)."""
    from joblib import Parallel, delayed

    results = {}
    advance = phase("simulating", total=len(tasks))
    calls = (delayed(_task)(run, strategy, *args, features=features.get(run.seed)) for run, strategy in tasks)
    for done, (key, value) in enumerate(Parallel(n_jobs=jobs, return_as="generator_unordered")(calls), start=1):
        results[key] = value
        advance(done)
    return {(run.seed, strategy): results[(run.seed, strategy)] for run, strategy in tasks}


def _embedded(frame: pd.DataFrame, columns: dict[str, str]):
    """The vectors of every text of the data's text columns, embedded once for the whole simulation."""
    from ..config import columns_with_role
    from ..embeddings import KnownVectors
    from ..features import FrameCoercer

    names = columns_with_role(columns, "text")
    if not names:
        return None
    phase("embedding the texts")
    typed = FrameCoercer({name: "text" for name in names}).transform(frame)
    return KnownVectors.of([t for name in names for t in typed[name].tolist()])


def _task(run: _Run, strategy: str, frame, labels, loop: _Loop, *, features=None):
    key = (run.seed, strategy)
    with loop.vectors_known():
        if strategy == "full-pool":
            fitted = loop.fit(frame.iloc[run.train], labels[run.train], run.seed, features)
            return key, _scores(fitted.pipeline, frame.iloc[run.test], labels[run.test])
        return key, _learning_curve(run, strategy, frame, labels, loop, features)


def _learning_curve(run: _Run, strategy, frame, labels, loop: _Loop, features=None) -> list[dict]:
    """Label batch after batch as `query` would choose them, scoring the model after each."""
    used = [n for n, r in loop.columns.items() if r != "ignore"]
    position_of = pd.Series(np.arange(len(frame)), index=frame[loop.id_column].to_numpy())
    labeled = list(run.initial)
    in_train = np.zeros(len(frame), dtype=bool)
    in_train[run.train] = True
    points, number = [], 0
    while True:
        fitted = loop.fit(frame.iloc[labeled], labels[labeled], run.seed, features)
        scores = _scores(fitted.pipeline, frame.iloc[run.test], labels[run.test])
        points.append({"strategy": strategy, "seed": run.seed, "labels": len(labeled), **scores})
        if len(labeled) >= loop.budget:
            return points
        candidates_mask = in_train.copy()
        candidates_mask[labeled] = False
        candidates = frame[candidates_mask]
        if candidates.empty:
            return points
        number += 1
        context = Context(
            loop.id_column,
            loop.columns,
            run.seed,
            number,
            fitted.pipeline,
            used,
            labeled=frame.iloc[labeled],
            labels=labels[labeled],
            explore=loop.explore,
            text=loop.text,
        )
        size = min(loop.batch_size, loop.budget - len(labeled))
        chosen = choose(strategy, lambda cols: _chunks(candidates, cols), size, context)
        labeled.extend(position_of[chosen.ids].tolist())


def _chunks(frame: pd.DataFrame, columns: list[str]):
    columns = list(dict.fromkeys(columns))
    for start in range(0, len(frame), CHUNK_ROWS):
        yield frame.iloc[start : start + CHUNK_ROWS][columns]


def _scores(pipeline, X, y) -> dict[str, float]:
    import warnings

    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    predicted = pipeline.predict(X)
    with warnings.catch_warnings():  # a class missing from the test split: a note says so, in our words
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        return {
            "accuracy": round(float(accuracy_score(y, predicted)), 4),
            "balanced_accuracy": round(float(balanced_accuracy_score(y, predicted)), 4),
            "f1_macro": round(float(f1_score(y, predicted, average="macro", zero_division=0)), 4),
        }


# --- outputs ------------------------------------------------------------------------------------


def _settings(
    data,
    splits: SimulationSplits,
    loop: _Loop,
    metric,
    initial,
    repeats,
    test_size,
    seed,
    train_rows,
) -> dict:
    # a setting at its legacy value is left out, so that summaries from before the option read the same
    weighting = {"class weight": loop.class_weight} if loop.class_weight != "none" else {}
    text = {"text": loop.text} if loop.text != "tfidf" else {}
    settings = {
        "data": str(data),
        "label column": splits.label_column,
        "classes": ", ".join(splits.classes),
        "model": loop.model,
        **weighting,
        **text,
        "metric": metric,
        "initial labels": initial,
        "batch size": loop.batch_size,
        "budget": loop.budget,
        "training rows per repeat": train_rows,
        "repeats (seeds)": repeats,
        "test size": test_size,
        "seed": seed,
    }
    if loop.explore:
        settings["explored share of each batch"] = loop.explore
    if loop.fit_on != "labels":
        settings["features fitted on"] = loop.fit_on
    return settings


def _write_outputs(
    out: Path, curves: pd.DataFrame, summaries, full_scores, settings: dict, notes: list[str]
) -> list[str]:
    from ..plots import plot_learning_curves

    out.mkdir(parents=True, exist_ok=True)
    files = [
        out / "curves.csv",
        out / "summary.csv",
        out / "summary.md",
        out / "learning_curve.png",
    ]
    with atomic_path(files[0]) as tmp:
        curves.to_csv(tmp, index=False)
    table = pd.DataFrame([asdict(s) for s in summaries])
    with atomic_path(files[1]) as tmp:
        table.to_csv(tmp, index=False)
    write_text(files[2], summary_markdown(summaries, full_scores, settings, notes))
    plot_learning_curves(
        curves,
        settings["metric"],
        float(np.mean(list(full_scores.values()))),
        files[3],
        settings["data"],
    )
    return [str(f) for f in files]


def summary_markdown(summaries, full_scores, settings: dict, notes: Sequence[str] = ()) -> str:
    full = float(np.mean(list(full_scores.values())))
    lines = [
        f"# Simulation: {Path(settings['data']).name}",
        "",
        *[f"- {key}: {value}" for key, value in settings.items()],
        f"- full-pool {settings['metric']} (a model trained on every training row): {full:.3f}",
        "",
        *[line for note in notes for line in (f"Note: {note}", "")],  # a paragraph each
        summary_table(summaries),
        "",
        "AULC: area under the learning curve, divided by its span of labels (a mean score; higher is",
        "better). Labels to 95%/99%: median over seeds of the labels needed to reach that share of the",
        "full-pool score (`-` when most seeds never did). Savings: random's labels to 95% divided by",
        "the strategy's (`>` when random never reached it, so the figure is a lower bound). W/T/L: seeds",
        "where the strategy's AULC beat, tied or lost to random's; p: Wilcoxon signed-rank test of the",
        "paired differences.",
    ]
    return "\n".join(lines) + "\n"


def summary_table(summaries) -> str:
    header = "| strategy | AULC | final | labels to 95% | labels to 99% | savings vs random | W/T/L | p |"
    rows = [header, "| --- | ---: | ---: | ---: | ---: | ---: | :---: | ---: |"]
    for s in summaries:
        savings = "-" if s.savings_95 is None else f"{'>' if s.savings_is_lower_bound else ''}{s.savings_95:.2f}x"
        rows.append(
            f"| {s.strategy} | {s.aulc:.3f} ± {s.aulc_sd:.3f} | {s.final:.3f} | {_labels(s.labels_95)} | "
            f"{_labels(s.labels_99)} | {savings} | {s.wins}/{s.ties}/{s.losses} | "
            f"{'-' if s.p_value is None else f'{s.p_value:.3f}'}{' (worse)' if s.significantly_worse else ''} |"
        )
    return "\n".join(rows)


def _labels(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:g}"
