"""The project's cache of the pool's text vectors (data/embeddings/<column>/).

The cache is keyed by what a vector depends on: the text itself (a digest of it), and the model
(a digest of its files). It is written part by part, each part atomically, so an interrupted build
leaves complete parts that the next command reuses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .embeddings import MODEL_NAME, WIDTH, KnownVectors, known_vectors, model_digest, text_digests, text_model

CACHE_FOLDER = ("data", "embeddings")
CACHE_CHUNK_ROWS = 16_384  # pool rows per cache part (pool.CHUNK_ROWS): what an interrupted build loses at most


def cache_folder(root: Path, column: str) -> Path:
    """data/embeddings/<column>: the column's name when it makes a plain folder name, else a digest of it."""
    plain = column and all(c.isascii() and (c.isalnum() or c in "_-.") for c in column) and not column.startswith(".")
    name = column if plain else "column-" + hashlib.sha256(column.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Path(root).joinpath(*CACHE_FOLDER, name)


def pool_vectors(paths, column: str, *, build: bool) -> KnownVectors | None:
    """The cached vectors of the pool's texts in `column`, made first (or finished) with `build`
    (under the project lock); without it, whatever complete parts there are (None: none)."""
    chunk_rows = CACHE_CHUNK_ROWS
    folder = cache_folder(paths.root, column)
    written = _read_manifest(folder)  # read once: each file and part is looked at once per call
    if not build and written is None:
        return None
    manifest = _manifest(paths, column, chunk_rows)
    if build:
        complete = _build(paths, folder, column, manifest, chunk_rows, written)
    elif written != manifest:
        return None
    else:
        complete = _complete_parts(folder, manifest["part_rows"])
    return _open_parts(folder, manifest, complete)


def _manifest(paths, column: str, chunk_rows: int) -> dict:
    """What the cache was computed from: the model, the column, and the pool (its parts, sizes and rows)."""
    from .pool import chunk_sizes
    from .tabular import parquet_parts

    parts = parquet_parts(paths.pool)
    part_rows = chunk_sizes(paths.pool, chunk_rows)
    return {
        "part_rows": part_rows,
        "schema_version": 1,
        "model": MODEL_NAME,
        "model_sha256": model_digest(),
        "column": column,
        "pool_rows": sum(part_rows),  # as pool.pool_rows counts them, without reading the metadata again
        "pool_parts": [[p.name, p.stat().st_size] for p in parts],
        "chunk_rows": chunk_rows,
        "width": WIDTH,
        "dtype": "float32",
    }


def _read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _part_files(folder: Path, number: int) -> tuple[Path, Path]:
    return folder / f"part-{number:05d}.npy", folder / f"part-{number:05d}.digests.npy"


def _complete_part(folder: Path, number: int, rows: int) -> bool:
    """A part counts once its digests file, written last, is there and both files hold `rows` rows."""
    vectors, digests = _part_files(folder, number)
    try:
        return np.load(digests, mmap_mode="r").shape == (rows,) and np.load(vectors, mmap_mode="r").shape == (
            rows,
            WIDTH,
        )
    except (OSError, ValueError):
        return False


def _complete_parts(folder: Path, part_rows: list[int]) -> list[bool]:
    return [_complete_part(folder, number, rows) for number, rows in enumerate(part_rows)]


def _build(paths, folder: Path, column: str, manifest: dict, chunk_rows: int, written: dict | None) -> list[bool]:
    """Embed the pool's texts part by part, skipping the parts already complete; `written`: the
    manifest on disk. Every part is complete on return (as the list says)."""
    import shutil

    from .features import FrameCoercer
    from .pool import iter_chunks
    from .progress import phase
    from .rows import arrow_to_frame
    from .storage import atomic_path, write_text

    if written != manifest:  # another model or pool: start again
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        write_text(folder / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        complete = [False] * len(manifest["part_rows"])
    else:
        complete = _complete_parts(folder, manifest["part_rows"])
    if all(complete):
        return complete
    advance = phase(f"embedding the text column {column!r} of the pool", total=manifest["pool_rows"])
    coerce = FrameCoercer({column: "text"})
    done = 0
    for number, chunk in enumerate(iter_chunks(paths.pool, [column], chunk_rows)):
        rows = len(chunk)
        if not complete[number]:
            texts = coerce.transform(arrow_to_frame(chunk))[column].tolist()
            vectors_file, digests_file = _part_files(folder, number)
            with atomic_path(vectors_file) as tmp, open(tmp, "wb") as f:
                np.save(f, text_model().embed(texts))
            with atomic_path(digests_file) as tmp, open(tmp, "wb") as f:
                np.save(f, text_digests(texts))
            complete[number] = True
        done += rows
        advance(done)
    return complete


def _open_parts(folder: Path, manifest: dict, complete: list[bool]) -> KnownVectors | None:
    """The parts `complete` marks, memory-mapped: the digests in memory (16 bytes a row), the
    vectors read from disk only where a text is looked up."""
    vectors, digests, offsets = [], [], [0]
    for number, rows in enumerate(manifest["part_rows"]):
        if not complete[number]:
            continue
        vectors_file, digests_file = _part_files(folder, number)
        vectors.append(np.load(vectors_file, mmap_mode="r"))
        digests.append(np.load(digests_file))
        offsets.append(offsets[-1] + rows)
    if not vectors:
        return None
    starts = np.asarray(offsets)  # of each part's rows

    def fetch(positions: np.ndarray) -> np.ndarray:
        part = np.searchsorted(starts, positions, side="right") - 1
        out = np.empty((len(positions), WIDTH), dtype=np.float32)
        for p in np.unique(part):
            here = np.flatnonzero(part == p)
            out[here] = vectors[p][positions[here] - starts[p]]
        return out

    return KnownVectors(np.concatenate(digests), fetch)


@contextlib.contextmanager
def pool_vectors_open(paths, columns: dict[str, str], *, needed: bool, build: bool) -> Iterator[None]:
    """Inside the block, TextEmbedders take the pool's texts' vectors from the project's cache,
    one cache per text column: made first (or finished) with `build`, which needs the project
    lock. Nothing at all unless `needed` (no text is embedded: the cache is not even looked at)."""
    from .config import columns_with_role

    stores = [pool_vectors(paths, name, build=build) for name in columns_with_role(columns, "text")] if needed else []
    with known_vectors(*stores):
        yield
