"""Webhook intake: signed deliveries are stored; forged, stale, replayed or unreadable ones are not."""

from __future__ import annotations

import time

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job
from earful.contracts import Actor
from earful.ingest.sources import SourceForm, save_source
from earful.ingest.webhook import sign, webhook_secret
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post, Quarantined

URL = "/api/intake/Feedback%20form"
RECORDS = [
    {"id": "f-1", "text": "The depot app logged me out twice today", "author": "driver-17"},
    {"id": "f-2", "text": "Loved the new route planner", "created_at": "2026-11-25T10:00:00Z"},
]


@pytest.fixture
def form(db: Database, settings: Settings) -> str:
    save_source(
        db, Actor(None, "root", "admin"), SourceForm(name="Feedback form", kind="webhook"), create=True
    )
    return webhook_secret(settings, "Feedback form")


def send(client: TestClient, secret: str, body: bytes, stamp: int | None = None) -> object:
    timestamp = str(stamp if stamp is not None else int(time.time()))
    headers = {"X-Earful-Timestamp": timestamp, "X-Earful-Signature": sign(secret, timestamp, body)}
    return client.post(URL, content=body, headers=headers)


def stored(db: Database) -> list[str]:
    with db.read() as session:
        return sorted(session.scalars(select(Post.external_id)))


def test_a_signed_delivery_is_stored_once(client: TestClient, db: Database, form: str) -> None:
    body = orjson.dumps(RECORDS)
    response = send(client, form, body)
    assert response.status_code == 202 and response.json() == {
        "read": 2,
        "imported": 2,
        "duplicates": 0,
        "quarantined": 0,
    }  # type: ignore[attr-defined]
    assert stored(db) == ["f-1", "f-2"]
    replayed = client.post(URL, content=body, headers=dict(response.request.headers))  # type: ignore[attr-defined]
    assert replayed.status_code == 409 and "received already" in replayed.json()["detail"]
    again = send(client, form, body, int(time.time()) + 1)  # signed anew: a resend, stored once all the same
    assert again.status_code == 202 and again.json()["duplicates"] == 2  # type: ignore[attr-defined]


def test_one_record_on_its_own_is_a_delivery(client: TestClient, db: Database, form: str) -> None:
    assert send(client, form, orjson.dumps(RECORDS[0])).status_code == 202  # type: ignore[attr-defined]
    assert stored(db) == ["f-1"]


@pytest.mark.parametrize(
    ("secret", "age", "advice"),
    [("wrong-secret", None, "signature does not match"), (None, 3600, "five minutes off")],
)
def test_forged_or_stale_deliveries_are_refused(
    client: TestClient, db: Database, form: str, secret: str | None, age: int | None, advice: str
) -> None:
    # The stamp is taken when the test runs (not when it is collected: pytest-xdist workers collect
    # at different seconds and must see the same test ids).
    stamp = int(time.time()) - age if age is not None else None
    response = send(client, secret or form, orjson.dumps(RECORDS), stamp)
    assert response.status_code == 401 and advice in response.json()["detail"]  # type: ignore[attr-defined]
    assert stored(db) == []


def test_an_unreadable_delivery_is_quarantined_with_a_clear_error(
    client: TestClient, db: Database, form: str
) -> None:
    response = send(client, form, b"name=Carla&text=hello")
    assert response.status_code == 400 and "JSON object" in response.json()["detail"]  # type: ignore[attr-defined]
    with db.read() as session:
        (entry,) = session.scalars(select(Quarantined))
    assert entry.origin == "webhook:Feedback form" and b"Carla" not in entry.sealed_raw


def test_unknown_sources_and_unsigned_posts_get_nowhere(client: TestClient, db: Database, form: str) -> None:
    assert client.post("/api/intake/nowhere", content=b"[]").status_code == 401
    assert client.post(URL, content=orjson.dumps(RECORDS)).status_code == 401
    assert stored(db) == []


def test_intake_does_not_tell_which_sources_exist(
    client: TestClient, db: Database, settings: Settings, form: str
) -> None:
    root = Actor(None, "root", "admin")
    save_source(db, root, SourceForm(name="Survey"), create=True)
    save_source(db, root, SourceForm(name="Old form", kind="webhook", enabled=False), create=True)
    body = orjson.dumps(RECORDS)
    stamp = str(int(time.time()))
    attempts = [
        {},
        {"X-Earful-Timestamp": stamp},
        {"X-Earful-Timestamp": stamp, "X-Earful-Signature": sign("guessed-secret", stamp, body)},
    ]
    for headers in attempts:
        answers = {
            name: client.post(f"/api/intake/{name}", content=body, headers=headers)
            for name in ("Feedback%20form", "Survey", "Old%20form", "nowhere")
        }
        seen = {(a.status_code, a.text) for a in answers.values()}  # type: ignore[attr-defined]
        assert len(seen) == 1, seen
        ((status, _),) = seen
        assert status == 401
    assert stored(db) == []


def test_a_replay_with_padded_headers_is_still_a_replay(client: TestClient, db: Database, form: str) -> None:
    body = orjson.dumps(RECORDS)
    first = send(client, form, body)
    assert first.status_code == 202  # type: ignore[attr-defined]
    headers = dict(first.request.headers)  # type: ignore[attr-defined]
    for padding in (" ", "\t", "  \t"):
        padded = {**headers, "x-earful-signature": headers["x-earful-signature"] + padding}
        assert client.post(URL, content=body, headers=padded).status_code == 409


def test_an_oversized_delivery_is_refused_before_it_is_read(
    client: TestClient, db: Database, form: str
) -> None:
    body = b"[" + b'{"id": "x", "text": "y"},' * 60_000 + b'{"id": "z", "text": "w"}]'
    response = send(client, form, body)
    assert response.status_code == 400 and "at most 1024 KiB" in response.json()["detail"]  # type: ignore[attr-defined]


def test_a_signature_that_is_not_ascii_is_refused_not_a_server_error(
    client: TestClient, db: Database, form: str
) -> None:
    headers = {"X-Earful-Timestamp": str(int(time.time())), "X-Earful-Signature": "sha256=é".encode()}
    response = client.post(URL, content=orjson.dumps(RECORDS), headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 401 and "does not match" in response.json()["detail"]
    assert stored(db) == []
