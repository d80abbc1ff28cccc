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


def test_a_range_from_insights_stays_in_the_filter_form(client: TestClient, db: Database) -> None:
    # Insights linked with full timestamps, which date boxes cannot show: the range looked unset,
    # and applying any other filter sent since=&until= and dropped it.
    from datetime import UTC, datetime

    from earful.insights.trends import feed_link
    from earful.store.repos.feed import FeedFilter

    day = feed_link(
        FeedFilter(), since=datetime(2026, 10, 21, tzinfo=UTC), until=datetime(2026, 10, 28, tzinfo=UTC)
    )
    assert day == "/feed?since=2026-10-21&until=2026-10-28"
    hour = feed_link(FeedFilter(), since=datetime(2026, 10, 21, 14, tzinfo=UTC))
    assert hour == "/feed?since=2026-10-21T14%3A00%3A00%2B00%3A00"
    login(client, db)
    form = client.get(day).text
    assert '<input type="date" name="since" value="2026-10-21">' in form
    assert '<input type="date" name="until" value="2026-10-28">' in form
    kept = client.get(hour).text
    assert '<input type="text" name="since" value="2026-10-21T14:00:00+00:00">' in kept


def test_a_filter_the_menus_do_not_offer_is_shown_as_it_is_not_as_any(
    client: TestClient, db: Database
) -> None:
    # The menus showed "any" for an unknown source or an old category key, while the feed was
    # filtered by it (empty), and Apply then dropped it without a word.
    make_posts(db, make_source(db, "forms"), ["the app crashed"])
    login(client, db)
    page = client.get("/feed", params={"source": "nope", "region": "Mars", "category": "old.key"}).text
    assert '<option value="nope" selected>nope (no such source)</option>' in page
    assert '<option value="Mars" selected>Mars (no such region)</option>' in page
    assert '<option value="old.key" selected>old.key (not in the taxonomy in use)</option>' in page
    assert "No posts match these filters" in page
    known = client.get("/feed", params={"source": "forms"}).text
    assert "no such source" not in known and "<option selected>forms</option>" in known
