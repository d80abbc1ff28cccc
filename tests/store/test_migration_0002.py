"""Upgrading a database from 0001 seals its raw input and drops text stored before redaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from earful.store.db import Database
from earful.store.sealing import quarantine_sealer, raw_sealer
from tests.store.old_database import add_source, database_at

SECRET = "migration-test-secret"


@pytest.fixture
def old_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A database at revision 0001 of its own (a file, or a fresh PostgreSQL schema)."""
    monkeypatch.setenv("EARFUL_SECRET_KEY", SECRET)
    with database_at("0001", tmp_path) as db:
        yield db


def test_upgrade_seals_raw_items_and_quarantine_and_clears_unredacted_text(old_db: Database) -> None:
    now = "2026-11-01 10:00:00"
    with old_db.write_engine.begin() as conn:
        add_source(conn, now)
        conn.execute(
            text(
                "INSERT INTO posts (id, source_id, external_id, kind, body, text, posted_at, captured_at, "
                "engagement) VALUES (1, 1, 'e1', 'post', 'mail me: jo@example.com', "
                "'mail me: jo@example.com', :now, :now, '{}')"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO raw_items (post_id, format, payload, received_at) VALUES (1, 'jsonl', :p, :now)"
            ),
            {"p": '{"id": "e1", "text": "mail me: jo@example.com"}', "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO quarantine (origin, location, reason, raw, fingerprint, created_at) "
                "VALUES ('import:x', 'line 2', 'bad JSON', '{\"text\": \"call 07700 900123', 'f', :now)"
            ),
            {"now": now},
        )
    old_db.upgrade()
    columns = {t: {c["name"] for c in inspect(old_db.write_engine).get_columns(t)} for t in ("posts",)}
    assert "body" not in columns["posts"]
    with old_db.write_engine.connect() as conn:
        sealed = conn.execute(text("SELECT sealed FROM raw_items WHERE post_id = 1")).scalar_one()
        raw, fingerprint = conn.execute(text("SELECT sealed_raw, fingerprint FROM quarantine")).one()
        post_text = conn.execute(text("SELECT text FROM posts WHERE id = 1")).scalar_one()
    assert (
        raw_sealer(SECRET.encode()).open(bytes(sealed)) == '{"id": "e1", "text": "mail me: jo@example.com"}'
    )
    assert quarantine_sealer(SECRET.encode()).open(bytes(raw)) == '{"text": "call 07700 900123'
    assert fingerprint != "f"
    assert post_text is None  # stored before redaction existed: rebuilt by `earful enrich`
