"""Metrics on the evaluation set, with 95% confidence intervals from its size.

Plain numpy, the same definitions as scikit-learn's `accuracy`, `balanced_accuracy` and
`f1_macro` scorers (tested against them), so that they sit next to the cross-validated numbers.
Accuracy gets a Wilson score interval; balanced accuracy and macro-F1 a seeded percentile
bootstrap over the evaluation rows.
"""

from __future__ import annotations

import numpy as np

# The metrics every model, curve, plot and summary reports, in this order, and their names in words
METRICS = ("accuracy", "balanced_accuracy", "f1_macro")
METRIC_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "f1_macro": "macro-F1"}
Z95 = 1.959963984540054
BOOTSTRAP_SAMPLES = 1000


def scores(y_true, y_pred) -> dict[str, float]:
    """The METRICS of the predictions `y_pred` of the labels `y_true`, each rounded to 4 places."""
    y_true, y_pred = np.asarray(y_true, dtype=str), np.asarray(y_pred, dtype=str)
    tp, predicted, actual = _counts(y_true, y_pred, np.union1d(y_true, y_pred))
    return _scores(tp, predicted, actual, len(y_true))


def classification_metrics(y_true, y_pred) -> dict:
    """accuracy, balanced_accuracy, f1_macro and per-class precision / recall / support."""
    y_true, y_pred = np.asarray(y_true, dtype=str), np.asarray(y_pred, dtype=str)
    labels = np.union1d(y_true, y_pred)
    tp, predicted, actual = _counts(y_true, y_pred, labels)
    scores = _scores(tp, predicted, actual, len(y_true))
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(actual > 0, tp / actual, 0.0)
    scores["per_class"] = {
        str(c): {"precision": round(float(p), 4), "recall": round(float(r), 4), "support": int(n)}
        for c, p, r, n in zip(labels, precision, recall, actual, strict=True)
    }
    return scores


def evaluate(y_true, y_pred, seed: int = 0) -> dict:
    """The metrics, their 95% intervals (`ci95`) and the number of evaluation labels (`n`)."""
    y_true, y_pred = np.asarray(y_true, dtype=str), np.asarray(y_pred, dtype=str)
    result = classification_metrics(y_true, y_pred)
    n = len(y_true)
    result["n"] = n
    accuracy = wilson_interval(round(result["accuracy"] * n), n)
    others = _bootstrap(y_true, y_pred, seed)
    for name, (low, high) in others.items():
        if high - low < 1e-9:
            # every answer right (or every one wrong): each resample is the same and the percentile
            # interval shrinks to a point; the Wilson interval says how far off n labels may be
            others[name] = [round(min(low, accuracy[0]), 4), round(max(high, accuracy[1]), 4)]
    result["ci95"] = {"accuracy": accuracy, **others}
    return result


def few_labels_note(metrics: dict | None, minimum: int) -> str:
    """Why a macro-F1 interval is wide: '(3 labels of other: too few to pin down macro-F1; ...)'
    when a class has fewer than `minimum` evaluation labels (a resample may hold none of them, and
    that class's F1 then swings between 0 and 1); '' otherwise."""
    if not metrics:
        return ""
    short = {c: m["support"] for c, m in metrics["per_class"].items() if 0 < m.get("support", minimum) < minimum}
    if not short:
        return ""
    which = ", ".join(f"{n} label{'s' * (n != 1)} of {c}" for c, n in short.items())
    return f"({which}: too few to pin down macro-F1; [stop] min_eval_per_class = {minimum})"


def wilson_interval(successes: int, n: int) -> list[float]:
    """The Wilson score interval of a proportion (sound for small n and for 0% or 100%)."""
    if n == 0:
        return [0.0, 1.0]
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def _bootstrap(y_true: np.ndarray, y_pred: np.ndarray, seed: int) -> dict[str, list[float]]:
    labels = np.union1d(y_true, y_pred)
    true_codes, pred_codes = np.searchsorted(labels, y_true), np.searchsorted(labels, y_pred)
    rng = np.random.default_rng([seed, len(y_true)])
    draws = rng.integers(0, len(y_true), size=(BOOTSTRAP_SAMPLES, len(y_true)))
    k = len(labels)
    # per resample, counts per label: true positives, predicted, actual
    hits = np.where(true_codes == pred_codes, true_codes, k)  # k: a miss
    tp = _bincount_rows(hits[draws], k + 1)[:, :k]
    predicted = _bincount_rows(pred_codes[draws], k)
    actual = _bincount_rows(true_codes[draws], k)
    balanced, f1 = [], []
    for row in range(BOOTSTRAP_SAMPLES):
        s = _scores(tp[row], predicted[row], actual[row], len(y_true))
        balanced.append(s["balanced_accuracy"])
        f1.append(s["f1_macro"])
    return {
        name: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
        for name, v in (("balanced_accuracy", balanced), ("f1_macro", f1))
    }


def _bincount_rows(codes: np.ndarray, width: int) -> np.ndarray:
    offsets = codes + width * np.arange(codes.shape[0])[:, None]
    return np.bincount(offsets.ravel(), minlength=width * codes.shape[0]).reshape(codes.shape[0], width)


def _counts(y_true, y_pred, labels):
    tp = np.array([np.sum((y_true == c) & (y_pred == c)) for c in labels], dtype=float)
    predicted = np.array([np.sum(y_pred == c) for c in labels], dtype=float)
    actual = np.array([np.sum(y_true == c) for c in labels], dtype=float)
    return tp, predicted, actual


def _scores(tp, predicted, actual, n: int) -> dict:
    """scikit-learn's definitions: balanced accuracy averages recall over the classes present in
    y_true; macro-F1 averages F1 over every class in y_true or y_pred (0 where undefined)."""
    present = actual > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(present, tp / actual, 0.0)
        denominator = predicted + actual
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)
    return {
        "accuracy": round(float(tp.sum() / n), 4) if n else 0.0,
        "balanced_accuracy": round(float(recall[present].mean()), 4) if present.any() else 0.0,
        "f1_macro": round(float(f1.mean()), 4) if len(f1) else 0.0,
    }


def exploration_estimate(batches, log, seed: int = 0) -> dict | None:
    """The metrics (as `evaluate`, with `batches`: how many batches the rows came from) of the
    predictions recorded for the explored rows of training batches against their current labels;
    None when no explored row has a label yet.

    A row counts once answered in the batch that drew it (an answer logged under another batch,
    after a release, came through a choice that was not random). Each prediction is that of the
    model that chose its batch, made before the answer: a uniform sample of the unlabeled pool as
    each model saw it, so the pooled figure is an unbiased estimate of those models' performance
    there, each at its time. Skipped rows have no label and are left out.
    """
    from .labels import current_labels

    explored = [(b.name, i, p) for b in batches if b.explored and not b.evaluation for i, p in b.explored.items()]
    if not explored:
        return None
    current = current_labels(log, evaluation=False)
    labeled = current[current["kind"] == "label"]
    label_of = dict(zip(labeled["id"].astype(str), labeled["label"].astype(str)))
    answered = log[~log["evaluation"].astype(bool) & log["batch"].notna()]
    offered = set(zip(answered["batch"].astype(str), answered["id"].astype(str)))
    counted = [(name, label_of[i], p) for name, i, p in explored if i in label_of and (name, i) in offered]
    if not counted:
        return None
    result = evaluate([t for _, t, _ in counted], [p for _, _, p in counted], seed)
    result["batches"] = len({name for name, _, _ in counted})
    return result
