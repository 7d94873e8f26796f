"""What `query` prints: the batch written, released or written again, and the list of batches."""

from __future__ import annotations

from rich.table import Table

from .render import escape, info, plural, print, stdout


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


def release_result(result, opts) -> None:
    if not result.released:
        print("released nothing")
        return
    print(f"released {', '.join(result.released)}: {plural(result.rows, 'row')} back in the pool")


def rewrite_result(result, opts) -> None:
    if result.written:
        info(f"{result.batch}: wrote its {plural(result.rows, 'row')} again from state.json", opts)
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
