"""The search language and its full-text search on SQLite FTS5 and PostgreSQL alike."""

from __future__ import annotations

import pytest

from earful.kit.errors import EarfulError
from earful.kit.search import fts5_expression, parse
from earful.store.db import Database
from earful.store.repos.feed import FeedFilter
from earful.triage.feed import count, feed
from tests.factories import make_posts, make_source

TEXTS = [
    "The GPS pin was wrong again at the station",
    "App crashed during my block, GPS froze too",
    "Missing tips on three orders this week",
    "La app se cierra y el mapa no carga",
    "Scanner froze; the wrong address pin too",
    'He said "wrong pin" twice; support never answered',
]


def found(db: Database, query: str) -> set[str]:
    page = feed(db, limit=50, where=FeedFilter(search=parse(query)))
    return {post.text for post in page.posts}


@pytest.fixture
def posts(db: Database) -> None:
    make_posts(db, make_source(db), TEXTS)


@pytest.mark.usefixtures("posts")
def test_words_side_by_side_must_all_appear(db: Database) -> None:
    assert found(db, "gps froze") == {TEXTS[1]}


@pytest.mark.usefixtures("posts")
def test_a_quoted_phrase_matches_the_words_in_order_only(db: Database) -> None:
    assert found(db, '"wrong pin"') == {TEXTS[5]}
    assert found(db, "wrong pin") == {TEXTS[0], TEXTS[4], TEXTS[5]}


@pytest.mark.usefixtures("posts")
def test_or_and_not_combine(db: Database) -> None:
    assert found(db, "tips OR mapa") == {TEXTS[2], TEXTS[3]}
    assert found(db, "gps NOT crashed") == {TEXTS[0]}
    assert found(db, "gps -crashed") == {TEXTS[0]}
    assert found(db, "pin AND wrong NOT station OR tips") == {TEXTS[4], TEXTS[5], TEXTS[2]}


@pytest.mark.usefixtures("posts")
def test_prefix_search_and_case_do_not_matter(db: Database) -> None:
    assert found(db, "CRASH*") == {TEXTS[1]}
    assert found(db, "Scanner") == {TEXTS[4]}


@pytest.mark.usefixtures("posts")
def test_search_syntax_in_a_term_is_only_text(db: Database) -> None:
    # FTS5 and tsquery operators typed by a user must not reach either engine as syntax.
    for hostile in [
        'pin" OR "tips',
        "NEAR(gps pin)",
        "gps:* & !x",
        "text:crashed",
        "'; DROP TABLE posts; --",
    ]:
        found(db, hostile)  # no error from the engine
    assert found(db, 'pin" OR "tips') == found(db, "pin OR tips")


@pytest.mark.usefixtures("posts")
def test_the_preview_count_matches_the_results(db: Database) -> None:
    assert count(db, FeedFilter(search=parse("gps OR pin"))) == 4
    assert count(db, FeedFilter()) == len(TEXTS)


def test_a_post_edited_by_enrichment_is_searched_by_its_new_text(db: Database) -> None:
    from earful.store.repos import posts as posts_repo

    (pid,) = make_posts(db, make_source(db), ["placeholder words"])
    with db.write() as session:
        posts_repo.set_fields(session, pid, text="redacted [EMAIL] about the tips")
    assert found(db, "tips") == {"redacted [EMAIL] about the tips"}
    assert found(db, "placeholder") == set()


@pytest.mark.parametrize(
    ("query", "advice"),
    [("NOT gps", "not only words to exclude"), ("gps OR", "OR needs words"), ("OR gps", "OR needs words")],
)
def test_a_query_that_cannot_work_says_how_to_fix_it(query: str, advice: str) -> None:
    with pytest.raises(EarfulError, match=advice):
        parse(query)


def test_fts5_expression_quotes_every_term() -> None:
    expected = '(("gps" AND "wrong pin" AND "tip" *) NOT "crash")'
    assert fts5_expression(parse('gps "wrong pin" -crash tip*')) == expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("toot", "Toot, finally!", True),
        ('"toot finally"', "Toot, finally!", True),
        ('"finally toot"', "Toot, finally!", False),
        ("toot -finally", "Toot, finally!", False),
        ("editor OR hoot", "#hoot (hashtag toot)", True),
        ("edit*", "the best editor? why", True),
        ("depot", "Dépôt closed early", True),
        ("pin", "spinning wheel", False),
    ],
)
def test_a_query_matches_text_as_the_search_would(query: str, text: str, expected: bool) -> None:
    from earful.kit.search import matches

    assert matches(parse(query), text) is expected


@pytest.mark.parametrize("query", ["*", "🙂", "🚗 🔥", '""', "- * ' \"", "NOT", "AND"])
def test_a_query_without_a_word_to_search_for_says_so(query: str) -> None:
    with pytest.raises(EarfulError, match="no words to search for"):
        parse(query)
    assert parse("   ") == ()  # an empty box is no search at all
