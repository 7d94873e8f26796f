"""status: what it counts and says about the labels, the models and when to stop."""

from __future__ import annotations

import json

from ..conftest import run_cli
from .conftest import _ok


def test_status_counts_answers_given_not_rows_logged_again_unchanged(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,Gentoo\nr000301,Adelie\nr000302,Adelie\n")
    _ok(run_cli("-q", "-C", trained_project, "import-labels", answers))
    answers.write_text("id,species\nr000300,Chinstrap\nr000301,Adelie\nr000302,Adelie\nr000303,Gentoo\n")
    again = _ok(run_cli("-C", trained_project, "import-labels", answers))
    assert again.stdout == (
        "imported 2 labels from 1 file (import-0003); 1 of them correcting an earlier answer, 2 unchanged\n"
    )
    status = json.loads(_ok(run_cli("-C", trained_project, "status", "--json")).stdout)
    # 6 from init, 4 rows answered since by one annotator: 10 answers; since the model 4 new, 1 correction
    assert (status["labeled"], status["answers"], status["answers_since_model"]) == (10, 10, 5)
    human = _ok(run_cli("-C", trained_project, "status")).stdout
    assert "10 answers from anonymous, init\n" in human
    assert "5 answers since the last model: run `activelearn train`\n" in human
    _ok(run_cli("-q", "-C", trained_project, "train"))
    _ok(run_cli("-q", "-C", trained_project, "import-labels", answers, "--force"))  # 4 rows logged again, unchanged
    status = json.loads(_ok(run_cli("-C", trained_project, "status", "--json")).stdout)
    assert (status["answers"], status["answers_since_model"], status["model_up_to_date"]) == (
        10,
        0,
        True,
    )
