"""The shipped name model: what it must find, what it must leave, and that hostile input is cheap."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from earful.ml import name_tagger
from earful.ml.linear import ModelUnavailable

TAGGER = name_tagger.shipped()


def names(text: str, language: str = "en") -> list[str]:
    return [text[start:end] for start, end in TAGGER(text, language)]


def test_tokens_keep_inner_apostrophes_and_hyphens_and_their_offsets() -> None:
    text = "ask O'Brien & J-Rod @kev_99 #fail"
    spans = name_tagger.tokens(text)
    assert [w for _, _, w in spans] == ["ask", "O'Brien", "&", "J-Rod", "@kev_99", "#fail"]
    assert all(text[s:e] == w for s, e, w in spans)


def test_a_possessive_s_is_not_part_of_the_name() -> None:
    # "Kevin's" as one token was a word no list knows; WNUT-17 train's tokens read "Kevin 's".
    spans = name_tagger.tokens("Kevin's van, Sarah’s place, O'Brien's car, can't")
    assert [w for _, _, w in spans] == [
        "Kevin", "'s", "van", ",", "Sarah", "’s", "place", ",", "O'Brien", "'s", "car", ",", "can't"
    ]  # fmt: skip


def test_a_public_figure_named_by_surname_alone_is_marked() -> None:
    # The people list holds "Donald Trump" and "Barack Obama", not "Trump" or "Obama" alone.
    trump, said, obama = name_tagger.features(["Trump", "said", "Obama"], [False] * 3, "en")
    assert "figsur" in trump and "figsur" in obama and "figsur" not in said


@pytest.mark.parametrize(
    ("text", "language", "name"),
    [
        ("told kevin at the hub and he just laughed", "en", "kevin"),
        ("my driver Kevin’s van was blocking the road again", "en", "Kevin"),
        ("went to Sarah's place last night and the order was there", "en", "Sarah"),
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


def test_an_altered_or_missing_cluster_table_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "clusters.tsv"
    table.write_text("# test\nkayla\t3\t17\ntold\t5\t40\n", encoding="utf-8")
    sha256 = hashlib.sha256(table.read_bytes()).hexdigest()
    assert name_tagger.read_clusters(table, sha256) == {"kayla": ("3", "17"), "told": ("5", "40")}
    table.write_text("# test\nkayla\t3\t18\ntold\t5\t40\n", encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="not the file Earful shipped"):
        name_tagger.read_clusters(table, sha256)
    with pytest.raises(ModelUnavailable, match="missing"):
        name_tagger.read_clusters(tmp_path / "absent.tsv", sha256)


def test_cluster_features_are_read_for_known_words_and_their_neighbours(tmp_path: Path) -> None:
    table = tmp_path / "clusters.tsv"
    table.write_text("kayla\t3\t17\ntold\t5\t40\n", encoding="utf-8")
    sha256 = hashlib.sha256(table.read_bytes()).hexdigest()
    words = ["told", "KAYLA", "zzqx", "today"]
    try:
        name_tagger.use_clusters(table, sha256, window=1)
        told, kayla, unknown, today = name_tagger.features(words, [False] * 4, "en")
        assert {"cc=3", "c=17", "-1cc=5", "-1c=40"} <= set(kayla)  # looked up lower-cased
        assert {"cc=5", "c=40", "+1cc=3", "+1c=17"} <= set(told)
        assert "-1cc=3" in unknown and not any(f.startswith(("cc=", "c=")) for f in unknown)
        assert not any("cc=" in f for f in today)  # two away: outside the window
    finally:
        name_tagger.use_clusters(None, None)
    assert not any(
        "cc=" in f for f in name_tagger.features(words, [False] * 4, "en")[1]
    )  # the shipped model reads none


@given(
    st.lists(st.tuples(st.integers(0, 80), st.integers(1, 12)), max_size=30),
    st.lists(st.tuples(st.integers(0, 80), st.integers(0, 25)), max_size=6),
)
def test_the_rules_verdict_marks_each_token_inside_some_found_name(
    tokens: list[tuple[int, int]], names: list[tuple[int, int]]
) -> None:
    # ruled_mask sweeps tokens and found names in order of start; it must mark exactly the tokens
    # that some found name wholly covers, as testing every token against every name does.
    spans = [(start, start + length, "w") for start, length in tokens]
    found = [(start, start + length) for start, length in names]
    original = name_tagger.rules.find_names
    name_tagger.rules.find_names = lambda text, language=None: iter(found)  # type: ignore[assignment]
    try:
        mask = name_tagger.ruled_mask("", spans, None)
    finally:
        name_tagger.rules.find_names = original  # type: ignore[assignment]
    assert mask == [any(s <= start and end <= e for s, e in found) for start, end, _ in spans]
