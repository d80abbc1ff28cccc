"""Links to the original are kept only in a form that names nobody; the rest stay sealed."""

from __future__ import annotations

from typing import Any

import pytest

from earful.connectors.files import map_item
from earful.contracts import PostDraft, RawItem
from earful.pipeline import links
from earful.pipeline.links import draft_link, public_link

BLUESKY_EVENT = {
    "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
    "time_us": 1730419200000000,
    "kind": "commit",
    "commit": {
        "operation": "create",
        "collection": "app.bsky.feed.post",
        "rkey": "3l6oveex3ii2l",
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "app down again",
            "createdAt": "2026-11-01T00:00:00Z",
        },
    },
}
TWEET = {
    "id": "2123294390083669934",
    "text": "bots took every block",
    "author_id": "7872734052192507320",
    "author": {"id": "7872734052192507320", "username": "DC_DashDriver", "name": "Dc Dashdriver"},
}
STATUS = {
    "id": "117638546462070932",
    "created_at": "2026-11-18T17:09:26.083Z",
    "visibility": "public",
    "url": "https://couriers.example/@brum_drops/117638546462070932",
    "uri": "https://couriers.example/users/brum_drops/statuses/117638546462070932",
    "content": "<p>Week 3 of waiting for pay</p>",
    "reblog": None,
    "account": {"id": "109223544098534365", "username": "brum_drops", "acct": "brum_drops@couriers.example"},
}


def _draft(fmt: str, payload: dict[str, Any]) -> PostDraft:
    draft = map_item(RawItem(format=fmt, external_id="x", payload=payload))
    assert isinstance(draft, PostDraft)
    return draft


def test_an_x_link_becomes_the_handle_free_status_link() -> None:
    draft = _draft("x-v2", TWEET)
    assert draft.url == "https://x.com/DC_DashDriver/status/2123294390083669934"
    assert draft_link(draft) == "https://x.com/i/web/status/2123294390083669934"
    assert (
        public_link("https://mobile.twitter.com/someone/statuses/99?s=20", [])
        == "https://x.com/i/web/status/99"
    )
    # Any other X address is a person's page or leads to one.
    assert public_link("https://x.com/someone", []) is None


def test_a_mastodon_link_names_its_author_and_is_not_kept() -> None:
    # A status id belongs to the instance that gave it: no link to it leaves the account out.
    assert draft_link(_draft("mastodon", STATUS)) is None
    assert public_link(STATUS["uri"], []) is None
    assert public_link("https://toot.example.org/users/gav/statuses/1/activity", []) is None


def test_a_bluesky_link_holds_the_authors_did_and_is_not_kept() -> None:
    draft = _draft("bluesky-jetstream", BLUESKY_EVENT)
    assert "did:plc:" in (draft.url or "")
    assert draft_link(draft) is None
    assert public_link("https://bsky.app/profile/jo.bsky.social/post/3l6o", []) is None


def test_a_reddit_link_keeps_its_thread_and_loses_its_title_slug_or_a_profile() -> None:
    # The slug is the post's title as written: it would carry what redaction takes out of the title.
    thread = (
        "https://www.reddit.com/r/KestrelFlexDrivers/comments/200ierc/call_maria_on_07700_900123/t0bypzg/"
    )
    assert (
        public_link(thread, ["bay_brandon", "t2_8xk2"])
        == "https://www.reddit.com/comments/200ierc/_/t0bypzg/"
    )
    submission = "https://www.reddit.com/r/KestrelFlexDrivers/comments/200ierc/new_rates_in_my_area/"
    assert public_link(submission, []) == "https://www.reddit.com/comments/200ierc/"
    assert public_link("https://www.reddit.com/r/KestrelFlexDrivers/", []) == (
        "https://www.reddit.com/r/KestrelFlexDrivers/"
    )
    on_profile = "https://www.reddit.com/user/bay_brandon/comments/200ierc/my_rates/t0bypzg/"
    assert public_link(on_profile, []) == "https://www.reddit.com/comments/200ierc/_/t0bypzg/"
    named = "https://old.reddit.com/r/drivers/comments/200ierc/bay_brandon_explains_rates/"
    assert public_link(named, ["Bay_Brandon"]) == "https://www.reddit.com/comments/200ierc/"


@pytest.mark.parametrize(
    ("url", "author"),
    [
        ("https://forum.example/t/88122?by=Lucia_Reparte", ["lucia_reparte"]),
        ("https://forum.example/t/88122?by=lucia%5Freparte", ["lucia_reparte"]),
        ("https://forum.example/t/88122?by=lucia%255Freparte", ["lucia_reparte"]),
        ("https://news.example.com/2026/11/dev-malhotra-on-last-mile-pay", ["Dev Malhotra"]),
        ("https://forum.example/t/1?uid=109223544098534365", ["109223544098534365"]),
        ("https://www.facebook.com/123456789_987654321", ["123456789"]),
        ("https://couriers.example/notes/1?from=brum_drops", ["brum_drops@couriers.example"]),
        ("https://medium.com/@someone/why-pay-is-late-1a2b", []),
        ("https://www.tiktok.com/@someone/video/7", []),
    ],
)
def test_a_link_still_naming_the_author_or_a_person_is_dropped(url: str, author: list[str]) -> None:
    assert public_link(url, author) is None


def test_a_link_naming_nobody_is_kept_as_it_is() -> None:
    article = "https://news.example.com/last-mile/2026/11/kestrel-app-update-adds-offline-maps"
    assert public_link(article, ["Dev Malhotra", "lucia_reparte"]) == article
    # An id is matched as a whole number, not inside another one.
    assert public_link("https://www.facebook.com/1234567890_1", ["123456789"]) is not None
    assert public_link(None, ["x"]) is None and public_link("  ", []) is None


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/p/12345",
        "https://ex-ample.com/a_b/c.d+e",
        "https://example.com/a b\tc",  # whitespace: the regex path
        "https://exämple.com/ä.b",  # not ASCII: the regex path
        "x\x1fy.z",  # an ASCII separator control character that \s matches
        "",
    ],
)
def test_the_quick_squeeze_removes_what_the_separator_pattern_removes(text: str) -> None:
    assert links._squeeze(text) == links._SEPARATORS.sub("", text)


@pytest.mark.parametrize("handle", ["driver123", "Driver123", "ab", "ABC", "x9"])
def test_a_plain_handle_has_the_forms_the_general_rule_gives(handle: str) -> None:
    # The plain-handle shortcut must give exactly what the full normalisation gives.
    general = links._tokens.__wrapped__("@" + handle)  # "@" forces the general path
    assert links._tokens(handle) == general
