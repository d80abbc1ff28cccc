"""`x-v2`: X API v2 response bodies (`{"data", "includes", "meta"}`), one or one per line.

Each tweet is yielded flattened the way twarc does it: the author from `includes.users` is added
under `author`, and each `referenced_tweets` entry is merged with its tweet from
`includes.tweets`, so the payload alone maps to a complete post. Tweet-count buckets
(`{start, end, tweet_count}`) are yielded too, and skipped when mapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from earful.connectors.files._base import Format, aliases, as_id, as_text, counts, obj, parse_time
from earful.connectors.files._jsondoc import head_bodies, iter_document_items, rejected
from earful.contracts import PostDraft, Rejected

NAME = "x-v2"
_URI = re.compile(r"//api\.(?:twitter|x)\.com/2/")
_TWEET_FIELDS = (
    "edit_history_tweet_ids",
    "author_id",
    "public_metrics",
    "conversation_id",
    "referenced_tweets",
)
_RESPONSE_KEYS = ("data", "includes", "meta", "errors")
# Snowflake ids (from November 2010) carry their creation time: milliseconds since this epoch,
# above bit 22. Older ids were a plain sequence that never reached 30 billion.
_TWITTER_EPOCH_MS = 1288834974657
_FIRST_SNOWFLAKE = 30_000_000_000


def _is_bucket(tweet: dict[str, Any]) -> bool:
    return "tweet_count" in tweet and "start" in tweet and "end" in tweet


def _by_id(values: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(values, list):
        return {}
    return {str(v["id"]): v for v in values if isinstance(v, dict) and as_id(v.get("id"))}


def _flatten(tweet: dict[str, Any], users: dict[str, Any], tweets: dict[str, Any]) -> dict[str, Any]:
    flat = dict(tweet)
    author_id = as_id(tweet.get("author_id"))
    if author_id in users and "author" not in flat:
        flat["author"] = users[author_id]
    references = tweet.get("referenced_tweets")
    if isinstance(references, list):
        flat["referenced_tweets"] = [
            {**tweets.get(str(ref.get("id")), {}), **ref} if isinstance(ref, dict) else ref
            for ref in references
        ]
    return flat


def _read_body(body: Any, uri: str) -> Iterator[tuple[str, Any] | Rejected]:
    if not isinstance(body, dict) or not any(key in body for key in _RESPONSE_KEYS):
        yield rejected("not an X API v2 response body", body)
        return
    includes = obj(body.get("includes"))
    users, included = _by_id(includes.get("users")), _by_id(includes.get("tweets"))
    data = body.get("data")
    # A lookup by id answers with one tweet object; searches and timelines with a list.
    listed = data if isinstance(data, list) else ([] if data is None else [data])
    for tweet in listed:
        if isinstance(tweet, dict) and _is_bucket(tweet):
            yield f"count:{tweet['start']}/{tweet['end']}", tweet
        elif not isinstance(tweet, dict) or as_id(tweet.get("id")) is None:
            yield rejected("tweet without an id", tweet)
        elif _text(tweet) is None:
            yield rejected("tweet without text", tweet)
        else:
            yield str(tweet["id"]), _flatten(tweet, users, included)


def _looks_like(body: Any, uri: str) -> bool:
    if uri:
        return bool(_URI.search(uri))
    if not isinstance(body, dict) or "data" not in body:
        return False
    if "includes" in body:
        return True
    meta = body.get("meta")
    if isinstance(meta, dict) and any(k in meta for k in ("result_count", "newest_id", "total_tweet_count")):
        return True
    data = body["data"]
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and (_is_bucket(first) or any(k in first for k in _TWEET_FIELDS))


def sniff(path: Path, head: bytes) -> bool:
    """Tell whether `head` is an X API v2 response body, or a recording of a v2 request."""
    return any(_looks_like(body, uri) for body, uri in head_bodies(head))


def _text(tweet: dict[str, Any]) -> str | None:
    note = tweet.get("note_tweet")
    # Long posts keep their full text in note_tweet; `text` holds only the first 280 characters.
    return (as_text(note.get("text")) if isinstance(note, dict) else None) or as_text(tweet.get("text"))


def _snowflake_time(tweet_id: str) -> datetime | None:
    if not tweet_id.isdigit() or int(tweet_id) < _FIRST_SNOWFLAKE:
        return None
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + _TWITTER_EPOCH_MS) / 1000, tz=UTC)


def map_tweet(tweet: Any) -> PostDraft | str:
    """Map a (flattened) v2 tweet to a post; a tweet-count bucket is skipped."""
    if isinstance(tweet, dict) and _is_bucket(tweet):
        return "tweet-count bucket, not a tweet"
    if not isinstance(tweet, dict) or as_id(tweet.get("id")) is None:
        raise ValueError("not a tweet: no id")
    tweet_id = str(tweet["id"])
    text = _text(tweet)
    if text is None:
        raise ValueError("tweet without text")
    author = obj(tweet.get("author"))
    username = as_text(author.get("username"))
    kind, reply_to, repost_of = "post", None, None
    for ref in tweet.get("referenced_tweets") or []:
        if not isinstance(ref, dict):
            continue
        ref_type, ref_id = ref.get("type"), as_id(ref.get("id"))
        if ref_type == "replied_to":
            reply_to = ref_id
        elif ref_type == "retweeted":
            # A retweet's own text is cut to "RT @user: …"; the original's is whole when included.
            kind, repost_of, text = "repost", ref_id, _text(ref) or text
        elif ref_type == "quoted" and kind != "repost":
            kind, repost_of = "quote", ref_id
    lang = as_text(tweet.get("lang"))
    return PostDraft(
        external_id=tweet_id,
        text=text,
        url=f"https://x.com/{username or 'i/web'}/status/{tweet_id}",
        author_handle=username or as_id(tweet.get("author_id")),
        author_aliases=aliases(tweet.get("author_id"), author.get("id"), author.get("name")),
        posted_at=parse_time(tweet.get("created_at")) or _snowflake_time(tweet_id),
        language_hint=None if lang in (None, "und", "zxx", "qme", "qst") else lang,
        engagement=counts(
            tweet,
            likes="public_metrics.like_count",
            reposts="public_metrics.retweet_count",
            replies="public_metrics.reply_count",
            quotes="public_metrics.quote_count",
            views="public_metrics.impression_count",
        ),
        reply_to=reply_to,
        repost_of=repost_of,
        kind=kind,
    )


FORMAT = Format(
    name=NAME,
    summary="X API v2 response bodies; authors resolved through includes; tweet-count buckets skipped",
    sniff=sniff,
    iter_items=lambda stream: iter_document_items(stream, NAME, _read_body),
    map=map_tweet,
)
