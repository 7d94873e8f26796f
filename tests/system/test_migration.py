"""An old-format project is upgraded by a named migration, and keeps working.

tests/fixtures/v1_project was made by activelearn at commit 6c50c5c (state.json schema_version
1): init on the sample penguins, train, one answered batch, train again, and one batch still
pending. Version 2 added evaluation batches, evaluation metrics and stopping signals.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

from activelearn.state import MIGRATIONS, SCHEMA_VERSION, _v1_to_v2, load_state

from ..conftest import SAMPLE, fill_batch, run_cli, snapshot

V1 = Path(__file__).parent.parent / "fixtures" / "v1_project"


def _old_project(tmp_path) -> Path:
    project = tmp_path / "old"
    shutil.copytree(V1, project)
    return project


def _on_disk(project: Path) -> dict:
    return json.loads((project / "state.json").read_text())


def test_the_migration_is_registered_by_the_version_it_upgrades():
    assert SCHEMA_VERSION == 2 and {1: _v1_to_v2} == MIGRATIONS
    old = _on_disk(V1)
    upgraded = _v1_to_v2(json.loads(json.dumps(old)))
    assert upgraded["schema_version"] == 2
    assert all(b["evaluation"] is False for b in upgraded["batches"])
    assert all(
        m["eval_metrics"] is None and m["stop_signals"] is None and m["eval_sha256"] == "" for m in upgraded["models"]
    )
    # nothing else changes
    strip = lambda d, keys: [{k: v for k, v in x.items() if k not in keys} for x in d]  # noqa: E731
    assert strip(upgraded["batches"], {"evaluation"}) == old["batches"]
    assert strip(upgraded["models"], {"eval_metrics", "eval_sha256", "stop_signals"}) == old["models"]


PICKLED = "model {n} is a pickle (saved by an older activelearn, or not by activelearn) and is not loaded"


def test_reading_commands_upgrade_in_memory_and_write_nothing(tmp_path):
    project = _old_project(tmp_path)
    before = (project / "state.json").read_bytes()
    verified = run_cli("-C", project, "verify")
    # the old models are pickles, which could run code: never loaded, and the latest one is a problem
    assert verified.exit_code == 1
    assert (
        verified.stdout
        == f"problem: models/model-0002.joblib: {PICKLED.format(n=2)} (run `activelearn train --force`)\n"
    )
    assert verified.stderr == (
        f"warning: models/model-0001.joblib: {PICKLED.format(n=1)}; it is older than the latest model, which is what "
        "query and predict load\n"
    )
    refused = run_cli("-C", project, "query")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr == (
        f"error: {project.resolve() / 'models' / 'model-0002.joblib'}: {PICKLED.format(n=2)}; "
        "run `activelearn train --force`\n"
    )
    status = json.loads(run_cli("-C", project, "status", "--json").stdout)
    assert [m["version"] for m in status["models"]] == [1, 2]
    assert [b["name"] for b in status["pending_batches"]] == ["batch-0002"]
    assert status["stop"]["recommended"] is False
    assert (project / "state.json").read_bytes() == before  # status never writes
    assert load_state(project / "state.json").schema_version == 2


def test_the_next_write_saves_the_upgraded_state_and_the_loop_goes_on(tmp_path):
    project = _old_project(tmp_path)
    assert _on_disk(project)["schema_version"] == 1
    pending = project / "batches" / "batch-0002.csv"
    fill_batch(pending, SAMPLE / "penguins_answers.csv")
    imported = run_cli("-C", project, "import-labels", pending, "--json")
    assert imported.exit_code == 0, imported.stderr
    train = run_cli("-C", project, "train", "--json")
    assert train.exit_code == 0, train.stderr
    state = _on_disk(project)
    assert state["schema_version"] == 2
    assert [m["version"] for m in state["models"]] == [1, 2, 3]
    assert state["models"][0]["stop_signals"] is None  # measured before version 2 existed
    # the new model is a skops file; the old one, a pickle, is not loaded to compare it with
    assert state["models"][2]["file"] == "models/model-0003.skops"
    assert state["models"][2]["stop_signals"]["agreement"] is None
    assert train.stderr == (
        f"warning: stopping signals: cannot compare with model 2 ({project.resolve()}/models/"
        f"model-0002.joblib: {PICKLED.format(n=2)}; run `activelearn train --force`)\n" + _recorded(project)
    )
    assert json.loads(train.stdout)["n_labels"] == 21
    query = run_cli("-C", project, "query", "--eval", "10")
    assert query.exit_code == 0, query.stderr
    assert _on_disk(project)["batches"][-1]["evaluation"] is True
    assert run_cli("-C", project, "verify").exit_code == 0


def test_train_on_the_same_labels_replaces_an_old_pickled_model(tmp_path):
    project = _old_project(tmp_path)
    train = run_cli("-C", project, "train", "--json")  # no --force: the labels did not change
    assert train.exit_code == 0, train.stderr
    state = _on_disk(project)
    assert [(m["version"], m["file"]) for m in state["models"]] == [
        (1, "models/model-0001.joblib"),
        (2, "models/model-0002.joblib"),
        (3, "models/model-0003.skops"),
    ]
    assert state["models"][2]["change"] == "unloadable"
    assert state["models"][2]["labels_sha256"] == state["models"][1]["labels_sha256"]
    again = run_cli("-C", project, "train", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["up_to_date"] is True
    assert run_cli("-C", project, "query").exit_code == 0
    verified = run_cli("-C", project, "verify")
    assert verified.exit_code == 0 and verified.stdout.startswith("ok: ")
    assert verified.stderr.count("it is older than the latest model") == 2


# tests/fixtures/v2_project was made by activelearn at commit 7d1c3af (state.json schema_version 2),
# the last before [model] class_weight, [features] fit_on and text, and [query] explore: init on the
# sample penguins, a representative first batch answered, two models, one batch pending.
V2 = Path(__file__).parent.parent / "fixtures" / "v2_project"
RECORDED = 'model.class_weight = "none", features.fit_on = "labels", features.text = "tfidf", query.explore = 0.0'


def _recorded(project: Path) -> str:
    return (
        f"warning: {project.resolve() / 'activelearn.toml'}: recorded the settings this project was made with, "
        f'which activelearn.toml did not name: {RECORDED}; it behaves as before (see README, "Defaults", '
        "to change them)\n"
    )


def test_a_project_from_before_the_new_settings_keeps_its_model_and_records_the_old_behaviour(
    tmp_path,
):
    project = tmp_path / "old"
    shutil.copytree(V2, project)
    before = (project / "activelearn.toml").read_text(encoding="utf-8")
    listed = run_cli("-C", project, "config", "list")  # reading: the absent keys read as the old behaviour
    assert {
        "model.class_weight=none",
        "features.fit_on=labels",
        "features.text=tfidf",
        "query.explore=0.0",
    } <= set(listed.stdout.splitlines())
    assert (project / "activelearn.toml").read_text(encoding="utf-8") == before
    train = run_cli("-C", project, "train", "--json")
    assert train.exit_code == 0, train.stderr
    assert json.loads(train.stdout)["up_to_date"] is True  # the settings it was trained with are still its settings
    assert train.stderr == _recorded(project)
    after = (project / "activelearn.toml").read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == [
        'class_weight = "none"   # recorded: what this project did before the key existed',
        "explore = 0.0   # recorded: what this project did before the key existed",
        "[features]",
        'fit_on = "labels"   # recorded: what this project did before the key existed',
        'text = "tfidf"   # recorded: what this project did before the key existed',
    ]
    kept = [line for line in after.splitlines() if line not in added]
    assert kept == before.splitlines() + [""]  # the rest kept, and a blank line before the new [features]
    recorded = tomllib.loads(after)
    assert (
        recorded["model"]["class_weight"],
        recorded["features"],
        recorded["query"]["explore"],
    ) == ("none", {"fit_on": "labels", "text": "tfidf"}, 0.0)
    again = run_cli("-C", project, "train")
    assert (again.exit_code, again.stderr) == (0, "")  # recorded once
    query = run_cli("-C", project, "query", "-n", "10", "--json")
    assert query.exit_code == 0, query.stderr
    assert (json.loads(query.stdout)["strategy"], json.loads(query.stdout)["explored"]) == (
        "diverse",
        0,
    )
    assert _on_disk(project)["batches"][-1]["explored"] is None
    assert not (project / "data" / "embeddings").exists() and not list((project / "models").glob("features-*"))
    assert run_cli("-C", project, "verify").exit_code == 0


def test_a_failed_command_on_an_old_project_records_nothing(tmp_path):
    project = tmp_path / "old"
    shutil.copytree(V2, project)
    before = snapshot(project)
    # refused inside the lock, once the project is read: the batch file to write is already there
    refused = run_cli("-C", project, "query", "--out", project / "batches" / "batch-0001.csv")
    assert refused.exit_code == 1 and snapshot(project) == before, refused.stderr
    # nothing to do: a batch still waits for answers
    waiting = run_cli("-C", project, "query", "--if-none-pending")
    assert (waiting.exit_code, waiting.stdout) == (0, "") and snapshot(project) == before, waiting.stderr
