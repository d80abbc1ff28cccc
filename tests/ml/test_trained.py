"""Trained classifiers: the taxonomy's own examples as a start, labels on top, and evaluation."""

from __future__ import annotations

import pytest

from earful.ml.evaluate import sample_shots, score
from earful.ml.taxonomy import load_default
from earful.ml.trained import TrainedClassifier

TAXONOMY = load_default()


def test_the_taxonomy_alone_trains_a_usable_classifier() -> None:
    model = TrainedClassifier(TAXONOMY).fit([], [])
    assert model.predict_keys(["the app keeps crashing and logging me out"]) == ["app.crashes_login"]
    top = model.predict("un perro me mordió en el portal")[0]
    assert top.key == "safety.animals" and 0 < top.confidence <= 1


def test_analyst_labels_change_what_similar_posts_get() -> None:
    post = "the yellow lockers at the depot jammed again"
    before = TrainedClassifier(TAXONOMY).fit([], []).predict_keys([post])[0]
    assert before != "operations.station_waits"
    relabelled = [
        "yellow lockers at the depot jammed, stuck for an hour",
        "depot lockers jammed again so we queued",
        "the lockers at the depot jam every morning",
    ]
    after = TrainedClassifier(TAXONOMY).fit(relabelled, ["operations.station_waits"] * 3)
    assert after.predict_keys([post]) == ["operations.station_waits"]


def test_labels_outside_the_taxonomy_are_refused() -> None:
    with pytest.raises(ValueError, match="not in the taxonomy"):
        TrainedClassifier(TAXONOMY).fit(["x"], ["unions"])


def test_shots_and_scores() -> None:
    texts = [f"t{i}" for i in range(10)]
    labels = ["a"] * 6 + ["b"] * 4
    few_texts, few_labels = sample_shots(texts, labels, 2, seed=0)
    assert sorted(few_labels) == ["a", "a", "b", "b"] and sample_shots(texts, labels, 2, 0)[0] == few_texts
    scores = score(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert scores.recall == [0.5, 1.0] and scores.confusion == [[1, 1], [0, 2]]
    assert round(scores.macro_recall, 2) == 0.75
