"""The label log (data/labels.parquet): every answer ever imported, append-only, and the current
label of each row resolved from it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .errors import StateError
from .storage import atomic_path

LOG_SCHEMA_VERSION = "1"
LOG_COLUMNS = {
    "id": "string",
    "answer": "string",  # the canonical class, or the skip value as written
    "kind": "string",  # "label" or "skip"
    "annotator": "string",
    "time": "string",  # ISO 8601, UTC
    "source": "string",  # the file the answer came from
    "source_sha256": "string",
    "batch": "string",  # the batch the row was offered in, if any
    "import_id": "string",
    "evaluation": "bool",  # evaluation labels are never trained on
    "decision": "string",  # for pre-filled batches: accept, fix or skip, as the person said
    "correction": "bool",  # the annotator changed an earlier answer of theirs
}


def empty_log() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in LOG_COLUMNS.items()})


def read_label_log(path: Path) -> pd.DataFrame:
    """Every answer so far, oldest first (an empty log if none was ever imported)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # one open, read whole: a path handed to pyarrow may be opened more than once, and a
        # writer's rename in between would give the footer of one version and pages of another
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return empty_log()
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise StateError(f"{path}: the label log cannot be read ({exc}); restore it from a backup") from None
    version = (table.schema.metadata or {}).get(b"activelearn.schema_version", b"").decode()
    if version != LOG_SCHEMA_VERSION:
        raise StateError(
            f"{path}: label log schema_version {version or 'missing'} is not {LOG_SCHEMA_VERSION}; "
            "upgrade activelearn or restore the file"
        )
    missing = set(LOG_COLUMNS) - set(table.column_names)
    if missing:
        raise StateError(f"{path}: label log lacks columns {sorted(missing)}; restore it from a backup")
    return table.to_pandas().astype(LOG_COLUMNS)


def write_label_log(path: Path, log: pd.DataFrame) -> None:
    """Replace the log with `log` atomically (Parquet cannot be appended to in place)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(log[list(LOG_COLUMNS)].astype(LOG_COLUMNS), preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[b"activelearn.schema_version"] = LOG_SCHEMA_VERSION.encode()
    table = table.replace_schema_metadata(metadata)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def without_reverted(log: pd.DataFrame, reverted) -> pd.DataFrame:
    """The answers that count: the log less the imports that were reverted."""
    return log[~log["import_id"].isin(list(reverted))] if len(reverted) else log


def next_import_id(log: pd.DataFrame) -> str:
    numbers = log["import_id"].dropna().str.removeprefix("import-").astype(int)
    return f"import-{(numbers.max() if len(numbers) else 0) + 1:04d}"


def current_labels(log: pd.DataFrame, evaluation: bool = False) -> pd.DataFrame:
    """One row per answered id: its current label (or skip), by the documented policy.

    Each annotator's latest answer for a row replaces their earlier ones (a correction). Among
    annotators, the most frequent label wins; a tie goes to the most recent of the tied labels.
    A row only skipped counts as skipped; a label from anyone outranks skips.
    Returns columns id, label (None when skipped), kind, annotators.
    """
    rows = log[log["evaluation"] == evaluation]
    if rows.empty:
        return pd.DataFrame({"id": pd.Series(dtype="string"), "label": pd.Series(dtype="string"),
                             "kind": pd.Series(dtype="string"), "annotators": pd.Series(dtype="int64")})
    rows = rows.assign(order=range(len(rows)))
    latest = rows.drop_duplicates(["id", "annotator"], keep="last")
    labeled = latest[latest["kind"] == "label"]
    votes = (
        labeled.groupby(["id", "answer"], sort=False)
        .agg(votes=("order", "size"), last=("order", "max"))
        .reset_index()
        .sort_values(["id", "votes", "last"], ascending=[True, False, False])
        .drop_duplicates("id")
    )
    annotators = latest.groupby("id").size().rename("annotators")
    result = votes[["id", "answer"]].rename(columns={"answer": "label"}).assign(kind="label")
    skipped_ids = latest.loc[~latest["id"].isin(result["id"]), "id"].unique()
    skipped = pd.DataFrame({"id": skipped_ids, "label": None, "kind": "skip"})
    result = pd.concat([result, skipped], ignore_index=True) if len(skipped) else result
    result = result.merge(annotators, left_on="id", right_index=True, how="left")
    return result.astype({"id": "string", "label": "string", "kind": "string"}).reset_index(drop=True)


def match_label(value: str, classes: Iterable[str]) -> str | None:
    """The class `value` names, up to case and surrounding white space, or as the same number
    ("1.0" for class "1"); None if it names none."""
    wanted = value.strip().casefold()
    found = next((c for c in classes if c.casefold() == wanted), None)
    if found is None:
        number = _as_number(wanted)
        if number is not None:
            found = next((c for c in classes if _as_number(c) == number), None)
    return found


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def evaluation_ids(log: pd.DataFrame) -> set[str]:
    """The rows of the evaluation set: every id with an evaluation answer. They are never
    trained on, even if also answered outside the evaluation set."""
    return set(log.loc[log["evaluation"].astype(bool), "id"])


def training_rows(log: pd.DataFrame) -> pd.DataFrame:
    """The current labels a model may learn from (as `current_labels`): not skipped, and not a
    row of the evaluation set."""
    current = current_labels(log, evaluation=False)
    return current[(current["kind"] == "label") & ~current["id"].isin(evaluation_ids(log))]


def training_labels(log: pd.DataFrame):
    """(ids, labels) of every current label a model may learn from (`training_rows`)."""
    current = training_rows(log)
    return current["id"].astype(str).to_numpy(), current["label"].astype(str).to_numpy()


def evaluation_labels(log: pd.DataFrame):
    """(ids, labels) of the current evaluation labels (skips left out)."""
    current = current_labels(log, evaluation=True)
    current = current[current["kind"] == "label"]
    return current["id"].astype(str).to_numpy(), current["label"].astype(str).to_numpy()


def answered_ids(log: pd.DataFrame) -> set[str]:
    """Every id that has any answer, label or skip, training or evaluation."""
    return set(log["id"].dropna().tolist())


def counted_answers(paths, state) -> pd.DataFrame:
    """The project's label log, less the answers of reverted imports."""
    return without_reverted(read_label_log(paths.label_log), state.reverted_imports)


def given_answers(log: pd.DataFrame) -> int:
    """How many answers people gave: each annotator's current answer for a row (training or
    evaluation) once, however often it was logged (a correction replaces, an unchanged re-import
    is logged again)."""
    return int(len(log.drop_duplicates(["id", "annotator", "evaluation"])))


def changed_something(log: pd.DataFrame) -> pd.Series:
    """For each answer of `log` (the answers that count), whether it changed something: a new
    answer or a correction, not one equal to that annotator's previous answer for the row (an
    unchanged answer logged again under a later import)."""
    previous = log.groupby(["id", "annotator", "evaluation"], sort=False)[["answer", "kind"]].shift()
    same = (previous["answer"] == log["answer"]) & (previous["kind"] == log["kind"])
    return ~same.fillna(False).astype(bool)
