"""The command line: parse the options, run one op, render its result; errors and results become exit codes.

Each command names its op ("ops.train:train") and its renderer ("render_model:train_result"), which
_run_op imports only when the command runs: nothing here imports pandas or scikit-learn, so that
`activelearn --help` starts fast. The options themselves are declared in options.py.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer

from . import messages
from . import options as opt
from .commandline import App, Group, Subgroup
from .config import DEFAULT_STRATEGY
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


@app.callback()
def main_options(
    ctx: typer.Context,
    directory: opt.Directory = None,
    quiet: opt.Quiet = False,
    verbose: opt.Verbose = False,
    as_json: opt.JsonBeforeCommand = False,
    version: opt.Version = False,
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
# running an op

PROJECT = object()  # an op's argument that stands for the project found from here, when the op runs


def _run_op(ctx: typer.Context, as_json: bool, op: str, render: str, *args: Any, **kwargs: Any) -> None:
    """Run `op` ("ops.train:train") on `args` and `kwargs`; show its result with `render`
    ("render_model:train_result") or as JSON on stdout, its warnings on stderr; exit with the
    error's exit code, or the result's (verify, status --check)."""
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
                result = _imported(op)(*(_project() if a is PROJECT else a for a in args), **kwargs)
        except ActivelearnError as exc:
            _fail(ctx, exc, as_json)
        if not opts.quiet:
            for warning in getattr(result, "warnings", []):
                rendering.warn(warning)
        if as_json:
            typer.echo(rendering.json_text(asdict(result)))
        else:
            _imported(render)(result, opts)
    except KeyboardInterrupt:
        rendering.interrupted([p for p in storage.written if p.exists()])
        raise typer.Exit(130) from None
    exit_code = getattr(result, "exit_code", 0)  # results that do not define it always exit 0
    if exit_code:
        raise typer.Exit(exit_code)


def _imported(name: str) -> Any:
    """The function `name` ("module:function", a module of this package), imported now."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(f".{module}", __package__), function)


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
    directory: opt.NewProject,
    data: opt.InitData,
    id_column: opt.InitIdColumn = None,
    label_column: opt.InitLabelColumn = None,
    classes: opt.Classes = None,
    model: opt.Model = "logistic",
    strategy: opt.InitStrategy = DEFAULT_STRATEGY,
    batch_size: opt.BatchSize = 20,
    seed: opt.Seed = 0,
    text_columns: opt.TextColumns = None,
    ignore_columns: opt.IgnoreColumns = None,
    categorical_columns: opt.CategoricalColumns = None,
    numeric_columns: opt.NumericColumns = None,
    datetime_columns: opt.DatetimeColumns = None,
    as_json: opt.Json = False,
) -> None:
    """Create a project directory from a data file; rows with a label become the first labels."""
    _run_op(
        ctx,
        as_json,
        "ops.init:init_project",
        "render_project:init_result",
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


@app.command()
def train(
    ctx: typer.Context,
    force: opt.TrainForce = False,
    wait: opt.Wait = 0.0,
    as_json: opt.Json = False,
) -> None:
    """Fit the model on every current label and save it as a new model version."""
    _run_op(ctx, as_json, "ops.train:train", "render_model:train_result", PROJECT, wait=wait, force=force)


@app.command()
def query(
    ctx: typer.Context,
    n: opt.BatchRows = None,
    strategy: opt.QueryStrategy = None,
    out: opt.BatchOut = None,
    prefill: opt.Prefill = False,
    include_skipped: opt.OfferSkipped = False,
    release: opt.Release = None,
    list_batches: opt.ListBatches = False,
    rewrite: opt.Rewrite = None,
    jobs: opt.ScoringThreads = None,
    engine: opt.QueryEngine = None,
    scheduler: opt.Scheduler = None,
    if_none_pending: opt.IfNonePending = False,
    evaluation: opt.EvalRows = None,
    wait: opt.Wait = 0.0,
    as_json: opt.Json = False,
) -> None:
    """Write the most useful unlabeled rows as a batch file for people to label."""
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
        _refuse_others(ctx, "--rewrite writes a batch again as it was recorded; it takes no {option}", given, as_json)
        rewritten = "render_batches:rewrite_result"
        _run_op(ctx, as_json, "ops.batches:rewrite_batch", rewritten, PROJECT, rewrite, out=out, wait=wait)
    elif release:
        released = "render_batches:release_result"
        _run_op(ctx, as_json, "ops.batches:release_batches", released, PROJECT, release, wait=wait)
    elif list_batches:
        _run_op(ctx, as_json, "ops.batches:list_batches", "render_batches:batch_list", PROJECT)
    else:
        _run_op(
            ctx,
            as_json,
            "ops.query:query",
            "render_batches:query_result",
            PROJECT,
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


@app.command("import-labels")
def import_labels(
    ctx: typer.Context,
    sources: opt.AnswerFiles = None,
    annotator: opt.Annotator = None,
    evaluation: opt.EvalAnswers = False,
    id_column: opt.FileIdColumn = None,
    label_column: opt.FileLabelColumn = None,
    force: opt.ImportForce = False,
    partial: opt.Partial = False,
    dry_run: opt.DryRun = False,
    revert: opt.Revert = None,
    wait: opt.Wait = 0.0,
    as_json: opt.Json = False,
) -> None:
    """Merge the answers of filled-in batch files (or any file with the id and label columns)."""
    if revert is None:
        _run_op(
            ctx,
            as_json,
            "ops.import_labels:import_labels",
            "render_labels:import_result",
            PROJECT,
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
        return
    if sources:
        _fail(ctx, UsageError("--revert takes no files: it undoes an import that already happened"), as_json)
    given = {
        "--eval": evaluation,
        "--annotator": annotator is not None,
        "--id-column": id_column is not None,
        "--label-column": label_column is not None,
        "--force": force,
        "--partial": partial,
    }
    _refuse_others(
        ctx, "--revert does not take {option}: it takes back an import that already happened", given, as_json
    )
    reverted = "render_labels:revert_result"
    _run_op(ctx, as_json, "ops.import_labels:revert_import", reverted, PROJECT, revert, dry_run=dry_run, wait=wait)


@app.command()
def simulate(
    ctx: typer.Context,
    data: opt.LabeledData,
    label_column: opt.KnownLabelColumn,
    id_column: opt.SimulateIdColumn = None,
    strategy: opt.ComparedStrategies = None,
    model: opt.Model = "logistic",
    class_weight: opt.ClassWeight = "none",
    initial: opt.Initial = 10,
    batch_size: opt.BatchSize = 10,
    budget: opt.Budget = None,
    repeats: opt.Repeats = 6,
    test_size: opt.TestSize = 0.25,
    seed: opt.FirstSeed = 0,
    metric: opt.Metric = "f1_macro",
    out: opt.SimulationOut = Path("simulation"),
    jobs: opt.Processes = -1,
    explore: opt.Explore = 0.0,
    text: opt.TextFeatures = "tfidf",
    text_columns: opt.TextColumns = None,
    ignore_columns: opt.IgnoreColumns = None,
    categorical_columns: opt.CategoricalColumns = None,
    numeric_columns: opt.NumericColumns = None,
    datetime_columns: opt.DatetimeColumns = None,
    fit_on: opt.FitOn = "labels",
    as_json: opt.Json = False,
) -> None:
    """Compare strategies on a labeled file: the loop with known labels playing the person."""
    _run_op(
        ctx,
        as_json,
        "ops.simulate:simulate",
        "render_model:simulate_result",
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


@app.command()
def status(
    ctx: typer.Context,
    plot: opt.Plot = None,
    check: opt.Check = False,
    as_json: opt.Json = False,
) -> None:
    """Pool size, labels per class, pending batches, the learning curve and the stopping signals."""
    _run_op(ctx, as_json, "ops.status:status", "render_status:status_report", PROJECT, plot=plot, check=check)


@app.command()
def predict(
    ctx: typer.Context,
    out: opt.TableOut,
    data: opt.PredictData = None,
    engine: opt.PredictEngine = None,
    scheduler: opt.Scheduler = None,
    raw: opt.Raw = False,
    as_json: opt.Json = False,
) -> None:
    """Write the latest model's prediction, confidence and class probabilities for every row."""
    predicted = "render_model:predict_result"
    _run_op(
        ctx,
        as_json,
        "ops.predict:predict",
        predicted,
        PROJECT,
        out=out,
        data=data,
        engine=engine,
        scheduler=scheduler,
        raw=raw,
    )


@app.command()
def export(
    ctx: typer.Context,
    out: opt.TableOut,
    annotators: opt.Annotators = False,
    include_skipped: opt.WithSkipped = False,
    evaluation: opt.WithEvaluation = True,
    all_columns: opt.AllColumns = False,
    raw: opt.Raw = False,
    as_json: opt.Json = False,
) -> None:
    """Write the labeled rows: id, current label, features, and an evaluation flag."""
    _run_op(
        ctx,
        as_json,
        "ops.export:export",
        "render_labels:export_result",
        PROJECT,
        out=out,
        annotators=annotators,
        include_skipped=include_skipped,
        evaluation=evaluation,
        all_columns=all_columns,
        raw=raw,
    )


@app.command()
def verify(
    ctx: typer.Context,
    repair: opt.Repair = False,
    wait: opt.Wait = 0.0,
    as_json: opt.Json = False,
) -> None:
    """Check that the project is whole and consistent; exit 1 with the list of problems."""
    _run_op(ctx, as_json, "ops.verify:verify", "render_project:verify_result", PROJECT, repair=repair, wait=wait)


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
    key: opt.KeyOrAll = None,
    as_json: opt.Json = False,
) -> None:
    """Print one key's value, or every key with its value."""
    _run_op(ctx, as_json, "ops.config:config_values", "render_project:config_listing", PROJECT, key)


@config_app.command("list")
def config_list(
    ctx: typer.Context,
    as_json: opt.Json = False,
) -> None:
    """Print every key with its value (the default where the file has none)."""
    _run_op(ctx, as_json, "ops.config:config_values", "render_project:config_listing", PROJECT)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key: opt.Key,
    value: opt.Value,
    wait: opt.Wait = 0.0,
    as_json: opt.Json = False,
) -> None:
    """Set one key in activelearn.toml, refusing what every command would refuse on reading it."""
    _run_op(ctx, as_json, "ops.config:set_config", "render_project:config_change", PROJECT, key, value, wait=wait)


def main() -> None:
    app(prog_name="activelearn")
