"""The command line: parse options, call one core function, render its result.

Nothing here imports pandas or scikit-learn: the core is imported inside each command, so that
`activelearn --help` starts fast.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from . import __version__, completion, messages
from .commandline import App, Group, Subgroup
from .config import CLASS_WEIGHTS, DEFAULT_STRATEGY, MODEL_NAMES, STRATEGY_NAMES
from .errors import ActivelearnError, UsageError

app = App(
    cls=Group,
    subcommand_metavar="COMMAND [ARGS]",
    name="activelearn",
    help="Active learning on files: the model picks the rows worth labeling, people label them "
    "in a spreadsheet, the model retrains.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(kw_only=True)
class CliOptions:
    """The options given before the command (and -q/-v anywhere), for the command to read in ctx.obj."""

    quiet: bool = False
    verbose: bool = False
    json: bool = False  # --json before the command
    failure: ActivelearnError | None = None  # met before the command ran (a bad -C), reported by it


JsonOption = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]
TextOption = Annotated[str | None, typer.Option(help="Columns to use as free text, comma-separated.")]
IgnoreOption = Annotated[str | None, typer.Option(help="Columns to leave out, comma-separated.")]
CategoricalOption = Annotated[str | None, typer.Option(help="Columns to use as categories, comma-separated.")]
NumericOption = Annotated[str | None, typer.Option(help="Columns to use as numbers, comma-separated.")]
DatetimeOption = Annotated[
    str | None,
    typer.Option(help="Columns of dates and times (year, month, weekday, hour...), comma-separated."),
]
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        metavar="SECONDS",
        help="Wait this long for the project lock instead of exiting 75.",
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"activelearn {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    directory: Annotated[
        Path | None, typer.Option("-C", metavar="DIR", help="Run as if started in DIR (as git -C).")
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="More detail on stderr.")] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print exactly one JSON document on stdout (as the command's --json)."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    ctx.obj = CliOptions(quiet=quiet, verbose=verbose, json=as_json)
    messages.C_DIRECTORY = None if directory is None else str(directory)
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:  # reported by the command, which knows whether to answer in JSON
            where = "" if directory.is_absolute() else f" (looked in {Path.cwd()})"
            ctx.obj.failure = UsageError(f"-C {directory}: {exc.strerror.lower()}{where}")


# ---------------------------------------------------------------------------------------------
# running a core function


def _run(ctx: typer.Context, call, render, as_json: bool) -> None:
    """Call the core; render its result on stdout, its warnings on stderr; map errors, and the
    results whose exit code depends on what they found (verify, status --check), to exit codes."""
    opts = _options(ctx)
    as_json = as_json or opts.json
    if opts.failure is not None:
        _fail(ctx, opts.failure, as_json)
    from . import render as rendering
    from . import storage

    storage.written.clear()
    try:
        try:
            with rendering.phases(quiet=opts.quiet):
                result = call()
        except ActivelearnError as exc:
            _fail(ctx, exc, as_json)
        if not opts.quiet:
            for warning in getattr(result, "warnings", []):
                rendering.warn(warning)
        if as_json:
            typer.echo(rendering.json_text(asdict(result)))
        else:
            render(result, opts)
    except KeyboardInterrupt:
        rendering.interrupted([p for p in storage.written if p.exists()])
        raise typer.Exit(130) from None
    exit_code = getattr(result, "exit_code", 0)  # results that do not define it always exit 0
    if exit_code:
        raise typer.Exit(exit_code)


def _options(ctx: typer.Context) -> CliOptions:
    return ctx.obj or CliOptions()  # ctx.obj: set by main_options, inherited by every command


def _fail(ctx: typer.Context, exc: ActivelearnError, as_json: bool) -> NoReturn:
    """The error on stderr (under -v with every problem, up to LISTED_PROBLEMS); with --json,
    its one document on stdout (with the problems listed)."""
    from . import render as rendering
    from .messages import LISTED_PROBLEMS

    opts = _options(ctx)
    rendering.error(exc.message)
    listed, unlisted = exc.problems[:LISTED_PROBLEMS], max(0, len(exc.problems) - LISTED_PROBLEMS)
    if opts.verbose and listed:
        rendering.problems(listed, unlisted)
    if as_json or opts.json:
        document = {"error": exc.message, "exit_code": exc.exit_code}
        if listed:
            document.update(problems=listed, problems_not_listed=unlisted)
        typer.echo(rendering.json_text(document))
    raise typer.Exit(exc.exit_code)


def _project():
    from .project import Project

    return Project.find(Path.cwd())


def _refuse_others(ctx: typer.Context, message: str, given: dict[str, bool], as_json: bool) -> None:
    """A usage error, `message` naming the {option}, for the first option of `given` that was used
    beside one that takes no other (--rewrite, --revert)."""
    for option in (name for name, used in given.items() if used):
        _fail(ctx, UsageError(message.format(option=option)), as_json)


def _role_columns(text, categorical, numeric, datetime, ignore) -> dict[str, list[str]]:
    """The --<role>-columns options of init and simulate, as the keyword arguments of their ops."""
    return {
        f"{role}_columns": _names(value)
        for role, value in zip(
            ("text", "categorical", "numeric", "datetime", "ignore"),
            (text, categorical, numeric, datetime, ignore),
        )
    }


def _names(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


# ---------------------------------------------------------------------------------------------
# commands


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The new project directory.")],
    data: Annotated[Path, typer.Option("--data", help="CSV, TSV, Parquet (file or folder), JSON Lines or XLSX.")],
    id_column: Annotated[str | None, typer.Option(help="Column of unique ids (default: generate r000001 ...).")] = None,
    label_column: Annotated[
        str | None,
        typer.Option(help="Column of labels; empty cells are unlabeled. [default: label]"),
    ] = None,
    classes: Annotated[
        str | None, typer.Option(help="The classes, comma-separated (default: the labels found).")
    ] = None,
    model: Annotated[
        str,
        typer.Option(help=f"One of: {', '.join(MODEL_NAMES)}.", autocompletion=completion.models),
    ] = "logistic",
    strategy: Annotated[
        str,
        typer.Option(help=f"One of: {', '.join(STRATEGY_NAMES)}.", autocompletion=completion.strategies),
    ] = DEFAULT_STRATEGY,
    batch_size: Annotated[int, typer.Option(help="Rows per batch.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed for every random choice.")] = 0,
    text_columns: TextOption = None,
    ignore_columns: IgnoreOption = None,
    categorical_columns: CategoricalOption = None,
    numeric_columns: NumericOption = None,
    datetime_columns: DatetimeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a project directory from a data file; rows with a label become the first labels."""

    def call():
        from .ops.init import init_project

        return init_project(
            directory,
            data,
            id_column=id_column,
            label_column=label_column,
            classes=_names(classes) or None,
            model=model,
            strategy=strategy,
            batch_size=batch_size,
            seed=seed,
            **_role_columns(text_columns, categorical_columns, numeric_columns, datetime_columns, ignore_columns),
        )

    from . import render_project

    _run(ctx, call, render_project.init_result, as_json)


@app.command()
def train(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(help="Train a new version even if nothing changed.")] = False,
    wait: WaitOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Fit the model on every current label and save it as a new model version."""

    def call():
        from .ops.train import train as train_op

        return train_op(_project(), wait=wait, force=force)

    from . import render_model

    _run(ctx, call, render_model.train_result, as_json)


@app.command()
def query(
    ctx: typer.Context,
    n: Annotated[int | None, typer.Option("-n", help="Rows in the batch (default: the config's batch_size).")] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            help=f"One of: {', '.join(STRATEGY_NAMES)} (default: the config's).",
            autocompletion=completion.strategies,
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the batch here (.csv, .tsv or .xlsx).")] = None,
    prefill: Annotated[
        bool,
        typer.Option(
            help="Fill the label column with the model's suggestion, plus a decision column (accept / fix / skip)."
        ),
    ] = False,
    include_skipped: Annotated[bool, typer.Option(help="Offer rows that were skipped before again.")] = False,
    release: Annotated[
        list[str] | None,
        typer.Option(
            metavar="BATCH",
            help="Give a pending batch's unanswered rows back to the pool (repeatable, or 'all'); writes no batch.",
            autocompletion=completion.open_batches,
        ),
    ] = None,
    list_batches: Annotated[
        bool, typer.Option("--list", help="List the batches with their progress; writes no batch.")
    ] = False,
    rewrite: Annotated[
        str | None,
        typer.Option(
            metavar="BATCH",
            help="Write a lost batch file again from state.json (same rows, order and suggestions), in its format or --out's; never over a file that differs.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            help="Threads scoring the pool (default: one per core but one, left to Arrow's reading); the batch is the same for any number."
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(help="local, or dask to score on a Dask cluster (default: the config's)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="The Dask scheduler, e.g. tcp://host:8786."),
    ] = None,
    if_none_pending: Annotated[
        bool,
        typer.Option(
            help="Write no batch while an earlier one (evaluation batches aside) still waits for answers (for cron); exit 0 either way."
        ),
    ] = False,
    evaluation: Annotated[
        int | None,
        typer.Option(
            "--eval",
            metavar="N",
            help="Draw N rows uniformly at random for the evaluation set (eval-NNNN.csv): their labels measure the model and are never trained on.",
        ),
    ] = None,
    wait: WaitOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Write the most useful unlabeled rows as a batch file for people to label."""
    from . import render_batches

    if release and list_batches:
        _fail(ctx, UsageError("--release and --list do not go together"), as_json)
    if rewrite is not None:
        given = {
            "-n": n is not None,
            "--strategy": strategy is not None,
            "--prefill": prefill,
            "--include-skipped": include_skipped,
            "--release": bool(release),
            "--list": list_batches,
            "--jobs": jobs is not None,
            "--engine": engine is not None,
            "--scheduler": scheduler is not None,
            "--if-none-pending": if_none_pending,
            "--eval": evaluation is not None,
        }
        _refuse_others(
            ctx,
            "--rewrite writes a batch again as it was recorded; it takes no {option}",
            given,
            as_json,
        )

        def call():
            from .ops.batches import rewrite_batch

            return rewrite_batch(_project(), rewrite, out=out, wait=wait)

        return _run(ctx, call, render_batches.rewrite_result, as_json)
    if release:

        def call():
            from .ops.batches import release_batches

            return release_batches(_project(), release, wait=wait)

        return _run(ctx, call, render_batches.release_result, as_json)
    if list_batches:

        def call():
            from .ops.batches import list_batches as list_op

            return list_op(_project())

        return _run(ctx, call, render_batches.batch_list, as_json)

    def call():
        from .ops.query import query as query_op

        return query_op(
            _project(),
            n=n,
            strategy=strategy,
            out=out,
            prefill=prefill,
            include_skipped=include_skipped,
            jobs=jobs,
            engine=engine,
            scheduler=scheduler,
            evaluation=evaluation,
            if_none_pending=if_none_pending,
            wait=wait,
        )

    _run(ctx, call, render_batches.query_result, as_json)


@app.command("import-labels")
def import_labels(
    ctx: typer.Context,
    sources: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE_OR_DIR...", help="Filled-in files, or folders of them."),
    ] = None,
    annotator: Annotated[str | None, typer.Option(help="Who gave these answers (an 'annotator' column wins).")] = None,
    evaluation: Annotated[
        bool,
        typer.Option(
            "--eval",
            help="The answers are evaluation labels: they measure the model and are never trained on.",
        ),
    ] = False,
    id_column: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Read the file's column NAME as the id column (default: the project's).",
        ),
    ] = None,
    label_column: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Read the file's column NAME as the label column (default: the project's).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            help="Log the answers of files imported before again, as a new import (a folder: every file in it)."
        ),
    ] = False,
    partial: Annotated[
        bool,
        typer.Option(help="Import the good rows of a file with bad ones, and name each bad row in a warning."),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(help="Check the files (or the --revert) and say what would change; change nothing."),
    ] = False,
    revert: Annotated[
        str | None,
        typer.Option(
            metavar="IMPORT_ID",
            help="Take back every answer of one earlier import (import-0009, or 9).",
        ),
    ] = None,
    wait: WaitOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Merge the answers of filled-in batch files (or any file with the id and label columns)."""
    from . import render_labels

    if revert is not None:
        given = {
            "--eval": evaluation,
            "--annotator": annotator is not None,
            "--id-column": id_column is not None,
            "--label-column": label_column is not None,
            "--force": force,
            "--partial": partial,
        }
        if sources:
            _fail(
                ctx,
                UsageError("--revert takes no files: it undoes an import that already happened"),
                as_json,
            )
        _refuse_others(
            ctx,
            "--revert does not take {option}: it takes back an import that already happened",
            given,
            as_json,
        )

        def call():
            from .ops.import_labels import revert_import

            return revert_import(_project(), revert, dry_run=dry_run, wait=wait)

        return _run(ctx, call, render_labels.revert_result, as_json)

    def call():
        from .ops.import_labels import import_labels as import_op

        return import_op(
            _project(),
            sources or [],
            annotator=annotator,
            evaluation=evaluation,
            id_column=id_column,
            label_column=label_column,
            force=force,
            partial=partial,
            dry_run=dry_run,
            wait=wait,
        )

    _run(ctx, call, render_labels.import_result, as_json)


@app.command()
def simulate(
    ctx: typer.Context,
    data: Annotated[
        Path,
        typer.Argument(metavar="DATA", help="A fully labeled CSV, TSV, Parquet, JSON Lines or XLSX file."),
    ],
    label_column: Annotated[str, typer.Option(help="The column of known labels.")],
    id_column: Annotated[str | None, typer.Option(help="Column of unique ids (default: generated).")] = None,
    strategy: Annotated[
        list[str] | None,
        typer.Option(
            help=f"A strategy to compare (repeatable; default {DEFAULT_STRATEGY}); random is always run as the baseline.",
            autocompletion=completion.strategies,
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option(help=f"One of: {', '.join(MODEL_NAMES)}.", autocompletion=completion.models),
    ] = "logistic",
    class_weight: Annotated[
        str,
        typer.Option(help=f"{' or '.join(CLASS_WEIGHTS)}: balanced makes every class count equally in the loss."),
    ] = "none",
    initial: Annotated[int, typer.Option(help="Labels to start from (one of each class first).")] = 10,
    batch_size: Annotated[int, typer.Option(help="Rows per batch.")] = 10,
    budget: Annotated[
        int | None, typer.Option(help="Stop at this many labels (default: initial + 30 batches).")
    ] = None,
    repeats: Annotated[
        int,
        typer.Option(
            help="Seeds: each has its own test split and initial set, shared by all strategies; 6 or more for a p-value below 0.05."
        ),
    ] = 6,
    test_size: Annotated[float, typer.Option(help="Share of the rows held out to score the model.")] = 0.25,
    seed: Annotated[int, typer.Option(help="The first seed.")] = 0,
    metric: Annotated[
        str,
        typer.Option(help="accuracy, balanced_accuracy or f1_macro: what the summary compares."),
    ] = "f1_macro",
    out: Annotated[
        Path,
        typer.Option(
            metavar="DIR",
            help="Folder for curves.csv, summary.csv, summary.md and learning_curve.png.",
        ),
    ] = Path("simulation"),
    jobs: Annotated[int, typer.Option(help="Processes to run in parallel (-1: one per core).")] = -1,
    explore: Annotated[
        float,
        typer.Option(
            metavar="SHARE",
            help="Share of each batch of a model-based strategy drawn at random, as [query] explore (0: none).",
        ),
    ] = 0.0,
    text: Annotated[
        str,
        typer.Option(
            help="How text columns become features: tfidf, embedding (a bundled sentence model, offline) or both."
        ),
    ] = "tfidf",
    text_columns: TextOption = None,
    ignore_columns: IgnoreOption = None,
    categorical_columns: CategoricalOption = None,
    numeric_columns: NumericOption = None,
    datetime_columns: DatetimeOption = None,
    fit_on: Annotated[
        str,
        typer.Option(
            help="What the features are fitted on: labels (with each model) or pool (once per repeat, on its training rows)."
        ),
    ] = "labels",
    as_json: JsonOption = False,
) -> None:
    """Compare strategies on a labeled file: the loop with known labels playing the person."""
    from . import render_model

    def call():
        from .ops.simulate import simulate as simulate_op

        return simulate_op(
            data,
            label_column,
            id_column=id_column,
            strategies=strategy or [DEFAULT_STRATEGY],
            model=model,
            class_weight=class_weight,
            initial=initial,
            batch_size=batch_size,
            budget=budget,
            repeats=repeats,
            test_size=test_size,
            seed=seed,
            metric=metric,
            out=out,
            jobs=jobs,
            explore=explore,
            fit_on=fit_on,
            text=text,
            **_role_columns(text_columns, categorical_columns, numeric_columns, datetime_columns, ignore_columns),
        )

    _run(ctx, call, render_model.simulate_result, as_json)


@app.command()
def status(
    ctx: typer.Context,
    plot: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE.png",
            help="Also draw the learning curve (metrics against labels, labels per class) into this PNG file.",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(help="Exit 3 when stopping is recommended, 0 while labeling still pays off (for make and cron)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Pool size, labels per class, pending batches, the learning curve and the stopping signals."""

    def call():
        from .ops.status import status as status_op

        return status_op(_project(), plot=plot, check=check)

    from . import render_status

    _run(ctx, call, render_status.status_report, as_json)


@app.command()
def predict(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option(
            help="Write here: .csv or .parquet (by extension). An existing file is replaced, once the new one is complete."
        ),
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            help="Predict the rows of this CSV, TSV, Parquet (file or folder), JSON Lines or XLSX file instead of the pool."
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(help="local, or dask to score the pool on a Dask cluster (default: the config's)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="The Dask scheduler, e.g. tcp://host:8786."),
    ] = None,
    raw: Annotated[
        bool,
        typer.Option(
            help="CSV: the values byte for byte, without the ' that keeps a spreadsheet from running a cell as a formula."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write the latest model's prediction, confidence and class probabilities for every row."""

    def call():
        from .ops.predict import predict as predict_op

        return predict_op(_project(), out=out, data=data, engine=engine, scheduler=scheduler, raw=raw)

    from . import render_model

    _run(ctx, call, render_model.predict_result, as_json)


@app.command()
def export(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option(
            help="Write here: .csv or .parquet (by extension). An existing file is replaced, once the new one is complete."
        ),
    ],
    annotators: Annotated[
        bool,
        typer.Option(help="Add who answered each row, and the batch, import and time of its label."),
    ] = False,
    include_skipped: Annotated[
        bool, typer.Option(help="Add the skipped rows, with an empty label and skipped = true.")
    ] = False,
    evaluation: Annotated[
        bool,
        typer.Option(
            "--evaluation/--no-evaluation",
            help="Include the evaluation labels, flagged in the evaluation column; --no-evaluation leaves their rows out.",
        ),
    ] = True,
    all_columns: Annotated[
        bool, typer.Option(help="Every column of the pool, not only the ones the model uses.")
    ] = False,
    raw: Annotated[
        bool,
        typer.Option(
            help="CSV: the values byte for byte, without the ' that keeps a spreadsheet from running a cell as a formula."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write the labeled rows: id, current label, features, and an evaluation flag."""

    def call():
        from .ops.export import export as export_op

        return export_op(
            _project(),
            out=out,
            annotators=annotators,
            include_skipped=include_skipped,
            evaluation=evaluation,
            all_columns=all_columns,
            raw=raw,
        )

    from . import render_labels

    _run(ctx, call, render_labels.export_result, as_json)


@app.command()
def verify(
    ctx: typer.Context,
    repair: Annotated[
        bool,
        typer.Option(help="Fix what is safe: remove stray temporary files, release batches whose file is gone."),
    ] = False,
    wait: WaitOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Check that the project is whole and consistent; exit 1 with the list of problems."""

    def call():
        from .ops.verify import verify as verify_op

        return verify_op(_project(), repair=repair, wait=wait)

    from . import render_project

    _run(ctx, call, render_project.verify_result, as_json)


config_app = App(
    cls=Subgroup,
    subcommand_metavar="COMMAND [ARGS]",
    help="Read the keys of activelearn.toml, or set one in place (comments and layout kept).",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")


@config_app.command("get")
def config_get(
    ctx: typer.Context,
    key: Annotated[
        str | None,
        typer.Argument(
            metavar="KEY",
            help="SECTION.KEY, e.g. query.strategy or columns.age (default: every key).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print one key's value, or every key with its value."""

    def call():
        from .ops.config import config_values

        return config_values(_project(), key)

    from . import render_project

    _run(ctx, call, render_project.config_listing, as_json)


@config_app.command("list")
def config_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print every key with its value (the default where the file has none)."""

    def call():
        from .ops.config import config_values

        return config_values(_project())

    from . import render_project

    _run(ctx, call, render_project.config_listing, as_json)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="SECTION.KEY, e.g. query.strategy or columns.age.")],
    value: Annotated[
        str,
        typer.Argument(
            metavar="VALUE",
            help="Typed as the key is: a number, true/false, text, or a list a,b,c.",
        ),
    ],
    wait: WaitOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Set one key in activelearn.toml, refusing what every command would refuse on reading it."""

    def call():
        from .ops.config import set_config

        return set_config(_project(), key, value, wait=wait)

    from . import render_project

    _run(ctx, call, render_project.config_change, as_json)


def main() -> None:
    app(prog_name="activelearn")
