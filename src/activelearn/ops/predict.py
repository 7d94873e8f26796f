"""`predict`: the latest model's prediction, confidence and class probabilities for every row of
the pool or of another data file, streamed chunk by chunk into a CSV or Parquet file.

The output file is checked and written by `_output`, which `export` shares.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..dask_engine import chosen_engine
from ..data_files import column_names, raw_chunks
from ..dataset import checked_ids
from ..errors import InputError, NothingToDoError, UsageError
from ..messages import did_you_mean, first_line
from ..pool import CHUNK_ROWS, iter_chunks, pool_columns
from ..progress import phase
from ..project import Project
from ..roles import missing_mask, typed_column
from ..scoring import Scorer
from ..versions import latest_model
from ._output import output_path, table_writer


@dataclass(kw_only=True)
class PredictResult:
    file: str
    rows: int
    source: str  # "pool", or the --data file
    model_version: int
    classes: list[str]
    id_column: str
    generated_ids: bool  # the ids are generated ones (r000001 ...): by init, or because --data has no id column
    columns: list[str]
    warnings: list[str] = field(default_factory=list)


def predict(
    project: Project,
    *,
    out: Path,
    data: Path | None = None,
    chunk_rows: int = CHUNK_ROWS,
    engine: str | None = None,
    scheduler: str | None = None,
    raw: bool = False,
) -> PredictResult:
    """Write the latest model's predictions for every row of the pool, or of `data`, to `out`;
    with `engine` "dask", the pool is scored on the Dask cluster at `scheduler`. A CSV has the
    formula guard unless `raw`."""
    config, paths = project.config, project.paths
    engine, scheduler = chosen_engine(engine, scheduler, config, paths.config)
    if engine == "dask" and data is not None:
        raise UsageError(
            "the dask engine predicts the pool, which the workers can read; use --engine local with --data"
        )
    target = output_path(out, paths, data, source=config.source)
    warnings: list[str] = []
    latest = latest_model(project, project.label_log())
    if latest is None:
        raise NothingToDoError("no model yet: run `activelearn train` first")
    stale = latest.stale_warning("up-to-date predictions")
    warnings += [stale] if stale else []
    version, pipeline, columns = latest.version, latest.pipeline, latest.columns
    scorer = Scorer(pipeline)
    classes = [str(c) for c in scorer.classes_]
    schema = _prediction_schema(config.id_column, classes, version)
    if data is None:
        _require_columns(pool_columns(paths.pool), columns, paths.pool)
        chunks, generated = (
            _pool_chunks(paths.pool, config.id_column, list(columns), chunk_rows),
            config.generated_ids,
        )
    else:
        chunks, generated = _data_chunks(Path(data), config.id_column, columns, chunk_rows, warnings)
    if engine == "dask":
        from ..dask_engine import predict_on_dask

        assert scheduler is not None  # chosen_engine gives the dask engine its scheduler's address
        scored = predict_on_dask(scheduler, paths.pool, config.id_column, list(columns), scorer)
    else:
        scored = ((ids, scorer.predict_proba(features)) for ids, features in chunks)
    from ..embedding_cache import pool_vectors_open
    from ..embeddings import uses_embeddings

    # the pool's texts' vectors come from the cache train made; predict, which holds no lock, never writes it
    opened = pool_vectors_open(paths, columns, needed=engine != "dask" and uses_embeddings(pipeline), build=False)
    rows = 0
    advance = phase(
        f"scoring {'the pool' if data is None else data}",
        total=project.state.pool_rows if data is None else None,
    )
    with opened, table_writer(target, schema, raw) as write:
        for ids, proba in scored:
            write(_prediction_table(schema, ids, proba, classes))
            rows += len(ids)
            advance(rows)
    return PredictResult(
        file=str(out),
        rows=rows,
        source="pool" if data is None else str(data),
        model_version=version,
        classes=classes,
        id_column=config.id_column,
        generated_ids=generated,
        columns=schema.names,
        warnings=warnings,
    )


def _require_columns(available: list[str], columns: dict[str, str], where: Path) -> None:
    missing = [name for name in columns if name not in available]
    if missing:
        s = "s" * (len(missing) > 1)
        raise InputError(
            f"{where}: lacks the column{s} the model uses: {', '.join(map(repr, missing))}"
            f"{did_you_mean(missing[0], available)}"
        )


def _pool_chunks(pool: Path, id_column: str, columns: list[str], chunk_rows: int) -> Iterator:
    for table in iter_chunks(pool, [id_column, *columns], chunk_rows):
        yield table.column(id_column), table


def _data_chunks(data: Path, id_column: str, columns: dict[str, str], chunk_rows: int, warnings: list[str]):
    """(the typed rows of `data` as (ids, features) chunks, whether the ids are generated).

    The file is read as `init` reads it, and each column the model uses is typed by its role as
    init types the pool, so the model sees the same values for the same cells. The ids are the
    file's own when it has the project's id column, else generated as init would (r000001 ...).
    """
    count_rows, raw = raw_chunks(data, warnings)  # a damaged file met half-way is a one-line error
    first = next(raw, None)
    if first is None or not len(first):
        raise InputError(f"{data}: has no rows")
    names = column_names(first, data)
    _require_columns(names, columns, data)
    generated = id_column not in names
    width = max(6, len(str(count_rows()))) if generated else 0

    def chunks():
        offset = 0
        unparsed: dict[str, list] = {}  # column -> [count, first example] (_typed_features)
        for chunk in itertools.chain([first], raw):
            chunk = chunk.reset_index(drop=True)
            chunk.columns = names
            for start in range(0, len(chunk), chunk_rows):
                part = chunk.iloc[start : start + chunk_rows].reset_index(drop=True)
                numbers = np.arange(offset + 1, offset + 1 + len(part))  # 1-based data rows
                if generated:
                    ids = np.array([f"r{i:0{width}d}" for i in numbers], dtype=object)
                else:
                    ids = checked_ids(part[id_column], numbers + 1, id_column, data)  # header is row 1
                yield ids, _typed_features(part, columns, data, numbers + 1, unparsed)
                offset += len(part)
        for name, (count, example) in unparsed.items():
            warnings.append(
                f"{data}: {count} cell{'s' * (count != 1)} of the numeric column {name!r} {'are' if count != 1 else 'is'} "
                f"not a number (e.g. {str(example)!r}); predicted as missing values. Write plain numbers there"
            )

    return chunks(), generated


def _typed_features(
    part: pd.DataFrame,
    columns: dict[str, str],
    data: Path,
    rows: np.ndarray,
    unparsed: dict | None = None,
) -> pd.DataFrame:
    """The model's columns typed by their roles; numeric cells that are not numbers (nor a
    missing-value marker) are counted in `unparsed` (column -> [count, first example])."""
    typed = {}
    for name, role in columns.items():
        try:
            typed[name] = typed_column(part[name], role)
            if role == "numeric" and unparsed is not None:
                bad = typed[name].isna().to_numpy() & ~missing_mask(part[name]).to_numpy()
                if bad.any():
                    seen = unparsed.setdefault(name, [0, part[name].to_numpy()[bad][0]])
                    seen[0] += int(bad.sum())
        except (
            ValueError,
            TypeError,
        ) as exc:  # e.g. an embedding cell that is not a list of numbers
            raise InputError(
                f"{data} rows {rows[0]}-{rows[-1]}: column {name!r} does not hold {role} values as the model "
                f"expects ({first_line(exc)})"
            ) from None
    return pd.DataFrame(typed)


def _prediction_schema(id_column: str, classes: list[str], version: int):
    import pyarrow as pa

    names = [id_column, "prediction", "confidence", *(f"p_{c}" for c in classes)]
    repeated = next((n for n in names if names.count(n) > 1), None)
    if repeated is not None:
        raise InputError(f"the id column is named {repeated!r}, as a column predict writes; rename it to predict")
    fields = [(id_column, pa.string()), ("prediction", pa.string())] + [(n, pa.float64()) for n in names[2:]]
    return pa.schema(fields, metadata={b"activelearn.model_version": str(version).encode()})


def _prediction_table(schema, ids, proba: np.ndarray, classes: list[str]):
    import pyarrow as pa

    best = proba.argmax(axis=1)
    columns = [
        ids.combine_chunks().cast(pa.string()) if isinstance(ids, pa.ChunkedArray) else pa.array(ids, type=pa.string()),
        pa.array(np.asarray(classes, dtype=object)[best], type=pa.string()),
        pa.array(proba[np.arange(len(proba)), best], type=pa.float64()),
        *(pa.array(proba[:, j], type=pa.float64()) for j in range(len(classes))),
    ]
    return pa.Table.from_arrays(columns, schema=schema)
