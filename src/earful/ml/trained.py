"""Classifiers trained on labelled posts: TF-IDF word and character n-grams, one logistic regression
per leaf category, and one shared calibration.

The taxonomy's own examples, keywords and descriptions are added to the training data as labelled
texts, so a category no analyst has labelled yet is still known, and a few labels go further.

A post may have several categories, so each leaf gets its own yes/no model (one-vs-rest) rather
than one softmax over all. Balanced class weights make the raw probabilities too high for rare
categories; when there are enough analyst-labelled texts, a Platt sigmoid fitted on the scores of
texts held out of one extra fit (pooled over all leaves, so a handful of labels per category is
enough) maps the scores to calibrated probabilities. `calibrated` says whether that happened.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from earful.ml.embeddings import Embedder, default_embedder
from earful.ml.keywords import Prediction, fold
from earful.ml.taxonomy import Taxonomy

NAME = "tfidf-ovr-logreg"
VERSION = 2
MAX_LABELS = 3
THRESHOLD = 0.5  # a leaf is given when its calibrated probability reaches this
MIN_CALIBRATION = 30  # analyst-labelled texts needed before confidences are calibrated
CALIBRATION_TEXTS = 3000  # at most this many held out to fit the calibration on

LabelSet = str | Sequence[str]


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True, max_features=100_000
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=fold,
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    max_features=200_000,
                ),
            ),
        ]
    )


def leaves(taxonomy: Taxonomy) -> list[str]:
    """Return the keys of the categories a post can be labelled with (those without children)."""
    return [n.key for n in taxonomy.nodes if not taxonomy.children(n.key)]


def prior_examples(taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    """Return the taxonomy's own knowledge as labelled texts: each leaf's examples and keywords."""
    texts, labels = [], []
    for key in leaves(taxonomy):
        node = taxonomy.get(key)
        for text in (*node.examples, *node.keywords, f"{node.name}. {node.description}"):
            texts.append(text)
            labels.append(key)
    return texts, labels


def _as_sets(labels: Sequence[LabelSet]) -> list[tuple[str, ...]]:
    return [(label,) if isinstance(label, str) else tuple(label) for label in labels]


def _platt(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Fit p = sigmoid(a * score + b) to yes/no truth with Platt's smoothed targets."""
    positives = float(truth.sum())
    negatives = float(truth.size - positives)
    target = np.where(truth > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def loss(params: np.ndarray) -> float:
        p = np.clip(expit(params[0] * scores + params[1]), 1e-12, 1 - 1e-12)
        return float(-np.sum(target * np.log(p) + (1 - target) * np.log(1 - p)))

    found = minimize(loss, np.array([1.0, 0.0]), method="L-BFGS-B")
    return float(found.x[0]), float(found.x[1])


class TrainedClassifier:
    """A multi-label text classifier over a taxonomy's leaf categories."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        c: float = 4.0,
        use_taxonomy: bool = True,
        calibrate: bool = True,
        embedder: Embedder | None = None,
        embedding_weight: float = 2.0,
        prior_weight: float = 1.0,
    ) -> None:
        self.taxonomy = taxonomy
        self.c = c
        self.use_taxonomy = use_taxonomy
        self.calibrate = calibrate
        self._embedder = embedder
        self.embedder_name = embedder.name if embedder is not None else None
        self.embedding_weight = embedding_weight
        self.prior_weight = prior_weight
        self.classes: list[str] = leaves(taxonomy)
        self.calibrated = False
        self._features: FeatureUnion | None = None
        self._weights = np.zeros((0, 0), dtype=np.float32)
        self._bias = np.zeros(0, dtype=np.float32)
        self._platt: tuple[float, float] | None = None

    def fit(self, texts: Sequence[str], labels: Sequence[LabelSet]) -> TrainedClassifier:
        """Train on labelled texts (each label a leaf key, or several for one text); return self."""
        sets = _as_sets(labels)
        known = set(self.classes)
        unknown = sorted({key for keys in sets for key in keys if key not in known})
        if unknown:
            raise ValueError(f"labels not in the taxonomy's leaf categories: {', '.join(unknown[:10])}")
        prior_texts, prior_labels = prior_examples(self.taxonomy) if self.use_taxonomy else ([], [])
        all_texts = [*prior_texts, *texts]
        all_sets = [*_as_sets(prior_labels), *sets]
        if len({key for keys in all_sets for key in keys}) < 2:
            raise ValueError("training needs at least two categories with examples")
        self._features = _features()
        self._features.fit(all_texts)
        matrix = self._matrix(all_texts)
        truth = self._truth(all_sets)
        rows = np.ones(len(all_texts))
        rows[: len(prior_texts)] = self.prior_weight
        self._weights, self._bias = self._fit_leaves(matrix, truth, rows)
        self._platt = None
        self.calibrated = False
        if self.calibrate and len(texts) >= MIN_CALIBRATION:
            self._platt = self._fit_calibration(matrix, truth, rows, first_own=len(prior_texts))
            self.calibrated = True
        return self

    def _matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Return the texts' features: TF-IDF n-grams, and the weighted embeddings when used."""
        assert self._features is not None
        words = self._features.transform(list(texts))
        if self.embedder_name is None:
            return sparse.csr_matrix(words)
        if self._embedder is None:
            self._embedder = default_embedder()  # a model read back from storage
        vectors = self._embedder.embed(list(texts)) * self.embedding_weight
        return sparse.hstack([words, sparse.csr_matrix(vectors)], format="csr")

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_embedder"] = None  # a loaded model is not data; it is loaded again on first use
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    def _truth(self, sets: Sequence[tuple[str, ...]]) -> np.ndarray:
        column = {key: i for i, key in enumerate(self.classes)}
        truth = np.zeros((len(sets), len(self.classes)), dtype=np.int8)
        for row, keys in enumerate(sets):
            for key in keys:
                truth[row, column[key]] = 1
        return truth

    def _fit_leaves(
        self, matrix: sparse.csr_matrix, truth: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        n_features = matrix.shape[1]
        weights = np.zeros((n_features, len(self.classes)), dtype=np.float32)
        bias = np.full(len(self.classes), -10.0, dtype=np.float32)  # a leaf never seen is never given
        for j in range(len(self.classes)):
            column = truth[:, j]
            if 0 < column.sum() < column.size:
                model = LogisticRegression(C=self.c, class_weight="balanced", solver="liblinear")
                model.fit(matrix, column, sample_weight=rows)
                weights[:, j] = model.coef_[0]
                bias[j] = model.intercept_[0]
        return weights, bias

    def _fit_calibration(
        self, matrix: sparse.csr_matrix, truth: np.ndarray, rows: np.ndarray, first_own: int
    ) -> tuple[float, float]:
        """Fit one sigmoid on the scores that analyst-labelled texts got from a model not trained on
        them: a third of those texts (at most CALIBRATION_TEXTS) is held out of one extra fit."""
        own = np.random.default_rng(0).permutation(np.arange(first_own, truth.shape[0]))
        held = np.sort(own[: min(CALIBRATION_TEXTS, max(1, len(own) // 3))])
        train = np.setdiff1d(np.arange(truth.shape[0]), held)
        weights, bias = self._fit_leaves(matrix[train], truth[train], rows[train])
        scores = np.asarray(matrix[held] @ weights) + bias
        return _platt(scores.ravel(), truth[held].ravel())

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return a (texts x classes) matrix of per-leaf probabilities, columns in `classes` order."""
        if self._features is None:
            raise RuntimeError("the classifier is not trained yet")
        scores = np.asarray(self._matrix(texts) @ self._weights) + self._bias
        if self._platt is not None:
            a, b = self._platt
            return np.asarray(expit(a * scores + b))
        return np.asarray(expit(scores))

    def predict_keys(self, texts: Sequence[str]) -> list[str]:
        """Return the single most likely leaf key of each text."""
        probs = self.probabilities(texts)
        return [self.classes[i] for i in probs.argmax(axis=1)]

    def predict_many(self, texts: Sequence[str]) -> list[list[Prediction]]:
        """Return each text's leaves whose probability reaches THRESHOLD, at most MAX_LABELS, surest
        first; none when the model is unsure of every leaf (the post stays unlabelled for an analyst)."""
        found = []
        for row in self.probabilities(texts):
            order = np.argsort(-row)[:MAX_LABELS]
            found.append(
                [Prediction(self.classes[i], round(float(row[i]), 3)) for i in order if row[i] >= THRESHOLD]
            )
        return found

    def predict(self, text: str) -> list[Prediction]:
        """Return the leaves of one text, surest first (see `predict_many`)."""
        return self.predict_many([text])[0]


class TrainedSentiment:
    """A sentiment model trained on analysts' judgements: positive, neutral or complaint."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self.classes = [str(c) for c in pipeline.classes_]

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str]) -> TrainedSentiment:
        """Return a model trained on (text, tone) pairs."""
        return cls(train_text_classifier(texts, labels))

    def labels(self, texts: Sequence[str]) -> list[str]:
        """Return the tone of each text."""
        return [str(p) for p in self._pipeline.predict(list(texts))]

    def score(self, text: str) -> tuple[str, float]:
        """Return the tone of `text` and its complaint probability."""
        probs = self._pipeline.predict_proba([text])[0]
        complaint = float(probs[self.classes.index("complaint")]) if "complaint" in self.classes else 0.0
        return self.classes[int(np.argmax(probs))], round(complaint, 3)


def load_model(data: bytes) -> TrainedClassifier | TrainedSentiment:
    """Return the model stored as `data` (pickled). Only call it on bytes whose signature was checked."""
    model = pickle.loads(data)  # noqa: S301 - the caller has verified the HMAC signature
    if not isinstance(model, TrainedClassifier | TrainedSentiment):
        raise ValueError("the stored bytes are not an Earful model")
    return model


def dump_model(model: TrainedClassifier | TrainedSentiment) -> bytes:
    """Return `model` as bytes for storing; sign them, since loading runs pickle."""
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def train_text_classifier(texts: Sequence[str], labels: Sequence[str], *, c: float = 2.0) -> Pipeline:
    """Return a TF-IDF + logistic-regression pipeline trained on any labelled texts."""
    if len(set(labels)) < 2:
        raise ValueError("training needs at least two labels")
    model = Pipeline(
        [
            ("features", _features()),
            ("classify", LogisticRegression(C=c, max_iter=3000, class_weight="balanced")),
        ]
    )
    model.fit(list(texts), list(labels))
    return model
