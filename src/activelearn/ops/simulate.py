"""`simulate`: check the options, read the labeled file and its splits, run the simulated loop
(simulation.py), and write its curves, summary and plot to the output folder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import CLASS_WEIGHTS, DEFAULT_STRATEGY, FIT_ON, MODEL_NAMES, STRATEGY_NAMES, TEXT_REPRESENTATIONS
from ..curves import StrategySummary, summary_markdown
from ..errors import UsageError
from ..evaluation import METRICS
from ..messages import require_choice
from ..roles import forced_roles
from ..simulation import BASELINE, Comparison, LoopSettings, SimulationSplits, compare_strategies, simulation_splits
from ..storage import atomic_path, write_text


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
    _check_settings(explore, class_weight, fit_on, text, seed, jobs, out)
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
    train_rows = len(splits.runs[0].train)
    wanted = budget or initial + 30 * batch_size
    budget = min(wanted, train_rows)
    if budget <= initial:
        raise UsageError(f"--budget {budget} leaves nothing to query after the {initial} initial labels")
    loop = LoopSettings(
        id_column=splits.id_column,
        columns=splits.columns,
        month_first=splits.month_first,
        model=model,
        batch_size=batch_size,
        budget=budget,
        class_weight=class_weight,
        explore=explore,
        fit_on=fit_on,
        text=text,
    )
    comparison = compare_strategies(splits, loop, strategies, metric, jobs, wanted)
    warnings.extend(comparison.notes)
    settings = _settings(data, splits, loop, metric, initial, repeats, test_size, seed, train_rows)
    files = _write_outputs(Path(out), comparison, settings)
    return _result(data, out, splits, loop, comparison, metric, initial, files, warnings)


def _result(
    data,
    out,
    splits: SimulationSplits,
    loop: LoopSettings,
    comparison: Comparison,
    metric: str,
    initial: int,
    files,
    warnings,
) -> SimulateResult:
    """What simulate did: its settings, the summaries of the strategies compared, the files written."""
    return SimulateResult(
        data=str(data),
        out=str(out),
        rows=len(splits.frame),
        classes=splits.classes,
        model=loop.model,
        metric=metric,
        initial=initial,
        batch_size=loop.batch_size,
        budget=loop.budget,
        repeats=len(splits.runs),
        full_pool_score=round(float(np.mean(list(comparison.full_scores.values()))), 4),
        strategies=comparison.summaries,
        files=files,
        notes=comparison.notes,
        warnings=warnings,
        fit_on=loop.fit_on,
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


def _check_settings(explore, class_weight: str, fit_on: str, text: str, seed: int, jobs: int, out) -> None:
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


# --- outputs ------------------------------------------------------------------------------------


def _settings(
    data,
    splits: SimulationSplits,
    loop: LoopSettings,
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


def _write_outputs(out: Path, comparison: Comparison, settings: dict) -> list[str]:
    from ..plots import plot_learning_curves

    out.mkdir(parents=True, exist_ok=True)
    files = [
        out / "curves.csv",
        out / "summary.csv",
        out / "summary.md",
        out / "learning_curve.png",
    ]
    curves, summaries, full_scores = comparison.curves, comparison.summaries, comparison.full_scores
    with atomic_path(files[0]) as tmp:
        curves.to_csv(tmp, index=False)
    table = pd.DataFrame([asdict(s) for s in summaries])
    with atomic_path(files[1]) as tmp:
        table.to_csv(tmp, index=False)
    write_text(files[2], summary_markdown(summaries, full_scores, settings, comparison.notes))
    plot_learning_curves(
        curves,
        settings["metric"],
        float(np.mean(list(full_scores.values()))),
        files[3],
        settings["data"],
    )
    return [str(f) for f in files]
