"""What Earful's shipped text models share: hashed word and character n-grams (no vocabulary to
store, one space for every language), sublinear TF-IDF, and weights kept as plain numpy arrays
whose SHA-256 is checked before they are read (never pickle)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from earful.ml.text import fold

if TYPE_CHECKING:  # scikit-learn takes seconds to import: the hashers import it when first built
    from sklearn.feature_extraction.text import HashingVectorizer

HASH_BITS = 17  # per feature family: 131,072 word and 131,072 character buckets
MAX_CHARS = 4000  # the opening of a long text is enough to judge it


class ModelUnavailable(RuntimeError):
    """Shipped weights are missing or altered, with what to do about it."""


@lru_cache(maxsize=1)
def _hashers() -> tuple[HashingVectorizer, HashingVectorizer]:
    from sklearn.feature_extraction.text import HashingVectorizer

    size = 2**HASH_BITS
    words = HashingVectorizer(
        preprocessor=fold, ngram_range=(1, 2), n_features=size, alternate_sign=False, norm=None
    )
    chars = HashingVectorizer(
        preprocessor=fold,
        analyzer="char_wb",
        ngram_range=(2, 5),
        n_features=size,
        alternate_sign=False,
        norm=None,
    )
    return words, chars


def clip(texts: Sequence[str]) -> list[str]:
    """Return the texts cut to MAX_CHARS, lone surrogates (which UTF-8 cannot carry) made "?"."""
    return [_encodable(t[:MAX_CHARS]) for t in texts]


def _encodable(text: str) -> str:
    # A post read from JSON may hold a lone surrogate ("\ud800"); the n-gram hasher encodes
    # each n-gram as UTF-8 and would raise on it.
    if text.isascii():
        return text
    return text.encode("utf-8", "replace").decode("utf-8")


def counts(texts: Sequence[str]) -> sparse.csr_matrix:
    """Return the raw hashed n-gram counts of `texts` (words then characters)."""
    words, chars = _hashers()
    return sparse.hstack([words.transform(texts), chars.transform(texts)], format="csr")


def idf_of(texts: Sequence[str]) -> np.ndarray:
    """Return smoothed inverse document frequencies of the hashed n-grams over `texts`."""
    seen = np.asarray((counts(clip(texts)) > 0).sum(axis=0)).ravel()
    return np.asarray(np.log((1 + len(texts)) / (1 + seen)) + 1.0)


def tfidf(raw: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Return sublinear TF-IDF rows (1 + log count, times IDF), each scaled to unit length."""
    matrix = sparse.csr_matrix(raw, dtype=np.float64, copy=True)
    matrix.sum_duplicates()
    matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
    lengths = np.diff(matrix.indptr)
    # Summed row by row with bincount, so a text with no n-gram at all (empty, or only spaces)
    # gets a zero row wherever it stands in the batch.
    owner = np.repeat(np.arange(matrix.shape[0]), lengths)
    norms = np.sqrt(np.bincount(owner, weights=matrix.data**2, minlength=matrix.shape[0]))
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, lengths)
    return matrix


def rows(clipped: Sequence[str], idf: np.ndarray, extra: np.ndarray) -> sparse.csr_matrix:
    """Return model input rows: the TF-IDF n-grams of already `clip`ped texts, then the dense
    `extra` columns."""
    return sparse.hstack([tfidf(counts(clipped), idf), sparse.csr_matrix(extra)], format="csr")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Return row-wise softmax probabilities."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class HashedModel:
    """Weights over hashed TF-IDF n-grams and a few dense columns: the IDF of each n-gram bucket,
    coefficients (classes x features) and intercepts. A shipped model adds how it reads a text."""

    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    _weights: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Features x classes, contiguous: multiplying a sparse row by it costs microseconds.
        object.__setattr__(self, "_weights", np.ascontiguousarray(self.coef.T))

    def probabilities_of(self, clipped: Sequence[str], extra: np.ndarray) -> np.ndarray:
        """Return class probabilities for already `clip`ped texts and their dense columns."""
        return softmax(np.asarray(rows(clipped, self.idf, extra) @ self._weights) + self.intercept)

    def arrays(self) -> dict[str, np.ndarray]:
        """Return the arrays `save` stores."""
        return {"idf": self.idf, "coef": self.coef, "intercept": self.intercept}


def save(path: Path, classes: Sequence[str], arrays: dict[str, np.ndarray]) -> str:
    """Write `arrays` (float32) with the class names and hash layout to `path`; return the SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stored: dict[str, Any] = {name: value.astype(np.float32) for name, value in arrays.items()}
    stored["classes"] = np.array(list(classes))
    stored["hash_bits"] = np.array([HASH_BITS])
    with path.open("wb") as handle:
        np.savez_compressed(handle, **stored)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(path: Path, sha256: str | None, script: str) -> None:
    """Raise ModelUnavailable unless `path` exists and its SHA-256 is `sha256` (None skips the
    check: only for files a training script just wrote); `script` is what rebuilds it."""
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing: reinstall Earful or run {script}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if sha256 is not None and digest != sha256:
        raise ModelUnavailable(
            f"{path} is not the file Earful shipped (sha256 {digest}); reinstall Earful"
            f" or retrain it with {script} and update its pinned SHA-256"
        )


def read(path: Path, sha256: str | None, classes: Sequence[str], script: str) -> dict[str, np.ndarray]:
    """Return the arrays stored at `path`, refusing the file unless its SHA-256 is `sha256` (None skips
    the check: only for files a training script just wrote) and it holds `classes`."""
    verify(path, sha256, script)
    with np.load(path, allow_pickle=False) as stored:
        if (
            tuple(str(c) for c in stored["classes"]) != tuple(classes)
            or int(stored["hash_bits"][0]) != HASH_BITS
        ):
            raise ModelUnavailable(f"{path} was trained for another feature layout; retrain it with {script}")
        return {
            name: stored[name].astype(np.float64)
            for name in stored.files
            if name not in ("classes", "hash_bits")
        }
