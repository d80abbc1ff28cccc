"""Feed filters and sort orders, each narrowing what a person would see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from earful.store.db import Database
from earful.store.repos import posts as posts_repo
from earful.store.repos.feed import FeedFilter
from earful.triage.feed import count, feed, preview_count
from tests.factories import make_posts, make_source
from tests.triage.test_work import actor, label


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    uk = make_source(db, "r/uk", region="UK")
    mx = make_source(db, "r/mx", region="Mexico", language="es")
    a, b = make_posts(db, uk, ["app crashed", "thanks for the bonus"])
    (c,) = make_posts(db, mx, ["no me pagaron las propinas"], start=datetime(2026, 11, 3, tzinfo=UTC))
    with db.write() as session:
        posts_repo.set_fields(session, a, sentiment="complaint", urgency=0.7)
        posts_repo.set_fields(session, b, sentiment="positive", urgency=0.0)
        posts_repo.set_fields(session, c, sentiment="complaint", urgency=0.2, language="es")
    label(db, a, "app")
    label(db, a, "app.crashes_login")
    label(db, c, "pay.tips")
    return {"a": a, "b": b, "c": c}


def shown(db: Database, sort: str = "newest", **where: object) -> list[int]:
    return [p.id for p in feed(db, where=FeedFilter(**where), sort=sort).posts]  # type: ignore[arg-type]


def test_each_filter_narrows_the_feed(db: Database, ids: dict[str, int]) -> None:
    a, b, c = ids["a"], ids["b"], ids["c"]
    assert shown(db) == [c, b, a]
    assert shown(db, source="r/uk") == [b, a]
    assert shown(db, region="Mexico") == [c]
    assert shown(db, language="es") == [c]
    assert shown(db, sentiment="complaint") == [c, a]
    assert shown(db, min_urgency=0.5) == [a]
    assert shown(db, category="app") == [a]
    assert shown(db, category="pay.tips") == [c]
    assert shown(db, category="pay") == [c]
    assert shown(db, since=datetime(2026, 11, 2, tzinfo=UTC)) == [c]
    assert shown(db, until=datetime(2026, 11, 2, tzinfo=UTC)) == [b, a]


def test_status_new_includes_untouched_posts(db: Database, ids: dict[str, int]) -> None:
    from earful.triage import service

    service.set_status(db, actor(db, "ana"), ids["a"], "investigating")
    assert shown(db, status="new") == [ids["c"], ids["b"]]
    assert shown(db, status="investigating") == [ids["a"]]


def test_urgency_sort_pages_by_urgency_then_time(db: Database, ids: dict[str, int]) -> None:
    assert shown(db, sort="urgency") == [ids["a"], ids["c"], ids["b"]]
    first = feed(db, limit=1, sort="urgency")
    second = feed(db, limit=1, sort="urgency", cursor=first.next_cursor)
    third = feed(db, limit=1, sort="urgency", cursor=second.next_cursor)
    assert [p.id for page in (first, second, third) for p in page.posts] == [ids["a"], ids["c"], ids["b"]]
    assert third.next_cursor is None


def test_a_category_key_is_matched_literally(db: Database, ids: dict[str, int]) -> None:
    assert shown(db, category="%") == []
    assert shown(db, category="p_y") == []


def test_the_live_feed_sends_every_post_once_even_when_enrichment_finishes_out_of_order(db: Database) -> None:
    from earful.triage.feed import arrived, settled_up_to

    source = make_source(db)
    first = make_posts(db, source, [f"post {i}" for i in range(3)])
    floor, sent = first[-1], set()
    late, early = make_posts(
        db, make_source(db, "later"), ["late", "early"], start=datetime(2026, 11, 5, tzinfo=UTC)
    )
    with db.write() as session:
        posts_repo.set_fields(session, late, text=None)  # still being enriched
    got = [p.id for p in arrived(db, FeedFilter(), floor, exclude=sorted(sent))]
    assert got == [early]
    sent.update(got)
    floor = settled_up_to(db, floor, max(sent))
    assert floor == late - 1  # waits below the post still in the pipeline
    with db.write() as session:
        posts_repo.set_fields(session, late, text="late")
    got = [p.id for p in arrived(db, FeedFilter(), floor, exclude=sorted(p for p in sent if p > floor))]
    assert got == [late]


def test_a_preview_count_cut_short_says_how_many_it_found_and_that_it_stopped(db: Database) -> None:
    uk = make_source(db, "r/uk", region="UK")
    ids = make_posts(db, uk, [f"driver post {i}" for i in range(1200)])
    with db.write() as session:
        for pid in ids:
            posts_repo.set_fields(session, pid, urgency=0.5)
    slow = FeedFilter(min_urgency=0.0)  # not a filter the rollups answer: the posts are counted
    assert preview_count(db, slow, None) == (1200, True)
    assert preview_count(db, slow, 30.0) == (1200, True)
    # No time at all: it stops at the first look and says so, with what it had counted by then.
    counted, complete = preview_count(db, slow, 0.0)
    assert not complete
    assert 0 <= counted < 1200
    # The same database answers in full afterwards (a cancelled count leaves nothing behind).
    assert preview_count(db, slow, None) == (1200, True)
    assert count(db, FeedFilter(region="UK")) == 1200


def test_a_count_knows_a_statement_stopped_on_purpose_from_a_real_error(db: Database) -> None:
    """count_within treats the driver's own cancel (PostgreSQL's statement timeout) or interrupt
    (SQLite's progress handler) as "cut short", by its code, and lets any other error through."""
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import OperationalError

    from earful.store.repos.feed import _cut_short

    def stopped() -> OperationalError:
        with db.read() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET LOCAL statement_timeout = 1"))
                statement = "SELECT pg_sleep(2)"
            else:
                raw = session.connection().connection.dbapi_connection
                raw.set_progress_handler(lambda: 1, 1)  # type: ignore[union-attr]
                statement = (
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
                )
            try:
                with pytest.raises(OperationalError) as raised:
                    session.execute(text(statement))
            finally:
                if session.get_bind().dialect.name != "postgresql":
                    raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
                session.rollback()
        return raised.value

    assert _cut_short(stopped())
    # Another operational error of the same driver: SQLite's missing table; PostgreSQL's refused connection.
    with pytest.raises(OperationalError) as other:
        if not db.is_sqlite:
            create_engine(make_url(db.url).set(port=1)).connect()
        else:
            with db.read() as session:
                session.execute(text("SELECT x FROM no_such_table_here"))
    assert not _cut_short(other.value)
