"""roles.infer_role: the role init gives a column from its values, and the note that says why."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.parametrize(
    "values, role, note",
    [
        (
            [f"{i:05d}" for i in range(60)],
            "ignore",
            "a different value in every row (zero-padded codes) (an identifier? use --id-column)",
        ),
        (
            [f"{i % 80:05d}" for i in range(200)],
            "ignore",
            "80 distinct short values: too many categories (set to categorical or text to use)",
        ),
        (
            [str(10**17 + i * 13) for i in range(25)],
            "ignore",
            "a different whole number in every row (an identifier? use --id-column)",
        ),
        (
            [str(i * 7 % 25) for i in range(25)],
            "ignore",
            "a different whole number in every row (an identifier? use --id-column)",
        ),
        (
            [f"{i * 1.37 + 0.01:.2f}" for i in range(25)],
            "numeric",
            "numbers",
        ),  # unique measurements stay numeric
        ([str(i % 10) for i in range(25)], "numeric", "whole numbers"),  # whole numbers that repeat
        (
            [str(i * 7 % 19) for i in range(19)],
            "numeric",
            "whole numbers",
        ),  # too few rows to call unique an identifier
        (["0", "10", "20", "0"], "numeric", "whole numbers"),  # a lone 0 is no padding
    ],
)
def test_identifier_and_code_roles(tmp_path, values, role, note):
    from activelearn.roles import infer_role

    inferred = infer_role(pd.Series(values, name="c", dtype=object))
    assert (inferred.role, inferred.note) == (role, note)
