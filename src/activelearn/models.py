"""Model presets as scikit-learn pipelines; fitting with cross-validated metrics; saving and loading."""

from __future__ import annotations

import platform
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import NotEnoughLabelsError, StateError
from .features import build_features, explained_fit_errors
from .progress import phase

CV_MAX_FOLDS = 5


@dataclass(frozen=True)
class Preset:
    name: str
    dense: bool = False  # the model needs a dense matrix
    scaling: str = "standard"

    def estimator(self, seed: int, labels: np.ndarray):
        if self.name == "logistic":
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(max_iter=2000, random_state=seed)
        if self.name == "random-forest":
            from sklearn.ensemble import RandomForestClassifier

            return RandomForestClassifier(n_estimators=200, random_state=seed)
        if self.name == "gradient-boosting":
            from sklearn.ensemble import HistGradientBoostingClassifier

            return HistGradientBoostingClassifier(random_state=seed)
        if self.name == "naive-bayes":
            from sklearn.naive_bayes import MultinomialNB

            return MultinomialNB(alpha=0.1)
        if self.name == "linear-svm":
            from sklearn.calibration import CalibratedClassifierCV
            from sklearn.svm import LinearSVC

            folds = min(3, _smallest_class(labels))
            if folds < 2:
                raise NotEnoughLabelsError(
                    "linear-svm calibrates its probabilities by cross-validation and needs at "
                    "least 2 labels of every class; label more rows or use another [model] name"
                )
            return CalibratedClassifierCV(LinearSVC(random_state=seed), cv=folds)
        raise ValueError(f"unknown model preset {self.name!r}")


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


def build_pipeline(model: str, columns: dict[str, str], seed: int, labels: np.ndarray, month_first=None):
    """features + the preset's estimator, ready to fit on raw pool rows (`month_first`: see
    features.build_features)."""
    from sklearn.pipeline import Pipeline

    preset = PRESETS[model]
    features = build_features(columns, dense=preset.dense, scaling=preset.scaling, month_first=month_first)
    return Pipeline([("features", features), ("model", preset.estimator(seed, labels))])


@dataclass
class FitResult:
    pipeline: object
    cv_metrics: dict | None  # accuracy, balanced_accuracy, f1_macro and per_class
    cv_folds: int
    fit_seconds: float


def fit_model(
    model: str, columns: dict[str, str], seed: int, X, y: np.ndarray, *, cross_validate: bool = True,
    month_first=None,
) -> FitResult:
    """Fit the preset on every row of X and, unless told not to, estimate its quality by
    stratified cross-validation."""
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
    cv_metrics, folds = cross_validated_metrics(model, columns, seed, X, y, month_first) if cross_validate else (None, 0)
    phase("fitting")
    started = time.perf_counter()
    pipeline = build_pipeline(model, columns, seed, y, month_first)
    with warnings.catch_warnings(), explained_fit_errors(columns, len(y)):
        warnings.simplefilter("ignore", category=UserWarning)  # e.g. convergence on tiny sets
        pipeline.fit(X, y)
    return FitResult(pipeline, cv_metrics, folds, round(time.perf_counter() - started, 3))


def cross_validated_metrics(model, columns, seed, X, y, month_first=None) -> tuple[dict | None, int]:
    """Accuracy, balanced accuracy and macro-F1, means over stratified folds, and precision and
    recall per class (`per_class`) from the out-of-fold predictions of the same folds pooled
    (`per_class_pooled`): a mean over folds would count a fold that never predicts a class as
    precision 0. None with too few labels."""
    from sklearn.model_selection import StratifiedKFold, cross_validate

    from .evaluation import classification_metrics

    folds = min(CV_MAX_FOLDS, _smallest_class(y))
    if folds < 2:
        return None, 0
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    classes = [str(c) for c in np.unique(y)]
    scoring = {name: name for name in ("accuracy", "balanced_accuracy", "f1_macro")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = cross_validate(
                build_pipeline(model, columns, seed, y, month_first),
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
    metrics = {
        name: float(np.mean(scores[f"test_{name}"]))
        for name in ("accuracy", "balanced_accuracy", "f1_macro")
    }
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
        label: {kind: pooled.get(label, {}).get(kind, 0.0) for kind in ("precision", "recall")}
        for label in classes
    }
    return {**{k: round(v, 4) for k, v in metrics.items()}, "per_class": per_class, "per_class_pooled": True}, folds


def library_versions() -> dict[str, str]:
    import joblib
    import pandas
    import sklearn

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
    }


def save_model(path: Path, pipeline, metadata: dict) -> None:
    """Write the fitted pipeline and its metadata as one joblib file, atomically."""
    import joblib

    from .storage import atomic_path

    with atomic_path(path) as tmp:
        joblib.dump({"pipeline": pipeline, "metadata": metadata}, tmp)


def load_model(path: Path, expected_sha256: str | None = None):
    """Load (pipeline, metadata) from one of the project's own model files.

    joblib files are pickles, which can run code when loaded: a file whose bytes no longer match
    the hash recorded when activelearn wrote it is refused.
    """
    import joblib

    from .storage import sha256_file

    if not path.is_file():
        raise StateError(f"{path}: model file is missing; run `activelearn train` to make a new one")
    if expected_sha256 is not None and sha256_file(path) != expected_sha256:
        raise StateError(
            f"{path}: model file has changed since activelearn wrote it and will not be loaded; "
            "run `activelearn train` to make a new one"
        )
    bundle = joblib.load(path)
    return bundle["pipeline"], bundle["metadata"]
