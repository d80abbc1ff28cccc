"""Past 0024 one SQLite insert trigger does what the two before it did: a post inserted with a
title or text is indexed for search, one with text marks its day for the Insights rollups, and a
captured post (neither yet) does neither. Downgrading brings the two triggers back."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from earful.store.db import alembic_config
from tests.store.old_database import add_source, database_at

POST = (
    "INSERT INTO posts (id, source_id, external_id, kind, title, text, posted_at, captured_at, engagement) "
    "VALUES (:id, 1, :id, 'post', :title, :text, :at, :at, '{}')"
)


def _insert_triggers(conn) -> list[str]:  # type: ignore[no-untyped-def]
    found = conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'posts' ORDER BY name"
        )
    )
    return [name for name, sql in found if "AFTER INSERT ON posts" in sql]


def _state(conn) -> tuple[list[int], list[str]]:  # type: ignore[no-untyped-def]
    # The index's own record of each entry (posts_fts reads its rows back from posts itself).
    indexed = [row[0] for row in conn.execute(text("SELECT id FROM posts_fts_docsize ORDER BY id"))]
    marked = [row[0] for row in conn.execute(text("SELECT day FROM rollup_changes ORDER BY day"))]
    return indexed, marked


def _insert_each_kind(conn) -> None:  # type: ignore[no-untyped-def]
    rows = [
        (1, None, None, "2026-11-01 10:00:00"),  # captured: no words yet
        (2, "Station closed", None, "2026-11-02 10:00:00"),  # a title alone
        (3, None, "app down again", "2026-11-03 10:00:00"),
        (4, "Outage", "no tips today", "2026-11-03 11:00:00"),
    ]
    for post_id, title, body, at in rows:
        conn.execute(text(POST), {"id": post_id, "title": title, "text": body, "at": at})


def test_one_trigger_indexes_and_marks_as_the_two_did(tmp_path: Path) -> None:
    with database_at("0023", tmp_path) as db:
        if not db.is_sqlite:
            pytest.skip("PostgreSQL's triggers are unchanged by 0024")
        with db.write_engine.begin() as conn:
            add_source(conn, "2026-11-01 10:00:00")
            assert _insert_triggers(conn) == ["posts_fts_insert", "rollup_posts_insert"]
            _insert_each_kind(conn)
            before = _state(conn)
            conn.execute(text("DELETE FROM posts"))
            conn.execute(text("DELETE FROM rollup_changes"))
        assert before == ([2, 3, 4], ["2026-11-03"])
        db.upgrade("0024")
        with db.write_engine.begin() as conn:
            assert _insert_triggers(conn) == ["posts_words_insert"]
            _insert_each_kind(conn)
            assert _state(conn) == before
            # The index still answers a search for the words inserted.
            hits = conn.execute(text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'tips'")).all()
            assert [row[0] for row in hits] == [4]
        command.downgrade(alembic_config(db.url), "0023")
        with db.write_engine.begin() as conn:
            assert _insert_triggers(conn) == ["posts_fts_insert", "rollup_posts_insert"]
