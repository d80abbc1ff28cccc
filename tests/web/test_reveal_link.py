"""A link that names its author is shown only through the audited author reveal."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.classify.service import ensure_default
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry, Post
from tests.web.conftest import login

LINK = "https://social.example/@Rider_Jo/117638546462070932"
POSTS = [
    {"id": "1", "author": "@Rider_Jo", "text": "Someone threatened me at the door tonight", "url": LINK},
    {
        "id": "2",
        "author": "@other",
        "text": "My tips are missing again",
        "url": "https://x.com/other/status/42",
    },
]


def _load(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    ensure_default(db)
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS))
    get_or_create_source(db, "Mastodon #drivers")
    iter_import(db, settings, path, "Mastodon #drivers")
    drain(db, settings)
    with db.read() as session:
        return {p.external_id: p.id for p in session.scalars(select(Post))}


def test_the_original_link_shows_only_after_an_audited_reveal(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _load(db, settings, tmp_path)
    login(client, db, "lee", "lead")
    before = client.get(f"/posts/{ids['1']}").text
    assert "Rider_Jo" not in before and "117638546462070932" not in before
    assert "Rider_Jo" not in client.get("/feed").text
    assert "Rider_Jo" not in client.get("/api/posts").text
    assert client.get(f"/api/posts/{ids['1']}").json()["url"] is None
    # A link with a handle-free form keeps working without a reveal.
    assert 'href="https://x.com/i/web/status/42"' in client.get(f"/posts/{ids['2']}").text

    done = client.post(
        f"/posts/{ids['1']}/reveal",
        data={"csrf": client.headers["x-csrf-token"], "reason": "Threat reported to the safety team"},
    )
    assert done.status_code == 303
    revealed = client.get(f"/posts/{ids['1']}").text
    assert "@Rider_Jo" in revealed and f'href="{LINK}"' in revealed
    with db.read() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "author.reveal"))
    assert entry.actor == "lee" and entry.target == f"post:{ids['1']}"
    assert entry.detail["reason"] == "Threat reported to the safety team"
    # The reveal is for that post alone.
    assert "Rider_Jo" not in client.get(f"/posts/{ids['2']}").text


def test_an_analyst_never_sees_the_sealed_link(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _load(db, settings, tmp_path)
    login(client, db)
    refused = client.post(
        f"/posts/{ids['1']}/reveal",
        data={"csrf": client.headers["x-csrf-token"], "reason": "Threat reported to the safety team"},
    )
    assert refused.status_code == 403
    assert "Rider_Jo" not in client.get(f"/posts/{ids['1']}").text
