"""`export`: the labeled dataset (id, current label, features, evaluation flag) as CSV or Parquet,
written so that `init` reads it back into an equal project."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

from ..config import Config
from ..features import check_columns
from ..pool import CHUNK_ROWS, pool_columns, pool_schema, read_rows
from ..progress import phase
from ..project import Project
from ._output import output_path, table_writer

FLAGS = ("evaluation", "skipped")
PROVENANCE = ("annotators", "batch", "import_id", "answered_at")


@dataclass(kw_only=True)
class ExportResult:
    file: str
    rows: int
    labels: int  # training labels
    evaluation: int  # evaluation labels
    skipped: int
    labels_per_class: dict[str, int]
    columns: list[str]
    init_options: list[str]  # `activelearn init NEW_DIR` + these re-creates the project from the file
    warnings: list[str] = field(default_factory=list)


def export(
    project: Project,
    *,
    out: Path,
    annotators: bool = False,
    include_skipped: bool = False,
    evaluation: bool = True,
    all_columns: bool = False,
    raw: bool = False,
    chunk_rows: int = CHUNK_ROWS,
) -> ExportResult:
    """Write every labeled row with its current label and features to `out`, in the order the rows
    were first answered. Evaluation labels are flagged (or, without `evaluation`, left out);
    skipped rows are left out unless `include_skipped`. A CSV has the formula guard unless `raw`."""
    config, paths = project.config, project.paths
    target = output_path(out, paths, source=config.source)
    available = pool_columns(paths.pool)
    check_columns(config.columns, available, str(paths.config), config.id_column)
    features = [c for c in available if c != config.id_column] if all_columns else config.feature_columns
    log = project.label_log()
    rows = log.labeled_rows(evaluation, include_skipped, annotators)
    taken = {config.id_column, config.label_column, *features}
    wanted = [
        "evaluation",
        *(["skipped"] if include_skipped else []),
        *(PROVENANCE if annotators else ()),
    ]
    kept = {key: _free_name(key, taken) for key in wanted}  # the tool's columns: key -> name in the file
    schema = _export_schema(paths.pool, config.id_column, config.label_column, features, kept)
    advance = phase("reading the pool and writing", total=len(rows))
    with table_writer(target, schema, raw) as write:
        for start in range(0, len(rows), chunk_rows):
            part = rows.iloc[start : start + chunk_rows].reset_index(drop=True)
            write(
                _export_table(
                    schema,
                    part,
                    read_rows(paths.pool, config.id_column, part["id"], features),
                    config.id_column,
                    config.label_column,
                    features,
                    kept,
                )
            )
            advance(start + len(part))
    labels = rows[rows["kind"] == "label"]
    counts = labels.loc[~labels["evaluation"].astype(bool), "label"].value_counts()
    ignored = list(kept.values()) + [c for c in features if config.columns.get(c, "ignore") == "ignore"]
    warnings = [] if len(rows) else ["no labeled rows yet: the file has the header only"]
    return ExportResult(
        file=str(out),
        rows=int(len(rows)),
        labels=int((~labels["evaluation"].astype(bool)).sum()),
        evaluation=int(labels["evaluation"].astype(bool).sum()),
        skipped=int((rows["kind"] == "skip").sum()),
        labels_per_class={c: int(counts.get(c, 0)) for c in config.classes},
        columns=schema.names,
        init_options=_init_options(project, target, features, ignored),
        warnings=warnings,
    )


def _free_name(name: str, taken: set[str]) -> str:
    """A column name of the tool's own, prefixed when the data already has a column of that name."""
    return name if name not in taken else f"activelearn_{name}"


def _export_schema(pool: Path, id_column: str, label_column: str, features: list[str], extra: dict[str, str]):
    import pyarrow as pa

    schema = pool_schema(pool)
    fields = [pa.field(id_column, pa.string()), pa.field(label_column, pa.string())]
    fields += [schema.field(name) for name in features]
    fields += [pa.field(name, pa.bool_() if key in FLAGS else pa.string()) for key, name in extra.items()]
    return pa.schema(fields)


def _export_table(schema, part, features_of, id_column, label_column, features, extra):
    import pyarrow as pa

    frame = pd.DataFrame(
        {
            id_column: part["id"].astype(str).to_numpy(dtype=object),
            label_column: part["label"].astype(object).where(part["label"].notna(), None).to_numpy(dtype=object),
        }
    )
    for name in features:
        frame[name] = features_of[name].array  # not to_numpy: nullable integers would become float
    for key, name in extra.items():
        if key in FLAGS:
            frame[name] = (part["kind"] == "skip").to_numpy() if key == "skipped" else part["evaluation"].to_numpy(bool)
        else:
            frame[name] = part[key].astype(object).where(part[key].notna(), None).to_numpy(dtype=object)
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def _init_options(project: Project, target: Path, features: list[str], ignored: list[str]) -> list[str]:
    """The options of `activelearn init` that make a project equal to this one from the file."""
    config = project.config
    options = [
        "--data",
        str(target.resolve()),
        "--id-column",
        config.id_column,
        "--label-column",
        config.label_column,
        "--classes",
        ",".join(config.classes),
    ]
    text = [c for c in features if config.columns.get(c) == "text"]
    if text:
        options += ["--text-columns", ",".join(text)]
    options += ["--ignore-columns", ",".join(ignored)]
    # init's options for settings that differ from the defaults (init's defaults are Config's)
    defaults = {f.name: f.default for f in fields(Config)}
    for option, key in (
        ("--model", "model"),
        ("--strategy", "strategy"),
        ("--batch-size", "batch_size"),
        ("--seed", "seed"),
    ):
        if getattr(config, key) != defaults[key]:
            options += [option, str(getattr(config, key))]
    return options
