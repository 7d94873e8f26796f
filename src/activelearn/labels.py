"""The label log (data/labels.parquet): every answer ever imported, append-only; the answers that
count (the imports not reverted), and the current label of each row resolved from them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .errors import StateError
from .storage import atomic_path

if TYPE_CHECKING:
    import numpy as np

    from .project import ProjectPaths
    from .state import State

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
    """Every answer so far, oldest first (an empty log if none was ever imported), its schema
    checked: each column of LOG_COLUMNS with its Arrow type."""
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
    version = (table.schema.metadata or {}).get(b"activelearn.schema_version", b"").decode(errors="replace")
    if version != LOG_SCHEMA_VERSION:
        raise StateError(
            f"{path}: label log schema_version {version or 'missing'} is not {LOG_SCHEMA_VERSION}; "
            "upgrade activelearn or restore the file"
        )
    missing = set(LOG_COLUMNS) - set(table.column_names)
    if missing:
        raise StateError(f"{path}: label log lacks columns {sorted(missing)}; restore it from a backup")
    _check_log_types(path, table)
    # the pandas metadata (index, dtypes) is only a hint pandas left: the columns are read as
    # checked above, whatever it says, so that a damaged one can neither crash nor mislead
    table = table.select(list(LOG_COLUMNS)).replace_schema_metadata(None)
    return table.to_pandas().astype(LOG_COLUMNS)


def _check_log_types(path: Path, table) -> None:
    """Each column of the log with its Arrow type: text (or all empty), or true/false with no gap."""
    import pyarrow.types as t

    for name, dtype in LOG_COLUMNS.items():
        column = table.column(name)
        kind = column.type
        if dtype == "bool":
            fits = t.is_boolean(kind) and column.null_count == 0
            wanted = "true or false in every row"
        else:
            fits = t.is_string(kind) or t.is_large_string(kind) or t.is_null(kind)
            wanted = "text"
        if not fits:
            raise StateError(
                f"{path}: label log column {name!r} holds {kind}{' with empty values' if t.is_boolean(kind) else ''} "
                f"where it should hold {wanted}; restore it from a backup"
            )


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


IMPORT_ID = re.compile(r"(?:import-)?([0-9]{1,12})")  # import-0009, or its number alone: 9


def parse_import_id(text: str) -> str:
    """The import id a person named (import-0009, or 9); a usage error naming the form if `text`
    is neither."""
    found = IMPORT_ID.fullmatch(text.strip())
    if found is None:
        from .errors import UsageError
        from .messages import shown

        raise UsageError(f"--revert {shown(text)}: not an import id; give one like import-0009, or its number (9)")
    return f"import-{int(found.group(1)):04d}"


def current_labels(log: pd.DataFrame, evaluation: bool = False) -> pd.DataFrame:
    """One row per answered id: its current label (or skip), by the documented policy.

    Each annotator's latest answer for a row replaces their earlier ones (a correction). Among
    annotators, the most frequent label wins; a tie goes to the most recent of the tied labels.
    A row only skipped counts as skipped; a label from anyone outranks skips.
    Returns columns id, label (None when skipped), kind, annotators.
    """
    rows = log[log["evaluation"] == evaluation]
    if rows.empty:
        return pd.DataFrame(
            {
                "id": pd.Series(dtype="string"),
                "label": pd.Series(dtype="string"),
                "kind": pd.Series(dtype="string"),
                "annotators": pd.Series(dtype="int64"),
            }
        )
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


@dataclass(frozen=True)
class LabelLog:
    """The label log as read: every answer logged (`whole`, oldest first, indexed by position) and
    the answers that count (`counted`: the whole log less the answers of reverted imports)."""

    whole: pd.DataFrame
    counted: pd.DataFrame
    path: Path  # the file, named in messages
    # the current labels, resolved once for each set (training, evaluation): several questions need them
    _current: dict[bool, pd.DataFrame] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(
        cls, whole: pd.DataFrame, reverted: Iterable[str] = (), path: Path = Path("data/labels.parquet")
    ) -> LabelLog:
        """The log `whole` with the answers of the `reverted` imports no longer counting."""
        reverted = list(reverted)
        counted = whole[~whole["import_id"].isin(reverted)] if reverted else whole
        return cls(whole, counted, Path(path))

    @classmethod
    def read(cls, paths: ProjectPaths, state: State) -> LabelLog:
        """The project's label log. A missing log is empty only in a project that never had one:
        init writes it, and a model or a revert needs it."""
        if not paths.label_log.exists() and (state.label_log_written or state.models or state.reverted_imports):
            raise StateError(
                f"{paths.label_log}: the label log is missing, and state.json shows the project had one; "
                "restore it from a backup"
            )
        return cls.of(read_label_log(paths.label_log), state.reverted_imports, paths.label_log)

    def current(self, evaluation: bool = False) -> pd.DataFrame:
        """The current label (or skip) of each row answered, as `current_labels` resolves them from
        the answers that count: the training answers, or with `evaluation` the evaluation ones.
        The same frame each time: change a copy."""
        if evaluation not in self._current:
            self._current[evaluation] = current_labels(self.counted, evaluation=evaluation)
        return self._current[evaluation]

    def evaluation_ids(self) -> set[str]:
        """The rows of the evaluation set: every id with an evaluation answer. They are never
        trained on, even if also answered outside the evaluation set."""
        counted = self.counted
        return set(counted.loc[counted["evaluation"].astype(bool), "id"])

    def training_rows(self) -> pd.DataFrame:
        """The current labels a model may learn from (as `current`): not skipped, and not a row
        of the evaluation set."""
        current = self.current(evaluation=False)
        return current[(current["kind"] == "label") & ~current["id"].isin(self.evaluation_ids())]

    def training_labels(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, labels) of every current label a model may learn from (`training_rows`)."""
        return _ids_and_labels(self.training_rows())

    def evaluation_labels(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, labels) of the current evaluation labels (skips left out)."""
        current = self.current(evaluation=True)
        return _ids_and_labels(current[current["kind"] == "label"])

    def training_digest(self) -> str:
        """The digest of the training labels (versions.labels_digest): equal digests, equal training data."""
        from .versions import labels_digest

        return labels_digest(*self.training_labels())

    def answered_ids(self) -> set[str]:
        """Every id with an answer that counts, label or skip, training or evaluation."""
        return set(self.counted["id"].dropna().tolist())

    def skipped_ids(self) -> set[str]:
        """The ids whose current training answer is a skip."""
        current = self.current(evaluation=False)
        return set(current.loc[current["kind"] == "skip", "id"])

    def annotators(self) -> list[str]:
        """Everyone with an answer that counts, sorted."""
        return sorted(set(self.counted["annotator"].dropna()))

    def label_classes(self) -> set[str]:
        """Every class a label that counts names."""
        counted = self.counted
        return set(counted.loc[counted["kind"] == "label", "answer"].astype(str))

    def given_answers(self) -> int:
        """How many answers people gave: each annotator's current answer for a row (training or
        evaluation) once, however often it was logged (a correction replaces, an unchanged
        re-import is logged again)."""
        return int(len(self.counted.drop_duplicates(["id", "annotator", "evaluation"])))

    def answers_since(self, rows: int) -> int:
        """The answers logged after the first `rows` of the whole log (as long as it was when a
        model was trained: the log is append-only) that count and changed something: a new
        answer or a correction, not one equal to that annotator's previous answer for the row
        (an unchanged answer logged again under a later import)."""
        counted = self.counted
        previous = counted.groupby(["id", "annotator", "evaluation"], sort=False)[["answer", "kind"]].shift()
        same = (previous["answer"] == counted["answer"]) & (previous["kind"] == counted["kind"])
        changed = ~same.fillna(False).astype(bool)
        return int(changed[counted.index >= rows].sum())

    def imports(self) -> list[str]:
        """Every import id of the whole log, reverted ones too, oldest first."""
        return list(dict.fromkeys(self.whole["import_id"].dropna()))

    def answers_of(self, import_id: str) -> pd.DataFrame:
        """The answers one import logged (whether it was reverted or not)."""
        return self.whole[self.whole["import_id"] == import_id]

    def next_import_id(self) -> str:
        """The id the next import logs its answers under: one past the highest in the whole log."""
        numbers = self.whole["import_id"].dropna().str.removeprefix("import-").astype(int)
        return f"import-{(numbers.max() if len(numbers) else 0) + 1:04d}"

    def unknown_classes(self, classes: Iterable[str]) -> pd.DataFrame:
        """The labels that count whose class is not among `classes`."""
        labels = self.counted[self.counted["kind"] == "label"]
        return labels[~labels["answer"].isin(list(classes))]

    def check_classes(self, classes: Iterable[str], config: Path) -> None:
        """Refuse labels that count of a class the `config` file does not have: a model would
        learn a class the project does not know, and counts per class would hide it."""
        unknown = self.unknown_classes(classes)
        if len(unknown):
            from .errors import ConfigError

            names = ", ".join(map(repr, sorted(set(unknown["answer"].dropna()))[:5]))
            imports = ", ".join(sorted(set(unknown["import_id"].dropna()))[:5])
            raise ConfigError(
                f"{self.path}: {len(unknown)} labels are of classes not in {config.name} [data] classes "
                f"({names}); add them to [data] classes, or revert the import that brought them "
                f"(activelearn import-labels --revert {imports})"
            )

    def labeled_rows(self, evaluation: bool, include_skipped: bool, provenance: bool) -> pd.DataFrame:
        """One row per answered id, in the order the rows were first answered: id, label (None
        when skipped), kind, evaluation, and with `provenance` who answered it and the batch,
        import and time its current label came from. Without `evaluation` the rows of the
        evaluation set are left out; skipped rows are, unless `include_skipped`.

        A row of the evaluation set is never trained on (even if also answered outside it), so its
        evaluation label is the one it has.
        """
        train = self.current(evaluation=False).assign(evaluation=False)
        held = self.current(evaluation=True).assign(evaluation=True)
        train = train[~train["id"].isin(held["id"])]
        rows = pd.concat([train, held], ignore_index=True) if evaluation else train
        if not include_skipped:
            rows = rows[rows["kind"] == "label"]
        first_answered = {id_: i for i, id_ in enumerate(self.counted["id"].drop_duplicates())}
        rows = rows.assign(order=rows["id"].map(first_answered)).sort_values("order", kind="stable")
        rows = rows.drop(columns=["order", "annotators"]).reset_index(drop=True)
        return _with_provenance(self.counted, rows) if provenance else rows


def _ids_and_labels(current: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return current["id"].astype(str).to_numpy(), current["label"].astype(str).to_numpy()


def _with_provenance(log: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (as `LabelLog.labeled_rows`) with who answered each, and the batch, import and time
    of the answer its current label came from."""
    answers = log.assign(order=range(len(log)), evaluation=log["evaluation"].astype(bool))
    latest = answers.drop_duplicates(["id", "annotator", "evaluation"], keep="last")  # corrections replace
    latest = latest.merge(rows[["id", "evaluation", "label", "kind"]], on=["id", "evaluation"], suffixes=("", "_now"))
    who = latest.groupby("id", sort=False)["annotator"].agg(lambda names: "; ".join(dict.fromkeys(names.fillna(""))))
    # the latest answer that gave the current label (for a skipped row: the latest skip)
    gave_label = (latest["kind"] == "label") & (latest["answer"].astype(object) == latest["label"].astype(object))
    giving = latest[(latest["kind_now"] == "skip").to_numpy(bool) | gave_label.to_numpy(bool)]
    source = giving.sort_values("order").drop_duplicates("id", keep="last").set_index("id")
    return rows.assign(
        annotators=rows["id"].map(who),
        batch=rows["id"].map(source["batch"]),
        import_id=rows["id"].map(source["import_id"]),
        answered_at=rows["id"].map(source["time"]),
    )
