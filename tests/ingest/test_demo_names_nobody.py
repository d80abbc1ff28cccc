"""The demo, loaded as `make demo` loads it, names none of its authors anywhere but sealed raw input.

Every handle, display name and account id the demo's raw files give their authors is looked for,
case-insensitively and percent-decoded, in every column of every table, in every page an admin can
reach from the feed and in every answer of the JSON API.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import LargeBinary, select

from earful.demo import DATA
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Base, Post
from earful.web.app import create_app
from tests.conftest import empty_database
from tests.web.conftest import csrf_of

SECRET = "demo-leak-test-secret-0123456789"
# Only these columns may hold what the authors wrote as it came: they are sealed (encrypted).
SEALED = {("raw_items", "sealed"), ("quarantine", "sealed_raw")}
# Pages that never end or that end the session; everything else an admin can GET is opened.
NOT_CRAWLED = ("/feed/stream", "/logout", "/static/")
START = [
    "/",
    "/feed",
    "/queue",
    "/teams",
    "/insights",
    "/insights/topics",
    "/reports",
    "/reports/new",
    "/alerts",
    "/admin/audit",
    "/admin/users",
    "/admin/sources",
    "/admin/taxonomy",
    "/admin/settings",
]
DEMO_RANGE = {"since": "2026-10-01", "until": "2026-12-01"}


def _walk(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*path, key), inner
            yield from _walk(inner, (*path, key))
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner, path)


def demo_authors() -> set[str]:
    """Return every handle, display name and account id the demo's raw files give an author."""
    found: set[Any] = set()
    tweets = json.loads((DATA / "x_search_kestrel_useast.json").read_text())
    for user in tweets["includes"]["users"]:
        found |= {user["id"], user["username"], user["name"]}
    found |= {tweet["author_id"] for tweet in tweets["data"]}
    statuses = json.loads((DATA / "mastodon_tag_kestrelflex_uk.json").read_text())
    for path, value in _walk(statuses):
        if path[-2:-1] == ("account",) and path[-1] in ("id", "username", "acct", "display_name"):
            found.add(value)
            found.add(str(value).split("@")[0])  # a remote account's "name@instance" and its name alone
    for name in ("reddit_kestrelflexdrivers_uswest.json", "reddit_repartidores_mx.json"):
        for path, value in _walk(json.loads((DATA / name).read_text())):
            if path[-1] in ("author", "author_fullname") and value not in ("[deleted]", "[removed]"):
                found.add(value)
    for line in (DATA / "foro_reparto_es.jsonl").read_text().splitlines():
        found.add(json.loads(line)["author"])
    found |= set(
        re.findall(r"<dc:creator>([^<]+)</dc:creator>", (DATA / "courier_trade_weekly.rss.xml").read_text())
    )
    return {str(v).casefold() for v in found if v}


AUTHORS = demo_authors()


def named_in(content: str) -> set[str]:
    """Return the demo authors named in `content`, as written, percent-decoded or HTML-unescaped."""
    forms = {content, unquote(content), html.unescape(content), unquote(html.unescape(content))}
    folded = "\n".join(form.casefold() for form in forms)
    return {author for author in AUTHORS if author in folded}


@dataclass
class Demo:
    db: Database
    settings: Settings
    password: str


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Load the demo with `earful demo --no-serve`, as `make demo` does, once for the module."""
    folder = tmp_path_factory.mktemp("demo")
    url = empty_database(database_url, folder)
    settings = Settings(data_dir=folder / "data", database_url=url, secret_key=SECRET)
    env = dict(os.environ, EARFUL_DATA_DIR=str(settings.data_dir), EARFUL_DATABASE_URL=url)
    env["EARFUL_SECRET_KEY"] = SECRET
    cmd = [sys.executable, "-m", "earful.cli", "demo", "--no-serve"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"sign in as admin / (\S+)", done.stdout)
    assert match, done.stdout
    db = Database(url)
    yield Demo(db, settings, match.group(1))
    db.dispose()


@pytest.fixture(scope="module")
def admin(demo: Demo) -> Iterator[TestClient]:
    """Return a client signed in as the demo's admin."""
    with TestClient(create_app(demo.settings, demo.db), follow_redirects=False) as client:
        token = csrf_of(client.get("/login").text)
        answer = client.post("/login", data={"username": "admin", "password": demo.password, "csrf": token})
        assert answer.status_code == 303, answer.text
        yield client


def test_the_search_knows_the_demo_authors() -> None:
    # The scan is only as good as its list: the authors of every social source are in it.
    assert {"dc_dashdriver", "cardiff_cat", "brum_drops", "lucia_reparte", "7872734052192507320"} <= AUTHORS
    assert len(AUTHORS) > 80
    assert named_in("https://x.com/DC_DashDriver/status/1") == {"dc_dashdriver"}
    assert named_in("/profile%2Fcardiff%5Fcat") == {"cardiff_cat"}


def test_no_column_of_any_table_names_an_author(demo: Demo) -> None:
    found: dict[str, set[str]] = {}
    with demo.db.read() as session:
        assert session.scalar(select(Post.id).limit(1)) is not None
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in SEALED]
            for row in session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(column.type, LargeBinary):
                        content = bytes(value).decode("latin-1")
                    else:
                        content = json.dumps(value, default=str, ensure_ascii=False)
                    for author in named_in(content):
                        found.setdefault(f"{table.name}.{column.name}", set()).add(author)
    assert not found, {
        place: [*sorted(names)[:5], f"({len(names)} authors)"] for place, names in found.items()
    }


def _links(page: str) -> Iterable[str]:
    for href in re.findall(r'href="([^"]+)"', page):
        link = html.unescape(href).split("#")[0]
        if link.startswith("/") and not link.startswith("//") and not link.startswith(NOT_CRAWLED):
            yield link


def _readable(body: bytes, media: str) -> str:
    """Return what a person could read in a page or file: xlsx parts unzipped, PDF streams inflated."""
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    if media.startswith("application/pdf"):
        parts = [body.decode("latin-1")]
        for stream in re.findall(rb"stream\r?\n(.*?)endstream", body, re.S):
            try:
                parts.append(zlib.decompress(stream).decode("latin-1"))
            except zlib.error:
                continue
        return "\n".join(parts)
    return body.decode("utf-8", "replace")


def test_no_page_an_admin_can_open_names_an_author(demo: Demo, admin: TestClient) -> None:
    queue, seen, found = deque(START), set(), {}
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        assert len(seen) < 5000, "the crawl does not end"
        answer = admin.get(path)
        assert answer.status_code < 500, f"{path}: {answer.status_code}"
        media = answer.headers.get("content-type", "")
        content = _readable(answer.content, media)
        names = named_in(content)
        if names:
            found[path] = sorted(names)
        if media.startswith("text/html"):
            queue.extend(_links(content))
    with demo.db.read() as session:
        posts = set(session.scalars(select(Post.id)))
    # The crawl reached every post's page, the reports and the audit log: nothing was left unread.
    assert {f"/posts/{post_id}" for post_id in posts} <= seen
    assert any(re.fullmatch(r"/reports/\d+/report\.xlsx", p) for p in seen), sorted(seen)[:50]
    assert not found, dict(list(found.items())[:10]) | {"pages naming an author": len(found)}


def test_no_api_answer_names_an_author(demo: Demo, admin: TestClient) -> None:
    answers: dict[str, str] = {}
    cursor: str | None = ""
    ids: list[int] = []
    while cursor is not None:
        page = admin.get("/api/posts", params={"limit": 200, "cursor": cursor} if cursor else {"limit": 200})
        assert page.status_code == 200, page.text
        answers[f"/api/posts?cursor={cursor}"] = page.text
        ids += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
    assert len(ids) > 300
    paths = [f"/api/posts/{post_id}" for post_id in ids]
    paths += ["/api/sources", "/api/taxonomy", "/api/reports", "/api/openapi.json"]
    paths += [
        f"/api/insights/{what}?since={DEMO_RANGE['since']}&until={DEMO_RANGE['until']}"
        for what in ("trends", "spikes")
    ]
    reports = admin.get("/api/reports").json()
    assert reports
    paths += [
        f"/api/reports/{r['id']}/files/{fmt}" for r in reports for fmt in ("html", "csv", "xlsx", "pdf")
    ]
    for path in paths:
        answer = admin.get(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:200]}"
        answers[path] = _readable(answer.content, answer.headers.get("content-type", ""))
    found = {path: sorted(named_in(body)) for path, body in answers.items() if named_in(body)}
    assert not found, dict(list(found.items())[:10]) | {"answers naming an author": len(found)}
