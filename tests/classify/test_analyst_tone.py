"""An analyst's judgement of a post's tone is what the feed shows, and re-enrichment keeps it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.classify.learning import relabel
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.ingest.service import get_or_create_source, iter_import, requeue_enrichment
from earful.jobs.queue import drain
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Enrichment, Post
from earful.store.repos.feed import FeedFilter
from earful.triage.feed import feed


def test_the_analysts_tone_outlasts_re_enrichment(db: Database, settings: Settings, tmp_path: Path) -> None:
    ensure_default(db)
    path = tmp_path / "p.jsonl"
    path.write_text(
        json.dumps({"id": "1", "author": "a", "text": "Could the depot open earlier on Mondays?"}) + "\n"
    )
    get_or_create_source(db, "r/drivers")
    iter_import(db, settings, path, "r/drivers")
    drain(db, settings)
    with db.read() as session:
        post = session.scalars(select(Post)).one()
    assert post.sentiment != "complaint"
    relabel(db, settings, Actor(None, "ana", "analyst"), post.id, sentiment="complaint")
    assert [p.sentiment for p in feed(db, where=FeedFilter(sentiment="complaint")).posts] == ["complaint"]
    with db.write() as session:  # make the sentiment stage run again, as a new model would
        session.execute(delete(Enrichment).where(Enrichment.stage == "sentiment"))
    requeue_enrichment(db, settings)
    drain(db, settings)
    assert [p.id for p in feed(db, where=FeedFilter(sentiment="complaint")).posts] == [post.id]
