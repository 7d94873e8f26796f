"""Unit tests of the core pieces: strategies, the label policy, config, atomic writes, start-up."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activelearn.config import Config, config_from_dict, render_config
from activelearn.errors import ConfigError
from activelearn.labels import current_labels, empty_log
from activelearn.storage import TEMP_MARK, atomic_path
from activelearn.strategies import TopK, representative_rows, tie_keys, uncertainty_scores
from activelearn.tabular import sniff_delimiter

# --- strategies ----------------------------------------------------------------------------------


def test_uncertainty_scores_order_rows_as_expected():
    proba = np.array([[0.98, 0.01, 0.01], [0.5, 0.45, 0.05], [0.34, 0.33, 0.33], [0.6, 0.2, 0.2]])
    for strategy in ("margin", "least-confidence", "entropy"):
        scores = uncertainty_scores(proba, strategy)
        assert np.argmax(scores) == 2 and np.argmin(scores) == 0, strategy
    # margin and least-confidence disagree on rows 1 and 3: margin looks only at the top two
    margin = uncertainty_scores(proba, "margin")
    least = uncertainty_scores(proba, "least-confidence")
    assert margin[1] > margin[3] and least[1] > least[3]
    assert uncertainty_scores(proba[[1]], "margin")[0] == pytest.approx(0.95)


@given(
    scores=st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=1, max_size=80),
    n=st.integers(1, 30),
    chunk=st.integers(1, 25),
    seed=st.integers(0, 2**31),
)
@settings(max_examples=200, deadline=None)
def test_topk_is_the_same_for_any_chunking(scores, n, chunk, seed):
    ids = np.array([f"r{i:06d}" for i in range(len(scores))], dtype=object)
    keys = tie_keys(ids, seed)
    whole = TopK(n)
    whole.push(ids, scores, keys)
    chunked = TopK(n)
    for start in range(0, len(ids), chunk):
        chunked.push(ids[start : start + chunk], scores[start : start + chunk], keys[start : start + chunk])
    assert whole.ids.tolist() == chunked.ids.tolist()
    assert len(whole.ids) == min(n, len(ids)) and len(set(whole.ids)) == len(whole.ids)
    taken = set(whole.ids)
    best_left = max((s for i, s in zip(ids, scores, strict=True) if i not in taken), default=-1)
    assert all(s >= best_left for s in whole.scores)


def test_tie_keys_depend_on_id_and_seed_only():
    ids = np.array(["a", "b", "c"], dtype=object)
    assert tie_keys(ids, 1).tolist() == tie_keys(ids[::-1], 1)[::-1].tolist()
    assert tie_keys(ids, 1).tolist() != tie_keys(ids, 2).tolist()
    assert tie_keys(ids, 1, salt=1).tolist() != tie_keys(ids, 1, salt=2).tolist()


@given(n=st.integers(1, 12), seed=st.integers(0, 1000))
@settings(max_examples=25, deadline=None)
def test_representative_rows_are_distinct_and_cover_the_clusters(n, seed):
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]])
    X = np.vstack([c + rng.normal(scale=0.3, size=(15, 2)) for c in centres])
    chosen = representative_rows(X, n, seed)
    assert len(chosen) == n and len(set(chosen.tolist())) == n
    if n >= 4:
        assert len({int(i) // 15 for i in chosen}) == 4  # every cluster is represented


# --- the label policy ----------------------------------------------------------------------------


def _log(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "answer", "kind", "annotator"])
    base = empty_log()
    return pd.concat([base, frame.assign(evaluation=False)], ignore_index=True).astype(base.dtypes.to_dict())


def test_current_label_policy():
    log = _log(
        [
            ("a", "cat", "label", "ann"),
            ("a", "dog", "label", "ann"),  # ann corrects herself: dog
            ("b", "cat", "label", "ann"),
            ("b", "dog", "label", "bo"),
            ("b", "dog", "label", "cy"),  # majority: dog
            ("c", "cat", "label", "ann"),
            ("c", "dog", "label", "bo"),  # tie: the most recent wins
            ("d", "skip", "skip", "ann"),
            ("e", "skip", "skip", "ann"),
            ("e", "cat", "label", "bo"),  # a label outranks a skip
        ]
    )
    current = current_labels(log).set_index("id")
    assert current["label"].drop("d").to_dict() == {"a": "dog", "b": "dog", "c": "dog", "e": "cat"}
    assert pd.isna(current.loc["d", "label"]) and current.loc["d", "kind"] == "skip"
    assert current["kind"].drop("d").eq("label").all()
    assert current.loc["b", "annotators"] == 3


def test_evaluation_labels_are_kept_apart():
    log = _log([("a", "cat", "label", "ann")])
    log.loc[0, "evaluation"] = True
    assert current_labels(log, evaluation=False).empty
    assert current_labels(log, evaluation=True)["label"].tolist() == ["cat"]


# --- config --------------------------------------------------------------------------------------


column_names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda s: s.strip() == s and s
)


@given(names=st.lists(column_names, min_size=1, max_size=6, unique=True), seed=st.integers(0, 2**31))
@settings(max_examples=100, deadline=None)
def test_rendered_config_parses_back_to_the_same_config(names, seed):
    config = Config(
        id_column="id",
        label_column='the "label"',
        classes=("a\\b", "ç"),
        columns={n: "numeric" for n in names},
        seed=seed,
        column_notes={names[0]: "a note # with a hash"},
    )
    parsed = config_from_dict(tomllib.loads(render_config(config, "today")))
    assert parsed == config


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"qeury": {}}, "unknown section [qeury] (did you mean 'query'?)"),
        ({"model": {"nmae": "x"}}, "unknown key 'nmae' in [model] (did you mean 'name'?)"),
        ({"model": {"name": "forest"}}, "[model] name = 'forest' is not known"),
        ({"query": {"batch_size": 0}}, "[query] batch_size must be at least 1, not 0"),
        ({"query": {"batch_size": "5"}}, "[query] batch_size must be int, not '5'"),
        ({"project": {"seed": True}}, "[project] seed must be int, not True"),
        (
            {"query": {"display_columns": ["nope"]}},
            "display_columns names 'nope', which is not a column",
        ),
    ],
)
def test_config_errors_name_the_key(raw, message):
    base = {
        "data": {"id_column": "id", "label_column": "label", "classes": ["a", "b"]},
        "columns": {"x": "numeric"},
    }
    for section, values in raw.items():
        base.setdefault(section, {}).update(values)
    with pytest.raises(ConfigError) as caught:
        config_from_dict(base)
    assert message in caught.value.message


# --- storage -------------------------------------------------------------------------------------


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half-writ")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and not any(TEMP_MARK in p.name for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    "header, wanted, expected",
    [
        ("id;label;text", ("id", "label"), ";"),
        ("id\tlabel", ("id", "label"), "\t"),
        ("id|label|note, with comma", ("id", "label"), "|"),
        ('"id","label"', ("id", "label"), ","),
        ("a;b;c", (), ";"),
    ],
)
def test_sniff_delimiter_picks_the_one_that_yields_the_columns(header, wanted, expected):
    assert sniff_delimiter(header, ".csv", wanted) == expected


# --- start-up ------------------------------------------------------------------------------------


def test_help_imports_neither_pandas_nor_sklearn_nor_skops():
    code = (
        "import sys; from activelearn.cli import app; "
        "heavy = [m for m in ('pandas', 'sklearn', 'skops', 'pyarrow', 'numpy') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "activelearn", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == "activelearn 0.1.0\n"


# --- the formula guard (storage.guarded / unguarded, csv_line) ------------------------------------

GUARD_ALPHABET = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "\r\n", "'", "a", " ", '"', ","])


@given(st.lists(GUARD_ALPHABET, max_size=12).map("".join))
@settings(max_examples=500, deadline=None)
def test_the_guard_leaves_no_line_a_formula_and_is_undone_exactly(text):
    import csv
    import io
    import re

    from activelearn.cells import csv_line, guarded, unguarded

    shown = guarded(text)
    assert unguarded(shown) == text
    assert [line for line in re.split(r"\r\n|\r|\n", shown) if line.startswith(("=", "+", "-", "@", "\t"))] == []
    assert not shown.startswith(("\r", "\n"))
    assert list(csv.reader(io.StringIO(csv_line([shown, "x"]), newline=""))) == [[shown, "x"]]


def test_the_guard_at_each_line_start():
    from activelearn.cells import guarded

    assert [guarded(t) for t in ("ok\r=cmd|' /C calc'!A0", "=1+1", "'=1", "a\r\n@b\n\nc", "plain", "it's")] == [
        "ok\r'=cmd|' /C calc'!A0",
        "'=1+1",
        "''=1",
        "a\r\n'@b\n\nc",
        "plain",
        "it's",
    ]
