"""What `init`, `verify` and `config` print: the project made, checked, or its settings."""

from __future__ import annotations

from rich.table import Table

from .render import escape, info, per_class, print, stderr


def init_result(result, opts) -> None:
    if not opts.quiet:
        console = stderr()
        ids = "generated (r000001 ...)" if result.generated_ids else "from the data"
        console.print(
            f"{result.rows} rows; id column {escape(result.id_column)!s} {ids}; label column "
            f"{escape(result.label_column)}; {result.labeled} labeled ({escape(per_class(result.labels_per_class))})"
        )
        table = Table(title="column roles (edit activelearn.toml to change)", title_justify="left")
        table.add_column("column")
        table.add_column("role")
        table.add_column("why")
        for column in result.columns:
            table.add_row(escape(column["name"]), column["role"], escape(column["note"]))
        console.print(table)
    print(result.path)


def verify_result(result, opts) -> None:
    for problem in result.problems:
        mark = "repaired" if problem.repaired else "problem"
        print(f"{mark}: {problem.where}: {problem.what} ({problem.fix})")
    if result.ok:  # the result itself, so on stdout even under -q
        print(f"ok: checked {', '.join(result.checked)}")


def config_value(value) -> str:
    """A config value as `config set` takes it back: a, b for lists, true/false, plain text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def config_listing(result, opts) -> None:
    if result.key is not None:
        print(config_value(result.entries[0].value))
        return
    for entry in result.entries:
        print(f"{entry.key}={config_value(entry.value)}")


def config_change(result, opts) -> None:
    if not result.changed:
        info(f"{result.key} is already {config_value(result.new)}; nothing changed", opts)
        return
    was = "not set" if result.old is None else f"was {config_value(result.old)}"
    info(f"{result.file}: {result.key} {was}", opts)
    print(f"{result.key}={config_value(result.new)}")
