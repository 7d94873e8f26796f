"""Turn core results into what people read: results on stdout, messages on stderr."""

from __future__ import annotations

import builtins
import contextlib
import json
import re
import sys
from functools import cache
from pathlib import Path

from rich.console import Console
from rich.markup import escape as markup_escape
from rich.table import Table

# What would drive a terminal (C0 controls but tab and newline: ESC, BEL, CR, backspace...; DEL;
# C1 controls, CSI among them) or reorder what it shows (bidi marks, embeddings and overrides).
# Data (class, annotator and column names, cells, paths) is shown with these as escapes: \x1b.
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` with what would drive or reorder the terminal written as escapes ("\\x1b", "\\u202e")."""
    return TERMINAL_UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def escape(text: str) -> str:
    """Data as rich shows it: markup escaped, control characters as escapes."""
    return markup_escape(terminal_safe(text))


def print(*values) -> None:  # noqa: A001 - every plain result line of this module passes here
    builtins.print(*(terminal_safe(str(v)) for v in values))


def json_text(document) -> str:
    """A --json document: JSON escapes C0 controls itself; DEL, C1 and bidi characters too here."""
    return TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", json.dumps(document, ensure_ascii=False, default=str))


class _Console(Console):
    """A console that shows control characters in the text it prints as escapes, so that data
    printed in a table or a line cannot drive the terminal (rich's own styling is unaffected)."""

    def render_str(self, text: str, **options):
        return super().render_str(terminal_safe(text), **options)


@cache
def stderr() -> Console:
    return _Console(stderr=True, soft_wrap=True, highlight=False)


@cache
def stdout() -> Console:
    # a pipe or a cron log has no width: do not squeeze tables into 80 columns, nor cut lines;
    # a terminal has one: fit tables to it and wrap long lines at words
    tty = sys.stdout.isatty()
    return _Console(soft_wrap=not tty, highlight=False, width=None if tty else 120)


@contextlib.contextmanager
def phases(quiet: bool = False):
    """Show the core's phases (progress.phase) as a spinner on stderr, a bar when a phase has a
    total; only on a terminal and without -q. Started at the first phase, gone when done."""
    if quiet or not stderr().is_terminal:
        yield
        return
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from .progress import reporting

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=stderr(),
        transient=True,
    )
    task = counted = None  # the phase shown; the phase with a total still under way, and its name

    def report(name: str, total: int | None):
        nonlocal task, counted
        if counted is not None and total is None:  # a step inside it (simulate's fits): named beside it
            bar.update(counted[0], description=f"{counted[1]}: {escape(name)}")
            return lambda done: None
        if task is None:
            bar.start()
        else:
            bar.update(task, visible=False)  # one line: the phase under way
        task = current = bar.add_task(escape(name), total=total)
        counted = (current, escape(name)) if total is not None else None
        bar.refresh()

        def advance(done: int) -> None:
            nonlocal counted
            bar.update(current, completed=done)
            # counted is this phase's only when it has a total
            if counted is not None and counted[0] == current and total is not None and done >= total:
                counted = None

        return advance

    try:
        with reporting(report):
            yield
    finally:
        if task is not None:
            bar.stop()


def interrupted(written: list) -> None:
    """What Ctrl-C left: nothing, or the files already written (each whole: writes are atomic)."""
    if not written:
        stderr().print("interrupted; nothing changed")
        return
    cwd = Path.cwd()
    paths = [Path(p).absolute() for p in written]
    shown = [str(p.relative_to(cwd)) if p.is_relative_to(cwd) else str(p) for p in paths]
    stderr().print(f"interrupted; already written, and kept: {escape(', '.join(dict.fromkeys(shown)))}")


def error(message: str) -> None:
    stderr().print(f"[bold red]error:[/] {escape(message)}")


def problems(listed: list[str], unlisted: int) -> None:
    """Every problem behind an error, one a line (-v)."""
    for problem in listed:
        stderr().print(f"  {escape(problem)}")
    if unlisted:
        stderr().print(f"  and {unlisted} more")


def warn(message: str) -> None:
    stderr().print(f"[yellow]warning:[/] {escape(message)}")


def info(message: str, opts) -> None:
    if not opts.quiet:
        stderr().print(escape(message))


def _metrics(metrics: dict | None, folds: int) -> str:
    if not metrics:
        return "too few labels per class for cross-validation"
    return (
        f"cv accuracy {metrics['accuracy']:.3f}, balanced accuracy {metrics['balanced_accuracy']:.3f}, "
        f"macro-F1 {metrics['f1_macro']:.3f} ({folds} folds)"
    )


def _per_class(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def init_result(result, opts) -> None:
    if not opts.quiet:
        console = stderr()
        ids = "generated (r000001 ...)" if result.generated_ids else "from the data"
        console.print(
            f"{result.rows} rows; id column {escape(result.id_column)!s} {ids}; label column "
            f"{escape(result.label_column)}; {result.labeled} labeled ({escape(_per_class(result.labels_per_class))})"
        )
        table = Table(title="column roles (edit activelearn.toml to change)", title_justify="left")
        table.add_column("column")
        table.add_column("role")
        table.add_column("why")
        for column in result.columns:
            table.add_row(escape(column["name"]), column["role"], escape(column["note"]))
        console.print(table)
    print(result.path)


def train_result(result, opts) -> None:
    if result.reevaluated:
        print(
            f"model {result.version} is up to date; measured again on the evaluation set: "
            f"{_eval_metrics(result.eval_metrics)}" + (f" {result.eval_note}" if result.eval_note else "")
        )
        return
    if result.up_to_date:
        print(f"model {result.version} is up to date: nothing changed since it was trained on {result.n_labels} labels")
        return
    line = (
        f"model {result.version}: {result.model} on {result.n_labels} labels "
        f"({_per_class(result.labels_per_class)}); {_metrics(result.cv_metrics, result.cv_folds)}"
    )
    if result.eval_metrics:
        line += f"; evaluation {_eval_metrics(result.eval_metrics)}" + (
            f" {result.eval_note}" if result.eval_note else ""
        )
    print(line)
    for text in _per_class_scores(result.eval_metrics, result.cv_metrics, result.cv_folds):
        print(text)


def _per_class_scores(eval_metrics: dict | None, cv_metrics: dict | None, folds: int, title: str = "") -> list[str]:
    """Precision and recall per class, on the evaluation set and cross-validated: one line each."""
    lines = []
    pooled = ", pooled" if cv_metrics and cv_metrics.get("per_class_pooled") else ""  # older models: fold means
    for metrics, name in (
        (eval_metrics, "evaluation per class:"),
        (cv_metrics, f"cross-validated per class ({folds} folds{pooled}):"),
    ):
        if not metrics or not metrics.get("per_class"):
            continue
        lines.append(f"{title}{name}")
        width = max(len(c) for c in metrics["per_class"])
        for label, m in metrics["per_class"].items():
            support = f"  {m['support']} labels" if "support" in m else ""
            lines.append(f"  {label.ljust(width)}  precision {m['precision']:.3f}  recall {m['recall']:.3f}{support}")
    return lines


def _eval_metrics(metrics: dict | None) -> str:
    """Evaluation metrics with their 95% intervals, e.g. 'on 40 labels: accuracy 0.900 [0.770, 0.960], ...'."""
    if not metrics:
        return "no evaluation labels"
    parts = [
        f"{name.replace('_', ' ').replace('f1 macro', 'macro-F1')} {metrics[name]:.3f} "
        f"[{metrics['ci95'][name][0]:.3f}, {metrics['ci95'][name][1]:.3f}]"
        for name in ("accuracy", "balanced_accuracy", "f1_macro")
    ]
    return f"on {metrics['n']} label{'s' * (metrics['n'] != 1)}: " + ", ".join(parts)


def query_result(result, opts) -> None:
    if result.batch is None:
        info(
            f"no new batch: {', '.join(result.pending)} still waiting for answers (--if-none-pending)",
            opts,
        )
        return
    if result.evaluation:
        chosen = "drawn uniformly at random for the evaluation set"
    else:
        chosen = f"by {result.strategy} ({f'model {result.model_version}' if result.model_version else 'no model'})"
        if result.explored:
            chosen += f", {result.explored} of them drawn at random ([query] explore)"
    info(f"{result.batch}: {result.rows} rows {chosen} from {result.candidates} unlabeled rows", opts)
    print(result.file)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def import_result(result, opts) -> None:
    if opts.verbose or result.dry_run:
        for f in result.files:
            info(
                f"{f.file}: {f.status}, {_count(f.labels, 'label')}, {_count(f.skips, 'skip')}, "
                f"{f.unchanged} unchanged, {f.unanswered} unanswered",
                opts,
            )
    # "from N files" counts the files that gave new answers; the others are named by status
    by_status: dict[str, int] = {}
    for f in result.files:
        by_status[f.status] = by_status.get(f.status, 0) + 1
    files = by_status.pop("would import" if result.dry_run else "imported", 0)
    parts = [_count(result.labels, "label")]
    if result.skips:
        parts.append(_count(result.skips, "skip"))
    verb = "would import" if result.dry_run else "imported"
    line = f"{verb} {' and '.join(parts)}" + (f" from {_count(files, 'file')}" if files else "")
    if result.import_id:
        line += f" ({result.import_id})"
    extras = []
    if result.evaluation:
        extras.append(f"{result.evaluation} of them for evaluation (never trained on)")
    if result.corrections:
        extras.append(f"{result.corrections} of them correcting an earlier answer")
    if result.unchanged:
        extras.append(f"{result.unchanged} unchanged")
    if result.unanswered:
        extras.append(f"{result.unanswered} unanswered (still pending)")
    if result.bad_rows:
        extras.append(f"{_count(result.bad_rows, 'bad row')} left out (--partial)")
    for status, what in (
        ("already imported", "already imported"),
        ("no answers", "with no answers"),
        ("unchanged", "unchanged"),
    ):
        if by_status.get(status):
            extras.append(f"{_count(by_status[status], 'file')} {what}")
    print(line + ("; " + ", ".join(extras) if extras else ""))


def revert_result(result, opts) -> None:
    if result.dry_run:
        print(f"would revert {result.import_id}: {_count(result.answers, 'answer')} would no longer count")
    else:
        print(
            f"reverted {result.import_id}: {_count(result.answers, 'answer')} no longer count{'s' * (result.answers == 1)}"
        )


def release_result(result, opts) -> None:
    if not result.released:
        print("released nothing")
        return
    print(f"released {', '.join(result.released)}: {_count(result.rows, 'row')} back in the pool")


def rewrite_result(result, opts) -> None:
    if result.written:
        info(f"{result.batch}: wrote its {_count(result.rows, 'row')} again from state.json", opts)
    else:
        info(f"{result.batch}: {result.file} is there as query wrote it; nothing written", opts)
    print(result.file)


def batch_list(result, opts) -> None:
    table = Table(title="batches", title_justify="left")
    for column in (
        "batch",
        "file",
        "status",
        "answered",
        "outstanding",
        "strategy",
        "created (UTC)",
    ):
        table.add_column(column)
    for b in result.batches:
        table.add_row(
            b.name,
            escape(b.file),
            b.status,
            f"{b.answered}/{b.rows}",
            str(b.outstanding),
            b.strategy + (" (pre-filled)" if b.prefilled else ""),
            b.created[:16].replace("T", " "),
        )
    stdout().print(table if result.batches else "no batches yet")


def _agreement(console, agreement) -> None:
    if not agreement.rows_answered_by_several:
        return
    kappa = "n/a" if agreement.kappa is None else f"{agreement.kappa:.2f}"
    console.print(
        f"agreement: {agreement.kappa_kind}'s kappa {kappa} over {_count(agreement.rows_answered_by_several, 'row')} "
        f"labeled by several of {', '.join(escape(a) for a in agreement.annotators)}; "
        f"{_count(agreement.disagreements, 'disagreement')}, {_count(len(agreement.conflicts), 'conflict')} (ties)"
    )
    if agreement.conflicts:
        table = Table(
            title="conflicts: tied answers (the most recent wins until someone breaks the tie)",
            title_justify="left",
        )
        table.add_column("id")
        table.add_column("answers")
        for conflict in agreement.conflicts[:20]:
            answers = ", ".join(f"{escape(who)}: {escape(label)}" for who, label in conflict["answers"].items())
            table.add_row(escape(conflict["id"]), answers)
        console.print(table)
        if len(agreement.conflicts) > 20:
            console.print(f"... and {len(agreement.conflicts) - 20} more (status --json lists them all)")


def status_report(result, opts) -> None:
    console = stdout()
    console.print(f"[bold]{escape(result.project)}[/]")
    evaluation = result.evaluation_labels + result.evaluation_skipped
    console.print(
        f"pool {result.pool_rows} rows: {result.labeled} labeled, {result.skipped} skipped, "
        + (f"{evaluation} in the evaluation set ({result.evaluation_labels} labeled), " if evaluation else "")
        + f"{result.unlabeled} unlabeled"
    )
    classes = Table(title="labels per class", title_justify="left")
    classes.add_column("class")
    classes.add_column("labels", justify="right")
    for name, count in result.labels_per_class.items():
        classes.add_row(escape(name), str(count))
    console.print(classes)
    if result.annotators:
        console.print(f"{result.answers} answers from {', '.join(escape(a) for a in result.annotators)}")
    _agreement(console, result.agreement)
    if result.pending_batches:
        batches = Table(title="pending batches", title_justify="left")
        for column in ("batch", "file", "answered", "outstanding", "strategy"):
            batches.add_column(column)
        for b in result.pending_batches:
            batches.add_row(b.name, escape(b.file), f"{b.answered}/{b.rows}", str(b.outstanding), b.strategy)
        console.print(batches)
    else:
        console.print(
            f"no pending batches ({result.answered_batches} answered, {result.released_batches} released or expired)"
        )
    if result.models:
        _learning_curve(console, result)
        if result.explored:
            _explored(console, result.explored)
        if opts.verbose:
            latest = result.models[-1]
            for line in _per_class_scores(
                latest.eval_metrics,
                latest.cv_metrics,
                latest.cv_folds,
                title=f"model {latest.version}, ",
            ):
                console.print(escape(line))
        if not result.model_up_to_date:
            since = result.answers_since_model
            why = (
                f"{since} answer{'s' * (since != 1)} since the last model"
                if since
                else "labels or settings changed since the last model"
            )
            console.print(f"{why}: run `activelearn train`")
    else:
        console.print("no model yet: run `activelearn train`")
    _stopping(console, result.stop)
    if result.plot:
        info(f"learning curve drawn in {result.plot}", opts)


def _learning_curve(console, result) -> None:
    """One row per model version: labels, cross-validated and evaluation metrics, the stop-set
    signals; and a sparkline of macro-F1 against the rounds."""
    models = Table(title="learning curve (one row per model version)", title_justify="left")
    # below 100 columns: shorter headings, no cv accuracy nor date, so that a row stays one line
    narrow = console.width < 100
    headings = (
        ("ver.", "labels", "cv F1", "eval F1 [95%]", "n", "kappa", "unsure")
        if narrow
        else (
            "version",
            "labels",
            "cv acc.",
            "cv macro-F1",
            "eval macro-F1 [95%]",
            "eval n",
            "kappa vs prev.",
            "unsure",
            "trained (UTC)",
        )
    )
    for column in headings:
        models.add_column(
            column,
            justify="left" if column.startswith(("eval", "trained")) else "right",
            no_wrap=True,
            overflow="ellipsis",
        )
    for m in result.models:
        cv = (lambda k: f"{m.cv_metrics[k]:.3f}") if m.cv_metrics else (lambda k: "-")
        e = m.eval_metrics
        evaluation = (
            f"{e['f1_macro']:.3f} [{e['ci95']['f1_macro'][0]:.2f}, {e['ci95']['f1_macro'][1]:.2f}]" if e else "-"
        )
        signals = m.stop_signals or {}
        kappa = signals.get("agreement")
        cells = [
            str(m.version),
            str(m.n_labels),
            cv("accuracy"),
            cv("f1_macro"),
            evaluation,
            str(e["n"]) if e else "-",
            f"{kappa:.3f}" if kappa is not None else "-",
            f"{signals['uncertain_share']:.1%}" if "uncertain_share" in signals else "-",
            m.created[:16].replace("T", " "),
        ]
        models.add_row(*([cells[0], cells[1], *cells[3:8]] if narrow else cells))
    console.print(models)
    cv_curve = [m.cv_metrics["f1_macro"] for m in result.models if m.cv_metrics]
    eval_curve = [m.eval_metrics["f1_macro"] for m in result.models if m.eval_metrics]
    for name, curve in (("cv macro-F1  ", cv_curve), ("eval macro-F1", eval_curve)):
        if len(curve) >= 2:
            console.print(f"{name} {sparkline(curve)}  {curve[0]:.3f} -> {curve[-1]:.3f} (scale 0-1)")
    if not result.evaluation_labels:
        console.print(
            "no evaluation labels: cross-validation on chosen rows is optimistic; "
            "draw an honest set with `activelearn query --eval 50`"
        )


def _explored(console, metrics: dict) -> None:
    """The estimate from the explored rows: the predictions of the models that chose their batches."""
    batches = metrics["batches"]
    console.print(
        escape(
            f"explored rows ([query] explore), as predicted by the model that chose each batch, {_eval_metrics(metrics)} "
            f"(from {batches} batch{'es' * (batches != 1)})"
        )
    )


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """Scores as bars on the fixed scale 0-1: stretched to their own range, noise would look like
    a trend."""
    return "".join(SPARKS[max(0, min(len(SPARKS) - 1, int(v * len(SPARKS))))] for v in values)


def _stopping(console, stop) -> None:
    if stop.recommended:
        console.print("[bold]stop labeling: recommended[/]")
        for reason in stop.reasons:
            console.print(f"  - {escape(reason)}")
    else:
        console.print("[bold]keep labeling[/]: no stopping signal is met")
    for signal in stop.signals.values():
        if not signal.met:
            console.print(f"  {signal.name.replace('_', ' ')}: {escape(signal.detail)}")


def simulate_result(result, opts) -> None:
    from .ops.simulate import summary_table

    info(
        f"{result.rows} labeled rows, {len(result.classes)} classes, {result.repeats} seeds; "
        f"full-pool {result.metric} {result.full_pool_score:.3f}; wrote {', '.join(result.files)}",
        opts,
    )
    print(summary_table(result.strategies))


def verify_result(result, opts) -> None:
    for problem in result.problems:
        mark = "repaired" if problem.repaired else "problem"
        print(f"{mark}: {problem.where}: {problem.what} ({problem.fix})")
    if result.ok:  # the result itself, so on stdout even under -q
        print(f"ok: checked {', '.join(result.checked)}")


def predict_result(result, opts) -> None:
    source = "the pool" if result.source == "pool" else result.source
    ids = ", ids generated (r000001 ...)" if result.generated_ids and result.source != "pool" else ""
    info(
        f"{_count(result.rows, 'row')} of {source} predicted by model {result.model_version}{ids}",
        opts,
    )
    print(result.file)


def export_result(result, opts) -> None:
    info(
        f"{_count(result.rows, 'row')}: {_count(result.labels, 'label')} ({_per_class(result.labels_per_class)}), "
        f"{result.evaluation} evaluation, {result.skipped} skipped",
        opts,
    )
    if opts.verbose:
        import shlex

        info(
            f"to start a project from it: activelearn init NEW_DIR {shlex.join(result.init_options)}",
            opts,
        )
    print(result.file)


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
