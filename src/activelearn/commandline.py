"""The Click classes behind `cli.py`: conventional help, usage errors in JSON, global flags anywhere.

Typer shows type names as metavars (`--json <bool>`, `<list[Path]>`, `{DIR}`); these classes show
what command-line tools conventionally show (`--json`, `FILE...`, `DIR`, `N`, `NAME`). Imports
only typer, so that `activelearn --help` stays fast.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer
from typer._click.exceptions import UsageError  # Typer bundles its own Click
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

GLOBAL_FLAGS = {"-q": "quiet", "--quiet": "quiet", "-v": "verbose", "--verbose": "verbose"}
METAVARS = {
    int: "N",
    float: "NUMBER",
    Path: "FILE",
}  # str: NAME, or NAMES for a comma-separated list


class Option(TyperOption):
    def display_type_rich(self, ctx) -> str | None:
        if self.is_flag:
            return None
        if self.metavar is not None:
            return self.metavar
        annotation = self.type_descriptor.annotation
        element = getattr(annotation, "__args__", (annotation,))[0]  # list[str] -> str
        if element is str:
            return "NAMES" if "comma-separated" in (self.help or "") else "NAME"
        return METAVARS.get(element, "VALUE")

    def display_type(self, ctx) -> str:  # the plain-text help (no rich) asks this one
        return self.display_type_rich(ctx) or ""


class Argument(TyperArgument):
    def display_type_rich(self, ctx) -> str | None:
        return None  # the metavar in the name column says it all

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        if self.nargs != 1 and not name.endswith("..."):
            name += "..."
        return name if self.required else f"[{name}]"


def _conventional(params: list) -> list:
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = Option
        elif type(param) is TyperArgument:
            param.__class__ = Argument
    return params


class Command(TyperCommand):
    def get_params(self, ctx) -> list:
        return _conventional(super().get_params(ctx))


class Subgroup(TyperGroup):
    """A group of commands (`config`) whose help shows the conventional metavars."""

    def get_params(self, ctx) -> list:
        return _conventional(super().get_params(ctx))


class Group(Subgroup):
    """The root command: `-q`/`-v` are accepted after the command too, `--json` before it, and a
    usage error under `--json` answers with its message in one JSON document on stdout."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        given = args[: args.index("--")] if "--" in args else list(args)
        ctx.meta["activelearn.json"] = "--json" in given
        with _json_usage_errors(ctx):
            super().parse_args(ctx, args)
        end = ctx.args.index("--") if "--" in ctx.args else len(ctx.args)
        for flag in [a for a in ctx.args[:end] if a in GLOBAL_FLAGS]:
            ctx.params[GLOBAL_FLAGS[flag]] = True
        ctx.args = [a for i, a in enumerate(ctx.args) if i >= end or a not in GLOBAL_FLAGS]
        return ctx.args

    def invoke(self, ctx):
        with _json_usage_errors(ctx):  # an unknown command, or the command's own options
            return super().invoke(ctx)


@contextlib.contextmanager
def _json_usage_errors(ctx):
    try:
        yield
    except UsageError as exc:  # Typer prints it on stderr; scripts also get it on stdout
        if ctx.meta.get("activelearn.json"):
            from .render import json_text

            typer.echo(json_text({"error": exc.format_message(), "exit_code": exc.exit_code}))
        raise


class App(typer.Typer):
    """A Typer app whose commands are `Command`s."""

    def command(self, name: str | None = None, *, cls=Command, **kwargs):
        return super().command(name, cls=cls, **kwargs)
