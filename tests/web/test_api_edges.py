"""The JSON API's edges: sources whose names hold a slash, and searches with nothing to search for."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from earful.ingest.sources import list_sources
from earful.store.db import Database
from tests.factories import make_posts, make_source
from tests.web.conftest import login


def test_a_source_named_with_a_slash_can_be_read_and_changed_over_the_api(
    client: TestClient, db: Database
) -> None:
    make_source(db, "r/couriers", kind="file")
    login(client, db, "root", "admin")
    changed = client.put("/api/sources/r/couriers", json={"kind": "file", "retention_days": 30})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "r/couriers" and changed.json()["retention_days"] == 30
    assert [(s.name, s.retention_days) for s in list_sources(db)] == [("r/couriers", 30)]
    read = client.get("/api/sources/r/couriers")
    assert read.status_code == 200 and read.json()["retention_days"] == 30
    # An encoded slash names the same source.
    assert client.get("/api/sources/r%2Fcouriers").json()["name"] == "r/couriers"
    made = client.put("/api/sources/feeds/news/uk", json={"kind": "file"})
    assert made.status_code == 200 and made.json()["name"] == "feeds/news/uk"
    missing = client.get("/api/sources/r/nobody")
    assert missing.status_code == 404 and "r/nobody" in missing.json()["detail"]


@pytest.mark.parametrize("query", ["*", "🙂", "🚗🔥 *"])
def test_a_search_with_no_words_finds_nothing_and_says_why(
    client: TestClient, db: Database, query: str
) -> None:
    make_posts(db, make_source(db), ["the gps pin was wrong", "tips missing again"])
    login(client, db)
    page = client.get("/feed", params={"q": query})
    assert page.status_code == 400
    assert "no words to search for" in page.text
    assert "gps pin" not in page.text and "tips missing" not in page.text
    api = client.get("/api/posts", params={"q": query})
    assert api.status_code == 400 and "no words to search for" in api.json()["detail"]
    preview = client.get("/feed/count", params={"q": query})
    assert preview.status_code == 400 and "no words to search for" in preview.json()["error"]
    # A word beside the emoji is still searched for.
    found = client.get("/api/posts", params={"q": "🙂 gps"}).json()["items"]
    assert [p["text"] for p in found] == ["the gps pin was wrong"]


def test_a_source_setting_the_database_cannot_store_is_a_422_not_a_500(
    client: TestClient, db: Database
) -> None:
    # Found by tests/web/test_openapi_fuzz.py on PostgreSQL: NUL in JSON, integers past 64 bits.
    login(client, db, "root", "admin")
    for config in ({"\u0000": None}, {"filter": "gps\u0000"}, {"n": -(2**63) - 1}, {"n": 2**64}):
        refused = client.put("/api/sources/forum", json={"kind": "file", "config": config})
        assert refused.status_code == 422, (config, refused.text)
    assert client.get("/api/posts", params={"q": "gps\u0000"}).status_code == 422
    assert client.put("/api/sources/forum", json={"kind": "file", "config": {"n": 2**62}}).status_code == 200


def test_a_wrong_method_is_a_405_that_names_the_methods_the_address_takes(
    client: TestClient, db: Database
) -> None:
    # FastAPI 0.165 keeps included routers whole, so the handler that fills in Allow found no route
    # and sent "Allow: " empty with every 405.
    login(client, db)
    (post_id,) = make_posts(db, make_source(db), ["the gps pin was wrong"])
    wrong = client.delete(f"/api/posts/{post_id}")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
    # The bulk relabel address also reads as a post id (GET answers 422: "relabel" is no id).
    both = client.delete("/api/posts/relabel")
    assert both.status_code == 405 and both.headers["allow"] == "GET, POST"
    assert client.get("/api/posts/relabel").status_code == 422
