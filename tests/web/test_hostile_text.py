"""Post text written by strangers renders inert on every page that shows it.

Each page is parsed, and it may hold only the elements and attributes our own templates write:
no script but ours, no event handler, no style, no javascript: or data: link, no foreign element.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.store.db import Database
from earful.store.repos import posts as posts_repo
from earful.store.repos.feed import FeedFilter
from earful.triage import service
from earful.triage.feed import arrived
from earful.web.render import TEMPLATES
from tests.factories import make_posts, make_source
from tests.web.conftest import login

PAYLOADS = [
    line
    for line in (Path(__file__).parents[1] / "data" / "hostile" / "posts.txt").read_text().splitlines()
    if line
]
OUR_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "link",
    "script",
    "body",
    "header",
    "a",
    "nav",
    "form",
    "span",
    "input",
    "button",
    "main",
    "p",
    "h1",
    "h2",
    "ol",
    "ul",
    "li",
    "div",
    "time",
    "code",
    "strong",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "label",
    "fieldset",
    "legend",
    "select",
    "option",
    "textarea",
    "section",
    "article",
}
LINK_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "background", "poster"}


class Inspector(HTMLParser):
    """Collect what would be active in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        if tag not in OUR_TAGS:
            self.problems.append(f"foreign element <{tag}>")
        for name, value in values.items():
            if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
                self.problems.append(f"<{tag} {name}=...>")
            if name in LINK_ATTRIBUTES:
                target = "".join(value.split()).lower()
                if target.startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and values.get("src") != "/static/earful.js":
            self.problems.append(f"script not ours: {values}")
        if tag == "link" and values.get("href") not in ("/static/earful.css", "/static/favicon.svg"):
            self.problems.append(f"link not ours: {values}")
        if tag == "meta" and not ({"charset"} <= set(values) or values.get("name") == "viewport"):
            self.problems.append(f"meta not ours: {values}")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script content")


def assert_inert(html: str, where: str) -> None:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    assert not inspector.problems, f"{where}: {inspector.problems[:5]}"


@pytest.fixture
def hostile(db: Database) -> list[int]:
    source = make_source(db, "r/<script>alert(1)</script>", region='"><img src=x onerror=alert(1)>')
    ids = make_posts(db, source, PAYLOADS)
    copies = make_posts(db, make_source(db, "copies"), PAYLOADS[:10])
    with db.write() as session:
        for i, pid in enumerate(ids):
            posts_repo.set_fields(
                session,
                pid,
                title=PAYLOADS[-1 - i],
                url="javascript:alert(1)" if i % 2 else f"https://example.org/{PAYLOADS[i]}",
                urgency=0.9,
                sentiment="complaint",
            )
        for original, copy in zip(ids[:10], copies, strict=True):
            posts_repo.set_fields(session, copy, duplicate_of=original)
        posts_repo.replace_bands(session, {pid: ["shared-band"] for pid in ids[:6]})
    assert len(PAYLOADS) >= 50
    return ids


def test_hostile_posts_render_inert_on_every_page(
    client: TestClient, db: Database, hostile: list[int]
) -> None:
    login(client, db, "lee", "lead")
    lead = Actor(None, "setup", "admin")
    team = service.save_team(db, lead, "<b>Team</b>", "<script>x</script>", ["app"])
    pages = {
        "/feed": client.get("/feed").text,
        "/feed?q=alert": client.get("/feed", params={"q": "alert"}).text,
    }
    pages["/feed?sort=urgency"] = client.get("/feed", params={"sort": "urgency"}).text
    for pid in hostile:
        pages[f"/posts/{pid}"] = client.get(f"/posts/{pid}").text
    client.post("/triage/batch", data={"csrf": client.headers["x-csrf-token"], "size": "20"})
    pages["/queue"] = client.get("/queue").text
    ensure_default(db)  # the queue offers the taxonomy's categories to label with
    pages["/help-the-model"] = client.get("/help-the-model").text
    for pid in hostile[:5]:
        response = client.post(
            f"/posts/{pid}/escalate", data={"csrf": client.headers["x-csrf-token"], "team_id": team}
        )
        assert response.status_code == 303, response.text
    pages["/teams"] = client.get("/teams").text
    pages[f"/teams/{team}/queue"] = client.get(f"/teams/{team}/queue").text
    live = arrived(db, FeedFilter(), 0, limit=200)
    pages["live fragment"] = TEMPLATES.get_template("_posts.html").render(posts=live, fresh=True)
    assert len(pages) > 60
    for where, html in pages.items():
        assert_inert(html, where)
    # The words are shown, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["/feed"]
    assert "&lt;svg onload=alert(1)&gt;" in pages[f"/posts/{hostile[4]}"]
    assert pages["/queue"].count('class="post') >= 20
    assert pages["/help-the-model"].count('class="post') == 25  # none labelled: a full page


def test_the_inspector_catches_what_it_looks_for() -> None:
    for active in (
        '<img src=x onerror="a()">',
        "<script>a()</script>",
        '<a href=" JavaScript:a()">x</a>',
        "<svg></svg>",
    ):
        inspector = Inspector()
        inspector.feed(active)
        assert inspector.problems, active
