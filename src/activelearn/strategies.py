"""Query strategies: score candidate rows and pick a batch. Pure functions of their inputs.

Every choice is reproducible: ties (and the `random` strategy) are decided by a seeded hash of
each row's id, so the batch does not depend on row order or on how the pool is chunked.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd

UNCERTAINTY = ("margin", "least-confidence", "entropy")


def uncertainty_scores(proba: np.ndarray, strategy: str) -> np.ndarray:
    """How useful each row's label would be (higher is more useful), from class probabilities."""
    proba = np.asarray(proba, dtype=float)
    if strategy == "least-confidence":
        return 1.0 - proba.max(axis=1)
    if strategy == "margin":
        if proba.shape[1] < 2:
            return np.zeros(len(proba))
        top2 = np.partition(proba, -2, axis=1)[:, -2:]
        return 1.0 - (top2[:, 1] - top2[:, 0])
    if strategy == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(proba > 0, proba * np.log(proba), 0.0)
        return -terms.sum(axis=1)
    raise ValueError(f"unknown uncertainty strategy {strategy!r}")


def tie_keys(ids: pd.Series | np.ndarray, seed: int, salt: int = 0) -> np.ndarray:
    """A pseudo-random uint64 per id, fixed by (seed, salt): the same id always gets the same key."""
    key = hashlib.blake2b(f"{seed}:{salt}".encode(), digest_size=8).hexdigest()  # 16 characters
    return pd.util.hash_array(np.asarray(ids, dtype=object), hash_key=key, categorize=False)


class TopK:
    """The n best rows seen so far over a stream of chunks: O(chunk + n) memory.

    Best means highest score; equal scores go to the lower tie key, so the result is the same for
    any chunking of the same rows. With `rows`, the rows themselves (a DataFrame) are kept too.
    """

    def __init__(self, n: int):
        self.n = n
        self.ids = np.empty(0, dtype=object)
        self.scores = np.empty(0)
        self.keys = np.empty(0, dtype=np.uint64)
        self.rows = None  # an Arrow table or a DataFrame, like the rows pushed

    def push(self, ids, scores, keys, rows=None) -> None:
        """Add a chunk. `ids` and `keys` may be functions of the chunk's positions that give the
        ids and tie keys of just those rows: only rows that can still make the top n are
        converted, hashed and sorted. `rows` may be an Arrow table or a DataFrame."""
        from .rows import concat_rows, take_rows

        scores = np.asarray(scores, dtype=float)
        keep = self._contenders(scores)
        ids = np.asarray(ids(keep) if callable(ids) else np.asarray(ids, dtype=object)[keep], dtype=object)
        keys = keys(keep) if callable(keys) else np.asarray(keys, dtype=np.uint64)[keep]
        all_ids = np.concatenate([self.ids, ids])
        all_scores = np.concatenate([self.scores, scores[keep]])
        all_keys = np.concatenate([self.keys, np.asarray(keys, dtype=np.uint64)])
        order = np.lexsort((all_keys, -all_scores))[: self.n]
        self.ids, self.scores, self.keys = all_ids[order], all_scores[order], all_keys[order]
        if rows is not None:
            kept = take_rows(rows, keep)
            both = kept if self.rows is None else concat_rows(self.rows, kept)
            self.rows = take_rows(both, order)

    def _contenders(self, scores: np.ndarray) -> np.ndarray:
        """Positions of the chunk's rows that could enter the top n: at least as good as both the
        chunk's own n-th best and the current n-th best (ties included, for the tie keys to decide)."""
        if len(scores) <= self.n:
            return np.arange(len(scores))
        threshold = np.partition(scores, len(scores) - self.n)[len(scores) - self.n]
        if len(self.scores) == self.n:
            threshold = max(threshold, self.scores[-1])
        return np.flatnonzero(scores >= threshold)


def representative_rows(X, n: int, seed: int) -> np.ndarray:
    """Indices of n rows that spread over the feature space: the row nearest each k-means centre.

    Used for the first batch, before any model exists, so that it covers the data's main groups
    instead of being "the first n rows" or a clump of near-duplicates.
    """
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import pairwise_distances_argmin_min

    rows = X.shape[0]
    if rows <= n:
        return np.arange(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # duplicate rows: empty clusters are handled below
        kmeans = KMeans(n_clusters=n, n_init=3, random_state=seed).fit(X)
    chosen: list[int] = []
    for cluster in range(n):
        members = np.flatnonzero(kmeans.labels_ == cluster)
        if len(members) == 0:
            continue
        nearest, _ = pairwise_distances_argmin_min(kmeans.cluster_centers_[cluster : cluster + 1], X[members])
        chosen.append(int(members[nearest[0]]))
    if len(chosen) < n:  # empty clusters: fill from the rest in a seeded random order
        rest = np.setdiff1d(np.arange(rows), chosen)
        rng = np.random.default_rng(seed)
        chosen.extend(rng.permutation(rest)[: n - len(chosen)].tolist())
    return np.asarray(chosen)


def vote_entropy(member_proba: list[np.ndarray]) -> np.ndarray:
    """Query-by-committee disagreement: entropy of the members' hard votes (Dagan & Engelson 1995)."""
    votes = np.stack([p.argmax(axis=1) for p in member_proba], axis=1)
    classes = member_proba[0].shape[1]
    share = np.stack([(votes == k).mean(axis=1) for k in range(classes)], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(share > 0, share * np.log(share), 0.0).sum(axis=1)


def kl_disagreement(member_proba: list[np.ndarray]) -> np.ndarray:
    """Query-by-committee disagreement: mean KL divergence of each member from the consensus
    (McCallum & Nigam 1998)."""
    stacked = np.clip(np.stack(member_proba), 1e-12, 1.0)
    consensus = stacked.mean(axis=0)
    return (stacked * np.log(stacked / consensus)).sum(axis=2).mean(axis=0)


def k_center_greedy(X, n: int, centers=None, seed: int = 0) -> np.ndarray:
    """Indices of n rows of X chosen farthest-first from the centers (and from each other): the
    core-set batch of Sener & Savarese (2018). Without centers, the first row is a seeded pick."""
    from sklearn.metrics import pairwise_distances

    rows = X.shape[0]
    if rows <= n:
        return np.arange(rows)
    if centers is not None and centers.shape[0]:
        nearest = pairwise_distances(X, centers).min(axis=1)
        chosen: list[int] = []
    else:
        first = int(np.random.default_rng(seed).integers(rows))
        chosen = [first]
        nearest = pairwise_distances(X, X[first : first + 1]).ravel()
    while len(chosen) < n:
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, pairwise_distances(X, X[pick : pick + 1]).ravel())
    return np.asarray(chosen)


def weighted_clusters(X, weights: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of n rows: the row nearest each centre of a k-means weighted by usefulness.

    The diverse mini-batch of Zhdanov (2019): cluster the most uncertain candidates so that a
    batch covers several regions of doubt instead of fifty near-duplicates of one.
    """
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import pairwise_distances_argmin_min

    rows = X.shape[0]
    if rows <= n:
        return np.arange(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # duplicate rows: empty clusters are handled below
        kmeans = KMeans(n_clusters=n, n_init=1, random_state=seed).fit(X, sample_weight=np.maximum(weights, 1e-9))
    chosen: list[int] = []
    for cluster in range(n):
        members = np.flatnonzero(kmeans.labels_ == cluster)
        if len(members):
            nearest, _ = pairwise_distances_argmin_min(kmeans.cluster_centers_[cluster : cluster + 1], X[members])
            chosen.append(int(members[nearest[0]]))
    rest = [i for i in np.argsort(-weights, kind="stable") if i not in set(chosen)]
    return np.asarray(chosen + rest[: n - len(chosen)])


def class_quotas(predicted: np.ndarray, scores: np.ndarray, n: int, classes: int) -> np.ndarray:
    """Indices of n rows with an equal share for each predicted class, most useful first within a
    class; shares a class cannot fill go to the most useful rows left. Rare classes get found."""
    order = np.argsort(-scores, kind="stable")
    by_class = [order[predicted[order] == k] for k in range(classes)]
    chosen: list[int] = []
    depth = 0
    while len(chosen) < min(n, len(scores)):
        added = False
        for members in by_class:
            if depth < len(members) and len(chosen) < n:
                chosen.append(int(members[depth]))
                added = True
        if not added:
            break
        depth += 1
    return np.asarray(chosen)
