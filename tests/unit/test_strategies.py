"""Every strategy's contract through query, and the pure functions behind them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from activelearn.config import STRATEGY_NAMES
from activelearn.selection import STRATEGIES
from activelearn.strategies import (
    class_quotas,
    k_center_greedy,
    kl_disagreement,
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
