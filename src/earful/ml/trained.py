"""Classifiers trained on labelled posts: TF-IDF word and character n-grams with each post's sentence
embedding (the light MiniLM embedder by default, e5 under EARFUL_EMBEDDINGS), one logistic
regression per leaf category, and one shared calibration.

The taxonomy's own examples, keywords and descriptions are added to the training data as labelled
texts, so a category no analyst has labelled yet is still known, and a few labels go further.

A post may have several categories, so each leaf gets its own yes/no model (one-vs-rest) rather
than one softmax over all. Balanced class weights make the raw probabilities too high for rare
categories; when there are enough analyst-labelled texts, a Platt sigmoid fitted on the scores of
texts held out of one extra fit (pooled over all leaves, so a handful of labels per category is
enough) maps the scores to calibrated probabilities. `calibrated` says whether that happened.

When every analyst label names one leaf (`single_label`), a post gets its single surest leaf when
that leaf's probability reaches SURE_ENOUGH (with several leaves to choose from, the right one is
often below even odds); trained on several leaves a post, it gets every leaf whose probability
reaches THRESHOLD. Either way a post the model is unsure of stays unlabelled for an analyst.

The settings below were chosen on the few-shot benchmark (bench/fewshot_airline.py --rows select,
seeds 0-4) and its figures reported on tweets not used to choose them (--rows report); what was
tried and measured is in docs/model-card.md.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit

from earful.ml import tone
from earful.ml.embeddings import Embedder, Remembering, default_embedder, embedder_named
from earful.ml.keywords import Prediction, fold
from earful.ml.taxonomy import Taxonomy

if TYPE_CHECKING:  # scikit-learn takes seconds to import: only code that trains or scores imports it
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

log = logging.getLogger(__name__)

NAME = "tfidf-ovr-logreg"
VERSION = 3
SENTIMENT_NAME = "tfidf-logreg-sentiment-2+tone-1"
TONE_PRIOR_WEIGHT = 0.5  # scale of the shipped tone model's log-probabilities among the features
MAX_LABELS = 3
THRESHOLD = 0.5  # a leaf is given when its calibrated probability reaches this
SURE_ENOUGH = 0.2  # trained on one leaf a post: the surest leaf is given when its probability reaches this
MIN_CALIBRATION = 30  # analyst-labelled texts needed before confidences are calibrated
CALIBRATION_TEXTS = 3000  # at most this many held out to fit the calibration on

# How much the taxonomy's texts count: each description or example weighs as much as this many
# analyst labels, at every number of labels (letting it fade as labels grow measured worse).
PRIOR_WEIGHT = 6.0
# The regressions' inverse L2 strength: strong, so a few labels move the taxonomy's prior without
# overriding it (choosing it by inner cross-validation on the few labels measured worse: too few
# to tell).
C_WORDS = 0.1
C_EMBEDDINGS = 0.5
# ... loosened as labels grow: C times the square root of (labels per labelled leaf / C_GROWS_FROM);
# with the light embedder also tightened below it (`shrink_c`: at 8 labels a leaf a draw of the
# few-shot bench's select rows fell to the zero-label classifier's level with C 0.5).
C_GROWS_FROM = 32
# By default (EARFUL_EMBEDDINGS off) the light MiniLM embedder's vectors join the n-grams at this
# weight, with C_EMBEDDINGS and no centroid vote (chosen on the few-shot bench's select rows, 32
# labels a reason: 50.8 against 46.4 for n-grams alone; e5's centroid vote cost MiniLM 4 points).
LIGHT_WEIGHT = 1.0
LIGHT_CENTROID_SHARE = 0.0
# A trained sentiment model reads the light embedder's vectors at this weight beside its n-grams
# and the tone model's log-probabilities (see docs/model-card.md for how it was chosen).
LIGHT_SENTIMENT_WEIGHT = 1.0
# With e5: the centroids' share of the vote, the sharpness of their softmax over cosines,
# and how far a description and examples pull a leaf's centroid: as far as PRIOR_LABELS labelled
# posts while a leaf has few, and never less than PRIOR_PULL times its labelled posts' mean.
CENTROID_SHARE = 0.7
CENTROID_TEMPERATURE = 0.02
PRIOR_PULL = 0.5
PRIOR_LABELS = 8

LabelSet = str | Sequence[str]


def _logistic(**options: Any) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**options)


def _features() -> FeatureUnion:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

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


def _centroids(vectors: np.ndarray, truth: np.ndarray, first_own: int) -> np.ndarray:
    """Return each leaf's unit centroid: the mean direction of its labelled texts' embeddings plus
    the mean direction of its own description and examples (rows before `first_own`), weighted
    max(PRIOR_PULL, PRIOR_LABELS / labelled texts)."""
    centroids = np.zeros((truth.shape[1], vectors.shape[1]), dtype=np.float32)
    for j in range(truth.shape[1]):
        own = vectors[first_own:][truth[first_own:, j] == 1]
        prior = vectors[:first_own][truth[:first_own, j] == 1]
        mean = _unit(own.mean(axis=0)) if len(own) else 0
        pull = _unit(prior.mean(axis=0)) if len(prior) else 0
        centroids[j] = _unit(mean + max(PRIOR_PULL, PRIOR_LABELS / max(len(own), 1)) * pull)
    return centroids


def _unit(vector: np.ndarray | float) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


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
    """A multi-label text classifier over a taxonomy's leaf categories.

    With an embedder, each text's sentence embedding joins its n-grams as features. With
    `centroid_share` above 0 (e5's setting) a second model votes too: each leaf's centroid (the mean
    embedding of its labelled texts, nudged towards its description and examples), scored by
    cosine. With few labels per leaf e5's centroids carry most of the signal, so they get most of
    the vote; MiniLM's do not, and get none (both chosen on the few-shot benchmark,
    bench/fewshot_airline.py, on rows and seeds not used for the figures).
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        c: float | None = None,
        use_taxonomy: bool = True,
        calibrate: bool = True,
        embedder: Embedder | None = None,
        embedding_weight: float = 2.0,
        prior_weight: float | None = None,
        centroid_share: float = CENTROID_SHARE,
        shrink_c: bool = False,
    ) -> None:
        self.taxonomy = taxonomy
        self.centroid_share = centroid_share
        self.shrink_c = shrink_c
        self.c = c if c is not None else (C_EMBEDDINGS if embedder else C_WORDS)
        self.use_taxonomy = use_taxonomy
        self.calibrate = calibrate
        self._embedder = embedder
        self.embedder_name = embedder.name if embedder is not None else None
        self.embedding_weight = embedding_weight
        self.prior_weight = prior_weight if prior_weight is not None else PRIOR_WEIGHT
        self.classes: list[str] = leaves(taxonomy)
        self.calibrated = False
        self.single_label = True
        self.c_used = self.c
        self._features: FeatureUnion | None = None
        self._weights = np.zeros((0, 0), dtype=np.float32)
        self._bias = np.zeros(0, dtype=np.float32)
        self._centroids: np.ndarray | None = None
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
        vectors = self._embed(all_texts)
        matrix = self._matrix(all_texts, vectors)
        truth = self._truth(all_sets)
        rows = np.ones(len(all_texts))
        rows[: len(prior_texts)] = self.prior_weight
        first_own = len(prior_texts)
        labelled_leaves = len({key for keys in sets for key in keys})
        grown = len(sets) / max(labelled_leaves, 1) / C_GROWS_FROM
        self.c_used = self.c * (grown if self.shrink_c and sets else max(1.0, grown)) ** 0.5
        self._weights, self._bias = self._fit_leaves(matrix, truth, rows)
        self._centroids = self._centroids_of(vectors, truth, first_own)
        self._platt = None
        self.calibrated = False
        self.single_label = all(len(keys) == 1 for keys in sets)
        if self.calibrate and len(texts) >= MIN_CALIBRATION:
            self._platt = self._fit_calibration(matrix, vectors, truth, rows, first_own)
            self.calibrated = True
        return self

    def _embed(self, texts: Sequence[str]) -> np.ndarray | None:
        if self.embedder_name is None:
            return None
        if self._embedder is None:
            self._embedder = embedder_named(self.embedder_name)  # a model read back from storage
        return self._embedder.embed(list(texts))

    def _matrix(self, texts: Sequence[str], vectors: np.ndarray | None) -> sparse.csr_matrix:
        """Return the texts' features: TF-IDF n-grams, and the weighted embeddings when used."""
        assert self._features is not None
        words = self._features.transform(list(texts))
        if vectors is None:
            return sparse.csr_matrix(words)
        return sparse.hstack([words, sparse.csr_matrix(vectors * self.embedding_weight)], format="csr")

    def _scores(
        self,
        matrix: sparse.csr_matrix,
        vectors: np.ndarray | None,
        weights: np.ndarray,
        bias: np.ndarray,
        centroids: np.ndarray | None,
    ) -> np.ndarray:
        """Return each leaf's raw score: the regression's, or with embeddings the log-odds of the
        regression's probability blended with the centroids'."""
        scores: np.ndarray = np.asarray(matrix @ weights) + bias
        share = self.centroid_share
        if vectors is None or centroids is None or not share:
            return scores
        near = vectors @ centroids.T / CENTROID_TEMPERATURE
        near = np.exp(near - near.max(axis=1, keepdims=True))
        blend = (1 - share) * expit(scores) + share * near / near.sum(axis=1, keepdims=True)
        blend = np.clip(blend, 1e-6, 1 - 1e-6)
        return np.asarray(np.log(blend / (1 - blend)))

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_embedder"] = None  # a loaded model is not data; it is loaded again on first use
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        state.setdefault("single_label", False)  # a model stored before version 3 used thresholds
        state.setdefault("c_used", state.get("c"))
        state.setdefault("centroid_share", CENTROID_SHARE)  # stored before the light embedder
        state.setdefault("shrink_c", False)
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
                model = _logistic(C=self.c_used, class_weight="balanced", solver="liblinear")
                model.fit(matrix, column, sample_weight=rows)
                weights[:, j] = model.coef_[0]
                bias[j] = model.intercept_[0]
        return weights, bias

    def _fit_calibration(
        self,
        matrix: sparse.csr_matrix,
        vectors: np.ndarray | None,
        truth: np.ndarray,
        rows: np.ndarray,
        first_own: int,
    ) -> tuple[float, float]:
        """Fit one sigmoid on the scores that analyst-labelled texts got from a model not trained on
        them: a third of those texts (at most CALIBRATION_TEXTS) is held out of one extra fit."""
        own = np.random.default_rng(0).permutation(np.arange(first_own, truth.shape[0]))
        held = np.sort(own[: min(CALIBRATION_TEXTS, max(1, len(own) // 3))])
        train = np.setdiff1d(np.arange(truth.shape[0]), held)
        weights, bias = self._fit_leaves(matrix[train], truth[train], rows[train])
        centroids = self._centroids_of(None if vectors is None else vectors[train], truth[train], first_own)
        held_vectors = vectors[held] if vectors is not None else None
        scores = self._scores(matrix[held], held_vectors, weights, bias, centroids)
        return _platt(scores.ravel(), truth[held].ravel())

    def _centroids_of(
        self, vectors: np.ndarray | None, truth: np.ndarray, first_own: int
    ) -> np.ndarray | None:
        """Return the leaves' centroids, or None where they get no vote (no embedder, or the light
        one, whose centroid share is 0): neither computed nor stored with the model then."""
        if vectors is None or not self.centroid_share:
            return None
        return _centroids(vectors, truth, first_own)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return a (texts x classes) matrix of per-leaf probabilities, columns in `classes` order."""
        if self._features is None:
            raise RuntimeError("the classifier is not trained yet")
        vectors = self._embed(texts)
        scores = self._scores(
            self._matrix(texts, vectors), vectors, self._weights, self._bias, self._centroids
        )
        if self._platt is not None:
            a, b = self._platt
            return np.asarray(expit(a * scores + b))
        return np.asarray(expit(scores))

    def predict_keys(self, texts: Sequence[str]) -> list[str]:
        """Return the single most likely leaf key of each text."""
        probs = self.probabilities(texts)
        return [self.classes[i] for i in probs.argmax(axis=1)]

    def predict_many(self, texts: Sequence[str]) -> list[list[Prediction]]:
        """Return each text's leaves, surest first: trained on one leaf a post (`single_label`), the
        surest leaf if its probability reaches SURE_ENOUGH; otherwise the leaves whose probability
        reaches THRESHOLD, at most MAX_LABELS. None when the model is unsure (the post stays
        unlabelled for an analyst)."""
        most, least = (1, SURE_ENOUGH) if self.single_label else (MAX_LABELS, THRESHOLD)
        found = []
        for row in self.probabilities(texts):
            order = np.argsort(-row)[:most]
            found.append(
                [Prediction(self.classes[i], round(float(row[i]), 3)) for i in order if row[i] >= least]
            )
        return found

    def predict(self, text: str) -> list[Prediction]:
        """Return the leaves of one text, surest first (see `predict_many`)."""
        return self.predict_many([text])[0]


class TrainedSentiment:
    """A sentiment model trained on analysts' judgements: positive, neutral or complaint.

    One logistic regression over TF-IDF n-grams, the shipped tone model's log-probabilities
    (what Earful knew before the first label, so a few labels adjust it rather than start from
    nothing) and, when an embedder is given, the weighted sentence embeddings (which carry tone
    across wordings and languages).
    """

    def __init__(
        self,
        *,
        embedder: Embedder | None = None,
        embedding_weight: float = 1.0,
        c: float = 2.0,
        tone_prior: float = TONE_PRIOR_WEIGHT,
    ) -> None:
        self._embedder = embedder
        self.embedder_name = embedder.name if embedder is not None else None
        self.embedding_weight = embedding_weight
        self.c = c
        self.tone_prior = tone_prior
        self._features: FeatureUnion | None = None
        self._model: LogisticRegression | None = None
        self.classes: list[str] = []

    def untrained(self) -> TrainedSentiment:
        """Return an untrained model with the same settings and the same embedder (one that
        remembers its vectors lends them to the copy)."""
        return TrainedSentiment(
            embedder=self._embedder,
            embedding_weight=self.embedding_weight,
            c=self.c,
            tone_prior=self.tone_prior,
        )

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TrainedSentiment:
        """Train on (text, tone) pairs; return self."""
        if len(set(labels)) < 2:
            raise ValueError("training needs at least two tones")
        self._features = _features()
        self._features.fit(list(texts))
        model = _logistic(C=self.c, max_iter=3000, class_weight="balanced")
        model.fit(self._matrix(texts), list(labels))
        self._model = model
        self.classes = [str(c) for c in model.classes_]
        return self

    def _matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        assert self._features is not None
        words = sparse.csr_matrix(self._features.transform(list(texts)))
        weight = getattr(self, "tone_prior", 0.0)  # models stored before the tone prior have none
        if weight:
            prior = np.log(np.clip(tone.shipped().probabilities(list(texts)), 1e-4, 1.0)) * weight
            words = sparse.hstack([words, sparse.csr_matrix(prior)], format="csr")
        if self.embedder_name is None:
            return words
        if self._embedder is None:
            self._embedder = embedder_named(self.embedder_name)  # a model read back from storage
        vectors = self._embedder.embed(list(texts)) * self.embedding_weight
        return sparse.hstack([words, sparse.csr_matrix(vectors)], format="csr")

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return a (texts x tones) matrix of probabilities, columns in `classes` order."""
        if self._model is None:
            raise RuntimeError("the sentiment model is not trained yet")
        return np.asarray(self._model.predict_proba(self._matrix(texts)))

    def labels(self, texts: Sequence[str]) -> list[str]:
        """Return the tone of each text."""
        return [self.classes[i] for i in self.probabilities(texts).argmax(axis=1)]

    def score(self, text: str) -> tuple[str, float]:
        """Return the tone of `text` and its complaint probability."""
        probs = self.probabilities([text])[0]
        complaint = float(probs[self.classes.index("complaint")]) if "complaint" in self.classes else 0.0
        return self.classes[int(np.argmax(probs))], round(complaint, 3)

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_embedder"] = None
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)


def load_model(data: bytes) -> TrainedClassifier | TrainedSentiment:
    """Return the model stored as `data` (pickled). Only call it on bytes whose signature was checked."""
    model = pickle.loads(data)  # noqa: S301 - the caller has verified the HMAC signature
    if not isinstance(model, TrainedClassifier | TrainedSentiment):
        raise ValueError("the stored bytes are not an Earful model")
    return model


def dump_model(model: TrainedClassifier | TrainedSentiment) -> bytes:
    """Return `model` as bytes for storing; sign them, since loading runs pickle."""
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def new_classifier(
    taxonomy: Taxonomy, embeddings: bool, *, light: bool = True, embedder: Embedder | None = None
) -> TrainedClassifier:
    """Return an untrained taxonomy classifier as Earful trains it under EARFUL_EMBEDDINGS=`embeddings`:
    n-grams with the light MiniLM embedder's vectors by default (n-grams alone when not `light`,
    EARFUL_LIGHT_EMBEDDINGS=false), with e5's and its centroids when on (`embedder`: the one to use
    instead, for a benchmark that embeds its texts once)."""
    if embeddings:
        return TrainedClassifier(taxonomy, embedder=embedder if embedder is not None else default_embedder())
    found = (embedder if embedder is not None else _light_embedder()) if light else None
    if found is None:
        return TrainedClassifier(taxonomy)
    return TrainedClassifier(
        taxonomy,
        embedder=found,
        embedding_weight=LIGHT_WEIGHT,
        centroid_share=LIGHT_CENTROID_SHARE,
        shrink_c=True,
    )


def new_sentiment(
    embeddings: bool, *, light: bool = True, embedder: Embedder | None = None, remember: bool = False
) -> TrainedSentiment:
    """Return an untrained sentiment model as Earful trains it under EARFUL_EMBEDDINGS=`embeddings`:
    with the light MiniLM embedder's vectors by default (none when not `light`,
    EARFUL_LIGHT_EMBEDDINGS=false), e5's when on (`embedder`: the one to use instead, for a
    benchmark that embeds its texts once). With `remember`, its embedder keeps every vector it
    computes, and `TrainedSentiment.untrained` copies share them: for one training run."""
    if embeddings:
        found: Embedder | None = embedder if embedder is not None else default_embedder()
        weight = 1.0
    else:
        found = (embedder if embedder is not None else _light_embedder()) if light else None
        weight = LIGHT_SENTIMENT_WEIGHT
    if found is None:
        return TrainedSentiment()
    return TrainedSentiment(embedder=Remembering(found) if remember else found, embedding_weight=weight)


def _light_embedder() -> Embedder | None:
    """Return the light embedder, or None (logged) when it cannot be loaded: it is on by default, so
    a deployment without its package (or with an altered one) trains on n-grams alone, and the
    model's name, without "+minilm-l6", says so. e5 is asked for by name, so its absence is an error."""
    from earful.ml.minilm import LightEmbeddingsUnavailable, light_embedder

    try:
        return light_embedder()
    except LightEmbeddingsUnavailable as exc:
        log.warning("training on n-grams alone: the light embedder cannot be loaded (%s)", exc)
        return None


def model_name(model: TrainedClassifier | TrainedSentiment) -> str:
    """Return the name a trained model is stored under, with its embedder when it has one."""
    base = f"{NAME}-{VERSION}" if isinstance(model, TrainedClassifier) else SENTIMENT_NAME
    return base + (f"+{model.embedder_name}" if model.embedder_name else "")


def train_text_classifier(texts: Sequence[str], labels: Sequence[str], *, c: float = 2.0) -> Pipeline:
    """Return a TF-IDF + logistic-regression pipeline trained on any labelled texts."""
    if len(set(labels)) < 2:
        raise ValueError("training needs at least two labels")
    from sklearn.pipeline import Pipeline

    model = Pipeline(
        [
            ("features", _features()),
            ("classify", _logistic(C=c, max_iter=3000, class_weight="balanced")),
        ]
    )
    model.fit(list(texts), list(labels))
    return model
