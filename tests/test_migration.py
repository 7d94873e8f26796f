"""An old-format project is upgraded by a named migration, and keeps working.

tests/fixtures/v1_project was made by activelearn at commit 6c50c5c (state.json schema_version
1): init on the sample penguins, train, one answered batch, train again, and one batch still
pending. Version 2 added evaluation batches, evaluation metrics and stopping signals.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from activelearn.state import MIGRATIONS, SCHEMA_VERSION, _v1_to_v2, load_state

from .conftest import SAMPLE, fill_batch, run_cli

V1 = Path(__file__).parent / "fixtures" / "v1_project"


def _old_project(tmp_path) -> Path:
    project = tmp_path / "old"
    shutil.copytree(V1, project)
    return project


def _on_disk(project: Path) -> dict:
    return json.loads((project / "state.json").read_text())


def test_the_migration_is_registered_by_the_version_it_upgrades():
    assert SCHEMA_VERSION == 2 and MIGRATIONS == {1: _v1_to_v2}
    old = _on_disk(V1)
    upgraded = _v1_to_v2(json.loads(json.dumps(old)))
    assert upgraded["schema_version"] == 2
    assert all(b["evaluation"] is False for b in upgraded["batches"])
    assert all(m["eval_metrics"] is None and m["stop_signals"] is None and m["eval_sha256"] == ""
               for m in upgraded["models"])
    # nothing else changes
    strip = lambda d, keys: [{k: v for k, v in x.items() if k not in keys} for x in d]  # noqa: E731
    assert strip(upgraded["batches"], {"evaluation"}) == old["batches"]
    assert strip(upgraded["models"], {"eval_metrics", "eval_sha256", "stop_signals"}) == old["models"]


def test_reading_commands_upgrade_in_memory_and_write_nothing(tmp_path):
    project = _old_project(tmp_path)
    before = (project / "state.json").read_bytes()
    assert run_cli("-C", project, "verify").exit_code == 0
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
    # the new model is compared with the old one, loaded from its version-1 file
    assert state["models"][2]["stop_signals"]["agreement"] is not None
    assert json.loads(train.stdout)["n_labels"] == 21
    query = run_cli("-C", project, "query", "--eval", "10")
    assert query.exit_code == 0, query.stderr
    assert _on_disk(project)["batches"][-1]["evaluation"] is True
    assert run_cli("-C", project, "verify").exit_code == 0
