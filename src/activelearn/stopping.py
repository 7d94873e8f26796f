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


@dataclass(kw_only=True)
class Signal:
    name: str
    met: bool | None  # None: not enough information yet
    value: float | None
    threshold: float | None
    detail: str


@dataclass(kw_only=True)
class StopDecision:
    recommended: bool
    reasons: list[str]  # the met signals' explanations
    signals: dict[str, Signal] = field(default_factory=dict)  # by name, for `jq .stop.signals.budget`


PLATEAU_NOISE_FRACTION = 0.5  # changes within this share of the interval's half-width are noise
PLATEAU_MAX_HALF_WIDTH = 0.05  # a macro-F1 interval wider than +-this cannot show a plateau


def decide(models: list, labeled: int, config) -> StopDecision:
    """Judge the recorded signals of the model versions (oldest first) against the config."""
    rounds = labeling_rounds(models)
    held = _too_few_labels(rounds, config)
    signals = [
        _held_back(_stabilizing(rounds, config), held),
        _held_back(_plateau(rounds, config), held),
        _held_back(_uncertainty(rounds, config), held),
        _budget(labeled, config),
    ]
    reasons = [s.detail for s in signals if s.met]
    return StopDecision(recommended=bool(reasons), reasons=reasons, signals={s.name: s for s in signals})


def _too_few_labels(rounds: list, config) -> str | None:
    """Why no model-based signal may say stop yet: the latest model was trained on fewer than
    `min_labels_per_class` labels of some class (a model that has seen a rare class a few times
    may predict it almost never, and then be sure of nearly every row); None otherwise. Records
    without labels per class are not held back."""
    counts = rounds[-1].labels_per_class if rounds else {}
    if not counts:
        return None
    minimum = config.stop_min_labels_per_class
    short = [c for c in config.classes if counts.get(c, 0) < minimum]
    if not short:
        return None
    if len(short) == 1:
        which = f"class {short[0]} has {counts.get(short[0], 0)}"
    else:
        which = (
            f"classes {', '.join(short[:-1])} and {short[-1]} have "
            f"{', '.join(str(counts.get(c, 0)) for c in short[:-1])} and {counts.get(short[-1], 0)}"
        )
    return f"not yet judged: {which} training labels, min_labels_per_class = {minimum}"


def _held_back(signal: Signal, held: str | None) -> Signal:
    """A model-based signal that would be met is not judged while a class has too few labels."""
    if held is None or not signal.met:
        return signal
    return Signal(
        name=signal.name,
        met=None,
        value=signal.value,
        threshold=signal.threshold,
        detail=f"{held} (otherwise: {signal.detail})",
    )


def labeling_rounds(models: list) -> list:
    """The models trained on labels other than their predecessor's: a forced retrain or a change of
    model settings on the same labels says nothing about whether more labels still pay off."""
    rounds, previous = [], None
    for m in models:
        if m.change in ("first", "labels"):
            rounds.append(m)
        elif not m.change and (previous is None or not m.labels_sha256 or m.labels_sha256 != previous.labels_sha256):
            rounds.append(m)  # recorded before `change`: judged by its labels
        previous = m
    return rounds


def _stabilizing(models: list, config) -> Signal:
    window, threshold = config.stop_window, config.stop_agreement
    kappas = [m.stop_signals.get("agreement") for m in models if m.stop_signals]
    kappas = [k for k in kappas if k is not None]
    recent = kappas[-window:]
    if len(recent) < window:
        return Signal(
            name="stabilizing_predictions",
            met=None,
            value=recent[-1] if recent else None,
            threshold=threshold,
            detail=f"needs {window} consecutive models compared on the stop set; {len(kappas)} so far"
            + (f" (latest kappa {recent[-1]:.3f})" if recent else ""),
        )
    lowest = min(recent)
    met = lowest >= threshold
    detail = (
        f"predictions have stabilized: the last {window} models agree with their predecessors "
        f"on the stop set with kappa >= {threshold:g} (lowest {lowest:.3f})"
        if met
        else f"predictions still change: kappa between consecutive models went {_series(recent)}, "
        f"lowest {lowest:.3f} (stop at >= {threshold:g} for {window} in a row)"
    )
    return Signal(name="stabilizing_predictions", met=met, value=lowest, threshold=threshold, detail=detail)


def _plateau(models: list, config) -> Signal:
    """Met when the last `window` models each changed evaluation macro-F1 by no more than the noise
    of its measurement: half the 95% interval's half-width (or `min_gain`, if larger). Judged only
    on models measured on the same evaluation set, with `min_eval_per_class` labels of every class
    in it and an interval narrow enough (PLATEAU_MAX_HALF_WIDTH) that a rise would show."""
    name, window = "evaluation_plateau", config.stop_window
    measured = [m for m in models if m.eval_metrics]
    if not measured:
        return Signal(
            name=name,
            met=None,
            value=None,
            threshold=None,
            detail="no model measured on evaluation labels yet (draw them with "
            "query --eval N, or import-labels --eval; then train)",
        )
    latest = measured[-1]
    comparable: list = []  # of the records in `models`, which are untyped here as everywhere in this module
    for m in reversed(measured):  # the latest models measured on the latest model's evaluation set
        if m.eval_sha256 != latest.eval_sha256 or not m.eval_sha256:
            break
        comparable.insert(0, m)
    metrics = latest.eval_metrics
    support = {c: metrics["per_class"].get(c, {}).get("support", 0) for c in config.classes}
    short = [c for c, n in support.items() if n < config.stop_min_eval_per_class]
    if short:
        return Signal(
            name=name,
            met=None,
            value=None,
            threshold=None,
            detail=f"too few evaluation labels to judge a plateau: {_counts(short, support)}; needs at "
            f"least {config.stop_min_eval_per_class} per class ([stop] min_eval_per_class)",
        )
    low, high = metrics["ci95"]["f1_macro"]
    half_width = round((high - low) / 2, 4)
    if half_width > PLATEAU_MAX_HALF_WIDTH:
        return Signal(
            name=name,
            met=None,
            value=None,
            threshold=None,
            detail=f"the evaluation set is too small to judge a plateau: macro-F1 {metrics['f1_macro']:.3f} "
            f"is known to +-{half_width:.3f} (95%); label more evaluation rows (query --eval N) "
            f"until it is +-{PLATEAU_MAX_HALF_WIDTH:.3f} or less",
        )
    if len(comparable) <= window:
        return Signal(
            name=name,
            met=None,
            value=None,
            threshold=None,
            detail=f"needs {window + 1} models trained on new labels and measured on the current "
            f"evaluation set; {len(comparable)} so far",
        )
    scores = [m.eval_metrics["f1_macro"] for m in comparable[-window - 1 :]]
    tolerance = round(max(config.stop_min_gain, PLATEAU_NOISE_FRACTION * half_width), 4)
    largest = round(max(abs(b - a) for a, b in zip(scores, scores[1:])), 4)
    net = round(scores[-1] - scores[0], 4)
    met = largest <= tolerance
    if met:
        detail = (
            f"evaluation macro-F1 has plateaued at {scores[-1]:.3f} [{low:.3f}, {high:.3f}]: it changed "
            f"at most {largest:.3f} from model to model over the last {window} (within +-{tolerance:.3f}, "
            + ("half its 95% interval)" if tolerance > config.stop_min_gain else "[stop] min_gain)")
        )
    else:
        moved = f"still rises: it gained {net:.3f}" if net > 0 else f"still changes: it dropped {-net:.3f}"
        detail = (
            f"evaluation macro-F1 {moved} over the last {window} models, by up to {largest:.3f} "
            f"from model to model (a plateau needs every change within +-{tolerance:.3f})"
        )
    return Signal(name=name, met=met, value=largest, threshold=tolerance, detail=detail)


def _uncertainty(models: list, config) -> Signal:
    """Met when the last `window` models were each unsure of at most the threshold share of the
    stop set: one confident early model (confidence is often misplaced early) is not enough."""
    window, threshold = config.stop_window, config.stop_uncertain_share
    shares = [m.stop_signals["uncertain_share"] for m in models if m.stop_signals]
    if not shares:
        return Signal(
            name="pool_uncertainty",
            met=None,
            value=None,
            threshold=threshold,
            detail="no model measured on the stop set yet",
        )
    share = shares[-1]
    if len(shares) < window:
        return Signal(
            name="pool_uncertainty",
            met=None,
            value=share,
            threshold=threshold,
            detail=f"{share:.1%} of the stop set is uncertain; needs {window} models trained on new labels "
            f"to judge, {len(shares)} so far",
        )
    highest = max(shares[-window:])
    met = highest <= threshold
    detail = (
        f"the models are sure of almost every row: at most {highest:.1%} of the stop set uncertain "
        f"over the last {window} models (threshold {threshold:.1%})"
        if met
        else f"up to {highest:.1%} of the stop set was uncertain over the last {window} models ({share:.1%} for "
        f"the latest; stop at {threshold:.1%} or less for {window} models)"
    )
    return Signal(name="pool_uncertainty", met=met, value=highest, threshold=threshold, detail=detail)


def _budget(labeled: int, config) -> Signal:
    if not config.budget:
        return Signal(
            name="budget",
            met=None,
            value=labeled,
            threshold=None,
            detail="no budget set ([stop] budget in activelearn.toml)",
        )
    met = labeled >= config.budget
    detail = (
        f"the label budget is spent: {labeled} of {config.budget} labels"
        if met
        else f"{labeled} of {config.budget} budgeted labels used"
    )
    return Signal(name="budget", met=met, value=labeled, threshold=config.budget, detail=detail)


def _counts(classes: list[str], support: dict[str, int]) -> str:
    """'a has 3', 'a, b have 5 each' or 'a 3, b 7'."""
    if len(classes) == 1:
        return f"{classes[0]} has {support[classes[0]]}"
    if len({support[c] for c in classes}) == 1:
        return f"{', '.join(classes)} have {support[classes[0]]} each"
    return ", ".join(f"{c} {support[c]}" for c in classes)


def _series(values: list[float]) -> str:
    return " -> ".join(f"{v:.3f}" for v in values)
