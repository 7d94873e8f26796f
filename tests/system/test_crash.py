"""Crash safety and concurrency, with real processes: SIGKILL at random moments, and many
writers at once. Bounded in time; the counts are printed (pytest -s shows them)."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from activelearn.labels import LabelLog, read_label_log
from activelearn.ops.verify import verify
from activelearn.project import Project

from ..conftest import SAMPLE

ACTIVELEARN = str(Path(sys.executable).parent / "activelearn")
CLASSES = ("Adelie", "Chinstrap", "Gentoo")


def _real_problems(project: Path) -> list[str]:
    result = verify(Project.find(project))
    # temporary files a kill left are harmless (ignored, and removed by the next command)
    return [f"{p.where}: {p.what}" for p in result.problems if "temporary file" not in p.what]


def _answers_file(folder: Path, n: int, ids: list[str], rng: random.Random) -> tuple[Path, dict[str, str]]:
    answers = {i: rng.choice(CLASSES) for i in ids}
    path = folder / f"answers-{n:04d}.csv"
    path.write_text("id,species,annotator\n" + "".join(f"{i},{c},writer{n}\n" for i, c in answers.items()))
    return path, answers


def _counted(project: Path) -> set[tuple[str, str, str]]:
    opened = Project.find(project)
    log = LabelLog.read(opened.paths, opened.state).counted
    return set(zip(log["id"], log["answer"], log["annotator"], strict=True))


@pytest.mark.parametrize(
    ("commands", "least_kills", "least_finished"),
    [
        pytest.param(60, 20, 3, id="small"),
        pytest.param(240, 100, 10, id="full", marks=pytest.mark.slow),
    ],
)
def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path, commands, least_kills, least_finished):
    rng = random.Random(7)
    project = tmp_path / "proj"
    subprocess.run(
        [
            ACTIVELEARN,
            "-q",
            "init",
            project,
            "--data",
            SAMPLE / "penguins.csv",
            "--label-column",
            "species",
        ],
        check=True,
    )
    subprocess.run([ACTIVELEARN, "-q", "-C", project, "train"], check=True)
    started = time.perf_counter()
    durations: dict[str, float] = {}
    acknowledged: set[tuple[str, str, str]] = set()
    kills = finished = 0
    free_ids = [f"r{i:06d}" for i in range(7, 345)]
    rng.shuffle(free_ids)
    for n in range(commands):
        kind = rng.choice(["import-labels", "import-labels", "query", "train", "init"])
        target = None
        if kind == "import-labels":
            path, answers = _answers_file(tmp_path, n, [free_ids.pop() for _ in range(2)], rng)
            command = [ACTIVELEARN, "-q", "-C", project, "import-labels", path]
        elif kind == "query":
            command = [ACTIVELEARN, "-q", "-C", project, "query", "-n", "3", "--strategy", "margin"]
        elif kind == "train":
            command = [ACTIVELEARN, "-q", "-C", project, "train", "--force"]
        else:
            target = tmp_path / f"init-{n}"
            command = [
                ACTIVELEARN,
                "-q",
                "init",
                target,
                "--data",
                SAMPLE / "penguins.csv",
                "--label-column",
                "species",
            ]
        # kill somewhere in the second half of the command's usual run, where it writes
        delay = rng.uniform(0.5, 1.3) * durations.get(kind, 1.5)
        began = time.perf_counter()
        process = subprocess.Popen([str(c) for c in command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            process.wait(timeout=delay)
            durations[kind] = time.perf_counter() - began
            finished += 1
            assert process.returncode == 0, process.stderr.read()
            if kind == "import-labels":
                acknowledged |= {(i, c, f"writer{n}") for i, c in answers.items()}
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            kills += 1
        process.stderr.close()
        if target is not None:  # init: no project, or a whole one
            assert not target.exists() or not _real_problems(target), _real_problems(target)
            shutil.rmtree(target, ignore_errors=True)
        assert not _real_problems(project), _real_problems(project)
        assert acknowledged <= _counted(project), "an acknowledged label was lost"
    print(
        f"\ncrash test: {kills} kills survived, {finished} commands finished, "
        f"{len(acknowledged)} acknowledged labels checked after every step, {time.perf_counter() - started:.0f} s"
    )
    assert kills >= least_kills and finished >= least_finished


def test_parallel_writers_each_label_exactly_once(tmp_path):
    rng = random.Random(3)
    project = tmp_path / "proj"
    subprocess.run(
        [
            ACTIVELEARN,
            "-q",
            "init",
            project,
            "--data",
            SAMPLE / "penguins.csv",
            "--label-column",
            "species",
        ],
        check=True,
    )
    ids = [f"r{i:06d}" for i in range(100, 340)]
    rng.shuffle(ids)
    files, expected = [], set()
    for n in range(16):
        path, answers = _answers_file(tmp_path, n, ids[3 * n : 3 * n + 3], rng)
        files.append(path)
        expected |= {(i, c, f"writer{n}") for i, c in answers.items()}
    commands = [[ACTIVELEARN, "-q", "-C", project, "import-labels", f, "--wait", "300"] for f in files]
    commands += [[ACTIVELEARN, "-q", "-C", project, "query", "-n", "5", "--wait", "300"]] * 2
    commands += [[ACTIVELEARN, "-q", "-C", project, "train", "--wait", "300"]]
    commands += [[ACTIVELEARN, "-C", project, "status"]] * 3  # never blocks, never reads a torn file
    processes = [
        subprocess.Popen([str(c) for c in command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for command in commands
    ]
    for command, process in zip(commands, processes, strict=True):
        process.wait(timeout=600)
        assert process.returncode == 0, (command[3:], process.returncode, process.stderr.read())
        process.stderr.close()
    log = read_label_log(project / "data" / "labels.parquet")
    rows = list(zip(log["id"], log["answer"], log["annotator"], strict=True))
    written = [r for r in rows if r[2].startswith("writer")]
    assert sorted(written) == sorted(expected) and len(written) == len(set(written))  # each exactly once
    assert not _real_problems(project)
    print(
        f"\nparallel test: {len(commands)} commands at once, {len(files)} imports, {len(expected)} labels each found once"
    )
