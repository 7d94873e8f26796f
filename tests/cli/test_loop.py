"""The whole loop through the CLI, several rounds, on real data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score

from activelearn.model_files import load_model

from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli


def _split_penguins(tmp_path: Path) -> tuple[Path, pd.DataFrame, Path]:
    """A pool of 70% of the penguins with 2 labels per class, the rest held out with its truth."""
    data = pd.read_csv(SAMPLE.parent / "sample_data" / "penguins_answers.csv")
    full = pd.read_csv(SAMPLE / "penguins.csv", keep_default_na=False).assign(species=data["species"])
    rng = np.random.default_rng(3)
    order = rng.permutation(len(full))
    pool, held_out = full.iloc[order[:240]].reset_index(drop=True), full.iloc[order[240:]]
    keep = pool.groupby("species").head(2).index
    answers = tmp_path / "answers.csv"
    pd.DataFrame({"id": [f"r{i + 1:06d}" for i in range(len(pool))], "species": pool["species"]}).to_csv(
        answers, index=False
    )
    pool.loc[~pool.index.isin(keep), "species"] = ""
    pool_file = tmp_path / "pool.csv"
    pool.to_csv(pool_file, index=False)
    return pool_file, held_out, answers


def _held_out_accuracy(project: Path, held_out: pd.DataFrame) -> float:
    state = json.loads((project / "state.json").read_text())
    latest = state["models"][-1]
    pipeline, _ = load_model(project / latest["file"], latest["sha256"])
    features = held_out.drop(columns="species").replace({"NA": None})
    return accuracy_score(held_out["species"], pipeline.predict(features))


def test_rounds_on_penguins_accumulate_labels_and_improve_the_model(tmp_path):
    pool_file, held_out, answers = _split_penguins(tmp_path)
    project = tmp_path / "proj"
    # without bill length, Adelie and Chinstrap overlap: 6 labels are not enough, so labels matter
    created = run_cli(
        "init",
        project,
        "--data",
        pool_file,
        "--label-column",
        "species",
        "--ignore-columns",
        "bill_length_mm",
    )
    assert created.exit_code == 0, created.stderr

    offered: list[str] = []
    labeled, versions, accuracies = [], [], []
    for _round in range(1, 7):
        trained = run_cli("-C", project, "train", "--json")
        assert trained.exit_code == 0, trained.stderr
        versions.append(json.loads(trained.stdout)["version"])
        accuracies.append(_held_out_accuracy(project, held_out))

        queried = run_cli("-C", project, "query", "-n", "10", "--json")
        assert queried.exit_code == 0, queried.stderr
        batch = project / json.loads(queried.stdout)["file"]
        ids = read_batch_ids(batch)
        assert len(ids) == 10
        offered.extend(ids)

        assert fill_batch(batch, answers) == 10
        imported = run_cli("-C", project, "import-labels", batch, "--json")
        assert imported.exit_code == 0, imported.stderr
        assert json.loads(imported.stdout)["labels"] == 10

        report = json.loads(run_cli("-C", project, "status", "--json").stdout)
        labeled.append(report["labeled"])
        assert report["pending_batches"] == []

    final = run_cli("-C", project, "train", "--json")
    versions.append(json.loads(final.stdout)["version"])
    accuracies.append(_held_out_accuracy(project, held_out))

    assert labeled == [6 + 10 * r for r in range(1, 7)]
    assert versions == [1, 2, 3, 4, 5, 6, 7]
    assert len(offered) == len(set(offered)), "a row was offered twice"
    print("held-out accuracy per round:", [round(a, 3) for a in accuracies])
    assert accuracies[-1] > accuracies[0], accuracies


def _run(*args: str | os.PathLike, cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "activelearn"), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=300)


def test_readme_loop_runs_as_written_on_both_sample_datasets(tmp_path):
    """The README's shell lines, as real processes, on penguins and on movie reviews (text)."""
    for name, label in (("penguins", "species"), ("movie_reviews", "sentiment")):
        project = tmp_path / name
        steps = [
            ("init", project, "--data", SAMPLE / f"{name}.csv", "--label-column", label),
            ("-C", project, "train"),
            ("-C", project, "query", "-n", "20"),
        ]
        for step in steps:
            done = _run(*step)
            assert done.returncode == 0, (step, done.stderr)
        assert done.stdout.strip() == "batches/batch-0001.csv"
        labeler = subprocess.run(
            [
                sys.executable,
                SAMPLE / "play_labeler.py",
                project / done.stdout.strip(),
                SAMPLE / f"{name}_answers.csv",
            ],
            capture_output=True,
            text=True,
        )
        assert labeler.returncode == 0, labeler.stderr
        imported = _run("-C", project, "import-labels", "batches/batch-0001.csv")
        assert imported.returncode == 0, imported.stderr
        assert imported.stdout.startswith("imported 20 labels from 1 file"), imported.stdout
        retrained = _run("-C", project, "train")
        assert retrained.returncode == 0 and retrained.stdout.startswith("model 2:"), retrained.stdout
        report = _run("-C", project, "status", "--json")
        status = json.loads(report.stdout)
        assert status["labeled"] == (6 if name == "penguins" else 10) + 20
        assert [m["version"] for m in status["models"]] == [1, 2]
        assert report.stderr == ""


def test_readme_simulate_runs_as_written(tmp_path):
    readme = (SAMPLE.parent / "README.md").read_text()
    command = readme.split("activelearn simulate ", 1)[1].split("```", 1)[0].replace("\\\n", " ").split()
    assert command[0] == "sample_data/penguins_labeled.csv"
    assert command[-2] == "--out"  # written to tmp_path, not into the checkout
    done = _run("simulate", *command[:-1], tmp_path / command[-1], cwd=SAMPLE.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("| strategy | AULC |")
    assert sorted(p.name for p in (tmp_path / "sim-penguins").iterdir()) == [
        "curves.csv",
        "learning_curve.png",
        "summary.csv",
        "summary.md",
    ]


def test_ctrl_c_exits_130_saying_nothing_changed(tmp_path):
    import signal
    import time

    command = [
        str(Path(sys.executable).parent / "activelearn"),
        "simulate",
        str(SAMPLE / "penguins_labeled.csv"),
        "--label-column",
        "species",
        "--strategy",
        "committee",
        "--repeats",
        "20",
        "--jobs",
        "1",
        "--out",
        str(tmp_path / "sim"),
    ]
    # as from a terminal: Ctrl-C's default disposition, whatever the test process inherited
    default_interrupt = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_interrupt,
    )
    time.sleep(4)  # well into the simulation, which takes far longer than this
    process.send_signal(signal.SIGINT)
    try:
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()  # never left running if it did not stop
    assert process.returncode == 130, stderr
    assert (stdout, stderr) == ("", "interrupted; nothing changed\n")
    assert not (tmp_path / "sim").exists()
