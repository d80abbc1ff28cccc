"""Bluesky through a local Jetstream: the recorded production events, replayed from a cursor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from earful.contracts import Actor
from earful.ingest.polling import poll
from earful.ingest.sources import SourceForm, save_source
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post
from earful.store.repos import sources as sources_repo
from tests.connectors.live.replay import jetstream as serve_jetstream
from tests.servers import free_port


@pytest.fixture
def jetstream(api_samples: Path) -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """Serve the recorded events like Jetstream: those after `cursor`, of the wanted collections."""
    lines = (api_samples / "bluesky" / "jetstream_v1_events_2026-07-04.jsonl").read_text().splitlines()
    with serve_jetstream([json.loads(line) for line in lines if line.strip()]) as served:
        yield served


def _bluesky(db: Database, settings: Settings, name: str, config: dict[str, object]) -> int:
    form = SourceForm(name=name, kind="bluesky", config=config)
    save_source(db, Actor(None, "root", "admin"), form, create=True, settings=settings)
    with db.read() as session:
        source = sources_repo.get_by_name(session, name)
        assert source is not None
        return source.id


def test_jetstream_keeps_posts_that_mention_the_keywords_and_resumes_from_its_cursor(
    db: Database, settings: Settings, jetstream: tuple[str, list[dict[str, list[str]]]]
) -> None:
    url, asked = jetstream
    config = {"url": url, "keywords": "band, election", "idle_seconds": 0.5, "rate_per_minute": 6000}
    source_id = _bluesky(db, settings, "Bluesky", config)
    first = poll(db, settings, source_id)
    # Four of the recorded posts mention a band or an election (checked by reading them).
    assert first.outcome == "ok" and first.imported == 4
    with db.read() as session:
        texts = [p for p in session.scalars(select(Post.external_id))]
    assert all(t.startswith("at://did:plc:") and "/app.bsky.feed.post/" in t for t in texts)
    # The next poll asks Jetstream to replay from just after the newest event seen: nothing new.
    second = poll(db, settings, source_id)
    assert second.imported == 0 and asked[0]["wantedCollections"] == ["app.bsky.feed.post"]
    assert int(asked[1]["cursor"][0]) == 1783175888400999 + 1


def test_an_unreachable_jetstream_backs_off(db: Database, settings: Settings) -> None:
    config = {"url": f"ws://127.0.0.1:{free_port()}/subscribe", "keywords": "delivery", "idle_seconds": 0.2}
    source_id = _bluesky(db, settings, "Bluesky", config)
    result = poll(db, settings, source_id)
    assert result.outcome == "failed" and "could not listen to Jetstream" in result.message


def test_bluesky_search_pages_and_resumes_since_the_newest(
    db: Database, settings: Settings, replay: object
) -> None:
    from tests.connectors.live.replay import Replay

    assert isinstance(replay, Replay)
    config = {"search": "the", "appview": replay.base, "page_size": 3, "rate_per_minute": 6000}
    source_id = _bluesky(db, settings, "Bluesky search", config)
    first = poll(db, settings, source_id)
    assert first.outcome == "ok" and first.imported >= 5 and first.pages >= 2  # three a page
    with db.read() as session:
        ids = list(session.scalars(select(Post.external_id)))
    assert len(ids) == len(set(ids)) and all("/app.bsky.feed.post/" in i for i in ids)
    again = poll(
        db, settings, source_id
    )  # re-reads the last minutes (a late-indexed post), stores none twice
    assert again.imported == 0 and again.read == again.duplicates


def test_keywords_match_whole_words_only() -> None:
    from earful.connectors.live.bluesky import _keywords, _wanted

    def post(text: str) -> dict[str, object]:
        return {
            "commit": {"collection": "app.bsky.feed.post", "operation": "create", "record": {"text": text}}
        }

    keywords = _keywords({"keywords": "band, depot"})
    assert _wanted(post("Saw the band last night"), keywords)
    assert _wanted(post("DEPOT closed again"), keywords)
    assert not _wanted(post("my husband abandoned the depots"), keywords)
