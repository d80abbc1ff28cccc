"""An embedder for benchmarks that embeds every text of a run once (e5 costs ~25 ms a text,
the light MiniLM embedder ~12 ms).

With a cache file (outside the repository: the vectors are derived from the shared data), vectors
are kept between runs, keyed by the model's name and each text's SHA-256.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from earful.ml.embeddings import E5Embedder, Embedder, Remembering


class _Lazy:
    """An embedder made on first use: a run whose texts are all cached never loads the model."""

    def __init__(self, make: Callable[[], Embedder]) -> None:
        self._make = make
        self._model: Embedder | None = None
        self.name: str = getattr(make, "name", "")
        self.dim: int = getattr(make, "dim", 0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            self._model = self._make()
        return self._model.embed(texts)


class CachedEmbedder(Remembering):
    """An embedder (e5 unless `model` says otherwise) with every text of the run embedded once up
    front, the product's `Remembering` embedder primed from a cache file; it carries the model's
    name, so a classifier trained with it is the one deployed."""

    def __init__(
        self, texts: Sequence[str], cache: Path | None = None, model: Callable[[], Embedder] = E5Embedder
    ) -> None:
        super().__init__(_Lazy(model))
        started = time.perf_counter()
        unique = list(dict.fromkeys(texts))
        stored: dict[str, np.ndarray] = {}
        if cache is not None and cache.suffix != ".npz":
            cache = cache.with_name(cache.name + ".npz")  # the name numpy gives it
        if cache is not None and cache.exists():
            with np.load(cache) as saved:
                stored = dict(zip(saved["keys"].tolist(), saved["vectors"], strict=True))
        self._kept.update((t, stored[self._digest(t)]) for t in unique if self._digest(t) in stored)
        missing = [t for t in unique if t not in self._kept]
        self.embed(missing)
        elapsed = time.perf_counter() - started
        print(
            f"embedded {len(missing):,} texts in {elapsed:.0f} s"
            + (f" ({len(missing) / elapsed:,.0f} texts/s)" if missing and elapsed else "")
            + (f"; {len(unique) - len(missing):,} read from {cache}" if cache is not None else "")
        )
        if cache is not None and missing:
            stored.update((self._digest(t), self._kept[t]) for t in missing)
            np.savez(cache, keys=np.array(list(stored)), vectors=np.stack(list(stored.values())))

    def _digest(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\n{text}".encode()).hexdigest()
