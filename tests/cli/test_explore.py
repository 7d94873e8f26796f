"""[query] explore: a seeded share of each model-based batch drawn uniformly from the pool, and the
estimate of the models' performance that their answers give for free."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from activelearn.evaluation import evaluate, exploration_estimate
from activelearn.labels import empty_log
from activelearn.models import fit_model
from activelearn.selection import Context, choose, explored_rows
from activelearn.state import BatchRecord

from ..conftest import (
    SAMPLE,
    fill_batch,
    read_batch_ids,
    run_cli,
    snapshot,
    trained_as_before_the_new_settings,
)

POOL_ROWS = 1000


@pytest.fixture(scope="module")
def line_pool():
    """Rows r0000 .. r0999 in order along one feature; a model whose doubt peaks in the middle."""
    pool = pd.DataFrame({"id": [f"r{i:04d}" for i in range(POOL_ROWS)], "x": np.linspace(-3, 3, POOL_ROWS)})
    rng = np.random.default_rng(0)
    train = pool.iloc[rng.choice(POOL_ROWS, 40, replace=False)]
    labels = np.where(train["x"] < 0, "left", "right")
    pipeline = fit_model("logistic", {"x": "numeric"}, 0, train[["x"]], labels, cross_validate=False).pipeline
    return pool, pipeline


def _chunks(pool: pd.DataFrame, size: int = 128):
    def chunks(columns):
        for start in range(0, len(pool), size):
            yield pool.iloc[start : start + size][list(dict.fromkeys(columns))]

    return chunks


def _context(pipeline, salt: int, explore: float = 0.0) -> Context:
    return Context("id", {"x": "numeric"}, 7, salt, pipeline, ["x"], explore=explore)


@pytest.mark.parametrize(
    "n, share, expected",
    [
        (10, 0.0, 0),
        (20, 0.0, 0),
        (10, 0.1, 1),
        (10, 0.15, 2),
        (20, 0.125, 3),
        (10, 0.01, 1),
        (100, 0.004, 1),
        (2, 0.9, 1),
        (10, 0.99, 9),
        (1, 0.5, 0),
        (50, 0.29, 15),
        (100, 0.145, 15),
    ],
)
def test_the_explored_count_is_the_share_rounded_half_up_at_least_one_and_never_the_whole_batch(n, share, expected):
    assert explored_rows(n, share) == expected


@pytest.mark.parametrize("strategy", ["margin", "entropy", "density", "diverse", "balanced", "committee"])
def test_the_explored_rows_are_the_seeded_random_draw_and_the_strategy_chooses_the_rest(line_pool, strategy):
    pool, pipeline = line_pool
    ctx = _context(pipeline, salt=3, explore=0.3)
    ctx.labeled, ctx.labels = (
        pool.iloc[::50][["x"]],
        np.where(pool.iloc[::50]["x"] < 0, "left", "right"),
    )
    chosen = choose(strategy, _chunks(pool), 10, ctx)
    random_draw = choose("random", _chunks(pool), 3, _context(pipeline, salt=3))
    assert chosen.explored == random_draw.ids
    assert chosen.candidates == POOL_ROWS and chosen.strategy == strategy
    rest = _context(pipeline, salt=3)
    rest.labeled, rest.labels = ctx.labeled, ctx.labels
    without = pool[~pool["id"].isin(chosen.explored)]
    by_strategy = choose(strategy, _chunks(without), 7, rest).ids
    assert [i for i in chosen.ids if i not in chosen.explored] == by_strategy
    assert len(set(chosen.ids)) == 10 and set(chosen.explored).isdisjoint(by_strategy)
    # spread through the batch: positions int((j + 0.5) * 10 / 3) for j = 0, 1, 2
    assert [chosen.ids.index(i) for i in chosen.explored] == [1, 5, 8]


def test_the_batch_is_the_same_for_any_chunking(line_pool):
    pool, pipeline = line_pool
    batches = [choose("margin", _chunks(pool, size), 10, _context(pipeline, 5, 0.2)) for size in (7, 128, POOL_ROWS)]
    assert all((b.ids, b.explored) == (batches[0].ids, batches[0].explored) for b in batches)
    assert batches[0].rows is not None and batches[0].rows["id"].tolist() == batches[0].ids


# the batches activelearn chose at 7d1c3af, before [query] explore, on line_pool with seed 7, batch 2
BEFORE_EXPLORE = {
    "margin": [
        "r0476",
        "r0477",
        "r0475",
        "r0478",
        "r0474",
        "r0479",
        "r0473",
        "r0480",
        "r0472",
        "r0481",
    ],
    "diverse": [
        "r0479",
        "r0502",
        "r0448",
        "r0522",
        "r0431",
        "r0458",
        "r0490",
        "r0512",
        "r0439",
        "r0468",
    ],
    "random": [
        "r0304",
        "r0454",
        "r0674",
        "r0145",
        "r0724",
        "r0570",
        "r0294",
        "r0870",
        "r0450",
        "r0267",
    ],
    "representative": [
        "r0952",
        "r0354",
        "r0147",
        "r0662",
        "r0562",
        "r0761",
        "r0250",
        "r0048",
        "r0857",
        "r0459",
    ],
}


def test_explore_zero_chooses_exactly_the_batch_of_before(line_pool):
    pool, pipeline = line_pool
    for strategy, before in BEFORE_EXPLORE.items():
        for ctx in (
            Context("id", {"x": "numeric"}, 7, 2, pipeline, ["x"]),
            _context(pipeline, 2, explore=0.0),
        ):
            now = choose(strategy, _chunks(pool), 10, ctx)
            assert (now.ids, now.explored) == (before, [])


def test_strategies_without_a_model_draw_nothing_extra(line_pool):
    pool, pipeline = line_pool
    for strategy, ctx in (
        ("random", _context(pipeline, 4, 0.5)),
        ("coreset", _context(pipeline, 4, 0.5)),
        ("margin", _context(None, 4, 0.5)),
    ):
        assert choose(strategy, _chunks(pool), 10, ctx).explored == []


def test_explored_rows_are_uniform_over_the_pool_while_the_strategy_rows_are_not(line_pool):
    """Over 200 batches (batch numbers 1 .. 200) the 2 explored rows of each are spread evenly over
    the pool's order, although margin piles its rows in the middle, where the model doubts."""
    pool, pipeline = line_pool
    explored, strategy_rows = [], []
    for salt in range(1, 201):
        chosen = choose("margin", _chunks(pool, 500), 10, _context(pipeline, salt, explore=0.2))
        explored += [int(i[1:]) for i in chosen.explored]
        strategy_rows += [int(i[1:]) for i in chosen.ids if i not in chosen.explored]
    assert len(explored) == 400 and len(strategy_rows) == 1600
    bins = lambda positions: np.bincount(np.asarray(positions) * 10 // POOL_ROWS, minlength=10)  # noqa: E731
    assert stats.chisquare(bins(explored)).pvalue > 0.05
    assert stats.kstest(np.asarray(explored) / POOL_ROWS, "uniform").pvalue > 0.05
    assert stats.chisquare(bins(strategy_rows)).pvalue < 1e-12  # the test sees a bias where there is one
    middle = lambda positions: np.mean(np.abs(np.asarray(positions) - POOL_ROWS / 2) < POOL_ROWS / 10)  # noqa: E731
    assert middle(strategy_rows) > 0.9 and 0.1 < middle(explored) < 0.3


# --- the project loop -----------------------------------------------------------------------------


def _truth() -> dict[str, str]:
    with open(SAMPLE / "penguins_answers.csv", newline="", encoding="utf-8") as f:
        return {row[0]: row[1] for row in list(csv.reader(f))[1:]}


def _batch_rows(path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def _state(project) -> dict:
    return json.loads((project / "state.json").read_text())


def _explore(project, share: str) -> None:
    result = run_cli("-C", project, "config", "set", "query.explore", share)
    assert (result.exit_code, result.stdout) == (0, f"query.explore={share}\n"), result.stderr


def test_query_records_the_explored_rows_with_the_prediction_of_the_model_that_chose_them(
    trained_project,
):
    _explore(trained_project, "0.25")
    result = run_cli("-C", trained_project, "query", "-n", "8", "--strategy", "margin")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(
        "batch-0001: 8 rows by margin (model 1), 2 of them drawn at random ([query] explore) from "
    )
    record = _state(trained_project)["batches"][0]
    ids = read_batch_ids(trained_project / "batches" / "batch-0001.csv")
    assert record["ids"] == ids and len(record["explored"]) == 2 and set(record["explored"]) <= set(ids)
    rows = _batch_rows(trained_project / "batches" / "batch-0001.csv")
    assert record["explored"] == {i: rows[i]["suggestion"] for i in record["explored"]}
    # the same model's prediction, computed afresh
    from activelearn.model_files import load_model
    from activelearn.pool import read_rows

    pipeline, _ = load_model(
        trained_project / _state(trained_project)["models"][0]["file"],
        _state(trained_project)["models"][0]["sha256"],
        "model 1",
    )
    explored = read_rows(
        trained_project / "data" / "pool.parquet",
        "id",
        list(record["explored"]),
        [
            "island",
            "bill_length_mm",
            "bill_depth_mm",
            "flipper_length_mm",
            "body_mass_g",
            "sex",
            "year",
        ],
    )
    assert dict(zip(record["explored"], map(str, pipeline.predict(explored)))) == record["explored"]


def test_no_row_is_offered_twice_explored_or_not(trained_project):
    _explore(trained_project, "0.5")
    offered = []
    for _ in range(3):
        result = run_cli("-C", trained_project, "query", "-n", "6", "--strategy", "margin")
        assert result.exit_code == 0, result.stderr
    for record in _state(trained_project)["batches"]:
        assert len(record["explored"]) == 3 and set(record["explored"]) <= set(record["ids"])
        offered += record["ids"]
    assert len(offered) == 18 and len(set(offered)) == 18


def test_an_absent_key_and_explore_zero_write_the_batch_of_before(trained_project, tmp_path):
    import shutil

    trained_as_before_the_new_settings(trained_project)
    twin = tmp_path / "twin"
    shutil.copytree(trained_project, twin)
    _explore(twin, "0.0")
    assert "explore = 0.0\n" in (twin / "activelearn.toml").read_text(encoding="utf-8")
    for project in (trained_project, twin):
        result = run_cli("-C", project, "query", "-n", "8")
        assert result.exit_code == 0, result.stderr
        assert result.stderr.splitlines()[-1].startswith("batch-0001: 8 rows by diverse (model 2) from ")
    assert (trained_project / "batches" / "batch-0001.csv").read_bytes() == (
        twin / "batches" / "batch-0001.csv"
    ).read_bytes()
    assert _state(trained_project)["batches"][0]["explored"] is None
    assert _state(twin)["batches"][0]["ids"] == _state(trained_project)["batches"][0]["ids"]


def test_an_evaluation_batch_explores_nothing(trained_project):
    _explore(trained_project, "0.5")
    assert run_cli("-C", trained_project, "query", "--eval", "6").exit_code == 0
    assert _state(trained_project)["batches"][0]["explored"] is None


@pytest.mark.parametrize(
    "value, shown",
    [("1.5", "1.5"), ('"lots"', "'lots'"), ("-0.1", "-0.1"), ("1", "1"), ("true", "True")],
)
def test_a_bad_explore_in_the_file_is_one_line_naming_key_value_and_range(penguins_project, value, shown):
    path = penguins_project / "activelearn.toml"
    path.write_text(
        re.sub(r"^explore = .*$", f"explore = {value}", path.read_text(encoding="utf-8"), flags=re.M),
        encoding="utf-8",
    )
    before = snapshot(penguins_project)
    result = run_cli("-C", penguins_project, "query")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {path.resolve()}: [query] explore must be a number from 0 up to (not including) 1, "
        f"not {shown}; 0.1 draws a tenth of each batch at random, 0 none\n"
    )
    assert snapshot(penguins_project) == before


@pytest.mark.parametrize("value, shown", [("1.5", "1.5"), ("lots", "'lots'")])
def test_config_set_refuses_a_bad_explore(penguins_project, value, shown):
    before = snapshot(penguins_project)
    result = run_cli("-C", penguins_project, "config", "set", "query.explore", value)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: cannot set query.explore: [query] explore must be a number from 0 up to (not "
        f"including) 1, not {shown}; 0.1 draws a tenth of each batch at random, 0 none\n"
    )
    assert snapshot(penguins_project) == before


def test_config_lists_explore_as_zero_while_the_file_lacks_it(penguins_project):
    path = penguins_project / "activelearn.toml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(
        "".join(line for line in lines if not line.startswith("explore =")), encoding="utf-8"
    )  # an old file
    result = run_cli("-C", penguins_project, "config", "get", "query.explore")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "0.0\n", "")
    assert "explore =" not in path.read_text(encoding="utf-8")  # reading the setting writes nothing


def test_status_shows_the_estimate_from_the_explored_answers(trained_project):
    _explore(trained_project, "0.5")
    assert run_cli("-C", trained_project, "query", "-n", "10", "--strategy", "margin").exit_code == 0
    batch = trained_project / "batches" / "batch-0001.csv"
    before = run_cli("-C", trained_project, "status", "--json")
    assert json.loads(before.stdout)["explored"] is None  # nothing answered yet
    assert "explored rows" not in run_cli("-C", trained_project, "status").stdout
    assert fill_batch(batch, SAMPLE / "penguins_answers.csv") == 10
    assert run_cli("-C", trained_project, "import-labels", batch).exit_code == 0

    predicted = _state(trained_project)["batches"][0]["explored"]
    truth = _truth()
    answers, guesses = [truth[i] for i in predicted], list(predicted.values())
    expected = evaluate(answers, guesses, seed=0)
    assert expected["accuracy"] == round(np.mean([a == g for a, g in zip(answers, guesses)]), 4)
    result = run_cli("-C", trained_project, "status", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["explored"] == {**expected, "batches": 1}
    ci = expected["ci95"]
    line = (
        f"explored rows ([query] explore), as predicted by the model that chose each batch, on 5 labels: "
        f"accuracy {expected['accuracy']:.3f} [{ci['accuracy'][0]:.3f}, {ci['accuracy'][1]:.3f}], "
        f"balanced accuracy {expected['balanced_accuracy']:.3f} [{ci['balanced_accuracy'][0]:.3f}, "
        f"{ci['balanced_accuracy'][1]:.3f}], macro-F1 {expected['f1_macro']:.3f} [{ci['f1_macro'][0]:.3f}, "
        f"{ci['f1_macro'][1]:.3f}] (from 1 batch)"
    )
    text = run_cli("-C", trained_project, "status")
    assert text.exit_code == 0 and line in text.stdout.splitlines(), text.stdout


def _log(*answers) -> pd.DataFrame:
    """A label log of (id, answer, kind, batch, evaluation) answers."""
    rows = [
        {
            "id": i,
            "answer": a,
            "kind": k,
            "annotator": "ann",
            "time": "2024-01-01T00:00:00+00:00",
            "source": "f",
            "source_sha256": "",
            "batch": b,
            "import_id": "import-0001",
            "evaluation": e,
            "decision": None,
            "correction": False,
        }
        for i, a, k, b, e in answers
    ]
    return pd.concat([empty_log(), pd.DataFrame(rows)], ignore_index=True).astype(empty_log().dtypes.to_dict())


def _batch(name: str, ids: list[str], explored: dict[str, str] | None, evaluation: bool = False) -> BatchRecord:
    return BatchRecord(
        name,
        f"batches/{name}.csv",
        ids,
        "margin",
        1,
        "2024-01-01T00:00:00+00:00",
        "",
        explored=explored,
        evaluation=evaluation,
    )


def test_the_estimate_counts_explored_rows_labeled_in_their_own_batch_only():
    batches = [
        _batch("batch-0001", ["a", "b", "c", "d"], {"a": "cat", "b": "dog", "c": "cat"}),
        _batch("batch-0002", ["e", "f", "c"], {"e": "dog"}),  # c came back after batch-0001 was released
        _batch("batch-0003", ["g", "h"], None),
        _batch("eval-0004", ["i"], {"i": "cat"}, evaluation=True),
    ]
    log = _log(
        ("a", "cat", "label", "batch-0001", False),
        ("b", "cat", "label", "batch-0001", False),
        ("d", "dog", "label", "batch-0001", False),
        ("c", "dog", "label", "batch-0002", False),
        ("e", "skip", "skip", "batch-0002", False),
        ("g", "cat", "label", "batch-0003", False),
        ("i", "dog", "label", "eval-0004", True),
    )
    estimate = exploration_estimate(batches, log, seed=0)
    # a (right) and b (wrong): c was answered in another batch, e skipped, g not explored, i an evaluation row
    assert estimate == {**evaluate(["cat", "cat"], ["cat", "dog"], seed=0), "batches": 1}
    assert estimate["n"] == 2 and estimate["accuracy"] == 0.5
    assert exploration_estimate(batches[2:], log) is None
    assert exploration_estimate(batches, _log()) is None


def test_a_state_file_from_before_the_key_loads_and_a_damaged_explored_is_named(trained_project):
    assert run_cli("-C", trained_project, "query", "-n", "4").exit_code == 0
    path = trained_project / "state.json"
    state = _state(trained_project)
    state["batches"][0].pop("explored")
    path.write_text(json.dumps(state, indent=2))
    assert run_cli("-C", trained_project, "status").exit_code == 0
    state["batches"][0]["explored"] = {"nope": "Adelie"}
    path.write_text(json.dumps(state, indent=2))
    result = run_cli("-C", trained_project, "status")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f'error: {path.resolve()}: batches[0].explored names the row "nope", which is not in the '
        "batch; restore it from a backup\n"
    )
    state["batches"][0]["explored"] = ["nope"]
    path.write_text(json.dumps(state, indent=2))
    result = run_cli("-C", trained_project, "status")
    assert result.stderr == (
        f"error: {path.resolve()}: batches[0].explored should be an object of strings or null, "
        'not ["nope"]; restore it from a backup\n'
    )


def test_simulate_explores_on_request(tmp_path, monkeypatch):
    import activelearn.simulation as simulating

    seen = []

    def recording(strategy, chunks, n, ctx):
        chosen = choose(strategy, chunks, n, ctx)
        seen.append((strategy, ctx.explore, n, len(chosen.explored)))
        return chosen

    monkeypatch.setattr(simulating, "choose", recording)
    pool = pd.read_csv(SAMPLE / "penguins.csv", keep_default_na=False)
    pool["species"] = pd.read_csv(SAMPLE / "penguins_answers.csv")["species"]
    data = tmp_path / "penguins_labeled.csv"
    pool.to_csv(data, index=False)
    args = [
        data,
        "--label-column",
        "species",
        "--strategy",
        "margin",
        "--initial",
        "3",
        "--batch-size",
        "5",
        "--budget",
        "18",
        "--repeats",
        "1",
        "--jobs",
        "1",
    ]
    runs = {}
    for share in ("0", "0.4"):
        result = run_cli("simulate", *args, "--explore", share, "--out", tmp_path / share)
        assert result.exit_code == 0, result.stderr
        runs[share] = pd.read_csv(tmp_path / share / "curves.csv")
    assert "- explored share of each batch: 0.4\n" in (tmp_path / "0.4" / "summary.md").read_text()
    assert "explored" not in (tmp_path / "0" / "summary.md").read_text()
    # margin drew 2 of each 5 rows at random with --explore 0.4 (none with 0), random none either way
    assert sorted(set(seen)) == [
        ("margin", 0.0, 5, 0),
        ("margin", 0.4, 5, 2),
        ("random", 0.0, 5, 0),
        ("random", 0.4, 5, 0),
    ]
    random_curves = [r[r["strategy"] == "random"].reset_index(drop=True) for r in runs.values()]
    pd.testing.assert_frame_equal(*random_curves)
    result = run_cli("simulate", *args, "--explore", "1", "--out", tmp_path / "bad")
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr
        == "error: --explore is the share of each batch drawn at random, from 0 up to (not including) 1, not 1.0\n"
    )
