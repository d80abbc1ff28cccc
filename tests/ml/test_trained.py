"""Trained classifiers: the taxonomy's own examples as a start, labels on top, and evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from earful.ml.evaluate import sample_shots, score
from earful.ml.taxonomy import load_default
from earful.ml.trained import SURE_ENOUGH, THRESHOLD, TrainedClassifier

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


POSTS = ["the app froze at login again", "tips missing from last week", "a dog chased me at the gate"]
LEAVES = ["app.crashes_login", "pay.tips", "safety.animals"]
PROBES = ["the app crashed and my tips are gone", "lovely weather for a walk", "zzz qqq", "hola"]


def test_trained_on_one_leaf_a_post_it_gives_the_surest_leaf_below_even_odds() -> None:
    model = TrainedClassifier(TAXONOMY).fit(POSTS * 4, LEAVES * 4)
    assert model.single_label
    probs = model.probabilities(PROBES)
    found = model.predict_many(PROBES)
    for row, given in zip(probs, found, strict=True):
        surest = model.classes[int(row.argmax())]
        if row.max() >= SURE_ENOUGH:
            assert [p.key for p in given] == [surest]
        else:
            assert given == []
    # The decision differs from the multi-label one: some post gets a leaf below THRESHOLD.
    assert any(given and given[0].confidence < THRESHOLD for given in found)


def test_trained_on_several_leaves_a_post_it_gives_those_above_the_threshold() -> None:
    labels: list[str | list[str]] = [*LEAVES[:2], ["safety.animals", "customers.non_compliant"]]
    model = TrainedClassifier(TAXONOMY).fit(POSTS * 4, labels * 4)
    assert not model.single_label
    probs = model.probabilities(PROBES)
    for row, given in zip(probs, model.predict_many(PROBES), strict=True):
        assert {p.key for p in given} == {model.classes[i] for i in np.flatnonzero(row >= THRESHOLD)}
    assert any(row.max() < THRESHOLD for row in probs)  # so some post stays unlabelled


def test_a_model_stored_before_single_label_decisions_keeps_its_thresholds() -> None:
    model = TrainedClassifier(TAXONOMY).fit(POSTS * 4, LEAVES * 4)
    state = model.__getstate__()
    del state["single_label"], state["c_used"]
    old = TrainedClassifier.__new__(TrainedClassifier)
    old.__setstate__(state)
    assert not old.single_label
    for row, given in zip(old.probabilities(PROBES), old.predict_many(PROBES), strict=True):
        assert [p.key for p in given] == [old.classes[i] for i in np.argsort(-row)[:3] if row[i] >= THRESHOLD]


def test_labels_loosen_the_regularisation_as_they_grow() -> None:
    few = TrainedClassifier(TAXONOMY).fit(POSTS * 4, LEAVES * 4)
    many = TrainedClassifier(TAXONOMY).fit(POSTS * 128, LEAVES * 128)
    assert few.c_used == few.c and many.c_used == pytest.approx(few.c * 2)
