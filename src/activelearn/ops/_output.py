"""The output files of `predict` and `export`: checking `--out`, and writing a CSV or Parquet
table in pieces that appears only when complete."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..cells import GUARD_NEEDED_PATTERN, guarded
from ..errors import InputError, UsageError
from ..messages import missing
from ..project import ProjectPaths
from ..storage import atomic_path

OUTPUT_SUFFIXES = (".csv", ".parquet")
UTF8_BOM = b"\xef\xbb\xbf"


def output_path(out: Path, paths: ProjectPaths, data: Path | None = None, source: str = "") -> Path:
    """`--out`, checked: a .csv or .parquet file in an existing folder, and neither one of the
    project's own files (nor in batches/, data/ or models/, where a person's unimported answers or
    the tool's files live), nor the input, nor the data file the project was made from (`source`,
    `[data] source`). An existing file there is replaced (on success only)."""
    out = Path(out)
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UsageError(f"--out {out}: the extension decides the format; use .csv or .parquet")
    resolved = out.resolve()
    if data is not None and resolved == Path(data).resolve():
        raise UsageError(f"--out {out} is the --data file; write the output to another file")
    if source and (resolved == Path(source).resolve() or Path(source).resolve() in resolved.parents):
        raise UsageError(
            f"--out {out} is the data file this project was made from ([data] source in {paths.config.name}); "
            "write the output to another file"
        )
    own = (
        paths.config,
        paths.state,
        paths.pool,
        paths.label_log,
        paths.models,
        paths.pool.parent,
        paths.batches,
    )
    if any(resolved == p.resolve() or p.resolve() in resolved.parents for p in own):
        raise UsageError(f"--out {out} is inside the project's own files; write the output elsewhere")
    if resolved.is_dir():
        raise InputError(f"{out}: is a folder; name a file")
    if not resolved.parent.is_dir():
        raise InputError(missing(out, f"the folder {out.parent} does not exist"))
    return out


@contextlib.contextmanager
def table_writer(path: Path, schema, raw: bool = False):
    """Yield `write(table)`, which appends Arrow tables of `schema` to `path` (Parquet or CSV by
    its extension); the file appears, complete, only when the block succeeds.

    CSV is UTF-8 with a byte-order mark (as batch files, so Excel reads it as UTF-8), every text
    field quoted, and, unless `raw`, text with the formula guard of batch files (cells.guarded),
    which init and import-labels take back; list columns (embeddings) become JSON text such as
    [0.1, 0.2], which init reads back as vectors.
    """
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".parquet":
            writer = pq.ParquetWriter(tmp, schema)
            try:
                yield writer.write_table
            finally:
                writer.close()
            return
        text_schema = _csv_schema(schema, raw)
        with open(tmp, "wb") as sink:
            sink.write(UTF8_BOM)
            writer = pacsv.CSVWriter(sink, text_schema)
            try:
                writer.write_table(text_schema.empty_table())  # the header, even with no rows
                yield lambda table: writer.write_table(_csv_table(table, text_schema, raw))
            finally:
                writer.close()


def _csv_schema(schema, raw: bool):
    import pyarrow as pa

    name = (lambda n: n) if raw else guarded
    return pa.schema(
        [pa.field(name(f.name), pa.string() if _is_list(f.type) else f.type) for f in schema],
        metadata=schema.metadata,
    )


def _csv_table(table, text_schema, raw: bool):
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, f in enumerate(table.schema):
        if _is_list(f.type):
            text = [None if v is None else json.dumps(v) for v in table.column(i).to_pylist()]
            table = table.set_column(i, f.name, pa.array(text, type=pa.string()))
        elif (
            not raw
            and _is_text(f.type)
            and pc.any(pc.match_substring_regex(table.column(i), GUARD_NEEDED_PATTERN)).as_py()
        ):
            text = [
                None if v is None else guarded(v) for v in table.column(i).to_pylist()
            ]  # the few columns that need it
            table = table.set_column(i, f.name, pa.array(text, type=pa.string()))
    return table.rename_columns(text_schema.names).cast(text_schema)


def _is_text(kind) -> bool:
    import pyarrow as pa

    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _is_list(kind) -> bool:
    import pyarrow as pa

    return pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
