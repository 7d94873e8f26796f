"""Choosing a batch: one engine for `query` (the pool streamed from disk) and `simulate` (in memory).

Every strategy reads the candidate rows through `chunks(columns)` and keeps only a bounded set
(a running top-k, or a seeded sample of rows), so memory is O(chunk + batch), not O(pool).
The scoring and picking themselves are the pure functions of `strategies`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from .rows import as_frame, column_values
from .strategies import (
    UNCERTAINTY,
    TopK,
    class_quotas,
    k_center_greedy,
    kl_disagreement,
    representative_rows,
    tie_keys,
    uncertainty_scores,
    vote_entropy,
    weighted_clusters,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

Scored = TypeVar("Scored")

# name -> what it does, for --help and the README; the order is the order of the docs
STRATEGIES = {
    "margin": "smallest gap between the two most likely classes (uncertainty sampling)",
    "least-confidence": "lowest probability of the predicted class",
    "entropy": "highest entropy of the predicted probabilities",
    "density": "margin weighted by how typical a row is of the pool (information density)",
    "committee": "most disagreement (vote entropy) in a committee of models trained on bootstrap samples",
    "committee-kl": "most disagreement (mean KL divergence from the consensus) in the committee",
    "diverse": "the most uncertain candidates (10x the batch), spread out by weighted k-means",
    "balanced": "margin with an equal share of the batch for each predicted class",
    "coreset": "rows farthest from everything labeled (k-center greedy): pure diversity",
    "representative": "rows nearest the centres of k-means clusters of the pool (the cold start)",
    "random": "a seeded random sample",
}
NEEDS_MODEL = {
    "margin",
    "least-confidence",
    "entropy",
    "density",
    "committee",
    "committee-kl",
    "diverse",
    "balanced",
}
DIVERSE_FACTOR = 10  # candidates per batch row for "diverse"
SAMPLE_ROWS = 20_000  # rows sampled for the cold start and for core-set
DENSITY_REFERENCE = 2_000  # rows whose mean stands for "the pool" in density weighting
COMMITTEE_SIZE = 5


Chunks = Callable[[list[str]], Iterator]  # Arrow tables (query) or DataFrames (simulate)


@dataclass
class Context:
    """What a strategy may use besides the candidate rows."""

    id_column: str
    columns: dict[str, str]  # roles, for features when there is no model yet
    seed: int
    salt: int  # the batch number: each batch draws its own random numbers
    pipeline: Pipeline | None = None  # the fitted model
    model_columns: list[str] = field(default_factory=list)
    labeled: pd.DataFrame | None = None  # labeled rows, for the committee and core-set
    labels: np.ndarray | None = None
    jobs: int = 1  # threads scoring chunks at once; the batch is the same for any number
    explore: float = 0.0  # [query] explore: the share of a model-based batch drawn at random
    text: str = "tfidf"  # [features] text, for features when there is no model yet

    @cached_property
    def scorer(self):
        """The model's probabilities and features for chunks of rows (see `scoring`)."""
        from .scoring import Scorer

        return Scorer(self.pipeline)

    @property
    def used_columns(self) -> list[str]:
        if self.pipeline is not None:
            return self.model_columns
        return [n for n, r in self.columns.items() if r != "ignore"]


@dataclass
class Selection:
    ids: list[str]
    strategy: str  # as applied: "representative" when a model-based strategy had no model yet
    candidates: int
    warnings: list[str] = field(default_factory=list)
    rows: pd.DataFrame | None = None  # the chosen rows, in order, when the strategy kept them
    explored: list[str] = field(default_factory=list)  # the ids of `ids` drawn at random ([query] explore)


def choose(strategy: str, chunks: Chunks, n: int, ctx: Context) -> Selection:
    """The ids of the n most useful candidate rows, by `strategy`; with `ctx.explore`, a model-based
    strategy leaves `explored_rows` of them to a uniform random draw from the candidates."""
    if strategy in NEEDS_MODEL and ctx.pipeline is None:
        return _representative(chunks, n, ctx, "representative")
    handler = _handler(strategy)
    explored = explored_count(strategy, n, ctx.explore)
    if not explored:
        return handler(chunks, n, ctx, strategy)
    return _exploring(handler, chunks, n, explored, ctx, strategy)


def explored_count(strategy: str, n: int, share: float) -> int:
    """How many rows of a batch of n by `strategy` are drawn at random: only strategies that use
    the model explore."""
    return explored_rows(n, share) if strategy in NEEDS_MODEL else 0


def explored_rows(n: int, share: float) -> int:
    """How many rows of a batch of n are drawn at random for a share of `share`: share * n rounded
    half up, at least 1 and at most n - 1 (the strategy keeps a row); none in a batch of 1. The
    product is rounded to 9 places first: 0.29 * 50 is 14.499999999999998 in binary, and is 15."""
    if share <= 0 or n < 2:
        return 0
    return min(n - 1, max(1, math.floor(round(share * n, 9) + 0.5)))


def _exploring(handler, chunks: Chunks, n: int, explored: int, ctx: Context, strategy: str) -> Selection:
    """The batch of `handler` with `explored` of its n rows drawn uniformly from the candidates
    first: the rows the `random` strategy would draw for a batch of that size (the lowest seeded
    tie keys of this batch number). The strategy then chooses the rest from the other candidates,
    so the two parts never overlap. Both are streamed: memory stays O(chunk + batch)."""
    keep = strategy in UNCERTAINTY  # the strategies that keep their rows for the batch file
    drawn, seen = _top(chunks, explored, ctx, _no_score, ctx.model_columns if keep else [], keep_rows=keep)
    taken = [str(i) for i in drawn.ids]
    chosen = handler(_without(chunks, ctx.id_column, taken), n - len(taken), ctx, strategy)
    ids = interleave(chosen.ids, taken)
    rows = None
    if chosen.rows is not None and drawn.rows is not None and len(chosen.rows) == len(chosen.ids):
        both = pd.concat([chosen.rows, as_frame(drawn.rows)[list(chosen.rows.columns)]], ignore_index=True)
        rows = both.iloc[interleaved(len(chosen.ids), len(taken))].reset_index(drop=True)
    return Selection(ids, chosen.strategy, seen, chosen.warnings, rows, taken)


def _without(chunks: Chunks, id_column: str, ids: list[str]) -> Chunks:
    """`chunks` less the rows with the given ids (empty chunks left out)."""
    from .rows import id_array, without_ids

    def filtered(columns):
        for chunk in chunks(columns):
            if isinstance(chunk, pd.DataFrame):
                chunk = chunk[~chunk[id_column].astype(str).isin(ids)]
            else:
                chunk = without_ids(chunk, id_column, id_array(ids))
            if len(chunk):
                yield chunk

    return filtered


def interleave(chosen: list, explored: list) -> list:
    """The strategy's rows and the explored ones in batch order (`interleaved`)."""
    both = [*chosen, *explored]
    return [both[i] for i in interleaved(len(chosen), len(explored))]


def interleaved(chosen: int, explored: int) -> list[int]:
    """The batch order of `chosen` strategy rows (0 .. chosen - 1) and `explored` rows (chosen ..):
    the explored ones spread evenly among the others, not all at the end, where a labeler who
    stops early would leave them unanswered more often than the rest."""
    total = chosen + explored
    slots = {int((j + 0.5) * total / explored) for j in range(explored)}  # distinct: total / explored >= 1
    strategy_rows, explored_rows_ = iter(range(chosen)), iter(range(chosen, total))
    return [next(explored_rows_) if position in slots else next(strategy_rows) for position in range(total)]


def _handler(strategy: str):
    return {
        "random": _random,
        "density": _density,
        "committee": _committee,
        "committee-kl": _committee,
        "diverse": _diverse,
        "balanced": _balanced,
        "coreset": _coreset,
        "representative": _representative,
    }.get(strategy, _uncertainty)


# --- helpers ------------------------------------------------------------------------------------


def _ids_at(chunk, ctx: Context):
    """The chunk's ids at the positions TopK asks about, made into Python objects only there."""
    if isinstance(chunk, pd.DataFrame):
        ids = chunk[ctx.id_column].to_numpy()
        return lambda positions: ids[positions]
    column = chunk.column(ctx.id_column)
    return lambda positions: column.take(positions).to_numpy(zero_copy_only=False)


def _keys(ids_at, ctx: Context):
    """The tie keys of the rows TopK asks about."""
    return lambda positions: tie_keys(ids_at(positions), ctx.seed, ctx.salt)


def _scored(
    chunks: Iterator[pd.DataFrame], score: Callable[[pd.DataFrame], Scored], jobs: int
) -> Iterator[tuple[pd.DataFrame, Scored]]:
    """(chunk, score(chunk)) in chunk order, scored on `jobs` threads with jobs + 1 chunks in flight.

    numpy and scikit-learn release the GIL in their heavy parts, so threads use the cores without
    copying the model into other processes; memory stays a few chunks.
    """
    from threadpoolctl import threadpool_limits

    # The parallelism is over chunks: BLAS threads inside each would only compete for the cores
    # (and cost memory for their buffers).
    with threadpool_limits(1, user_api="blas"):
        yield from _scored_in_parallel(chunks, score, jobs)


def _scored_in_parallel(chunks, score, jobs: int):
    if jobs <= 1:
        for chunk in chunks:
            yield chunk, score(chunk)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(score, chunk)))
            if len(pending) > jobs:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def _top(chunks: Chunks, n: int, ctx: Context, score, columns: list[str], keep_rows: bool = False) -> tuple[TopK, int]:
    """The n candidates with the highest score(chunk) (and, with keep_rows, their rows), and how
    many candidates there were."""
    best, seen = TopK(n), 0
    for chunk, scores in _scored(chunks([ctx.id_column, *columns]), score, ctx.jobs):
        ids_at = _ids_at(chunk, ctx)
        best.push(ids_at, scores, _keys(ids_at, ctx), rows=chunk if keep_rows else None)
        seen += len(chunk)
    return best, seen


def _no_score(chunk) -> np.ndarray:
    return np.zeros(len(chunk))  # every row alike: the seeded tie keys decide, a random sample


def _sample(chunks: Chunks, size: int, ctx: Context, columns: list[str]) -> tuple[TopK, int]:
    """A seeded random sample of `size` candidate rows (kept whole), and how many there were."""
    return _top(chunks, size, ctx, _no_score, columns, keep_rows=True)


def _margin(ctx: Context):
    return lambda chunk: uncertainty_scores(ctx.scorer.predict_proba(chunk), "margin")


def _features(ctx: Context, frame: pd.DataFrame):
    return ctx.scorer.transform(frame)


def _selection(ids, strategy: str, seen: int, warnings=None, rows: pd.DataFrame | None = None) -> Selection:
    return Selection([str(i) for i in ids], strategy, seen, list(warnings or []), rows)


# --- strategies ---------------------------------------------------------------------------------


def _random(chunks: Chunks, n: int, ctx: Context, strategy: str) -> Selection:
    best, seen = _top(chunks, n, ctx, _no_score, [])
    return _selection(best.ids, "random", seen)


def _uncertainty(chunks: Chunks, n: int, ctx: Context, strategy: str) -> Selection:
    score = lambda chunk: uncertainty_scores(ctx.scorer.predict_proba(chunk), strategy)  # noqa: E731
    best, seen = _top(chunks, n, ctx, score, ctx.model_columns, keep_rows=True)
    return _selection(best.ids, strategy, seen, rows=as_frame(best.rows) if best.rows is not None else None)


def _representative(chunks: Chunks, n: int, ctx: Context, strategy: str) -> Selection:
    from .features import build_features, explained_fit_errors

    columns = [c for c, r in ctx.columns.items() if r != "ignore"]
    sample, seen = _sample(chunks, SAMPLE_ROWS, ctx, columns)
    if sample.rows is None:
        return _selection([], "representative", 0)
    with explained_fit_errors(ctx.columns, len(sample.rows)):
        features = build_features(ctx.columns, text=ctx.text).fit_transform(as_frame(sample.rows))
    chosen = representative_rows(features, min(n, len(sample.ids)), ctx.seed + ctx.salt)
    return _selection(sample.ids[chosen], "representative", seen)


def _density(chunks: Chunks, n: int, ctx: Context, strategy: str) -> Selection:
    """Margin times the mean cosine similarity to the pool (Settles & Craven 2008)."""
    from sklearn.preprocessing import normalize

    reference, _ = _sample(chunks, DENSITY_REFERENCE, ctx, ctx.model_columns)
    if reference.rows is None:
        return _selection([], "density", 0)
    centre = np.asarray(normalize(_features(ctx, reference.rows)).mean(axis=0)).ravel()
    margin = _margin(ctx)

    def score(chunk):
        similarity = normalize(_features(ctx, chunk)) @ centre
        density = (1.0 + np.asarray(similarity).ravel()) / 2.0  # cosine in [-1, 1] -> [0, 1]
        return margin(chunk) * density

    best, seen = _top(chunks, n, ctx, score, ctx.model_columns)
    return _selection(best.ids, "density", seen)


def _committee(chunks: Chunks, n: int, ctx: Context, strategy: str) -> Selection:
    members, warnings = build_committee(ctx)
    if len(members) < 2:
        selection = _uncertainty(chunks, n, ctx, "margin")
        selection.warnings.extend(warnings)
        return selection
    from .scoring import Scorer

    assert ctx.pipeline is not None  # choose() gives the strategies that need a model one
    scorers = [Scorer(m) for m in members]
    classes = list(ctx.pipeline.classes_)
    disagreement = vote_entropy if strategy == "committee" else kl_disagreement

    def score(chunk):
        probas = [_aligned_proba(m, chunk, classes) for m in scorers]
        # among rows the committee agrees on (vote entropy 0), the least certain come first
        return disagreement(probas) + 1e-6 * uncertainty_scores(np.mean(probas, axis=0), "margin")

    best, seen = _top(chunks, n, ctx, score, ctx.model_columns)
    return _selection(best.ids, strategy, seen, warnings)


def build_committee(ctx: Context) -> tuple[list, list[str]]:
    """Copies of the model fitted on bootstrap samples of the labeled rows (query by bagging,
    Abe & Mamitsuka 1998). Samples that miss a class are drawn again."""
    from sklearn.base import clone

    if ctx.labeled is None or ctx.labels is None or len(ctx.labels) < 2:
        return [], ["committee: no labeled rows to bootstrap; used margin"]
    rng = np.random.default_rng([ctx.seed, ctx.salt])
    classes = np.unique(ctx.labels)
    members = []
    for _ in range(COMMITTEE_SIZE):
        for _attempt in range(20):
            rows = rng.integers(0, len(ctx.labels), len(ctx.labels))
            if len(np.unique(ctx.labels[rows])) == len(classes):
                break
        try:
            members.append(clone(ctx.pipeline).fit(ctx.labeled.iloc[rows], ctx.labels[rows]))
        except (ValueError, ArithmeticError):  # e.g. a calibrated model with too few rows per class
            continue
    warnings = [] if len(members) >= 2 else ["committee: too few labels to fit a committee; used margin"]
    return members, warnings


def _aligned_proba(model, chunk: pd.DataFrame, classes: list) -> np.ndarray:
    proba = model.predict_proba(chunk)
    out = np.zeros((len(chunk), len(classes)))
    for column, label in enumerate(model.classes_):
        out[:, classes.index(label)] = proba[:, column]
    return out


def _diverse(chunks: Chunks, n: int, ctx: Context, strategy: str) -> Selection:
    candidates, seen = _top(chunks, n * DIVERSE_FACTOR, ctx, _margin(ctx), ctx.model_columns, keep_rows=True)
    if candidates.rows is None:
        return _selection([], "diverse", 0)
    chosen = weighted_clusters(_features(ctx, candidates.rows), candidates.scores, n, ctx.seed + ctx.salt)
    return _selection(candidates.ids[chosen], "diverse", seen)


def _balanced(chunks: Chunks, n: int, ctx: Context, strategy: str) -> Selection:
    assert ctx.pipeline is not None  # choose() gives the strategies that need a model one
    classes = len(ctx.pipeline.classes_)
    per_class = [TopK(n) for _ in range(classes)]
    seen = 0

    def score(chunk):
        proba = ctx.scorer.predict_proba(chunk)
        return uncertainty_scores(proba, "margin"), proba.argmax(axis=1)

    for chunk, (scores, predicted) in _scored(chunks([ctx.id_column, *ctx.model_columns]), score, ctx.jobs):
        ids = column_values(chunk, ctx.id_column)
        for k in range(classes):
            mask = np.flatnonzero(predicted == k)
            per_class[k].push(
                ids[mask],
                scores[mask],
                lambda keep, mask=mask: tie_keys(ids[mask[keep]], ctx.seed, ctx.salt),
            )
        seen += len(chunk)
    ids = np.concatenate([t.ids for t in per_class])
    scores = np.concatenate([t.scores for t in per_class])
    predicted = np.concatenate([np.full(len(t.ids), k) for k, t in enumerate(per_class)])
    chosen = class_quotas(predicted, scores, n, classes)
    return _selection(ids[chosen], "balanced", seen)


def _coreset(chunks: Chunks, n: int, ctx: Context, strategy: str) -> Selection:
    from .features import build_features

    sample, seen = _sample(chunks, SAMPLE_ROWS, ctx, ctx.used_columns)
    if sample.rows is None:
        return _selection([], "coreset", 0)
    labeled = ctx.labeled if ctx.labeled is not None and len(ctx.labeled) else None
    if ctx.pipeline is not None:
        X = _features(ctx, sample.rows)
        centers = _features(ctx, labeled) if labeled is not None else None
    else:
        features = build_features(ctx.columns, text=ctx.text)
        X = features.fit_transform(as_frame(sample.rows))
        centers = features.transform(labeled) if labeled is not None else None
    chosen = k_center_greedy(X, n, centers, seed=ctx.seed + ctx.salt)
    return _selection(sample.ids[chosen], "coreset", seen)
