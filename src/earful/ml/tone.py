"""The shipped tone model: complaint, negative, neutral or positive, with no labels from anyone.

A complaint is someone reporting a problem, whatever their tone ("my order still hasn't
arrived"); "negative" is a bad feeling that reports no problem (grief, a team losing); questions,
suggestions, news and jokes are neutral. One multinomial logistic regression reads hashed TF-IDF
word and character n-grams (so no vocabulary has to be stored and Spanish and English share one
model) and a few dense cues: VADER's lexicon scores (English and emoji) and Earful's own
complaint, praise, question and suggestion cues (English and Spanish).

The weights are trained by `training/train_tone.py` from data whose licences allow it (the team's
own labelled posts, GoEmotions, Banking77; see docs/model-card.md). They are stored as plain
numpy arrays (never pickle) and their SHA-256 is checked before they are read, so an altered
file is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from earful.ml import cues
from earful.ml.keywords import fold

CLASSES = ("complaint", "negative", "neutral", "positive")
NAME = "tone-1"
WEIGHTS = Path(__file__).parent / "data" / "models" / "tone-1.npz"
WEIGHTS_SHA256 = "d6433a95af2b38d95d7cf22e4067c37dc3664f751a5e9e6f8623533b7ec51c95"
HASH_BITS = 17  # per feature family: 131,072 word and 131,072 character buckets
DENSE = 9
COMPLAINT_SHARE = 0.5  # see label_of


class ToneModelUnavailable(RuntimeError):
    """The shipped weights are missing or altered, with what to do about it."""


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def _hashers() -> tuple[HashingVectorizer, HashingVectorizer]:
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


def counts(texts: Sequence[str]) -> sparse.csr_matrix:
    """Return the raw hashed n-gram counts of `texts` (words then characters)."""
    words, chars = _hashers()
    return sparse.hstack([words.transform(texts), chars.transform(texts)], format="csr")


def dense(texts: Sequence[str]) -> np.ndarray:
    """Return the lexicon cues of `texts`: VADER's four scores and Earful's five cue signals."""
    vader = _vader()
    rows = np.zeros((len(texts), DENSE), dtype=np.float64)
    for i, text in enumerate(texts):
        polarity = vader.polarity_scores(text[:2000])
        found = cues.signals(text)
        rows[i, :4] = (polarity["compound"], polarity["pos"], polarity["neg"], polarity["neu"])
        rows[i, 4:] = (
            min(found.complaint, 4) / 2,
            min(found.praise, 4) / 2,
            float(found.asking),
            float(found.suggesting),
            float(found.strong),
        )
    return rows


def tfidf(raw: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Return sublinear TF-IDF rows (1 + log count, times IDF), each scaled to unit length."""
    matrix = sparse.csr_matrix(raw, dtype=np.float64, copy=True)
    matrix.sum_duplicates()
    matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
    squares = np.add.reduceat(matrix.data**2, matrix.indptr[:-1]) if matrix.nnz else np.zeros(0)
    lengths = np.diff(matrix.indptr)
    norms = np.zeros(matrix.shape[0])
    norms[lengths > 0] = np.sqrt(squares[lengths > 0])
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, lengths)
    return matrix


def features(texts: Sequence[str], idf: np.ndarray, *, lexicon: bool = True) -> sparse.csr_matrix:
    """Return the model's input rows for `texts` (`lexicon=False` leaves the cue columns empty)."""
    clipped = [t[:4000] for t in texts]
    cues_part = dense(clipped) if lexicon else np.zeros((len(clipped), DENSE))
    return sparse.hstack([tfidf(counts(clipped), idf), sparse.csr_matrix(cues_part)], format="csr")


def label_of(row: np.ndarray) -> str:
    """Return the product's sentiment for one row of probabilities: complaint, neutral or positive.

    A bad feeling that reports no problem ("so sad today") is neutral: nobody needs to act on it.
    When the bad feeling wins but a complaint is at least half as likely ("worst week ever, not
    paid, app broken"), it is a complaint: a problem was named.
    """
    best = CLASSES[int(row.argmax())]
    if best != "negative":
        return best
    return "complaint" if row[0] >= COMPLAINT_SHARE * row[1] else "neutral"


@dataclass(frozen=True)
class ToneModel:
    """A trained tone model: IDF weights, coefficients and intercepts, classes in CLASSES order."""

    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    name: str = NAME
    _weights: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Features x classes, contiguous: multiplying a sparse row by it costs microseconds.
        object.__setattr__(self, "_weights", np.ascontiguousarray(self.coef.T))

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return a (texts x CLASSES) matrix of probabilities."""
        if not texts:
            return np.zeros((0, len(CLASSES)))
        logits = np.asarray(features(texts, self.idf) @ self._weights) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def tones(self, texts: Sequence[str]) -> list[str]:
        """Return each text's most likely class of CLASSES."""
        return [CLASSES[i] for i in self.probabilities(texts).argmax(axis=1)]

    def polarity(self, texts: Sequence[str]) -> list[str]:
        """Return negative, neutral or positive for each text: complaints count as negative."""
        out = []
        for row in self.probabilities(texts):
            merged = {"negative": row[0] + row[1], "neutral": row[2], "positive": row[3]}
            out.append(max(merged, key=lambda k: merged[k]))
        return out

    def score(self, text: str) -> tuple[str, float]:
        """Return the product's sentiment of `text` (complaint, neutral or positive) and P(complaint)."""
        row = self.probabilities([text])[0]
        return label_of(row), round(float(row[0]), 3)

    def save(self, path: Path) -> str:
        """Write the weights to `path` as plain arrays and return their SHA-256."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                idf=self.idf.astype(np.float32),
                coef=self.coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
                classes=np.array(CLASSES),
                hash_bits=np.array([HASH_BITS]),
            )
        return hashlib.sha256(path.read_bytes()).hexdigest()


def read(path: Path, sha256: str | None) -> ToneModel:
    """Return the model stored at `path`, refusing it unless its SHA-256 is `sha256` (None skips)."""
    if not path.is_file():
        raise ToneModelUnavailable(f"{path} is missing: reinstall Earful or run training/train_tone.py")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and digest != sha256:
        raise ToneModelUnavailable(
            f"{path} is not the file Earful shipped (sha256 {digest}); reinstall Earful"
            " or retrain it with training/train_tone.py and update WEIGHTS_SHA256"
        )
    with np.load(path, allow_pickle=False) as stored:
        if tuple(str(c) for c in stored["classes"]) != CLASSES or int(stored["hash_bits"][0]) != HASH_BITS:
            raise ToneModelUnavailable(f"{path} was trained for another feature layout; retrain it")
        return ToneModel(
            idf=stored["idf"].astype(np.float64),
            coef=stored["coef"].astype(np.float64),
            intercept=stored["intercept"].astype(np.float64),
        )


@lru_cache(maxsize=1)
def shipped() -> ToneModel:
    """Return the tone model that ships with Earful (loaded once, hash-checked)."""
    return read(WEIGHTS, WEIGHTS_SHA256)
