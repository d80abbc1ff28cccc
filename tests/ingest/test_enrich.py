"""The enrichment chain over stored posts; re-runs redo only the stages that changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

import earful.ingest.jobs as ingest_jobs
from earful.ingest.service import get_or_create_source, iter_import, requeue_enrichment
from earful.jobs.queue import drain
from earful.pipeline.pseudonymise import author_key
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Enrichment, Post, RawItem
from earful.store.sealing import raw_sealer

POSTS = [
    {
        "id": "1",
        "author": "@Driver_Ann",
        "text": "The app crashed &amp; logged me out &quot;again&quot; < / P >",
    },
    {"id": "2", "author": "luis", "text": "La aplicación no me deja escanear los paquetes desde esta mañana"},
    {"id": "3", "author": "bob", "text": 'RT @Driver_Ann: The app crashed & logged me out "again"'},
    {"id": "4", "author": "driver_ann", "text": "Station wait was two hours today, nobody told us why."},
]


@pytest.fixture
def enriched(db: Database, settings: Settings, tmp_path: Path) -> dict[str, Post]:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS))
    get_or_create_source(db, "drivers")
    iter_import(db, settings, path, "drivers")
    assert drain(db, settings) >= 1
    with db.read() as session:
        return {p.external_id: p for p in session.scalars(select(Post))}


def test_posts_are_cleaned_and_their_language_detected(
    db: Database, settings: Settings, enriched: dict[str, Post]
) -> None:
    assert enriched["1"].text == 'The app crashed & logged me out "again"'
    with db.read() as session:
        raw = session.get(RawItem, enriched["1"].id)
    assert raw is not None and b"crashed" not in raw.sealed  # the original is kept, but sealed
    assert json.loads(raw_sealer(settings.secret).open(raw.sealed)) == POSTS[0]
    assert enriched["1"].language == "en"
    assert enriched["2"].language == "es"


def test_authors_are_keyed_pseudonyms_that_match_across_posts(
    enriched: dict[str, Post], settings: Settings
) -> None:
    assert enriched["1"].author_key == author_key(settings.secret, "@Driver_Ann")
    assert enriched["1"].author_key == enriched["4"].author_key  # same person, other spelling
    assert enriched["1"].author_key != enriched["2"].author_key
    assert all("ann" not in (p.author_key or "").lower() for p in enriched.values())


def test_a_repost_collapses_onto_the_original(enriched: dict[str, Post]) -> None:
    assert enriched["3"].duplicate_of == enriched["1"].id
    assert enriched["1"].duplicate_of is None and enriched["4"].duplicate_of is None


def test_the_earliest_copy_is_the_original_whatever_order_copies_arrive_in(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    late = tmp_path / "late.jsonl"
    late.write_text(
        json.dumps(
            {"id": "rt", "text": "RT @ann: Gate code wrong again", "created_at": "2026-11-03T10:00:00Z"}
        )
        + "\n"
    )
    early = tmp_path / "early.jsonl"
    early.write_text(
        json.dumps({"id": "orig", "text": "Gate code wrong again", "created_at": "2026-11-03T09:00:00Z"})
        + "\n"
    )
    get_or_create_source(db, "x")
    iter_import(db, settings, late, "x")
    drain(db, settings)
    iter_import(db, settings, early, "x")
    drain(db, settings)
    with db.read() as session:
        posts = {p.external_id: p for p in session.scalars(select(Post))}
    assert posts["orig"].duplicate_of is None
    assert posts["rt"].duplicate_of == posts["orig"].id


def test_every_stage_is_recorded_with_its_version(db: Database, enriched: dict[str, Post]) -> None:
    with db.read() as session:
        rows = session.scalars(select(Enrichment).where(Enrichment.post_id == enriched["2"].id)).all()
    assert {r.stage for r in rows} == {
        "clean",
        "language",
        "redact",
        "pseudonymise",
        "dedupe",
        "neardup",
        "story",
        "sentiment",
        "urgency",
    }
    assert all(r.version >= 1 for r in rows)


def test_bumping_a_stage_version_redoes_only_it_and_later_stages(
    db: Database, settings: Settings, enriched: dict[str, Post], monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.read() as session:
        chain = ingest_jobs.chain_for(session, settings)
    names = [s.name for s in chain.stages]
    bumped = chain.stages[names.index("pseudonymise")]
    with db.read() as session:
        before = {
            (r.post_id, r.stage): (r.version, r.created_at) for r in session.scalars(select(Enrichment))
        }
    monkeypatch.setattr(type(bumped), "version", bumped.version + 1)
    assert requeue_enrichment(db, settings) == 4
    drain(db, settings)
    with db.read() as session:
        after = {(r.post_id, r.stage): (r.version, r.created_at) for r in session.scalars(select(Enrichment))}
        posts = {p.external_id: p for p in session.scalars(select(Post))}
    for (post_id, stage), (version, created) in after.items():
        if names.index(stage) < names.index("pseudonymise"):
            assert (version, created) == before[(post_id, stage)], stage
        else:
            assert created > before[(post_id, stage)][1], stage
    assert after[(enriched["1"].id, "pseudonymise")][0] == bumped.version
    # Redoing from the raw payload gives the same pseudonym, and cleaned text is kept.
    assert posts["1"].author_key == enriched["1"].author_key
    assert posts["1"].text == enriched["1"].text


def test_a_repost_with_small_edits_joins_the_original_group(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    base = "Station wait was two hours again today and nobody from the site team told us why"
    posts = [
        {"id": "o", "text": base, "created_at": "2026-11-03T09:00:00Z"},
        {
            "id": "q",
            "text": base + " +1 same at DLA8",
            "created_at": "2026-11-03T10:00:00Z",
        },
        {
            "id": "x",
            "text": "Scanner broke and the new labels are too small for the camera to read",
            "created_at": "2026-11-03T11:00:00Z",
        },
    ]
    path = tmp_path / "near.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in posts))
    get_or_create_source(db, "near")
    iter_import(db, settings, path, "near")
    drain(db, settings)
    with db.read() as session:
        found = {
            p.external_id: p
            for p in session.scalars(select(Post).where(Post.external_id.in_(["o", "q", "x"])))
        }
    assert found["q"].duplicate_of == found["o"].id
    assert found["o"].duplicate_of is None and found["x"].duplicate_of is None


def test_a_large_job_saves_its_posts_in_short_transactions_of_its_own(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On SQLite a writer holds the one write lock: a job saving a whole import batch at once would
    # keep every analyst's click waiting. Slices of posts are each saved and committed apart.
    monkeypatch.setattr(ingest_jobs, "ENRICH_SLICE", 2)
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS))
    get_or_create_source(db, "drivers")
    iter_import(db, settings, path, "drivers")
    saved_per_commit: list[int] = []
    with db.read() as session:
        assert session.scalar(select(func.count(Post.id)).where(Post.text.is_not(None))) == 0

    @event.listens_for(db.write_engine, "commit")
    def _count(conn: Any) -> None:
        with db.read() as session:
            saved_per_commit.append(
                int(session.scalar(select(func.count(Post.id)).where(Post.text.is_not(None))) or 0)
            )

    assert drain(db, settings) == 1
    event.remove(db.write_engine, "commit", _count)
    # The first two posts were saved and visible while the job went on with the other two.
    assert 2 in saved_per_commit and saved_per_commit[-1] == 4, saved_per_commit
