"""Text embeddings ([features] text): the bundled model offline, the pool's cache, the loop."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from activelearn import embedding_cache, embeddings
from activelearn.config import Config, config_from_dict
from activelearn.versions import training_key

from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli, snapshot

REVIEWS = SAMPLE / "movie_reviews.csv"
NO_NETWORK = """
import socket
class Refused(socket.socket):
    def __init__(self, *args, **kwargs):
        raise OSError("network disabled by the test")
def refused(*args, **kwargs):
    raise OSError("network disabled by the test")
socket.socket = Refused
socket.create_connection = refused
"""


@pytest.fixture
def offline(monkeypatch):
    """No socket can be made in this process; the model is loaded again under that rule."""

    class Refused(socket.socket):  # a class: ssl and asyncio subclass socket.socket
        def __init__(self, *args, **kwargs):
            raise OSError("network disabled by the test")

    def refused(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket, "socket", Refused)
    monkeypatch.setattr(socket, "create_connection", refused)
    monkeypatch.setattr(embeddings, "_model", None)


@pytest.fixture
def embedded_texts(monkeypatch):
    """Every text the model embeds in this process, in order."""
    seen: list[str] = []
    original = embeddings.TextModel.embed

    def counting(self, texts):
        seen.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(embeddings.TextModel, "embed", counting)
    return seen


def _texts() -> list[str]:
    return pd.read_csv(REVIEWS)["text"].fillna("").astype(str).tolist()


# --- the model -----------------------------------------------------------------------------------


def test_the_model_loads_from_the_package_and_embeds_with_the_network_disabled(offline):
    vectors = embeddings.text_model().embed(["a moving, funny film", "dull and far too long", ""])
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, rtol=1e-6)
    assert not vectors[2].any()  # no tokens: zeros, not NaN
    assert "wordllama" not in sys.modules  # its files are read; its loader (which downloads) never runs


def test_the_model_loads_offline_in_a_fresh_process_and_keeps_stderr_clean():
    script = NO_NETWORK + (
        "import sys\n"
        "from activelearn.embeddings import text_model\n"
        "print(text_model().embed(['a moving, funny film']).shape)\n"
        "print(sorted(m for m in ('wordllama', 'huggingface_hub') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "(1, 256)\n[]\n", "")


class _CountedVectors:
    """The model's token vectors, noting how many each gather takes."""

    def __init__(self, vectors, sizes: list[int]):
        self.vectors, self.sizes = vectors, sizes

    def __len__(self):
        return len(self.vectors)

    def __getitem__(self, rows):
        self.sizes.append(len(rows))
        return self.vectors[rows]


class _CountedTokenizer:
    """The model's tokenizer, noting how many texts each encode call takes."""

    def __init__(self, tokenizer, sizes: list[int]):
        self.tokenizer, self.sizes = tokenizer, sizes

    def encode_batch(self, texts, **kwargs):
        self.sizes.append(len(texts))
        return self.tokenizer.encode_batch(texts, **kwargs)


def test_a_vector_is_the_same_alone_in_a_batch_or_in_another_order(monkeypatch):
    texts = _texts()[:400] + ["", "word " * 5000]  # an empty text and a long one among them
    loaded = embeddings.text_model()
    at_the_real_limits = loaded.embed(texts)  # which 402 texts of at most 5,000 tokens stay under
    # limits these texts cross: 7 encode calls, pieces of at most 1000 tokens, the long text alone
    monkeypatch.setattr(embeddings, "TEXTS_PER_BATCH", 64)
    monkeypatch.setattr(embeddings, "TOKENS_PER_BATCH", 1000)
    encoded, gathered = [], []
    model = embeddings.TextModel(
        _CountedVectors(loaded.vectors, gathered), _CountedTokenizer(loaded.tokenizer, encoded)
    )
    together = model.embed(texts)
    alone = np.vstack([model.embed([t]) for t in texts])
    reversed_ = model.embed(texts[::-1])[::-1]
    assert np.array_equal(together, alone) and np.array_equal(together, reversed_)
    assert np.array_equal(together, at_the_real_limits)
    long_text = len(loaded.tokenizer.encode("word " * 5000, add_special_tokens=False).ids)
    assert max(encoded) == 64 and encoded[:7] == [64] * 6 + [402 - 6 * 64]
    assert long_text > 1000 and long_text in gathered
    assert all(size <= 1000 for size in gathered if size != long_text)


def test_the_vectors_are_wordllamas_own(monkeypatch):
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # importing wordllama configures logging
    monkeypatch.setattr(root, "level", root.level)
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    model = embeddings.text_model()
    theirs = WordLlamaInference(model.vectors, Tokenizer.from_file(str(embeddings.model_files()[1])))
    texts = _texts()[:500]
    np.testing.assert_allclose(model.embed(texts), theirs.embed(texts, norm=True), rtol=0, atol=1e-6)


def test_a_missing_model_file_is_one_line_that_says_reinstall(monkeypatch, tmp_path):
    from activelearn.errors import StateError

    monkeypatch.setattr(embeddings, "_model", None)
    monkeypatch.setattr(embeddings, "_package_folder", lambda: tmp_path)
    with pytest.raises(StateError) as refused:
        embeddings.text_model()
    weights = tmp_path / "weights" / "l2_supercat_256.safetensors"
    assert refused.value.message == (
        f"{weights}: the text embedding model's file is missing; "
        "reinstall activelearn (pip install --force-reinstall activelearn)"
    )


def test_the_model_digest_hashes_the_files_without_loading_the_model(monkeypatch):
    monkeypatch.setattr(embeddings, "_model", None)
    expected = hashlib.sha256(embeddings.SCHEME.encode())
    for path in embeddings.model_files():
        expected.update(path.read_bytes())
    assert embeddings.model_digest() == expected.hexdigest()
    assert embeddings._model is None


@pytest.mark.parametrize("args", [["--help"], ["status"]])
def test_help_and_status_do_not_import_the_text_model(embedding_project, args):
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "activelearn",
            "-C",
            str(embedding_project),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert imported & {"wordllama", "tokenizers", "safetensors", "huggingface_hub"} == set()


# --- config ----------------------------------------------------------------------------------------


def _raw(**features) -> dict:
    raw = {
        "data": {"id_column": "id", "label_column": "y", "classes": ["a", "b"]},
        "columns": {"t": "text"},
    }
    return {**raw, "features": features} if features else raw


def test_config_text_is_validated_in_one_line():
    assert config_from_dict(_raw()).text == "tfidf"
    assert config_from_dict(_raw(text="both")).text == "both"
    with pytest.raises(Exception) as refused:
        config_from_dict(_raw(text="bert"), "p/activelearn.toml")
    assert refused.value.message == (
        "p/activelearn.toml: [features] text = 'bert' is not known (choose from tfidf, embedding, both)"
    )


def test_config_set_refuses_an_unknown_representation_and_changes_nothing(penguins_project):
    before = snapshot(penguins_project)
    result = run_cli("-C", penguins_project, "config", "set", "features.text", "embeddings")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: cannot set features.text: [features] text = 'embeddings' is not known "
        "(did you mean 'embedding'?) (choose from tfidf, embedding, both)\n"
    )
    assert snapshot(penguins_project) == before


def test_the_training_key_is_unchanged_without_the_key():
    config = config_from_dict(_raw())
    legacy = {"labels": "d", "model": config.model, "columns": config.columns, "seed": config.seed}
    expected = hashlib.sha256(json.dumps(legacy, sort_keys=True).encode()).hexdigest()
    assert training_key(config, "d") == expected == training_key(config_from_dict(_raw(text="tfidf")), "d")
    assert training_key(config_from_dict(_raw(text="embedding")), "d") != expected
    assert training_key(config_from_dict(_raw(text="both")), "d") not in (
        expected,
        training_key(
            Config(
                id_column="id",
                label_column="y",
                classes=("a", "b"),
                columns={"t": "text"},
                text="embedding",
            ),
            "d",
        ),
    )


# --- the project: cache, loop ----------------------------------------------------------------------


def _init_embedding(project: Path) -> None:
    result = run_cli("-q", "init", project, "--data", REVIEWS, "--label-column", "sentiment")
    assert result.exit_code == 0, result.stderr
    result = run_cli("-q", "-C", project, "config", "set", "features.text", "embedding")
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def embedding_project(tmp_path) -> Path:
    project = tmp_path / "reviews"
    _init_embedding(project)
    result = run_cli("-q", "-C", project, "train")
    assert result.exit_code == 0, result.stderr
    return project


def _cache(project: Path) -> Path:
    return project / "data" / "embeddings" / "text"


def test_the_whole_loop_runs_with_the_network_disabled(tmp_path, offline, embedded_texts):
    project = tmp_path / "reviews"
    _init_embedding(project)
    assert run_cli("-q", "-C", project, "train").exit_code == 0
    assert len(embedded_texts) == 3000  # the pool, once
    manifest = json.loads((_cache(project) / "manifest.json").read_text())
    assert (manifest["column"], manifest["pool_rows"], manifest["width"]) == ("text", 3000, 256)
    result = run_cli("-q", "-C", project, "query", "-n", "10")
    assert result.exit_code == 0, result.stderr
    batch = project / "batches" / "batch-0001.csv"
    assert fill_batch(batch, SAMPLE / "movie_reviews_answers.csv") == 10
    assert run_cli("-q", "-C", project, "import-labels", batch).exit_code == 0
    result = run_cli("-q", "-C", project, "--json", "train")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["n_labels"] == 20
    new = tmp_path / "new.csv"
    pd.DataFrame({"text": ["an unseen review, warm and funny", "an unseen one, a mess"], "movie": ["x", "y"]}).to_csv(
        new, index=False
    )
    out = tmp_path / "predictions.csv"
    result = run_cli("-q", "-C", project, "predict", "--data", new, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert len(pd.read_csv(out)) == 2
    # the pool was embedded by the first train and only the two new texts since
    assert embedded_texts[3000:] == ["an unseen review, warm and funny", "an unseen one, a mess"]


def test_the_cache_holds_the_vectors_the_model_gives(embedding_project):
    import pyarrow.parquet as pq

    from activelearn.project import ProjectPaths

    texts = pq.read_table(embedding_project / "data" / "pool.parquet", columns=["text"]).column(0).to_pylist()
    texts = ["" if t is None else t for t in texts]
    store = embedding_cache.pool_vectors(ProjectPaths(embedding_project), "text", build=False)
    found, cached = store.find(embeddings.text_digests(texts))
    assert found.all()
    assert np.array_equal(cached, embeddings.text_model().embed(texts[::-1])[::-1])
    assert sorted(p.name for p in _cache(embedding_project).iterdir()) == [
        "manifest.json",
        "part-00000.digests.npy",
        "part-00000.npy",
    ]


def test_later_commands_read_the_cache_instead_of_embedding(embedding_project, embedded_texts, tmp_path):
    assert run_cli("-q", "-C", embedding_project, "query", "-n", "10", "--strategy", "margin").exit_code == 0
    batch = embedding_project / "batches" / "batch-0001.csv"
    fill_batch(batch, SAMPLE / "movie_reviews_answers.csv")
    assert run_cli("-q", "-C", embedding_project, "import-labels", batch).exit_code == 0
    before = {p.name: p.stat().st_mtime_ns for p in _cache(embedding_project).iterdir()}
    for args in (
        ["train"],
        ["query", "-n", "5", "--strategy", "diverse"],
        ["predict", "--out", tmp_path / "p.csv"],
    ):
        result = run_cli("-q", "-C", embedding_project, *args)
        assert result.exit_code == 0, result.stderr
    assert embedded_texts == []
    assert {p.name: p.stat().st_mtime_ns for p in _cache(embedding_project).iterdir()} == before


def test_a_model_file_holds_no_embedding_matrix(embedding_project):
    model = next((embedding_project / "models").glob("*.skops"))
    assert model.stat().st_size < 200_000  # the matrix alone is 16 MB


def test_an_interrupted_cache_build_leaves_a_valid_project_that_resumes(tmp_path, monkeypatch, embedded_texts):
    project = tmp_path / "reviews"
    _init_embedding(project)
    monkeypatch.setattr(embedding_cache, "CACHE_CHUNK_ROWS", 1000)
    original = embeddings.TextModel.embed
    calls = []

    def interrupted(self, texts):
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, texts)

    monkeypatch.setattr(embeddings.TextModel, "embed", interrupted)
    before = json.loads((project / "state.json").read_text())
    result = run_cli("-q", "-C", project, "train")
    assert result.exit_code == 130
    assert json.loads((project / "state.json").read_text()) == before  # no model recorded
    assert sorted(p.name for p in _cache(project).iterdir()) == [
        "manifest.json",
        "part-00000.digests.npy",
        "part-00000.npy",
    ]  # one whole part, no half one
    verified = run_cli("-C", project, "verify")
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    monkeypatch.setattr(embeddings.TextModel, "embed", original)  # embedded_texts' counting one
    embedded_texts.clear()
    assert run_cli("-q", "-C", project, "train").exit_code == 0
    assert len(embedded_texts) == 2000  # the parts still missing, not the one done
    names = sorted(p.name for p in _cache(project).iterdir())
    assert names == ["manifest.json"] + [f"part-{n:05d}{s}" for n in range(3) for s in (".digests.npy", ".npy")]


def test_a_changed_model_rebuilds_the_cache(embedding_project, monkeypatch, embedded_texts):
    from activelearn.project import ProjectPaths

    paths = ProjectPaths(embedding_project)
    monkeypatch.setattr(embeddings, "SCHEME", embeddings.SCHEME + "-changed")
    monkeypatch.setattr(embeddings, "_model", None)
    assert embedding_cache.pool_vectors(paths, "text", build=False) is None  # not read as this model's
    embedding_cache.pool_vectors(paths, "text", build=True)
    assert len(embedded_texts) == 3000


# --- simulate ---------------------------------------------------------------------------------------


def test_simulate_embeds_the_texts_once(tmp_path, embedded_texts):
    result = run_cli(
        "-q",
        "--json",
        "simulate",
        REVIEWS.with_name("movie_reviews_labeled.csv"),
        "--label-column",
        "sentiment",
        "--text",
        "embedding",
        "--repeats",
        "1",
        "--initial",
        "4",
        "--batch-size",
        "4",
        "--budget",
        "12",
        "--jobs",
        "1",
        "--out",
        tmp_path / "sim",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["budget"] == 12
    texts = pd.read_csv(REVIEWS.with_name("movie_reviews_labeled.csv"))["text"].fillna("").astype(str)
    assert sorted(embedded_texts) == sorted(set(texts))  # each text once, not once per fit
    assert "- text: embedding" in (tmp_path / "sim" / "summary.md").read_text()


def test_simulate_refuses_an_unknown_text_representation(tmp_path):
    result = run_cli(
        "simulate",
        REVIEWS,
        "--label-column",
        "sentiment",
        "--text",
        "bert",
        "--out",
        tmp_path / "s",
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("error: --text 'bert' is not a text representation (choose from tfidf, embedding, both)\n")


def test_a_cold_start_query_builds_the_cache_and_train_reuses_it(tmp_path, embedded_texts):
    project = tmp_path / "reviews"
    _init_embedding(project)
    result = run_cli("-q", "-C", project, "--json", "query", "-n", "5")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["strategy"] == "representative"  # no model yet: k-means on the vectors
    assert len(embedded_texts) == 3000 and len(read_batch_ids(project / "batches" / "batch-0001.csv")) == 5
    assert run_cli("-q", "-C", project, "train").exit_code == 0
    assert len(embedded_texts) == 3000


def test_cache_parts_follow_the_pools_row_groups(tmp_path, monkeypatch):
    import activelearn.ops.init as initialize
    from activelearn.project import ProjectPaths

    monkeypatch.setattr(initialize, "CHUNK_ROWS", 700)  # row groups of 700 rows: chunks of at most 1000 break there
    monkeypatch.setattr(embedding_cache, "CACHE_CHUNK_ROWS", 1000)
    project = tmp_path / "reviews"
    _init_embedding(project)
    store = embedding_cache.pool_vectors(ProjectPaths(project), "text", build=True)
    manifest = json.loads((_cache(project) / "manifest.json").read_text())
    assert manifest["part_rows"] == [700, 700, 700, 700, 200]
    texts = _texts()
    found, cached = store.find(embeddings.text_digests(texts))
    assert found.all() and np.array_equal(cached, embeddings.text_model().embed(texts))
    checked = []
    complete_part = embedding_cache._complete_part
    monkeypatch.setattr(
        embedding_cache, "_complete_part", lambda *args: checked.append(args[1]) or complete_part(*args)
    )
    for build in (True, False):
        checked.clear()
        assert embedding_cache.pool_vectors(ProjectPaths(project), "text", build=build) is not None
        assert checked == [0, 1, 2, 3, 4]  # each part looked at once per call
