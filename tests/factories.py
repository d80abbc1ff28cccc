"""Small factories for test data, written through the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from earful.kit.clock import utcnow
from earful.store.db import Database
from earful.store.models import Post, Source
from earful.store.repos import posts as posts_repo
from earful.store.repos import sources as sources_repo


def make_source(db: Database, name: str = "r/testdrivers", **fields: Any) -> Source:
    """Create and return a source."""
    with db.write() as session:
        return sources_repo.add(
            session,
            name=name,
            kind=fields.pop("kind", "reddit"),
            region=fields.pop("region", "UK"),
            language=fields.pop("language", "en"),
            **fields,
        )


def make_posts(db: Database, source: Source, texts: list[str], start: datetime | None = None) -> list[int]:
    """Store posts with these texts, one minute apart (the last is the newest); return their ids."""
    start = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    rows = [
        {
            "source_id": source.id,
            "external_id": f"ext-{source.id}-{i}",
            "kind": "post",
            "text": text,
            "language": "en",
            "posted_at": start + timedelta(minutes=i),
            "captured_at": utcnow(),
            "engagement": {},
            "author_key": f"a_test{i}",
        }
        for i, text in enumerate(texts)
    ]
    with db.write() as session:
        new = posts_repo.insert_new(session, rows)
    return [new[r["external_id"]] for r in rows]


def post(db: Database, post_id: int) -> Post:
    """Return a post by id."""
    with db.read() as session:
        found = session.get(Post, post_id)
        assert found is not None
        return found
