"""Classifiers trained on labelled posts: TF-IDF word and character n-grams, logistic regression.

The taxonomy's own examples and keywords are added to the training data as labelled texts, so a
category no analyst has labelled yet is still known, and a few labels go further. Probabilities
come from the logistic regression (balanced class weights); `Prediction.confidence` carries them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from earful.ml.keywords import Prediction, fold
from earful.ml.taxonomy import Taxonomy

NAME = "tfidf-logreg"
VERSION = 1
MAX_LABELS = 3
MIN_CONFIDENCE = 0.25


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=fold, analyzer="char_wb", ngram_range=(2, 5), min_df=1, sublinear_tf=True
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


class TrainedClassifier:
    """A text classifier over a taxonomy's leaf categories, trained on (text, leaf key) pairs."""

    def __init__(self, taxonomy: Taxonomy, *, c: float = 4.0, use_taxonomy: bool = True) -> None:
        self.taxonomy = taxonomy
        self.c = c
        self.use_taxonomy = use_taxonomy
        self._model: Pipeline | None = None
        self.classes: list[str] = []

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TrainedClassifier:
        """Train on labelled texts (labels are leaf keys); return self."""
        known = set(leaves(self.taxonomy))
        unknown = sorted({label for label in labels if label not in known})
        if unknown:
            raise ValueError(f"labels not in the taxonomy's leaf categories: {', '.join(unknown[:10])}")
        all_texts, all_labels = list(texts), list(labels)
        if self.use_taxonomy:
            extra_texts, extra_labels = prior_examples(self.taxonomy)
            all_texts += extra_texts
            all_labels += extra_labels
        if len(set(all_labels)) < 2:
            raise ValueError("training needs at least two categories with examples")
        model = Pipeline(
            [
                ("features", _features()),
                ("classify", LogisticRegression(C=self.c, max_iter=3000, class_weight="balanced")),
            ]
        )
        model.fit(all_texts, all_labels)
        self._model = model
        self.classes = [str(c) for c in model.classes_]
        return self

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return a (texts x classes) matrix of probabilities, columns in `classes` order."""
        if self._model is None:
            raise RuntimeError("the classifier is not trained yet")
        return np.asarray(self._model.predict_proba(list(texts)))

    def predict_keys(self, texts: Sequence[str]) -> list[str]:
        """Return the single most likely leaf key of each text."""
        probs = self.probabilities(texts)
        return [self.classes[i] for i in probs.argmax(axis=1)]

    def predict(self, text: str) -> list[Prediction]:
        """Return up to MAX_LABELS leaf categories whose probability passes MIN_CONFIDENCE."""
        probs = self.probabilities([text])[0]
        order = np.argsort(-probs)[:MAX_LABELS]
        found = [
            Prediction(self.classes[i], round(float(probs[i]), 3))
            for i in order
            if probs[i] >= MIN_CONFIDENCE
        ]
        return found or [Prediction(self.classes[int(order[0])], round(float(probs[order[0]]), 3))]


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
