"""The command line's options and arguments, each declared once: its flag, metavar, help text and
completion, as an Annotated alias that a command's parameter names (`force: opt.TrainForce = False`);
and the values of the options given before the command (CliOptions).

Shared by two commands, an option is one alias here, so their help cannot drift apart. Imports only
typer and the light config names, so that `activelearn --help` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from . import __version__, completion
from .config import CLASS_WEIGHTS, DEFAULT_STRATEGY, MODEL_NAMES, STRATEGY_NAMES
from .errors import ActivelearnError


@dataclass(kw_only=True)
class CliOptions:
    """The options given before the command (and -q/-v anywhere), for the command to read in ctx.obj."""

    quiet: bool = False
    verbose: bool = False
    json: bool = False  # --json before the command
    failure: ActivelearnError | None = None  # met before the command ran (a bad -C), reported by it


def names(value: str | None) -> list[str]:
    """A comma-separated option's names: 'a, b,' -> ['a', 'b']."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def role_columns(text, categorical, numeric, datetime, ignore) -> dict[str, list[str]]:
    """The --<role>-columns options of init and simulate, as the keyword arguments of their ops."""
    return {
        f"{role}_columns": names(value)
        for role, value in zip(
            ("text", "categorical", "numeric", "datetime", "ignore"),
            (text, categorical, numeric, datetime, ignore),
        )
    }


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"activelearn {__version__}")
        raise typer.Exit()


# --- the options before the command

Directory = Annotated[Path | None, typer.Option("-C", metavar="DIR", help="Run as if started in DIR (as git -C).")]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="Only errors on stderr.")]
Verbose = Annotated[bool, typer.Option("-v", "--verbose", help="More detail on stderr.")]
JsonBeforeCommand = Annotated[
    bool,
    typer.Option("--json", help="Print exactly one JSON document on stdout (as the command's --json)."),
]
Version = Annotated[
    bool,
    typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
]

# --- shared by several commands

Json = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]
Wait = Annotated[
    float,
    typer.Option(
        "--wait",
        metavar="SECONDS",
        help="Wait this long for the project lock instead of exiting 75.",
    ),
]
TextColumns = Annotated[str | None, typer.Option(help="Columns to use as free text, comma-separated.")]
IgnoreColumns = Annotated[str | None, typer.Option(help="Columns to leave out, comma-separated.")]
CategoricalColumns = Annotated[str | None, typer.Option(help="Columns to use as categories, comma-separated.")]
NumericColumns = Annotated[str | None, typer.Option(help="Columns to use as numbers, comma-separated.")]
DatetimeColumns = Annotated[
    str | None,
    typer.Option(help="Columns of dates and times (year, month, weekday, hour...), comma-separated."),
]
Model = Annotated[
    str,
    typer.Option(help=f"One of: {', '.join(MODEL_NAMES)}.", autocompletion=completion.models),
]
BatchSize = Annotated[int, typer.Option(help="Rows per batch.")]
Scheduler = Annotated[
    str | None,
    typer.Option(metavar="ADDRESS", help="The Dask scheduler, e.g. tcp://host:8786."),
]
TableOut = Annotated[
    Path,
    typer.Option(
        help="Write here: .csv or .parquet (by extension). An existing file is replaced, once the new one is complete."
    ),
]
Raw = Annotated[
    bool,
    typer.Option(
        help="CSV: the values byte for byte, without the ' that keeps a spreadsheet from running a cell as a formula."
    ),
]

# --- init

NewProject = Annotated[Path, typer.Argument(metavar="DIR", help="The new project directory.")]
InitData = Annotated[Path, typer.Option("--data", help="CSV, TSV, Parquet (file or folder), JSON Lines or XLSX.")]
InitIdColumn = Annotated[str | None, typer.Option(help="Column of unique ids (default: generate r000001 ...).")]
InitLabelColumn = Annotated[
    str | None,
    typer.Option(help="Column of labels; empty cells are unlabeled. [default: label]"),
]
Classes = Annotated[str | None, typer.Option(help="The classes, comma-separated (default: the labels found).")]
InitStrategy = Annotated[
    str,
    typer.Option(help=f"One of: {', '.join(STRATEGY_NAMES)}.", autocompletion=completion.strategies),
]
Seed = Annotated[int, typer.Option(help="Seed for every random choice.")]

# --- train

TrainForce = Annotated[bool, typer.Option(help="Train a new version even if nothing changed.")]

# --- query

BatchRows = Annotated[int | None, typer.Option("-n", help="Rows in the batch (default: the config's batch_size).")]
QueryStrategy = Annotated[
    str | None,
    typer.Option(
        help=f"One of: {', '.join(STRATEGY_NAMES)} (default: the config's).",
        autocompletion=completion.strategies,
    ),
]
BatchOut = Annotated[Path | None, typer.Option(help="Write the batch here (.csv, .tsv or .xlsx).")]
Prefill = Annotated[
    bool,
    typer.Option(
        help="Fill the label column with the model's suggestion, plus a decision column (accept / fix / skip)."
    ),
]
OfferSkipped = Annotated[bool, typer.Option(help="Offer rows that were skipped before again.")]
Release = Annotated[
    list[str] | None,
    typer.Option(
        metavar="BATCH",
        help="Give a pending batch's unanswered rows back to the pool (repeatable, or 'all'); writes no batch.",
        autocompletion=completion.open_batches,
    ),
]
ListBatches = Annotated[bool, typer.Option("--list", help="List the batches with their progress; writes no batch.")]
Rewrite = Annotated[
    str | None,
    typer.Option(
        metavar="BATCH",
        help="Write a lost batch file again from state.json (same rows, order and suggestions), in its format or --out's; never over a file that differs.",
    ),
]
ScoringThreads = Annotated[
    int | None,
    typer.Option(
        help="Threads scoring the pool (default: one per core but one, left to Arrow's reading); the batch is the same for any number."
    ),
]
QueryEngine = Annotated[
    str | None,
    typer.Option(help="local, or dask to score on a Dask cluster (default: the config's)."),
]
IfNonePending = Annotated[
    bool,
    typer.Option(
        help="Write no batch while an earlier one (evaluation batches aside) still waits for answers (for cron); exit 0 either way."
    ),
]
EvalRows = Annotated[
    int | None,
    typer.Option(
        "--eval",
        metavar="N",
        help="Draw N rows uniformly at random for the evaluation set (eval-NNNN.csv): their labels measure the model and are never trained on.",
    ),
]

# --- import-labels

AnswerFiles = Annotated[
    list[Path] | None,
    typer.Argument(metavar="FILE_OR_DIR...", help="Filled-in files, or folders of them."),
]
Annotator = Annotated[str | None, typer.Option(help="Who gave these answers (an 'annotator' column wins).")]
EvalAnswers = Annotated[
    bool,
    typer.Option(
        "--eval",
        help="The answers are evaluation labels: they measure the model and are never trained on.",
    ),
]
FileIdColumn = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="Read the file's column NAME as the id column (default: the project's).",
    ),
]
FileLabelColumn = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="Read the file's column NAME as the label column (default: the project's).",
    ),
]
ImportForce = Annotated[
    bool,
    typer.Option(help="Log the answers of files imported before again, as a new import (a folder: every file in it)."),
]
Partial = Annotated[
    bool,
    typer.Option(help="Import the good rows of a file with bad ones, and name each bad row in a warning."),
]
DryRun = Annotated[
    bool,
    typer.Option(help="Check the files (or the --revert) and say what would change; change nothing."),
]
Revert = Annotated[
    str | None,
    typer.Option(
        metavar="IMPORT_ID",
        help="Take back every answer of one earlier import (import-0009, or 9).",
    ),
]

# --- simulate

LabeledData = Annotated[
    Path,
    typer.Argument(metavar="DATA", help="A fully labeled CSV, TSV, Parquet, JSON Lines or XLSX file."),
]
KnownLabelColumn = Annotated[str, typer.Option(help="The column of known labels.")]
SimulateIdColumn = Annotated[str | None, typer.Option(help="Column of unique ids (default: generated).")]
ComparedStrategies = Annotated[
    list[str] | None,
    typer.Option(
        help=f"A strategy to compare (repeatable; default {DEFAULT_STRATEGY}); random is always run as the baseline.",
        autocompletion=completion.strategies,
    ),
]
ClassWeight = Annotated[
    str,
    typer.Option(help=f"{' or '.join(CLASS_WEIGHTS)}: balanced makes every class count equally in the loss."),
]
Initial = Annotated[int, typer.Option(help="Labels to start from (one of each class first).")]
Budget = Annotated[int | None, typer.Option(help="Stop at this many labels (default: initial + 30 batches).")]
Repeats = Annotated[
    int,
    typer.Option(
        help="Seeds: each has its own test split and initial set, shared by all strategies; 6 or more for a p-value below 0.05."
    ),
]
TestSize = Annotated[float, typer.Option(help="Share of the rows held out to score the model.")]
FirstSeed = Annotated[int, typer.Option(help="The first seed.")]
Metric = Annotated[
    str,
    typer.Option(help="accuracy, balanced_accuracy or f1_macro: what the summary compares."),
]
SimulationOut = Annotated[
    Path,
    typer.Option(
        metavar="DIR",
        help="Folder for curves.csv, summary.csv, summary.md and learning_curve.png.",
    ),
]
Processes = Annotated[int, typer.Option(help="Processes to run in parallel (-1: one per core).")]
Explore = Annotated[
    float,
    typer.Option(
        metavar="SHARE",
        help="Share of each batch of a model-based strategy drawn at random, as [query] explore (0: none).",
    ),
]
TextFeatures = Annotated[
    str,
    typer.Option(
        help="How text columns become features: tfidf, embedding (a bundled sentence model, offline) or both."
    ),
]
FitOn = Annotated[
    str,
    typer.Option(
        help="What the features are fitted on: labels (with each model) or pool (once per repeat, on its training rows)."
    ),
]

# --- status

Plot = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE.png",
        help="Also draw the learning curve (metrics against labels, labels per class) into this PNG file.",
    ),
]
Check = Annotated[
    bool,
    typer.Option(help="Exit 3 when stopping is recommended, 0 while labeling still pays off (for make and cron)."),
]

# --- predict

PredictData = Annotated[
    Path | None,
    typer.Option(
        help="Predict the rows of this CSV, TSV, Parquet (file or folder), JSON Lines or XLSX file instead of the pool."
    ),
]
PredictEngine = Annotated[
    str | None,
    typer.Option(help="local, or dask to score the pool on a Dask cluster (default: the config's)."),
]

# --- export

Annotators = Annotated[
    bool,
    typer.Option(help="Add who answered each row, and the batch, import and time of its label."),
]
WithSkipped = Annotated[bool, typer.Option(help="Add the skipped rows, with an empty label and skipped = true.")]
WithEvaluation = Annotated[
    bool,
    typer.Option(
        "--evaluation/--no-evaluation",
        help="Include the evaluation labels, flagged in the evaluation column; --no-evaluation leaves their rows out.",
    ),
]
AllColumns = Annotated[bool, typer.Option(help="Every column of the pool, not only the ones the model uses.")]

# --- verify

Repair = Annotated[
    bool,
    typer.Option(help="Fix what is safe: remove stray temporary files, release batches whose file is gone."),
]

# --- config get, config set

KeyOrAll = Annotated[
    str | None,
    typer.Argument(
        metavar="KEY",
        help="SECTION.KEY, e.g. query.strategy or columns.age (default: every key).",
    ),
]
Key = Annotated[str, typer.Argument(metavar="KEY", help="SECTION.KEY, e.g. query.strategy or columns.age.")]
Value = Annotated[
    str,
    typer.Argument(
        metavar="VALUE",
        help="Typed as the key is: a number, true/false, text, or a list a,b,c.",
    ),
]
