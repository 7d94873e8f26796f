"""Text -> vectors with the bundled sentence model, and where a command's vectors come from.

The model is WordLlama's `l2_supercat` (256 dimensions, MIT), whose weights and tokenizer ship in
the `wordllama` wheel. It is loaded from those files alone (safetensors and tokenizers read them;
neither wordllama nor huggingface_hub is imported), so no command ever opens a network connection for it. A text's vector is the mean of its
tokens' vectors, scaled to length 1 (zeros for a text without tokens); it depends on the text
alone, never on the texts embedded with it, so a cached vector and a fresh one are the same numbers.

`TextEmbedder`, the transformer a saved model holds, looks the texts up in the caches a command
opened (`known_vectors`; the project's cache of the pool's vectors is embedding_cache.py) and
embeds the rest itself.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .errors import StateError
from .storage import sha256_files

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL_NAME = "WordLlama l2_supercat (256-d)"
WIDTH = 256
WEIGHTS = ("weights", "l2_supercat_256.safetensors")
TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
SCHEME = "wordllama-l2_supercat_256/mean-of-tokens/l2-normalized/v1"  # how a vector is made from the files
TEXTS_PER_BATCH = 512  # texts tokenized at once
TOKENS_PER_BATCH = 131_072  # token vectors gathered at once (128 MiB of float32): bounds memory on long texts
DIGEST_BYTES = 16
REINSTALL = (
    "reinstall activelearn (pip install --force-reinstall activelearn)"  # how a missing or damaged model is mended
)


# --- the model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextModel:
    """The bundled model: its token vectors and tokenizer."""

    vectors: np.ndarray  # (vocabulary, WIDTH) float32
    tokenizer: Tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit-length float32 vector per text (zeros for a text without tokens)."""
        from .pool import slices

        out = np.zeros((len(texts), WIDTH), dtype=np.float32)
        for start, stop in slices(len(texts), TEXTS_PER_BATCH):
            encoded = self.tokenizer.encode_batch(texts[start:stop], add_special_tokens=False)
            ids = [np.asarray(e.ids, dtype=np.int64) for e in encoded]
            self._pool(ids, out[start:stop])
        return out

    def _pool(self, ids: list[np.ndarray], out: np.ndarray) -> None:
        """Mean token vector of each text, normalized, into `out`; gathered in pieces of at most
        TOKENS_PER_BATCH tokens (a longer text alone). Each text's sum runs over its own tokens
        in order, whatever texts share its piece, so the numbers are the text's alone."""
        last = len(self.vectors) - 1
        row = 0
        while row < len(ids):
            end, tokens = row, 0
            while end < len(ids) and (end == row or tokens + len(ids[end]) <= TOKENS_PER_BATCH):
                tokens += len(ids[end])
                end += 1
            lengths = np.array([len(i) for i in ids[row:end]])
            present = np.flatnonzero(lengths)
            if len(present):
                flat = np.clip(np.concatenate([ids[row + p] for p in present]), 0, last)
                starts = np.concatenate([[0], np.cumsum(lengths[present])[:-1]])
                sums = np.add.reduceat(self.vectors[flat], starts, axis=0)
                means = sums / lengths[present, None].astype(np.float32)
                norms = np.linalg.norm(means, axis=1, keepdims=True)
                out[row + present] = np.divide(means, norms, out=np.zeros_like(means), where=norms > 0)
            row = end


_model: TextModel | None = None
_model_lock = threading.Lock()


def text_model() -> TextModel:
    """The bundled model, loaded once per process from the wordllama package's own files."""
    global _model
    with _model_lock:
        if _model is None:
            _model = _load_model()
        return _model


def model_files() -> tuple[Path, Path]:
    """(weights, tokenizer config) in the installed wordllama package, both there; no download, ever."""
    folder = _package_folder()
    files = folder.joinpath(*WEIGHTS), folder.joinpath(*TOKENIZER)
    for path in files:
        if not path.is_file():
            raise StateError(f"{path}: the text embedding model's file is missing; {REINSTALL}")
    return files


def _package_folder() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("wordllama")  # its folder, without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise StateError(f"the text embedding model is missing: the wordllama package is not installed; {REINSTALL}")
    return Path(list(spec.submodule_search_locations)[0])


def _load_model() -> TextModel:
    weights, tokenizer_file = model_files()
    from safetensors import safe_open
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        with safe_open(str(weights), framework="np") as f:
            vectors = np.ascontiguousarray(f.get_tensor("embedding.weight"), dtype=np.float32)
    except Exception as exc:  # noqa: BLE001 - a damaged file, whatever the library says about it
        raise StateError(
            f"{weights.parent.parent}: the text embedding model cannot be read ({exc}); {REINSTALL}"
        ) from None
    tokenizer.no_padding()
    tokenizer.no_truncation()
    if vectors.ndim != 2 or vectors.shape[1] != WIDTH:
        raise StateError(f"{weights}: holds vectors of shape {vectors.shape}, not (n, {WIDTH}); {REINSTALL}")
    return TextModel(vectors, tokenizer)


def model_digest() -> str:
    """What the vectors depend on besides the text: the model's files and how they are used.
    The files are hashed, not loaded: a command whose texts are all cached never loads the model."""
    return _files_digest(SCHEME, model_files())


@functools.lru_cache(maxsize=4)
def _files_digest(scheme: str, files: tuple[Path, ...]) -> str:
    """Memoized by what the digest is made from (once per process for the installed model)."""
    return sha256_files(list(files), prefix=scheme.encode())


def text_digests(texts) -> np.ndarray:
    """A 16-byte digest of each text (what the caches are keyed by)."""
    out = np.empty(len(texts), dtype=f"S{DIGEST_BYTES}")
    for i, text in enumerate(texts):
        out[i] = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=DIGEST_BYTES).digest()
    return out


# --- where vectors come from: the caches a command opened, else the model ------------------------


class KnownVectors:
    """Vectors looked up by text digest: sorted digests, and where each one's vector is."""

    def __init__(self, digests: np.ndarray, fetch):
        keys = _sort_keys(digests)
        order = np.argsort(keys, kind="stable")
        self.keys, self.digests = (
            keys[order],
            digests[order],
        )  # sorted and searched by the first 8 bytes
        self.positions = order  # position in the store's own numbering
        self.fetch = fetch  # positions (sorted) -> their vectors

    @classmethod
    def of(cls, texts: list[str]) -> KnownVectors:
        """The texts embedded now, kept in memory (simulate's data: embedded once, not per fit)."""
        texts = list(dict.fromkeys(texts))
        return cls(text_digests(texts), _InMemory(text_model().embed(texts)))

    def find(self, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of `digests` are known, their vectors)."""
        if not len(self.digests) or not len(digests):
            return np.zeros(len(digests), dtype=bool), np.zeros((0, WIDTH), dtype=np.float32)
        at = np.minimum(np.searchsorted(self.keys, _sort_keys(digests)), len(self.keys) - 1)
        found = self.digests[at] == digests  # all 16 bytes: two texts sharing the first 8 are told apart
        positions = self.positions[at[found]]
        if not len(positions):
            return found, np.zeros((0, WIDTH), dtype=np.float32)
        unique, back = np.unique(positions, return_inverse=True)
        return found, np.asarray(self.fetch(unique), dtype=np.float32)[back]


def _sort_keys(digests: np.ndarray) -> np.ndarray:
    """The first 8 bytes of each digest as an integer: sorting and searching those is ten times
    faster than 16-byte strings."""
    return np.ascontiguousarray(digests).view(np.uint64)[::2] if len(digests) else np.zeros(0, dtype=np.uint64)


class _InMemory:
    """Vectors held in memory, fetched by position (a class, not a closure: simulate sends it to
    its worker processes)."""

    def __init__(self, vectors: np.ndarray):
        self.vectors = vectors

    def __call__(self, positions: np.ndarray) -> np.ndarray:
        return self.vectors[positions]


_known: list[KnownVectors] = []


@contextlib.contextmanager
def known_vectors(*stores: KnownVectors | None) -> Iterator[None]:
    """Let every `TextEmbedder` in this process take its vectors from `stores` inside the block."""
    added = [s for s in stores if s is not None]
    _known.extend(added)
    try:
        yield
    finally:
        for store in added:
            _known.remove(store)


def vectors_of(texts: list[str]) -> np.ndarray:
    """The vector of each text: from an open cache when it holds the text, else from the model."""
    out = np.empty((len(texts), WIDTH), dtype=np.float32)
    todo = np.ones(len(texts), dtype=bool)
    if _known and len(texts):
        digests = text_digests(texts)
        for store in list(_known):
            rows = np.flatnonzero(todo)
            if not len(rows):
                break
            found, vectors = store.find(digests[rows])
            out[rows[found]] = vectors
            todo[rows[found]] = False
    rows = np.flatnonzero(todo)
    if len(rows):
        out[rows] = text_model().embed([texts[i] for i in rows])
    return out


class TextEmbedder(TransformerMixin, BaseEstimator):
    """A text column -> its 256-d sentence vectors (dense). Holds no weights: the model is loaded
    from the wordllama package when a text is not in an open cache."""

    def __init__(self, column: str = ""):
        self.column = column

    def fit(self, X, y=None):
        self.n_features_in_ = 1
        return self

    def transform(self, X) -> np.ndarray:
        from .features import _one_column

        values = _one_column(X)
        return vectors_of([str(v) for v in (values.tolist() if hasattr(values, "tolist") else values)])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        name = self.column or "text"
        return np.asarray([f"{name}_embedding_{i}" for i in range(WIDTH)], dtype=object)


def uses_embeddings(pipeline) -> bool:
    """Whether a fitted pipeline embeds text (its features hold a TextEmbedder)."""
    from .features import column_transformer

    columns = column_transformer(pipeline)
    if columns is None:
        return False
    # build_features puts every TextEmbedder in a pipeline of its own ("drop" has no steps)
    return any(
        isinstance(s, TextEmbedder)
        for _, step, _ in getattr(columns, "transformers_", columns.transformers)
        for _, s in getattr(step, "steps", [])
    )


# --- the project's cache of the pool's vectors -------------------------------------------------
