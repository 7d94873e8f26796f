"""A data file -> the typed pool, its row ids, the labels already in it, and each column's role.

Read as a stream of chunks, so that `init` converts a file larger than memory into the pool in
bounded memory (its sink writes each chunk); `simulate` collects the chunks in memory instead.
Column roles are inferred from the first rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .cells import MISSING_TOKENS, cell_text, unguarded
from .config import DEFAULT_SKIP_VALUES
from .data_files import column_names, raw_chunks
from .errors import InputError, UsageError
from .labels import match_label
from .messages import class_hint, did_you_mean, first_line
from .roles import ColumnRole, forced_role, infer_role, role_option, typed_column
from .rows import arrow_to_frame
from .targets import likely_label_column, multi_label_problem, regression_problem

if TYPE_CHECKING:
    import pyarrow as pa

GENERATED_ID_NAMES = ("id", "row_id", "activelearn_id")
ROLE_SAMPLE_ROWS = 50_000  # roles are inferred from this many first rows
FEW_CLASSES = 3  # fewer classes seen at init than this, or fewer labels than FEW_LABELS: a warning
FEW_LABELS = 10  # that the classes are those seen, and --classes names more


@dataclass
class DatasetScan:
    """What reading the file learned; the typed rows themselves went to the sink."""

    id_column: str
    generated_ids: bool
    label_column: str
    classes: list[str]
    answers: pd.DataFrame  # id, answer, kind ("label" or "skip") for each row whose label is filled
    roles: list[ColumnRole]
    rows: int
    schema: pa.Schema = field(repr=False)  # the pool's pyarrow schema


@dataclass
class Dataset(DatasetScan):
    pool: pd.DataFrame = field(default=None, repr=False)  # the id column, then every feature column


def load_dataset(data: Path, *, warnings: list[str], **options) -> Dataset:
    """The whole file in memory (for `simulate`): the scan, with every typed row collected."""
    tables: list = []
    scan = scan_dataset(data, warnings=warnings, sink=tables.append, **options)
    import pyarrow as pa

    pool = arrow_to_frame(pa.concat_tables(tables) if tables else scan.schema.empty_table())
    return Dataset(**scan.__dict__, pool=pool)


def scan_dataset(
    data: Path,
    *,
    id_column: str | None = None,
    label_column: str | None = None,
    classes: list[str] | None = None,
    forced_roles: dict[str, str] | None = None,
    warnings: list[str],
    sink: Callable,
) -> DatasetScan:
    """Read `data` chunk by chunk, checking ids, labels and classes, and hand each chunk of typed
    pool rows (a pyarrow Table) to `sink`. `forced_roles` (column -> role) overrides inference."""
    import pyarrow as pa
    import pyarrow.compute as pc

    data = Path(data)
    count_rows, chunks = raw_chunks(data, warnings)
    sample, buffered = _first_rows(chunks, data)
    columns = column_names(sample, data)
    label_name = label_column or "label"
    if id_column is not None and id_column == label_name:
        raise UsageError(f"--id-column and --label-column both name {id_column!r}; they must differ")
    if label_column is not None and label_name not in columns:
        raise InputError(f"{data}: no label column {label_name!r}{did_you_mean(label_name, columns)}")
    if label_name not in columns:
        _no_label_column(sample, columns, data, bool(classes), warnings)
    if id_column is not None and id_column not in columns:
        raise InputError(f"{data}: no column {id_column!r}{did_you_mean(id_column, columns)}")
    forced_roles = forced_roles or {}
    _check_forced(forced_roles, columns, {label_name: "label", id_column: "id"}, data)
    generated = id_column is None
    id_name = id_column if id_column is not None else next(n for n in GENERATED_ID_NAMES if n not in columns)
    features = [c for c in columns if c not in (label_name, id_column)]
    if generated and id_name in features:
        raise InputError(f"{data}: a column is named {id_name!r}; rename it or pass --id-column")
    sample.columns = columns
    roles = _roles(sample[features], forced_roles, str(data))
    if all(r.role == "ignore" for r in roles):
        reasons = "; ".join(f"{r.name}: {r.note}" for r in roles) or "no columns besides the id and label"
        raise InputError(
            f"{data}: no column can be a feature ({reasons}); name the columns to use with "
            "--text-columns, or check the data"
        )
    schema = _pool_schema(id_name, roles)
    width = max(6, len(str(count_rows()))) if generated else 0  # counted only when ids are generated
    offset, user_ids = 0, []
    labeled: list[tuple[str, str, int]] = []  # (id, label cell, row in the file) of each filled label
    for chunk in itertools.chain(buffered, chunks):
        chunk.columns = columns
        rows = np.arange(offset + 2, offset + 2 + len(chunk))  # as the file shows them: header is row 1
        if id_column is None:  # generated
            ids = np.array(
                [f"r{i:0{width}d}" for i in range(offset + 1, offset + 1 + len(chunk))],
                dtype=object,
            )
        else:
            ids = checked_ids(chunk[id_column], rows, id_column, data)
            user_ids.append(pa.array(ids, type=pa.string()))
        if label_name in chunk.columns:
            cells = chunk[label_name].map(cell_text).to_numpy(dtype=object)
            filled = np.flatnonzero(cells != "")
            labeled.extend(zip(ids[filled], cells[filled], rows[filled], strict=True))
        sink(_typed_chunk(chunk, {id_name: ids}, roles, schema, rows, data))
        offset += len(chunk)
    if offset == 0:
        raise InputError(f"{data}: has no rows")
    if user_ids:
        _check_unique(pa.chunked_array(user_ids), data, pc)
        _check_unambiguous(pa.chunked_array(user_ids), data, pc)
    raw = pd.Series([value for _, value, _ in labeled], dtype=object)
    class_list = _classes(raw, classes, data, label_name, warnings)
    answers = _initial_answers(labeled, class_list, data)
    return DatasetScan(id_name, generated, label_name, class_list, answers, roles, offset, schema)


def _typed_chunk(chunk: pd.DataFrame, typed: dict, roles: list[ColumnRole], schema, rows: np.ndarray, data: Path):
    """One chunk's pool rows as a pyarrow Table: `typed` (the ids), then each feature column typed by its role."""
    import pyarrow as pa

    for role in roles:
        try:
            typed[role.name] = _arrow_values(typed_column(chunk[role.name], role.role, role.integer))
        except (ValueError, TypeError) as exc:  # a cell past the sample that does not fit the role
            raise InputError(
                f"{data} rows {rows[0]}-{rows[-1]}: column {role.name!r} does not hold {role.role} values "
                f"throughout ({first_line(exc)}); pass --text-columns or --ignore-columns for it"
            ) from None
    return pa.Table.from_pydict(typed, schema=schema)


def _first_rows(chunks: Iterator[pd.DataFrame], data: Path) -> tuple[pd.DataFrame, list]:
    """The first ROLE_SAMPLE_ROWS rows (to infer roles from), and the chunks they came in."""
    buffered, rows = [], 0
    for chunk in chunks:
        buffered.append(chunk)
        rows += len(chunk)
        if rows >= ROLE_SAMPLE_ROWS:
            break
    if not buffered:
        raise InputError(f"{data}: has no rows")
    sample = pd.concat(buffered, ignore_index=True) if len(buffered) > 1 else buffered[0].reset_index(drop=True)
    return sample.head(ROLE_SAMPLE_ROWS), buffered


def _pool_schema(id_name: str, roles: list[ColumnRole]):
    import pyarrow as pa

    types = {"numeric": pa.float64(), "embedding": pa.list_(pa.float64())}
    return pa.schema(
        [(id_name, pa.string())]
        + [(r.name, pa.int64() if r.integer else types.get(r.role, pa.string())) for r in roles]
    )


def _arrow_values(column: pd.Series):
    """A typed column as pyarrow takes it: nullable integers as an Arrow array (numpy would make
    them float and round 18-digit values), the rest as numpy."""
    import pyarrow as pa

    if isinstance(column.dtype, pd.Int64Dtype):
        return pa.array(column, type=pa.int64())
    return column.to_numpy()


def checked_ids(values: pd.Series, rows: np.ndarray, id_column: str, data: Path) -> np.ndarray:
    ids = values.map(cell_text).to_numpy(dtype=object)
    empty = np.flatnonzero(ids == "")
    if len(empty):
        raise InputError(f"{data} row {rows[empty[0]]}: the id column {id_column!r} is empty; every row needs an id")
    return ids


def _check_unique(ids, data: Path, pc) -> None:
    counts = pc.value_counts(ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))
    if len(repeated):
        value = repeated.field("values")[0]
        rows = pc.indices_nonzero(pc.equal(ids, value)).to_pylist()
        text = value.as_py()
        guard = (  # "'=1+1" in a CSV is read as "=1+1", as a batch cell the formula guard wrote
            f" (read as {text!r}: an apostrophe before it is the formula guard, taken off on reading)"
            if unguarded("'" + text) == text
            else ""
        )
        raise InputError(
            f"{data} row {rows[1] + 2}: id {text!r} is also in row {rows[0] + 2}{guard}; ids must be unique "
            "(or leave out --id-column to generate ids)"
        )


def _check_unambiguous(ids, data: Path, pc) -> None:
    """Refuse two ids that differ only by an apostrophe ('=1+1' and "'=1+1"): the formula guard
    puts one before a batch cell and import-labels takes it off, and a spreadsheet user types one to
    keep a cell text, so an answer to one could be read as an answer to the other."""
    import pyarrow as pa

    candidates = ids.filter(pc.match_substring(ids, "'")).to_pylist()  # only an id with an apostrophe can lose one
    read_as: dict[str, str] = {}  # a form an id may be read back as -> that id
    for value in candidates:
        for form in {value[1:] if value.startswith("'") else value, unguarded(value)} - {value}:
            read_as.setdefault(form, value)
    if not read_as:
        return
    clashing = ids.filter(pc.is_in(ids, value_set=pa.array(list(read_as), type=pa.string()))).to_pylist()
    if clashing:
        other = clashing[0]
        quoted = read_as[other]
        row_of = lambda value: pc.index(ids, value).as_py() + 2  # noqa: E731  (the header is row 1)
        raise InputError(
            f"{data} row {row_of(quoted)}: id {quoted!r} and the id {other!r} of row {row_of(other)} differ only by "
            "an apostrophe, which a spreadsheet or the formula guard adds or takes off, so their answers could not "
            "be told apart; make the ids differ otherwise (or leave out --id-column to generate ids)"
        )


def _initial_answers(labeled: list, classes: list[str], data: Path) -> pd.DataFrame:
    rows = []
    for id_, value, row in labeled:
        if value.casefold() in DEFAULT_SKIP_VALUES:
            rows.append((id_, value, "skip"))
            continue
        canonical = match_label(value, classes)
        if canonical is None:
            raise InputError(f"{data} row {row}: label {value!r} is not a class {class_hint(value, classes)}")
        rows.append((id_, canonical, "label"))
    return pd.DataFrame(rows, columns=["id", "answer", "kind"])


def _classes(raw: pd.Series, classes: list[str] | None, data: Path, label_name: str, warnings: list[str]) -> list[str]:
    present = raw[raw != ""]
    if classes:
        classes = [c.strip() for c in classes if c.strip()]
        folded = [c.casefold() for c in classes]
        if len(set(folded)) != len(folded):
            raise UsageError(f"--classes names a class twice: {', '.join(classes)}")
        return classes
    if present.empty:
        raise InputError(
            f"{data}: the {label_name!r} column has no labels yet, so the classes are unknown; "
            "name them with --classes a,b,c"
        )
    found: dict[str, str] = {}
    for value in present:
        if value.casefold() not in DEFAULT_SKIP_VALUES:
            found.setdefault(value.casefold(), value)
    labels = [v for v in present if v.casefold() not in DEFAULT_SKIP_VALUES]
    problem = regression_problem(labels, label_name) or multi_label_problem(labels, label_name)
    if problem:
        raise InputError(f"{data}: {problem}")
    class_list = sorted(found.values())
    if len(class_list) < 2:
        warnings.append(
            f"{data}: only one class among the labels ({', '.join(class_list)}); "
            "name them all with --classes so that answers of the others are accepted"
        )
    elif len(class_list) < FEW_CLASSES:
        warnings.append(
            f"{data}: only {len(class_list)} classes seen ({', '.join(class_list)}); pass --classes if there are more"
        )
    elif len(labels) < FEW_LABELS:
        warnings.append(
            f"{data}: only {len(labels)} labels, of {len(class_list)} classes ({', '.join(class_list)}); "
            "pass --classes if there are more"
        )
    suspicious = [c for c in class_list if c.casefold() in MISSING_TOKENS]
    if suspicious:
        warnings.append(f"{data}: {suspicious[0]!r} is taken as a class; if it means 'unlabeled', empty those cells")
    return class_list


def _no_label_column(
    sample: pd.DataFrame, columns: list[str], data: Path, classes_given: bool, warnings: list[str]
) -> None:
    """No --label-column and no 'label' column: an error naming the column that looks like the
    label (or --label-column), unless --classes says the rows deliberately start unlabeled."""
    frame = sample.set_axis(columns, axis=1)
    likely = likely_label_column(frame)
    if classes_given:
        hint = (
            f"; {likely[0]!r} looks like the label column ({likely[1]}): pass --label-column {likely[0]} if it is"
            if likely
            else ""
        )
        warnings.append(f"{data}: no 'label' column, so every row starts unlabeled{hint}")
        return
    if likely:
        raise InputError(
            f"{data}: no 'label' column; {likely[0]!r} looks like the label column ({likely[1]}): pass --label-column "
            f"{likely[0]} (or --classes a,b,c to start with every row unlabeled)"
        )
    raise InputError(
        f"{data}: no 'label' column; name the label column with --label-column, or pass --classes a,b,c to start "
        "with every row unlabeled"
    )


def _roles(frame: pd.DataFrame, forced: dict[str, str], where: str) -> list[ColumnRole]:
    roles = []
    for name in frame.columns:
        if name in forced:
            role = forced_role(frame[name], forced[name], where)
            if role.role in ("ignore", "numeric"):  # whole numbers stay exact (int64) there too
                role = replace(role, integer=infer_role(frame[name]).integer)
            roles.append(role)
        else:
            roles.append(infer_role(frame[name]))
    return roles


def _check_forced(forced: dict[str, str], columns: list[str], not_features: dict, data: Path) -> None:
    """Every column an option forces a role on is a feature column of the file."""
    for name, role in forced.items():
        if name not in columns:
            raise UsageError(
                f"{data}: {role_option(role)} names {name!r}, which is not a column{did_you_mean(name, columns)}"
            )
        if name in not_features:
            raise UsageError(
                f"{data}: {role_option(role)} names {name!r}, the {not_features[name]} column, which is not a feature"
            )
