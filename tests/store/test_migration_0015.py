"""Upgrading past 0015 rewrites or clears stored links that name their author."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from earful.store.db import Database
from earful.store.sealing import raw_sealer
from tests.store.old_database import add_source, database_at

SECRET = "migration-test-secret"
NOW = "2026-11-01 10:00:00"
# external id -> (stored link, the raw item's author, the link after the upgrade)
POSTS = {
    "x": ("https://x.com/DC_DashDriver/status/2123", None, "https://x.com/i/web/status/2123"),
    "masto": ("https://mstdn.example/@cardiff_cat/117638546462070932", None, None),
    "ap": ("https://toot.example.org/users/glasgow_gav/statuses/1175/activity", None, None),
    "bsky": ("https://bsky.app/profile/did:plc:ewvi7nxzyoun6zhxrhs64oiz/post/3l6o", None, None),
    "forum": ("https://forum.example/t/88122?by=Lucia_Reparte", "lucia_reparte", None),
    # Another person's name, and a link naming nobody: both kept as they were.
    "other": ("https://forum.example/t/88123?by=Lucia_Reparte", "valencia_ruta", "same"),
    # A Reddit thread keeps its short form (its title slug goes too: migration 0019).
    "reddit": (
        "https://www.reddit.com/r/drivers/comments/200ierc/pay/",
        "bay_brandon",
        "https://www.reddit.com/comments/200ierc/",
    ),
}


@pytest.fixture
def old_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A database at revision 0013 of its own (a file, or a fresh PostgreSQL schema)."""
    monkeypatch.setenv("EARFUL_SECRET_KEY", SECRET)
    with database_at("0013", tmp_path) as db:
        yield db


def _store(db: Database, secret: str) -> None:
    sealer = raw_sealer(secret.encode())
    with db.write_engine.begin() as conn:
        add_source(conn, NOW)
        for number, (external_id, (url, author, _)) in enumerate(POSTS.items(), start=1):
            conn.execute(
                text(
                    "INSERT INTO posts (id, source_id, external_id, kind, url, text, posted_at, captured_at, "
                    "engagement) VALUES (:id, 1, :e, 'post', :url, 'pay is late', :now, :now, '{}')"
                ),
                {"id": number, "e": external_id, "url": url, "now": NOW},
            )
            if author is not None:
                payload = json.dumps({"id": external_id, "text": "pay is late", "author": author, "url": url})
                conn.execute(
                    text(
                        "INSERT INTO raw_items (post_id, format, sealed, received_at) "
                        "VALUES (:id, 'jsonl', :s, :now)"
                    ),
                    {"id": number, "s": sealer.seal(payload), "now": NOW},
                )


def _links(db: Database) -> dict[str, str | None]:
    with db.write_engine.connect() as conn:
        return {row.external_id: row.url for row in conn.execute(text("SELECT external_id, url FROM posts"))}


def test_upgrade_rewrites_x_links_and_clears_links_that_name_their_author(old_db: Database) -> None:
    _store(old_db, SECRET)
    old_db.upgrade()
    expected = {
        external_id: url if after == "same" else after for external_id, (url, _, after) in POSTS.items()
    }
    assert _links(old_db) == expected


def test_without_the_secret_the_platforms_patterns_still_decide(old_db: Database) -> None:
    _store(old_db, "another-deployments-secret")
    old_db.upgrade()
    links = _links(old_db)
    assert links["x"] == "https://x.com/i/web/status/2123"
    assert links["masto"] is None and links["ap"] is None and links["bsky"] is None
    # The raw item does not open, so who wrote it is unknown: a link without a pattern stays.
    assert links["forum"] == POSTS["forum"][0]
