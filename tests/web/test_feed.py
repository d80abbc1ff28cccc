"""The feed: newest first, paginated, post text always inert."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from earful.store.db import Database
from earful.store.repos import posts as posts_repo
from tests.factories import make_posts, make_source
from tests.web.conftest import login


def test_empty_feed_says_how_to_get_posts(client: TestClient, db: Database) -> None:
    login(client, db)
    html = client.get("/feed").text
    assert "No posts yet" in html and "earful import" in html


def test_feed_shows_newest_first_with_source_region_language_and_time(
    client: TestClient, db: Database
) -> None:
    source = make_source(db, "r/couriers", region="Ireland", language="en")
    make_posts(db, source, ["older post", "newer post"])
    login(client, db)
    html = client.get("/feed").text
    assert html.index("newer post") < html.index("older post")
    for shown in ("r/couriers", "Ireland", ">en<"):
        assert shown in html
    assert re.search(r">1 Nov( 2026)?, 12:01 UTC</time>", html)  # the year shows once it is not this one


def test_feed_pages_through_every_post_once(client: TestClient, db: Database) -> None:
    source = make_source(db)
    texts = [f"post number {i}" for i in range(120)]
    make_posts(db, source, texts)
    login(client, db)
    seen: list[str] = []
    url: str | None = "/feed"
    pages = 0
    while url:
        html = client.get(url).text
        seen += re.findall(r"post number \d+", html)
        found = re.search(r'rel="next" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    assert pages == 3
    assert seen == [f"post number {i}" for i in reversed(range(120))]


def test_duplicates_fold_into_their_original_with_a_count(client: TestClient, db: Database) -> None:
    source = make_source(db)
    original, copy1, copy2 = make_posts(
        db, source, ["the app crashed", "the app crashed!", "THE APP CRASHED"]
    )
    with db.write() as session:
        posts_repo.set_fields(session, copy1, duplicate_of=original)
        posts_repo.set_fields(session, copy2, duplicate_of=original)
    login(client, db)
    html = client.get("/feed").text
    assert html.count('class="post"') == 1 and "+2 copies" in html


def test_post_text_with_markup_stays_text(client: TestClient, db: Database) -> None:
    source = make_source(db)
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> <a href="javascript:alert(2)">hi</a>'
    (post_id,) = make_posts(db, source, [hostile])
    with db.write() as session:
        posts_repo.set_fields(session, post_id, url="javascript:alert(3)")
    login(client, db)
    html = client.get("/feed").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html


def test_a_mangled_page_link_gets_a_clear_error(client: TestClient, db: Database) -> None:
    login(client, db)
    response = client.get("/feed?after=garbage")
    assert response.status_code == 400 and "start again from the first page" in response.text
