"""What `train`, `predict` and `simulate` print: a model's measurements in words, and where its predictions went."""

from __future__ import annotations

from .render import info, per_class, plural, print


def _metrics(metrics: dict | None, folds: int) -> str:
    from .evaluation import METRIC_NAMES, METRICS

    if not metrics:
        return "too few labels per class for cross-validation"
    return f"cv {', '.join(f'{METRIC_NAMES[name]} {metrics[name]:.3f}' for name in METRICS)} ({folds} folds)"


def train_result(result, opts) -> None:
    if result.reevaluated:
        print(
            f"model {result.version} is up to date; measured again on the evaluation set: "
            f"{eval_metrics(result.eval_metrics)}" + (f" {result.eval_note}" if result.eval_note else "")
        )
        return
    if result.up_to_date:
        print(f"model {result.version} is up to date: nothing changed since it was trained on {result.n_labels} labels")
        return
    line = (
        f"model {result.version}: {result.model} on {result.n_labels} labels "
        f"({per_class(result.labels_per_class)}); {_metrics(result.cv_metrics, result.cv_folds)}"
    )
    if result.eval_metrics:
        line += f"; evaluation {eval_metrics(result.eval_metrics)}" + (
            f" {result.eval_note}" if result.eval_note else ""
        )
    print(line)
    for text in per_class_scores(result.eval_metrics, result.cv_metrics, result.cv_folds):
        print(text)


def per_class_scores(eval_metrics: dict | None, cv_metrics: dict | None, folds: int, title: str = "") -> list[str]:
    """Precision and recall per class, on the evaluation set and cross-validated: one line each."""
    lines = []
    pooled = ", pooled" if cv_metrics and cv_metrics.get("per_class_pooled") else ""  # older models: fold means
    for metrics, name in (
        (eval_metrics, "evaluation per class:"),
        (cv_metrics, f"cross-validated per class ({folds} folds{pooled}):"),
    ):
        if not metrics or not metrics.get("per_class"):
            continue
        lines.append(f"{title}{name}")
        width = max(len(c) for c in metrics["per_class"])
        for label, m in metrics["per_class"].items():
            support = f"  {m['support']} labels" if "support" in m else ""
            lines.append(f"  {label.ljust(width)}  precision {m['precision']:.3f}  recall {m['recall']:.3f}{support}")
    return lines


def eval_metrics(metrics: dict | None) -> str:
    """Evaluation metrics with their 95% intervals, e.g. 'on 40 labels: accuracy 0.900 [0.770, 0.960], ...'."""
    from .evaluation import METRIC_NAMES, METRICS

    if not metrics:
        return "no evaluation labels"
    parts = [
        f"{METRIC_NAMES[name]} {metrics[name]:.3f} [{metrics['ci95'][name][0]:.3f}, {metrics['ci95'][name][1]:.3f}]"
        for name in METRICS
    ]
    return f"on {metrics['n']} label{'s' * (metrics['n'] != 1)}: " + ", ".join(parts)


def predict_result(result, opts) -> None:
    source = "the pool" if result.source == "pool" else result.source
    ids = ", ids generated (r000001 ...)" if result.generated_ids and result.source != "pool" else ""
    info(
        f"{plural(result.rows, 'row')} of {source} predicted by model {result.model_version}{ids}",
        opts,
    )
    print(result.file)


def simulate_result(result, opts) -> None:
    from .curves import summary_table

    info(
        f"{result.rows} labeled rows, {len(result.classes)} classes, {result.repeats} seeds; "
        f"full-pool {result.metric} {result.full_pool_score:.3f}; wrote {', '.join(result.files)}",
        opts,
    )
    print(summary_table(result.strategies))
