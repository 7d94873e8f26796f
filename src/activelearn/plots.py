"""Plots written as PNG files (matplotlib, without a display)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .storage import atomic_path

METRIC_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "f1_macro": "macro-F1"}


def plot_learning_curves(curves: pd.DataFrame, metric: str, full_score: float, path: Path, title: str) -> None:
    """Mean score per strategy against labels, with a band of one standard deviation over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5), dpi=120)
    for strategy, runs in curves.groupby("strategy", sort=False):
        stats = runs.groupby("labels")[metric].agg(["mean", "std"]).fillna(0.0)
        line = axes.plot(stats.index, stats["mean"], label=strategy, linewidth=2 if strategy == "random" else 1.5,
                         linestyle="--" if strategy == "random" else "-")
        axes.fill_between(stats.index, (stats["mean"] - stats["std"]).clip(0, 1), (stats["mean"] + stats["std"]).clip(0, 1),
                          color=line[0].get_color(), alpha=0.15)
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
