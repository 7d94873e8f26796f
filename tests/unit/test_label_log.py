"""LabelLog on small in-memory logs: the answers that count, the current labels drawn from them,
and what the commands ask of the log."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from activelearn.errors import ConfigError, StateError
from activelearn.labels import LOG_COLUMNS, LabelLog, empty_log, write_label_log
from activelearn.project import ProjectPaths
from activelearn.state import State


def _log(*answers: tuple) -> pd.DataFrame:
    """A label log of (id, answer, annotator, import id[, evaluation]) answers, oldest first; the
    answer "-" is a skip."""
    rows = []
    for n, (row_id, answer, annotator, import_id, *evaluation) in enumerate(answers):
        rows.append(
            {
                "id": row_id,
                "answer": answer,
                "kind": "skip" if answer == "-" else "label",
                "annotator": annotator,
                "time": f"2026-01-01T00:00:{n:02d}+00:00",
                "source": f"/answers/{import_id}.csv",
                "source_sha256": f"sha-{import_id}",
                "batch": "batch-0001",
                "import_id": import_id,
                "evaluation": bool(evaluation and evaluation[0]),
                "decision": None,
                "correction": False,
            }
        )
    return pd.DataFrame(rows, columns=list(LOG_COLUMNS)).astype(LOG_COLUMNS) if rows else empty_log()


LOG = _log(
    ("r1", "cat", "ann", "import-0001"),
    ("r2", "dog", "ann", "import-0001"),
    ("r3", "-", "ann", "import-0001"),
    ("r4", "dog", "bob", "import-0002"),  # reverted below
    ("r1", "dog", "bob", "import-0002"),  # reverted below
    ("r5", "cat", "ann", "import-0003", True),
    ("r2", "cat", "bob", "import-0003", True),  # r2 joins the evaluation set
)


def _cells(column: pd.Series) -> list:
    """The column's values, None where it has none."""
    return [None if pd.isna(value) else value for value in column]


def _pairs(ids_and_labels) -> list[tuple[str, str]]:
    ids, labels = ids_and_labels
    return sorted(zip(ids.tolist(), labels.tolist(), strict=True))


def test_reverted_imports_no_longer_count_but_stay_in_the_whole_log():
    log = LabelLog.of(LOG, ["import-0002"])
    assert len(log.whole) == 7 and len(log.counted) == 5
    assert list(log.counted.index) == [0, 1, 2, 5, 6]  # positions in the whole log
    assert log.answered_ids() == {"r1", "r2", "r3", "r5"}
    assert _pairs(log.training_labels()) == [("r1", "cat")]
    assert log.annotators() == ["ann", "bob"]
    assert log.imports() == ["import-0001", "import-0002", "import-0003"]
    assert log.answers_of("import-0002")["id"].tolist() == ["r4", "r1"]


def test_without_a_revert_every_answer_counts():
    log = LabelLog.of(LOG)
    assert log.counted is log.whole
    # r1: cat by ann, dog by bob: a tie goes to the most recent of the tied labels
    assert _pairs(log.training_labels()) == [("r1", "dog"), ("r4", "dog")]


def test_the_evaluation_set_is_every_row_with_an_evaluation_answer_and_is_never_trained_on():
    log = LabelLog.of(LOG, ["import-0002"])
    assert log.evaluation_ids() == {"r2", "r5"}
    assert _pairs(log.evaluation_labels()) == [("r2", "cat"), ("r5", "cat")]
    assert "r2" not in set(log.training_rows()["id"])  # answered for training too, but held out


def test_current_labels_and_skips_of_the_training_answers():
    log = LabelLog.of(LOG, ["import-0002"])
    current = log.current()
    assert list(zip(current["id"], _cells(current["label"]), current["kind"], strict=True)) == [
        ("r1", "cat", "label"),
        ("r2", "dog", "label"),
        ("r3", None, "skip"),
    ]
    assert log.skipped_ids() == {"r3"}
    assert log.current() is current  # resolved once
    assert log.label_classes() == {"cat", "dog"}


def test_the_next_import_id_counts_reverted_imports_too():
    assert LabelLog.of(empty_log()).next_import_id() == "import-0001"
    assert LabelLog.of(LOG, ["import-0003"]).next_import_id() == "import-0004"
    assert LabelLog.of(_log(("r1", "cat", "ann", "import-0009"))).next_import_id() == "import-0010"


def test_the_training_digest_changes_when_and_only_when_the_training_labels_do():
    base = [("r1", "cat", "ann", "import-0001"), ("r2", "dog", "ann", "import-0001")]
    digest = LabelLog.of(_log(*base)).training_digest()
    same = {
        "a skip of a new row": [("r3", "-", "ann", "import-0002")],
        "an evaluation label of a new row": [("r3", "cat", "ann", "import-0002", True)],
        "an unchanged answer logged again": [("r1", "cat", "ann", "import-0002")],
        "a second annotator agreeing": [("r2", "dog", "bob", "import-0002")],
    }
    for why, more in same.items():
        assert LabelLog.of(_log(*base, *more)).training_digest() == digest, why
    assert LabelLog.of(_log(*base, ("r3", "cat", "ann", "import-0002")), ["import-0002"]).training_digest() == digest
    changed = {
        "a new label": [("r3", "cat", "ann", "import-0002")],
        "a correction": [("r1", "dog", "ann", "import-0002")],
        "a trained row joining the evaluation set": [("r2", "dog", "bob", "import-0002", True)],
        "a label skipped later": [("r1", "-", "ann", "import-0002")],
    }
    for why, more in changed.items():
        assert LabelLog.of(_log(*base, *more)).training_digest() != digest, why
    assert LabelLog.of(_log(*base), ["import-0001"]).training_digest() != digest


def test_given_answers_count_each_annotators_current_answer_once():
    log = LabelLog.of(
        _log(
            ("r1", "cat", "ann", "import-0001"),
            ("r1", "cat", "ann", "import-0002"),  # logged again
            ("r1", "dog", "ann", "import-0003"),  # a correction
            ("r1", "dog", "bob", "import-0003"),
            ("r1", "dog", "bob", "import-0004", True),  # an evaluation answer is another one
        )
    )
    assert log.given_answers() == 3


def test_answers_since_a_model_count_those_that_changed_something():
    log = LabelLog.of(
        _log(
            ("r1", "cat", "ann", "import-0001"),
            ("r2", "dog", "ann", "import-0001"),
            ("r1", "cat", "ann", "import-0002"),  # unchanged, logged again
            ("r2", "cat", "ann", "import-0002"),  # a correction
            ("r3", "-", "ann", "import-0002"),  # a new skip
            ("r4", "dog", "ann", "import-0003"),  # reverted
        ),
        ["import-0003"],
    )
    assert log.answers_since(2) == 2
    assert log.answers_since(0) == 4
    assert log.answers_since(6) == 0


def test_labels_of_classes_the_config_lacks_are_refused_naming_the_import():
    log = LabelLog.of(LOG, ["import-0002"], Path("/p/data/labels.parquet"))
    assert log.unknown_classes(["cat"])["id"].tolist() == ["r2"]
    with pytest.raises(ConfigError) as refused:
        log.check_classes(["cat"], Path("/p/activelearn.toml"))
    assert refused.value.message == (
        "/p/data/labels.parquet: 1 labels are of classes not in activelearn.toml [data] classes ('dog'); "
        "add them to [data] classes, or revert the import that brought them "
        "(activelearn import-labels --revert import-0001)"
    )
    log.check_classes(["cat", "dog"], Path("/p/activelearn.toml"))


def test_labeled_rows_come_in_the_order_first_answered_with_the_evaluation_label_of_a_held_out_row():
    log = LabelLog.of(LOG, ["import-0002"])
    rows = log.labeled_rows(evaluation=True, include_skipped=True, provenance=False)
    assert list(zip(rows["id"], _cells(rows["label"]), rows["kind"], rows["evaluation"], strict=True)) == [
        ("r1", "cat", "label", False),
        ("r2", "cat", "label", True),
        ("r3", None, "skip", False),
        ("r5", "cat", "label", True),
    ]
    assert log.labeled_rows(evaluation=False, include_skipped=False, provenance=False)["id"].tolist() == ["r1"]


def test_labeled_rows_with_provenance_name_who_answered_and_where_the_label_came_from():
    log = LabelLog.of(
        _log(
            ("r1", "cat", "ann", "import-0001"),
            ("r1", "cat", "bob", "import-0002"),
            ("r1", "dog", "cy", "import-0003"),
        )
    )
    rows = log.labeled_rows(evaluation=True, include_skipped=False, provenance=True)
    assert rows[["id", "label", "annotators", "import_id", "answered_at"]].astype(object).values.tolist() == [
        ["r1", "cat", "ann; bob; cy", "import-0002", "2026-01-01T00:00:01+00:00"]
    ]


def test_reading_a_missing_log_is_empty_only_in_a_project_that_never_had_one(tmp_path):
    paths = ProjectPaths(tmp_path)
    assert LabelLog.read(paths, State(created="", pool_rows=3)).whole.empty
    with pytest.raises(StateError) as refused:
        LabelLog.read(paths, State(created="", pool_rows=3, label_log_written=True))
    assert refused.value.message == (
        f"{tmp_path / 'data' / 'labels.parquet'}: the label log is missing, and state.json shows the "
        "project had one; restore it from a backup"
    )


def test_reading_the_log_takes_the_reverted_imports_from_the_state(tmp_path):
    (tmp_path / "data").mkdir()
    write_label_log(tmp_path / "data" / "labels.parquet", LOG)
    state = SimpleNamespace(label_log_written=True, models=[], reverted_imports={"import-0002": "2026-01-02"})
    log = LabelLog.read(ProjectPaths(tmp_path), state)
    assert (len(log.whole), len(log.counted), log.path) == (7, 5, tmp_path / "data" / "labels.parquet")
