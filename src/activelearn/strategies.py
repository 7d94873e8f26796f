"""Query strategies: score candidate rows and pick a batch. Pure functions of their inputs.

Every choice is reproducible: ties (and the `random` strategy) are decided by a seeded hash of
each row's id, so the batch does not depend on row order or on how the pool is chunked.
"""

from __future__ import annotations

import hashlib

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

    Best means highest score; equal scores go to the lower tie key. The result is the same for
    any chunking of the same rows.
    """

    def __init__(self, n: int):
        self.n = n
        self.ids = np.empty(0, dtype=object)
        self.scores = np.empty(0)
        self.keys = np.empty(0, dtype=np.uint64)

    def push(self, ids, scores, keys) -> None:
        all_ids = np.concatenate([self.ids, np.asarray(ids, dtype=object)])
        all_scores = np.concatenate([self.scores, np.asarray(scores, dtype=float)])
        all_keys = np.concatenate([self.keys, np.asarray(keys, dtype=np.uint64)])
        order = np.lexsort((all_keys, -all_scores))[: self.n]
        self.ids, self.scores, self.keys = all_ids[order], all_scores[order], all_keys[order]


def representative_rows(X, n: int, seed: int) -> np.ndarray:
    """Indices of n rows that spread over the feature space: the row nearest each k-means centre.

    Used for the first batch, before any model exists, so that it covers the data's main groups
    instead of being "the first n rows" or a clump of near-duplicates.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances_argmin_min

    rows = X.shape[0]
    if rows <= n:
        return np.arange(rows)
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
