"""Past 0023 capturing a post without text marks no Insights day as changed; a post inserted with
its text, enrichment filling a text in, and erasure still do, so the rollups stay right."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.store.old_database import add_source, database_at

POST = (
    "INSERT INTO posts (id, source_id, external_id, kind, text, posted_at, captured_at, engagement) "
    "VALUES (:id, 1, :e, 'post', :text, :at, :at, '{}')"
)


def _changed(conn) -> list[str]:  # type: ignore[no-untyped-def]
    return [row[0] for row in conn.execute(text("SELECT day FROM rollup_changes ORDER BY day"))]


def test_only_posts_with_text_mark_their_day(tmp_path: Path) -> None:
    with database_at("0022", tmp_path) as db:
        if not db.is_sqlite:
            pytest.skip("PostgreSQL's rollup triggers run once per statement and are unchanged")
        with db.write_engine.begin() as conn:
            add_source(conn, "2026-11-01 10:00:00")
            conn.execute(text(POST), {"id": 1, "e": "1", "text": None, "at": "2026-11-01 10:00:00"})
            assert _changed(conn) == ["2026-11-01"]  # before: every captured post marked its day
            conn.execute(text("DELETE FROM rollup_changes"))
        db.upgrade()
        with db.write_engine.begin() as conn:
            # Capture: posts without text mark nothing.
            for number in range(2, 12):
                conn.execute(
                    text(POST), {"id": number, "e": str(number), "text": None, "at": "2026-11-02 09:00:00"}
                )
            assert _changed(conn) == []
            # A post stored with its text marks its day; enrichment filling a text in marks its day.
            conn.execute(text(POST), {"id": 20, "e": "20", "text": "app down", "at": "2026-11-03 08:00:00"})
            conn.execute(text("UPDATE posts SET text = 'no tips' WHERE id = 2"))
            assert _changed(conn) == ["2026-11-02", "2026-11-03"]
            # Erasure of a captured post still marks (harmlessly) its day.
            conn.execute(text("DELETE FROM rollup_changes"))
            conn.execute(text("DELETE FROM posts WHERE id = 3"))
            assert _changed(conn) == ["2026-11-02"]
