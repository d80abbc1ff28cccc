"""The issue's scenario in a real browser: one wrong bulk relabel and a retrain change no other post;
the new model waits as a candidate with its reason; a lead promotes it and rolls it back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

import earful.classify.jobs  # noqa: F401 - registers the retrain job that drain runs
from earful.accounts.service import add_user
from earful.jobs.queue import drain
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry, Label, ModelVersion, Post
from earful.store.repos import labels as labels_repo
from tests.browser.conftest import shot
from tests.browser.test_workspace_browser import sign_in
from tests.classify.test_gate import load_demo
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

Snapshot = dict[int, tuple[frozenset[str], str | None]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The server's settings: retrain as soon as the worker looks, and a model put to use relabels
    every demo post (they are older than the default window)."""
    return settings.model_copy(
        update={"retrain_delay_seconds": 0.0, "reclassify_days": 36500, "reclassify_limit": 100_000}
    )


def labels_now(db: Database) -> Snapshot:
    """Return every post's categories as shown (the analyst's, else the model's) and its sentiment."""
    with db.read() as session:
        posts = {pid: tone for pid, tone in session.execute(select(Post.id, Post.sentiment))}
        shown = labels_repo.names_for(session, sorted(posts))
    return {pid: (frozenset(key for key, _, _ in shown[pid]), posts[pid]) for pid in posts}


def classifiers(db: Database) -> list[tuple[int, str, bool, str]]:
    with db.read() as session:
        rows = session.scalars(
            select(ModelVersion).where(ModelVersion.kind == "classifier").order_by(ModelVersion.id)
        )
        return [(m.id, m.status, m.active, m.reason) for m in rows]


def test_a_wrong_relabel_stays_a_candidate_changes_nothing_else_and_rolls_back(
    server: str, new_page: Any, db: Database, settings: Settings
) -> None:
    load_demo(db, settings)
    add_user(db, "ana", PASSWORD, "analyst")
    add_user(db, "lee", PASSWORD, "lead")
    with db.read() as session:
        robbery = session.scalars(
            select(Post.id).where(Post.text.like("Got robbed at gunpoint%"), Post.duplicate_of.is_(None))
        ).one()
    before = labels_now(db)
    assert any(key.split(".")[0] == "safety" for key in before[robbery][0]), before[robbery]
    assert sum(1 for keys, _ in before.values() if keys) > 100  # the demo is labelled by the model

    # An analyst finds the post in the feed and, in bulk, makes "Missing tips" its only category.
    ana = new_page()
    sign_in(ana, server, "ana")
    ana.click("nav >> text=Help the model")
    ana.wait_for_url(re.compile(r".*/help-the-model$"))
    assert ana.locator("#category-needs tr[data-key='pay.tips'] td.n").first.inner_text() == "0"
    assert ana.locator("#feed .post").count() == 25  # a page of posts the model is unsure of
    shot(ana, "help-the-model")
    ana.goto(f"{server}/feed?q=gunpoint")
    posts = ana.locator("#feed .post")
    assert posts.count() == 1 and "robbed at gunpoint" in posts.first.inner_text()
    shown = posts.first.locator(".label").evaluate_all("els => els.map(e => e.title.split(',')[0])")
    assert set(shown) == before[robbery][0]
    ana.check("#select-all")
    assert ana.locator("#feed input[name=post_ids]").first.is_checked()
    ana.select_option("#bulk select[name=add]", ["pay.tips"])
    ana.select_option("#bulk select[name=remove]", shown)
    ana.click("#bulk button[name=relabel]")
    ana.locator(".flash", has_text="Relabelled 1 post").wait_for()
    assert [t.strip() for t in ana.locator("#feed .post .label").all_inner_texts()] == ["Missing tips"]
    shot(ana, "bulk-relabelled")

    # The retrain the relabel queued runs (the worker's job), and anything it would queue after it.
    drain(db, settings)
    ((model_id, status, active, reason),) = classifiers(db)
    assert (status, active) == ("candidate", False)
    assert re.fullmatch(r"[01] held-out labels; needs at least 20", reason), reason
    after = labels_now(db)
    assert after[robbery] == (frozenset({"pay.tips"}), before[robbery][1])
    changed = sorted(pid for pid in before if pid != robbery and after[pid] != before[pid])
    assert changed == [], (
        f"{len(changed)} other posts changed, e.g. {before[changed[0]]} -> {after[changed[0]]}"
    )

    # The lead sees the candidate and why it waits, promotes it, then rolls it back.
    lee = new_page()
    sign_in(lee, server, "lee")
    lee.click("nav >> text=Models")
    lee.wait_for_url(re.compile(r".*/admin/models$"))
    row = lee.locator(f"#model-{model_id}")
    assert "candidate" in row.locator("td.status").inner_text()
    assert reason in row.locator("td.status").inner_text()
    assert "No trained classifier is in use: the built-in one is." in lee.inner_text("main")
    shot(lee, "models-candidate")
    row.locator("button", has_text="Promote").click()
    # A candidate is promoted only once the lead has seen why it waits and confirmed.
    confirm = lee.locator(".confirm")
    assert "has not passed the gate" in confirm.inner_text() and reason in confirm.inner_text()
    assert classifiers(db)[0][1:3] == ("candidate", False)
    shot(lee, "models-confirm")
    confirm.locator("button", has_text="Promote anyway").click()
    lee.locator(".flash", has_text=f"Model {model_id} is in use").wait_for()
    drain(db, settings)  # the relabelling of the demo posts by the promoted model
    assert classifiers(db)[0][1:3] == ("in_use", True)
    promoted = labels_now(db)
    # Had the gate let this model in by itself, the other posts would have changed like this.
    assert sum(1 for pid in before if pid != robbery and promoted[pid] != before[pid]) > 50

    lee.select_option("select[name=kind]", "classifier")
    lee.click("text=Roll back to the version before")
    lee.locator(".flash", has_text="the built-in one is in use").wait_for()
    assert "retired" in lee.locator(f"#model-{model_id} td.status").inner_text()
    shot(lee, "models-rolled-back")
    drain(db, settings)
    assert classifiers(db)[0][1:3] == ("retired", False)
    assert labels_now(db) == after

    with db.read() as session:
        audit = [
            (e.actor, e.action, e.target)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if e.action in ("post.relabel", "model.promote", "model.rollback")
        ]
        analyst = session.scalars(select(Label).where(Label.by == "analyst")).all()
    assert audit == [
        ("ana", "post.relabel", f"post:{robbery}"),
        ("lee", "model.promote", f"model:{model_id}"),
        ("lee", "model.rollback", f"model:{model_id}"),
    ]
    assert [label.post_id for label in analyst] == [robbery]
