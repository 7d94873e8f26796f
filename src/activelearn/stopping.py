"""Stopping signals: is more labeling still paying off?

`train` measures each new model on a fixed random *stop set* of pool rows (`stop_set_signals`):
how far its predictions agree with the previous model's (Cohen's kappa; stabilizing predictions,
Bloodgood & Vijay-Shanker 2009) and how much of the stop set it is still unsure about. `status`
judges the recorded numbers against the `[stop]` thresholds (`decide`), together with the
evaluation-set plateau and the label budget. Judging is plain Python over state.json: `status`
imports no scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STOP_SET_ROWS = 1000  # rows of the pool the models are compared on (Bloodgood & Vijay-Shanker: a few thousand at most)
UNSURE_MARGIN = 0.2  # a row the model is unsure about: its two likeliest classes are this close


def stop_set_positions(pool_rows: int, seed: int):
    """The stop set: STOP_SET_ROWS positions of the pool drawn once from the project's seed, so
    every model of the project is compared on the same rows."""
    import numpy as np

    rng = np.random.default_rng([seed, 0x5709])
    return np.sort(rng.choice(pool_rows, size=min(STOP_SET_ROWS, pool_rows), replace=False))


def stop_set_signals(rows, scorer, previous_scorer) -> dict:
    """The new model's numbers on the stop set `rows`: agreement with the previous model (None
    for the first), the share of rows it is unsure about, and its mean margin."""
    import numpy as np

    from .agreement import kappa_of
    from .strategies import uncertainty_scores

    proba = scorer.predict_proba(rows)
    predicted = np.asarray(scorer.classes_)[proba.argmax(axis=1)]
    margin = 1.0 - uncertainty_scores(proba, "margin")  # the gap between the two likeliest classes
    agreement = kappa_of(previous_scorer.predict(rows), predicted) if previous_scorer is not None else None
    return {
        "rows": int(len(predicted)),
        "agreement": agreement,
        "uncertain_share": round(float(np.mean(margin < UNSURE_MARGIN)), 4),
        "mean_margin": round(float(np.mean(margin)), 4),
    }


@dataclass
class Signal:
    name: str
    met: bool | None  # None: not enough information yet
    value: float | None
    threshold: float | None
    detail: str


@dataclass
class StopDecision:
    recommended: bool
    reasons: list[str]  # the met signals' explanations
    signals: dict[str, Signal] = field(default_factory=dict)  # by name, for `jq .stop.signals.budget`


def decide(models: list, labeled: int, config) -> StopDecision:
    """Judge the recorded signals of the model versions (oldest first) against the config."""
    signals = [
        _stabilizing(models, config),
        _plateau(models, config),
        _uncertainty(models, config),
        _budget(labeled, config),
    ]
    reasons = [s.detail for s in signals if s.met]
    return StopDecision(bool(reasons), reasons, {s.name: s for s in signals})


def _stabilizing(models: list, config) -> Signal:
    window, threshold = config.stop_window, config.stop_agreement
    kappas = [m.stop_signals.get("agreement") for m in models if m.stop_signals]
    kappas = [k for k in kappas if k is not None]
    recent = kappas[-window:]
    if len(recent) < window:
        return Signal("stabilizing_predictions", None, recent[-1] if recent else None, threshold,
                      f"needs {window} consecutive models compared on the stop set; {len(kappas)} so far")
    lowest = min(recent)
    met = lowest >= threshold
    detail = (f"predictions have stabilized: the last {window} models agree with their predecessors "
              f"on the stop set with kappa >= {threshold:g} (lowest {lowest:.3f})" if met else
              f"predictions still change: kappa between consecutive models went {_series(recent)} "
              f"(stop at >= {threshold:g} for {window} in a row)")
    return Signal("stabilizing_predictions", met, lowest, threshold, detail)


def _plateau(models: list, config) -> Signal:
    window, gain_needed = config.stop_window, config.stop_min_gain
    scores = [m.eval_metrics["f1_macro"] for m in models if m.eval_metrics]
    if not scores:
        return Signal("evaluation_plateau", None, None, gain_needed,
                      "no model measured on evaluation labels yet (draw them with query --eval N, "
                      "or import-labels --eval; then train)")
    if len(scores) <= window:
        return Signal("evaluation_plateau", None, None, gain_needed,
                      f"needs {window + 1} evaluated models; {len(scores)} so far")
    gain = max(scores[-window:]) - max(scores[:-window])
    met = gain < gain_needed
    detail = (f"evaluation macro-F1 has plateaued: {gain:+.3f} over the last {window} models "
              f"(less than {gain_needed:g})" if met else
              f"evaluation macro-F1 still rises: {gain:+.3f} over the last {window} models")
    return Signal("evaluation_plateau", met, round(gain, 4), gain_needed, detail)


def _uncertainty(models: list, config) -> Signal:
    """Met when the last `window` models were each unsure of at most the threshold share of the
    stop set: one confident early model (confidence is often misplaced early) is not enough."""
    window, threshold = config.stop_window, config.stop_uncertain_share
    shares = [m.stop_signals["uncertain_share"] for m in models if m.stop_signals]
    if not shares:
        return Signal("pool_uncertainty", None, None, threshold, "no model measured on the stop set yet")
    share = shares[-1]
    if len(shares) < window:
        return Signal("pool_uncertainty", None, share, threshold,
                      f"{share:.1%} of the stop set is uncertain; needs {window} models to judge, {len(shares)} so far")
    highest = max(shares[-window:])
    met = highest <= threshold
    detail = (f"the models are sure of almost every row: at most {highest:.1%} of the stop set uncertain "
              f"over the last {window} models (threshold {threshold:.1%})" if met else
              f"{share:.1%} of the stop set is still uncertain (stop at {threshold:.1%} or less for {window} models)")
    return Signal("pool_uncertainty", met, highest, threshold, detail)


def _budget(labeled: int, config) -> Signal:
    if not config.budget:
        return Signal("budget", None, labeled, None, "no budget set ([stop] budget in activelearn.toml)")
    met = labeled >= config.budget
    detail = (f"the label budget is spent: {labeled} of {config.budget} labels" if met
              else f"{labeled} of {config.budget} budgeted labels used")
    return Signal("budget", met, labeled, config.budget, detail)


def _series(values: list[float]) -> str:
    return " -> ".join(f"{v:.3f}" for v in values)
