"""What `import-labels` and `export` print: the answers merged or taken back, and the labels written out."""

from __future__ import annotations

from .render import info, per_class, plural, print


def import_result(result, opts) -> None:
    if opts.verbose or result.dry_run:
        for f in result.files:
            info(
                f"{f.file}: {f.status}, {plural(f.labels, 'label')}, {plural(f.skips, 'skip')}, "
                f"{f.unchanged} unchanged, {f.unanswered} unanswered",
                opts,
            )
    # "from N files" counts the files that gave new answers; the others are named by status
    by_status: dict[str, int] = {}
    for f in result.files:
        by_status[f.status] = by_status.get(f.status, 0) + 1
    files = by_status.pop("would import" if result.dry_run else "imported", 0)
    parts = [plural(result.labels, "label")]
    if result.skips:
        parts.append(plural(result.skips, "skip"))
    verb = "would import" if result.dry_run else "imported"
    line = f"{verb} {' and '.join(parts)}" + (f" from {plural(files, 'file')}" if files else "")
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
        extras.append(f"{plural(result.bad_rows, 'bad row')} left out (--partial)")
    for status, what in (
        ("already imported", "already imported"),
        ("no answers", "with no answers"),
        ("unchanged", "unchanged"),
    ):
        if by_status.get(status):
            extras.append(f"{plural(by_status[status], 'file')} {what}")
    print(line + ("; " + ", ".join(extras) if extras else ""))


def revert_result(result, opts) -> None:
    if result.dry_run:
        print(f"would revert {result.import_id}: {plural(result.answers, 'answer')} would no longer count")
    else:
        print(
            f"reverted {result.import_id}: {plural(result.answers, 'answer')} no longer count{'s' * (result.answers == 1)}"
        )


def export_result(result, opts) -> None:
    info(
        f"{plural(result.rows, 'row')}: {plural(result.labels, 'label')} ({per_class(result.labels_per_class)}), "
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
