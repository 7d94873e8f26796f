"""train: what it fits on, and the roles and columns of activelearn.toml it checks first."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..conftest import run_cli, snapshot

# --- roles set by hand in activelearn.toml ------------------------------------------------------


def _review_project(tmp_path: Path, comments: list[str]) -> Path:
    """40 rows: a numeric 'size', a 'comment' column of the given cells, 8 labels."""
    data = tmp_path / "d.csv"
    pd.DataFrame(
        {
            "size": [i % 9 * 1.5 for i in range(40)],
            "comment": comments,
            "label": [["good", "bad"][i % 2] if i < 8 else "" for i in range(40)],
        }
    ).to_csv(data, index=False)
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data).exit_code == 0
    return project


def _set_role(project: Path, column: str, role: str) -> None:
    config = project / "activelearn.toml"
    lines = [
        f'{column} = "{role}"' if line.split("=")[0].strip() == column else line
        for line in config.read_text().splitlines()
    ]
    config.write_text("\n".join(lines) + "\n")


def test_numeric_role_on_a_text_column_is_an_error(tmp_path):
    comments = [f"comment number {i} about the stay" for i in range(40)]
    comments[0] = ""  # empty cells are missing values, not text
    project = _review_project(tmp_path, comments)
    _set_role(project, "comment", "numeric")
    message = (
        "activelearn.toml: column 'comment' is numeric but row r000002 holds 'comment number 1 about the stay' "
        "(39 of 39 cells are not numbers); make it text or categorical"
    )
    for command in (["train"], ["query", "-n", "2"]):
        before = snapshot(project)
        result = run_cli("-C", project, *command)
        assert (result.exit_code, result.stdout, result.stderr) == (
            1,
            "",
            f"error: {project}/{message}\n",
        )
        assert snapshot(project) == before
    result = run_cli("-C", project, "verify")
    assert (result.exit_code, result.stdout) == (
        1,
        f"problem: activelearn.toml: {message} (fix the role in activelearn.toml)\n",
    )


def test_a_few_typos_in_a_numeric_column_are_a_warning(tmp_path):
    comments = ["12,5" if i == 4 else str(i * 3) for i in range(39)] + ["NA"]
    project = _review_project(tmp_path, comments)
    _set_role(project, "comment", "numeric")  # inferred otherwise: '12,5' is not a number
    result = run_cli("-C", project, "train")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"warning: {project}/activelearn.toml: column 'comment' is numeric but 1 of 39 cells are not numbers "
        "(row r000005 holds '12,5'); they count as missing values\n"
    )


def test_a_pool_column_left_out_of_columns_is_named(tmp_path):
    project = _review_project(tmp_path, [f"comment number {i} about the stay" for i in range(40)])
    config = project / "activelearn.toml"
    config.write_text("\n".join(x for x in config.read_text().splitlines() if not x.startswith("comment ")) + "\n")
    warning = (
        "warning: column 'comment' of the pool has no role in activelearn.toml [columns]; "
        'add `comment = "ignore"` to leave it out on purpose\n'
    )
    result = run_cli("-C", project, "train")
    assert (result.exit_code, result.stderr) == (0, warning)
    result = run_cli("-C", project, "verify")
    assert (result.exit_code, result.stderr) == (0, warning)
    assert result.stdout.startswith("ok: checked")
