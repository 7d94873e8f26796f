"""The label-efficiency datasets, shared by run.py (strategies) and defaults.py (defaults).

Each maker writes (or finds) one labeled file in a scratch folder and returns its path. The real
sets come from ../shared/datasets; scikit-learn's bundled ones work offline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
# ../shared/datasets beside the repository (or beside a folder of worktrees holding it)
SHARED = next(
    (p / "shared" / "datasets" for p in REPO.parents if (p / "shared" / "datasets").is_dir()),
    REPO.parent / "shared" / "datasets",
)
RARE_SEED = 0  # the seed of every subsample that makes a class rare
RARE_SHARE = 0.08  # movie_reviews_rare: the share of "rotten" after the cut


def penguins(folder: Path) -> Path:
    pool = pd.read_csv(REPO / "sample_data" / "penguins.csv", keep_default_na=False)
    pool["species"] = pd.read_csv(REPO / "sample_data" / "penguins_answers.csv")["species"]
    path = folder / "penguins.csv"
    pool.to_csv(path, index=False)
    return path


def movie_reviews(folder: Path) -> Path:
    source = SHARED / "movie_reviews.csv"
    if not source.exists():
        pool = pd.read_csv(REPO / "sample_data" / "movie_reviews.csv", keep_default_na=False)
        pool["sentiment"] = pd.read_csv(REPO / "sample_data" / "movie_reviews_answers.csv")["sentiment"]
        source = folder / "movie_reviews.csv"
        pool.to_csv(source, index=False)
    return source


def rare_subsample(labels: np.ndarray, rare: str, share: float, seed: int = RARE_SEED) -> np.ndarray:
    """Positions to keep: every row of the other classes and a seeded sample of class `rare`,
    sized so that it makes up `share` of the rows kept."""
    others = np.flatnonzero(labels != rare)
    of_rare = np.flatnonzero(labels == rare)
    wanted = round(share / (1 - share) * len(others))
    if wanted > len(of_rare):
        raise ValueError(f"class {rare!r} has {len(of_rare)} rows, fewer than the {wanted} a share of {share:g} needs")
    kept = np.random.default_rng(seed).choice(of_rare, size=wanted, replace=False)
    return np.sort(np.concatenate([others, kept]))


def movie_reviews_rare(folder: Path) -> Path:
    """movie_reviews with "rotten" cut to 8% of the rows by a seeded subsample."""
    pool = pd.read_csv(movie_reviews(folder), keep_default_na=False)
    kept = rare_subsample(pool["sentiment"].to_numpy(), "rotten", RARE_SHARE)
    path = folder / "movie_reviews_rare.csv"
    pool.iloc[kept].to_csv(path, index=False)
    return path


def shared_csv(name: str):
    """A maker for one of ../shared/datasets' files, read where it lies."""
    return lambda folder: SHARED / f"{name}.csv"


def _sklearn(loader, name: str, folder: Path, keep=None) -> Path:
    bunch = loader()
    frame = pd.DataFrame(bunch.data, columns=[str(c).replace(" ", "_") for c in bunch.feature_names])
    frame["target"] = [str(bunch.target_names[t]) if hasattr(bunch, "target_names") else str(t) for t in bunch.target]
    if keep is not None:
        frame = frame[keep(bunch.target)]
    path = folder / f"{name}.parquet"
    frame.reset_index(drop=True).to_parquet(path, index=False)
    return path


def sklearn_set(loader_name: str, name: str, keep=None):
    def make(folder: Path) -> Path:
        from sklearn import datasets

        return _sklearn(getattr(datasets, loader_name), name, folder, keep)

    return make


def digits_rare_mask(target: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (target < 5) | (rng.random(len(target)) < 0.1)


# name -> (make the labeled file, its label column)
DATASETS = {
    "penguins": (penguins, "species"),
    "wine": (sklearn_set("load_wine", "wine"), "target"),
    "breast_cancer": (sklearn_set("load_breast_cancer", "breast_cancer"), "target"),
    "digits": (sklearn_set("load_digits", "digits"), "target"),
    "digits_rare": (sklearn_set("load_digits", "digits_rare", keep=digits_rare_mask), "target"),
    "movie_reviews": (movie_reviews, "sentiment"),
    "page_blocks": (shared_csv("page_blocks"), "block"),
    "yeast_me2": (shared_csv("yeast_me2"), "site"),
    "satimage": (shared_csv("satimage"), "soil"),
    "movie_reviews_rare": (movie_reviews_rare, "sentiment"),
}
TEXT_SETS = {"movie_reviews", "movie_reviews_rare"}
