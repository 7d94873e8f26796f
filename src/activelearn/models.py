"""Model presets as scikit-learn pipelines, and fitting them with cross-validated metrics (model_files.py
saves and loads them)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline

from .config import CLASS_WEIGHTS
from .errors import NotEnoughLabelsError
from .features import build_features, explained_fit_errors
from .progress import phase

CV_MAX_FOLDS = 5


@dataclass(frozen=True)
class Preset:
    name: str
    dense: bool = False  # the model needs a dense matrix
    scaling: str = "standard"

    @property
    def feature_settings(self) -> dict:
        """The preset's settings of `features.build_features` (what of the features it shapes)."""
        return {"dense": self.dense, "scaling": self.scaling}

    def estimator(self, seed: int, labels: np.ndarray, *, class_weight: str = "none"):
        """The preset's estimator; with class_weight "balanced", every class counts equally in the
        loss (each row weighs n / (classes * rows of its class)). The weights are parameters of the
        estimator, so every clone (committee members, cross-validation folds) fits with them too."""
        if class_weight not in CLASS_WEIGHTS:
            raise ValueError(f"unknown class weighting {class_weight!r}")
        balanced = {"class_weight": "balanced"} if class_weight == "balanced" else {}
        if self.name == "logistic":
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(max_iter=2000, random_state=seed, **balanced)
        if self.name == "random-forest":
            from sklearn.ensemble import RandomForestClassifier

            return RandomForestClassifier(n_estimators=200, random_state=seed, **balanced)
        if self.name == "gradient-boosting":
            from sklearn.ensemble import HistGradientBoostingClassifier

            return HistGradientBoostingClassifier(random_state=seed, **balanced)
        if self.name == "naive-bayes":
            # MultinomialNB has no class_weight; uniform priors alone (fit_prior=False) would still
            # smooth against unweighted counts
            return WeightedMultinomialNB(alpha=0.1, **balanced) if balanced else MultinomialNB(alpha=0.1)
        if self.name == "linear-svm":
            from sklearn.svm import LinearSVC

            folds = min(3, _smallest_class(labels))
            if folds < 2:
                raise NotEnoughLabelsError(
                    "linear-svm calibrates its probabilities by cross-validation and needs at "
                    "least 2 labels of every class; label more rows or use another [model] name"
                )
            if balanced:  # the calibration is weighted too: fitted without, it would undo the weights
                return WeightedCalibratedClassifierCV(LinearSVC(random_state=seed), cv=folds, **balanced)
            return CalibratedClassifierCV(LinearSVC(random_state=seed), cv=folds)
        raise ValueError(f"unknown model preset {self.name!r}")


class _ClassWeighted:
    """fit() weighs each row so that every class counts equally in total, as class_weight="balanced"
    does where scikit-learn has it (times any weights the caller passes). scikit-learn checks only
    the parameters it declares; compute_sample_weight refuses a class_weight it does not know."""

    class_weight: object  # set by the __init__ of each class this is mixed into, as scikit-learn wants

    def fit(self, X, y, sample_weight=None, **fit_params):
        if self.class_weight is not None:
            from sklearn.utils.class_weight import compute_sample_weight

            weights = compute_sample_weight(self.class_weight, y)
            sample_weight = weights if sample_weight is None else weights * np.asarray(sample_weight)
        # fit is the scikit-learn estimator's this is mixed into, which mypy cannot see (no stubs)
        return super().fit(X, y, sample_weight=sample_weight, **fit_params)  # type: ignore[misc]


class WeightedMultinomialNB(_ClassWeighted, MultinomialNB):
    """MultinomialNB with class_weight: exactly MultinomialNB fitted with balanced sample weights
    (equal class priors, and feature counts weighted before smoothing)."""

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None, class_weight=None):
        super().__init__(alpha=alpha, force_alpha=force_alpha, fit_prior=fit_prior, class_prior=class_prior)
        self.class_weight = class_weight


class WeightedCalibratedClassifierCV(_ClassWeighted, CalibratedClassifierCV):
    """CalibratedClassifierCV with class_weight: the weights reach both the estimator and the
    sigmoid calibration fitted on its held-out scores."""

    def __init__(
        self,
        estimator=None,
        *,
        method="sigmoid",
        cv=None,
        n_jobs=None,
        ensemble="auto",
        class_weight=None,
    ):
        super().__init__(estimator, method=method, cv=cv, n_jobs=n_jobs, ensemble=ensemble)
        self.class_weight = class_weight


PRESETS = {
    p.name: p
    for p in (
        Preset("logistic"),
        Preset("random-forest"),
        Preset("gradient-boosting", dense=True),
        Preset("naive-bayes", scaling="minmax"),
        Preset("linear-svm"),
    )
}


def _smallest_class(labels: np.ndarray) -> int:
    return int(np.unique(labels, return_counts=True)[1].min())


def build_pipeline(
    model: str,
    columns: dict[str, str],
    seed: int,
    labels: np.ndarray,
    month_first=None,
    *,
    class_weight: str = "none",
    features=None,
    text: str = "tfidf",
):
    """features + the preset's estimator, ready to fit on raw pool rows (`month_first`, `text`: see
    features.build_features; `class_weight`: see Preset.estimator). `features`: already fitted ones
    (pool_features.FrozenFeatures), which fitting the pipeline leaves as they are, instead of new
    ones fitted with the estimator."""
    if features is None:
        features = preset_features(model, columns, month_first, text=text)
    estimator = PRESETS[model].estimator(seed, labels, class_weight=class_weight)
    return Pipeline([("features", features), ("model", estimator)])


def preset_features(model: str, columns: dict[str, str], month_first=None, *, text: str = "tfidf"):
    """The unfitted features the preset `model` takes (features.build_features, with its settings)."""
    return build_features(columns, **PRESETS[model].feature_settings, month_first=month_first, text=text)


@dataclass(kw_only=True)
class FitResult:
    pipeline: Pipeline  # fitted
    cv_metrics: dict | None  # accuracy, balanced_accuracy, f1_macro and per_class
    cv_folds: int
    fit_seconds: float


def fit_model(
    model: str,
    columns: dict[str, str],
    seed: int,
    X,
    y: np.ndarray,
    *,
    cross_validate: bool = True,
    month_first=None,
    class_weight: str = "none",
    features=None,
    text: str = "tfidf",
) -> FitResult:
    """Fit the preset on every row of X and, unless told not to, estimate its quality by
    stratified cross-validation. With `features` (fitted on the pool, frozen), only the estimator
    is fitted, in every fold too."""
    import time

    classes = np.unique(y)
    if len(classes) < 2:
        found = f"only {classes[0]!r}" if len(classes) else "none"
        raise NotEnoughLabelsError(
            f"training needs labels of at least 2 classes; found {found}. "
            "Label more rows (activelearn query, then import-labels)"
        )
    if cross_validate:
        phase("cross-validating")
    cv_metrics, folds = (
        cross_validated_metrics(
            model,
            columns,
            seed,
            X,
            y,
            month_first,
            class_weight=class_weight,
            features=features,
            text=text,
        )
        if cross_validate
        else (None, 0)
    )
    phase("fitting")
    started = time.perf_counter()
    pipeline = build_pipeline(
        model,
        columns,
        seed,
        y,
        month_first,
        class_weight=class_weight,
        features=features,
        text=text,
    )
    with warnings.catch_warnings(), explained_fit_errors(columns, len(y)):
        warnings.simplefilter("ignore", category=UserWarning)  # e.g. convergence on tiny sets
        pipeline.fit(X, y)
    return FitResult(
        pipeline=pipeline, cv_metrics=cv_metrics, cv_folds=folds, fit_seconds=round(time.perf_counter() - started, 3)
    )


def cross_validated_metrics(
    model,
    columns,
    seed,
    X,
    y,
    month_first=None,
    *,
    class_weight: str = "none",
    features=None,
    text: str = "tfidf",
) -> tuple[dict | None, int]:
    """Accuracy, balanced accuracy and macro-F1, means over stratified folds, and precision and
    recall per class (`per_class`) from the out-of-fold predictions of the same folds pooled
    (`per_class_pooled`): a mean over folds would count a fold that never predicts a class as
    precision 0. None with too few labels."""
    from sklearn.model_selection import StratifiedKFold, cross_validate

    from .evaluation import METRICS, classification_metrics

    folds = min(CV_MAX_FOLDS, _smallest_class(y))
    if folds < 2:
        return None, 0
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    classes = [str(c) for c in np.unique(y)]
    scoring = {name: name for name in METRICS}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = cross_validate(
                build_pipeline(
                    model,
                    columns,
                    seed,
                    y,
                    month_first,
                    class_weight=class_weight,
                    features=features,
                    text=text,
                ),
                X,
                y,
                cv=splitter,
                scoring=scoring,
                error_score=np.nan,
                return_estimator=True,
                return_indices=True,
            )
    except (ValueError, NotEnoughLabelsError):
        # every fold failed: e.g. linear-svm's own calibration folds have too few labels
        return None, 0
    metrics = {name: float(np.mean(scores[f"test_{name}"])) for name in METRICS}
    if any(np.isnan(v) for v in metrics.values()):
        return None, 0
    out_of_fold = np.empty(len(y), dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for estimator, test in zip(scores["estimator"], scores["indices"]["test"], strict=True):
            rows = X.iloc[test] if hasattr(X, "iloc") else X[test]
            out_of_fold[test] = estimator.predict(rows)
    pooled = classification_metrics(np.asarray(y), out_of_fold)["per_class"]
    per_class = {
        label: {kind: pooled.get(label, {}).get(kind, 0.0) for kind in ("precision", "recall")} for label in classes
    }
    return {
        **{k: round(v, 4) for k, v in metrics.items()},
        "per_class": per_class,
        "per_class_pooled": True,
    }, folds
