"""Working the queue: batches, locks, statuses, escalation, bulk actions and the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from earful.accounts.service import add_user
from earful.contracts import Actor
from earful.kit.errors import Conflict, EarfulError, Forbidden
from earful.store.db import Database
from earful.store.models import AuditEntry, Category, Label, TaxonomyVersion, TriageItem
from earful.store.repos import posts as posts_repo
from earful.store.repos.feed import FeedFilter
from earful.triage import service
from earful.triage.feed import feed
from tests.factories import make_posts, make_source


def actor(db: Database, name: str, role: str = "analyst") -> Actor:
    account = add_user(db, name, "long enough password", role)
    return Actor(account.id, account.username, account.role)


@pytest.fixture
def posts(db: Database) -> list[int]:
    ids = make_posts(db, make_source(db), [f"post {i}" for i in range(12)])
    with db.write() as session:
        for i, pid in enumerate(ids):
            posts_repo.set_fields(session, pid, urgency=i / 20)
    return ids


def label(db: Database, post_id: int, key: str) -> None:
    with db.write() as session:
        version = session.scalar(select(TaxonomyVersion).where(TaxonomyVersion.version == 1))
        if version is None:
            version = TaxonomyVersion(version=1, name="t")
            session.add(version)
            session.flush()
        category = session.scalar(select(Category).where(Category.key == key))
        if category is None:
            category = Category(taxonomy_version_id=version.id, key=key, name=key)
            session.add(category)
            session.flush()
        session.add(
            Label(post_id=post_id, category_id=category.id, by="model", confidence=0.9, taxonomy_version=1)
        )


def test_two_analysts_taking_batches_never_get_the_same_post(db: Database, posts: list[int]) -> None:
    ana, ben = actor(db, "ana"), actor(db, "ben")
    first = service.take_batch(db, ana, 5)
    second = service.take_batch(db, ben, 5)
    assert len(first) == len(second) == 5
    assert not set(first) & set(second)
    # Most urgent first: the last posts made carry the highest urgency.
    assert first == list(reversed(posts))[:5]
    mine = feed(db, where=FeedFilter(assignee_id=ana.id)).posts
    assert {p.id for p in mine} == set(first) and all(p.status == "investigating" for p in mine)


def test_a_batch_skips_posts_someone_already_works(db: Database, posts: list[int]) -> None:
    ana, ben = actor(db, "ana"), actor(db, "ben")
    service.set_status(db, ben, posts[-1], "investigating")
    assert posts[-1] not in service.take_batch(db, ana, 3)


def test_the_first_action_locks_a_post_to_other_analysts_until_the_lock_lapses(
    db: Database, posts: list[int]
) -> None:
    ana, ben = actor(db, "ana"), actor(db, "ben")
    # Reading locks nothing.
    assert service.open_item(db, ana, posts[0]).locked_by is None
    assert service.open_item(db, ben, posts[0]).locked_by is None
    service.flag(db, ana, posts[0])
    mine, theirs = service.open_item(db, ana, posts[0]), service.open_item(db, ben, posts[0])
    assert (mine.lock_mine, mine.locked_by) == (True, None)
    assert (theirs.lock_mine, theirs.locked_by) == (False, "ana")
    assert mine.locked_until == theirs.locked_until and theirs.locked_until is not None
    with pytest.raises(Conflict, match=r"ana is working on this post until \d\d:\d\d UTC"):
        service.set_status(db, ben, posts[0], "investigating")
    with db.write() as session:
        session.execute(
            update(TriageItem).values(
                locked_at=TriageItem.locked_at - timedelta(seconds=service.LOCK_SECONDS + 1)
            )
        )
    service.set_status(db, ben, posts[0], "investigating")
    assert service.open_item(db, ana, posts[0]).locked_by == "ben"


def test_a_lead_takes_over_a_lock_an_analyst_cannot(db: Database, posts: list[int]) -> None:
    ana, ben, lee = actor(db, "ana"), actor(db, "ben"), actor(db, "lee", "lead")
    service.flag(db, ana, posts[0])
    with pytest.raises(Forbidden):
        service.take_over(db, ben, posts[0])
    assert service.take_over(db, lee, posts[0]) == "ana"
    assert service.open_item(db, ana, posts[0]).locked_by == "lee"
    with pytest.raises(Conflict, match="lee is working on this post"):
        service.flag(db, ana, posts[0], False)
    # Taking over a post nobody else holds just locks it; nothing to record.
    assert service.take_over(db, lee, posts[1]) is None
    assert service.open_item(db, ana, posts[1]).locked_by == "lee"
    with db.read() as session:
        taken = session.scalars(select(AuditEntry).where(AuditEntry.action == "triage.take_over")).all()
    assert [(e.actor, e.target, e.detail) for e in taken] == [
        ("lee", f"post:{posts[0]}", {"taken_from": "ana"})
    ]


def test_statuses_follow_the_workflow_and_dismissal_needs_a_reason(db: Database, posts: list[int]) -> None:
    ana = actor(db, "ana")
    with pytest.raises(EarfulError, match="Say why"):
        service.set_status(db, ana, posts[0], "dismissed")
    service.set_status(db, ana, posts[0], "dismissed", "spam")
    with pytest.raises(Conflict, match="dismissed cannot become resolved"):
        service.set_status(db, ana, posts[0], "resolved")
    service.set_status(db, ana, posts[0], "investigating")
    events = [(e.action, e.detail.get("status")) for e in service.timeline(db, posts[0])]
    assert events == [("status", "dismissed"), ("status", "investigating")]


def test_escalation_goes_to_the_team_owning_the_category_and_needs_a_lead(
    db: Database, posts: list[int]
) -> None:
    analyst, lead, admin = actor(db, "ana"), actor(db, "lee", "lead"), actor(db, "root", "admin")
    pay = service.save_team(db, admin, "Payments", "#payments", ["pay"])
    service.save_team(db, admin, "App team", "app@example.org", ["app.crashes_login"])
    label(db, posts[0], "pay.tips")
    with pytest.raises(Forbidden):
        service.escalate(db, analyst, posts[0])
    assert service.escalate(db, lead, posts[0]) == "Payments"
    queue = feed(db, where=FeedFilter(team_id=pay, status="escalated")).posts
    assert [p.id for p in queue] == [posts[0]]
    assert {t.name: t.open_items for t in service.teams(db)} == {"App team": 0, "Payments": 1}
    with pytest.raises(EarfulError, match="No team owns"):
        service.escalate(db, lead, posts[1])
    with db.read() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert "triage.escalate" in actions


def test_a_viewer_cannot_triage(db: Database, posts: list[int]) -> None:
    viewer = actor(db, "val", "viewer")
    for attempt in (
        lambda: service.take_batch(db, viewer, 3),
        lambda: service.set_status(db, viewer, posts[0], "investigating"),
        lambda: service.add_note(db, viewer, posts[0], "hi"),
        lambda: service.flag(db, viewer, posts[0]),
    ):
        with pytest.raises(Forbidden):
            attempt()
    # Opening a post as a viewer never locks it.
    service.open_item(db, viewer, posts[0])
    assert service.open_item(db, actor(db, "ana"), posts[0]).locked_by is None


def test_bulk_actions_apply_to_each_post_and_skip_locked_ones_saying_why(
    db: Database, posts: list[int]
) -> None:
    ana, ben = actor(db, "ana"), actor(db, "ben")
    service.assign(db, ben, posts[2], ben.id)
    result = service.bulk(db, ana, posts[:4], "flag")
    assert result.done == [posts[0], posts[1], posts[3]]
    assert list(result.skipped) == [posts[2]] and "ben is working on this post" in result.skipped[posts[2]]
    flagged = {p.id for p in feed(db, where=FeedFilter(flagged=True)).posts}
    assert flagged == {posts[0], posts[1], posts[3]}
    # Each post's timeline says the step was one of many; a single action afterwards does not.
    service.flag(db, ana, posts[0], False)
    events = service.timeline(db, posts[0])
    marked = [(e.action, (e.detail or {}).get("bulk")) for e in events[-2:]]
    assert marked == [("flag", True), ("unflag", None)]


def test_a_bulk_dismissal_without_a_reason_is_refused_whole(db: Database, posts: list[int]) -> None:
    ana = actor(db, "ana")
    with pytest.raises(EarfulError, match="Say why the posts are dismissed"):
        service.bulk(db, ana, posts[:3], "dismissed", "  ")
    assert service.timeline(db, posts[0]) == []


def test_notes_join_the_timeline(db: Database, posts: list[int]) -> None:
    ana = actor(db, "ana")
    service.add_note(db, ana, posts[0], "Asked the app team about it.")
    (event,) = service.timeline(db, posts[0])
    assert (event.actor, event.action, event.detail["text"]) == (
        "ana",
        "note",
        "Asked the app team about it.",
    )


def test_a_claim_only_wins_posts_nobody_has_yet(db: Database, posts: list[int]) -> None:
    from earful.kit.clock import utcnow
    from earful.store.repos import triage as triage_repo

    ana, ben = actor(db, "ana"), actor(db, "ben")
    now = utcnow()
    stale = service.lock_cutoff(now)
    with db.write() as session:
        triage_repo.ensure_items(session, posts[:3], now)
        assert triage_repo.claim(session, posts[:2], ana.id or 0, now, 5, stale) == posts[:2]
        # Ben's candidates were read before Ana's claim: only the one she did not take is his.
        assert triage_repo.claim(session, posts[:3], ben.id or 0, now, 5, stale) == [posts[2]]


def test_a_batch_skips_posts_another_analyst_is_working_on(db: Database, posts: list[int]) -> None:
    ana, ben = actor(db, "ana"), actor(db, "ben")
    most_urgent = posts[-1]
    service.flag(db, ben, most_urgent)
    assert most_urgent not in service.take_batch(db, ana, 3)


def test_a_batch_is_dealt_from_the_feeds_filters(db: Database, posts: list[int]) -> None:
    ana = actor(db, "ana")
    elsewhere = make_posts(db, make_source(db, "r/elsewhere", region="US"), ["us 1", "us 2"])
    assert set(service.take_batch(db, ana, 10, FeedFilter(region="US", status="escalated"))) == set(elsewhere)


def test_a_bulk_action_leaves_no_locks_behind(db: Database, posts: list[int]) -> None:
    ana, ben = actor(db, "ana"), actor(db, "ben")
    service.bulk(db, ana, posts[:5], "flag")
    assert service.open_item(db, ben, posts[0]).locked_by is None


def test_moving_a_post_back_to_new_returns_it_to_the_pool(db: Database, posts: list[int]) -> None:
    ana, ben = actor(db, "ana"), actor(db, "ben")
    (taken,) = service.take_batch(db, ana, 1)
    service.set_status(db, ana, taken, "new")
    assert feed(db, where=FeedFilter(assignee_id=ana.id)).posts == []
    assert service.take_batch(db, ben, 1) == [taken]


def test_posts_are_assigned_only_to_active_people_who_triage(db: Database, posts: list[int]) -> None:
    from earful.accounts.service import update_user

    ana, val = actor(db, "ana"), actor(db, "val", "viewer")
    ben = actor(db, "ben")
    with pytest.raises(EarfulError, match="someone who triages"):
        service.assign(db, ana, posts[0], val.id)
    update_user(db, Actor(None, "root", "admin"), ben.id or 0, role="analyst", team_id=None, active=False)
    with pytest.raises(EarfulError, match="someone who triages"):
        service.assign(db, ana, posts[0], ben.id)


def test_free_text_stays_in_the_timeline_not_the_audit_log(db: Database, posts: list[int]) -> None:
    lead = actor(db, "lee", "lead")
    admin = Actor(None, "root", "admin")
    team = service.save_team(db, admin, "Payments", None, [])
    service.escalate(db, lead, posts[0], team, note="Driver @carla says the depot shorted her")
    service.set_status(db, lead, posts[1], "dismissed", "duplicate of @carla's post")
    with db.read() as session:
        audited = [
            e.detail for e in session.scalars(select(AuditEntry).where(AuditEntry.action.like("triage.%")))
        ]
    escalated = next(d for d in audited if "team" in d)
    assert escalated["team"] == "Payments" and escalated["note"] is True
    assert {"status": "dismissed", "was": "new", "reason": True} in audited
    assert "carla" not in repr(audited)
    assert any("carla" in str(e.detail) for e in service.timeline(db, posts[0]))
