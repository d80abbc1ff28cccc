"""`earful demo --no-serve` loads the bundled data into a working, enriched database."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from earful.store.db import Database
from earful.store.models import Job, Label, Post, Quarantined, Report, Source, Spike, TriageItem


def test_demo_loads_enriched_posts_in_two_languages_and_prints_a_login(
    db: Database, cli_env: dict[str, str]
) -> None:
    cmd = [sys.executable, "-m", "earful.cli", "demo", "--no-serve"]
    done = subprocess.run(cmd, env=cli_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sign in as admin" in done.stdout
    with db.read() as session:
        sources = session.scalars(select(Source)).all()
        posts = session.scalar(select(func.count(Post.id)))
        languages = dict(session.execute(select(Post.language, func.count()).group_by(Post.language)).all())
        duplicates = session.scalar(select(func.count(Post.id)).where(Post.duplicate_of.is_not(None)))
        regions = {s.region for s in sources}
        pending = session.scalar(select(func.count(Job.id)).where(Job.status != "done"))
        quarantined = session.scalar(select(func.count(Quarantined.id)))
        labelled = session.scalar(select(func.count(func.distinct(Label.post_id))))
        urgent = session.scalar(select(func.count(Post.id)).where(Post.urgency >= 0.5))
    assert labelled is not None and posts is not None and labelled >= posts // 2, (labelled, posts)
    assert urgent is not None and urgent >= 5
    assert len(sources) >= 6 and len(regions) >= 4
    assert posts is not None and 300 <= posts <= 400
    assert languages.get("en", 0) > 150 and languages.get("es", 0) > 60, languages
    assert duplicates is not None and duplicates >= 20
    assert pending == 0 and quarantined == 0
    # The insights are there to see: the outage spike, two escalations on the clock, a report.
    with db.read() as session:
        spikes = session.scalars(select(Spike)).all()
        items = session.scalars(select(TriageItem).where(TriageItem.escalated_at.is_not(None))).all()
        reports = session.scalar(select(func.count(Report.id)))
    assert any(s.started_at.strftime("%Y-%m-%d") == "2026-11-06" for s in spikes), spikes
    assert len(items) == 2 and all(i.ack_due_at and i.resolve_due_at for i in items)
    resolved = next(i for i in items if i.status == "resolved")
    assert resolved.outcome and resolved.spike_id is not None
    assert reports == 1
    # Running it again adds nothing and hands out a new password.
    again = subprocess.run(cmd, env=cli_env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    with db.read() as session:
        assert session.scalar(select(func.count(Post.id))) == posts
        assert session.scalar(select(func.count(Report.id))) == 1  # not made again
