"""verify: a whole project passes; each kind of damage is found precisely; --repair fixes only what is safe."""

from __future__ import annotations

import json
import shutil

from activelearn.labels import read_label_log, write_label_log

from ..conftest import run_cli, snapshot


def _verify(project, *args):
    return run_cli("-C", project, "verify", *args)


def test_a_whole_project_passes(trained_project):
    run_cli("-C", trained_project, "query", "-n", "5")
    result = _verify(trained_project)
    assert result.exit_code == 0 and result.stderr == ""  # the result goes to stdout, even the "ok"
    assert result.stdout.startswith("ok: checked temporary files, activelearn.toml, state.json")
    assert result.stdout.count("\n") == 1
    quiet = run_cli("-q", "-C", trained_project, "verify")
    assert quiet.stdout == result.stdout and quiet.stderr == ""


def test_tampered_model(trained_project):
    model = trained_project / "models" / "model-0001.skops"
    model.write_bytes(model.read_bytes() + b"x")
    result = _verify(trained_project)
    assert result.exit_code == 1
    assert result.stdout == (
        "problem: models/model-0001.skops: model 1 has changed since activelearn wrote it (it will not be "
        "loaded) (delete it and run `activelearn train --force`)\n"
    )


def test_corrupt_state_and_truncated_pool(trained_project):
    pool = trained_project / "data" / "pool.parquet"
    pool.write_bytes(pool.read_bytes()[:100])
    assert "problem: data/pool.parquet: " in _verify(trained_project).stdout
    (trained_project / "state.json").write_text("{")
    result = _verify(trained_project)
    assert result.exit_code == 1 and result.stdout.startswith("problem: state.json: ")


def test_hand_edited_label_log(trained_project):
    path = trained_project / "data" / "labels.parquet"
    log = read_label_log(path)
    log.loc[0, "id"] = "r999999"
    log.loc[1, "answer"] = "Emperor"
    write_label_log(path, log)
    out = _verify(trained_project).stdout
    assert "1 answers name ids that are not in the pool (e.g. 'r999999')" in out
    assert "labels 'Emperor' are not among the classes of activelearn.toml" in out


def test_repair_removes_temp_files_and_releases_batches_whose_file_is_gone(trained_project):
    batch = trained_project / run_cli("-C", trained_project, "query", "-n", "5").stdout.strip()
    batch.unlink()
    (trained_project / "data" / ".labels.parquet.tmp-abc123").write_bytes(b"half")
    found = _verify(trained_project)
    assert found.exit_code == 1
    assert "problem: data/.labels.parquet.tmp-abc123: a temporary file left by an interrupted command" in found.stdout
    assert "problem: batches/batch-0001.csv: batch-0001 waits for 5 answers, but its file is gone" in found.stdout
    before = snapshot(trained_project)
    repaired = _verify(trained_project, "--repair", "--json")
    report = json.loads(repaired.stdout)
    assert repaired.exit_code == 0 and report["ok"] is True and all(p["repaired"] for p in report["problems"])
    assert {p["where"] for p in report["problems"]} == {
        "data/.labels.parquet.tmp-abc123",
        "batches/batch-0001.csv",
    }
    assert not (trained_project / "data" / ".labels.parquet.tmp-abc123").exists()
    after = snapshot(trained_project)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed == {"data/.labels.parquet.tmp-abc123", "state.json"}  # nothing else touched
    assert _verify(trained_project).exit_code == 0
    listing = json.loads(run_cli("-C", trained_project, "query", "--list", "--json").stdout)["batches"]
    assert listing[0]["status"] == "released"


def test_a_class_dropped_from_the_config_names_the_import_to_revert_and_a_revert_clears_it(
    trained_project,
):
    config = trained_project / "activelearn.toml"
    config.write_text(config.read_text().replace('"Gentoo", ', "").replace(', "Gentoo"', ""))
    found = _verify(trained_project)
    assert (found.exit_code, found.stderr) == (1, "")
    assert found.stdout == (
        "problem: data/labels.parquet: labels 'Gentoo' are not among the classes of activelearn.toml (add them to "
        "[data] classes, or revert the import that brought them: activelearn import-labels --revert import-0001)\n"
    )
    assert run_cli("-C", trained_project, "import-labels", "--revert", "1").exit_code == 0
    assert _verify(trained_project).exit_code == 0  # a reverted import's labels no longer count


def test_a_missing_label_log_is_a_problem_only_in_a_project_that_had_one(trained_project):
    (trained_project / "data" / "labels.parquet").unlink()
    assert _verify(trained_project).stdout == (
        "problem: data/labels.parquet: the label log is missing, and state.json shows the project had one "
        "(restore it from a backup)\n"
    )
    # a state.json of an older init (no label_log_written), no model, no revert: a project that
    # never had a label, whose log is empty, not lost
    state = json.loads((trained_project / "state.json").read_text())
    del state["label_log_written"]
    state["models"] = []
    state.pop("features", None)  # nor features fitted on the pool, which came later still
    (trained_project / "state.json").write_text(json.dumps(state))
    shutil.rmtree(trained_project / "models")
    (trained_project / "models").mkdir()
    assert _verify(trained_project).exit_code == 0
