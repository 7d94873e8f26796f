"""The README's automation recipes, copied out of the README and run as written: the Makefile (with
make), the cron line (its command, as cron's shell would run it) and the completion line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..conftest import REPO, SAMPLE, fill_batch

BIN = Path(sys.executable).parent  # where `activelearn` is installed
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def recipe(name: str) -> str:
    """The fenced block after `<!-- recipe: NAME -->` in the README."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- recipe: {re.escape(name)} -->\s*```[a-z]*\n(.*?)```", text, re.DOTALL)
    assert found, f"README has no {name} recipe"
    return found.group(1)


def _setup(tmp_path: Path) -> Path:
    work = tmp_path / "labeling"
    (work / "inbox").mkdir(parents=True)
    subprocess.run(
        [
            "activelearn",
            "-q",
            "init",
            "proj",
            "--data",
            SAMPLE / "penguins.csv",
            "--label-column",
            "species",
        ],
        cwd=work,
        env=ENV,
        check=True,
        capture_output=True,
    )
    return work


def _answer(work: Path, batch: str) -> None:
    """Someone fills in a batch and drops it into the inbox."""
    filled = work / "inbox" / f"{batch}-answered.csv"
    shutil.copy(work / "proj" / "batches" / f"{batch}.csv", filled)
    fill_batch(filled, SAMPLE / "penguins_answers.csv")


def _batches(work: Path) -> list[str]:
    return sorted(p.stem for p in (work / "proj" / "batches").glob("*.csv"))


def _set_budget(work: Path, budget: int) -> None:
    config = work / "proj" / "activelearn.toml"
    config.write_text(re.sub(r"(?m)^budget = \d+", f"budget = {budget}", config.read_text()))


def test_the_makefile_recipe_chains_the_loop_by_file_dependencies(tmp_path):
    work = _setup(tmp_path)
    (work / "Makefile").write_text(recipe("Makefile"))
    make = lambda *targets: subprocess.run(["make", *targets], cwd=work, env=ENV, capture_output=True, text=True)  # noqa: E731

    first = make()
    assert first.returncode == 0, first.stderr
    assert _batches(work) == ["batch-0001"]
    assert make("-q").returncode == 0, "up to date: nothing new in the inbox, nothing to do"
    assert make().returncode == 0 and _batches(work) == ["batch-0001"]

    _answer(work, "batch-0001")
    assert make("-q").returncode != 0, "a new answer file makes the round out of date"
    second = make()
    assert second.returncode == 0, second.stderr
    assert _batches(work) == ["batch-0001", "batch-0002"]
    state = (work / "proj" / "state.json").read_text()
    assert '"version": 2' in state  # retrained on the imported answers

    predictions = make("predictions.csv")
    assert predictions.returncode == 0, predictions.stderr
    assert len((work / "predictions.csv").read_text().splitlines()) == 344 + 1

    _set_budget(work, 30)  # 6 + 20 labels so far, and 20 more coming
    _answer(work, "batch-0002")
    third = make()
    assert third.returncode == 0, third.stderr
    assert "stopping is recommended" in third.stdout
    assert _batches(work) == ["batch-0001", "batch-0002"], "no new batch once stopping is recommended"


def test_the_cron_recipe_imports_retrains_and_queries_without_piling_up_batches(tmp_path):
    work = _setup(tmp_path)
    line = recipe("cron").strip()
    assert len(line.splitlines()) == 1, "one crontab line"
    command = line.split(None, 5)[5].replace("/srv/labeling", str(work))  # what cron hands to sh
    cron = lambda: subprocess.run(["/bin/sh", "-c", command], env=ENV, capture_output=True, text=True)  # noqa: E731

    assert cron().returncode == 0
    assert _batches(work) == ["batch-0001"]
    assert cron().returncode == 0
    assert _batches(work) == ["batch-0001"], "no new batch while batch-0001 waits for answers"
    assert "still waiting for answers" not in (work / "loop.log").read_text()  # -q: quiet in the log

    _answer(work, "batch-0001")
    assert cron().returncode == 0
    assert _batches(work) == ["batch-0001", "batch-0002"]
    assert "batches/batch-0002.csv" in (work / "loop.log").read_text()

    _set_budget(work, 30)
    _answer(work, "batch-0002")
    stopped = cron()
    assert stopped.returncode == 3, "status --check ends the chain: stopping is recommended"
    assert _batches(work) == ["batch-0001", "batch-0002"]
    log = (work / "loop.log").read_text()
    assert "stop labeling: recommended" in log and "Traceback" not in log


def test_the_completion_recipe_installs_bash_completion():
    line = recipe("completion").strip()
    done = subprocess.run(["bash", "-c", f"{line}\ncomplete -p activelearn"], env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "_activelearn_completion" in done.stdout
