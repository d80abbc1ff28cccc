"""Every recorded real payload is recognised, read without a rejection, and maps to the posts it holds.

The counts were checked by hand against the files (and SOURCE.md beside them): e.g. the AskReddit
`new` listing holds 100 submissions, the Jetstream capture 17 post creations among 152 events.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from earful.connectors.files import detect_format, map_item, read_items
from earful.contracts import PostDraft, RawItem, Rejected

# file: (format, items yielded, posts mapped, how the other items are skipped)
EXPECTED: dict[str, tuple[str, int, int, dict[str, int]]] = {
    "bluesky/jetstream_capture_manifest.json": ("bluesky-manifest", 0, 0, {}),
    "bluesky/jetstream_v1_events_2026-07-04.jsonl": (
        "bluesky-jetstream",
        152,
        17,
        {"a like (create), not a post": 105, "a repost (create), not a post": 15},
    ),
    "bluesky/jetstream_v1_golden_subscribe.jsonl": ("bluesky-jetstream", 10, 1, {}),
    "facebook/comments_comments_p1.json": ("facebook-graph", 10, 10, {}),
    "facebook/comments_comments_p2.json": ("facebook-graph", 5, 5, {}),
    "facebook/groups_feed_p1.json": (
        "facebook-graph",
        5,
        4,
        {"post has no message, story or attachment description": 1},
    ),
    "facebook/groups_feed_p2.json": ("facebook-graph", 6, 6, {}),
    "facebook/posts_feed_fields_p1.json": ("facebook-graph", 5, 5, {}),
    "facebook/posts_feed_fields_p2.json": ("facebook-graph", 5, 5, {}),
    "facebook/posts_feeds_default_fields_p1.json": ("facebook-graph", 5, 5, {}),
    "facebook/posts_feeds_default_fields_p2.json": ("facebook-graph", 5, 5, {}),
    "facebook/posts_multi_posts_data.json": ("facebook-graph", 2, 2, {}),
    "facebook/posts_single_post_data.json": ("facebook-graph", 1, 1, {}),
    # Recorded sessions: POST, GET and PUT answers are statuses too; DELETE answers are dropped.
    "mastodon/test_hashtag_tl.json": ("mastodon", 3, 2, {"server information, not a status": 1}),
    "mastodon/test_list_timeline.json": (
        "mastodon",
        13,
        0,
        {"author opted out of indexing": 8, "a relationship, not a status": 2, "empty response body": 1},
    ),
    "mastodon/test_public_tl.json": ("mastodon", 18, 5, {"author opted out of indexing": 12}),
    "mastodon/test_public_tl_anonymous.json": ("mastodon", 10, 3, {"author opted out of indexing": 6}),
    "mastodon/test_search.json": ("mastodon", 0, 0, {}),
    "mastodon/test_status.json": ("mastodon", 2, 2, {}),
    "mastodon/test_status_card.json": ("mastodon", 2, 2, {}),
    "mastodon/test_status_context.json": ("mastodon", 1, 1, {}),
    "mastodon/test_status_edit.json": (
        "mastodon",
        7,
        3,
        {"edit-history entry, not a status": 3, "a status's source text (for editing), not a status": 1},
    ),
    "mastodon/test_status_reply.json": (
        "mastodon",
        3,
        1,
        {"author opted out of indexing": 1, "an account, not a status": 1},
    ),
    "reddit/listing_r-askreddit_comments_2016-07.json": ("reddit-listing", 100, 100, {}),
    "reddit/listing_r-askreddit_new_2016-03.json": ("reddit-listing", 100, 100, {}),
    "reddit/listing_search_2016-07.json": ("reddit-listing", 6, 6, {}),
    "reddit/listing_subreddit_comments_2023-10.json": ("reddit-listing", 100, 100, {}),
    "reddit/submission_comments_2025-05.json": ("reddit-listing", 1, 1, {}),
    "reddit/submission_with_comment_context_2025-06.json": ("reddit-listing", 68, 68, {}),
    "reddit/submission_with_comment_tree_2016-12.json": (
        "reddit-listing",
        146,
        141,
        {"comment was deleted or removed": 5},
    ),
    "rss/content-encoded.rss.xml": ("rss", 7, 7, {}),
    "rss/feedburner.atom.xml": ("rss", 25, 25, {}),
    "rss/guardian.rss.xml": ("rss", 55, 55, {}),
    "rss/heise.atom.xml": ("rss", 15, 15, {}),
    "rss/reddit-home.rss.xml": ("rss", 24, 24, {}),
    "rss/reddit.rss.xml": ("rss", 24, 24, {}),
    "rss/rss-1.rss.xml": ("rss", 69, 69, {}),
    "rss/uolNoticias.rss.xml": ("rss", 15, 15, {}),
    "twitter/v1.1_search_tweets.json": ("x-v1", 15, 15, {}),
    "twitter/v1.1_user_timeline.json": ("x-v1", 24, 24, {}),
    "twitter/v2_get_tweet.json": ("x-v2", 1, 1, {}),
    "twitter/v2_get_tweets.json": ("x-v2", 2, 2, {}),
    "twitter/v2_home_timeline.json": ("x-v2", 98, 98, {}),
    "twitter/v2_list_tweets.json": ("x-v2", 97, 97, {}),
    "twitter/v2_quote_tweets.json": ("x-v2", 9, 9, {}),
    "twitter/v2_recent_tweets_count.json": ("x-v2", 169, 0, {"tweet-count bucket, not a tweet": 169}),
    "twitter/v2_search_all.json": ("x-v2", 10, 10, {}),
    "twitter/v2_search_recent.json": ("x-v2", 10, 10, {}),
    "twitter/v2_search_recent_async.json": ("x-v2", 10, 10, {}),
    "twitter/v2_users_mentions.json": ("x-v2", 10, 10, {}),
}


def test_every_sample_file_has_an_expectation(api_samples: Path) -> None:
    on_disk = {
        path.relative_to(api_samples).as_posix()
        for path in api_samples.rglob("*")
        if path.is_file() and path.name != "SOURCE.md"
    }
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_is_detected_read_and_mapped(api_samples: Path, name: str) -> None:
    fmt, item_count, post_count, skip_counts = EXPECTED[name]
    path = api_samples / name

    assert detect_format(path) == fmt

    found = list(read_items(path))
    rejected = [r for r in found if isinstance(r, Rejected)]
    assert rejected == []
    items = [i for i in found if isinstance(i, RawItem)]
    assert len(items) == item_count
    assert all(item.format == fmt and item.external_id for item in items)

    posts: list[PostDraft] = []
    skips: Counter[str] = Counter()
    for item in items:
        mapped = map_item(item)
        if isinstance(mapped, PostDraft):
            posts.append(mapped)
        else:
            assert isinstance(mapped, str)
            skips[mapped] += 1
    assert len(posts) == post_count
    for reason, count in skip_counts.items():
        assert skips[reason] == count, reason
    for post in posts:
        assert post.text.strip()
        assert post.external_id
        assert post.url is not None and post.url.startswith("http")
        assert post.posted_at is not None
        assert post.posted_at.utcoffset() == timedelta(0)
