"""Past 0025 every source has a kind Earful knows: the demo's old kinds become the ones they are,
any other unknown kind becomes `file`, and known kinds are left alone; so `earful source set` can
change each of them again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from earful.ingest.sources import KINDS
from tests.store.old_database import database_at

BEFORE = {
    "news": "rss",
    "feedback_form": "webhook",
    "forum": "community",
    "bogus": "file",
    "reddit": "reddit",
}
SOURCE = (
    "INSERT INTO sources (id, name, kind, visibility, settings, cursor, enabled, created_at) "
    "VALUES (:id, :name, :kind, 'public', '{}', '{}', true, '2026-11-01 10:00:00')"
)


def test_unknown_source_kinds_become_known_ones(tmp_path: Path) -> None:
    with database_at("0024", tmp_path) as db:
        with db.write_engine.begin() as conn:
            for i, kind in enumerate(BEFORE, start=1):
                conn.execute(text(SOURCE), {"id": i, "name": f"s{i}", "kind": kind})
        db.upgrade("0025")
        with db.read_engine.connect() as conn:
            kinds = dict(conn.execute(text("SELECT name, kind FROM sources")).all())
    assert kinds == {f"s{i}": new for i, new in enumerate(BEFORE.values(), start=1)}
    assert set(kinds.values()) <= set(KINDS)
