"""Small factories for test data, written through the real services."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.kit.clock import utcnow
from earful.ml.taxonomy import load_default
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Label, Post, Source
from earful.store.repos import posts as posts_repo
from earful.store.repos import sources as sources_repo
from earful.store.repos import taxonomy as taxonomy_repo


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


def ensure_taxonomy(db: Database) -> dict[str, int]:
    """Save the default taxonomy (once) and return {category key: id} of its newest version."""
    with db.write() as session:
        latest = taxonomy_repo.latest(session)
        if latest is None:
            latest = taxonomy_repo.save(session, load_default(), note="test", user_id=None)
        return taxonomy_repo.category_ids(session, latest.version)


def label(
    db: Database,
    post_ids: list[int],
    key: str,
    sentiment: str | None = None,
    by: str = "model",
    confidence: float = 0.9,
) -> None:
    """Label these posts with category `key` (by the model or an analyst), and set their sentiment."""
    ids = ensure_taxonomy(db)
    with db.write() as session:
        version = taxonomy_repo.latest(session)
        assert version is not None
        for pid in post_ids:
            session.add(
                Label(
                    post_id=pid,
                    category_id=ids[key],
                    by=by,
                    confidence=confidence,
                    taxonomy_version=version.version,
                )
            )
            if sentiment:
                session.execute(update(Post).where(Post.id == pid).values(sentiment=sentiment))


def posts_at(
    db: Database, source: Source, times: list[datetime], text: str = "post", **fields: Any
) -> list[int]:
    """Store one post at each of these times (in order); return their ids."""
    with db.read() as session:
        taken = session.scalar(select(func.count()).select_from(Post).where(Post.source_id == source.id)) or 0
    rows = [
        {
            "source_id": source.id,
            "external_id": f"at-{source.id}-{taken + i}",
            "kind": "post",
            "text": f"{text} {taken + i}",
            "language": "en",
            "posted_at": at,
            "captured_at": utcnow(),
            "engagement": {},
            "author_key": f"a_at{i % 50}",
            **fields,
        }
        for i, at in enumerate(times)
    ]
    with db.write() as session:
        new = posts_repo.insert_new(session, rows)
    return [new[r["external_id"]] for r in rows]


def import_enriched(db: Database, settings: Settings, folder: Path, texts: list[str], tag: str) -> None:
    """Import `texts` into source "drivers" through a real file import, and enrich them."""
    path = folder / f"{tag}.jsonl"
    path.write_text("".join(json.dumps({"id": f"{tag}-{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    get_or_create_source(db, "drivers")
    iter_import(db, settings, path, "drivers")
    drain(db, settings)
