"""The commands: each parses its options and runs one op, whose result a render module shows.

The options are declared in cli_options.py; cli_run.run_op runs the op, renders its result, and
turns errors and results into exit codes. Each command names its op ("ops.train:train") and its
renderer ("render_model:train_result"), imported only when it runs: nothing here imports pandas or
scikit-learn, so that `activelearn --help` starts fast.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from . import cli_options as opt
from . import messages
from .cli_run import PROJECT, fail, refuse_others, run_op
from .commandline import App, Group, Subgroup
from .config import DEFAULT_STRATEGY
from .errors import UsageError

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


@app.callback()
def main_options(
    ctx: typer.Context,
    directory: opt.Directory = None,
    quiet: opt.Quiet = False,
    verbose: opt.Verbose = False,
    as_json: opt.JsonBeforeCommand = False,
    version: opt.Version = False,
) -> None:
    ctx.obj = opt.CliOptions(quiet=quiet, verbose=verbose, json=as_json)
    messages.C_DIRECTORY = None if directory is None else str(directory)
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:  # reported by the command, which knows whether to answer in JSON
            where = "" if directory.is_absolute() else f" (looked in {Path.cwd()})"
            reason = exc.strerror or str(exc)  # chdir's errors come from the system, with a strerror
            ctx.obj.failure = UsageError(f"-C {directory}: {reason.lower()}{where}")


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
    run_op(
        ctx,
        as_json,
        "ops.init:init_project",
        "render_project:init_result",
        directory,
        data,
        id_column=id_column,
        label_column=label_column,
        classes=opt.names(classes) or None,
        model=model,
        strategy=strategy,
        batch_size=batch_size,
        seed=seed,
        **opt.role_columns(text_columns, categorical_columns, numeric_columns, datetime_columns, ignore_columns),
    )


@app.command()
def train(
    ctx: typer.Context,
    force: opt.TrainForce = False,
    wait: opt.Wait = 0.0,
    as_json: opt.Json = False,
) -> None:
    """Fit the model on every current label and save it as a new model version."""
    run_op(ctx, as_json, "ops.train:train", "render_model:train_result", PROJECT, wait=wait, force=force)


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
        fail(ctx, UsageError("--release and --list do not go together"), as_json)
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
        refuse_others(ctx, "--rewrite writes a batch again as it was recorded; it takes no {option}", given, as_json)
        rewritten = "render_batches:rewrite_result"
        run_op(ctx, as_json, "ops.batches:rewrite_batch", rewritten, PROJECT, rewrite, out=out, wait=wait)
    elif release:
        released = "render_batches:release_result"
        run_op(ctx, as_json, "ops.batches:release_batches", released, PROJECT, release, wait=wait)
    elif list_batches:
        run_op(ctx, as_json, "ops.batches:list_batches", "render_batches:batch_list", PROJECT)
    else:
        run_op(
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
        run_op(
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
        fail(ctx, UsageError("--revert takes no files: it undoes an import that already happened"), as_json)
    given = {
        "--eval": evaluation,
        "--annotator": annotator is not None,
        "--id-column": id_column is not None,
        "--label-column": label_column is not None,
        "--force": force,
        "--partial": partial,
    }
    refuse_others(ctx, "--revert does not take {option}: it takes back an import that already happened", given, as_json)
    reverted = "render_labels:revert_result"
    run_op(ctx, as_json, "ops.import_labels:revert_import", reverted, PROJECT, revert, dry_run=dry_run, wait=wait)


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
    run_op(
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
        **opt.role_columns(text_columns, categorical_columns, numeric_columns, datetime_columns, ignore_columns),
    )


@app.command()
def status(
    ctx: typer.Context,
    plot: opt.Plot = None,
    check: opt.Check = False,
    as_json: opt.Json = False,
) -> None:
    """Pool size, labels per class, pending batches, the learning curve and the stopping signals."""
    run_op(ctx, as_json, "ops.status:status", "render_status:status_report", PROJECT, plot=plot, check=check)


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
    run_op(
        ctx,
        as_json,
        "ops.predict:predict",
        "render_model:predict_result",
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
    run_op(
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
    run_op(ctx, as_json, "ops.verify:verify", "render_project:verify_result", PROJECT, repair=repair, wait=wait)


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
    run_op(ctx, as_json, "ops.config:config_values", "render_project:config_listing", PROJECT, key)


@config_app.command("list")
def config_list(
    ctx: typer.Context,
    as_json: opt.Json = False,
) -> None:
    """Print every key with its value (the default where the file has none)."""
    run_op(ctx, as_json, "ops.config:config_values", "render_project:config_listing", PROJECT)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key: opt.Key,
    value: opt.Value,
    wait: opt.Wait = 0.0,
    as_json: opt.Json = False,
) -> None:
    """Set one key in activelearn.toml, refusing what every command would refuse on reading it."""
    run_op(ctx, as_json, "ops.config:set_config", "render_project:config_change", PROJECT, key, value, wait=wait)


def main() -> None:
    app(prog_name="activelearn")
