"""Erasure and retention: nothing of an erased or expired post remains in any table or index."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, select, text

import earful.classify.jobs
import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.classify.learning import relabel, train_classifier
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.ingest.privacy import erase_author, purge_expired
from earful.ingest.service import get_or_create_source, iter_import
from earful.ingest.sources import SourceForm, save_source
from earful.jobs.queue import drain
from earful.kit.clock import utcnow
from earful.kit.errors import Forbidden
from earful.kit.search import parse
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry, Base, ModelVersion, Post, Quarantined
from earful.store.repos import quarantine as quarantine_repo
from earful.store.repos.feed import FeedFilter
from earful.store.sealing import quarantine_sealer
from earful.triage import service
from earful.triage.feed import count

ADMIN = Actor(None, "root", "admin")
MARKERS = ("zebrafish", "quokka", "axolotl")


def _rows(n: int, author: str, words: str, start: int, days_ago: int = 1) -> list[dict[str, str]]:
    stamp = (utcnow() - timedelta(days=days_ago)).isoformat()
    return [
        {
            "id": f"{author}-{start + i}",
            "author": author,
            "created_at": stamp,
            "text": f"{words} number {start + i}",
        }
        for i in range(n)
    ]


def _import(
    db: Database, settings: Settings, tmp_path: Path, rows: list[dict[str, str]], source: str
) -> None:
    path = tmp_path / f"{source.replace('/', '_')}-{rows[0]['id']}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    get_or_create_source(db, source)
    iter_import(db, settings, path, source)
    drain(db, settings)


def _everything(db: Database) -> str:
    found: list[str] = []
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if not isinstance(c.type, LargeBinary)]
            for row in session.execute(select(*columns)):
                found.extend(json.dumps(v, default=str) for v in row)
    return "\n".join(found)


def _file_bytes(db: Database) -> bytes:
    path = Path(db.write_engine.url.database or "")
    return b"".join(f.read_bytes() for f in (path, path.with_name(path.name + "-wal")) if f.exists())


def _post_ids(db: Database) -> set[int]:
    with db.read() as session:
        return set(session.scalars(select(Post.id)))


def _rows_pointing_at(db: Database, ids: set[int]) -> list[str]:
    """Every row in any table whose post reference names one of `ids`."""
    found = []
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if column.name in {"post_id", "duplicate_of"} or (
                    table.name == "posts" and column.name == "id"
                ):
                    hits = session.execute(select(column).where(column.in_(ids))).all()
                    found += [f"{table.name}.{column.name}"] * len(hits)
    return found


def set_retention(db: Database, name: str, days: int) -> None:
    save_source(db, ADMIN, SourceForm(name=name, kind="file", retention_days=days), create=False)


def test_erasing_a_person_removes_their_posts_and_everything_derived(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    ensure_default(db)
    rows = _rows(1, "Carla_R", "the app keeps crashing at the depot today", 0)
    rows += _rows(2, "Carla_R", "app crashed zebrafish quokka", 1) + _rows(
        20, "someone", "tips missing axolotl", 10
    )
    # Dan reposts Carla's first post: his copy is his post, and stays when she is erased.
    rows += [{"id": "copy-1", "author": "dan", "created_at": rows[0]["created_at"], "text": rows[0]["text"]}]
    _import(db, settings, tmp_path, rows, "r/drivers")
    before = _post_ids(db)
    analyst = Actor(None, "ana", "analyst")
    with db.read() as session:
        carla = [p.id for p in session.scalars(select(Post).where(Post.external_id.like("Carla_R-%")))]
        others = [p.id for p in session.scalars(select(Post).where(Post.external_id.like("someone-%")))]
    for pid in carla + others:
        relabel(
            db,
            settings,
            analyst,
            pid,
            categories=["app.crashes_login"] if pid in carla else ["pay.tips"],
            sentiment="complaint",
        )
    service.add_note(db, analyst, carla[0], "zebrafish note")
    lead = Actor(None, "lee", "lead")
    team = service.save_team(db, ADMIN, "App team", None, ["app"])
    service.escalate(db, lead, carla[1], team, note="quokka: Carla_R says the depot did it")
    service.set_status(db, lead, carla[2], "dismissed", "zebrafish spam from Carla_R")
    with db.write() as session:  # an enrichment failure set aside with the post's text
        quarantine_repo.add_many(
            session,
            None,
            f"enrich:post:{carla[0]}",
            [("clean", "boom", "zebrafish raw")],
            utcnow(),
            quarantine_sealer(settings.secret),
        )
    with db.write() as session:
        train_classifier(session, settings)
    assert count(db, FeedFilter(search=parse("zebrafish"))) >= 1

    result = erase_author(db, settings, ADMIN, "@carla_r", "r/drivers")

    assert result.posts == 3
    assert _post_ids(db) == before - set(carla)
    assert _rows_pointing_at(db, set(carla)) == []
    assert count(db, FeedFilter(search=parse("zebrafish"))) == 0
    assert count(db, FeedFilter(search=parse("axolotl"))) == 20
    stored = _everything(db)
    assert "zebrafish" not in stored and "quokka" not in stored and "carla" not in stored.lower()
    with db.read() as session:
        assert not session.scalars(select(Quarantined).where(Quarantined.origin.like("enrich:post:%"))).all()
    # The copy by someone else stays, standing alone now.
    with db.read() as session:
        copy = session.scalars(select(Post).where(Post.external_id == "copy-1")).one()
        assert copy.duplicate_of is None
        models = session.scalars(select(ModelVersion)).all()
        assert models and all(m.artifact == b"" and not m.active for m in models)
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "author.erase"))
        assert "carla" not in json.dumps(entry.detail).lower() and "carla" not in (entry.target or "").lower()
    if db.is_sqlite:
        with db.read() as session:
            assert (
                session.execute(text("INSERT INTO posts_fts(posts_fts) VALUES ('integrity-check')"))
                is not None
            )
        raw = _file_bytes(db)
        assert b"axolotl" in raw, "the database files were not read"  # a kept post's word is there
        assert b"zebrafish" not in raw and b"quokka" not in raw, "erased words left in the database files"


def test_erasure_needs_an_admin_and_a_known_source(db: Database, settings: Settings) -> None:
    with pytest.raises(Forbidden):
        erase_author(db, settings, Actor(None, "lee", "lead"), "@x", "r/drivers")
    with pytest.raises(Exception, match="no source"):
        erase_author(db, settings, ADMIN, "@x", "r/nowhere")


def test_retention_purges_old_posts_of_that_source_only(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    _import(db, settings, tmp_path, _rows(4, "old", "zebrafish expired", 0, days_ago=40), "r/short")
    _import(db, settings, tmp_path, _rows(2, "new", "a recent quokka", 10, days_ago=2), "r/short")
    _import(db, settings, tmp_path, _rows(3, "kept", "axolotl forever", 20, days_ago=400), "r/keep")
    set_retention(db, "r/short", 30)

    result = purge_expired(db, settings)

    assert result.posts == 4
    assert count(db, FeedFilter(search=parse("zebrafish"))) == 0
    assert count(db, FeedFilter(search=parse("quokka"))) == 2
    assert count(db, FeedFilter(search=parse("axolotl"))) == 3
    assert "zebrafish" not in _everything(db)
    if db.is_sqlite:
        raw = _file_bytes(db)
        assert b"axolotl" in raw and b"zebrafish" not in raw


def test_the_worker_runs_retention_on_its_own(db: Database, settings: Settings, tmp_path: Path) -> None:
    import threading

    from earful.worker.runner import run_worker

    _import(db, settings, tmp_path, _rows(3, "old", "zebrafish expired", 0, days_ago=40), "r/short")
    set_retention(db, "r/short", 30)
    run_worker(db, settings, threading.Event(), once=True)
    assert count(db, FeedFilter(search=parse("zebrafish"))) == 0
    with db.read() as session:
        assert "retention.purge" in set(session.scalars(select(AuditEntry.action)))
