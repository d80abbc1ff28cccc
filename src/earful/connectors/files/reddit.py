"""`reddit-listing` (API Listings, nested comment trees) and `pushshift` (one bare t3/t1 per line).

Both yield the `data` object of each submission (t3) and comment (t1), without its `replies`
(which are yielded as items of their own), and map them the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from earful.connectors.files._base import (
    Format,
    ItemOrRejected,
    Stream,
    aliases,
    as_id,
    as_text,
    counts,
    make_item,
    parse_time,
    quarantine_text,
)
from earful.connectors.files._jsondoc import head_bodies, iter_document_items, iter_json_lines, peek, rejected
from earful.contracts import PostDraft, Rejected

_GONE = ("[deleted]", "[removed]")
_POST_KINDS = ("t1", "t3")


def _kind(data: dict[str, Any]) -> str | None:
    name = data.get("name")
    if isinstance(name, str) and name[:3] in ("t1_", "t3_"):
        return name[:2]
    if "title" in data:
        return "t3"
    if "body" in data:
        return "t1"
    return None


def fullname(data: dict[str, Any]) -> str | None:
    """Return the thing's fullname (`t3_abc`, `t1_def`), or None when it has no id."""
    name = as_id(data.get("name"))
    if name is not None and name[:3] in ("t1_", "t3_"):
        return name
    thing_id, kind = as_id(data.get("id")), _kind(data)
    return None if thing_id is None or kind is None else f"{kind}_{thing_id}"


def _thing(child: Any) -> Iterator[tuple[str, Any] | Rejected]:
    if not isinstance(child, dict):
        yield rejected("Listing child is not an object", child)
        return
    kind, data = child.get("kind"), child.get("data")
    if kind not in _POST_KINDS:
        return  # `more` stubs, accounts and subreddits are no posts
    if not isinstance(data, dict):
        yield rejected(f"{kind} without a data object", child)
        return
    payload = {key: value for key, value in data.items() if key != "replies"}
    name = fullname(payload)
    if name is None:
        yield rejected(f"{kind} without an id", payload)
    else:
        yield name, payload
    if isinstance(data.get("replies"), dict):
        yield from _listing_things(data["replies"])


def _listing_things(node: Any) -> Iterator[tuple[str, Any] | Rejected]:
    if isinstance(node, list):
        for each in node:
            yield from _listing_things(each)
    elif isinstance(node, dict) and node.get("kind") == "Listing":
        children = node.get("data", {}).get("children") if isinstance(node.get("data"), dict) else None
        for child in children if isinstance(children, list) else []:
            yield from _thing(child)
    elif isinstance(node, dict) and node.get("kind") in _POST_KINDS:
        yield from _thing(node)
    else:
        yield rejected("not a Reddit Listing or thing", node)


def _read_body(body: Any, uri: str) -> Iterator[tuple[str, Any] | Rejected]:
    return _listing_things(body)


def _is_listing(value: Any) -> bool:
    if isinstance(value, list) and value:
        value = value[0]
    return isinstance(value, dict) and value.get("kind") in ("Listing", *_POST_KINDS) and "data" in value


def _is_bare_thing(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "subreddit" in value
        and "id" in value
        and ("selftext" in value or "body" in value)
    )


def sniff_listing(path: Path, head: bytes) -> bool:
    """Tell whether `head` is a Reddit Listing, a list of Listings, or a thing."""
    return any(_is_listing(body) for body, _ in head_bodies(head))


def sniff_pushshift(path: Path, head: bytes) -> bool:
    """Tell whether `head` is a line (or a document) of a bare t3/t1 data object."""
    peeked = peek(head)
    return peeked is not None and _is_bare_thing(peeked[0])


def iter_pushshift(stream: Stream) -> Iterator[ItemOrRejected]:
    """Yield one item per line; a line that is not a t3/t1 with an id is rejected."""
    for doc in iter_json_lines(stream):
        if isinstance(doc, Rejected):
            yield doc
            continue
        name = fullname(doc.value) if isinstance(doc.value, dict) else None
        if name is None:
            yield Rejected(
                "not a submission or comment with an id", quarantine_text(doc.raw or ""), doc.location
            )
        else:
            yield make_item("pushshift", name, doc.value, doc.raw, doc.location)


def _author(data: dict[str, Any]) -> str | None:
    author = as_text(data.get("author"))
    return None if author in _GONE else author


def _url(data: dict[str, Any]) -> str | None:
    permalink = as_text(data.get("permalink"))
    if permalink is not None:
        return "https://www.reddit.com" + permalink
    # Comments in older listings carry no permalink; their submission id and own id make one.
    link_id, thing_id = as_text(data.get("link_id")), as_id(data.get("id"))
    if link_id is not None and link_id.startswith("t3_") and thing_id is not None:
        return f"https://www.reddit.com/comments/{link_id[3:]}/_/{thing_id}/"
    return None


def map_thing(data: Any) -> PostDraft | str:
    """Map a t3 or t1 data object to a post; a deleted or removed comment is skipped."""
    if not isinstance(data, dict) or _kind(data) is None:
        raise ValueError("not a Reddit submission or comment")
    name = fullname(data)
    if name is None:
        raise ValueError("submission or comment without an id")
    url = _url(data)
    posted_at = parse_time(data.get("created_utc"))
    if _kind(data) == "t1":
        body = as_text(data.get("body"))
        if body is None or body.strip() in _GONE:
            return "comment was deleted or removed"
        return PostDraft(
            external_id=name,
            text=body,
            url=url,
            author_handle=_author(data),
            author_aliases=aliases(data.get("author_fullname")),
            posted_at=posted_at,
            engagement=counts(data, score="score"),
            reply_to=as_id(data.get("parent_id")),
            kind="comment",
        )
    title = as_text(data.get("title"))
    selftext = as_text(data.get("selftext"))
    if selftext is not None and selftext.strip() in _GONE:
        selftext = None
    text = selftext or title
    if text is None:
        return "submission has no title or text"
    return PostDraft(
        external_id=name,
        text=text,
        url=url,
        author_handle=_author(data),
        author_aliases=aliases(data.get("author_fullname")),
        posted_at=posted_at,
        title=title,
        engagement=counts(data, score="score", num_comments="num_comments"),
        repost_of=as_id(data.get("crosspost_parent")),
    )


LISTING = Format(
    name="reddit-listing",
    summary="Reddit API Listings (submissions t3, comments t1, nested replies); `more` stubs skipped",
    sniff=sniff_listing,
    iter_items=lambda stream: iter_document_items(stream, "reddit-listing", _read_body),
    map=map_thing,
)
PUSHSHIFT = Format(
    name="pushshift",
    summary="Pushshift-style NDJSON: one bare t3/t1 data object per line",
    sniff=sniff_pushshift,
    iter_items=iter_pushshift,
    map=map_thing,
)
