"""The command-line layer itself: global options, --json usage errors, help, completion, paths
after -C, Ctrl-C and progress on a terminal."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ..conftest import run_cli, snapshot

COMMANDS = [
    "init",
    "train",
    "query",
    "import-labels",
    "simulate",
    "status",
    "predict",
    "export",
    "verify",
]


# --- --json and the global flags -------------------------------------------------------------------


def test_json_usage_error_carries_the_message(tmp_path):
    result = run_cli("-C", tmp_path, "status", "--json", "--colour")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"error": "No such option: --colour", "exit_code": 2}
    assert "No such option: --colour" in result.stderr


def test_json_before_the_command(tmp_path, trained_project):
    after = run_cli("-C", trained_project, "status", "--json")
    before = run_cli("--json", "-C", trained_project, "status")
    assert before.exit_code == after.exit_code == 0
    assert json.loads(before.stdout) == json.loads(after.stdout)
    missing_command = run_cli("--json", "-C", tmp_path, "statu")
    assert missing_command.exit_code == 2
    assert json.loads(missing_command.stdout) == {
        "error": "No such command 'statu'. Did you mean 'status'?",
        "exit_code": 2,
    }
    outside = run_cli("--json", "-C", tmp_path, "status")
    assert outside.exit_code == 1
    assert json.loads(outside.stdout)["exit_code"] == 1
    assert json.loads(outside.stdout)["error"].startswith("not an activelearn project: no activelearn.toml in ")


def test_json_before_the_command_on_a_bad_option_value(penguins_project):
    result = run_cli("--json", "-C", penguins_project, "query", "-n", "many")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": "Invalid value for '-n': Input should be a valid integer, unable to parse string as an integer",
        "exit_code": 2,
    }


def test_quiet_and_verbose_after_the_command(trained_project):
    loud = run_cli("-C", trained_project, "export", "--out", trained_project.parent / "a.csv")
    assert loud.stderr.startswith("6 rows: 6 labels")
    quiet = run_cli("-C", trained_project, "export", "--out", trained_project.parent / "b.csv", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert quiet.stdout == f"{trained_project.parent / 'b.csv'}\n"
    verbose = run_cli("-C", trained_project, "export", "--verbose", "--out", trained_project.parent / "c.csv")
    assert "to start a project from it: activelearn init NEW_DIR" in verbose.stderr


# --- help ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["", *COMMANDS, "config", "config get", "config set", "config list"])
def test_help_shows_conventional_metavars(command):
    result = run_cli(*command.split(), "--help")
    assert result.exit_code == 0, result.stderr
    for typer_form in ("<bool>", "<str>", "<int>", "<path>", "<list", "{", "]..."):
        assert typer_form not in result.stdout, (command, typer_form)


def test_help_metavars_of_import_labels_and_init():
    import_help = " ".join(run_cli("import-labels", "--help").stdout.split())
    assert "Usage: activelearn import-labels [OPTIONS] [FILE_OR_DIR...]" in import_help
    assert "--annotator NAME Who gave" in import_help
    assert "--eval The answers" in import_help  # a flag takes no value
    init_help = " ".join(run_cli("init", "--help").stdout.split())
    assert "Usage: activelearn init [OPTIONS] DIR " in init_help
    assert "--batch-size N Rows per batch." in init_help
    assert "--classes NAMES The classes" in init_help
    assert "--out DIR Folder for" in " ".join(run_cli("simulate", "--help").stdout.split())


# --- paths that are not there -----------------------------------------------------------------------


def _fails_saying(project, result, message: str) -> None:
    before = snapshot(project)
    outcome = result()
    assert outcome.exit_code == 1, outcome.stderr
    assert outcome.stdout == ""
    assert outcome.stderr == f"error: {message}\n"
    assert snapshot(project) == before


def test_a_relative_path_after_C_says_where_it_was_looked_for(penguins_project, monkeypatch):
    monkeypatch.chdir(penguins_project.parent)
    assert run_cli("-C", "proj", "query", "-n", "3").exit_code == 0
    where = penguins_project.parent
    after_c = "paths after -C are relative to proj"
    _fails_saying(
        penguins_project,
        lambda: run_cli("-C", "proj", "import-labels", "proj/batches/batch-0001.csv"),
        f"proj/batches/batch-0001.csv: no such file or folder (looked in {where}/proj/proj/batches; {after_c})",
    )
    run_cli("-C", "proj", "train")
    _fails_saying(
        penguins_project,
        lambda: run_cli("-C", "proj", "predict", "--data", "new.csv", "--out", "p.csv"),
        f"new.csv: no such file or folder (looked in {where}/proj; {after_c})",
    )
    _fails_saying(
        penguins_project,
        lambda: run_cli("-C", "proj", "export", "--out", "out/labels.csv"),
        f"out/labels.csv: the folder out does not exist (looked in {where}/proj/out; {after_c})",
    )
    _fails_saying(
        penguins_project,
        lambda: run_cli("-C", "proj", "query", "--out", "out/b.csv"),
        f"out/b.csv: the folder out does not exist (looked in {where}/proj/out; {after_c})",
    )
    _fails_saying(
        penguins_project,
        lambda: run_cli("-C", "proj", "status", "--plot", "plots/curve.png"),
        f"--plot plots/curve.png: the folder plots does not exist (looked in {where}/proj/plots; {after_c})",
    )


def test_a_relative_path_without_C_says_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("init", "proj", "--data", "data/pool.csv")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"error: data/pool.csv: no such file or folder (looked in {tmp_path}/data)\n"
    assert list(tmp_path.iterdir()) == []


# --- Ctrl-C ------------------------------------------------------------------------------------------


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_before_anything_is_written_says_nothing_changed(trained_project, monkeypatch):
    import activelearn.ops.train

    monkeypatch.setattr(activelearn.ops.train, "fit_model", _interrupt)
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, "train", "--force")
    assert (result.exit_code, result.stdout, result.stderr) == (
        130,
        "",
        "interrupted; nothing changed\n",
    )
    assert result.exception is None
    assert snapshot(trained_project) == before


def test_ctrl_c_after_the_commit_says_what_was_written(trained_project, monkeypatch):
    import activelearn.render_model

    monkeypatch.setattr(activelearn.render_model, "train_result", _interrupt)
    result = run_cli("-C", trained_project, "train", "--force")
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == "interrupted; already written, and kept: models/model-0002.skops, state.json\n"
    assert [m["version"] for m in json.loads((trained_project / "state.json").read_text())["models"]] == [1, 2]


# --- progress on a terminal --------------------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch):
    """stderr as a terminal, as rich sees it."""
    from rich.console import Console

    import activelearn.render

    monkeypatch.setattr(
        activelearn.render,
        "stderr",
        lambda: Console(stderr=True, force_terminal=True, soft_wrap=True, highlight=False),
    )


LONG_COMMANDS = {  # command: the phases it shows
    ("train", "--force"): ["reading the pool", "cross-validating", "fitting", "writing"],
    ("query", "-n", "3", "--strategy", "margin"): [
        "scoring the pool (margin)",
        "writing the batch",
    ],
    ("predict", "--out", "p.csv"): ["scoring the pool"],
    ("export", "--out", "e.csv"): ["reading the pool and writing"],
    ("verify",): ["checking the pool", "checking the labels", "checking the models"],
}


def _copies(project, n: int):
    import shutil

    return [shutil.copytree(project, project.parent / f"copy{i}") for i in range(n)]


@pytest.mark.parametrize("command", list(LONG_COMMANDS), ids=lambda c: c[0])
def test_phases_show_on_a_terminal_and_only_there(trained_project, command, request):
    piped_project, terminal_project, quiet_project = _copies(trained_project, 3)
    piped = run_cli("-C", piped_project, *command)
    request.getfixturevalue("terminal")
    shown = run_cli("-C", terminal_project, *command)
    quiet = run_cli("-q", "-C", quiet_project, *command)
    assert piped.exit_code == shown.exit_code == quiet.exit_code == 0, shown.stderr
    assert shown.stdout == piped.stdout == quiet.stdout  # stdout is the same either way
    for name in LONG_COMMANDS[command]:
        assert name in shown.stderr, (name, shown.stderr)
        assert name not in piped.stderr
    assert quiet.stderr == ""


def test_init_shows_its_phases_on_a_terminal(tmp_path, terminal):
    from ..conftest import SAMPLE

    shown = run_cli("init", tmp_path / "p", "--data", SAMPLE / "penguins.csv", "--label-column", "species")
    assert shown.exit_code == 0 and shown.stdout == f"{tmp_path / 'p'}\n"
    assert "reading the data into the pool" in shown.stderr and "writing the project" in shown.stderr


# --- shell completion ------------------------------------------------------------------------------


def test_completion_of_strategy_and_model_names():
    from activelearn import completion
    from activelearn.config import MODEL_NAMES

    assert completion.strategies("co") == ["committee", "committee-kl", "coreset"]
    assert completion.strategies("x") == []
    assert completion.models("") == list(MODEL_NAMES)
    assert completion.models("l") == ["logistic", "linear-svm"]


def _complete(words: str, cwd) -> tuple[list[str], bool]:
    """What bash completion offers for `words` (the last one being completed), and whether
    computing it imported pandas."""
    import os
    import subprocess
    import sys

    probe = (
        "import sys\nfrom activelearn.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('pandas' in sys.modules)"
    )
    env = {
        **os.environ,
        "_ACTIVELEARN_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    *offered, pandas = done.stdout.splitlines()
    return [o for o in offered if o], pandas == "True"


def test_completion_of_batch_names_reads_state_json_cheaply(trained_project):
    for _ in range(2):
        assert run_cli("-C", trained_project, "query", "-n", "2").exit_code == 0
    assert run_cli("-C", trained_project, "query", "--release", "batch-0001").exit_code == 0
    assert _complete("activelearn query --release ", trained_project) == (
        ["batch-0002", "all"],
        False,
    )
    assert _complete("activelearn -C proj query --release b", trained_project.parent) == (
        ["batch-0002"],
        False,
    )
    assert _complete("activelearn query --release ", trained_project.parent) == (
        [],
        False,
    )  # no project there
    assert _complete("activelearn simulate data.csv --strategy di", trained_project) == (
        ["diverse"],
        False,
    )


def test_simulate_shows_its_bar_with_the_step_under_way_on_a_terminal(tmp_path, terminal):
    from ..conftest import SAMPLE

    shown = run_cli(
        "simulate",
        SAMPLE / "penguins_labeled.csv",
        "--label-column",
        "species",
        "--repeats",
        "1",
        "--initial",
        "3",
        "--batch-size",
        "10",
        "--budget",
        "13",
        "--jobs",
        "1",
        "--out",
        tmp_path / "s",
    )
    assert shown.exit_code == 0, shown.stderr
    assert "simulating" in shown.stderr and "simulating: fitting" in shown.stderr


# --- start-up ------------------------------------------------------------------------------------


def test_help_imports_neither_pandas_nor_sklearn_nor_skops():
    code = (
        "import sys; from activelearn.cli import app; "
        "heavy = [m for m in ('pandas', 'sklearn', 'skops', 'pyarrow', 'numpy') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "activelearn", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == "activelearn 0.1.0\n"
