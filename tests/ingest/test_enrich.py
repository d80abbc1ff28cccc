"""The enrichment chain over stored posts; re-runs redo only the stages that changed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import event, func, select, update
from typer.testing import CliRunner

import earful.ingest.jobs as ingest_jobs
import earful.pipeline.chain as chain_module
from earful.classify.service import ensure_default
from earful.cli.app import app as cli_app
from earful.ingest.service import get_or_create_source, iter_import, requeue_enrichment
from earful.insights import reports
from earful.jobs.queue import drain, run_one
from earful.kit.errors import EarfulError
from earful.kit.search import parse
from earful.ml.names import find_names
from earful.pipeline.pseudonymise import author_key
from earful.pipeline.redact import Redaction, Redactor, RedactStage
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Enrichment, Job, Post, RawItem
from earful.store.repos.feed import FeedFilter
from earful.store.sealing import raw_sealer
from earful.triage import feed

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


REPORT_RANGE = (datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))
# A post as received: a name the first redactor misses and the next finds, a phone number and an
# address both find, and a brand the first took for a name by mistake.
RAW = {
    "id": "pii",
    "author": "rosa_nunez",
    "title": "Maria Lopez",
    "text": "Call Maria Lopez on +44 7700 900123, I'm at 12 Elm Street and the Kestrel app crashed again",
    "created_at": "2026-11-20T10:00:00Z",
}


class FirstRedactor(Redactor):
    """The redactor of the first version: no name finder, and "Kestrel" (a brand) taken for a name."""

    def __init__(self, public_handles: Any = ()) -> None:
        super().__init__(public_handles)

    def spans(self, text: str, language: str | None = None) -> list[tuple[int, int, str]]:
        found = super().spans(text, language)
        return sorted(found + [(m.start(), m.end(), "NAME") for m in re.finditer("Kestrel", text)])


class NextRedactor(Redactor):
    """The redactor of the next version (the shipped one), noting every text it is given."""

    seen: ClassVar[list[str]] = []

    def __init__(self, public_handles: Any = ()) -> None:
        super().__init__(public_handles, names=find_names)

    def redact(self, text: str, language: str | None = None) -> Redaction:
        self.seen.append(text)
        return super().redact(text, language)


def _redaction_row(db: Database, post_id: int) -> Enrichment:
    with db.read() as session:
        return session.scalars(
            select(Enrichment).where(Enrichment.post_id == post_id, Enrichment.stage == "redact")
        ).one()


def test_a_new_redaction_version_redacts_stored_posts_again_from_their_sealed_raw_input(
    db: Database, settings: Settings, tmp_path: Path, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_default(db)  # a taxonomy: posts get labels, so a report quotes them
    monkeypatch.setattr(chain_module, "default_redactor", FirstRedactor)
    monkeypatch.setattr(ingest_jobs, "_CHAINS", {})
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps(RAW) + "\n")
    get_or_create_source(db, "drivers")
    iter_import(db, settings, path, "drivers")
    drain(db, settings)
    with db.read() as session:
        post = session.scalars(select(Post)).one()
    assert post.text == "Call Maria Lopez on [PHONE], I'm at [ADDRESS] and the [NAME] app crashed again"
    assert post.title == "Maria Lopez"
    first = _redaction_row(db, post.id)
    assert feed.count(db, FeedFilter(search=parse("lopez"))) == 1
    report = reports.make(db, settings, None, FeedFilter(), *REPORT_RANGE)
    assert post.id in report.content.post_ids and b"Maria Lopez" in reports.file(db, report.id, "html")[0]

    # A new version of the redact stage ships with a redactor that finds names: what the product
    # runs then is `earful enrich`, and the worker.
    monkeypatch.setattr(chain_module, "default_redactor", NextRedactor)
    monkeypatch.setattr(ingest_jobs, "_CHAINS", {})
    monkeypatch.setattr(RedactStage, "version", RedactStage.version + 1)
    monkeypatch.setattr(ingest_jobs, "SCRUB_DELAY_SECONDS", 0)
    monkeypatch.setattr(NextRedactor, "seen", [])
    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    done = CliRunner().invoke(cli_app, ["enrich"])
    assert done.exit_code == 0 and "Queued 1 posts" in done.output, done.output
    drain(db, settings)

    with db.read() as session:
        again = session.scalars(select(Post)).one()
    # The name the first redactor left is replaced now; the phone and address it replaced still are.
    assert again.text == "Call [NAME] on [PHONE], I'm at [ADDRESS] and the Kestrel app crashed again"
    assert again.title == "[NAME]"
    # Rebuilt from the sealed raw input, not from the stored text: the brand the first redactor took
    # for a name is back, the new redactor was given the number as received, and it counted it.
    assert any("+44 7700 900123" in seen for seen in NextRedactor.seen), NextRedactor.seen
    assert not any("[PHONE]" in seen for seen in NextRedactor.seen)
    row = _redaction_row(db, again.id)
    assert (first.version, row.version) == (RedactStage.version - 1, RedactStage.version)
    assert first.outputs["redactions"] == {"PHONE": 1, "ADDRESS": 1, "NAME": 1}
    assert row.outputs["redactions"] == {"NAME": 2, "PHONE": 1, "ADDRESS": 1}
    # Nothing of the old text is left to find: not by search, not in a report that quoted it, not
    # in the database files (the scrub the re-run queued has run).
    assert feed.count(db, FeedFilter(search=parse("lopez"))) == 0
    assert feed.count(db, FeedFilter(search=parse("kestrel"))) == 1
    with pytest.raises(EarfulError, match="withdrawn"):
        reports.file(db, report.id, "html")
    if db.is_sqlite:
        database = Path(db.write_engine.url.database or "")
        files = [database, database.with_name(database.name + "-wal")]
        assert not any(b"lopez" in f.read_bytes().lower() for f in files if f.exists())


def _import_unenriched(db: Database, settings: Settings, tmp_path: Path) -> list[int]:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS))
    get_or_create_source(db, "drivers")
    iter_import(db, settings, path, "drivers")
    with db.read() as session:
        return list(session.scalars(select(Post.id).order_by(Post.id)))


def _saved(db: Database) -> list[int]:
    with db.read() as session:
        return list(session.scalars(select(Post.id).where(Post.text.is_not(None)).order_by(Post.id)))


def test_a_large_enrichment_job_hands_most_of_its_posts_to_jobs_any_worker_can_take(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An import batch is one job; left whole, the last batch keeps one worker busy while the others
    # wait. The job keeps the first share for itself and queues the rest in shares as large.
    monkeypatch.setattr(ingest_jobs, "ENRICH_JOB_POSTS", 3)
    ids = _import_unenriched(db, settings, tmp_path)
    assert run_one(db, settings) is True
    assert _saved(db) == ids[:3]
    with db.read() as session:
        jobs = session.execute(select(Job.status, Job.payload).order_by(Job.id)).all()
    assert [(status, payload["post_ids"]) for status, payload in jobs] == [
        ("done", ids[:3]),
        ("queued", ids[3:]),
    ]
    assert drain(db, settings) == 1
    assert _saved(db) == ids


def test_an_enrichment_job_taken_back_between_slices_saves_no_further_slice(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its worker's beats stopped reaching the database long enough for another worker to take the
    # job: the slices saved before stay, and from then on only the new owner saves, so no post is
    # enriched twice.
    monkeypatch.setattr(ingest_jobs, "ENRICH_SLICE", 2)
    ids = _import_unenriched(db, settings, tmp_path)
    run_chain = ingest_jobs._run_chain
    slices: list[list[int]] = []

    def taken_after_first_slice(session: Any, s: Settings, post_ids: list[int]) -> Any:
        slices.append(post_ids)
        if len(slices) == 2:
            with db.write() as writing:  # what recover_stale does on another machine
                writing.execute(update(Job).values(status="queued", locked_by=None))
        return run_chain(session, s, post_ids)

    monkeypatch.setattr(ingest_jobs, "_run_chain", taken_after_first_slice)
    assert run_one(db, settings, "slow:1") is True
    assert _saved(db) == ids[:2]
    with db.read() as session:
        job = session.scalars(select(Job)).one()
        assert (job.status, job.locked_by, job.last_error) == ("queued", None, None)
    monkeypatch.setattr(ingest_jobs, "_run_chain", run_chain)
    assert drain(db, settings) == 1
    assert _saved(db) == ids
