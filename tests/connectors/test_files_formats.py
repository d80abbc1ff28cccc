"""What each format maps, checked on the recorded real payloads (and on files built from them)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from earful.connectors.files import detect_format, map_item, read_items
from earful.contracts import PostDraft, RawItem, Rejected


def _items(path: Path, fmt: str | None = None) -> list[RawItem]:
    found = list(read_items(path, fmt))
    assert [r for r in found if isinstance(r, Rejected)] == []
    return [i for i in found if isinstance(i, RawItem)]


def _posts(path: Path, fmt: str | None = None) -> list[PostDraft]:
    return [p for p in (map_item(i) for i in _items(path, fmt)) if isinstance(p, PostDraft)]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --- Reddit ---------------------------------------------------------------------------------------


def test_reddit_submission_maps_fullname_permalink_and_engagement(api_samples: Path) -> None:
    posts = _posts(api_samples / "reddit/listing_r-askreddit_new_2016-03.json")
    first = posts[0]
    assert first.external_id == "t3_48fbm9"
    assert first.url == (
        "https://www.reddit.com/r/AskReddit/comments/48fbm9/serious_parents_of_reddit_whats_the_biggest_lie/"
    )
    assert first.title is not None and first.title.startswith("[Serious] Parents of Reddit")
    assert first.author_handle == "RedHeadQc"
    assert first.posted_at == datetime(2016, 3, 1, 8, 37, 38, tzinfo=UTC)
    assert first.engagement == {"score": 1, "num_comments": 1}
    assert all(p.kind == "post" and p.external_id.startswith("t3_") for p in posts)


def test_reddit_comment_tree_walks_nested_replies_and_skips_more_and_deleted(api_samples: Path) -> None:
    path = api_samples / "reddit/submission_with_comment_tree_2016-12.json"
    items = _items(path)
    assert all("replies" not in item.payload for item in items)
    ids = [item.external_id for item in items]
    assert ids[0] == "t3_57dw9a"
    assert len(ids) == len(set(ids))
    posts = [p for p in map(map_item, items) if isinstance(p, PostDraft)]
    comments = [p for p in posts if p.kind == "comment"]
    assert len(comments) == 140
    # Nested replies answer comments, not only the submission.
    assert any(c.reply_to is not None and c.reply_to.startswith("t1_") for c in comments)
    assert comments[0].reply_to == "t3_57dw9a"
    assert comments[0].url == "https://www.reddit.com/comments/57dw9a/_/d8r4im1/"
    # A comment by a deleted account keeps its text but loses its author.
    assert sum(1 for c in comments if c.author_handle is None) == 1


def test_pushshift_ndjson_built_from_recorded_listings(api_samples: Path, tmp_path: Path) -> None:
    lines = []
    for name in ("listing_r-askreddit_new_2016-03.json", "listing_r-askreddit_comments_2016-07.json"):
        lines += [json.dumps(c["data"]) for c in _load(api_samples / "reddit" / name)["data"]["children"]]
    dump = tmp_path / "RS_2016.ndjson"
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert detect_format(dump) == "pushshift"
    items = _items(dump)
    assert len(items) == 200
    assert items[0].raw == lines[0]
    posts = [map_item(i) for i in items]
    kinds = Counter(p.kind for p in posts if isinstance(p, PostDraft))
    assert kinds == {"post": 100, "comment": 100}


# --- X --------------------------------------------------------------------------------------------


def test_x_v2_resolves_authors_and_references_through_includes(api_samples: Path, tmp_path: Path) -> None:
    body = _load(api_samples / "twitter/v2_get_tweets.json")["body"]
    first, second = body["data"]
    first.update(
        author_id="783214",
        created_at="2020-08-12T17:01:42.000Z",
        lang="en",
        public_metrics={"retweet_count": 3, "reply_count": 4, "like_count": 5, "quote_count": 6},
        referenced_tweets=[{"type": "replied_to", "id": second["id"]}],
    )
    second.update(author_id="2244994945", referenced_tweets=[{"type": "retweeted", "id": "42"}])
    body["includes"] = {
        "users": [{"id": "783214", "username": "Twitter"}, {"id": "2244994945", "username": "TwitterDev"}],
        "tweets": [{"id": "42", "text": "the whole original text"}],
    }
    path = tmp_path / "page.json"
    path.write_text(json.dumps(body), encoding="utf-8")

    assert detect_format(path) == "x-v2"
    reply, retweet = _posts(path)
    assert reply.author_handle == "Twitter"
    assert reply.url == f"https://x.com/Twitter/status/{first['id']}"
    assert reply.posted_at == datetime(2020, 8, 12, 17, 1, 42, tzinfo=UTC)
    assert reply.language_hint == "en"
    assert reply.engagement == {"likes": 5, "reposts": 3, "replies": 4, "quotes": 6}
    assert reply.reply_to == second["id"]
    assert (retweet.kind, retweet.repost_of, retweet.text) == ("repost", "42", "the whole original text")


def test_x_v2_without_created_at_dates_tweets_by_their_snowflake_id(api_samples: Path) -> None:
    (post,) = _posts(api_samples / "twitter/v2_get_tweet.json")
    assert post.external_id == "1293593516040269825"
    assert post.posted_at is not None and post.posted_at.date().isoformat() == "2020-08-12"


def test_x_v1_retweets_carry_the_original_and_json_lines_keep_raw(api_samples: Path, tmp_path: Path) -> None:
    statuses = _load(api_samples / "twitter/v1.1_search_tweets.json")["body"]["statuses"]
    posts = _posts(api_samples / "twitter/v1.1_search_tweets.json")
    retweets = [p for p in posts if p.kind == "repost"]
    assert len(retweets) == 6
    original = next(s for s in statuses if "retweeted_status" in s)["retweeted_status"]
    assert retweets[0].repost_of == original["id_str"]
    assert not retweets[0].text.startswith("RT @")
    assert posts[0].posted_at == datetime(2019, 7, 12, 23, 40, 37, tzinfo=UTC)

    stream = tmp_path / "stream.jsonl"
    lines = [json.dumps(s) for s in statuses] + [json.dumps({"delete": {"status": {"id_str": "1"}}})]
    stream.write_text("\n".join(lines), encoding="utf-8")
    assert detect_format(stream) == "x-v1"
    items = _items(stream)
    assert [i.raw for i in items] == lines
    assert map_item(items[-1]) == "stream notice (delete), not a tweet"


def test_the_same_tweet_twice_in_one_response_is_yielded_once(api_samples: Path, tmp_path: Path) -> None:
    body = _load(api_samples / "twitter/v1.1_search_tweets.json")["body"]
    body["statuses"] = body["statuses"][:2] * 2
    path = tmp_path / "search.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert len(_items(path)) == 2


# --- Mastodon -------------------------------------------------------------------------------------


@pytest.fixture
def toot(api_samples: Path) -> dict[str, Any]:
    status: dict[str, Any] = _load(api_samples / "mastodon/test_status.json")[1]["body"]
    assert status["account"]["indexable"] is True
    return status


def _item(status: dict[str, Any]) -> RawItem:
    return RawItem(format="mastodon", external_id=str(status["id"]), payload=status)


def test_mastodon_status_keeps_html_and_maps_fields(toot: dict[str, Any]) -> None:
    post = map_item(_item(toot))
    assert isinstance(post, PostDraft)
    assert post.text == "<p>Toot!</p>"
    assert post.author_handle == "mastodonpy_test"
    assert post.url == "http://localhost:3000/@mastodonpy_test/117020583223442465"
    assert post.posted_at == datetime(2026, 8, 1, 13, 53, 15, 378000, tzinfo=UTC)


@pytest.mark.parametrize(
    "account_change",
    [{"indexable": False}, {"discoverable": False, "indexable": None}, {"noindex": True}],
    ids=["indexable-false", "not-discoverable-on-an-old-server", "noindex"],
)
def test_mastodon_author_who_opted_out_is_skipped(
    toot: dict[str, Any], account_change: dict[str, Any]
) -> None:
    status = copy.deepcopy(toot)
    for key, value in account_change.items():
        if value is None:
            del status["account"][key]
        else:
            status["account"][key] = value
    assert map_item(_item(status)) == "author opted out of indexing"


def test_mastodon_not_discoverable_but_indexable_is_kept(toot: dict[str, Any]) -> None:
    status = copy.deepcopy(toot)
    status["account"]["discoverable"] = False
    assert isinstance(map_item(_item(status)), PostDraft)


def test_mastodon_boost_of_an_opted_out_author_is_skipped(toot: dict[str, Any]) -> None:
    boosted = copy.deepcopy(toot)
    boost = copy.deepcopy(toot)
    boost.update(id="1", content="", reblog=boosted)
    post = map_item(_item(boost))
    assert isinstance(post, PostDraft)
    assert (post.kind, post.repost_of, post.text) == ("repost", toot["id"], "<p>Toot!</p>")
    boosted["account"]["indexable"] = False
    assert map_item(_item(boost)) == "author opted out of indexing"


def test_mastodon_private_status_is_skipped(toot: dict[str, Any]) -> None:
    status = copy.deepcopy(toot)
    status["visibility"] = "private"
    assert map_item(_item(status)) == "not public (visibility private)"


def test_mastodon_context_yields_ancestors_and_descendants(toot: dict[str, Any], tmp_path: Path) -> None:
    parent, child = copy.deepcopy(toot), copy.deepcopy(toot)
    child.update(id="2", in_reply_to_id=toot["id"])
    path = tmp_path / "context.json"
    path.write_text(json.dumps({"ancestors": [parent], "descendants": [child]}), encoding="utf-8")
    assert detect_format(path) == "mastodon"
    posts = _posts(path)
    assert [p.external_id for p in posts] == [toot["id"], "2"]
    assert posts[1].reply_to == toot["id"]


# --- Bluesky --------------------------------------------------------------------------------------


def test_jetstream_maps_post_creations_and_skips_likes(api_samples: Path) -> None:
    items = _items(api_samples / "bluesky/jetstream_v1_events_2026-07-04.jsonl")
    mapped = [map_item(i) for i in items]
    likes = [i for i, m in zip(items, mapped, strict=True) if m == "a like (create), not a post"]
    assert len(likes) == 105
    assert all(i.payload["commit"]["collection"] == "app.bsky.feed.like" for i in likes)
    assert all(i.raw is not None and json.loads(i.raw) == i.payload for i in items)

    reply = next(m for m in mapped if isinstance(m, PostDraft) and m.text == "이쁘시네용~~~")
    assert reply.external_id == "at://did:plc:o2rolxey6s5k7d4lxcz3inl4/app.bsky.feed.post/3mptbyp7lu223"
    assert reply.url == "https://bsky.app/profile/did:plc:o2rolxey6s5k7d4lxcz3inl4/post/3mptbyp7lu223"
    assert reply.reply_to == "at://did:plc:i5y2f3gtpjxs3qg6fwgb6jb4/app.bsky.feed.post/3mpt7u2vlgs2c"
    assert reply.language_hint == "ko"
    assert reply.posted_at == datetime(2026, 7, 4, 14, 38, 7, 112000, tzinfo=UTC)
    assert "a delete event (app.bsky.feed.post)" in mapped


def test_jetstream_quote_embed_becomes_repost_of(api_samples: Path) -> None:
    lines = (api_samples / "bluesky/jetstream_v1_golden_subscribe.jsonl").read_text().splitlines()
    event = next(json.loads(x) for x in lines if '"app.bsky.feed.post"' in x)
    quoted = "at://did:plc:abc/app.bsky.feed.post/3kquoted"
    event["commit"]["record"]["embed"] = {
        "$type": "app.bsky.embed.record",
        "record": {"uri": quoted, "cid": "x"},
    }
    post = map_item(RawItem(format="bluesky-jetstream", external_id="x", payload=event))
    assert isinstance(post, PostDraft)
    assert (post.kind, post.repost_of) == ("quote", quoted)


def test_capture_manifest_is_metadata_only(api_samples: Path) -> None:
    path = api_samples / "bluesky/jetstream_capture_manifest.json"
    assert detect_format(path) == "bluesky-manifest"
    assert list(read_items(path)) == []


# --- Facebook -------------------------------------------------------------------------------------


def test_facebook_comments_get_graph_style_ids_and_thread_links(api_samples: Path) -> None:
    posts = _posts(api_samples / "facebook/comments_comments_p1.json")
    assert all(p.kind == "comment" for p in posts)
    assert posts[0].external_id == "10158407654328553_10158407835073553"
    assert posts[0].reply_to == "19292868552_10158407654328553"
    reply = next(p for p in posts if p.external_id == "10158407654328553_10158409983033553")
    assert reply.reply_to == "10158407654328553_10158407903973553"


def test_facebook_page_post_maps_reactions_comments_and_shares(api_samples: Path) -> None:
    post = _posts(api_samples / "facebook/posts_feeds_default_fields_p1.json")[0]
    assert post.external_id == "19292868552_10158349356748553"
    assert post.engagement == {"likes": 125, "comments": 13, "shares": 10}
    assert post.posted_at == datetime(2021, 7, 9, 19, 9, 52, tzinfo=UTC)


def test_facebook_post_without_message_falls_back_to_attachment(api_samples: Path) -> None:
    record = _load(api_samples / "facebook/posts_feeds_default_fields_p1.json")["data"][0]
    del record["message"]
    post = map_item(RawItem(format="facebook-graph", external_id=record["id"], payload=record))
    assert isinstance(post, PostDraft)
    assert post.text.startswith("Singaporean logistics company Ninja Van")


# --- RSS ------------------------------------------------------------------------------------------


def test_rss_reads_an_undeclared_iso_8859_1_feed(api_samples: Path) -> None:
    first = _posts(api_samples / "rss/uolNoticias.rss.xml")[0]
    assert first.title == "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno"
    # "Seg, 24 Set 2018 19:42:40 -0300": a Portuguese date feedparser leaves unparsed.
    assert first.posted_at == datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)


def test_rss_keeps_html_and_uses_title_when_there_is_no_summary(api_samples: Path) -> None:
    guardian = _posts(api_samples / "rss/guardian.rss.xml")[0]
    assert guardian.text.startswith("<p>")
    assert guardian.external_id.startswith("https://www.theguardian.com/")
    science = _posts(api_samples / "rss/rss-1.rss.xml")[0]
    assert science.text == science.title == "Food for fungi"
