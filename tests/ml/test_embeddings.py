"""Sentence embeddings as classifier features: the pinned model loads offline, survives storage,
and helps where words do not overlap (another language)."""

from __future__ import annotations

import numpy as np

from earful.ml.embeddings import default_embedder
from earful.ml.taxonomy import load_default
from earful.ml.trained import TrainedClassifier, dump_model, load_model

TAXONOMY = load_default()


def test_the_pinned_model_embeds_paraphrases_close_and_unrelated_texts_apart() -> None:
    vectors = default_embedder().embed(
        ["the app keeps crashing", "la aplicación se cierra todo el rato", "a dog bit me at the door"]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_a_classifier_with_embeddings_round_trips_through_storage() -> None:
    texts = ["parcel lockers jammed shut again", "locker bank would not open for the drop"]
    model = TrainedClassifier(TAXONOMY, embedder=default_embedder()).fit(
        texts, ["operations.customer_access"] * 2
    )
    assert model.embedder_name == "e5-small-q4"
    again = load_model(dump_model(model))
    assert isinstance(again, TrainedClassifier)
    probe = ["the lockers were jammed", "el perro me mordió"]
    assert np.allclose(model.probabilities(probe), again.probabilities(probe), atol=1e-5)


def test_a_sentiment_model_with_embeddings_round_trips_through_storage() -> None:
    from earful.ml.trained import TrainedSentiment

    texts = ["love this app", "great support, thanks", "app crashed again", "still not paid, awful"]
    model = TrainedSentiment(embedder=default_embedder()).fit(
        texts, ["positive", "positive", "complaint", "complaint"]
    )
    again = load_model(dump_model(model))
    assert isinstance(again, TrainedSentiment) and again.embedder_name == "e5-small-q4"
    probe = ["me encanta la app", "no me pagan"]
    assert np.allclose(model.probabilities(probe), again.probabilities(probe), atol=1e-5)
