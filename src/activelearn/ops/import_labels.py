"""`import-labels`: validate filled-in files, then merge their answers into the label log.

Deciding and doing are separate (as pip-tools' diff and sync): `read_answer_files` reads and
parses every file, before the lock is taken (a slow or huge file never holds it); `plan_import`
checks the parsed files against the project and says what would change, and `import_labels`
applies a plan in one write, both under the lock; `--dry-run` stops after the plan.
`revert_import` takes one import's answers back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..answer_files import read_answer_bytes, read_answer_file
from ..batch_files import DECISION_COLUMN, DECISIONS
from ..cells import cell_text, unguarded
from ..config import Config
from ..errors import InputError, UsageError
from ..idrepair import IdRepairer, lost_precision
from ..labels import (
    LOG_COLUMNS,
    LabelLog,
    match_label,
    parse_import_id,
    write_label_log,
)
from ..messages import LISTED_PROBLEMS, class_hint, did_you_mean, first_of, missing, shown
from ..pool import pool_ids
from ..project import Project, project_lock
from ..state import BatchRecord, State, save_state, utc_now
from ..storage import sha256_bytes, sha256_file

ANSWER_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".xlsx",
    ".xlsm",
    ".ods",
    ".xls",
    ".parquet",
    ".jsonl",
    ".ndjson",
)
ANNOTATOR_COLUMN = "annotator"
SUGGESTION_COLUMN = "suggestion"
DEFAULT_ANNOTATOR = "anonymous"


@dataclass(kw_only=True)
class FileImport:
    file: str
    sha256: str
    status: str  # "imported" ("would import" in a dry run), "unchanged", "no answers" or "already imported"
    labels: int = 0
    skips: int = 0
    corrections: int = 0
    unchanged: int = 0
    unanswered: int = 0  # blank rows with no answer anywhere (still pending)
    repaired_ids: int = 0
    batch: str | None = None
    evaluation: int = 0  # of the new answers (labels and skips), how many are evaluation labels
    bad_rows: int = 0  # left out under --partial


@dataclass(kw_only=True)
class ImportResult:
    import_id: str | None
    dry_run: bool
    files: list[FileImport]
    labels: int
    skips: int
    corrections: int
    unchanged: int
    unanswered: int
    warnings: list[str] = field(default_factory=list)
    evaluation: int = 0  # answers that are evaluation labels (never trained on)
    bad_rows: int = 0  # rows left out under --partial


@dataclass
class ImportOptions:
    """How to read and apply the files: the options of `import-labels`."""

    annotator: str | None = None  # who answered, for rows without an annotator cell
    evaluation: bool = False  # every answer is an evaluation label
    id_column: str | None = None  # the file's column holding the ids (default: the project's)
    label_column: str | None = None  # the file's column holding the labels (default: the project's)
    force: bool = False  # log the answers of files imported before again, as a new import
    partial: bool = False  # import the good rows of a file with bad ones, warning about each bad one


@dataclass
class ImportPlan:
    files: list[FileImport]
    new_answers: pd.DataFrame
    warnings: list[str]


@dataclass(kw_only=True)
class RevertResult:
    import_id: str
    answers: int
    files: list[str]
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False


def import_labels(
    project: Project,
    sources: list[Path],
    *,
    annotator: str | None = None,
    evaluation: bool = False,
    id_column: str | None = None,
    label_column: str | None = None,
    force: bool = False,
    partial: bool = False,
    dry_run: bool = False,
    wait: float = 0.0,
) -> ImportResult:
    """Import every answer in `sources` (files, or folders of files not imported before).

    With `evaluation`, every answer is an evaluation label (never trained on); answers to the
    rows of a batch drawn by `query --eval` are evaluation labels in any case."""
    if not sources:
        raise UsageError("name the files or folders to import (or --revert IMPORT_ID)")
    options = ImportOptions(annotator, evaluation, id_column, label_column, force, partial)
    config = project.config
    if (id_column or config.id_column) == (label_column or config.label_column):
        raise UsageError(f"--id-column and --label-column name the same column {(id_column or config.id_column)!r}")
    notes: list[str] = []  # the links an inbox folder did not follow
    files = read_answer_files(project, sources, options, notes)  # before the lock: parsing may be slow
    if dry_run:  # reads only: no lock, as status
        log = project.label_log()
        return _result(plan_import(project, log, files, options, notes), None, dry_run=True)
    with project_lock(project.paths, wait):
        log = project.label_log()
        plan = plan_import(project, log, files, options, notes)
        import_id = None
        if len(plan.new_answers):
            import_id = log.next_import_id()
            new = plan.new_answers.assign(import_id=import_id)
            write_label_log(project.paths.label_log, pd.concat([log.whole, new], ignore_index=True))
        return _result(plan, import_id, dry_run=False)


def _result(plan: ImportPlan, import_id: str | None, dry_run: bool) -> ImportResult:
    total = lambda name: sum(getattr(f, name) for f in plan.files)  # noqa: E731
    if dry_run:
        for f in plan.files:
            f.status = "would import" if f.status == "imported" else f.status
    return ImportResult(
        import_id=import_id,
        dry_run=dry_run,
        files=plan.files,
        labels=total("labels"),
        skips=total("skips"),
        corrections=total("corrections"),
        unchanged=total("unchanged"),
        unanswered=total("unanswered"),
        warnings=plan.warnings,
        evaluation=total("evaluation"),
        bad_rows=total("bad_rows"),
    )


def plan_import(
    project: Project,
    log: LabelLog,
    files: list[AnswerFile],
    options: ImportOptions,
    notes: Sequence[str] = (),
) -> ImportPlan:
    """Check every file read by read_answer_files; fail on the first bad one, before anything is written."""
    config, state = project.config, project.state
    counted = log.counted
    # who already answered by each file: the same bytes from another annotator are new answers
    imported: dict[str, set[str]] = {}
    for digest, who in zip(counted["source_sha256"], counted["annotator"], strict=True):
        imported.setdefault(digest, set()).add(who)
    warnings: list[str] = list(notes)
    context = _Context(
        config,
        state,
        _PoolIds(project.paths.pool, config.id_column, state),
        _latest_answers(counted),
        counted,
        log.evaluation_ids(),
        options,
        warnings,
    )
    planned: list[FileImport] = []
    new_frames = []
    left_out: list[str] = []
    good_rows = 0  # answered rows with no problem, new or not
    seen_hashes: set[str] = set()
    blank: list[tuple[FileImport, list[str]]] = []  # each file read with the ids of its blank rows
    skipped = _unchanged_in_folder(files, log.whole, options.force)
    for file in files:
        path, digest = file.path, file.digest
        if file in skipped or digest in seen_hashes:
            planned.append(FileImport(file=str(path), sha256=digest, status="already imported"))
            continue
        seen_hashes.add(digest)
        if options.evaluation and digest in imported:
            _check_imported_as_evaluation(path, digest, counted)
        reading = _FileReading(file, context)
        file_import, answers = reading.plan()
        left_out += reading.left_out
        good_rows += len(answers)
        blank.append((file_import, reading.blank_ids))
        if (
            not options.force
            and file_import.status == "unchanged"
            and set(answers["annotator"]) <= imported.get(digest, set())
        ):
            # these bytes were imported before and every answer in them is still the current
            # one: nothing to do (an answer changed since would be imported again, as a correction)
            planned.append(FileImport(file=str(path), sha256=digest, status="already imported"))
            continue
        planned.append(file_import)
        if len(answers):
            new_frames.append(answers)
            for row in answers.itertuples():  # later files in the same call see earlier ones
                context.latest[(row.id, row.annotator, bool(row.evaluation))] = (
                    row.answer,
                    row.kind,
                )
    if left_out and not good_rows:  # --partial, and not one good row
        raise InputError(first_of(left_out), left_out)
    # a blank row is still pending only if its row has no answer anywhere: not one answered
    # through another file, before or in this import
    answered = set(counted["id"].dropna()) | {key[0] for key in context.latest}
    for file_import, ids in blank:
        file_import.unanswered = sum(1 for i in ids if i not in answered)
    new = pd.concat(new_frames, ignore_index=True) if new_frames else pd.DataFrame(columns=list(LOG_COLUMNS))
    return ImportPlan(planned, new, warnings)


def _check_imported_as_evaluation(path: Path, digest: str, counted: pd.DataFrame) -> None:
    """--eval asked for a file whose answers were imported before as training labels: say how
    to make them evaluation labels rather than skip the file in silence."""
    earlier = counted[(counted["source_sha256"] == digest) & ~counted["evaluation"].astype(bool)]
    if len(earlier):
        import_id = earlier["import_id"].iloc[-1]
        raise InputError(
            f"{path}: was imported before as training labels ({import_id}), so --eval cannot apply; "
            f"take them back with `activelearn import-labels --revert {import_id}`, then import the file with --eval"
        )


def revert_import(project: Project, import_id: str, *, dry_run: bool = False, wait: float = 0.0) -> RevertResult:
    """Take back every answer of one import; other imports, before or after, are untouched.

    The label log stays append-only: the import is marked reverted in state.json, and from then
    on its answers no longer count (and its files may be imported again). `import_id` may be
    the number alone (9 for import-0009). A dry run checks and counts, and changes nothing.
    """
    import_id = parse_import_id(import_id)
    if dry_run:  # reads only: no lock, as status
        return _revert(project, import_id, dry_run=True)
    with project_lock(project.paths, wait):
        return _revert(project, import_id, dry_run=False)


def _revert(project: Project, import_id: str, dry_run: bool) -> RevertResult:
    state = project.state
    log = project.label_log(classes=False)  # reverting the import that brought an unknown class is a fix
    known = log.imports()
    if import_id not in known:
        raise UsageError(
            f"--revert {import_id}: no such import{did_you_mean(import_id, known)} "
            f"(imports: {', '.join(known[-5:]) or 'none'})"
        )
    if import_id in state.reverted_imports:
        raise InputError(f"{import_id} was already reverted on {state.reverted_imports[import_id]}")
    answers = log.answers_of(import_id)
    if not dry_run:
        state.reverted_imports[import_id] = utc_now()
        save_state(project.paths.state, state)
    return RevertResult(
        import_id=import_id,
        answers=int(len(answers)),
        files=sorted(set(answers["source"].dropna())),
        dry_run=dry_run,
    )


@dataclass(eq=False)
class AnswerFile:
    """One file to import: the SHA-256 of its bytes, read once, and the cells parsed from those
    very bytes (or the error reading them met, raised when the plan reaches the file)."""

    path: Path
    in_folder: bool  # found in a folder (an inbox), not named
    digest: str
    data: bytes | None = field(default=None, repr=False)  # until parsed
    error: InputError | None = None
    frame: pd.DataFrame | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)  # met while parsing

    @classmethod
    def read(cls, path: Path, in_folder: bool) -> AnswerFile:
        if not path.is_file():
            raise InputError(missing(path, "no such file"))
        try:
            data = read_answer_bytes(path, follow_links=not in_folder)
        except InputError as exc:  # too big: its digest still says whether it was imported before
            return cls(path, in_folder, sha256_file(path), error=exc)
        return cls(path, in_folder, sha256_bytes(data), data)

    def parse(self, id_column: str, label_column: str) -> None:
        if self.data is None:
            return
        try:
            self.frame = read_answer_file(self.path, id_column, label_column, self.warnings, self.data)
        except InputError as exc:
            self.error = exc
        self.data = None

    def cells(self, id_column: str, label_column: str, warnings: list[str]) -> pd.DataFrame:
        """The parsed cells (parsed now if they were not before the lock); its reading's warnings
        join `warnings` here, in the order of the files."""
        self.parse(id_column, label_column)
        warnings.extend(self.warnings)
        if self.error is not None:
            raise self.error
        return self.frame


def read_answer_files(
    project: Project, sources: list[Path], options: ImportOptions, warnings: list[str]
) -> list[AnswerFile]:
    """Every file to import, read and parsed; run before the lock is taken, it fails on the first
    file that cannot be read. A file a folder would skip as imported before (by the log as it is
    now) is only hashed: if another import changes that before the lock is taken, the plan parses
    it then.

    A file named explicitly is read even through a link (the user named it). A folder (an inbox)
    follows no link: whoever drops files into it must not make the tool read, or quote in an
    error, a file they cannot read themselves; each link is a warning."""
    files: list[AnswerFile] = []
    for source in map(Path, sources):
        if source.is_dir():
            for path in sorted(source.iterdir()):
                if path.name.startswith((".", "~$")):
                    continue
                if path.is_symlink():
                    warnings.append(
                        f"{path}: a symbolic link; an inbox folder does not follow links "
                        "(name the file itself to import it)"
                    )
                elif path.is_file() and path.suffix.lower() in ANSWER_SUFFIXES:
                    files.append(AnswerFile.read(path, in_folder=True))
        elif source.exists():
            files.append(AnswerFile.read(source, in_folder=False))
        else:
            raise InputError(missing(source))
    skipped = _unchanged_in_folder(files, LabelLog.read(project.paths, project.state).whole, options.force)
    config = project.config
    for file in files:
        if file not in skipped:
            file.parse(options.id_column or config.id_column, options.label_column or config.label_column)
            if file.error is not None:  # refused before the lock, as it would be under it
                raise file.error
    return files


def _unchanged_in_folder(files: list[AnswerFile], log: pd.DataFrame, force: bool = False) -> set[AnswerFile]:
    """The files a folder skips as unchanged since imported.

    A file named explicitly is always read. A folder (an inbox) skips a file whose bytes are
    those last imported from that path, even by an import reverted since, and a file never
    imported from that path whose bytes were imported from elsewhere (a copy); a file edited
    since its last import is read, even when edited back to the bytes of an earlier import.
    With `force`, a folder skips nothing."""
    if force:
        return set()
    last_from = dict(zip(log["source"], log["source_sha256"], strict=True))  # path -> bytes last imported
    ever_imported = set(log["source_sha256"].dropna())
    skipped = set()
    for file in files:
        if file.in_folder:
            last = last_from.get(str(file.path.resolve()))
            if (file.digest == last) if last is not None else (file.digest in ever_imported):
                skipped.add(file)
    return skipped


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
            self._pool = pool_ids(self.pool_path, self.id_column)
        return value in self._pool


def _latest_answers(log: pd.DataFrame) -> dict[tuple[str, str, bool], tuple[str, str]]:
    """(id, annotator, evaluation) -> that annotator's latest (answer, kind) for the row."""
    latest = log.drop_duplicates(["id", "annotator", "evaluation"], keep="last")
    return {(r.id, r.annotator, bool(r.evaluation)): (r.answer, r.kind) for r in latest.itertuples()}


@dataclass
class _Context:
    """What every file of one import is checked against."""

    config: Config
    state: State
    pool_ids: _PoolIds
    latest: dict  # (id, annotator, evaluation) -> (answer, kind), updated file by file
    counted: pd.DataFrame  # the label log less reverted imports
    held_out: set[str]  # rows with evaluation answers already: they stay in the evaluation set
    options: ImportOptions
    warnings: list[str]


class _FileReading:
    """One answer file checked row by row against the project: what it would add."""

    def __init__(self, file: AnswerFile, context: _Context):
        self.file, self.path, self.digest, self.context = file, file.path, file.digest, context
        config, state, options = context.config, context.state, context.options
        self.id_column = options.id_column or config.id_column
        self.label_column = options.label_column or config.label_column
        self.evaluation, self.annotator, self.warnings = (
            options.evaluation,
            options.annotator,
            context.warnings,
        )
        self.held_out, self.pool_ids, self.latest = (
            context.held_out,
            context.pool_ids,
            context.latest,
        )
        self.config, self.state = config, state
        self.evaluation_batches = {b.name for b in state.batches if b.evaluation}
        self.own_batch = _own_batch(self.path, state)
        self.own_ids = set(self.own_batch.ids) if self.own_batch else set()
        sent = self.own_batch.ids if self.own_batch else [i for b in state.batches for i in b.ids]
        self.repairer = IdRepairer(sent)
        self.skip_values = {s.casefold() for s in config.skip_values}
        self.owner = {i: b.name for b in state.batches for i in b.ids}
        self.prefilled = {  # id -> the suggestion its (latest) pre-filled batch was sent with
            i: suggestion
            for b in state.batches
            if b.prefilled and b.suggestions
            for i, suggestion in zip(b.ids, b.suggestions, strict=False)
        }
        self.left_out: list[str] = []  # under --partial: the problems of the rows left out
        self.blank_ids: list[str] = []  # the ids of the rows left blank (unanswered here)

    def plan(self) -> tuple[FileImport, pd.DataFrame]:
        frame = self.file.cells(self.id_column, self.label_column, self.warnings)
        has_decisions = DECISION_COLUMN in frame.columns
        result = FileImport(file=str(self.path), sha256=self.digest, status="imported")
        default = self._default_annotator(frame)
        answered, bad_rows, repairs, conflicted = [], set(), [], set()
        problems: list[str] = []
        first_row_of: dict[tuple[str, str], tuple[int, tuple[str, str]]] = {}  # (id, annotator) -> (row, answer)
        first_answer_to: dict[str, tuple[int, str]] = {}  # id -> (row, annotator) of its first answer here
        several = set()  # ids this file answers under two or more annotator names
        for row, record in zip(frame.index, frame.to_dict("records"), strict=True):
            answer = self._answer(row, record, has_decisions, problems)
            if answer is None:
                self.blank_ids.append(self._blank_id(record))
                continue
            if answer is False:
                bad_rows.add(row)  # a problem was recorded
                continue
            id_, value, kind, decision, repair = answer
            if repair is not None:
                repairs.append((row, repair))
            who = cell_text(record.get(ANNOTATOR_COLUMN)) or default
            if (id_, who) in first_row_of:
                earlier_row, earlier = first_row_of[(id_, who)]
                if earlier != (value, kind):
                    both = " (both rows left out)" if self.context.options.partial else ""
                    problems.append(
                        f"{self.path} row {row}: id {shown(id_)} is answered again with {shown(value)} (row {earlier_row} "
                        f"says {shown(earlier[0])}); keep one answer per id and annotator{both}"
                    )
                    conflicted.add((id_, who))
                    bad_rows.update((row, earlier_row))
                continue
            first_row_of[(id_, who)] = (row, (value, kind))
            earlier_row, earlier_who = first_answer_to.setdefault(id_, (row, who))
            if earlier_who != who:
                # one file is one vote per row: names are what the file says, and three names in
                # one file must not outvote the person who answered the row
                every = " (every answer to it left out)" if self.context.options.partial else ""
                problems.append(
                    f"{self.path} row {row}: id {shown(id_)} is answered again under annotator {shown(who)} (row "
                    f"{earlier_row}: {shown(earlier_who)}); one file gives one answer per row, so that it cannot "
                    f"outvote the people who answered the row: put each person's answers in a file of their own{every}"
                )
                several.add(id_)
                bad_rows.update((row, earlier_row))
                continue
            answered.append((id_, value, kind, who, decision))
        if problems and not self.context.options.partial:
            raise InputError(first_of(problems), problems)
        answered = [a for a in answered if (a[0], a[3]) not in conflicted and a[0] not in several]
        self._leave_out(problems)
        result.bad_rows = len(bad_rows)
        if self.evaluation:
            self._check_chosen_at_random([a[0] for a in answered])
        rows = []
        for id_, value, kind, who, decision in answered:
            # an evaluation answer: asked for (--eval), to a row of the evaluation set, or to a row
            # whose latest batch is an evaluation batch (not one released and offered again since)
            is_evaluation = self.evaluation or id_ in self.held_out or self._batch_of(id_) in self.evaluation_batches
            before = self.latest.get((id_, who, is_evaluation))
            # an answer repeated from an earlier import is logged again (as that import's), so that
            # reverting the earlier one does not take it away; it is not counted as new
            rows.append(
                (
                    id_,
                    value,
                    kind,
                    who,
                    self._batch_of(id_),
                    decision,
                    before not in (None, (value, kind)),
                    is_evaluation,
                )
            )
            if before == (value, kind):
                result.unchanged += 1
                continue
            result.evaluation += is_evaluation
            result.corrections += before is not None
            result.skips += kind == "skip"
            result.labels += kind == "label"
        if repairs:
            result.repaired_ids = len(repairs)
            row, first = repairs[0]
            more = f" and {len(repairs) - 1} more" if len(repairs) > 1 else ""
            self.warnings.append(
                f"{self.path}: repaired {len(repairs)} id{'s' * (len(repairs) != 1)} that a spreadsheet had mangled "
                f"(row {row}: {shown(first.raw)} -> {shown(first.id)}, {first.describe()}{more}); format the id column as text"
            )
        if not result.labels and not result.skips:
            result.status = "unchanged" if result.unchanged else "no answers"
        answers = pd.DataFrame(
            rows,
            columns=[
                "id",
                "answer",
                "kind",
                "annotator",
                "batch",
                "decision",
                "correction",
                "evaluation",
            ],
        ).assign(time=utc_now(), source=str(self.path.resolve()), source_sha256=self.digest)
        self._warn_if_answered_anonymously(answers)
        result.batch = ", ".join(sorted(set(answers["batch"].dropna()))) or None
        return result, answers

    def _blank_id(self, record) -> str:
        """The id of a row left blank, as the pool knows it if a spreadsheet mangled it."""
        raw = self._id_cell(record)
        if not raw or raw in self.own_ids:
            return raw
        id_, _ = self._known_id(raw, None, [])
        return id_ or raw

    def _id_cell(self, record) -> str:
        """The id cell with the formula guard's apostrophe taken off, unless the pool's id has that
        apostrophe itself ("'=1+1"; init refuses a pool holding both "=1+1" and "'=1+1")."""
        written = cell_text(record.get(self.id_column))
        read = unguarded(written)
        if read != written and read not in self.own_ids and read not in self.pool_ids and written in self.pool_ids:
            return written
        return read

    def _leave_out(self, problems: list[str]) -> None:
        """--partial: each bad row a warning (up to LISTED_PROBLEMS for a file)."""
        self.left_out = problems
        self.warnings.extend(f"left out {problem}" for problem in problems[:LISTED_PROBLEMS])
        if len(problems) > LISTED_PROBLEMS:
            self.warnings.append(f"left out {len(problems) - LISTED_PROBLEMS} more bad rows of {self.path}")

    @cached_property
    def _answered_before(self) -> pd.DataFrame:
        """The counted answers to this file's batch, or from this file."""
        counted = self.context.counted
        mask = counted["source"].isin([str(self.path.resolve())])
        if self.own_batch is not None:
            mask |= counted["batch"].isin([self.own_batch.name])
        return counted[mask]

    def _default_annotator(self, frame: pd.DataFrame) -> str:
        """Who answered the rows without an annotator cell: --annotator; else the one person who
        answered this file's batch (or this file) before, so that one person re-importing without
        --annotator does not become a second annotator; else anonymous."""
        if self.annotator:
            return self.annotator
        if ANNOTATOR_COLUMN in frame.columns and (frame[ANNOTATOR_COLUMN].astype(str).str.strip() != "").all():
            return DEFAULT_ANNOTATOR  # every row names its annotator: no default is used
        named = sorted(set(self._answered_before["annotator"].dropna()) - {DEFAULT_ANNOTATOR})
        if not named:
            return DEFAULT_ANNOTATOR
        what = self.own_batch.name if self.own_batch else "this file"
        if len(named) > 1:
            raise InputError(
                f"{self.path}: {what} was answered by {_and(named)}; say who answered this file with --annotator NAME"
            )
        where = "column" if ANNOTATOR_COLUMN not in frame.columns else "name in some rows"
        self.warnings.append(
            f"{self.path}: no --annotator and no annotator {where}; recorded as {named[0]!r}, who answered {what} "
            "before (pass --annotator to say otherwise)"
        )
        return named[0]

    def _warn_if_answered_anonymously(self, answers: pd.DataFrame) -> None:
        """A named annotator answering rows this batch (or file) had answered anonymously: the same
        person, probably, who would count as two annotators (and make agreement look perfect)."""
        named = answers.loc[answers["annotator"] != DEFAULT_ANNOTATOR]
        if named.empty:
            return
        before = self._answered_before
        before = before[before["annotator"].isin([DEFAULT_ANNOTATOR]) & before["id"].isin(set(named["id"]))]
        if before.empty:
            return
        imports = list(dict.fromkeys(before["import_id"].dropna()))
        who = _and(sorted(set(named["annotator"])))
        self.warnings.append(
            f"{self.path}: {before['id'].nunique()} of these rows were imported before without an annotator "
            f"(as {DEFAULT_ANNOTATOR!r}, {', '.join(imports)}); if that was {who} too, take it back with "
            f"`activelearn import-labels --revert {imports[-1]}`, so that one person does not count as two annotators"
        )

    def _check_chosen_at_random(self, ids: list[str]) -> None:
        """--eval: refuse a batch a strategy chose (its rows are the hard ones, not a sample of the
        pool): this file's own batch, or the batch every answered row was offered in."""
        batches = {self.own_batch.name} if self.own_batch else {self._batch_of(i) for i in ids}
        chosen = [b for b in self.state.batches if b.name in batches and not b.evaluation and b.strategy != "random"]
        if not chosen or (not self.own_batch and None in batches):
            return
        names = _and([b.name for b in chosen])
        strategies = ", ".join(dict.fromkeys(b.strategy for b in chosen))
        raise InputError(
            f"{self.path}: {names} {'was' if len(chosen) == 1 else 'were'} chosen by strategy {strategies}, not at "
            "random, so its answers would bias the evaluation set; draw evaluation rows at random with "
            "`activelearn query --eval N`, or import this file without --eval"
        )

    def _answer(self, row, record, has_decisions: bool, problems: list[str]):
        """(id, answer, kind, decision, repair) for an answered row; None if unanswered; False if bad."""
        config = self.config
        cell = lambda name: unguarded(cell_text(record.get(name)))  # noqa: E731
        raw_id, label = self._id_cell(record), cell(self.label_column)
        decision = cell(DECISION_COLUMN).casefold() or None
        if not raw_id and not label:
            return None
        id_, repair = self._known_id(raw_id, row, problems)
        if id_ is False:
            return False
        suggestion = cell(SUGGESTION_COLUMN) or self.prefilled.get(id_ or "", "")
        if has_decisions or id_ in self.prefilled:
            if decision is None and (not label or label.casefold() == suggestion.casefold()):
                return None  # an untouched pre-filled row: nobody has looked at it
            if decision is not None and decision not in DECISIONS and decision not in self.skip_values:
                problems.append(
                    f"{self.path} row {row}: decision {shown(decision)} is not one of {', '.join(DECISIONS)}"
                    f"{did_you_mean(decision, DECISIONS)}"
                )
                return False
            if decision == "accept" and not label:
                label = suggestion
                if not label:
                    problems.append(
                        f"{self.path} row {row}: decision 'accept', but the row has no suggestion to accept; "
                        "write the label, with the decision fix"
                    )
                    return False
        elif not label:
            return None
        if id_ is None:
            problems.append(f"{self.path} row {row}: id {shown(raw_id)} is not in the pool{_id_hint(raw_id, repair)}")
            return False
        if label.casefold() in self.skip_values:
            return id_, label, "skip", decision, repair
        if decision == "skip" or decision in self.skip_values:
            return id_, "skip", "skip", decision, repair
        canonical = match_label(label, config.classes)
        if canonical is None:
            hint = (
                " (a formula the file was saved without its value: open the file in a spreadsheet and "
                "save it again, or type the label)"
                if label.startswith("=")
                else " "
                + class_hint(label, config.classes)
                + "; to add a class, add it to [data] classes in activelearn.toml"
            )
            problems.append(f"{self.path} row {row}: label {shown(label)} is not a class{hint}")
            return False
        return id_, canonical, "label", decision, repair

    def _known_id(self, raw: str, row, problems: list[str]):
        """(id, repair): the pool id a cell names, repaired if a spreadsheet mangled it; (None,
        repair) if unknown; (False, None) if it is ambiguous between a pool row and a batch row."""
        if raw in self.own_ids:
            return raw, None
        if raw.startswith("'") and (raw[1:] in self.own_ids or raw[1:] in self.pool_ids):
            return raw[1:], None  # an apostrophe typed to keep a spreadsheet from reading the id as a number
        repair = self.repairer.repair(raw) if raw else None
        if raw in self.pool_ids:
            if self.own_batch and repair is not None:
                # a row of the pool, but not of this batch, and a mangled form of one of its rows:
                # a label put on the wrong row is worse than a question
                problems.append(
                    f"{self.path} row {row}: id {shown(raw)} is a pool row not in {self.own_batch.name}, but also "
                    f"{repair.describe()[2:]} from {' or '.join(shown(c) for c in repair.candidates[:3])} of "
                    f"{self.own_batch.name}; type the right id, and format the id column as text"
                )
                return False, None
            return raw, None
        if repair is not None and repair.id is not None:
            return repair.id, repair
        return None, repair

    def _batch_of(self, id_: str) -> str | None:
        if self.own_batch is not None and id_ in self.own_ids:  # own_ids is empty without a batch
            return self.own_batch.name
        return self.owner.get(id_)


def _own_batch(path: Path, state: State) -> BatchRecord | None:
    """The batch a file answers: the one whose file it is, by name. A spreadsheet or a download
    may change the extension or add to the name ("batch-0002 - Sheet1.csv", "batch-0002 (1).xlsx")."""
    stem = path.stem
    for batch in reversed(state.batches):
        sent = Path(batch.file).stem
        if stem == sent or (stem.startswith(sent) and not stem[len(sent)].isdigit()):
            return batch
    return None


def _and(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _id_hint(value: str, repair) -> str:
    if repair is not None:  # the shape fits a mangling, but more than one id could be the original
        candidates = ", ".join(shown(c) for c in repair.candidates[:4])
        return f" ({repair.describe()}; it could be any of {candidates}: type the right id, and format the id column as text)"
    import re

    if re.fullmatch(r"\d([.,]\d+)?E\+\d+", value, flags=re.IGNORECASE):
        return " (a spreadsheet turned a long number into scientific notation; format the id column as text and copy the ids from the batch file)"
    if re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}( .*)?", value):
        return " (a spreadsheet may have turned the id into a date; format the id column as text)"
    if lost_precision(value):
        return (
            " (a spreadsheet keeps 15 digits of a number, so a longer id loses its last digits; "
            "format the id column as text and copy the ids from the batch file)"
        )
    if value.isdigit() and not value.startswith("0"):
        return " (a spreadsheet may have dropped leading zeros; format the id column as text)"
    if not value:
        return " (the id cell is empty)"
    return ""
