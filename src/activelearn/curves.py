"""Learning curves: the area under them, the labels needed to reach a target, how a strategy
compares with random sampling over paired seeds, and the summary tables that say so."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TIE_TOLERANCE = 0.002  # AULC differences smaller than this count as ties
ALPHA = 0.05  # the level at which a strategy counts as significantly worse than random


@dataclass(kw_only=True)
class StrategySummary:
    strategy: str
    aulc: float  # mean over seeds of the normalised area under the learning curve
    aulc_sd: float
    final: float  # mean score at the last point
    labels_95: float | None  # median over seeds of the labels needed to reach 95% of the full-pool score
    labels_99: float | None
    savings_95: float | None  # random's labels_95 / this strategy's (> 1: fewer labels needed)
    savings_is_lower_bound: bool  # random never reached the target within the budget
    wins: int  # seeds where its AULC beats random's
    ties: int
    losses: int
    p_value: float | None  # Wilcoxon signed-rank test of the paired AULC differences with random
    significantly_worse: bool


def area_under_curve(labels: np.ndarray, scores: np.ndarray) -> float:
    """Trapezoid area under score-versus-labels, divided by the span of labels: a mean score."""
    if len(labels) < 2:
        return float(scores[0]) if len(scores) else math.nan
    return float(np.trapezoid(scores, labels) / (labels[-1] - labels[0]))


def labels_to_reach(labels: np.ndarray, scores: np.ndarray, target: float) -> float | None:
    """The fewest labels at which the curve reaches `target`; None if it never does."""
    reached = np.flatnonzero(scores >= target)
    return float(labels[reached[0]]) if len(reached) else None


def summarize(
    curves: pd.DataFrame, full_scores: dict[int, float], metric: str, baseline: str = "random"
) -> list[StrategySummary]:
    """One summary per strategy, from curves with columns strategy, seed, labels and the metrics."""
    per_run = []
    for (strategy, seed), run in curves.groupby(["strategy", "seed"], sort=False):
        run = run.sort_values("labels")
        labels, scores = run["labels"].to_numpy(float), run[metric].to_numpy(float)
        full = full_scores[seed]
        per_run.append(
            {
                "strategy": strategy,
                "seed": seed,
                "aulc": area_under_curve(labels, scores),
                "final": scores[-1],
                "l95": labels_to_reach(labels, scores, 0.95 * full),
                "l99": labels_to_reach(labels, scores, 0.99 * full),
                "budget": labels[-1],
            }
        )
    runs = pd.DataFrame(per_run)
    base = runs[runs["strategy"] == baseline].set_index("seed")
    summaries = []
    for strategy in dict.fromkeys(curves["strategy"]):
        mine = runs[runs["strategy"] == strategy].set_index("seed")
        l95, l99 = median_reached(mine["l95"]), median_reached(mine["l99"])
        base_l95 = median_reached(base["l95"]) if len(base) else None
        savings, lower_bound = None, False
        if l95 and len(base):
            if base_l95 is None:
                savings, lower_bound = float(base["budget"].max()) / l95, True
            else:
                savings = base_l95 / l95
        pairs = pd.concat([mine["aulc"], base["aulc"]], axis=1, keys=["mine", "base"]).dropna()
        against = paired(pairs["mine"].to_numpy(), pairs["base"].to_numpy())
        p_value = against.p_value if strategy != baseline else None
        summaries.append(
            StrategySummary(
                strategy=strategy,
                aulc=round(float(mine["aulc"].mean()), 4),
                aulc_sd=round(float(mine["aulc"].std(ddof=1)) if len(mine) > 1 else 0.0, 4),
                final=round(float(mine["final"].mean()), 4),
                labels_95=l95,
                labels_99=l99,
                savings_95=round(savings, 2) if savings else None,
                savings_is_lower_bound=lower_bound,
                wins=against.wins,
                ties=against.ties,
                losses=against.losses,
                p_value=None if p_value is None else round(p_value, 4),
                significantly_worse=against.significantly_worse,  # never the baseline: its differences are 0
            )
        )
    return summaries


@dataclass(frozen=True)
class Paired:
    """One curve set against another over paired seeds (AULCs, mine minus theirs)."""

    wins: int  # seeds where mine is higher by more than TIE_TOLERANCE
    ties: int
    losses: int
    p_value: float | None  # two-sided Wilcoxon signed-rank test; None with fewer than 2 pairs
    mean_difference: float

    @property
    def significantly_worse(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA and self.mean_difference < 0


def paired(mine: np.ndarray, other: np.ndarray) -> Paired:
    """Wins, ties and losses of `mine` against `other` (the same seeds in the same order), and the
    Wilcoxon p-value of the differences: 1 when they are all zero."""
    diffs = np.asarray(mine, float) - np.asarray(other, float)
    if len(diffs) < 2:
        p_value = None
    elif not np.any(np.abs(diffs) > 1e-12):
        p_value = 1.0
    else:
        p_value = _wilcoxon(tuple(diffs.tolist()))
    return Paired(
        wins=int((diffs > TIE_TOLERANCE).sum()),
        ties=int((np.abs(diffs) <= TIE_TOLERANCE).sum()),
        losses=int((diffs < -TIE_TOLERANCE).sum()),
        p_value=p_value,
        mean_difference=float(np.mean(diffs)) if len(diffs) else math.nan,
    )


@functools.cache
def _wilcoxon(diffs: tuple[float, ...]) -> float:
    """The two-sided p-value (cached: with a tie or a zero, scipy's exact test takes a quarter
    second, and a report compares the same pairs many times)."""
    from scipy.stats import wilcoxon

    return float(wilcoxon(np.array(diffs)).pvalue)


def smallest_p_value(pairs: int) -> float:
    """The smallest two-sided p-value the exact Wilcoxon signed-rank test can give on `pairs`
    paired differences: when all have the same sign, 2 / 2^pairs."""
    return 2 / 2**pairs


def repeats_needed(alpha: float = ALPHA) -> int:
    """The fewest paired seeds with which the Wilcoxon test can reach p < alpha (6 for 0.05)."""
    pairs = 1
    while smallest_p_value(pairs) >= alpha:
        pairs += 1
    return pairs


def significance_note(repeats: int, alpha: float = ALPHA) -> str | None:
    """Why the p-values cannot show anything with so few repeats; None when they can."""
    if smallest_p_value(repeats) < alpha:
        return None
    return (
        f"with {repeats} repeat{'s' * (repeats != 1)} the Wilcoxon test cannot reach p < {alpha:g}; "
        f"use --repeats {repeats_needed(alpha)} or more"
    )


def median_reached(values) -> float | None:
    """The median over seeds of the labels each needed to reach a target (labels_to_reach), counting
    a seed that never reached it (None or NaN) as infinitely late; None when fewer than half did."""
    filled = pd.Series(values, dtype=float).fillna(math.inf).to_numpy()
    median = float(np.median(filled))
    return None if math.isinf(median) else median


# --- the summary of a simulation ----------------------------------------------------------------


def summary_markdown(summaries, full_scores, settings: dict, notes: Sequence[str] = ()) -> str:
    """summary.md: the settings, the notes, the table of strategies and how to read it."""
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
    """The strategies as a Markdown table: AULC, final score, labels to 95%/99%, savings, W/T/L, p."""
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
