"""`earful demo --no-serve` loads the bundled data into a working, enriched database."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from earful.pipeline.urgency import URGENT
from earful.store.db import Database
from earful.store.models import Category, Job, Label, Post, Quarantined, Report, Source, Spike, TriageItem


def test_demo_loads_enriched_posts_in_two_languages_and_prints_a_login(
    db: Database, cli_env: dict[str, str]
) -> None:
    cmd = [sys.executable, "-m", "earful.cli", "demo", "--no-serve"]
    done = subprocess.run(cmd, env=cli_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sign in as admin" in done.stdout
    # A skipped item says why, in the demo's own summary lines too.
    assert "1 skipped (comment was deleted or removed)" in " ".join(done.stdout.split()), done.stdout
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


# Posts of the demo that report a safety incident, by a fragment of their title or text, and the
# category each should carry first (the surest label, strictly ahead of the next).
INCIDENTS = {
    "Got robbed at gunpoint in my car tonight": "safety.violence",
    "Me asaltaron en Ecatepec": "safety.violence",
    "A dog attacked me at a house near Ballincollig": "safety.animals",
    "Got bit by a dog today": "safety.animals",
    "Me mordió un perro en Coyoacán": "safety.animals",
    "Un perro me ha mordido en una urbanización": "safety.animals",
    "got hit by a car that ran a red light": "safety.road_accidents",
    "Road accident today, a van reversed into my car": "safety.road_accidents",
}
# Safety incidents that are over and need no one now: the right category, but not urgent.
CALM_INCIDENTS = {"Road accident today, a van reversed into my car"}  # "Minor damage, I'm ok."
# Jokes and figures of speech: the two football "robberies" (English and Spanish), and others.
JOKES = [
    "Vaya robo en el último minuto",
    "Absolute robbery in the final minute",
    "Snow day bonus of $10/block lmao",
    "THANK YOU KESTREL",
    "La señora del agua de jamaica merece un monumento",
    "Wait 5 min for a resident to walk out",
    "turn left into a canal",
    "all systems operational",
]


def test_the_demo_ranks_incidents_safety_first_and_no_joke_among_the_most_urgent(
    db: Database, cli_env: dict[str, str]
) -> None:
    cmd = [sys.executable, "-m", "earful.cli", "demo", "--no-serve"]
    done = subprocess.run(cmd, env=cli_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    def posts_with(session: Session, fragment: str) -> list[Post]:
        found = session.scalars(
            select(Post).where(or_(Post.text.contains(fragment), Post.title.contains(fragment)))
        ).all()
        assert found, f"no demo post has {fragment!r}"
        return list(found)

    with db.read() as session:
        for fragment, expected in INCIDENTS.items():
            post = next(p for p in posts_with(session, fragment) if p.duplicate_of is None)
            labels = session.execute(
                select(Category.key, Label.confidence)
                .join(Category, Category.id == Label.category_id)
                .where(Label.post_id == post.id)
                .order_by(Label.confidence.desc())
            ).all()
            assert labels and labels[0][0] == expected, (fragment, labels)
            assert all(c < labels[0][1] for _, c in labels[1:]), (fragment, labels)  # first, not tied
            if fragment in CALM_INCIDENTS:
                assert (post.urgency or 0) < URGENT, (fragment, post.urgency)
            else:
                assert (post.urgency or 0) >= URGENT, (fragment, post.urgency)

        scores = sorted((p.urgency or 0.0 for p in session.scalars(select(Post))), reverse=True)
        tenth = scores[9]
        for fragment in JOKES:
            for post in posts_with(session, fragment):
                assert (post.urgency or 0) < min(tenth, URGENT), (fragment, post.urgency, scores[:10])
        for fragment in JOKES[:2]:
            (joke,) = posts_with(session, fragment)
            keys = session.scalars(
                select(Category.key)
                .join(Label, Label.category_id == Category.id)
                .where(Label.post_id == joke.id)
            ).all()
            assert not [k for k in keys if k.startswith("safety")], (fragment, keys)
