"""Bulk relabel: several posts at once from the feed and the API, each recorded as a single relabel
is, and nothing the analyst did not name overwritten."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from earful.classify.learning import MAX_BULK, TRAIN_JOB, relabel, relabel_many
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.kit.errors import EarfulError, Forbidden, NotFound
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry, Job, Label, SentimentLabel, TriageEvent
from earful.store.repos import learning as learning_repo
from earful.triage.feed import feed
from earful.web.app import create_app
from tests.factories import label, make_posts, make_source
from tests.web.conftest import csrf_of, login

ANALYST = Actor(None, "ana", "analyst")


def shown(db: Database) -> dict[int, tuple[set[str], str | None]]:
    """Return each post's categories as the feed shows them, and its sentiment."""
    return {p.id: ({c.key for c in p.categories}, p.sentiment) for p in feed(db, limit=200).posts}


@pytest.fixture
def posts(db: Database, settings: Settings) -> dict[str, int]:
    """Four posts as the model labelled them, one also corrected by an analyst."""
    ensure_default(db)
    texts = {
        "robbery": "robbed at gunpoint with 12 packages still in the van",
        "tips": "my tips are missing again this week",
        "crash": "the app crashed at the depot, lost my route",
        "press": "news story about couriers robbed in the city",
    }
    ids = dict(zip(texts, make_posts(db, make_source(db), list(texts.values())), strict=True))
    label(db, [ids["robbery"]], "operations.volume", "neutral", confidence=0.8)
    label(db, [ids["robbery"]], "safety.violence", confidence=0.6)
    label(db, [ids["tips"]], "pay.tips", "complaint")
    label(db, [ids["crash"]], "app.crashes_login", "complaint")
    label(db, [ids["press"]], "media", "neutral")
    relabel(db, settings, ANALYST, ids["press"], categories=["media", "safety"])
    return ids


def test_adding_and_removing_keeps_every_category_not_named(
    db: Database, settings: Settings, posts: dict[str, int]
) -> None:
    before = shown(db)
    chosen = [posts["robbery"], posts["tips"], posts["press"]]
    done = relabel_many(db, settings, ANALYST, chosen, add=["praise"], remove=["safety"])
    after = shown(db)
    # Each post keeps what it showed, less safety (the category takes its subcategories) plus praise.
    assert after[posts["robbery"]] == ({"operations.volume", "praise"}, "neutral")
    assert after[posts["tips"]] == ({"pay.tips", "praise"}, "complaint")
    assert after[posts["press"]] == ({"media", "praise"}, "neutral")
    assert after[posts["crash"]] == before[posts["crash"]]  # not selected
    assert sorted(done.relabelled) == sorted(chosen) and not done.unchanged and not done.skipped
    with db.read() as session:
        assert session.scalars(select(SentimentLabel)).all() == []  # no tone was judged
        recorded = learning_repo.analyst_categories(session)
    assert {pid: set(keys) for pid, _, keys in recorded} == {pid: after[pid][0] for pid in chosen}


def test_a_sentiment_alone_keeps_the_categories_and_the_models_labels(
    db: Database, settings: Settings, posts: dict[str, int]
) -> None:
    before = shown(db)
    done = relabel_many(db, settings, ANALYST, [posts["robbery"], posts["crash"]], sentiment="complaint")
    after = shown(db)
    assert sorted(done.relabelled) == sorted([posts["robbery"], posts["crash"]])
    for name in ("robbery", "crash"):
        assert after[posts[name]] == (before[posts[name]][0], "complaint")
    with db.read() as session:
        by_analyst = session.scalars(select(Label.post_id).where(Label.by == "analyst")).all()
        tones = {
            pid: tone for pid, tone in session.execute(select(SentimentLabel.post_id, SentimentLabel.value))
        }
    assert set(by_analyst) == {posts["press"]}  # only the earlier single relabel's
    assert tones == {posts["robbery"]: "complaint", posts["crash"]: "complaint"}
    again = relabel_many(db, settings, ANALYST, [posts["robbery"]], sentiment="complaint")
    assert again.unchanged == [posts["robbery"]] and not again.relabelled


def test_each_post_is_recorded_as_a_single_relabel_is(
    db: Database, settings: Settings, posts: dict[str, int]
) -> None:
    relabel(db, settings, ANALYST, posts["tips"], categories=["pay.tips", "praise"])
    relabel_many(db, settings, ANALYST, [posts["crash"]], add=["praise"])
    with db.read() as session:
        events = {
            e.post_id: (e.action, e.detail)
            for e in session.scalars(select(TriageEvent).where(TriageEvent.action == "relabel"))
        }
        audit = {
            e.target: (e.action, e.detail)
            for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "post.relabel"))
        }
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.name == TRAIN_JOB))
    assert events[posts["crash"]] == (
        "relabel",
        {"categories": "app.crashes_login, praise", "sentiment": None},
    )
    assert events[posts["tips"]] == ("relabel", {"categories": "pay.tips, praise", "sentiment": None})
    assert audit[f"post:{posts['crash']}"] == (
        "post.relabel",
        {"categories": ["app.crashes_login", "praise"], "sentiment": None, "bulk": True},
    )
    assert jobs == 1  # one retrain waits for every relabel


def test_posts_already_as_asked_are_left_alone_and_none_is_left_without_a_category(
    db: Database, settings: Settings, posts: dict[str, int]
) -> None:
    before = shown(db)
    done = relabel_many(
        db, settings, ANALYST, [posts["tips"], posts["crash"], posts["press"]], remove=["pay", "media"]
    )
    assert done.relabelled == [posts["press"]] and done.unchanged == [posts["crash"]]
    assert list(done.skipped) == [posts["tips"]] and "no category" in done.skipped[posts["tips"]]
    after = shown(db)
    assert after[posts["press"]][0] == {"safety"}
    assert after[posts["tips"]] == before[posts["tips"]] and after[posts["crash"]] == before[posts["crash"]]
    # Adding a category beside its own subcategory changes nothing: the subcategory says more.
    same = relabel_many(db, settings, ANALYST, [posts["robbery"]], add=["safety"])
    assert same.unchanged == [posts["robbery"]]


def test_what_a_bulk_relabel_refuses(db: Database, settings: Settings, posts: dict[str, int]) -> None:
    ids = list(posts.values())
    with pytest.raises(Forbidden):
        relabel_many(db, settings, Actor(None, "val", "viewer"), ids, add=["praise"])
    with pytest.raises(EarfulError, match="at most 200"):
        relabel_many(db, settings, ANALYST, range(1, MAX_BULK + 2), add=["praise"])
    with pytest.raises(EarfulError, match="union"):
        relabel_many(db, settings, ANALYST, ids, add=["union"])
    with pytest.raises(EarfulError, match="added and removed"):
        relabel_many(db, settings, ANALYST, ids, add=["praise"], remove=["praise"])
    with pytest.raises(EarfulError, match="Choose categories"):
        relabel_many(db, settings, ANALYST, ids)
    before = shown(db)
    with pytest.raises(NotFound, match="999"):
        relabel_many(db, settings, ANALYST, [*ids, 999], add=["praise"])
    assert shown(db) == before  # all or nothing


def _bulk(client: TestClient, fields: list[tuple[str, str]]) -> Any:
    body = "&".join(f"{k}={v}" for k, v in fields)
    return client.post(
        "/triage/bulk", content=body.encode(), headers={"content-type": "application/x-www-form-urlencoded"}
    )


def test_the_feeds_bulk_form_relabels_the_ticked_posts(
    db: Database, settings: Settings, posts: dict[str, int]
) -> None:
    with TestClient(create_app(settings, db), follow_redirects=False) as client:
        login(client, db, "ana", "analyst")
        page = client.get("/feed").text
        # Every category and subcategory is offered, to add and to remove.
        for key in ("safety", "media", "praise", "pay.tips"):
            assert f'<option value="{key}">' in page
        assert 'name="relabel"' in page and 'name="add" multiple' in page
        csrf = csrf_of(page)
        fields = [("csrf", csrf), ("action", "flag"), ("reason", ""), ("relabel", "1")]
        fields += [("post_ids", str(posts["tips"])), ("post_ids", str(posts["crash"]))]
        fields += [("add", "praise"), ("add", "media"), ("remove", "app"), ("sentiment", "positive")]
        response = _bulk(client, fields)
        assert response.status_code == 303
        flash = client.get(response.headers["location"].removeprefix("http://testserver")).text
        assert "Relabelled 2 posts" in flash
        refused = _bulk(client, [("csrf", "stale"), ("relabel", "1"), ("post_ids", str(posts["tips"]))])
        assert refused.status_code == 400
    after = shown(db)
    assert after[posts["tips"]] == ({"pay.tips", "praise", "media"}, "positive")
    assert after[posts["crash"]] == ({"praise", "media"}, "positive")
    with db.read() as session:
        flagged = session.scalar(
            select(func.count()).select_from(TriageEvent).where(TriageEvent.action == "flag")
        )
    assert flagged == 0  # the relabel button does not also run the action chosen beside it


def test_the_api_relabels_in_bulk_and_validates_strictly(
    db: Database, settings: Settings, posts: dict[str, int]
) -> None:
    ids = [posts["tips"], posts["crash"]]
    with TestClient(create_app(settings, db), follow_redirects=False) as client:
        login(client, db, "ana", "analyst")
        done = client.post("/api/posts/relabel", json={"post_ids": ids, "add": ["praise"]})
        assert done.status_code == 200, done.text
        assert done.json() == {"relabelled": ids, "unchanged": [], "skipped": []}
        for body in (
            {"post_ids": ids},  # nothing to do
            {"post_ids": [], "add": ["praise"]},
            {"post_ids": [ids[0], ids[0]], "add": ["praise"]},
            {"post_ids": ids, "add": ["praise"], "remove": ["praise"]},
            {"post_ids": ids, "add": ["praise"], "colour": "red"},
            {"post_ids": [str(ids[0])], "add": ["praise"]},
            {"post_ids": [True], "add": ["praise"]},
            {"post_ids": list(range(1, MAX_BULK + 2)), "add": ["praise"]},
            {"post_ids": ids, "sentiment": "furious"},
        ):
            assert client.post("/api/posts/relabel", json=body).status_code == 422, body
        unknown = client.post("/api/posts/relabel", json={"post_ids": ids, "add": ["union"]})
        assert unknown.status_code == 400 and "union" in unknown.json()["detail"]
        missing = client.post("/api/posts/relabel", json={"post_ids": [*ids, 999], "sentiment": "neutral"})
        assert missing.status_code == 404 and "999" in missing.json()["detail"]
        del client.headers["x-csrf-token"]
        no_csrf = client.post("/api/posts/relabel", json={"post_ids": ids, "sentiment": "neutral"})
        assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["detail"]
        document = client.get("/api/openapi.json").json()
    schema = document["components"]["schemas"]["BulkLabels"]
    assert schema["properties"]["post_ids"]["maxItems"] == MAX_BULK
    assert schema["properties"]["post_ids"]["uniqueItems"] is True
    assert schema["additionalProperties"] is False
    assert "/api/posts/relabel" in document["paths"]
    assert shown(db)[posts["tips"]] == ({"pay.tips", "praise"}, "complaint")  # the refused ones did nothing
