"""[features] fit_on = "pool": the features fitted once on the pool (or a seeded sample of it),
stored in the project, reused by every train, and left alone by every fit of the estimator."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from activelearn import pool_features
from activelearn.config import config_from_dict
from activelearn.models import fit_model
from activelearn.pool import CHUNK_ROWS
from activelearn.pool_features import FrozenFeatures, fit_features, sample_positions, sample_rows
from activelearn.rows import arrow_to_frame
from activelearn.selection import Context, build_committee
from activelearn.versions import training_key

from ..conftest import as_before_the_new_settings, run_cli, snapshot
from .test_errors import assert_clean_failure

COLUMNS = {"num": "numeric", "cat": "categorical", "txt": "text", "when": "datetime"}
WORDS = [
    "red",
    "green",
    "blue",
    "cyan",
    "black",
    "white",
    "grey",
    "pink",
    "gold",
    "teal",
    "plum",
    "navy",
]


@pytest.fixture
def mixed_project(tmp_path):
    """A project on 300 rows of every role but embedding, 12 of them labeled; words, categories
    and dates that only unlabeled rows have."""
    rng = np.random.default_rng(7)
    rows = 300
    frame = pd.DataFrame(
        {
            "num": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(10, 3, rows)).round(3),
            "cat": rng.choice(["a", "b", "c", "d"], rows),
            "txt": [" ".join(rng.choice(WORDS, 5)) for _ in range(rows)],
            "when": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, rows), unit="D"),
            "label": "",
        }
    )
    frame["when"] = frame["when"].dt.strftime("%Y-%m-%d")
    frame.loc[:11, "label"] = ["x", "y", "z"] * 4
    frame.loc[:11, "cat"] = "a"  # categories b, c, d only in unlabeled rows
    frame.loc[:11, "txt"] = "red green"
    data = tmp_path / "mixed.csv"
    frame.to_csv(data, index=False)
    project = tmp_path / "proj"
    result = run_cli(
        "-q",
        "init",
        project,
        "--data",
        data,
        "--label-column",
        "label",
        "--text-columns",
        "txt",
        "--categorical-columns",
        "cat",
        "--datetime-columns",
        "when",
        "--numeric-columns",
        "num",
    )
    assert result.exit_code == 0, result.stderr
    assert run_cli("-C", project, "config", "set", "features.fit_on", "pool").exit_code == 0
    assert run_cli("-C", project, "config", "set", "features.text", "tfidf").exit_code == 0  # its vocabulary is tested
    return project


def _pool(project) -> pd.DataFrame:
    return arrow_to_frame(pq.read_table(project / "data" / "pool.parquet"))


def _state(project) -> dict:
    return json.loads((project / "state.json").read_text())


def _fitted_state(features) -> dict:
    """Every fitted attribute (name ending in _) of every step of the features, by step."""
    inner = features.features if isinstance(features, FrozenFeatures) else features
    found = {}
    for name, step, _ in inner.named_steps["columns"].transformers_:
        steps = step.steps if hasattr(step, "steps") else [(name, step)]
        for step_name, part in steps:
            found[f"{name}/{step_name}"] = {
                k: v for k, v in vars(part).items() if k.endswith("_") and not k.startswith("_")
            }
    return found


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for step in a:
        assert a[step].keys() == b[step].keys(), step
        for key in a[step]:
            left, right = a[step][key], b[step][key]
            if isinstance(left, (list, np.ndarray)):
                assert len(left) == len(right), (step, key)
                for x, y in zip(left, right, strict=True):
                    np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=f"{step} {key}")
            elif hasattr(left, "features_"):  # the imputer's MissingIndicator
                np.testing.assert_array_equal(left.features_, right.features_)
            else:
                assert left == right, (step, key)


# --- the sample, and its independence of the row group size -------------------------------------------


def test_the_sample_is_every_row_of_a_small_pool_and_a_seeded_sample_of_a_big_one(monkeypatch):
    assert sample_positions(300, 0).tolist() == list(range(300))
    monkeypatch.setattr(pool_features, "POOL_FIT_ROWS", 100)
    drawn = sample_positions(300, 0)
    assert len(drawn) == 100 == len(set(drawn.tolist())) and drawn.tolist() == sorted(drawn.tolist())
    assert drawn.min() >= 0 and drawn.max() < 300
    assert np.array_equal(sample_positions(300, 0), drawn)  # from (rows, seed) alone
    assert not np.array_equal(sample_positions(300, 1), drawn)


@pytest.mark.parametrize("sample", [None, 100])
def test_pool_fitted_features_are_identical_for_any_row_group_size(mixed_project, tmp_path, monkeypatch, sample):
    if sample is not None:
        monkeypatch.setattr(pool_features, "POOL_FIT_ROWS", sample)
    table = pq.read_table(mixed_project / "data" / "pool.parquet")
    positions = sample_positions(300, 0)
    everything = _pool(mixed_project)
    fitted = []
    for group_rows in (7, 1000, CHUNK_ROWS):
        pool = tmp_path / f"pool-{group_rows}.parquet"
        pq.write_table(table, pool, row_group_size=group_rows)
        rows = sample_rows(pool, positions, list(COLUMNS))
        pd.testing.assert_frame_equal(rows, everything.iloc[positions][list(COLUMNS)].reset_index(drop=True))
        fitted.append(fit_features(rows, COLUMNS, "logistic"))
    first = fitted[0]
    out = first.transform(everything)
    out = out.toarray() if hasattr(out, "toarray") else out
    for other in fitted[1:]:
        _assert_same_state(_fitted_state(first), _fitted_state(other))
        again = other.transform(everything)
        again = again.toarray() if hasattr(again, "toarray") else again
        assert again.dtype == out.dtype and again.tobytes() == out.tobytes()


# --- train: fitted once, stored, reused -----------------------------------------------------------


def test_train_fits_the_features_on_the_pool_and_only_the_model_on_the_labels(mixed_project):
    result = run_cli("-C", mixed_project, "train", "--json")
    assert result.exit_code == 0, result.stderr
    record = _state(mixed_project)["features"]
    path = mixed_project / record["file"]
    assert record["file"] == "models/features-0001.skops" and record["version"] == 1
    assert record["fitted_rows"] == record["pool_rows"] == 300
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["pool_sha256"] == hashlib.sha256((mixed_project / "data" / "pool.parquet").read_bytes()).hexdigest()
    from activelearn.model_files import load_model

    model, _ = load_model(mixed_project / "models" / "model-0001.skops")
    step = model.named_steps["features"]
    assert isinstance(step, FrozenFeatures)
    # fitted on the pool: the categories and words of unlabeled rows are known
    encoder = step.named_steps["columns"].named_transformers_["categorical"]
    assert [list(c) for c in encoder.categories_] == [["a", "b", "c", "d"]]
    assert set(WORDS) <= set(step.named_steps["columns"].named_transformers_["text:txt"].vocabulary_)
    _assert_same_state(_fitted_state(step), _fitted_state(fit_features(_pool(mixed_project), COLUMNS, "logistic")))


def test_train_again_reuses_the_stored_features(mixed_project, monkeypatch):
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    record = _state(mixed_project)["features"]
    stored = (mixed_project / record["file"]).read_bytes()

    def refit(*args, **kwargs):
        raise AssertionError("the features were fitted again")

    monkeypatch.setattr(pool_features, "fit_features", refit)
    up_to_date = run_cli("-C", mixed_project, "train", "--json")
    assert up_to_date.exit_code == 0, up_to_date.stderr
    assert json.loads(up_to_date.stdout)["up_to_date"] is True
    forced = run_cli("-C", mixed_project, "train", "--force", "--json")
    assert forced.exit_code == 0, forced.stderr
    assert json.loads(forced.stdout)["version"] == 2
    assert _state(mixed_project)["features"] == record
    assert (mixed_project / record["file"]).read_bytes() == stored
    assert sorted(p.name for p in (mixed_project / "models").iterdir()) == [
        "features-0001.skops",
        "model-0001.skops",
        "model-0002.skops",
    ]


def test_a_changed_pool_refits_the_features_with_a_warning(mixed_project):
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    pool = mixed_project / "data" / "pool.parquet"
    table = pq.read_table(pool)
    frame = arrow_to_frame(table)
    frame.loc[frame.index[-1], "cat"] = "e"  # a new category in an unlabeled row: same rows, other bytes
    pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), pool)
    result = run_cli("-C", mixed_project, "train", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["version"] == 2
    assert result.stderr == (
        "warning: data/pool.parquet changed since the features were fitted on it; fitted the features on the pool again\n"
    )
    state = _state(mixed_project)
    assert state["features"]["file"] == "models/features-0002.skops" and state["models"][-1]["change"] == "features"
    assert not (mixed_project / "models" / "features-0001.skops").exists()  # superseded: each model holds its copy
    from activelearn.model_files import load_model

    model, _ = load_model(mixed_project / "models" / "model-0002.skops")
    encoder = model.named_steps["features"].named_steps["columns"].named_transformers_["categorical"]
    assert [list(c) for c in encoder.categories_] == [["a", "b", "c", "d", "e"]]


def test_a_pool_only_touched_is_not_fitted_again(mixed_project, monkeypatch):
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    pool = mixed_project / "data" / "pool.parquet"
    pool.write_bytes(pool.read_bytes())  # other times, same bytes
    monkeypatch.setattr(pool_features, "fit_features", lambda *a, **k: pytest.fail("fitted again"))
    result = run_cli("-C", mixed_project, "train", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout)["up_to_date"] is True


def _count_pool_hashes(monkeypatch) -> list:
    hashed = []
    real = pool_features.pool_sha256
    monkeypatch.setattr(pool_features, "pool_sha256", lambda pool: hashed.append(pool) or real(pool))
    return hashed


def test_a_train_after_the_pool_was_touched_hashes_it_once(mixed_project, monkeypatch):
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    pool = mixed_project / "data" / "pool.parquet"
    pool.write_bytes(pool.read_bytes())  # other times, same bytes
    hashed = _count_pool_hashes(monkeypatch)
    result = run_cli("-C", mixed_project, "train", "--force", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout)["version"] == 2 and len(hashed) == 1


def test_the_second_train_after_the_pool_was_touched_does_not_hash_it(mixed_project, monkeypatch):
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    pool = mixed_project / "data" / "pool.parquet"
    pool.write_bytes(pool.read_bytes())  # other times, same bytes
    hashed = _count_pool_hashes(monkeypatch)
    for _ in range(2):
        result = run_cli("-C", mixed_project, "train", "--json")
        assert (result.exit_code, result.stderr) == (0, "")
        assert json.loads(result.stdout)["up_to_date"] is True
    assert len(hashed) == 1  # the first found the same bytes, and recorded the pool's new stat


def test_changed_columns_refit_the_features(mixed_project):
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    assert run_cli("-C", mixed_project, "config", "set", "columns.cat", "ignore").exit_code == 0
    result = run_cli("-C", mixed_project, "train")
    assert (result.exit_code, result.stderr) == (0, "")
    state = _state(mixed_project)
    assert state["features"]["version"] == 2 and state["models"][-1]["change"] == "settings"
    from activelearn.model_files import load_model

    model, _ = load_model(mixed_project / state["features"]["file"])
    assert "categorical" not in model.named_steps["columns"].named_transformers_


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("delete", "models/features-0001.skops: the features file is missing"),
        (
            "append",
            "models/features-0001.skops: the features file has changed since activelearn wrote it",
        ),
    ],
)
def test_a_missing_or_damaged_features_file_is_made_again_by_train(mixed_project, damage, reason):
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    path = mixed_project / "models" / "features-0001.skops"
    stored = path.read_bytes()
    if damage == "delete":
        path.unlink()
    else:
        path.write_bytes(stored + b"x")
    verified = run_cli("-C", mixed_project, "verify")
    assert verified.exit_code == 1
    assert verified.stdout == f"problem: {reason} (run `activelearn train`: it fits the features on the pool again)\n"
    result = run_cli("-C", mixed_project, "train", "--json")
    assert result.exit_code == 0 and result.exception is None, result.stderr
    assert result.stderr == f"warning: {reason}; fitted the features on the pool again\n"
    record = _state(mixed_project)["features"]
    assert record["version"] == 2 and not path.exists()
    assert (mixed_project / record["file"]).read_bytes() != b""
    assert run_cli("-C", mixed_project, "verify").exit_code == 0


def test_a_features_record_outside_models_is_never_read_nor_deleted(mixed_project, tmp_path):
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    outside = tmp_path / "precious.skops"
    outside.write_bytes((mixed_project / "models" / "features-0001.skops").read_bytes())
    state = _state(mixed_project)
    state["features"]["file"] = str(outside)
    (mixed_project / "state.json").write_text(json.dumps(state))
    verified = run_cli("-C", mixed_project, "verify")
    assert verified.exit_code == 1
    assert f"problem: state.json: the features file is recorded at {str(outside)!r}, outside models/" in verified.stdout
    result = run_cli("-C", mixed_project, "train")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"warning: state.json: the features file is recorded at {str(outside)!r}, outside models/; it is not "
        "loaded; fitted the features on the pool again\n"
    )
    assert outside.exists() and _state(mixed_project)["features"]["file"] == "models/features-0002.skops"


def test_verify_checks_the_features_file(mixed_project):
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    result = run_cli("-C", mixed_project, "verify")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("ok: checked ") and ", features fitted on the pool" in result.stdout


# --- fitting the estimator leaves the features alone -------------------------------------------


@pytest.fixture
def pool_and_labels(mixed_project):
    pool = _pool(mixed_project)
    labels = np.array(["x", "y", "z"] * 20)
    return pool, pool.iloc[:60].reset_index(drop=True), labels


def _no_refit(monkeypatch):
    from sklearn.compose import ColumnTransformer

    def refit(self, *args, **kwargs):
        raise AssertionError("the features were fitted again")

    monkeypatch.setattr(ColumnTransformer, "fit", refit)
    monkeypatch.setattr(ColumnTransformer, "fit_transform", refit)


def test_cross_validation_folds_do_not_refit_the_features(pool_and_labels, monkeypatch):
    pool, rows, labels = pool_and_labels
    features = fit_features(pool, COLUMNS, "logistic")
    before = _fitted_state(features)
    _no_refit(monkeypatch)
    fitted = fit_model("logistic", COLUMNS, 0, rows, labels, features=features)
    assert fitted.cv_folds == 5 and fitted.cv_metrics is not None
    assert fitted.pipeline.named_steps["features"] is features
    _assert_same_state(before, _fitted_state(features))


def test_committee_members_share_the_pool_fitted_features(pool_and_labels, monkeypatch):
    pool, rows, labels = pool_and_labels
    features = fit_features(pool, COLUMNS, "logistic")
    pipeline = fit_model("logistic", COLUMNS, 0, rows, labels, cross_validate=False, features=features).pipeline
    _no_refit(monkeypatch)
    ctx = Context("id", COLUMNS, 0, 1, pipeline, list(COLUMNS), labeled=rows, labels=labels)
    members, warnings = build_committee(ctx)
    assert len(members) == 5 and warnings == []
    assert all(m.named_steps["features"] is features for m in members)
    assert len({id(m.named_steps["model"]) for m in members}) == 5  # each member's own estimator


def test_without_pool_features_the_folds_fit_their_own(pool_and_labels, monkeypatch):
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer

    from activelearn.models import build_pipeline

    pipeline = build_pipeline("logistic", COLUMNS, 0, np.array(["x", "y"]))
    assert clone(pipeline).named_steps["features"] is not pipeline.named_steps["features"]
    _, rows, labels = pool_and_labels
    fitted = []
    real = ColumnTransformer.fit_transform

    def fit_transform(self, *args, **kwargs):
        fitted.append((self, len(args[0])))  # the object kept: no other can take its id
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ColumnTransformer, "fit_transform", fit_transform)
    result = fit_model("logistic", COLUMNS, 0, rows, labels)
    assert result.cv_folds == 5 and not isinstance(result.pipeline.named_steps["features"], FrozenFeatures)
    # each fold's own features, on its 48 training rows, then the model's on all 60
    assert [size for _, size in fitted] == [48] * 5 + [60] and len({id(owner) for owner, _ in fitted}) == 6


# --- settings --------------------------------------------------------------------------------------


def _config(**features):
    raw = {
        "data": {"id_column": "id", "label_column": "label", "classes": ["x", "y"]},
        "columns": dict(COLUMNS),
    }
    if features:
        raw["features"] = features
    return config_from_dict(raw)


def test_the_training_key_of_a_config_without_the_key_is_as_before():
    config = _config()
    before = hashlib.sha256(
        json.dumps({"labels": "d", "model": "logistic", "columns": COLUMNS, "seed": 0}, sort_keys=True).encode()
    ).hexdigest()
    assert config.features_fit_on == "labels"
    assert training_key(config, "d") == before == training_key(_config(fit_on="labels"), "d")
    assert training_key(_config(fit_on="pool"), "d") != before


def _dates_config(columns, month_first=None):
    raw = {
        "data": {"id_column": "id", "label_column": "label", "classes": ["x", "y"]},
        "columns": dict(columns),
        "features": {"fit_on": "pool"},
    }
    if month_first is not None:
        raw["data"]["month_first_columns"] = month_first
    return config_from_dict(raw)


def test_month_first_columns_shape_the_features_key_only_with_dates_as_they_do_the_training_key():
    from activelearn.pool_features import features_key

    no_dates = {"num": "numeric", "txt": "text"}
    configs = [_dates_config(no_dates, month_first) for month_first in (None, [], ["num"])]
    assert len({features_key(c) for c in configs}) == 1 == len({training_key(c, "d") for c in configs})
    configs = [_dates_config(COLUMNS, month_first) for month_first in (None, [], ["when"])]
    assert len({features_key(c) for c in configs}) == 3 == len({training_key(c, "d") for c in configs})
    assert features_key(_dates_config(COLUMNS, ["when", "num"])) == features_key(
        _dates_config(COLUMNS, ["num", "when"])
    )


def test_a_wrong_fit_on_is_refused_naming_the_key_and_the_choices(mixed_project):
    config = mixed_project / "activelearn.toml"
    before = snapshot(mixed_project)
    result = run_cli("-C", mixed_project, "config", "set", "features.fit_on", "everything")
    assert_clean_failure(result, 2, "")
    assert result.stderr == (
        "error: cannot set features.fit_on: [features] fit_on = 'everything' is not known (choose from labels, pool)\n"
    )
    assert snapshot(mixed_project) == before
    config.write_text(config.read_text().replace('fit_on = "pool"', 'fit_on = "pol"'))
    before = snapshot(mixed_project)
    result = run_cli("-C", mixed_project, "train")
    assert_clean_failure(result, 1, "")
    assert result.stderr == (
        f"error: {config.resolve()}: [features] fit_on = 'pol' is not known (did you mean "
        "'pool'?) (choose from labels, pool)\n"
    )
    assert snapshot(mixed_project) == before


def test_config_lists_the_key_with_its_legacy_default(penguins_project):
    as_before_the_new_settings(penguins_project)
    assert run_cli("-C", penguins_project, "config", "get", "features.fit_on").stdout == "labels\n"
    result = run_cli("-C", penguins_project, "config", "set", "features.fit_on", "pool")
    assert (result.exit_code, result.stdout) == (0, "features.fit_on=pool\n")
    assert (penguins_project / "activelearn.toml").read_text().endswith('\n[features]\nfit_on = "pool"\n')


def test_a_state_file_without_features_loads_and_a_bad_record_is_refused(mixed_project):
    from activelearn.errors import StateError
    from activelearn.state import load_state

    path = mixed_project / "state.json"
    state = _state(mixed_project)
    assert state["features"] is None
    del state["features"]
    path.write_text(json.dumps(state))
    assert load_state(path).features is None
    assert run_cli("-C", mixed_project, "train").exit_code == 0
    state = _state(mixed_project)
    state["features"]["pool_rows"] = "300"
    path.write_text(json.dumps(state))
    with pytest.raises(StateError) as caught:
        load_state(path)
    assert caught.value.message == (
        f"{path}: features.pool_rows should be a whole number from 0 to {2**63 - 1}, "
        'not "300"; restore it from a backup'
    )


def test_a_text_column_without_words_in_the_pool_is_a_config_error():
    from activelearn.errors import ConfigError

    rows = pd.DataFrame({"num": [1.0, 2.0, 3.0], "txt": ["", None, " "]})
    with pytest.raises(ConfigError) as caught:
        fit_features(rows, {"num": "numeric", "txt": "text"}, "logistic")
    assert caught.value.message == (
        "the text column 'txt' has no words in the 3 pool rows the features are fitted on; "
        'set its role to "ignore" in activelearn.toml'
    )
