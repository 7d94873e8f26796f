"""Plots written as PNG files (matplotlib, without a display)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .evaluation import METRIC_NAMES
from .storage import atomic_path


def plot_learning_curves(curves: pd.DataFrame, metric: str, full_score: float, path: Path, title: str) -> None:
    """Mean score per strategy against labels, with a band of one standard deviation over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5), dpi=120)
    for strategy, runs in curves.groupby("strategy", sort=False):
        stats = runs.groupby("labels")[metric].agg(["mean", "std"]).fillna(0.0)
        line = axes.plot(
            stats.index,
            stats["mean"],
            label=strategy,
            linewidth=2 if strategy == "random" else 1.5,
            linestyle="--" if strategy == "random" else "-",
        )
        axes.fill_between(
            stats.index,
            (stats["mean"] - stats["std"]).clip(0, 1),
            (stats["mean"] + stats["std"]).clip(0, 1),
            color=line[0].get_color(),
            alpha=0.15,
        )
    axes.axhline(full_score, color="black", linewidth=1, label="trained on the whole pool")
    axes.axhline(0.95 * full_score, color="grey", linewidth=1, linestyle=":", label="95% of that")
    axes.set_xlabel("labels")
    axes.set_ylabel(f"{METRIC_NAMES.get(metric, metric)} on held-out rows")
    axes.set_title(f"learning curves: {Path(title).name}")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize="small")
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)


def plot_project_curve(models: list, path: Path, title: str) -> list[str]:
    """A project's learning curve: metrics of each model version against the labels it learned
    from (cross-validated, and on the evaluation set with its 95% interval), and labels per class.
    Returns the names of the series drawn, as the legends show them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [m.n_labels for m in models]
    figure, (scores, counts) = plt.subplots(
        2, 1, figsize=(8, 7), dpi=120, sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    _draw_scores(scores, models, labels, title)
    _draw_counts(counts, models, labels)
    figure.tight_layout()
    drawn = [
        text.get_text() for axes in (scores, counts) if axes.get_legend() for text in axes.get_legend().get_texts()
    ]
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)
    return drawn


def _draw_scores(scores, models: list, labels: list[int], title: str) -> None:
    """The upper axes: cross-validated and evaluation metrics per model version, with the 95% band."""
    for key, style in (("f1_macro", "-"), ("accuracy", "--")):
        cv = [(n, m.cv_metrics[key]) for n, m in zip(labels, models, strict=True) if m.cv_metrics]
        if cv:
            scores.plot(
                *zip(*cv),
                style,
                marker="o",
                color="tab:blue",
                label=f"cross-validated {METRIC_NAMES[key]}",
            )
        evaluated = [(n, m.eval_metrics) for n, m in zip(labels, models, strict=True) if m.eval_metrics]
        if evaluated:
            xs = [n for n, _ in evaluated]
            scores.plot(
                xs,
                [e[key] for _, e in evaluated],
                style,
                marker="s",
                color="tab:orange",
                label=f"evaluation {METRIC_NAMES[key]}",
            )
            if key == "f1_macro":
                scores.fill_between(
                    xs,
                    [e["ci95"][key][0] for _, e in evaluated],
                    [e["ci95"][key][1] for _, e in evaluated],
                    color="tab:orange",
                    alpha=0.2,
                    label="evaluation macro-F1, 95% interval",
                )
    scores.set_ylabel("score")
    scores.set_ylim(0, 1.02)
    scores.set_title(f"learning curve: {title}")
    scores.grid(alpha=0.3)
    if scores.get_legend_handles_labels()[0]:
        scores.legend(loc="lower right", fontsize="small")
    else:
        scores.text(
            0.5,
            0.5,
            "no metrics yet: too few labels per class for cross-validation, and no evaluation labels",
            ha="center",
            va="center",
            transform=scores.transAxes,
            fontsize="small",
        )


def _draw_counts(counts, models: list, labels: list[int]) -> None:
    """The lower axes: each model version's labels per class, stacked."""
    classes = list(dict.fromkeys(c for m in models for c in m.labels_per_class))
    bottom = [0] * len(models)
    for name in classes:
        heights = [m.labels_per_class.get(name, 0) for m in models]
        counts.bar(labels, heights, bottom=bottom, width=_bar_width(labels), label=name)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    counts.set_xlabel("labels trained on")
    counts.set_ylabel("labels per class")
    counts.grid(alpha=0.3, axis="y")
    counts.legend(loc="upper left", fontsize="small", ncol=min(4, max(1, len(classes))))


def _bar_width(xs: list[int]) -> float:
    gaps = [b - a for a, b in zip(sorted(xs), sorted(xs)[1:], strict=False) if b > a]
    return 0.6 * min(gaps) if gaps else 1.0
