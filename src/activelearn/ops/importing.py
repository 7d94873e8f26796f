"""`import-labels`: validate filled-in files, then merge their answers into the label log.

Deciding and doing are separate (as pip-tools' diff and sync): `plan_import` reads and checks
every file and says what would change; `import_labels` applies a plan in one write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..handoff import read_answer_file
from ..labels import LOG_COLUMNS, next_import_id, read_label_log, write_label_log
from ..project import Project, project_lock
from ..state import State
from ..storage import sha256_file
from ._common import class_hint, match_label, utc_now

ANSWER_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
ANNOTATOR_COLUMN = "annotator"
DEFAULT_ANNOTATOR = "anonymous"


@dataclass
class FileImport:
    file: str
    sha256: str
    status: str  # "imported", "already imported" or "no answers"
    labels: int = 0
    skips: int = 0
    unchanged: int = 0
    unanswered: int = 0
    batch: str | None = None


@dataclass
class ImportResult:
    import_id: str | None
    files: list[FileImport]
    labels: int
    skips: int
    unchanged: int
    unanswered: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    files: list[FileImport]
    new_answers: pd.DataFrame
    warnings: list[str]


def import_labels(
    project: Project, sources: list[Path], *, annotator: str | None = None, wait: float = 0.0
) -> ImportResult:
    """Import every answer in `sources` (files, or folders of files not imported before)."""
    with project_lock(project.paths, wait):
        log = read_label_log(project.paths.label_log)
        plan = plan_import(project.config, project.state, log, sources, annotator, project.paths.pool)
        import_id = None
        if len(plan.new_answers):
            import_id = next_import_id(log)
            new = plan.new_answers.assign(import_id=import_id)
            write_label_log(project.paths.label_log, pd.concat([log, new], ignore_index=True))
        return ImportResult(
            import_id=import_id,
            files=plan.files,
            labels=sum(f.labels for f in plan.files),
            skips=sum(f.skips for f in plan.files),
            unchanged=sum(f.unchanged for f in plan.files),
            unanswered=sum(f.unanswered for f in plan.files),
            warnings=plan.warnings,
        )


def plan_import(
    config: Config, state: State, log: pd.DataFrame, sources: list[Path], annotator: str | None, pool_path: Path
) -> ImportPlan:
    """Read and check every file; fail on the first bad one, before anything is written."""
    imported = set(log["source_sha256"].dropna())
    files = _expand(sources, imported)
    warnings: list[str] = []
    pool_ids = _PoolIds(pool_path, config.id_column, state)
    latest = _latest_answers(log)
    planned: list[FileImport] = []
    new_frames = []
    seen_hashes: set[str] = set()
    for path in files:
        digest = sha256_file(path)
        if digest in imported or digest in seen_hashes:
            planned.append(FileImport(str(path), digest, "already imported"))
            continue
        seen_hashes.add(digest)
        file_import, answers = _plan_file(path, digest, config, state, pool_ids, latest, annotator, warnings)
        planned.append(file_import)
        if len(answers):
            new_frames.append(answers)
            for row in answers.itertuples():  # later files in the same call see earlier ones
                latest[(row.id, row.annotator)] = (row.answer, row.kind)
    new = pd.concat(new_frames, ignore_index=True) if new_frames else pd.DataFrame(columns=list(LOG_COLUMNS))
    return ImportPlan(planned, new, warnings)


def _expand(sources: list[Path], imported: set[str]) -> list[Path]:
    files: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            for path in sorted(source.iterdir()):
                if path.is_file() and path.suffix.lower() in ANSWER_SUFFIXES and not path.name.startswith((".", "~$")):
                    if sha256_file(path) not in imported:
                        files.append(path)
        elif source.exists():
            files.append(source)
        else:
            raise InputError(f"{source}: no such file or folder")
    return files


class _PoolIds:
    """Which ids exist: first the batches' ids (cheap), then, only if needed, the pool's id column."""

    def __init__(self, pool_path: Path, id_column: str, state: State):
        self.pool_path, self.id_column = pool_path, id_column
        self.batch_ids = {i for b in state.batches for i in b.ids}
        self._pool: set[str] | None = None

    def __contains__(self, value: str) -> bool:
        if value in self.batch_ids:
            return True
        if self._pool is None:
            import pyarrow.parquet as pq

            self._pool = set(pq.read_table(self.pool_path, columns=[self.id_column]).column(0).to_pylist())
        return value in self._pool


def _latest_answers(log: pd.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    training = log[~log["evaluation"].astype(bool)].drop_duplicates(["id", "annotator"], keep="last")
    return {(r.id, r.annotator): (r.answer, r.kind) for r in training.itertuples()}


def _plan_file(path, digest, config, state, pool_ids, latest, annotator, warnings):
    frame = read_answer_file(path, config.id_column, config.label_column, warnings)
    batch_of = _batch_lookup(path, state)
    skip_values = {s.casefold() for s in config.skip_values}
    result = FileImport(str(path), digest, "imported")
    rows, problems, first_row_of = [], [], {}
    time = utc_now()
    for row, record in zip(frame.index, frame.to_dict("records"), strict=True):
        raw_id = str(record[config.id_column]).strip()
        label = str(record[config.label_column]).strip()
        if not label:
            result.unanswered += 1
            continue
        id_ = _known_id(raw_id, pool_ids)
        if id_ is None:
            problems.append(f"{path} row {row}: id {raw_id!r} is not in the pool{_mangling_hint(raw_id)}")
            continue
        if label.casefold() in skip_values:
            answer, kind = label, "skip"
        else:
            answer, kind = match_label(label, config.classes), "label"
            if answer is None:
                problems.append(f"{path} row {row}: label {label!r} is not a class {class_hint(label, config.classes)}")
                continue
        who = str(record.get(ANNOTATOR_COLUMN, "") or "").strip() or annotator or DEFAULT_ANNOTATOR
        if (id_, who) in first_row_of:
            earlier_row, earlier = first_row_of[(id_, who)]
            if earlier != (answer, kind):
                problems.append(
                    f"{path} row {row}: id {id_!r} is answered again with {label!r} (row {earlier_row} "
                    f"says {earlier[0]!r}); keep one answer per id and annotator"
                )
            continue
        first_row_of[(id_, who)] = (row, (answer, kind))
        if latest.get((id_, who)) == (answer, kind):
            result.unchanged += 1
            continue
        rows.append((id_, answer, kind, who, batch_of(id_)))
        if kind == "skip":
            result.skips += 1
        else:
            result.labels += 1
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InputError(problems[0] + more)
    if not rows:
        result.status = "no answers" if not result.unchanged else "unchanged"
    answers = pd.DataFrame(rows, columns=["id", "answer", "kind", "annotator", "batch"]).assign(
        time=time, source=str(Path(path).resolve()), source_sha256=digest, evaluation=False
    )
    batches = {b for b in answers["batch"].dropna()}
    result.batch = ", ".join(sorted(batches)) or None
    return result, answers


def _batch_lookup(path: Path, state: State):
    """id -> the batch it was offered in: the file's own batch, else the latest batch with the id."""
    own = next(
        (b for b in state.batches if Path(b.file).stem == Path(path).stem or Path(b.file).name == Path(path).name),
        None,
    )
    owner: dict[str, str] = {}
    for batch in state.batches:
        for i in batch.ids:
            owner[i] = batch.name
    own_ids = set(own.ids) if own else set()

    def lookup(id_: str) -> str | None:
        if id_ in own_ids:
            return own.name
        return owner.get(id_)

    return lookup


def _known_id(raw: str, pool_ids: _PoolIds) -> str | None:
    if raw in pool_ids:
        return raw
    if raw.startswith("'") and raw[1:] in pool_ids:  # our own formula-injection guard, kept by a spreadsheet
        return raw[1:]
    return None


def _mangling_hint(value: str) -> str:
    if re.fullmatch(r"\d(\.\d+)?E\+\d+", value, flags=re.IGNORECASE):
        return " (a spreadsheet turned a long number into scientific notation; format the id column as text and copy the ids from the batch file)"
    if re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}( .*)?", value):
        return " (a spreadsheet may have turned the id into a date; format the id column as text)"
    if value.isdigit() and not value.startswith("0"):
        return " (a spreadsheet may have dropped leading zeros; format the id column as text)"
    if not value:
        return " (the id cell is empty)"
    return ""
