"""Shared fixtures: run the CLI in-process, make projects, and fingerprint a directory."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from activelearn.cli import app

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None


def run_cli(*args: str | Path) -> Run:
    """Invoke the CLI in-process; the working directory is restored afterwards (-C changes it)."""
    cwd = os.getcwd()
    try:
        result = CliRunner().invoke(app, [str(a) for a in args])
    finally:
        os.chdir(cwd)
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return Run(result.exit_code, result.stdout, result.stderr, exception)


@pytest.fixture
def cli():
    return run_cli


def as_before_the_new_settings(project: Path) -> None:
    """Make activelearn.toml what an init from before [model] class_weight, [features] fit_on and
    text, and [query] explore wrote: none of those keys."""
    path = Path(project) / "activelearn.toml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\n\[features\]\n(?:(?:fit_on|text) = .*\n)*", "\n", text)
    text = re.sub(r"^(?:class_weight|explore) = .*\n", "", text, flags=re.M)
    path.write_text(text, encoding="utf-8")


def trained_as_before_the_new_settings(project: Path) -> None:
    """A trained project as one from before the new settings: their keys gone from activelearn.toml,
    its latest model fitted without them."""
    as_before_the_new_settings(project)
    assert run_cli("-q", "-C", project, "train", "--force").exit_code == 0
    as_before_the_new_settings(project)  # train wrote what their absence means: gone again


def snapshot(directory: Path) -> dict[str, str]:
    """Every file below `directory` (lock file aside) with the hash of its bytes."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(directory).rglob("*"))
        if p.is_file() and p.name != ".activelearn.lock"
    }


def fill_batch(batch: Path, answers: Path, only: int | None = None, transform=lambda s: s) -> int:
    """Play the labeler: write the known answer into a batch file's label column."""
    with open(answers, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        next(reader)
        truth = {row[0]: row[1] for row in reader}
    with open(batch, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    filled = 0
    for row in rows[1:]:
        if only is not None and filled >= only:
            break
        row[1] = transform(truth[row[0]])
        filled += 1
    with open(batch, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(rows)
    return filled


def read_batch_ids(batch: Path) -> list[str]:
    with open(batch, newline="", encoding="utf-8-sig") as f:
        return [row[0] for row in list(csv.reader(f))[1:]]


@pytest.fixture
def penguins_project(tmp_path) -> Path:
    """A fresh project on the sample penguins (6 labels, 2 per class)."""
    project = tmp_path / "proj"
    result = run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species")
    assert result.exit_code == 0, result.stderr
    return project


@pytest.fixture
def trained_project(penguins_project) -> Path:
    result = run_cli("-C", penguins_project, "train")
    assert result.exit_code == 0, result.stderr
    return penguins_project


@pytest.fixture
def copy_sample(tmp_path):
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copy(SAMPLE / name, target)
        return target

    return copy


def require_program(name: str) -> str:
    """The path of an outside program a test drives (LibreOffice's soffice). A developer without it
    gets a skip that names the package; CI (ACTIVELEARN_REQUIRE_PROGRAMS=1, set by .ci/run, which
    installs them) fails instead, so the test always runs there."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("ACTIVELEARN_REQUIRE_PROGRAMS") == "1":
            pytest.fail(f"{name} is not installed (apt-get install libreoffice-calc-nogui)")
        pytest.skip(f"{name} is not installed (apt-get install libreoffice-calc-nogui)")
    return path
