"""Model files (models/*.skops): a fitted pipeline and its metadata saved as one skops file, and
loaded back only after every check: inside models/, unchanged since written, holding only the
types activelearn trusts."""

from __future__ import annotations

import platform
from pathlib import Path

from .errors import ModelFileError, StateError

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


def library_versions() -> dict[str, str]:
    """The versions of Python and the libraries a model is made with, as its metadata records them."""
    import numpy
    import pandas
    import sklearn
    import skops

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
    }


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
