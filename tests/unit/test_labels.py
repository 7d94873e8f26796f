"""labels: which answer is the current label of a row (the label policy), evaluation labels apart."""

from __future__ import annotations

import pandas as pd

from activelearn.labels import current_labels, empty_log

# --- the label policy ----------------------------------------------------------------------------


def _log(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "answer", "kind", "annotator"])
    base = empty_log()
    return pd.concat([base, frame.assign(evaluation=False)], ignore_index=True).astype(base.dtypes.to_dict())


def test_current_label_policy():
    log = _log(
        [
            ("a", "cat", "label", "ann"),
            ("a", "dog", "label", "ann"),  # ann corrects herself: dog
            ("b", "cat", "label", "ann"),
            ("b", "dog", "label", "bo"),
            ("b", "dog", "label", "cy"),  # majority: dog
            ("c", "cat", "label", "ann"),
            ("c", "dog", "label", "bo"),  # tie: the most recent wins
            ("d", "skip", "skip", "ann"),
            ("e", "skip", "skip", "ann"),
            ("e", "cat", "label", "bo"),  # a label outranks a skip
        ]
    )
    current = current_labels(log).set_index("id")
    assert current["label"].drop("d").to_dict() == {"a": "dog", "b": "dog", "c": "dog", "e": "cat"}
    assert pd.isna(current.loc["d", "label"]) and current.loc["d", "kind"] == "skip"
    assert current["kind"].drop("d").eq("label").all()
    assert current.loc["b", "annotators"] == 3


def test_evaluation_labels_are_kept_apart():
    log = _log([("a", "cat", "label", "ann")])
    log.loc[0, "evaluation"] = True
    assert current_labels(log, evaluation=False).empty
    assert current_labels(log, evaluation=True)["label"].tolist() == ["cat"]
