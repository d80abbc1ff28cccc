"""Relabelling: several labels at once, categories as well as subcategories, and sentiment and
categories corrected apart, on the post page and over the API; nothing untouched is overwritten."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlalchemy import select

from earful.classify import gate
from earful.classify.learning import relabel, train_classifier
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Label, SentimentLabel
from earful.triage.feed import feed
from earful.web.app import create_app
from tests.factories import label, make_posts, make_source
from tests.web.conftest import login

ANALYST = Actor(None, "ana", "analyst")


class RelabelForm(HTMLParser):
    """The relabel form of a post page as a browser would submit it: hidden fields, ticked boxes,
    selected options (else a select's first option)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.boxes: dict[str, str] = {}  # value -> name of every checkbox offered
        self.select: str | None = None
        self.first: str | None = None
        self.chosen: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action", "").endswith("/labels")
        if not self.inside:
            return
        if tag == "input" and a.get("type") == "checkbox":
            self.boxes[a["value"]] = a["name"]
            if "checked" in a:
                self.fields.append((a["name"], a["value"]))
        elif tag == "input" and a.get("name"):
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.first, self.chosen = a["name"], None, None
        elif tag == "option" and self.select:
            value = a.get("value", "")
            self.first = value if self.first is None else self.first
            if "selected" in a:
                self.chosen = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.inside and self.select:
            self.fields.append((self.select, self.chosen if self.chosen is not None else (self.first or "")))
            self.select = None
        elif tag == "form":
            self.inside = False


def _form(client: TestClient, post_id: int) -> RelabelForm:
    page = client.get(f"/posts/{post_id}")
    assert page.status_code == 200, page.text
    form = RelabelForm()
    form.feed(page.text)
    assert form.fields, "the post page has no relabel form"
    return form


def _submit(client: TestClient, post_id: int, fields: list[tuple[str, str]]) -> None:
    body = "&".join(f"{k}={v}" for k, v in fields)
    response = client.post(
        f"/posts/{post_id}/labels",
        content=body.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303, response.text


def _shown(db: Database, post_id: int) -> set[str]:
    return {c.key for p in feed(db).posts if p.id == post_id for c in p.categories}


def _sentiment(db: Database, post_id: int) -> str | None:
    return next(p.sentiment for p in feed(db).posts if p.id == post_id)


def _post(db: Database) -> int:
    ensure_default(db)
    (post_id,) = make_posts(db, make_source(db), ["robbed at gunpoint with 12 packages still in the van"])
    label(db, [post_id], "operations.volume", "neutral", confidence=0.8)
    label(db, [post_id], "safety.violence", confidence=0.6)
    return post_id


def test_a_sentiment_only_correction_on_the_page_keeps_every_category(
    db: Database, settings: Settings
) -> None:
    post_id = _post(db)
    with TestClient(create_app(settings, db), follow_redirects=False) as client:
        login(client, db, "ana", "analyst")
        form = _form(client, post_id)
        # Both current labels are preselected, so a browser sends them back untouched.
        assert {v for k, v in form.fields if k == "categories"} == {"operations.volume", "safety.violence"}
        fields = [(k, v) for k, v in form.fields if k != "sentiment"] + [("sentiment", "complaint")]
        _submit(client, post_id, fields)
    assert _shown(db, post_id) == {"operations.volume", "safety.violence"}
    assert _sentiment(db, post_id) == "complaint"
    with db.read() as session:
        # The model's labels stay the model's: the analyst judged the tone, not the categories.
        assert session.scalars(select(Label).where(Label.by == "analyst")).all() == []


def test_a_categories_only_correction_on_the_page_keeps_the_sentiment_and_takes_two_labels(
    db: Database, settings: Settings
) -> None:
    post_id = _post(db)
    with TestClient(create_app(settings, db), follow_redirects=False) as client:
        login(client, db, "ana", "analyst")
        form = _form(client, post_id)
        # Top-level categories are offered, those with subcategories and those without.
        assert {"safety", "media", "praise", "operations.volume"} <= set(form.boxes)
        fields = [(k, v) for k, v in form.fields if k != "categories"]
        fields += [("categories", "safety"), ("categories", "operations.volume")]
        _submit(client, post_id, fields)
        page = client.get(f"/posts/{post_id}").text
    assert _shown(db, post_id) == {"safety", "operations.volume"}
    assert _sentiment(db, post_id) == "neutral"
    assert "Safety &amp; incidents" in page and "Package volume" in page
    with db.read() as session:
        assert session.scalars(select(SentimentLabel)).all() == []  # no tone was judged


def test_the_service_corrects_sentiment_and_categories_apart(db: Database, settings: Settings) -> None:
    post_id = _post(db)
    relabel(db, settings, ANALYST, post_id, categories=["media", "safety"])
    assert _shown(db, post_id) == {"media", "safety"} and _sentiment(db, post_id) == "neutral"
    relabel(db, settings, ANALYST, post_id, sentiment="complaint")
    assert _shown(db, post_id) == {"media", "safety"} and _sentiment(db, post_id) == "complaint"
    # A category beside one of its own subcategories says nothing more: the subcategory is kept.
    relabel(db, settings, ANALYST, post_id, categories=["safety", "safety.violence", "praise"])
    assert _shown(db, post_id) == {"safety.violence", "praise"}


def test_the_api_takes_several_labels_and_keeps_what_it_was_not_sent(
    db: Database, settings: Settings
) -> None:
    post_id = _post(db)
    with TestClient(create_app(settings, db), follow_redirects=False) as client:
        login(client, db, "ana", "analyst")
        put = client.put(f"/api/posts/{post_id}/labels", json={"categories": ["safety", "operations.volume"]})
        assert put.status_code == 204, put.text
        got = client.get(f"/api/posts/{post_id}").json()
        assert {c["key"] for c in got["categories"]} == {"safety", "operations.volume"}
        assert got["sentiment"] == "neutral"
        assert client.put(f"/api/posts/{post_id}/labels", json={"sentiment": "complaint"}).status_code == 204
        got = client.get(f"/api/posts/{post_id}").json()
        assert {c["key"] for c in got["categories"]} == {"safety", "operations.volume"}
        assert got["sentiment"] == "complaint"
        unknown = client.put(f"/api/posts/{post_id}/labels", json={"categories": ["union"]})
        assert unknown.status_code == 400 and "union" in unknown.json()["detail"]


def test_a_category_level_label_counts_for_its_category_and_trains_no_subcategory(
    db: Database, settings: Settings
) -> None:
    ensure_default(db)
    texts = [f"tips missing from {i} of my orders this week" for i in range(2, 14)]
    texts += [f"app crashed {i} times before my first stop" for i in range(2, 14)]
    scary = [f"man with a knife followed me to the van at stop {i}" for i in range(2, 14)]
    ids = make_posts(db, make_source(db), texts + scary)
    for pid, text in zip(ids, texts + scary, strict=True):
        key = "pay.tips" if "tips" in text else "app.crashes_login" if "app" in text else "safety"
        relabel(db, settings, ANALYST, pid, categories=[key])
    category_level = [pid for pid, text in zip(ids, texts + scary, strict=True) if text in scary]
    with db.write() as session:
        result = train_classifier(session, settings)
    held = {pid for pid in ids if gate.held_out(pid)}
    evaluation = result.evaluation
    assert result.examples == len(ids)
    # Safety-only posts train no subcategory model ("not violence" would be a wrong lesson) ...
    assert evaluation["trained_on"] == len(
        [pid for pid in ids if pid not in held and pid not in category_level]
    )
    # ... and held out, they are scored for their category, not for subcategories.
    assert evaluation["held_out"] == len(held)
    assert evaluation["subcategories"]["labels"]["pay.tips"]["support"] > 0
    assert evaluation["held_out_category_level"] == len(held & set(category_level))
    assert evaluation["categories"]["labels"]["safety"]["support"] == len(held & set(category_level))
