"""Scoring the pool on a Dask cluster (`query` and `predict` with `--engine dask --scheduler ADDRESS`).

Each of the pool's row groups is a task: a worker reads it from storage it can reach (the
project folder, shared with the workers), scores it with the model, and returns only its
partition's top n (ids, scores, tie keys). The client merges them with the same TopK as the
local engine, so both engines give the same batch. Dask is an optional extra.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import ActivelearnError, ConfigError, UsageError
from .strategies import UNCERTAINTY, TopK, tie_keys, uncertainty_scores

if TYPE_CHECKING:
    from .config import Config

SUPPORTED = (*UNCERTAINTY, "random")
SCHEDULER_VARIABLE = "ACTIVELEARN_SCHEDULER"  # the scheduler address, as --scheduler gives it
HOST_SCHEMES = ("tcp", "tls", "ws", "wss")  # Dask's transports that name a host


def scheduler_address(given: str | None, configured: str, config_path: Path) -> str:
    """The scheduler to send work to: --scheduler, else $ACTIVELEARN_SCHEDULER, else [query]
    scheduler of activelearn.toml, which alone may only name this machine. Workers unpickle what
    the client sends and the client unpickles what they return, so a project file (which anyone
    who can write the folder can edit) must not be able to point the tool at any host."""
    chosen = given or os.environ.get(SCHEDULER_VARIABLE, "")
    if chosen:
        return chosen
    if not configured:
        raise UsageError("--engine dask needs --scheduler ADDRESS (or [query] scheduler in activelearn.toml)")
    if not on_loopback(configured):
        raise ConfigError(
            f"{config_path}: [query] scheduler = {configured!r} is not on this machine, and a project file alone may "
            "not send work to another host and take its pickled results back; confirm it with "
            f"--scheduler {configured} or {SCHEDULER_VARIABLE}={configured}, or use --engine local"
        )
    return configured


def chosen_engine(
    engine: str | None, scheduler: str | None, config: Config, config_path: Path
) -> tuple[str, str | None]:
    """(engine, scheduler address) for query and predict: the option, else activelearn.toml; a
    Dask scheduler checked (`scheduler_address`) before anything is read or sent."""
    from .config import ENGINES
    from .messages import require_choice

    engine = engine or config.engine
    require_choice("--engine", engine, ENGINES, "engine")
    if engine == "dask":
        scheduler = scheduler_address(scheduler, config.scheduler, config_path)
    return engine, scheduler


def on_loopback(address: str) -> bool:
    """Whether a Dask address names this machine: a loopback IP (127.0.0.0/8, ::1), or localhost
    when every address it resolves to is one. Anything else, or anything unclear, is not."""
    from urllib.parse import urlsplit

    address = address.strip()
    if "://" not in address:
        address = f"tcp://{address}"
    try:
        parts = urlsplit(address)
        host, _ = parts.hostname, parts.port  # a malformed host or port raises ValueError
    except ValueError:
        return False
    if parts.scheme not in HOST_SCHEMES or host is None or parts.path or parts.username is not None:
        return False
    if host == "localhost":
        try:
            # already str for the IP families a host name resolves to; typed str | int for every family
            found = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
        except OSError:
            return False
        return bool(found) and all(_loopback_ip(ip) for ip in found)
    return _loopback_ip(host)


def _loopback_ip(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def _client(scheduler: str):
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "the dask engine needs Dask: pip install 'activelearn[dask]' (or use --engine local)"
        ) from None
    try:
        return Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:  # unreachable, or not an address
        raise ActivelearnError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})") from None


def partitions(pool: Path) -> list[tuple[str, int]]:
    """(file, row group) of every row group of the pool, in order."""
    import pyarrow.parquet as pq

    from .tabular import parquet_parts

    return [(str(p.resolve()), g) for p in parquet_parts(pool) for g in range(pq.ParquetFile(p).num_row_groups)]


def score_partition(
    part: str,
    group: int,
    id_column: str,
    columns: list[str],
    reserved,
    scorer,
    strategy: str,
    n: int,
    seed: int,
    salt: int,
):
    """On a worker: the partition's top n unreserved rows as (ids, scores, keys)."""
    import pyarrow.parquet as pq

    from .rows import id_array, without_ids

    table = pq.ParquetFile(part).read_row_group(group, columns=list(dict.fromkeys([id_column, *columns])))
    table = without_ids(table, id_column, id_array(reserved) if len(reserved) else None)
    best = TopK(n)
    if len(table):
        ids = table.column(id_column)
        ids_at = lambda keep: ids.take(keep).to_numpy(zero_copy_only=False)  # noqa: E731
        if strategy == "random":
            scores = np.zeros(len(table))
        else:
            scores = uncertainty_scores(scorer.predict_proba(table), strategy)
        best.push(ids_at, scores, lambda keep: tie_keys(ids_at(keep), seed, salt))
    return best.ids, best.scores, best.keys, len(table)


def choose_on_dask(scheduler: str, pool: Path, strategy: str, n: int, ctx, reserved: set[str]):
    """The batch the local engine would choose, scored on the cluster at `scheduler`."""
    from .selection import Selection, explored_count, interleave

    if strategy not in SUPPORTED or (strategy != "random" and ctx.pipeline is None):
        raise UsageError(
            f"the dask engine scores {', '.join(SUPPORTED)} with a trained model; "
            f"use --engine local for {strategy}"
            + (" before the first train" if ctx.pipeline is None and strategy != "random" else "")
        )
    explored = explored_count(strategy, n, ctx.explore)
    client = _client(scheduler)
    try:
        model = client.scatter(ctx.scorer, broadcast=True) if ctx.pipeline is not None else None
        # as the local engine explores: the rows `random` draws first, the strategy's from the rest
        drawn, _ = _top_on_dask(client, pool, "random", explored, ctx, reserved, None) if explored else ([], 0)
        chosen, rest = _top_on_dask(client, pool, strategy, n - len(drawn), ctx, reserved | set(drawn), model)
    finally:
        client.close()
    # the strategy's pass counts the candidates less the explored rows
    return Selection(interleave(chosen, drawn), strategy, rest + len(drawn), explored=drawn)


def _top_on_dask(client, pool: Path, strategy: str, n: int, ctx, reserved: set[str], model) -> tuple[list[str], int]:
    """The n best unreserved rows by `strategy` over every row group, and how many rows there were."""
    # unhashed keys: the explored draw and the strategy's pass scatter overlapping ids, and a key
    # shared between them would be released with the first call's futures
    taken = client.scatter(sorted(reserved), broadcast=True, hash=False)
    columns = ctx.model_columns if strategy != "random" else []
    futures = [
        client.submit(
            score_partition,
            part,
            group,
            ctx.id_column,
            columns,
            taken,
            model,
            strategy,
            n,
            ctx.seed,
            ctx.salt,
            pure=False,
        )
        for part, group in partitions(pool)
    ]
    best, seen = TopK(n), 0
    for ids, scores, keys, rows in client.gather(futures):
        best.push(ids, scores, keys)
        seen += rows
    return [str(i) for i in best.ids], seen


def predict_partition(part: str, group: int, id_column: str, columns: list[str], scorer):
    """On a worker: one row group's ids and class probabilities."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(part).read_row_group(group, columns=list(dict.fromkeys([id_column, *columns])))
    return table.column(id_column), scorer.predict_proba(table)


def predict_on_dask(scheduler: str, pool: Path, id_column: str, columns: list[str], scorer):
    """(ids, probabilities) of every row group of the pool, in pool order, scored on the cluster
    at `scheduler`; each result is handed on and released before the next is fetched, so the
    client holds one row group's predictions at a time."""
    client = _client(scheduler)
    try:
        model = client.scatter(scorer, broadcast=True)
        futures = [
            client.submit(predict_partition, part, group, id_column, columns, model, pure=False)
            for part, group in partitions(pool)
        ]
        for future in futures:
            ids, proba = future.result()
            future.release()
            yield ids, proba
    finally:
        client.close()
