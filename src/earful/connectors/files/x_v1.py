"""`x-v1`: X API v1.1 tweet objects: a tweet, a list (timeline), a search result `{"statuses"}`,
or one per line as the v1.1 streaming API wrote them (its delete and limit notices are skipped)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from earful.connectors.files._base import Format, aliases, as_id, as_text, counts, json_id, obj, parse_time
from earful.connectors.files._jsondoc import head_bodies, iter_document_items, rejected
from earful.contracts import PostDraft, Rejected

NAME = "x-v1"
_URI = re.compile(r"//api\.(?:twitter|x)\.com/1\.1/")
_NOTICES = ("delete", "scrub_geo", "limit", "status_withheld", "user_withheld", "disconnect", "warning")


def _tweet_id(tweet: dict[str, Any]) -> str | None:
    return as_id(tweet.get("id_str")) or as_id(tweet.get("id"))


def _text(tweet: dict[str, Any]) -> str | None:
    extended = tweet.get("extended_tweet")
    # Streaming tweets keep the text past 140 characters in extended_tweet; REST ones in full_text.
    if isinstance(extended, dict) and as_text(extended.get("full_text")):
        return as_text(extended.get("full_text"))
    return as_text(tweet.get("full_text")) or as_text(tweet.get("text"))


def _is_tweet(value: Any) -> bool:
    return isinstance(value, dict) and "user" in value and _tweet_id(value) is not None


def _notice(value: Any) -> str | None:
    if isinstance(value, dict) and not _is_tweet(value):
        return next((key for key in _NOTICES if key in value), None)
    return None


def _read_body(body: Any, uri: str) -> Iterator[tuple[str, Any] | Rejected]:
    if isinstance(body, dict) and isinstance(body.get("statuses"), list):
        tweets = body["statuses"]
    elif isinstance(body, list):
        tweets = body
    elif isinstance(body, dict):
        tweets = [body]
    else:
        yield rejected("not an X API v1.1 tweet or search result", body)
        return
    for tweet in tweets:
        if _notice(tweet) is not None:
            yield json_id(tweet), tweet
        elif not isinstance(tweet, dict) or _tweet_id(tweet) is None:
            yield rejected("tweet without an id", tweet)
        elif _text(tweet) is None:
            yield rejected("tweet without text", tweet)
        else:
            yield str(_tweet_id(tweet)), tweet


def _surely_tweet(value: Any) -> bool:
    # Stricter than _is_tweet: a generic export may have `id`, `text` and `user` too.
    return _is_tweet(value) and "id_str" in value and isinstance(value["user"], dict)


def _looks_like(body: Any, uri: str) -> bool:
    if uri:
        return bool(_URI.search(uri))
    if isinstance(body, dict) and isinstance(body.get("statuses"), list):
        return "search_metadata" in body or (bool(body["statuses"]) and _surely_tweet(body["statuses"][0]))
    if isinstance(body, list):
        return bool(body) and _surely_tweet(body[0])
    return _surely_tweet(body)


def sniff(path: Path, head: bytes) -> bool:
    """Tell whether `head` is a v1.1 tweet, timeline or search result, or a recording of one."""
    return any(_looks_like(body, uri) for body, uri in head_bodies(head))


def map_tweet(tweet: Any) -> PostDraft | str:
    """Map a v1.1 tweet to a post; a retweet carries the original's whole text; notices are skipped."""
    notice = _notice(tweet)
    if notice is not None:
        return f"stream notice ({notice}), not a tweet"
    if not isinstance(tweet, dict) or _tweet_id(tweet) is None:
        raise ValueError("not a tweet: no id")
    tweet_id = str(_tweet_id(tweet))
    text = _text(tweet)
    if text is None:
        raise ValueError("tweet without text")
    user = obj(tweet.get("user"))
    handle = as_text(user.get("screen_name"))
    kind, repost_of = "post", None
    original = tweet.get("retweeted_status")
    if isinstance(original, dict) and _tweet_id(original):
        # The retweet's own text is cut to "RT @user: …"; the embedded original is whole.
        kind, repost_of, text = "repost", _tweet_id(original), _text(original) or text
    elif as_id(tweet.get("quoted_status_id_str")):
        kind, repost_of = "quote", as_id(tweet.get("quoted_status_id_str"))
    lang = as_text(tweet.get("lang"))
    return PostDraft(
        external_id=tweet_id,
        text=text,
        url=f"https://x.com/{handle or 'i/web'}/status/{tweet_id}",
        author_handle=handle or as_id(user.get("id_str")),
        author_aliases=aliases(user.get("id_str"), user.get("id"), user.get("name")),
        posted_at=parse_time(tweet.get("created_at")),
        language_hint=None if lang in (None, "und") else lang,
        engagement=counts(
            tweet,
            likes="favorite_count",
            reposts="retweet_count",
            replies="reply_count",
            quotes="quote_count",
        ),
        reply_to=as_id(tweet.get("in_reply_to_status_id_str")) or as_id(tweet.get("in_reply_to_status_id")),
        repost_of=repost_of,
        kind=kind,
    )


FORMAT = Format(
    name=NAME,
    summary="X API v1.1 tweets, timelines, search results `{statuses}`, or one per line (stream)",
    sniff=sniff,
    iter_items=lambda stream: iter_document_items(stream, NAME, _read_body),
    map=map_tweet,
)
