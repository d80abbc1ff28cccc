"""The "help the model" queue: the posts the model is least sure of first, rare categories moved up,
posts an analyst has given categories left out; with the labels each category still needs."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from earful.classify import gate
from earful.classify.learning import relabel, train_classifier
from earful.classify.service import ensure_default
from earful.classify.teaching import PAGE_SIZE, Suggestion, help_queue
from earful.contracts import Actor
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post
from earful.web.app import create_app
from tests.factories import label, make_posts, make_source
from tests.web.conftest import login

ANALYST = Actor(None, "ana", "analyst")


def teach_common(db: Database, settings: Settings, per_key: int = 25) -> list[int]:
    """Have an analyst label `per_key` posts each as tips and as app crashes; return their ids."""
    texts = [f"tips missing from {n} orders" for n in range(per_key)]
    texts += [f"app crashed {n} times today" for n in range(per_key)]
    ids = make_posts(db, make_source(db, "r/labelled"), texts)
    for pid, text in zip(ids, texts, strict=True):
        relabel(
            db, settings, ANALYST, pid, categories=["pay.tips" if "tips" in text else "app.crashes_login"]
        )
    return ids


@pytest.fixture
def waiting(db: Database, settings: Settings) -> dict[str, int]:
    """Posts the model labelled with different sureness, after analysts labelled tips and crashes."""
    ensure_default(db)
    labelled = teach_common(db, settings)
    names = ["sure", "close call", "one weak", "nothing", "rare", "weak crash", "toned", "filed", "copy"]
    ids = dict(zip(names, make_posts(db, make_source(db), [f"post {n}" for n in names]), strict=True))
    label(db, [ids["sure"]], "pay.tips", confidence=0.9)
    label(db, [ids["close call"]], "pay.tips", confidence=0.55)
    label(db, [ids["close call"]], "app.crashes_login", confidence=0.5)
    label(db, [ids["one weak"]], "pay.tips", confidence=0.6)
    label(db, [ids["rare"]], "safety.animals", confidence=0.6)
    label(db, [ids["weak crash"]], "app.crashes_login", confidence=0.6)
    label(db, [ids["toned"]], "pay.tips", confidence=0.95)
    label(db, [ids["filed"]], "pay.tips", confidence=0.2)
    label(db, [ids["copy"]], "safety.animals", confidence=0.1)
    relabel(db, settings, ANALYST, ids["toned"], sentiment="complaint")  # tone only: still teaches categories
    relabel(db, settings, ANALYST, ids["filed"], categories=["pay.tips"])
    with db.write() as session:
        session.execute(update(Post).where(Post.id == ids["copy"]).values(duplicate_of=ids["sure"]))
    assert min(ids.values()) > max(labelled)
    return ids


def test_least_sure_first_rare_categories_moved_up_analyst_labelled_left_out(
    db: Database, waiting: dict[str, int]
) -> None:
    queue = help_queue(db)
    order = {pid: name for name, pid in waiting.items()}
    ranked = [order[s.post_id] for s in queue.suggestions]
    # No category at all; then a weak guess in a category with no analyst labels yet; then two
    # guesses close together; then weak guesses in well-labelled categories (newest first); the
    # surest last. The post an analyst filed and the copy are not offered.
    assert ranked == ["nothing", "rare", "close call", "weak crash", "one weak", "sure", "toned"]
    assert queue.waiting == 7 and not queue.has_next
    rare = next(s for s in queue.suggestions if s.post_id == waiting["rare"])
    assert rare.rare == ("Animals",) and "rare category (Animals)" in rare.why
    close = next(s for s in queue.suggestions if s.post_id == waiting["close call"])
    assert (close.top, close.margin) == (0.55, 0.05) and close.rare == ()
    assert "0.05 ahead of the next" in close.why
    tie = Suggestion(1, 0.6, 0.0, ("pay.rates", "app.gps_maps"), ("Rates", "GPS and maps"), 1.2)
    assert (
        tie.why
        == "surest category at 0.60, tied with the next; predicted in rare categories (Rates, GPS and maps)"
    )


def test_the_counts_and_what_the_gate_needs_agree_with_the_gate(db: Database, settings: Settings) -> None:
    ensure_default(db)
    ids = teach_common(db, settings, per_key=30)
    (scary,) = make_posts(db, make_source(db, "r/other"), ["a man followed me to the van"])
    relabel(db, settings, ANALYST, scary, categories=["safety"])
    queue = help_queue(db)
    rows = {c.key: c for c in queue.categories}
    held = [pid for pid in ids if gate.held_out(pid)]
    tips_held = sum(1 for pid in held if pid < ids[30])
    assert (rows["pay.tips"].labels, rows["pay.tips"].held_out) == (30, tips_held)
    assert rows["pay.tips"].more_needed == max(0, gate.MIN_PER_CATEGORY - tips_held) * gate.HOLDOUT_BUCKETS
    assert (rows["safety.animals"].labels, rows["safety.animals"].more_needed) == (0, 25)
    assert (
        rows["safety"].labels == 1 and not rows["safety"].scored_by_gate
    )  # scored through its subcategories
    assert rows["pay"].labels == 0 and not rows["pay"].scored_by_gate
    assert queue.needs.held_out == len(held)
    assert queue.needs.more_held_out == max(0, gate.MIN_HELD_OUT - len(held)) * gate.HOLDOUT_BUCKETS
    # The gate itself scores exactly the categories the queue says it can.
    with db.write() as session:
        evaluation = train_classifier(session, settings).evaluation
    assert evaluation["scored_subcategories"] == sorted(c.key for c in queue.categories if c.ready)
    assert queue.needs.ready_categories == len(evaluation["scored_subcategories"])


def test_the_page_shows_the_queue_and_the_counts_to_analysts_only(
    db: Database, settings: Settings, waiting: dict[str, int]
) -> None:
    with TestClient(create_app(settings, db), follow_redirects=False) as client:
        login(client, db, "ana", "analyst")
        assert 'href="/help-the-model"' in client.get("/feed").text
        page = client.get("/help-the-model").text
        api = client.get("/api/help-the-model").json()
    posts = re.findall(r'data-post-id="(\d+)"', page)
    assert [int(p) for p in posts] == [item["post"]["id"] for item in api["items"]]
    assert [int(p) for p in posts][:2] == [waiting["nothing"], waiting["rare"]]
    assert "Why here: the model gave it no category" in page
    assert re.search(r'data-key="pay.tips".*?<td class="n">26</td>', page, re.S)  # 25 taught, 1 filed
    assert 'name="add" multiple' in page and 'name="relabel"' in page  # label them from here, in bulk
    assert api["gate"]["min_held_out"] == gate.MIN_HELD_OUT and api["next_page"] is None
    assert {c["key"]: c["labels"] for c in api["categories"]}["app.crashes_login"] == 25
    first = api["items"][0]
    assert first["top_confidence"] == 0 and first["predicted"] == [] and first["why"]
    with TestClient(create_app(settings, db), follow_redirects=False) as client:
        login(client, db, "val", "viewer")
        assert 'href="/help-the-model"' not in client.get("/feed").text
        assert client.get("/help-the-model").status_code == 403
        assert client.get("/api/help-the-model").status_code == 403


def test_pages_and_empty_states(db: Database, settings: Settings) -> None:
    ensure_default(db)
    with TestClient(create_app(settings, db), follow_redirects=False) as client:
        login(client, db, "ana", "analyst")
        assert "No posts to label yet" in client.get("/help-the-model").text
        ids = make_posts(db, make_source(db), [f"post {n}" for n in range(PAGE_SIZE + 5)])
        first = client.get("/help-the-model").text
        assert first.count('class="post') == PAGE_SIZE and 'href="/help-the-model?page=2"' in first
        second = client.get("/help-the-model", params={"page": 2}).text
        assert second.count('class="post') == 5 and "?page=1" in second and "?page=3" not in second
        assert client.get("/help-the-model", params={"page": 0}).status_code == 422
        assert client.get("/api/help-the-model", params={"page": 2}).json()["page"] == 2
        for pid in ids:
            relabel(db, settings, ANALYST, pid, categories=["praise"])
        assert "Nothing waits for a label" in client.get("/help-the-model").text
