"""A bulk import, on both engines and through each of its paths (one process; a reader process;
several reader processes, each reading its own parts of the file): every good row stored once and
in the file's order, bad rows quarantined with their reason and line, every raw item sealed, every
author pseudonymised, and every stored post queued for enrichment exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from earful.ingest.service import get_or_create_source, iter_import
from earful.pipeline.pseudonymise import author_key
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Job, Post, Quarantined, RawItem
from earful.store.sealing import raw_sealer

GOOD = 3000


def _lines() -> tuple[list[str], dict[str, str]]:
    """Return the file's lines and, for each good post's id, its line as written."""
    lines: list[str] = []
    good: dict[str, str] = {}
    for i in range(GOOD):
        links = [
            f"https://example.com/p/{i}",
            f"https://x.com/Driver{i % 97}/status/{10_000 + i}",
            f"https://forum.example/u/driver{i % 97}/post/{i}",
        ]
        record = {
            "id": f"gen-{i}",
            "text": f"the app crashed again, shift {i}",
            "author": f"@Driver{i % 97}",
            "created_at": f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:15:00Z",
            "url": links[i % 3],
            "likes": i % 7,
        }
        line = json.dumps(record)
        lines.append(line)
        good[record["id"]] = line
        if i % 15 == 0:  # the same post again, later in the file, often in another batch
            lines.append(json.dumps({**record, "text": "a later copy"}))
        if i % 500 == 7:
            lines.append('{"id": "broken", "text": "no end')
            lines.append(json.dumps({"id": f"empty-{i}", "text": "  ", "author": "@x"}))
            lines.append(json.dumps({"id": f"when-{i}", "text": "hi", "created_at": "last tuesday"}))
    return lines, good


@pytest.mark.parametrize(
    ("parallel", "readers"),
    [(False, 1), (True, 1), (True, 2), (True, 3)],
    ids=["one-process", "reader-process", "two-readers", "three-readers"],
)
def test_a_bulk_import_stores_seals_pseudonymises_quarantines_and_queues_every_row(
    db: Database, settings: Settings, tmp_path: Path, parallel: bool, readers: int
) -> None:
    # Readers of parts cut the file into parts of about one batch each: here about five.
    settings = settings.model_copy(update={"import_batch_size": 700, "import_readers": readers})
    lines, good = _lines()
    path = tmp_path / "bulk.jsonl"
    path.write_text("\n".join(lines) + "\n")
    get_or_create_source(db, "bulk")

    summary = iter_import(db, settings, path, "bulk", "jsonl", parallel=parallel)

    bad = 3 * len([i for i in range(GOOD) if i % 500 == 7])
    copies = len(range(0, GOOD, 15))
    assert (summary.read, summary.imported) == (len(lines), GOOD)
    assert (summary.duplicates, summary.quarantined) == (copies, bad)
    with db.read() as session:
        posts = session.scalars(select(Post).order_by(Post.id)).all()
        raws = {r.post_id: r for r in session.scalars(select(RawItem))}
        quarantined = session.scalars(select(Quarantined)).all()
        jobs = session.scalars(select(Job).where(Job.name == "ingest.enrich")).all()
    # Stored in the file's order (each post's first copy), whichever process read it.
    assert [p.external_id for p in posts] == list(good)
    sealer = raw_sealer(settings.secret)
    assert set(raws) == {p.id for p in posts}
    for post in posts:
        # The first copy in the file is the one kept, exactly as written, and only sealed.
        assert sealer.open(raws[post.id].sealed) == good[post.external_id]
        assert b"Driver" not in raws[post.id].sealed and b"crashed" not in raws[post.id].sealed
        number = int(post.external_id.removeprefix("gen-"))
        assert post.author_key == author_key(settings.secret, f"@Driver{number % 97}")
        assert post.url in (
            f"https://example.com/p/{number}",
            f"https://x.com/i/web/status/{10_000 + number}",
            None,
        )
        assert post.engagement == {"likes": number % 7}
        assert post.text is None
    assert all("driver" not in (p.url or "").lower() and "driver" not in (p.author_key or "") for p in posts)
    reasons = sorted(q.reason.split(" (")[0] for q in quarantined)
    assert len(quarantined) == bad and all(
        q.sealed_raw and b"last tuesday" not in q.sealed_raw for q in quarantined
    )
    assert {r.split(" at ")[0] for r in reasons} >= {"invalid JSON", "unreadable date"}
    assert any("no text" in r for r in reasons)
    broken = [f"line {n}" for n, line in enumerate(lines, start=1) if line.endswith('"no end')]
    assert sorted(q.location for q in quarantined if "invalid JSON" in q.reason) == sorted(broken)
    queued = [post_id for job in jobs for post_id in job.payload["post_ids"]]
    assert sorted(queued) == [p.id for p in posts]

    again = iter_import(db, settings, path, "bulk", "jsonl", parallel=parallel)

    assert (again.imported, again.duplicates) == (0, GOOD + copies)
    with db.read() as session:
        assert len(session.scalars(select(Post.id)).all()) == GOOD
        assert len(session.scalars(select(Quarantined.id)).all()) == bad
        assert len(session.scalars(select(Job.id).where(Job.name == "ingest.enrich")).all()) == len(jobs)
