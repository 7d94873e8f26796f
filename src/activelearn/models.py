"""Model presets as scikit-learn pipelines; fitting with cross-validated metrics; saving and loading."""

from __future__ import annotations

import platform
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline

from .config import CLASS_WEIGHTS
from .errors import ModelFileError, NotEnoughLabelsError, StateError
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
    metrics = {name: float(np.mean(scores[f"test_{name}"])) for name in ("accuracy", "balanced_accuracy", "f1_macro")}
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


def library_versions() -> dict[str, str]:
    import pandas
    import sklearn
    import skops

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
    }


MODEL_SUFFIX = ".skops"
MODELS_FOLDER = "models"
SKOPS_MAGIC = b"PK\x03\x04"  # a skops file is a zip archive; a joblib file is a pickle
# Beyond the types skops trusts by itself (builtins, numpy arrays, scipy matrices, scikit-learn
# estimators), the types a model of ours holds: our own transformers and the parts of the presets
# skops does not vouch for. Loading trusts these and nothing a file asks for; a test fits every
# preset on every column role and checks this list is exactly what they need.
TRUSTED_TYPES = (
    "activelearn.embeddings.TextEmbedder",
    "activelearn.features.DatetimeFeatures",
    "activelearn.features.FrameCoercer",
    "activelearn.features.TextVectorizer",
    "activelearn.features.VectorStacker",
    "activelearn.models.WeightedCalibratedClassifierCV",
    "activelearn.models.WeightedMultinomialNB",
    "activelearn.pool_features.FrozenFeatures",
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)
RETRAIN = "run `activelearn train --force`"


def model_bytes(pipeline, metadata: dict) -> bytes:
    """The fitted pipeline and its metadata as the bytes of one skops file."""
    import zipfile

    import skops.io

    # deflated at level 1: a tenth of the size for forests and text vocabularies, loads as fast
    return skops.io.dumps(
        {"pipeline": pipeline, "metadata": metadata},
        compression=zipfile.ZIP_DEFLATED,
        compresslevel=1,
    )


def save_model(path: Path, pipeline, metadata: dict) -> str:
    """Write the fitted pipeline and its metadata as one skops file, atomically; returns the
    SHA-256 of the bytes written."""
    from .storage import atomic_path, sha256_bytes

    data = model_bytes(pipeline, metadata)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return sha256_bytes(data)


def model_path(root: Path, recorded: str, what: str = "model") -> Path:
    """The file a state.json record names, refused unless it lies in the project's models/
    folder once every symlink is followed: state.json must not make the tool read a file
    elsewhere."""
    root = Path(root)
    folder = (root / MODELS_FOLDER).resolve()
    path = root / recorded if isinstance(recorded, str) and "\0" not in recorded else None
    if path is None or not path.resolve().is_relative_to(folder) or path.resolve() == folder:
        raise ModelFileError(
            str(root / "state.json"),
            f"{what} is recorded at {recorded!r}, outside {MODELS_FOLDER}/; it is not loaded",
            f"restore state.json from a backup, or {RETRAIN}",
        )
    return path


def record_file(root: Path, record, what: str) -> tuple[Path, str, str]:
    """(path, its recorded SHA-256, what to call it) of the file a state.json record (a model's, or
    the features') names, the path checked to lie in models/ (`model_path`): what `read_checked`
    and `load_model` take."""
    return model_path(root, record.file, what), record.sha256, what


def read_checked(path: Path, expected_sha256: str | None, what: str = "model file", *, audit: bool = True) -> bytes:
    """The bytes of a model file, read once, after every check that needs no loading: present,
    unchanged since activelearn wrote it, a skops file, and (`audit`) holding only the types we
    trust. The same bytes are then loaded, so a file swapped after the check is never loaded."""
    import skops.io

    from . import storage

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise StateError(f"{path}: {what} is missing; run `activelearn train` to make a new one") from None
    except OSError as exc:
        raise ModelFileError(str(path), f"{what} cannot be read ({exc.strerror})", RETRAIN) from None
    if expected_sha256 is not None and storage.sha256_bytes(data) != expected_sha256:
        raise StateError(
            f"{path}: {what} has changed since activelearn wrote it and will not be loaded; "
            "run `activelearn train` to make a new one"
        )
    if not data.startswith(SKOPS_MAGIC):
        raise ModelFileError(
            str(path),
            f"{what} is a pickle (saved by an older activelearn, or not by activelearn) and is not loaded",
            RETRAIN,
            pickled=True,
        )
    if audit:
        try:
            untrusted = set(skops.io.get_untrusted_types(data=data)) - set(TRUSTED_TYPES)
        except Exception:  # noqa: BLE001 - whatever skops finds wrong with the archive, it is not ours
            raise _unreadable(path, what) from None
        if untrusted:
            raise _foreign(path, what, untrusted)
    return data


def load_model(path: Path, expected_sha256: str | None = None, what: str = "model file"):
    """Load (pipeline, metadata) from one of the project's own model files.

    Only skops files are loaded, trusting only TRUSTED_TYPES (skops audits the file before it
    makes any object): a model file never runs code, whoever wrote it. `read_checked` says what
    else is refused.
    """
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    data = read_checked(path, expected_sha256, what, audit=False)
    try:
        bundle = skops.io.loads(data, trusted=list(TRUSTED_TYPES))
        return bundle["pipeline"], bundle["metadata"]
    except UntrustedTypesFoundException:  # its message lists them unsorted: name them ourselves
        raise _foreign(path, what, set(skops.io.get_untrusted_types(data=data)) - set(TRUSTED_TYPES)) from None
    except Exception:  # noqa: BLE001 - a damaged archive with a valid hash is still not loaded
        raise _unreadable(path, what) from None


def _foreign(path: Path, what: str, types) -> ModelFileError:
    names = sorted(map(str, types))
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return ModelFileError(
        str(path),
        f"{what} holds types activelearn never saves ({shown}) and is not loaded",
        RETRAIN,
    )


def _unreadable(path: Path, what: str) -> ModelFileError:
    return ModelFileError(str(path), f"{what} is not a readable skops file and is not loaded", RETRAIN)
