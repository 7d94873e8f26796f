"""The datetime role (inference, features, the loop on it) and the options that force a role at init."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tomllib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from activelearn.features import DatetimeFeatures, build_features
from activelearn.roles import infer_role
from activelearn.scoring import NumericFeatures, Scorer

from ..conftest import SAMPLE, run_cli, snapshot


def _visits(path, rows: int = 80, labeled: int = 30):
    """A CSV of visits whose label is the time of day: 'night' from 22:00 to 06:00, else 'day'."""
    start = dt.datetime(2024, 3, 4, 0, 0)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["when", "amount", "label"])
        for i in range(rows):
            when = start + dt.timedelta(hours=7 * i, minutes=13 * i % 60)
            label = "night" if when.hour < 6 or when.hour >= 22 else "day"
            writer.writerow([when.strftime("%Y-%m-%d %H:%M"), 10 + i % 7, label if i < labeled else ""])
    return path


def _truth(path) -> dict[str, str]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        f"r{i + 1:06d}": "night" if int(r["when"][11:13]) < 6 or int(r["when"][11:13]) >= 22 else "day"
        for i, r in enumerate(rows)
    }


# --- inference ----------------------------------------------------------------------------------


def test_init_infers_a_timestamp_column_as_datetime_with_its_reason(tmp_path):
    data = _visits(tmp_path / "visits.csv")
    result = run_cli("init", tmp_path / "p", "--data", data)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'p'}\n"
    assert "dates and times like 2024-03-04 07:13" in result.stderr
    text = (tmp_path / "p" / "activelearn.toml").read_text()
    assert 'when   = "datetime"     # dates and times like 2024-03-04 07:13\n' in text
    assert "embedding (a list of numbers), datetime or ignore." in text
    assert tomllib.loads(text)["columns"] == {"when": "datetime", "amount": "numeric"}


@pytest.mark.parametrize(
    "values, role, note",
    [
        (
            ["2024-03-05", "2024-03-06", "", "2024-04-01"],
            "datetime",
            "dates like 2024-03-05, 1 missing",
        ),
        (
            ["05/03/2024", "25/03/2024", "01/04/2024"],
            "datetime",
            "dates like 05/03/2024, 05/03/2024 read as 5 March",
        ),
        (
            ["03/05/2024", "03/25/2024", "04/01/2024"],
            "datetime",
            "dates like 03/05/2024, 03/05/2024 read as 5 March",
        ),
        (
            ["2024-03-05T14:22:00Z", "2024-03-05T16:00:00+01:00"],
            "datetime",
            "dates and times like 2024-03-05T14:22:00Z",
        ),
        (
            [f"2024-03-{d:02d} 9:05 PM" for d in range(1, 21)] + ["soon"],
            "datetime",
            "dates and times like 2024-03-01 9:05 PM, 1 cell is not a date (e.g. 'soon'), taken as missing",
        ),
        ([2019, 2020, 2021, 2019], "numeric", "whole numbers"),  # years stay numbers
        (
            ["20240305", "20240306", "20240401"],
            "numeric",
            "whole numbers",
        ),  # so do dates written as one number
        (["2019", "2020", "NA", "2021"], "numeric", "whole numbers, 1 missing"),
        (["1.2.3", "1.2.4", "2.0.1"], "categorical", "3 distinct values"),  # versions are no dates
        (
            [f"2024-03-05-{i:03d}" for i in range(60)],
            "ignore",
            "a different value in every row (an identifier? use --id-column)",
        ),
        (["2024-03-05"] * 4, "ignore", "the same value in every row"),
        (["2024-03-05", "tomorrow", "later", "2024-03-07"], "categorical", "4 distinct values"),
    ],
)
def test_which_columns_are_dates(values, role, note):
    inferred = infer_role(pd.Series(values, name="c", dtype=object if isinstance(values[0], str) else None))
    assert (inferred.role, inferred.note) == (role, note)


def test_parquet_timestamp_and_date_columns_are_datetime(tmp_path):
    stamps = [dt.datetime(2024, 1, 1, 8) + dt.timedelta(hours=5 * i) for i in range(40)]
    table = pa.table(
        {
            "at": pa.array(stamps, type=pa.timestamp("us")),
            "on": pa.array([s.date() for s in stamps], type=pa.date32()),
            "zoned": pa.array(stamps, type=pa.timestamp("us", tz="Europe/Paris")),
            "label": ["a", "b"] * 5 + [""] * 30,
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    result = run_cli("init", tmp_path / "p", "--data", tmp_path / "t.parquet", "--json")
    assert result.exit_code == 0, result.stderr
    columns = {c["name"]: (c["role"], c["note"]) for c in json.loads(result.stdout)["columns"]}
    assert columns == {
        "at": ("datetime", "dates and times like 2024-01-01 08:00:00"),
        "on": ("datetime", "dates like 2024-01-01"),
        "zoned": ("datetime", "dates and times like 2024-01-01 09:00:00+01:00"),
    }
    assert run_cli("-C", tmp_path / "p", "train").exit_code == 0
    assert run_cli("-C", tmp_path / "p", "query", "-n", "3").exit_code == 0


def test_spreadsheet_date_cells_are_datetime(tmp_path):
    frame = pd.read_csv(_visits(tmp_path / "visits.csv"), dtype={"label": str}, keep_default_na=False)
    frame["when"] = pd.to_datetime(frame["when"])
    frame.to_excel(tmp_path / "visits.xlsx", index=False)
    result = run_cli("init", tmp_path / "p", "--data", tmp_path / "visits.xlsx", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["columns"][0] == {
        "name": "when",
        "role": "datetime",
        "note": "dates and times like 2024-03-04 07:13:00",
    }


# --- the features ---------------------------------------------------------------------------------


def test_datetime_features_exact_values():
    rows = pd.DataFrame({"when": ["2024-03-04 06:00", "2024-06-08 18:00", None, "2023-12-25 00:00", "31/12/2023"]})
    features = DatetimeFeatures("when").fit(rows)
    assert list(features.get_feature_names_out()) == [
        "when_year",
        "when_month_sin",
        "when_month_cos",
        "when_day",
        "when_weekday_sin",
        "when_weekday_cos",
        "when_weekend",
        "when_hour_sin",
        "when_hour_cos",
        "when_missing",
    ]
    expected = [
        # Monday 4 March 2024, 06:00: March is 2/12 of the year round, 06:00 a quarter of the day
        [2024, 0.8660, 0.5, 4, 0.0, 1.0, 0, 1.0, 0.0, 0],
        # Saturday 8 June, 18:00: a weekend
        [2024, 0.5, -0.8660, 8, -0.9749, -0.2225, 1, -1.0, 0.0, 0],
        # missing: the median year and day, the centre of each circle, the indicator
        [2023.5, 0.0, 0.0, 16.5, 0.0, 0.0, 0.5, 0.0, 0.0, 1],
        # Monday 25 December 2023, midnight
        [2023, -0.5, 0.8660, 25, 0.0, 1.0, 0, 0.0, 1.0, 0],
        # Sunday 31 December 2023 (day first: 31 is no month), midnight
        [2023, -0.5, 0.8660, 31, -0.7818, 0.6235, 1, 0.0, 1.0, 0],
    ]
    np.testing.assert_allclose(features.transform(rows), expected, atol=1e-4)


def test_datetime_features_differ_by_hour_and_weekday_only_when_those_vary():
    same_day = pd.DataFrame({"when": ["2024-03-05 01:00", "2024-03-05 13:30"]})
    features = DatetimeFeatures("when").fit(same_day)
    assert list(features.get_feature_names_out()) == ["when_hour_sin", "when_hour_cos"]
    np.testing.assert_allclose(features.transform(same_day), [[0.2588, 0.9659], [-0.3827, -0.9239]], atol=1e-4)
    dates_only = pd.DataFrame({"when": ["2024-03-05", "2024-03-09"]})  # Tuesday, Saturday
    features = DatetimeFeatures("when").fit(dates_only)
    assert list(features.get_feature_names_out()) == [
        "when_day",
        "when_weekday_sin",
        "when_weekday_cos",
        "when_weekend",
    ]
    np.testing.assert_allclose(
        features.transform(dates_only),
        [[5, 0.7818, 0.6235, 0], [9, -0.9749, -0.2225, 1]],
        atol=1e-4,
    )
    # a row unlike any fitted one (an unreadable cell) still gets every column
    np.testing.assert_allclose(features.transform(pd.DataFrame({"when": ["soon"]})), [[7, 0, 0, 0.5]], atol=1e-4)


def test_datetime_features_save_load_and_read_arrow_rows_like_pandas(tmp_path):
    frame = pd.DataFrame(
        {
            "when": [f"2024-03-{1 + i % 28:02d} {i % 24:02d}:15" for i in range(40)] + [None],
            "x": np.arange(41, dtype=float),
        }
    )
    labels = np.array(["a", "b"] * 20 + ["a"])
    from activelearn.models import build_pipeline

    pipeline = build_pipeline("logistic", {"when": "datetime", "x": "numeric"}, 0, labels).fit(frame, labels)
    from activelearn.model_files import load_model, save_model

    save_model(tmp_path / "m.skops", pipeline, {})
    loaded = load_model(tmp_path / "m.skops")[0]  # a model file as train saves it
    assert NumericFeatures.of(loaded) is None  # the numeric fast path stands aside
    scorer = Scorer(loaded)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    np.testing.assert_array_equal(scorer.predict_proba(table), pipeline.predict_proba(frame))
    np.testing.assert_array_equal(scorer.transform(table), pipeline.named_steps["features"].transform(frame))
    names = build_features({"when": "datetime"}).fit(frame).named_steps["columns"].get_feature_names_out()
    assert list(names) == [  # one year, one month: neither varies, so neither is a feature
        f"datetime:when__when_{part}"
        for part in (
            "day",
            "weekday_sin",
            "weekday_cos",
            "weekend",
            "hour_sin",
            "hour_cos",
            "missing",
        )
    ]


# --- the loop on a datetime column ----------------------------------------------------------------


def test_train_query_predict_with_a_datetime_column(tmp_path):
    data = _visits(tmp_path / "visits.csv")
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data).exit_code == 0
    trained = run_cli("-C", project, "train")
    assert trained.exit_code == 0, trained.stderr
    queried = run_cli("-C", project, "query", "-n", "4", "--json")
    assert queried.exit_code == 0, queried.stderr
    batch = json.loads(queried.stdout)["file"]
    with open(project / batch, newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    assert "when" in header
    predicted = run_cli("-C", project, "predict", "--out", tmp_path / "pred.csv")
    assert predicted.exit_code == 0, predicted.stderr
    predictions = pd.read_csv(tmp_path / "pred.csv", dtype=str)
    truth = _truth(data)
    right = sum(truth[i] == p for i, p in zip(predictions["id"], predictions["prediction"], strict=True))
    assert right / len(predictions) >= 0.95  # night and day told apart by the hour alone


# --- forcing a role at init -----------------------------------------------------------------------


def test_forcing_categorical_numeric_and_datetime_roles(tmp_path):
    data = tmp_path / "d.csv"
    rows = ["code,zip,day,label"] + [
        f"{i % 3},0{1000 + i},2024{i % 12 + 1:02d}{i % 28 + 1:02d},{'ab'[i % 2]}" for i in range(30)
    ]
    data.write_text("\n".join(rows) + "\n")
    result = run_cli(
        "init",
        tmp_path / "p",
        "--data",
        data,
        "--categorical-columns",
        "code",
        "--numeric-columns",
        "zip",
        "--datetime-columns",
        "day",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert [(c["name"], c["role"], c["note"]) for c in json.loads(result.stdout)["columns"]] == [
        ("code", "categorical", "--categorical-columns"),
        ("zip", "numeric", "--numeric-columns"),
        (
            "day",
            "datetime",
            "--datetime-columns",
        ),  # 20240101: a number, unless the option says it is a date
    ]
    config = tomllib.loads((tmp_path / "p" / "activelearn.toml").read_text())
    assert config["columns"] == {"code": "categorical", "zip": "numeric", "day": "datetime"}
    assert run_cli("-C", tmp_path / "p", "train").exit_code == 0


def test_forced_numeric_column_with_a_few_words_keeps_them_as_missing(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("size,note,label\n" + "".join(f"{i},{'n/a?' if i == 3 else i},{'ab'[i % 2]}\n" for i in range(10)))
    result = run_cli("init", tmp_path / "p", "--data", data, "--numeric-columns", "note", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["columns"][1] == {
        "name": "note",
        "role": "numeric",
        "note": "--numeric-columns; 1 cell is not a number (e.g. 'n/a?'), taken as missing",
    }


def _init_fails(tmp_path, args, code, stderr):
    before = snapshot(tmp_path)
    result = run_cli("init", tmp_path / "p", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", f"error: {stderr}\n")
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "p").exists()


def test_forcing_a_column_that_does_not_exist_is_a_usage_error(tmp_path):
    data = SAMPLE / "penguins.csv"
    _init_fails(
        tmp_path,
        ["--data", data, "--label-column", "species", "--numeric-columns", "bill_lenght_mm"],
        2,
        f"{data}: --numeric-columns names 'bill_lenght_mm', which is not a column (did you mean 'bill_length_mm'?)",
    )
    _init_fails(
        tmp_path,
        ["--data", data, "--label-column", "species", "--text-columns", "islands"],
        2,
        f"{data}: --text-columns names 'islands', which is not a column (did you mean 'island'?)",
    )


def test_forcing_the_label_column_is_a_usage_error(tmp_path):
    data = SAMPLE / "penguins.csv"
    _init_fails(
        tmp_path,
        ["--data", data, "--label-column", "species", "--categorical-columns", "species"],
        2,
        f"{data}: --categorical-columns names 'species', the label column, which is not a feature",
    )


def test_numeric_columns_on_words_is_an_error_naming_the_value(tmp_path):
    data = SAMPLE / "penguins.csv"
    _init_fails(
        tmp_path,
        ["--data", data, "--label-column", "species", "--numeric-columns", "body_mass_g,island"],
        1,
        f"{data} row 2: column 'island' holds 'Torgersen', and 344 of its 344 filled cells are not numbers; "
        "leave it out of --numeric-columns",
    )


def test_datetime_columns_on_words_is_an_error_naming_the_value(tmp_path):
    data = SAMPLE / "penguins.csv"
    _init_fails(
        tmp_path,
        ["--data", data, "--label-column", "species", "--datetime-columns", "sex"],
        1,
        f"{data} row 2: column 'sex' holds 'male', and 333 of its 333 filled cells are not dates; "
        "leave it out of --datetime-columns",
    )


def test_a_column_in_two_options_is_a_usage_error(tmp_path):
    _init_fails(
        tmp_path,
        [
            "--data",
            SAMPLE / "penguins.csv",
            "--label-column",
            "species",
            "--numeric-columns",
            "year",
            "--categorical-columns",
            "island,year",
        ],
        2,
        "--categorical-columns and --numeric-columns both name 'year'; give each column one role",
    )


def test_simulate_takes_the_same_options(tmp_path):
    result = run_cli(
        "-q",
        "simulate",
        SAMPLE / "penguins.csv",
        "--label-column",
        "species",
        "--ignore-columns",
        "year",
        "--datetime-columns",
        "year",
        "--out",
        tmp_path / "sim",
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr == "error: --datetime-columns and --ignore-columns both name 'year'; give each column one role\n"
    )
    assert not (tmp_path / "sim").exists()


def _fitted_dates(project, column: str):
    """The DatetimeFeatures the latest model fitted for `column`."""
    from activelearn.model_files import load_model
    from activelearn.project import Project

    record = Project.find(project).state.latest_model
    pipeline = load_model(project / record.file, record.sha256)[0]

    def parts(step):
        yield step
        if getattr(step, "features", None) is not None:  # pool_features.FrozenFeatures
            yield from parts(step.features)
        for _, inner, *_ in getattr(step, "steps", []) + getattr(step, "transformers_", []):
            yield from parts(inner)

    return next(s for s in parts(pipeline) if isinstance(s, DatetimeFeatures) and s.column == column)


def test_the_model_reads_dates_in_the_order_init_decided(tmp_path):
    # the pool shows the month first (03/25/2024); the labeled rows alone could be read either way
    days = [
        "03/05/2024",
        "04/01/2024",
        "01/02/2024",
        "02/03/2024",
        "03/25/2024",
        "12/30/2024",
        "07/19/2024",
    ]
    data = tmp_path / "d.csv"
    data.write_text(
        "when,size,label\n" + "".join(f"{days[i % 7]},{i},{'ab'[i % 2] if i % 7 < 4 else ''}\n" for i in range(28))
    )
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data).exit_code == 0
    config = tomllib.loads((project / "activelearn.toml").read_text())
    assert config["data"]["month_first_columns"] == ["when"]
    assert run_cli("-q", "-C", project, "train").exit_code == 0
    dates = _fitted_dates(project, "when")
    assert dates.day_first_ is False
    assert not np.isnan(
        DatetimeFeatures("when", day_first=False).fit(pd.Series(days)).transform(pd.Series(["03/25/2024"]))
    ).any()


def test_the_training_key_tells_every_date_day_first_from_decided_at_each_fit():
    from dataclasses import replace

    from activelearn.config import Config
    from activelearn.versions import training_key

    dated = Config(id_column="id", label_column="label", classes=("a", "b"), columns={"when": "datetime"})
    keys = {training_key(replace(dated, month_first_columns=order), "d") for order in (None, (), ("when",))}
    assert len(keys) == 3  # three ways to read 05/03/2024 (decided at each fit, day first, month first): three models
    undated = replace(dated, columns={"size": "numeric"})
    # without dates the key is what it was before month_first_columns existed
    assert training_key(replace(undated, month_first_columns=()), "d") == training_key(undated, "d")
