"""The zero-label classifier: a taxonomy's keywords, matched without regard to case or accents."""

from __future__ import annotations

import pytest

from earful.ml.keywords import KeywordClassifier
from earful.ml.taxonomy import load_default

CLASSIFIER = KeywordClassifier(load_default())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The app crashed and logged me out again", "app.crashes_login"),
        ("No puedo ESCANEAR los paquetes, el escaner no lee la etiqueta", "app.scanning"),
        ("customer showed me a tip that never arrived", "pay.tips"),
        ("Un perro me ha mordido en una urbanización", "safety.animals"),
        ("Waited two hours at the station before we could load", "operations.station_waits"),
    ],
)
def test_posts_get_the_category_their_words_point_to(text: str, expected: str) -> None:
    predictions = CLASSIFIER.predict(text)
    assert predictions and predictions[0].key == expected, predictions
    assert 0 < predictions[0].confidence < 1 and predictions[0].evidence


def test_more_keywords_mean_more_confidence_and_no_keyword_means_no_label() -> None:
    one = CLASSIFIER.predict("my tip is missing")[0]
    two = CLASSIFIER.predict("my tip is missing, propinas never show")[0]
    assert one.key == two.key == "pay.tips" and two.confidence > one.confidence
    assert CLASSIFIER.predict("lovely sunset tonight") == []


def test_keywords_match_whole_words_only() -> None:
    assert all(p.key != "app.crashes_login" for p in CLASSIFIER.predict("the crashedX variable"))
