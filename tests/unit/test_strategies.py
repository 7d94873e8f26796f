"""Every strategy's contract through query, and the pure functions behind them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activelearn.config import STRATEGY_NAMES
from activelearn.selection import STRATEGIES
from activelearn.strategies import (
    TopK,
    class_quotas,
    k_center_greedy,
    kl_disagreement,
    representative_rows,
    tie_keys,
    uncertainty_scores,
    vote_entropy,
    weighted_clusters,
)

from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A penguins project with a model, one answered batch and one pending batch."""
    project = tmp_path_factory.mktemp("t") / "proj"
    run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species")
    run_cli("-q", "-C", project, "train")
    first = project / run_cli("-C", project, "query", "-n", "10").stdout.strip()
    fill_batch(first, SAMPLE / "penguins_answers.csv")
    run_cli("-q", "-C", project, "import-labels", first)
    run_cli("-q", "-C", project, "train")
    run_cli("-q", "-C", project, "query", "-n", "10")  # pending
    return project


def _copy(template, tmp_path, name):
    target = tmp_path / name
    shutil.copytree(template, target)
    return target


def test_the_config_knows_every_strategy_the_engine_has():
    assert tuple(STRATEGIES) == STRATEGY_NAMES


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_strategy_contract(template, tmp_path, strategy):
    one, two = _copy(template, tmp_path, "one"), _copy(template, tmp_path, "two")
    taken = set(pd.read_parquet(one / "data" / "labels.parquet")["id"]) | set(
        read_batch_ids(one / "batches" / "batch-0002.csv")
    )
    batches = []
    for project in (one, two):
        result = run_cli("-C", project, "query", "-n", "15", "--strategy", strategy, "--json")
        assert result.exit_code == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["strategy"] == strategy
        batches.append(read_batch_ids(project / report["file"]))
    ids = batches[0]
    assert len(ids) == 15 and len(set(ids)) == 15
    assert not set(ids) & taken, "offered a labeled or pending row"
    assert batches[0] == batches[1], "the same project and seed must give the same batch"
    following = read_batch_ids(one / run_cli("-C", one, "query", "-n", "15", "--strategy", strategy).stdout.strip())
    assert not set(following) & set(ids)


@pytest.mark.parametrize("strategy", ["density", "committee", "committee-kl", "diverse", "balanced", "coreset"])
def test_strategies_on_sparse_text_features(tmp_path, strategy):
    project = tmp_path / "reviews"
    run_cli("-q", "init", project, "--data", SAMPLE / "movie_reviews.csv", "--label-column", "sentiment")
    run_cli("-q", "-C", project, "train")
    result = run_cli("-C", project, "query", "-n", "12", "--strategy", strategy, "--json")
    assert result.exit_code == 0, result.stderr
    assert len(set(read_batch_ids(project / json.loads(result.stdout)["file"]))) == 12


def test_model_strategies_without_a_model_start_representative(penguins_project):
    result = run_cli("-C", penguins_project, "query", "-n", "6", "--strategy", "committee", "--json")
    report = json.loads(result.stdout)
    assert report["strategy"] == "representative"
    assert "not by committee" in report["warnings"][0]


def test_coreset_works_before_any_model(penguins_project):
    report = json.loads(run_cli("-C", penguins_project, "query", "-n", "6", "--strategy", "coreset", "--json").stdout)
    assert report["strategy"] == "coreset" and report["rows"] == 6


# --- the pure functions --------------------------------------------------------------------------


def test_vote_entropy_and_kl():
    agree = [np.array([[0.9, 0.1]]), np.array([[0.8, 0.2]])]
    split = [np.array([[0.9, 0.1]]), np.array([[0.1, 0.9]])]
    assert vote_entropy(agree)[0] == 0 and vote_entropy(split)[0] == pytest.approx(np.log(2))
    assert kl_disagreement([agree[0], agree[0]])[0] == pytest.approx(0, abs=1e-9)
    assert kl_disagreement(split)[0] > kl_disagreement(agree)[0] > 0


def test_k_center_greedy_goes_far_first():
    X = np.array([[0.0], [0.1], [0.2], [5.0], [10.0]])
    chosen = k_center_greedy(X, 2, centers=np.array([[0.0]]))
    assert chosen.tolist() == [4, 3]
    assert len(set(k_center_greedy(X, 5).tolist())) == 5


def test_class_quotas_share_the_batch():
    predicted = np.array([0, 0, 0, 0, 0, 0, 1, 2])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.1, 0.2])
    chosen = class_quotas(predicted, scores, 4, 3)
    assert sorted(predicted[chosen].tolist()) == [0, 0, 1, 2]  # the rare classes get their share
    assert len(class_quotas(predicted, scores, 20, 3)) == 8


def test_weighted_clusters_spread_the_batch():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(loc, 0.1, size=(20, 2)) for loc in ([0, 0], [5, 5], [0, 5])])
    chosen = weighted_clusters(X, np.ones(len(X)), 3, seed=0)
    assert sorted(int(i) // 20 for i in chosen) == [0, 1, 2]


@pytest.mark.parametrize("strategy", ["margin", "diverse", "balanced", "density", "random"])
def test_chunk_size_and_worker_count_do_not_change_the_batch(template, tmp_path, strategy):
    from activelearn.ops.query import query
    from activelearn.project import Project

    batches = set()
    for n, (chunk_rows, jobs) in enumerate([(7, 1), (64, 2), (1000, 4), (65_536, 1)]):
        project = _copy(template, tmp_path, f"c{n}")
        result = query(Project.find(project), n=12, strategy=strategy, chunk_rows=chunk_rows, jobs=jobs)
        batches.add(tuple(read_batch_ids(project / result.file)))
    assert len(batches) == 1


# --- scores, the running top k, tie keys, representative rows ------------------------------------


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
