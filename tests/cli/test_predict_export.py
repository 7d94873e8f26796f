"""predict and export, through the CLI: predict writes what the model itself predicts for the same
rows (pool or --data, CSV or Parquet); export round-trips into init of a new project."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from activelearn.labels import LabelLog, read_label_log
from activelearn.model_files import load_model
from activelearn.project import Project

from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli, snapshot
from .conftest import IDS, _tweets
from .test_errors import assert_clean_failure

PENGUIN_CLASSES = ["Adelie", "Chinstrap", "Gentoo"]


def _model(project: Path):
    opened = Project.find(project)
    record = opened.state.latest_model
    pipeline, _ = load_model(opened.paths.root / record.file, record.sha256)
    return pipeline


def _pool(project: Path) -> pd.DataFrame:
    return pd.read_parquet(project / "data" / "pool.parquet")


def _read(path: Path, id_column: str = "id") -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, encoding="utf-8-sig", dtype={id_column: str}, keep_default_na=False, na_values=[""])


def _predict(project: Path, out: Path, *args) -> dict:
    result = run_cli("-C", project, "predict", "--out", out, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _assert_predictions(output: pd.DataFrame, ids, rows: pd.DataFrame, pipeline, classes: list[str]) -> None:
    """The output file holds, row for row, the ids and the model's own predictions and probabilities."""
    assert list(output.columns) == ["id", "prediction", "confidence", *(f"p_{c}" for c in classes)]
    assert [str(c) for c in pipeline.classes_] == classes
    proba = pipeline.predict_proba(rows)
    assert output["id"].tolist() == list(ids)
    assert output["prediction"].tolist() == [str(c) for c in pipeline.predict(rows)]
    np.testing.assert_allclose(output[[f"p_{c}" for c in classes]].to_numpy(), proba, rtol=0, atol=1e-12)
    np.testing.assert_allclose(output["confidence"].to_numpy(), proba.max(axis=1), rtol=0, atol=1e-12)


@pytest.fixture
def reviews_project(tmp_path) -> Path:
    """A trained project on the sample movie reviews (free text; 10 labels)."""
    project = tmp_path / "reviews"
    result = run_cli("-q", "init", project, "--data", SAMPLE / "movie_reviews.csv", "--label-column", "sentiment")
    assert result.exit_code == 0, result.stderr
    result = run_cli("-q", "-C", project, "train")
    assert result.exit_code == 0, result.stderr
    return project


# --- predict ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_pool_matches_the_model_on_penguins(trained_project, tmp_path, suffix):
    out = tmp_path / f"predictions{suffix}"
    before = snapshot(trained_project)
    document = _predict(trained_project, out)
    pool = _pool(trained_project)
    _assert_predictions(_read(out), pool["id"], pool, _model(trained_project), PENGUIN_CLASSES)
    assert document == {
        "file": str(out),
        "rows": 344,
        "source": "pool",
        "model_version": 1,
        "classes": PENGUIN_CLASSES,
        "id_column": "id",
        "generated_ids": True,
        "columns": ["id", "prediction", "confidence", "p_Adelie", "p_Chinstrap", "p_Gentoo"],
        "warnings": [],
    }
    assert snapshot(trained_project) == before  # predict changes nothing in the project


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_pool_matches_the_model_on_movie_reviews(reviews_project, tmp_path, suffix):
    out = tmp_path / f"predictions{suffix}"
    document = _predict(reviews_project, out)
    pool = _pool(reviews_project)
    assert document["rows"] == len(pool) == 3000
    _assert_predictions(_read(out), pool["id"], pool, _model(reviews_project), ["fresh", "rotten"])


def test_predict_plain_output_is_the_path(trained_project, tmp_path):
    result = run_cli("-C", trained_project, "predict", "--out", tmp_path / "p.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'p.csv'}\n"
    assert result.stderr == "344 rows of the pool predicted by model 1\n"


def test_predict_data_file_without_ids_gets_generated_ids(trained_project, tmp_path):
    """An external CSV without the id column: ids generated as init would (so here equal to the pool's),
    predictions equal to the model's on the file's rows, and to predict on the pool."""
    out = tmp_path / "labeled.csv"
    document = _predict(trained_project, out, "--data", SAMPLE / "penguins_labeled.csv")
    assert (document["source"], document["rows"], document["generated_ids"]) == (
        str(SAMPLE / "penguins_labeled.csv"),
        344,
        True,
    )
    external = pd.read_csv(SAMPLE / "penguins_labeled.csv")
    output = _read(out)
    _assert_predictions(
        output,
        [f"r{i:06d}" for i in range(1, 345)],
        external,
        _model(trained_project),
        PENGUIN_CLASSES,
    )
    _predict(trained_project, tmp_path / "pool.csv")
    pd.testing.assert_frame_equal(output, _read(tmp_path / "pool.csv"))


def test_predict_data_with_cells_that_are_not_numbers_warns(trained_project, tmp_path):
    """Found in review: '3,750' in a numeric column became a missing value without a word."""
    frame = pd.read_csv(SAMPLE / "penguins.csv")
    frame["body_mass_g"] = frame["body_mass_g"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    data = tmp_path / "commas.csv"
    frame.to_csv(data, index=False)
    result = run_cli("-C", trained_project, "predict", "--data", data, "--out", tmp_path / "p.csv")
    assert result.exit_code == 0, result.stderr
    assert "commas.csv: 342 cells of the numeric column 'body_mass_g' are not a number (e.g. '3,750')" in result.stderr
    clean = run_cli(
        "-C",
        trained_project,
        "predict",
        "--data",
        SAMPLE / "penguins.csv",
        "--out",
        tmp_path / "q.csv",
    )
    assert "not a number" not in clean.stderr  # the 2 empty cells are missing values, not a problem


def test_predict_parquet_data_file_with_ids_keeps_its_ids_and_order(trained_project, tmp_path):
    pool = _pool(trained_project)
    rows = pool.sample(50, random_state=1).reset_index(drop=True)  # shuffled: output follows the file
    rows["note"] = "extra column, not used"
    data = tmp_path / "some.parquet"
    rows.to_parquet(data)
    out = tmp_path / "some_predicted.parquet"
    document = _predict(trained_project, out, "--data", data)
    assert (document["rows"], document["generated_ids"]) == (50, False)
    _assert_predictions(_read(out), rows["id"], rows, _model(trained_project), PENGUIN_CLASSES)


def test_predict_text_data_file_matches_the_model(reviews_project, tmp_path):
    out = tmp_path / "reviews.parquet"
    _predict(reviews_project, out, "--data", SAMPLE / "movie_reviews_labeled.csv")
    external = pd.read_csv(SAMPLE / "movie_reviews_labeled.csv")
    _assert_predictions(
        _read(out),
        [f"r{i:06d}" for i in range(1, 3001)],
        external,
        _model(reviews_project),
        ["fresh", "rotten"],
    )


def test_predict_streams_in_chunks_with_the_same_result(trained_project, tmp_path):
    from activelearn.ops.predict import predict

    whole = tmp_path / "whole.parquet"
    _predict(trained_project, whole)
    for data, name in ((None, "pool"), (SAMPLE / "penguins_labeled.csv", "data")):
        out = tmp_path / f"chunked-{name}.parquet"
        result = predict(Project.find(trained_project), out=out, data=data, chunk_rows=7)
        assert result.rows == 344
        pd.testing.assert_frame_equal(_read(out), _read(whole))


def test_predict_replaces_an_existing_output(trained_project, tmp_path):
    out = tmp_path / "p.csv"
    out.write_text("an older version\n")
    _predict(trained_project, out)
    assert len(_read(out)) == 344


def test_predict_warns_when_the_model_is_stale(trained_project, tmp_path):
    batch = trained_project / "batches" / "batch-0001.csv"
    assert run_cli("-C", trained_project, "query", "-n", "5").exit_code == 0
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    assert run_cli("-C", trained_project, "import-labels", batch).exit_code == 0
    result = run_cli("-C", trained_project, "predict", "--out", tmp_path / "p.csv")
    assert result.exit_code == 0
    assert (
        "warning: model 1 does not know the labels imported since it was trained; "
        "run `activelearn train` first for up-to-date predictions\n" in result.stderr
    )


# --- predict: clean failures, no output left behind -------------------------------------------------


def _fails_cleanly(project: Path, args: list, code: int, message: str, out: Path) -> None:
    before = snapshot(project)
    existed = out.read_bytes() if out.exists() else None
    assert_clean_failure(run_cli("-C", project, *args), code, message)
    assert snapshot(project) == before
    assert (out.read_bytes() if out.exists() else None) == existed  # neither written nor replaced
    assert not [p for p in out.parent.iterdir() if ".tmp-" in p.name]


def test_predict_without_a_model(penguins_project, tmp_path):
    out = tmp_path / "p.csv"
    _fails_cleanly(
        penguins_project,
        ["predict", "--out", out],
        1,
        "error: no model yet: run `activelearn train` first",
        out,
    )


@pytest.mark.parametrize("command", ["predict", "export"])
def test_bad_output_extension_is_a_usage_error(trained_project, tmp_path, command):
    out = tmp_path / "p.xlsx"
    _fails_cleanly(
        trained_project,
        [command, "--out", out],
        2,
        "p.xlsx: the extension decides the format; use .csv or .parquet",
        out,
    )


def test_predict_data_lacking_the_model_columns(trained_project, tmp_path):
    data = tmp_path / "partial.csv"
    data.write_text("island,bill_length,sex\nDream,40.1,male\n")
    out = tmp_path / "p.csv"
    out.write_text("keep me\n")  # a failed predict leaves an existing output alone
    _fails_cleanly(
        trained_project,
        ["predict", "--data", data, "--out", out],
        1,
        "partial.csv: lacks the columns the model uses: 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', "
        "'body_mass_g', 'year' (did you mean 'bill_length'?)",
        out,
    )


def test_predict_unreadable_data(trained_project, tmp_path):
    data = tmp_path / "broken.parquet"
    data.write_bytes(b"not parquet at all")
    out = tmp_path / "p.parquet"
    _fails_cleanly(
        trained_project,
        ["predict", "--data", data, "--out", out],
        1,
        "broken.parquet: cannot read as parquet",
        out,
    )
    _fails_cleanly(
        trained_project,
        ["predict", "--data", tmp_path / "nope.csv", "--out", out],
        1,
        "nope.csv: no such file",
        out,
    )


def test_predict_data_with_an_empty_id(trained_project, tmp_path):
    rows = _pool(trained_project).head(3)
    rows.loc[1, "id"] = ""
    data = tmp_path / "ids.csv"
    rows.to_csv(data, index=False)
    out = tmp_path / "p.csv"
    _fails_cleanly(
        trained_project,
        ["predict", "--data", data, "--out", out],
        1,
        "ids.csv row 3: the id column 'id' is empty",
        out,
    )


def test_predict_refuses_to_overwrite_its_input_or_the_project(trained_project, tmp_path):
    data = tmp_path / "in.csv"
    data.write_bytes((SAMPLE / "penguins_labeled.csv").read_bytes())
    _fails_cleanly(
        trained_project,
        ["predict", "--data", data, "--out", data],
        2,
        "is the --data file; write the output to another file",
        data,
    )
    pool = trained_project / "data" / "pool.parquet"
    _fails_cleanly(
        trained_project,
        ["predict", "--out", pool],
        2,
        "is inside the project's own files; write the output elsewhere",
        pool,
    )
    _fails_cleanly(
        trained_project,
        ["predict", "--out", tmp_path / "no" / "p.csv"],
        1,
        "the folder",
        tmp_path / "p.csv",
    )


def test_predict_failure_in_json_mode_is_one_document(penguins_project, tmp_path):
    result = run_cli("-C", penguins_project, "predict", "--out", tmp_path / "p.csv", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": "no model yet: run `activelearn train` first",
        "exit_code": 1,
    }


# --- export ----------------------------------------------------------------------------------------


def _label_a_batch(project: Path) -> list[str]:
    """One round as a person does it: 10 rows queried, 9 answered by alice, 1 skipped. Plus one
    evaluation label (by bob) on another row. Returns the batch's ids."""
    assert run_cli("-C", project, "query", "-n", "10").exit_code == 0
    batch = project / "batches" / "batch-0001.csv"
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    with open(batch, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    rows[-1][1] = "skip"
    with open(batch, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(rows)
    result = run_cli("-C", project, "import-labels", batch, "--annotator", "alice")
    assert result.exit_code == 0, result.stderr
    answered = set(read_label_log(project / "data" / "labels.parquet")["id"])
    _add_evaluation_label(project, next(i for i in _pool(project)["id"] if i not in answered), "Gentoo")
    return read_batch_ids(batch)


def _add_evaluation_label(project: Path, id_: str, label: str) -> None:
    answers = project.parent / "evaluation-answers.csv"
    answers.write_text(f"id,species\n{id_},{label}\n")
    result = run_cli("-C", project, "import-labels", answers, "--eval", "--annotator", "bob")
    assert result.exit_code == 0, result.stderr


def _export(project: Path, out: Path, *args) -> dict:
    result = run_cli("-C", project, "export", "--out", out, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _labels(project: Path) -> dict[str, str]:
    opened = Project.find(project)
    return dict(zip(*LabelLog.read(opened.paths, opened.state).training_labels(), strict=True))


def test_export_flags_evaluation_and_leaves_out_skips(penguins_project, tmp_path):
    batch_ids = _label_a_batch(penguins_project)
    out = tmp_path / "labeled.csv"
    document = _export(penguins_project, out)
    exported = _read(out)
    assert list(exported.columns) == [
        "id",
        "species",
        "island",
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
        "year",
        "evaluation",
    ]
    assert (document["rows"], document["labels"], document["evaluation"], document["skipped"]) == (
        16,
        15,
        1,
        0,
    )
    assert batch_ids[-1] not in set(exported["id"])  # skipped
    evaluation = exported[exported["evaluation"]]
    assert evaluation[["species"]].to_dict("records") == [{"species": "Gentoo"}]
    training = exported[~exported["evaluation"]]
    assert dict(zip(training["id"], training["species"], strict=True)) == _labels(penguins_project)
    assert training["id"].tolist()[:6] == [
        "r000039",
        "r000083",
        "r000203",
        "r000236",
        "r000283",
        "r000286",
    ]  # init's first
    assert training["id"].tolist()[6:] == batch_ids[:9]  # then in the order they were answered
    pool = _pool(penguins_project).set_index("id")
    features = [
        "island",
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
        "year",
    ]
    pd.testing.assert_frame_equal(
        exported.set_index("id")[features], pool.loc[exported["id"], features], check_dtype=False
    )

    _export(penguins_project, out, "--no-evaluation")
    assert len(_read(out)) == 15 and not _read(out)["evaluation"].any()


def test_export_with_annotators_and_skipped_rows(penguins_project, tmp_path):
    batch_ids = _label_a_batch(penguins_project)
    out = tmp_path / "labeled.parquet"
    document = _export(penguins_project, out, "--annotators", "--include-skipped")
    exported = _read(out).set_index("id")
    assert document["columns"][-6:] == [
        "evaluation",
        "skipped",
        "annotators",
        "batch",
        "import_id",
        "answered_at",
    ]
    assert (document["rows"], document["skipped"]) == (17, 1)
    skipped = exported.loc[batch_ids[-1]]
    assert pd.isna(skipped["species"])
    assert (skipped["skipped"], skipped["annotators"], skipped["batch"]) == (
        True,
        "alice",
        "batch-0001",
    )
    answered = exported.loc[batch_ids[0]]
    assert (
        answered["skipped"],
        answered["annotators"],
        answered["batch"],
        answered["import_id"],
    ) == (False, "alice", "batch-0001", "import-0002")
    first = exported.loc["r000039"]
    assert (first["species"], first["annotators"], first["import_id"]) == (
        "Adelie",
        "init",
        "import-0001",
    )
    assert pd.isna(first["batch"])  # init's labels came in no batch
    assert exported["answered_at"].str.match(r"\d{4}-\d\d-\d\dT").all()
    assert exported.loc[exported["evaluation"], "annotators"].tolist() == ["bob"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trips_into_init(penguins_project, tmp_path, suffix):
    _label_a_batch(penguins_project)
    out = tmp_path / f"labeled{suffix}"
    document = _export(penguins_project, out, "--no-evaluation", "--annotators", "--include-skipped")
    assert document["init_options"] == [
        "--data",
        str(out.resolve()),
        "--id-column",
        "id",
        "--label-column",
        "species",
        "--classes",
        "Adelie,Chinstrap,Gentoo",
        "--ignore-columns",
        "evaluation,skipped,annotators,batch,import_id,answered_at",
    ]
    copy = tmp_path / "copy"
    result = run_cli("-q", "init", copy, *document["init_options"])
    assert result.exit_code == 0, result.stderr
    _assert_same_labeled_project(penguins_project, copy, document["rows"])


def _assert_same_labeled_project(original: Path, copy: Path, rows: int) -> None:
    """The copy's labels are the original's training labels; its pool has their rows with equal
    features, used with the same roles."""
    assert _labels(copy) == _labels(original)
    old, new = Project.find(original).config, Project.find(copy).config
    assert {n: r for n, r in new.columns.items() if r != "ignore"} == {
        n: r for n, r in old.columns.items() if r != "ignore"
    }
    assert new.classes == old.classes
    copied, key = _pool(copy), old.id_column
    assert len(copied) == rows and new.id_column == key
    features = old.feature_columns
    expected = _pool(original).set_index(key).loc[copied[key], features]
    pd.testing.assert_frame_equal(_comparable(copied.set_index(key)[features]), _comparable(expected))


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Vectors (embedding cells) as tuples, which compare as values."""
    return frame.apply(lambda column: column.map(lambda v: tuple(v) if isinstance(v, (list, np.ndarray)) else v))


def test_export_of_a_text_project_round_trips(reviews_project, tmp_path):
    out = tmp_path / "reviews.csv"
    document = _export(reviews_project, out)
    assert "--text-columns" in document["init_options"]
    copy = tmp_path / "copy"
    assert run_cli("-q", "init", copy, *document["init_options"]).exit_code == 0
    _assert_same_labeled_project(reviews_project, copy, 10)


def test_export_of_embeddings_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "vectors.csv"
    frame = pd.DataFrame(
        {
            "key": [f"k{i}" for i in range(30)],
            "vector": [json.dumps([round(float(x), 6) for x in rng.normal(size=3)]) for _ in range(30)],
            "size": rng.normal(size=30).round(3),
            "label": ["a", "b"] * 5 + [""] * 20,
        }
    )
    frame.to_csv(data, index=False)
    project = tmp_path / "proj"
    assert run_cli("-q", "init", project, "--data", data, "--id-column", "key").exit_code == 0
    assert Project.find(project).config.columns["vector"] == "embedding"
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"labeled{suffix}"
        document = _export(project, out)
        copy = tmp_path / f"copy{suffix}"
        assert run_cli("-q", "init", copy, *document["init_options"]).exit_code == 0
        _assert_same_labeled_project(project, copy, 10)


def test_export_of_a_project_without_labels_writes_the_header(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,y,label\n1,a,\n2,b,\n3,a,\n")
    project = tmp_path / "proj"
    assert run_cli("-q", "init", project, "--data", data, "--classes", "yes,no").exit_code == 0
    out = tmp_path / "labeled.csv"
    result = run_cli("-C", project, "export", "--out", out)
    assert result.exit_code == 0
    assert "warning: no labeled rows yet: the file has the header only" in result.stderr
    assert out.read_text(encoding="utf-8-sig") == '"id","label","x","y","evaluation"\n'


def test_export_names_its_own_columns_apart_from_data_columns(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("evaluation,batch,label\n1,x,yes\n2,y,no\n3,x,\n")
    project = tmp_path / "proj"
    assert run_cli("-q", "init", project, "--data", data).exit_code == 0
    out = tmp_path / "labeled.csv"
    document = _export(project, out, "--annotators")
    assert document["columns"] == [
        "id",
        "label",
        "evaluation",
        "batch",
        "activelearn_evaluation",
        "annotators",
        "activelearn_batch",
        "import_id",
        "answered_at",
    ]
    assert _read(out)["evaluation"].tolist() == [1, 2]


def test_export_plain_output_is_the_path(trained_project, tmp_path):
    result = run_cli("-C", trained_project, "export", "--out", tmp_path / "e.csv")
    assert result.exit_code == 0
    assert result.stdout == f"{tmp_path / 'e.csv'}\n"
    assert result.stderr == "6 rows: 6 labels (Adelie 2, Chinstrap 2, Gentoo 2), 0 evaluation, 0 skipped\n"


def test_export_into_the_project_files_is_refused(trained_project):
    log = trained_project / "data" / "labels.parquet"
    _fails_cleanly(trained_project, ["export", "--out", log], 2, "is inside the project's own files", log)


def test_help_does_not_import_pandas():
    import subprocess
    import sys

    code = "import sys; from activelearn.cli import app; assert 'pandas' not in sys.modules and 'sklearn' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
    for command in ("predict", "export"):
        result = run_cli(command, "--help")
        assert result.exit_code == 0 and "--out" in result.stdout


def test_the_predict_command_module_imports_neither_the_embeddings_nor_scikit_learn():
    import subprocess
    import sys

    code = (
        "import sys; import activelearn.ops.predict; "
        "assert 'activelearn.embeddings' not in sys.modules and 'sklearn' not in sys.modules"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_predict_and_export_refuse_to_write_over_the_data_file_the_project_was_made_from(tmp_path):
    data = tmp_path / "pool.csv"
    data.write_bytes((SAMPLE / "penguins.csv").read_bytes())
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data, "--label-column", "species").exit_code == 0
    assert run_cli("-q", "-C", project, "train").exit_code == 0
    message = "is the data file this project was made from ([data] source in activelearn.toml); write the output to another file"
    _fails_cleanly(project, ["predict", "--out", "../pool.csv"], 2, message, data)
    _fails_cleanly(project, ["export", "--out", data], 2, message, data)


def test_predict_output_keeps_18_digit_ids(tmp_path):
    data = _tweets(tmp_path / "t.csv")
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data, "--id-column", "id_str").exit_code == 0
    assert run_cli("-q", "-C", project, "train").exit_code == 0
    for name in ("out.csv", "out.parquet"):
        result = run_cli("-q", "-C", project, "predict", "--out", tmp_path / name)
        assert result.exit_code == 0, result.stderr
        out = pd.read_parquet(tmp_path / name) if name.endswith("parquet") else pd.read_csv(tmp_path / name, dtype=str)
        assert out["id_str"].tolist() == [str(i) for i in IDS]
