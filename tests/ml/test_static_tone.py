"""The static tone model (tone-static-1): its tokeniser, what it says of plain complaints in
English and Spanish, and that it refuses an altered weights file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from earful.ml import linear, static, tone


def test_the_tokeniser_reads_tweets_as_the_vocabulary_was_built() -> None:
    text = "@United my flight is DELAYED sooooo long!!! #NeverAgain 😡 https://t.co/x9 hasn’t moved"
    assert static.tokens(text) == [
        "my",
        "flight",
        "is",
        "delayed",
        "soo",
        "long",
        "neveragain",
        "😡",
        "hasn't",
        "moved",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00\x01\x02\x1b[31m\x7f",
        "a" * 10_000,
        "word " * 2_000,
        "🤬" * 10_000,
        "\ud800 broken surrogate",
        "#@:// www.",
    ],
)
def test_hostile_input_does_not_break_the_model(text: str) -> None:
    static.tokens(text)
    rows = tone.shipped_static().probabilities([text])
    assert rows.shape == (1, len(tone.CLASSES)) and np.allclose(rows.sum(axis=1), 1.0)


def test_unknown_words_fall_back_to_known_forms() -> None:
    vectors = tone.shipped_static().vectors
    stored = set(vectors.words)
    for unknown, known in [
        ("pleasee", "please"),
        ("helpp", "help"),
        ("cancelacion", "cancelación"),
        ("delaying", "delay"),
    ]:
        assert known in stored and unknown not in stored
        assert vectors.lookup(unknown) == vectors.lookup(known) >= 0, unknown
    assert vectors.lookup("xqzwv") == -1


@pytest.mark.parametrize(
    "text",
    [
        "@SkyJet my flight was cancelled and nobody at the desk can tell me when the next one is",
        "two weeks and my refund still hasn't shown up, third email with no answer",
        "Llevo tres semanas sin cobrar las propinas y nadie de soporte contesta",
        "me han cobrado dos veces el mismo pedido y la app no me deja reclamar",
    ],
)
def test_plain_complaints_are_complaints(text: str) -> None:
    assert tone.shipped_static().score(text)[0] == "complaint"


def test_praise_and_questions_are_not_complaints() -> None:
    model = tone.shipped_static()
    assert model.score("Thanks to the crew, lovely flight and early landing!")[0] == "positive"
    assert model.score("¿A qué hora abre la oficina los sábados?")[0] != "complaint"


def test_an_altered_file_is_refused_and_a_saved_model_reads_back(tmp_path: Path) -> None:
    model = tone.read_static(tone.STATIC_WEIGHTS, tone.STATIC_WEIGHTS_SHA256)
    altered = tmp_path / "altered.npz"
    data = bytearray(tone.STATIC_WEIGHTS.read_bytes())
    data[len(data) // 2] ^= 0x01
    altered.write_bytes(bytes(data))
    with pytest.raises(linear.ModelUnavailable, match="not the file Earful shipped"):
        tone.read_static(altered, tone.STATIC_WEIGHTS_SHA256)
    digest = model.save(tmp_path / "copy.npz")
    again = tone.read_static(tmp_path / "copy.npz", digest)
    texts = ["the app keeps freezing", "gracias!"]
    assert np.allclose(again.probabilities(texts), model.probabilities(texts), atol=1e-5)
