"""The shipped urgency model reads back what it saved, refuses weights of another layout, and says
when it overrules the rules (refusing altered weights: tests/ml/test_shipped_weights.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from earful.ml import linear, urgency, urgency_model


def test_weights_for_other_classes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    model = urgency_model.shipped()
    linear.save(path, ("a", "b", "c"), model.arrays())
    with pytest.raises(linear.ModelUnavailable, match="another feature layout"):
        urgency_model.read(path, None)


def test_a_saved_model_reads_back_the_same(tmp_path: Path) -> None:
    model = urgency_model.shipped()
    digest = model.save(tmp_path / "copy.npz")
    again = urgency_model.read(tmp_path / "copy.npz", digest)
    texts = ["me acaban de robar la moto a punta de navaja", "the app crashed again"]
    found = [urgency.assess(t) for t in texts]
    assert again.probability(texts, found) == pytest.approx(model.probability(texts, found), abs=1e-5)


def _constant(monkeypatch: pytest.MonkeyPatch, logit: float) -> None:
    """Make the shipped model say the same probability, sigmoid(`logit`), of every text."""
    size = urgency_model.shipped().coef.shape[1]
    model = urgency_model.UrgencyModel(
        idf=np.ones(size - urgency_model.DENSE), coef=np.zeros((2, size)), intercept=np.array([0.0, logit])
    )
    monkeypatch.setattr(urgency_model, "shipped", lambda: model)


def test_it_names_its_doubt_when_it_overrules_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "they attacked the problem head on and the new app is great"
    assert urgency.assess(text).score >= urgency.URGENT and not urgency.reports_now(text)
    _constant(monkeypatch, -2.0)
    found = urgency_model.assess(text)
    assert found.score == pytest.approx(0.119, abs=1e-3)
    assert found.reasons == ["violence", "damped by the urgency model"]


def test_it_says_when_only_it_saw_danger(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "the van ahead just stopped across both lanes and nobody is getting out"
    assert urgency.assess(text).score < urgency.URGENT
    _constant(monkeypatch, 2.0)
    found = urgency_model.assess(text)
    assert found.score >= urgency.URGENT
    assert found.reasons[:1] == [urgency_model.MODEL_REASON]


def test_harm_told_as_happening_now_is_never_scored_below_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Got robbed at gunpoint on my last stop"
    rules = urgency.assess(text)
    assert urgency.reports_now(text) and rules.score >= urgency.URGENT and not rules.damped_by
    _constant(monkeypatch, -2.0)
    found = urgency_model.assess(text)
    assert found.score == rules.score and found.reasons == ["violence"]
