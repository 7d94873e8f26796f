"""The simulated loop: known labels play the person, to compare strategies on a labeled file.

It runs the same code as `train` and `query`: the data is read as `init` reads it, models come
from the same presets, and every batch is chosen by the same selection engine. Each repeat
(seed) draws one test split and one initial set, shared by every strategy, so that strategies
are compared on paired runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .config import embeds
from .curves import StrategySummary, significance_note, summarize
from .dataset import load_dataset
from .errors import InputError, UsageError
from .evaluation import scores
from .models import fit_model
from .pool import CHUNK_ROWS
from .progress import phase
from .selection import Context, choose

if TYPE_CHECKING:
    from .embeddings import KnownVectors


BASELINE = "random"  # the strategy every other one is measured against


@dataclass(frozen=True, kw_only=True)
class LoopSettings:
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
    vectors: KnownVectors | None = None  # of the data's texts (when config.embeds(text))

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
        from .embeddings import known_vectors

        return known_vectors(self.vectors)


@dataclass(frozen=True)
class Run:
    """One repeat: its seed, test split and initial labeled rows (positions in the data)."""

    seed: int
    train: np.ndarray
    test: np.ndarray
    initial: np.ndarray


@dataclass(frozen=True)
class SimulationSplits:
    """What `simulate` runs on: the labeled rows, their labels, the column roles and, per repeat,
    the test split and initial set every strategy shares (for comparing other tools on them)."""

    frame: pd.DataFrame
    labels: np.ndarray
    id_column: str
    columns: dict[str, str]  # column -> role, as `init` would infer it
    runs: list[Run]
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


def _runs(labels: np.ndarray, repeats: int, test_size: float, initial: int, seed: int) -> list[Run]:
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
        runs.append(Run(run_seed, np.sort(train), np.sort(test), np.asarray(seeds + rest)))
    return runs


def simulation_notes(runs: list[Run], labels: np.ndarray, budget: int, compared: bool) -> list[str]:
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


def simulated_curves(
    splits: SimulationSplits, loop: LoopSettings, strategies: list[str], jobs: int
) -> tuple[pd.DataFrame, dict[int, dict[str, float]]]:
    """Every strategy's learning curve on every repeat (columns strategy, seed, labels and the
    metrics), and per repeat's seed the scores of a model trained on all its training rows."""
    frame, labels, runs = splits.frame, splits.labels, splits.runs
    tasks = [(run, strategy) for run in runs for strategy in ["full-pool", *strategies]]
    if embeds(loop.text):
        loop = replace(loop, vectors=_embedded(frame, loop.columns))
    features = _pool_features(runs, frame, loop, jobs) if loop.fit_on == "pool" else {}
    results = _parallel(tasks, (frame, labels, loop), jobs, features)
    full_pool = {seed: points for (seed, strategy), points in results.items() if strategy == "full-pool"}
    curves = pd.DataFrame(
        [point for (_, strategy), points in results.items() if strategy != "full-pool" for point in points]
    )
    return curves, full_pool


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """The strategies compared on paired runs: their curves, their summaries against the baseline,
    and what the runs are too few to show."""

    curves: pd.DataFrame  # strategy, seed, labels and the metrics at each point
    full_scores: dict[int, float]  # seed -> the metric of a model trained on every training row
    summaries: list[StrategySummary]
    notes: list[str]


def compare_strategies(
    splits: SimulationSplits, loop: LoopSettings, strategies: list[str], metric: str, jobs: int, wanted_budget: int
) -> Comparison:
    """Run every strategy's loop on every repeat and summarize `metric` against BASELINE's;
    `wanted_budget`: the labels asked for, which the notes compare with the training rows."""
    curves, full_pool = simulated_curves(splits, loop, strategies, jobs)
    full_scores = {seed: scores[metric] for seed, scores in full_pool.items()}
    summaries = summarize(curves, full_scores, metric, BASELINE)
    notes = simulation_notes(splits.runs, splits.labels, wanted_budget, len(strategies) > 1)
    return Comparison(curves=curves, full_scores=full_scores, summaries=summaries, notes=notes)


def _pool_features(runs: list[Run], frame, loop: LoopSettings, jobs: int) -> dict:
    """seed -> the features fitted on that repeat's training rows (its pool; a seeded sample of
    them beyond pool_features.POOL_FIT_ROWS), as `train` fits them on the project's pool."""
    from joblib import Parallel, delayed

    from .pool_features import sample_positions

    phase("fitting the features on each repeat's pool")
    calls = (
        delayed(_fit_pool_features)(frame.iloc[run.train[sample_positions(len(run.train), run.seed)]], loop)
        for run in runs
    )
    return dict(zip((run.seed for run in runs), Parallel(n_jobs=jobs)(calls), strict=True))


def _fit_pool_features(rows, loop: LoopSettings):
    from .pool_features import fit_features

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
    from .config import columns_with_role
    from .embeddings import KnownVectors
    from .features import FrameCoercer

    names = columns_with_role(columns, "text")
    if not names:
        return None
    phase("embedding the texts")
    typed = FrameCoercer({name: "text" for name in names}).transform(frame)
    return KnownVectors.of([t for name in names for t in typed[name].tolist()])


def _task(run: Run, strategy: str, frame, labels, loop: LoopSettings, *, features=None):
    key = (run.seed, strategy)
    with loop.vectors_known():
        if strategy == "full-pool":
            fitted = loop.fit(frame.iloc[run.train], labels[run.train], run.seed, features)
            return key, _scores(fitted.pipeline, frame.iloc[run.test], labels[run.test])
        return key, _learning_curve(run, strategy, frame, labels, loop, features)


def _learning_curve(run: Run, strategy, frame, labels, loop: LoopSettings, features=None) -> list[dict]:
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
    return scores(y, pipeline.predict(X))
