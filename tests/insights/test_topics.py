"""Emerging topics: found among posts no category fits, stable across runs, accepted into the taxonomy."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from earful.contracts import Actor
from earful.insights import topics
from earful.kit.clock import utcnow
from earful.kit.errors import Conflict, EarfulError, Forbidden
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Job, Topic
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.repos.erasure import delete_posts
from tests.conftest import shared_data
from tests.factories import label, make_source, posts_at

ADMIN = Actor(None, "root", "admin")
FUEL = [
    "the new fuel card got declined at the pump again",
    "fuel card declined at the pump, had to pay for diesel myself",
    "anyone else fuel card keeps getting declined at every pump",
    "pump says fuel card declined, third time this week",
    "my fuel card was declined at the pump and support did not answer",
    "fuel card declined again at the pump this morning",
]
WHEN = ["this morning", "again today", "near the depot", "for the third time", "on my last block", "at lunch"]
UNIONS = [
    "we should organise a strike over the new union rules",
    "join the union strike on friday, organise your depot",
    "the strike vote and union meeting is tonight, organise now",
]


def _tweets(n: int, seed: int) -> list[str]:
    """Return `n` real tweets (SemEval-2017) as the everyday chatter a new issue stands out from."""
    found: list[str] = []
    for path in sorted(shared_data("semeval2017-task4a").glob("twitter-201[3-6]*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[2].strip():
                found.append(parts[2].strip())
    return random.Random(seed).sample(found, n)


def seed(db: Database, run: int = 0, extra_fuel: int = 0) -> dict[str, list[int]]:
    """Store 1,500 unfitted tweets, a new issue (fuel cards declined), talk of organising, and posts
    that fit a category well; the week before now."""
    rng = random.Random(run)
    now = utcnow()
    source = make_source(db, f"r/drivers{run}")

    def at() -> list:
        return [now - timedelta(hours=rng.randrange(1, 150))]

    made = {
        "chatter": [posts_at(db, source, at(), text)[0] for text in _tweets(1500, run)],
        # People word the same problem differently (exact copies would be folded as duplicates).
        "fuel": [
            posts_at(db, source, at(), f"{FUEL[i % len(FUEL)]} {rng.choice(WHEN)}")[0]
            for i in range(36 + extra_fuel)
        ],
        "unions": [posts_at(db, source, at(), f"{UNIONS[i % 3]} {rng.choice(WHEN)}")[0] for i in range(30)],
        "fitted": [posts_at(db, source, at(), FUEL[i % len(FUEL)])[0] for i in range(40)],
    }
    label(db, made["chatter"][:300], "operations.routes", confidence=0.2)  # weak labels: still unfitted
    label(db, made["fuel"], "pay.expenses", confidence=0.3)
    label(db, made["fitted"], "pay.expenses", confidence=0.9)  # fits its category: not a candidate
    return made


def _fuel(db: Database) -> int:
    return next(t.id for t in topics.views(db) if "fuel" in " ".join(t.terms))


def test_a_new_issue_among_unfitted_posts_is_proposed_with_its_terms_and_examples(db: Database) -> None:
    made = seed(db)
    ids = topics.run(db)
    found = topics.views(db)
    assert len(ids) >= 1
    fuel = next(t for t in found if "fuel" in " ".join(t.terms))
    assert {"fuel", "card", "pump"} <= {w for term in fuel.terms for w in term.split()}
    assert fuel.parent == "pay"  # where its weak labels point
    assert fuel.size >= 30 and not set(fuel.examples and [p for p, _ in fuel.examples]) - set(made["fuel"])
    assert all("declined" in text for _, text in fuel.examples)
    assert fuel.suggested_key == "fuel_card"
    # Organising is never proposed, however clear the cluster.
    assert not any("union" in " ".join(t.terms) or "strike" in " ".join(t.terms) for t in found)


def test_topics_keep_their_identity_across_runs_and_rejections_stick(db: Database) -> None:
    seed(db)
    topics.run(db)
    first = _fuel(db)
    seed(db, run=1, extra_fuel=12)  # more of the same issue arrives, among other chatter
    second = topics.run(db)
    assert first in second
    views = {t.id: t for t in topics.views(db)}
    assert views[first].size > 40
    topics.reject(db, ADMIN, first)
    topics.run(db)
    assert {t.id: t for t in topics.views(db)}[first].status == "rejected"  # matched, not re-proposed
    with pytest.raises(Conflict):
        topics.reject(db, ADMIN, first)


def test_accepting_a_topic_makes_a_new_taxonomy_version_and_requeues_its_posts(
    db: Database, settings: Settings
) -> None:
    made = seed(db)
    topics.run(db)
    topic_id = _fuel(db)
    with pytest.raises(Forbidden):
        topics.accept(db, settings, Actor(None, "lee", "lead"), topic_id, "pay", "fuel_card", "Fuel card")
    with pytest.raises(EarfulError, match="top-level category"):
        topics.accept(db, settings, ADMIN, topic_id, "pay.tips", "fuel_card", "Fuel card")
    version = topics.accept(db, settings, ADMIN, topic_id, "pay", "fuel_card", "Fuel card declined")
    with db.read() as session:
        latest = taxonomy_repo.latest(session)
        assert latest is not None and latest.version == version == 2
        taxonomy = taxonomy_repo.load(session, latest)
        queued = [
            j.payload["post_ids"] for j in session.scalars(select(Job).where(Job.name == "ingest.enrich"))
        ]
    node = taxonomy.get("pay.fuel_card")
    assert node.name == "Fuel card declined" and "fuel" in " ".join(node.keywords)
    # No stranger's words are copied into the taxonomy: no examples, and the post's phrase nowhere.
    assert node.examples == ()
    assert "pump again" not in " ".join([node.name, node.description, *node.keywords]).casefold()
    assert set(made["fuel"]) <= {pid for chunk in queued for pid in chunk}
    assert {t.id: t for t in topics.views(db)}[topic_id].status == "accepted"


def test_deleted_posts_leave_the_topics_that_listed_them(db: Database) -> None:
    made = seed(db)
    topics.run(db)
    fuel = _fuel(db)
    with db.write() as session:
        delete_posts(session, made["fuel"][:10])
    view = next(t for t in topics.views(db) if t.id == fuel)
    assert not {pid for pid, _ in view.examples} & set(made["fuel"][:10])
    with db.read() as session:
        topic = session.get(Topic, fuel)
        assert topic is not None and not set(topic.members) & set(made["fuel"][:10])
