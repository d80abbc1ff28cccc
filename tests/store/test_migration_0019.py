"""Upgrading past 0019 cuts stored Reddit links to their short form: a title slug is the post's
own words before redaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.store.old_database import add_source, database_at

NOW = "2026-11-01 10:00:00"
# stored link -> the link after the upgrade
LINKS = {
    "https://www.reddit.com/r/drivers/comments/200ierc/call_maria_on_07700_900123/": (
        "https://www.reddit.com/comments/200ierc/"
    ),
    "https://old.reddit.com/r/drivers/comments/200ierc/maria_lopez_12_elm_street/t0bypzg/": (
        "https://www.reddit.com/comments/200ierc/_/t0bypzg/"
    ),
    "https://www.reddit.com/comments/200ierc/": "https://www.reddit.com/comments/200ierc/",
    "https://x.com/i/web/status/2123": "https://x.com/i/web/status/2123",
    "https://forum.example/t/88122/reddit.com/maria-lopez": "https://forum.example/t/88122/reddit.com/maria-lopez",
}


def test_reddit_links_lose_their_title_slug_and_others_stay(tmp_path: Path) -> None:
    with database_at("0018", tmp_path) as db:
        with db.write_engine.begin() as conn:
            add_source(conn, NOW, kind="reddit")
            for number, url in enumerate(LINKS, start=1):
                conn.execute(
                    text(
                        "INSERT INTO posts (id, source_id, external_id, kind, url, text, posted_at, "
                        "captured_at, engagement) VALUES (:id, 1, :e, 'post', :url, 'pay is late', :now, "
                        ":now, '{}')"
                    ),
                    {"id": number, "e": str(number), "url": url, "now": NOW},
                )
        db.upgrade()
        with db.read_engine.connect() as conn:
            stored = [row.url for row in conn.execute(text("SELECT url FROM posts ORDER BY id"))]
    assert stored == list(LINKS.values())
