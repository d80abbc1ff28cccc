"""The loaded demo tells one story: the 6 November outage raised an escalation of an outage post, the
dog attack that day went to the safety team, each was closed with what was done about it, and a
report of that week says so."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from earful.cli.app import app
from earful.kit.clock import as_utc
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Category, Label, Post, Spike, Team, TriageItem
from earful.web.app import create_app
from tests.web.conftest import login

OUTAGE_DAY = datetime(2026, 11, 6, tzinfo=UTC)


def test_the_demo_escalations_fit_their_posts_and_the_week_report_counts_them(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "earful.cli", "demo", "--no-serve"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with db.read() as session:
        rows = session.execute(
            select(TriageItem, Post, Team)
            .join(Post, Post.id == TriageItem.post_id)
            .join(Team, Team.id == TriageItem.team_id)
            .where(TriageItem.escalated_at.is_not(None))
        ).all()
        labels = {
            item.post_id: session.scalars(
                select(Category.key)
                .join(Label, Label.category_id == Category.id)
                .where(Label.post_id == item.post_id)
                .order_by(Label.confidence.desc())
            ).all()
            for item, _, _ in rows
        }
        spikes = {s.id: s for s in session.scalars(select(Spike))}
    assert len(rows) == 2
    (outage,) = [row for row in rows if row[0].spike_id is not None]
    (bite,) = [row for row in rows if row[0].spike_id is None]

    item, post, team = outage
    spike = spikes[item.spike_id]
    assert labels[post.id][0].startswith("app."), labels[post.id]  # an outage post, not a dog bite
    assert "dog" not in (post.text or "").lower() and "perro" not in (post.text or "").lower()
    assert team.name == "App team"
    assert item.status == "resolved" and "login" in (item.outcome or "").lower()
    assert as_utc(spike.started_at) <= as_utc(item.escalated_at) <= as_utc(spike.ended_at)  # type: ignore[operator]
    assert spike.subsided_at is not None  # the outage is over in the story, and so is its spike

    item, post, team = bite
    assert labels[post.id][0] == "safety.animals", labels[post.id]
    assert "dog" in (post.text or "").lower()
    assert team.name == "Safety"
    assert item.status == "resolved" and "dog" in (item.outcome or "").lower()
    assert "login" not in (item.outcome or "").lower()

    for item, post, _ in rows:  # each raised, acknowledged and closed in the story's own days
        escalated, acknowledged, resolved = (
            as_utc(item.escalated_at),
            as_utc(item.acknowledged_at),
            as_utc(item.resolved_at),
        )
        assert escalated is not None and acknowledged is not None and resolved is not None
        assert as_utc(post.posted_at) < escalated < acknowledged < resolved  # type: ignore[operator]
        assert escalated.date() == OUTAGE_DAY.date()
        assert acknowledged <= as_utc(item.ack_due_at) and resolved <= as_utc(item.resolve_due_at)  # type: ignore[operator]

    # The week's report counts both escalations and shows what was done.
    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: one line
    out = tmp_path / "week"
    made = CliRunner().invoke(
        app, ["report", "--since", "2026-11-01", "--until", "2026-11-08", "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert "2 escalations" in made.output, made.output
    document = next(out.glob("*.html")).read_text()
    assert "Login service rolled back" in document and "dog" in document.lower()

    # Insights opens on the demo's month, not on an empty week.
    client = TestClient(create_app(settings, db), follow_redirects=False)
    login(client, db, "ana", "analyst")
    page = client.get("/insights")
    assert page.status_code == 200 and "No posts in this range" not in page.text

    # Every team of the demo has somebody in it, shown on the Teams page with their role.
    teams_page = client.get("/teams")
    assert teams_page.status_code == 200
    for name in ("app.analyst (analyst)", "safety.lead (lead)", "stations.lead (lead)"):
        assert name in teams_page.text, name
    assert "nobody yet" not in teams_page.text
