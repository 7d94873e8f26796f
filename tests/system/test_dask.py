"""The Dask engine on a real cluster on loopback gives the batch the local engine gives."""

from __future__ import annotations

import json
import shutil

import pytest

from ..cli.test_errors import assert_clean_failure
from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli

distributed = pytest.importorskip("distributed")  # a dev extra: installed by `make test`


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    project = tmp_path_factory.mktemp("t") / "proj"
    run_cli("-q", "init", project, "--data", SAMPLE / "movie_reviews.csv", "--label-column", "sentiment")
    run_cli("-q", "-C", project, "train")
    first = project / run_cli("-C", project, "query", "-n", "20").stdout.strip()
    fill_batch(first, SAMPLE / "movie_reviews_answers.csv", only=15)  # 5 rows stay pending
    run_cli("-q", "-C", project, "import-labels", first)
    run_cli("-q", "-C", project, "train")
    return project


@pytest.mark.parametrize("strategy", ["margin", "entropy", "random"])
def test_dask_and_local_engines_choose_the_same_batch(cluster, template, tmp_path, strategy):
    batches = []
    for engine in ("local", "dask"):
        project = tmp_path / engine
        shutil.copytree(template, project)
        args = [
            "-C",
            project,
            "query",
            "-n",
            "25",
            "--strategy",
            strategy,
            "--json",
            "--engine",
            engine,
        ]
        result = run_cli(*args, *(["--scheduler", cluster] if engine == "dask" else []))
        assert result.exit_code == 0, result.stderr
        batches.append(read_batch_ids(project / json.loads(result.stdout)["file"]))
    assert batches[0] == batches[1] and len(batches[0]) == 25


def test_dask_explores_as_the_local_engine_does(cluster, template, tmp_path):
    batches, explored, candidates = [], [], []
    for engine in ("local", "dask"):
        project = tmp_path / engine
        shutil.copytree(template, project)
        assert run_cli("-q", "-C", project, "config", "set", "query.explore", "0.2").exit_code == 0
        args = [
            "-C",
            project,
            "query",
            "-n",
            "25",
            "--strategy",
            "margin",
            "--json",
            "--engine",
            engine,
        ]
        result = run_cli(*args, *(["--scheduler", cluster] if engine == "dask" else []))
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["explored"] == 5
        candidates.append(json.loads(result.stdout)["candidates"])
        batches.append(read_batch_ids(project / json.loads(result.stdout)["file"]))
        explored.append(json.loads((project / "state.json").read_text())["batches"][-1]["explored"])
    assert batches[0] == batches[1] and explored[0] == explored[1]  # the same rows, the same predictions
    assert candidates[0] == candidates[1]  # every unlabeled row counted, the explored ones too


def test_dask_engine_errors(template, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(template, project)
    assert_clean_failure(
        run_cli("-C", project, "query", "--engine", "dask"),
        2,
        "--engine dask needs --scheduler ADDRESS",
    )
    assert_clean_failure(
        run_cli(
            "-C",
            project,
            "query",
            "--engine",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--strategy",
            "coreset",
        ),
        2,
        "the dask engine scores margin, least-confidence, entropy, random with a trained model; use --engine local for coreset",
    )


def test_predict_on_dask_writes_what_the_local_engine_writes(cluster, template, tmp_path):
    outputs = []
    for engine in ("local", "dask"):
        out = tmp_path / f"{engine}.csv"
        args = ["-C", template, "predict", "--out", out, "--engine", engine]
        result = run_cli(*args, *(["--scheduler", cluster] if engine == "dask" else []))
        assert result.exit_code == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == 3000 + 1


def test_predict_on_dask_takes_no_data_file(template, tmp_path):
    assert_clean_failure(
        run_cli(
            "-C",
            template,
            "predict",
            "--out",
            tmp_path / "p.csv",
            "--engine",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--data",
            SAMPLE / "movie_reviews.csv",
        ),
        2,
        "the dask engine predicts the pool",
    )
