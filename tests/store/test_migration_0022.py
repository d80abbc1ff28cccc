"""Past 0022 the SQLite full-text index holds only posts with words: capture writes no empty entry
per post, while search over enriched posts, and erasure, work as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.store.old_database import add_source, database_at

NOW = "2026-11-01 10:00:00"
POST = (
    "INSERT INTO posts (id, source_id, external_id, kind, text, posted_at, captured_at, engagement) "
    "VALUES (:id, 1, :e, 'post', :text, :now, :now, '{}')"
)


def _indexed(conn) -> int:  # type: ignore[no-untyped-def]
    return int(conn.execute(text("SELECT count(*) FROM posts_fts_docsize")).scalar_one())


def _found(conn, word: str) -> list[int]:  # type: ignore[no-untyped-def]
    query = text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH :w ORDER BY rowid")
    return [row[0] for row in conn.execute(query, {"w": word})]


def test_only_posts_with_words_are_indexed(tmp_path: Path) -> None:
    with database_at("0021", tmp_path) as db:
        if not db.is_sqlite:
            pytest.skip("the full-text triggers are SQLite's; PostgreSQL indexes an expression")
        with db.write_engine.begin() as conn:
            add_source(conn, NOW)
            conn.execute(text(POST), {"id": 1, "e": "1", "text": "pay is late again", "now": NOW})
            for number in (2, 3):
                conn.execute(text(POST), {"id": number, "e": str(number), "text": None, "now": NOW})
        db.upgrade()
        with db.write_engine.begin() as conn:
            # The empty entries made before the upgrade are gone; the enriched post is still found.
            assert _indexed(conn) == 1
            assert _found(conn, "late") == [1]
            # Capture: a post without words gets no entry.
            for number in range(4, 54):
                conn.execute(text(POST), {"id": number, "e": str(number), "text": None, "now": NOW})
            assert _indexed(conn) == 1
            # Enrichment fills the text in: the post is found by it, and by its new words only.
            conn.execute(text("UPDATE posts SET text = 'scanner broken' WHERE id IN (2, 4)"))
            conn.execute(text("UPDATE posts SET text = 'scanner fixed' WHERE id = 4"))
            assert _found(conn, "scanner") == [2, 4]
            assert _found(conn, "broken") == [2]
            assert _indexed(conn) == 3
            # Erasure removes both kinds of post, and what was indexed leaves the index.
            conn.execute(text("DELETE FROM posts WHERE id IN (1, 2, 5)"))
            assert _found(conn, "scanner") == [4]
            assert _found(conn, "late") == []
            assert _indexed(conn) == 1
            conn.execute(text("INSERT INTO posts_fts(posts_fts) VALUES ('integrity-check')"))
