"""`facebook-graph`: Facebook Graph API bodies: a page or group feed `{data, paging}`, comments
`{data, paging, summary}`, a single post, or several posts keyed by id (`?ids=a,b`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from earful.connectors.files._base import TRUNCATED, Format, aliases, as_id, as_text, counts, obj, parse_time
from earful.connectors.files._jsondoc import head_bodies, iter_document_items, rejected
from earful.contracts import PostDraft, Rejected

NAME = "facebook-graph"


class _Permalink(NamedTuple):
    page: str | None
    post: str | None
    comment: str | None
    reply: str | None


def _permalink(record: dict[str, Any]) -> _Permalink:
    """Read /PAGE/posts/POST/?comment_id=C[&reply_comment_id=R] from the record's permalink."""
    link = as_text(record.get("permalink_url"))
    if link is None:
        return _Permalink(None, None, None, None)
    parts = urlsplit(link)
    path = [p for p in parts.path.split("/") if p]
    page, post = (path[0], path[2]) if len(path) >= 3 and path[1] == "posts" else (None, None)
    query = parse_qs(parts.query)
    comment, reply = query.get("comment_id"), query.get("reply_comment_id")
    return _Permalink(page, post, comment[0] if comment else None, reply[0] if reply else None)


def record_id(record: dict[str, Any]) -> str | None:
    """Return the record's id; a comment listed without one gets `POST_COMMENT` from its permalink.

    That is the form the Graph API gives comment ids (a reply's is `POST_REPLY`); failing it, the
    permalink itself is the id.
    """
    given = as_id(record.get("id"))
    if given is not None:
        return given
    link = _permalink(record)
    comment = link.reply or link.comment
    if link.post is not None and comment is not None:
        return f"{link.post}_{comment}"
    return as_text(record.get("permalink_url"))


def _reply_to(record: dict[str, Any]) -> str | None:
    parent = as_id(obj(record.get("parent")).get("id"))
    if parent is not None:
        return parent
    link = _permalink(record)
    if link.reply is not None and link.post is not None:
        return f"{link.post}_{link.comment}"
    if link.comment is not None and link.page is not None:
        return f"{link.page}_{link.post}"
    return None


def _is_comment(record: dict[str, Any]) -> bool:
    return _permalink(record).comment is not None or "parent" in record or "comment_count" in record


def _records(body: Any) -> list[Any] | None:
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("data"), list):
        return list(body["data"])
    if as_id(body.get("id")) is not None:
        return [body]
    posts = [value for key, value in body.items() if key != TRUNCATED]
    if posts and all(isinstance(value, dict) and "id" in value for value in posts):
        return posts
    return None


def _read_body(body: Any, uri: str) -> Iterator[tuple[str, Any] | Rejected]:
    records = _records(body)
    if records is None:
        yield rejected("not a Facebook Graph API feed, comment list or post", body)
        return
    for record in records:
        external_id = record_id(record) if isinstance(record, dict) else None
        if external_id is None:
            yield rejected("record has no id or permalink", record)
        else:
            yield external_id, record


def _looks_like(body: Any, uri: str) -> bool:
    if uri:
        return "graph.facebook.com" in uri
    records = _records(body)
    if not records or not isinstance(records[0], dict):
        return False
    paging = body.get("paging") if isinstance(body, dict) else None
    return "created_time" in records[0] or (isinstance(paging, dict) and "cursors" in paging)


def sniff(path: Path, head: bytes) -> bool:
    """Tell whether `head` is a Graph API feed, comment list or post (fields like `created_time`)."""
    return any(_looks_like(body, uri) for body, uri in head_bodies(head))


def _text(record: dict[str, Any]) -> str | None:
    text = as_text(record.get("message")) or as_text(record.get("story"))
    if text is not None:
        return text
    # A shared link or photo without a message still says what it is through its attachment.
    attachments = record.get("attachments")
    for attachment in attachments.get("data", []) if isinstance(attachments, dict) else []:
        if isinstance(attachment, dict):
            found = as_text(attachment.get("description")) or as_text(attachment.get("title"))
            if found is not None:
                return found
    return None


def _post_url(external_id: str, comment: bool) -> str | None:
    # Facebook redirects /OWNER_POST to the post itself; a comment has no address of its own.
    if comment or not re.fullmatch(r"\d+_\d+", external_id):
        return None
    return f"https://www.facebook.com/{external_id}"


def map_record(record: Any) -> PostDraft | str:
    """Map a Graph API post or comment to a post; one with no text at all is skipped."""
    if not isinstance(record, dict):
        raise ValueError("not a Facebook Graph API record")
    external_id = record_id(record)
    if external_id is None:
        raise ValueError("record has no id or permalink")
    text = _text(record)
    if text is None:
        return "post has no message, story or attachment description"
    author = obj(record.get("from"))
    comment = _is_comment(record)
    engagement = counts(
        record,
        likes="reactions.summary.total_count",
        comments="comments.summary.total_count",
        shares="shares.count",
    )
    engagement.update(counts(record, likes="like_count", comments="comment_count"))
    return PostDraft(
        external_id=external_id,
        text=text,
        url=as_text(record.get("permalink_url")) or _post_url(external_id, comment),
        author_handle=as_id(author.get("id")) or as_text(author.get("name")),
        author_aliases=aliases(author.get("id"), author.get("name")),
        posted_at=parse_time(record.get("created_time")),
        engagement=engagement,
        reply_to=_reply_to(record) if comment else None,
        kind="comment" if comment else "post",
    )


FORMAT = Format(
    name=NAME,
    summary="Facebook Graph API feeds, comments, single and multi-id posts",
    sniff=sniff,
    iter_items=lambda stream: iter_document_items(stream, NAME, _read_body),
    map=map_record,
)
