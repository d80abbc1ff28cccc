"""No post text reaches the database before redaction: raw input is sealed, stored text is redacted.

This holds for every kind of source, live or imported: each is driven through its real capture
path (a live connector against a local server, the `earful import` command or the import service,
the webhook's HTTP endpoint), and every table that can hold text is read afterwards.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import LargeBinary, func, select, text
from typer.testing import CliRunner

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.cli.app import app as cli_app
from earful.contracts import Actor
from earful.ingest.polling import poll
from earful.ingest.service import get_or_create_source, iter_import
from earful.ingest.sources import KINDS, SourceForm, save_source
from earful.ingest.webhook import sign, webhook_secret
from earful.jobs.queue import drain
from earful.kit.search import parse
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Base, Post, Quarantined
from earful.store.repos import sources as sources_repo
from earful.store.repos.feed import PG_DOCUMENT, FeedFilter
from earful.store.repos.quarantine import recent
from earful.store.sealing import quarantine_sealer
from earful.triage import feed
from earful.web.app import create_app
from tests.connectors.live.replay import Replay, jetstream, serve

SECRETS = [
    "maria.lopez@example.com",
    "07700 900123",
    "4111 1111 1111 1111",
    "Calle de Alcalá 112",
    "@maria_l_99",
    "Rose Tyler",
]
POSTS = [
    {"id": "1", "author": "m", "text": "Support never answered, write to me at maria.lopez@example.com"},
    {"id": "2", "author": "n", "text": "Call me on 07700 900123, my tip never arrived"},
    {"id": "3", "author": "o", "text": "They charged my card 4111 1111 1111 1111 twice for the van rental"},
    {"id": "4", "author": "p", "text": "Entregas en Calle de Alcalá 112 siempre sin portero"},
    {"id": "5", "author": "q", "text": "@maria_l_99 same here, app crashed at the station"},
    {
        "id": "6",
        "author": "r",
        "title": "Rude customer",
        "text": "My name is Rose Tyler; a dog bit me today",
    },
]
BAD_LINE = '{"id": "7", "text": "cut off with Rose Tyler and 07700 900123'


def _everything_stored(db: Database) -> str:
    """Every text value in every table, every word of the full-text index, and for SQLite the
    database files' bytes too. Binary columns are left out: the sealed raw input and quarantine, and
    report files (read by the demo's test)."""
    found: list[str] = []
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if not isinstance(c.type, LargeBinary)]
            for row in session.execute(select(*columns)):
                found.extend(json.dumps(v, default=str, ensure_ascii=False) for v in row)
        found.extend(_indexed_words(session))
    if db.is_sqlite:
        path = Path(db.write_engine.url.database or "")
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                found.append(file.read_bytes().decode("utf-8", "replace"))
    return "\n".join(found)


def _indexed_words(session: Any) -> list[str]:
    """Every word the full-text search index holds: SQLite's FTS5 vocabulary (its segments are
    compressed, so the file's bytes alone would not show a word), PostgreSQL's lexemes of the
    expression its index is built on."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text("CREATE VIRTUAL TABLE IF NOT EXISTS temp.posts_words USING fts5vocab(main, posts_fts, row)")
        )
        return list(session.scalars(text("SELECT term FROM temp.posts_words")))
    query = f"SELECT {PG_DOCUMENT} FROM posts"
    return list(session.scalars(text("SELECT word FROM ts_stat(:query)").bindparams(query=query)))


def test_no_personal_data_is_stored_before_or_after_enrichment(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in POSTS) + BAD_LINE + "\n")
    get_or_create_source(db, "drivers")
    summary = iter_import(db, settings, path, "drivers")
    assert summary.imported == 6 and summary.quarantined == 1

    stored = _everything_stored(db)
    assert "Support never answered" not in stored  # captured, but only sealed
    for secret in SECRETS:
        assert secret not in stored, secret

    drain(db, settings)
    stored = _everything_stored(db)
    for secret in SECRETS:
        assert secret not in stored, secret
    with db.read() as session:
        texts = {p.external_id: (p.title, p.text) for p in session.scalars(select(Post))}
    assert texts["1"][1] == "Support never answered, write to me at [EMAIL]"
    assert texts["2"][1] == "Call me on [PHONE], my tip never arrived"
    assert "[CARD]" in (texts["3"][1] or "")
    assert "[ADDRESS]" in (texts["4"][1] or "")
    assert (texts["5"][1] or "").startswith("[HANDLE] same here")
    assert texts["6"] == ("Rude customer", "My name is [NAME]; a dog bit me today")


def test_quarantined_input_is_sealed_and_opens_with_the_secret(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(BAD_LINE + "\n")
    get_or_create_source(db, "drivers")
    iter_import(db, settings, path, "drivers")
    with db.read() as session:
        (entry,) = recent(session)
        assert isinstance(entry, Quarantined)
    assert b"Rose" not in entry.sealed_raw
    assert quarantine_sealer(settings.secret).open(entry.sealed_raw).strip() == BAD_LINE


def test_an_import_stores_only_handle_free_links(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    records = [
        {
            "id": "1",
            "text": "pay is late",
            "author": "lucia_reparte",
            "url": "https://forum.example/u/lucia_reparte/t/1",
        },
        {
            "id": "2",
            "text": "pay is late",
            "author": "valencia_ruta",
            "url": "https://forum.example/t/2?by=PEPE_furgo",
        },
        {
            "id": "3",
            "text": "pay is late",
            "author": "pepe_furgo",
            "url": "https://forum.example/t/3?by=PEPE_furgo",
        },
        {"id": "4", "text": "pay is late", "author": "mario", "url": "https://x.com/mario/status/42"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    get_or_create_source(db, "forum")
    assert iter_import(db, settings, path, "forum").imported == 4
    with db.read() as session:
        urls = {row.external_id: row.url for row in session.execute(select(Post.external_id, Post.url))}
    assert urls == {
        "1": None,
        "2": "https://forum.example/t/2?by=PEPE_furgo",  # someone else's name: not this author's
        "3": None,
        "4": "https://x.com/i/web/status/42",
    }


# One post, carrying a name, a phone number, an email and a street address, sent through every
# kind of source; the author's own name (a handle on most platforms) must not be stored either.
TEXT = (
    "Call Maria Lopez on +44 7700 900123 or maria.lopez@example.com, I'm at 12 Elm Street "
    "and the depot freezer is broken."
)
REDACTED = "Call [NAME] on [PHONE] or [EMAIL], I'm at [ADDRESS] and the depot freezer is broken."
TITLE = "Maria Lopez, 12 Elm Street"
REDACTED_TITLE = "[NAME], [ADDRESS]"
AUTHOR = "rosa_nunez"
# Compared word by word, ignoring case, separators, HTML escapes and percent-encoding, so a link's
# slug ("maria_lopez_12_elm_street") or a URL-encoded copy counts as much as the text as written.
PIECES = ["maria", "lopez", "7700 900123", "900123", "12 elm street", "elm street", "rosa nunez"]
# A news article (120 words or more, so its salient words are kept for grouping it into a story).
ARTICLE = (
    "Drivers at the north depot say the cold store has failed three times this month, and parcels of "
    "frozen food are being loaded warm. Managers say a repair is booked, but drivers doubt it. "
    f"One driver posted a note on the depot board this week: {TEXT} The note asked colleagues to "
    "call before the morning wave so the freezer could be checked before the vans leave. Several "
    "drivers said they had raised the same problem with the station team and heard nothing back. "
    "The company said food safety was a priority, that every van carries insulated bags, and that "
    "an engineer would visit the depot before the weekend to replace the compressor. Drivers said "
    "they would keep reporting every failure until the repair was done and the cold store held its "
    "temperature through a whole shift, which it has not done since the start of the month."
)
ADMIN = Actor(None, "root", "admin")


def _words(value: str) -> str:
    """Return `value` as lower-case words separated by single spaces, decoded as a reader would."""
    for _ in range(2):
        value = html.unescape(unquote(value))
    return " " + " ".join(re.findall(r"[^\W_]+", value.casefold())) + " "


def _in_clear(stored: str) -> list[str]:
    """Return the pieces of personal data found, as whole words, in `stored`."""
    words = _words(stored)
    return [piece for piece in PIECES if f" {piece} " in words] + (
        ["maria.lopez@example.com"] if "maria.lopez@example.com" in stored.casefold() else []
    )


@dataclass
class Capture:
    """What a capture path needs, and what it tells the checks after it."""

    db: Database
    settings: Settings
    folder: Path
    cli_env: dict[str, str]
    quarantined: int = 0  # entries the path is expected to quarantine (a broken row beside the post)
    text: str = REDACTED  # the post's text as stored
    article: bool = False  # the post is a news article: its text is the article's


@contextlib.contextmanager
def _replay(folder: Path, **items: Any) -> Iterator[Replay]:
    """Run the local platform server with these items only."""
    server = serve(Replay(folder, **items))
    state = next(server)
    try:
        yield state
    finally:
        with contextlib.suppress(StopIteration):
            next(server)


def _live(capture: Capture, name: str, kind: str, config: dict[str, Any]) -> None:
    """Create a live source with `config` as an admin does (its settings checked), and poll it."""
    form = SourceForm(name=name, kind=kind, config={"rate_per_minute": 6000, **config})
    save_source(capture.db, ADMIN, form, create=True, settings=capture.settings)
    with capture.db.read() as session:
        source = sources_repo.get_by_name(session, name)
        assert source is not None
    result = poll(capture.db, capture.settings, source.id)
    assert (result.outcome, result.imported) == ("ok", 1), result


def _cli(capture: Capture, *args: str) -> str:
    """Run an `earful` command in this process against the test database; return its output."""
    with pytest.MonkeyPatch.context() as patch:
        for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
            patch.setenv(key, capture.cli_env[key])
        done = CliRunner().invoke(cli_app, list(args))
    assert done.exit_code in (0, 1), done.output
    return " ".join(done.output.split())


def _reddit(capture: Capture) -> None:
    # Reddit makes a submission's link from its title: the slug carries what the title says.
    submission = {
        "kind": "t3",
        "data": {
            "name": "t3_1abc2d",
            "id": "1abc2d",
            "subreddit": "CourierDepot",
            "title": TITLE,
            "selftext": TEXT,
            "author": AUTHOR,
            "author_fullname": "t2_9zz9",
            "created_utc": time.time() - 60,
            "permalink": "/r/CourierDepot/comments/1abc2d/maria_lopez_12_elm_street/",
            "score": 3,
            "num_comments": 0,
        },
    }
    with _replay(capture.folder, children=[submission]) as replay:
        config = {
            "subreddit": "CourierDepot",
            "api": replay.base,
            "token_url": f"{replay.base}/api/v1/access_token",
        }
        _live(capture, "r/CourierDepot", "reddit", config)


def _x(capture: Capture) -> None:
    tweet = {
        "id": "1860000000000000001",
        "text": TEXT,
        "author_id": "2244668800",
        "created_at": "2026-11-20T10:00:00.000Z",
        "lang": "en",
        "public_metrics": {"like_count": 2, "retweet_count": 0, "reply_count": 0, "quote_count": 0},
    }
    with _replay(capture.folder, posts=[tweet]) as replay:
        _live(capture, "X: depot freezer", "x", {"query": "depot freezer", "api": replay.base})


def _mastodon(capture: Capture) -> None:
    status = {
        "id": "113500000000000001",
        "created_at": "2026-11-20T10:00:00.000Z",
        "visibility": "public",
        "language": "en",
        "spoiler_text": TITLE,
        "content": f'<p>{html.escape(TEXT)} <a href="https://mstdn.example/tags/depot">#depot</a></p>',
        "url": f"https://mstdn.example/@{AUTHOR}/113500000000000001",
        "uri": f"https://mstdn.example/users/{AUTHOR}/statuses/113500000000000001",
        "account": {
            "id": "1090001",
            "username": AUTHOR,
            "acct": AUTHOR,
            "display_name": "Rosa Nunez",
            "discoverable": True,
            "indexable": True,
        },
        "reblog": None,
        "in_reply_to_id": None,
    }
    with _replay(capture.folder, statuses=[status]) as replay:
        _live(capture, "Mastodon #depot", "mastodon", {"instance": replay.base, "hashtag": "depot"})
    capture.text = REDACTED + " #depot"


def _bluesky(capture: Capture) -> None:
    event = {
        "did": "did:plc:rosanunez0000000000000",
        "time_us": 1795000000000000,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "3lbkdepot22a",
            "cid": "bafyreidepot",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": TEXT,
                "createdAt": "2026-11-20T10:00:00.000Z",
                "langs": ["en"],
            },
        },
    }
    with jetstream([event]) as (url, _):
        config = {"url": url, "keywords": "freezer", "idle_seconds": 0.3}
        _live(capture, "Bluesky: freezer", "bluesky", config)


def _rss(capture: Capture) -> None:
    with _replay(capture.folder, article=ARTICLE) as replay:
        link = f"{replay.base}/articles/2026/nov/20/depot-cold-store-fails-again"
        replay.feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Depot news</title><link>{replay.base}/</link><description>Depot news</description>
<item><title>{TITLE}</title><link>{link}</link><guid>{link}</guid><dc:creator>Rosa Nunez</dc:creator>
<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate><description>{html.escape(TEXT)}</description></item>
</channel></rss>""".encode()
        _live(capture, "Depot news", "rss", {"url": f"{replay.base}/feed.xml"})
        assert replay.requests_to("/articles/2026/nov/20/depot-cold-store-fails-again")
    capture.article = True


def _facebook(capture: Capture) -> None:
    post = {
        "id": "5550001_9990001",
        "message": TEXT,
        "created_time": "2026-11-20T10:00:00+0000",
        "permalink_url": "https://www.facebook.com/5550001/posts/9990001",
        "from": {"id": "7700123", "name": "Rosa Nunez"},
    }
    with _replay(capture.folder, page_posts=[post]) as replay:
        config = {"page_id": "5550001", "api": f"{replay.base}/graph"}
        _live(capture, "Facebook: our page", "facebook", config)


def _broken_lines() -> str:
    # A record cut off mid-line beside the post: quarantined, with the person's data in it.
    return '{"id": "cut", "text": "' + TEXT[:60] + "\n"


def _folder(capture: Capture) -> None:
    folder = capture.settings.data_dir / "drop" / "depot"
    folder.mkdir(parents=True)
    record = {"id": "d-1", "text": TEXT, "title": TITLE, "author": AUTHOR}
    (folder / "export.jsonl").write_text(json.dumps(record) + "\n" + _broken_lines())
    _live(capture, "Depot drop folder", "folder", {"path": str(folder), "settle_seconds": 0})
    capture.quarantined = 1


def _community(capture: Capture) -> None:
    # A closed group's export, collected on its members' recorded consent, imported by the command.
    form = SourceForm(
        name="Depot drivers group",
        kind="community",
        visibility="private",
        consent_basis="members opted in to sharing their posts with the programme on 2026-10-01",
    )
    save_source(capture.db, ADMIN, form, create=True)
    export = capture.folder / "group-export.jsonl"
    export.write_text(json.dumps({"id": "g-1", "text": TEXT, "author": AUTHOR}) + "\n" + _broken_lines())
    output = _cli(capture, "import", str(export), "--source", "Depot drivers group")
    assert "quarantined" in output, output
    capture.quarantined = 1


def _file(capture: Capture) -> None:
    # A form's CSV, one row of it shifted by a column: its date holds the person's details.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "created_at", "author", "text"])
    writer.writerow(["f-1", "2026-11-20T10:00:00Z", AUTHOR, TEXT])
    writer.writerow(["f-2", "Maria Lopez, 12 Elm Street, +44 7700 900123", AUTHOR, "freezer again"])
    path = capture.folder / "form.csv"
    path.write_text(buffer.getvalue())
    output = _cli(capture, "import", str(path), "--source", "Depot form", "--create")
    assert "quarantined" in output, output
    capture.quarantined = 1


def _webhook(capture: Capture) -> None:
    save_source(capture.db, ADMIN, SourceForm(name="Feedback form", kind="webhook"), create=True)
    body = orjson.dumps({"id": "w-1", "text": TEXT, "title": TITLE, "author": AUTHOR})
    stamp = str(int(time.time()))
    secret = webhook_secret(capture.settings, "Feedback form")
    headers = {"X-Earful-Timestamp": stamp, "X-Earful-Signature": sign(secret, stamp, body)}
    with TestClient(create_app(capture.settings, capture.db)) as client:
        answer = client.post("/api/intake/Feedback%20form", content=body, headers=headers)
    assert answer.status_code == 202 and answer.json()["imported"] == 1, answer.text


CAPTURES: dict[str, Callable[[Capture], None]] = {
    "reddit": _reddit,
    "x": _x,
    "mastodon": _mastodon,
    "bluesky": _bluesky,
    "rss": _rss,
    "facebook": _facebook,
    "folder": _folder,
    "community": _community,
    "file": _file,
    "webhook": _webhook,
}


def test_every_kind_of_source_has_a_capture_path_here() -> None:
    assert sorted(CAPTURES) == sorted(KINDS)


@pytest.mark.parametrize("kind", sorted(CAPTURES))
def test_every_kind_of_source_stores_a_post_only_redacted(
    kind: str, db: Database, settings: Settings, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    live = settings.model_copy(
        update={
            "allow_private_addresses": True,
            "credential_hosts": ["127.0.0.1"],
            "reddit_client_id": "depot-app",
            "reddit_client_secret": "depot-app-secret",
            "x_bearer_token": "depot-bearer",
            "facebook_page_token": "depot-page-token",
        }
    )
    capture = Capture(db, live, tmp_path, cli_env)
    CAPTURES[kind](capture)

    with db.read() as session:
        assert session.scalar(select(func.count(Post.id))) == 1
        assert session.scalar(select(func.count(Quarantined.id))) == capture.quarantined
    assert _in_clear(_everything_stored(db)) == [], "stored in clear at capture"

    drain(db, live)
    assert _in_clear(_everything_stored(db)) == [], "stored in clear after enrichment"
    with db.read() as session:
        post = session.scalars(select(Post)).one()
    if capture.article:
        assert "[NAME] on [PHONE] or [EMAIL], I'm at [ADDRESS]" in (post.text or ""), post.text
        assert post.story_id == post.id  # long enough to be a story: its salient words were kept
    else:
        assert post.text == capture.text
    if post.title is not None:
        assert post.title == REDACTED_TITLE
    # The search index holds the post's words (so reading it above was not in vain), not the person's.
    with db.read() as session:
        assert "freezer" in _indexed_words(session)
    assert feed.count(db, FeedFilter(search=parse("freezer"))) == 1
    assert feed.count(db, FeedFilter(search=parse("lopez OR 900123 OR elm"))) == 0
