"""The defaults benchmark's rule (benchmarks/label_efficiency/defaults.py) and its rare-class subsample."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks" / "label_efficiency"))
import defaults  # noqa: E402
from defaults import Config, choose_defaults, random_key, run_key, simulate_options  # noqa: E402
from sources import RARE_SEED, rare_subsample  # noqa: E402

CONFIGS = [
    Config("default", "none", "labels", "tfidf", "diverse", 0.0),
    Config("balanced", "balanced", "labels", "tfidf", "diverse", 0.0),
    Config("margin", "balanced", "labels", "tfidf", "margin", 0.0),
    Config("explore", "none", "labels", "tfidf", "diverse", 0.1),
]
SEEDS = 10
BASE = np.linspace(0.70, 0.75, SEEDS)  # per-seed AULCs, distinct so that no differences tie


def _runs(dataset: str, shifts: dict[str, float], f1_shifts: dict[str, float] | None = None) -> dict:
    """Per-seed AULCs of each configuration (and its learner's random) on a dataset: BASE moved by
    a shift, plus a little noise of its own (so that paired differences do not tie)."""
    f1_shifts = f1_shifts or {}
    runs = {}
    for number, config in enumerate(CONFIGS):
        for key, name in (
            (random_key(config, dataset), "random"),
            (run_key(config, dataset), config.name),
        ):
            if key in runs:
                continue
            noise = np.random.default_rng([len(dataset), number, name == "random"]).normal(0, 0.001, size=SEEDS)
            shift = shifts.get(name, 0.0)
            runs[key] = {
                "balanced_accuracy": BASE + shift + noise,
                "f1_macro": BASE + f1_shifts.get(name, shift) + noise,
            }
    return runs


def test_picks_the_best_mean_among_those_never_worse():
    aulc = {
        "a": _runs("a", {"random": -0.05, "balanced": 0.03, "margin": 0.05, "explore": 0.01}),
        "b": _runs("bb", {"random": -0.05, "balanced": 0.03, "margin": 0.04, "explore": 0.01}),
    }
    best, verdicts = choose_defaults(aulc, CONFIGS)
    assert best == "margin"
    assert all(v.eligible for v in verdicts)
    assert {v.config: round(v.mean_aulc - BASE.mean(), 3) for v in verdicts} == pytest.approx(
        {"default": 0.0, "balanced": 0.03, "margin": 0.045, "explore": 0.01}, abs=2e-3
    )


def test_excludes_one_significantly_worse_than_the_default_on_one_dataset():
    aulc = {
        "a": _runs("a", {"random": -0.05, "balanced": 0.03, "margin": 0.08}),
        "b": _runs("bb", {"random": -0.05, "balanced": 0.03, "margin": -0.01}),  # margin below default here
    }
    best, verdicts = choose_defaults(aulc, CONFIGS)
    by_name = {v.config: v for v in verdicts}
    assert best == "balanced"  # margin has the best mean, but loses to the default on b
    assert by_name["margin"].worse_on == [
        "b: balanced_accuracy below default",
        "b: f1_macro below default",
    ]
    assert not by_name["margin"].eligible


def test_excludes_one_worse_than_its_random_on_macro_f1_only():
    # "balanced" beats today's default but its own learner's random beats it on macro-F1
    aulc = {
        "a": _runs(
            "a",
            {"random": 0.0, "balanced": 0.03, "margin": 0.02},
            f1_shifts={"balanced": -0.01, "margin": 0.02},
        )
    }
    best, verdicts = choose_defaults(aulc, CONFIGS)
    assert {v.config: v.worse_on for v in verdicts}["balanced"] == [
        "a: f1_macro below random",
        "a: f1_macro below default",
    ]
    assert best == "margin"


def test_a_tie_goes_to_the_first_in_the_table_and_nothing_eligible_keeps_the_default():
    tied = {"a": _runs("a", {"random": -0.05, "balanced": 0.02})}
    tied["a"][run_key(CONFIGS[2], "a")] = tied["a"][run_key(CONFIGS[1], "a")]  # margin: the same AULCs
    assert choose_defaults(tied, CONFIGS)[0] == "balanced"
    all_worse = {"a": _runs("a", {"random": 0.05, "balanced": -0.02, "margin": -0.02, "explore": -0.02})}
    best, verdicts = choose_defaults(all_worse, CONFIGS)
    assert best == "default" and not any(v.eligible for v in verdicts)


def test_the_rule_by_kind_judges_the_text_sets_and_the_tables_apart():
    # on the text set "balanced" is best and "margin" falls below the default; on the table the
    # reverse: each kind keeps its own choice, where the joint rule keeps neither but "explore"
    aulc = {
        "movie_reviews": _runs("movie_reviews", {"random": -0.05, "balanced": 0.03, "margin": -0.02, "explore": 0.01}),
        "digits": _runs("digits", {"random": -0.05, "balanced": -0.02, "margin": 0.04, "explore": 0.01}),
    }
    by_kind = defaults.choose_by_kind(aulc, CONFIGS)
    assert {kind: best for kind, (best, _) in by_kind.items()} == {
        "text": "balanced",
        "tables": "margin",
    }
    assert {kind: [v.config for v in verdicts if v.eligible] for kind, (_, verdicts) in by_kind.items()} == {
        "text": ["default", "balanced", "explore"],
        "tables": ["default", "margin", "explore"],
    }
    assert choose_defaults(aulc, CONFIGS)[0] == "explore"


def test_a_configuration_without_results_on_a_dataset_is_not_a_candidate():
    aulc = {"a": _runs("a", {"random": -0.05, "margin": 0.05})}
    del aulc["a"][run_key(CONFIGS[2], "a")]
    best, verdicts = choose_defaults(aulc, CONFIGS)
    assert best != "margin" and {v.config: v.missing for v in verdicts}["margin"] == ["a"]


def test_text_has_no_effect_on_a_dataset_without_text():
    embedding = Config("e", "balanced", "pool", "embedding", "diverse", 0.1)
    tfidf = Config("t", "balanced", "pool", "tfidf", "diverse", 0.1)
    assert run_key(embedding, "digits") == run_key(tfidf, "digits") == "balanced-pool-tfidf_diverse_0.1"
    assert run_key(embedding, "movie_reviews") == "balanced-pool-embedding_diverse_0.1"
    assert random_key(embedding, "movie_reviews") == "balanced-pool-embedding_random"


def test_simulate_gets_only_the_settings_not_at_their_legacy_value():
    assert simulate_options(defaults.CONFIGS[0], "movie_reviews", 0.0) == {}
    combination = next(c for c in defaults.CONFIGS if c.name == "combination")
    assert simulate_options(combination, "digits", 0.1) == {
        "class_weight": "balanced",
        "fit_on": "pool",
        "explore": 0.1,
    }
    assert simulate_options(combination, "movie_reviews", 0.1) == {
        "class_weight": "balanced",
        "fit_on": "pool",
        "text": "embedding",
        "explore": 0.1,
    }


def test_the_legacy_settings_are_those_of_a_project_without_the_keys():
    # the published runs of today's learner were made with these: config's defaults must not drift
    assert defaults.LEGACY == {
        "class_weight": "none",
        "fit_on": "labels",
        "text": "tfidf",
        "explore": 0.0,
    }
    assert defaults.PROTOCOLS["wine"] == defaults.PROTOCOLS["penguins"] == {"initial": 3, "batch_size": 5, "budget": 60}


def test_the_rare_subsample_is_seeded_and_leaves_the_share_asked():
    labels = np.array(["fresh"] * 7000 + ["rotten"] * 5000)
    kept = rare_subsample(labels, "rotten", 0.08)
    assert np.array_equal(kept, rare_subsample(labels, "rotten", 0.08, seed=RARE_SEED))
    assert not np.array_equal(kept, rare_subsample(labels, "rotten", 0.08, seed=RARE_SEED + 1))
    rare = int((labels[kept] == "rotten").sum())
    assert rare == round(0.08 / 0.92 * 7000) == 609
    assert rare / len(kept) == pytest.approx(0.08, abs=0.001)
    assert (labels[kept] == "fresh").sum() == 7000  # every row of the other class stays
    assert len(np.unique(kept)) == len(kept)
    # the seeded draw itself, from a known-good run (the one movie_reviews_rare was made with)
    assert len(kept) == 7609 and kept[7000:7006].tolist() == [7001, 7012, 7017, 7023, 7026, 7030]
    assert kept[-3:].tolist() == [11977, 11986, 11992]


def test_a_rare_class_too_small_for_the_share_is_refused():
    labels = np.array(["a"] * 100 + ["b"] * 3)
    with pytest.raises(ValueError, match="class 'b' has 3 rows, fewer than the 9 a share of 0.08 needs"):
        rare_subsample(labels, "b", 0.08)
