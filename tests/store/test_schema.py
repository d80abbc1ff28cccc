"""The schema: migrations match the models, constraints hold, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from earful.store.db import Database
from earful.store.models import Base, Post
from earful.store.models.base import managed
from earful.store.repos import posts as posts_repo
from tests.factories import make_source

AGGREGATES = {
    "sources",
    "raw_items",
    "posts",
    "enrichments",
    "taxonomy_versions",
    "categories",
    "labels",
    "triage_items",
    "triage_events",
    "teams",
    "users",
    "api_tokens",
    "audit_entries",
    "jobs",
    "quarantine",
}


def test_migrations_create_every_aggregate_and_match_the_models(db: Database) -> None:
    assert set(inspect(db.write_engine).get_table_names()) >= AGGREGATES
    with db.write_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": managed}), Base.metadata
        )
    assert diff == [], f"models changed without a migration: {diff}"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    with db.write() as session:
        assert session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _row(source_id: int, external_id: str, text: str) -> dict[str, object]:
    at = datetime(2026, 11, 2, tzinfo=UTC)
    return {
        "source_id": source_id,
        "external_id": external_id,
        "text": text,
        "posted_at": at,
        "captured_at": at,
        "engagement": {},
        "kind": "post",
    }


def test_a_post_is_stored_once_per_source_and_external_id(db: Database) -> None:
    a, b = make_source(db, "a"), make_source(db, "b")
    with db.write() as session:
        first = posts_repo.insert_new(session, [_row(a.id, "1", "x"), _row(a.id, "2", "y")])
        again = posts_repo.insert_new(session, [_row(a.id, "1", "changed"), _row(b.id, "1", "x")])
    assert set(first) == {"1", "2"} and list(again) == ["1"]
    with db.read() as session:
        assert posts_repo.count_posts(session) == 3
    with pytest.raises(IntegrityError), db.write() as session:
        session.add(Post(**_row(a.id, "1", "bypassing the upsert")))  # type: ignore[arg-type]


def test_deleting_a_source_removes_its_posts_and_raw_items(db: Database) -> None:
    from sqlalchemy import delete, func, select

    from earful.store.models import RawItem, Source

    source = make_source(db)
    with db.write() as session:
        new = posts_repo.insert_new(session, [_row(source.id, "1", "x")])
        posts_repo.insert_raw(session, [(new["1"], "csv", b"sealed")], datetime.now(UTC))
    with db.write() as session:
        session.execute(delete(Source).where(Source.id == source.id))
    with db.read() as session:
        assert session.scalar(select(func.count(Post.id))) == 0
        assert session.scalar(select(func.count(RawItem.post_id))) == 0


def test_packed_rows_store_the_same_values_as_dict_rows(db: Database) -> None:
    source = make_source(db)
    packer = posts_repo.capture_packer(db.write_engine.dialect)
    row = dict.fromkeys(posts_repo.CAPTURE_COLUMNS) | _row(source.id, "packed", "x")
    row |= {"engagement": {"likes": 3}}
    del row["text"]
    with db.write() as session:
        new = posts_repo.insert_new(session, packer.finish([packer.arrange(row)]))
        plain = posts_repo.insert_new(session, [_row(source.id, "plain", "x") | {"engagement": {"likes": 3}}])
        posts_repo.insert_raw(session, [(new["packed"], "jsonl", b"\x01sealed bytes")], datetime.now(UTC))
    with db.read() as session:
        a, b = session.get(Post, new["packed"]), session.get(Post, plain["plain"])
        assert a is not None and b is not None
        assert (a.posted_at, a.engagement, a.external_id) == (b.posted_at, b.engagement, "packed")
        raw = posts_repo.raws_for(session, [a.id]).get(a.id)
        assert raw is not None and bytes(raw.sealed) == b"\x01sealed bytes"


def test_audit_entries_cannot_be_changed_or_deleted(db: Database) -> None:
    from sqlalchemy import delete, update

    from earful.store.models import AuditEntry
    from earful.store.repos import audit as audit_repo

    with db.write() as session:
        audit_repo.append(session, None, "ana", "author.reveal", "post:1", {"reason": "threat reported"})
    for statement in (update(AuditEntry).values(actor="someone else"), delete(AuditEntry)):
        with pytest.raises(Exception, match="append-only"), db.write() as session:
            session.execute(statement)
    with db.read() as session:
        (entry,) = session.scalars(select(AuditEntry))
    assert entry.actor == "ana"
