"""What `status` prints: the pool, the labels, the batches, the learning curve and the stopping signals."""

from __future__ import annotations

from rich.table import Table

from .render import escape, info, plural, stdout
from .render_model import eval_metrics, per_class_scores


def _agreement(console, agreement) -> None:
    if not agreement.rows_answered_by_several:
        return
    kappa = "n/a" if agreement.kappa is None else f"{agreement.kappa:.2f}"
    console.print(
        f"agreement: {agreement.kappa_kind}'s kappa {kappa} over {plural(agreement.rows_answered_by_several, 'row')} "
        f"labeled by several of {', '.join(escape(a) for a in agreement.annotators)}; "
        f"{plural(agreement.disagreements, 'disagreement')}, {plural(len(agreement.conflicts), 'conflict')} (ties)"
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
            for line in per_class_scores(
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
            f"explored rows ([query] explore), as predicted by the model that chose each batch, {eval_metrics(metrics)} "
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
