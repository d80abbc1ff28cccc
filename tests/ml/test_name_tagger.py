"""The shipped name model: what it must find, what it must leave, and that hostile input is cheap."""

from __future__ import annotations

import time

import pytest

from earful.ml import name_tagger

TAGGER = name_tagger.shipped()


def names(text: str, language: str = "en") -> list[str]:
    return [text[start:end] for start, end in TAGGER(text, language)]


def test_tokens_keep_inner_apostrophes_and_hyphens_and_their_offsets() -> None:
    text = "ask O'Brien & J-Rod @kev_99 #fail"
    spans = name_tagger.tokens(text)
    assert [w for _, _, w in spans] == ["ask", "O'Brien", "&", "J-Rod", "@kev_99", "#fail"]
    assert all(text[s:e] == w for s, e, w in spans)


@pytest.mark.parametrize(
    ("text", "language", "name"),
    [
        ("told kevin at the hub and he just laughed", "en", "kevin"),
        ("shoutout to priya for finding my order", "en", "priya"),
        ('the agent "Marcus" closed my ticket without reading it', "en", "Marcus"),
        ("my dispatcher Oluwaseun Adeyemi sent me to the wrong store again", "en", "Oluwaseun Adeyemi"),
        ("el supervisor Ramírez no contesta el teléfono", "es", "Ramírez"),
        ("le dije a maria que la app no carga", "es", "maria"),
        ("según declaró el ministro, José Luis Escrivá, la ley entra en vigor", "es", "José Luis Escrivá"),
    ],
)
def test_names_written_as_people_write_them_are_found(text: str, language: str, name: str) -> None:
    assert any(name in found for found in names(text, language)), names(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("DoorDash and Uber Eats pay more than Kestrel in Madrid", "en"),
        ("Google Maps sent me down Oxford Street at rush hour", "en"),
        ("la app de Rappi se cae en Ciudad de México todos los viernes", "es"),
        ("my iPhone overheats when Waze and Spotify run together", "en"),
    ],
)
def test_brands_places_and_products_are_left(text: str, language: str) -> None:
    assert names(text, language) == []


def test_a_long_hostile_post_is_tagged_in_windows_quickly() -> None:
    text = "Call " + "Bob Bob " * 3000 + "now"
    started = time.perf_counter()
    found = list(TAGGER(text, "en"))
    assert time.perf_counter() - started < 5
    assert found and all(text[s:e].strip() for s, e in found)


def test_empty_and_punctuation_only_posts_have_no_names() -> None:
    assert names("") == []
    assert names("!!! ??? ...") == []
