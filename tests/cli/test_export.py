"""export: the labeled rows written out, read back by init of a new project exactly as they were."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from ..conftest import run_cli
from .conftest import CODES, IDS, _pool, _tweets


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_reads_back_identically_with_long_integers_and_codes(tmp_path, suffix):
    project, copy = tmp_path / "p", tmp_path / "copy"
    assert run_cli("-q", "init", project, "--data", _tweets(tmp_path / "t.csv")).exit_code == 0
    out = tmp_path / f"labeled{suffix}"
    result = run_cli("-C", project, "export", "--out", out, "--all-columns", "--json")
    assert result.exit_code == 0, result.stderr
    options = json.loads(result.stdout)["init_options"]
    result = run_cli("-q", "init", copy, *options)
    assert result.exit_code == 0, result.stderr
    original = _pool(project).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).head(9)
    copied = _pool(copy).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    pd.testing.assert_frame_equal(copied[original.columns], original)
    assert _pool(copy).schema.remove(5) == _pool(project).schema  # the copy adds the evaluation flag
    assert copied["id_str"].tolist() == IDS[:9] and copied["code"].tolist() == CODES[:9]
