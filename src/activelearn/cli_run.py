"""Running one op for a command: its result rendered (or as JSON) on stdout, its warnings on
stderr; errors, and results that say so, become exit codes.

Each command names its op ("ops.train:train") and its renderer ("render_model:train_result");
run_op imports them only when the command runs, so that `activelearn --help` imports neither
pandas nor scikit-learn.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import typer

from .cli_options import CliOptions
from .errors import ActivelearnError, UsageError

PROJECT = object()  # an op's argument that stands for the project found from here, when the op runs


def run_op(ctx: typer.Context, as_json: bool, op: str, render: str, *args: Any, **kwargs: Any) -> None:
    """Run `op` ("ops.train:train") on `args` and `kwargs`; show its result with `render`
    ("render_model:train_result") or as JSON on stdout, its warnings on stderr; exit with the
    error's exit code, or the result's (verify, status --check)."""
    opts = _options(ctx)
    as_json = as_json or opts.json
    if opts.failure is not None:
        fail(ctx, opts.failure, as_json)
    from . import render as rendering
    from . import storage

    storage.written.clear()
    try:
        try:
            with rendering.phases(quiet=opts.quiet):
                result = _imported(op)(*(_project() if a is PROJECT else a for a in args), **kwargs)
        except ActivelearnError as exc:
            fail(ctx, exc, as_json)
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


def fail(ctx: typer.Context, exc: ActivelearnError, as_json: bool) -> NoReturn:
    """The error on stderr (under -v with every problem, up to LISTED_PROBLEMS); with --json,
    its one document on stdout (with the problems listed); then its exit code."""
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


def refuse_others(ctx: typer.Context, message: str, given: dict[str, bool], as_json: bool) -> None:
    """A usage error, `message` naming the {option}, for the first option of `given` that was used
    beside one that takes no other (--rewrite, --revert)."""
    for option in (name for name, used in given.items() if used):
        fail(ctx, UsageError(message.format(option=option)), as_json)


def _imported(name: str) -> Any:
    """The function `name` ("module:function", a module of this package), imported now."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(f".{module}", __package__), function)


def _options(ctx: typer.Context) -> CliOptions:
    return ctx.obj or CliOptions()  # ctx.obj: set by the CLI's main_options, inherited by every command


def _project():
    from .project import Project

    return Project.find(Path.cwd())
