"""`mastodon`: Mastodon API bodies: a status, a list of statuses (a timeline), a search result
`{statuses}` or a thread context `{ancestors, descendants}`.

Other bodies (accounts, lists, server information, edit-history entries, a status's source) are
yielded as items too, and skipped with their reason when mapped. Statuses of accounts that opted
out of indexing are skipped, never mapped, and so never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from earful.connectors.files._base import Format, aliases, as_id, as_text, counts, json_id, parse_time
from earful.connectors.files._jsondoc import head_bodies, iter_document_items, rejected
from earful.contracts import PostDraft, Rejected

NAME = "mastodon"
OPTED_OUT = "author opted out of indexing"
_URI = re.compile(r"/api/v[12]/")
_NOT_PUBLIC = ("private", "direct")


def _is_status(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "content" in value
        and "account" in value
        and as_id(value.get("id")) is not None
    )


def _not_a_status(body: dict[str, Any]) -> str:
    if "content" in body and "account" in body:
        return "edit-history entry, not a status"
    if "username" in body and "acct" in body:
        return "an account, not a status"
    if "version" in body and ("domain" in body or "uri" in body):
        return "server information, not a status"
    if "following" in body and "followed_by" in body:
        return "a relationship, not a status"
    if "replies_policy" in body:
        return "a list, not a status"
    if "text" in body and "spoiler_text" in body:
        return "a status's source text (for editing), not a status"
    if "error" in body:
        return "an error response, not a status"
    return "empty response body" if not body else "not a status"


def _entries(values: list[Any]) -> Iterator[tuple[str, Any] | Rejected]:
    for value in values:
        if _is_status(value):
            yield str(value["id"]), value
        elif isinstance(value, dict):
            yield json_id(value), value
        else:
            yield rejected("not a Mastodon entity", value)


def _read_body(body: Any, uri: str) -> Iterator[tuple[str, Any] | Rejected]:
    if isinstance(body, list):
        yield from _entries(body)
    elif isinstance(body, dict) and isinstance(body.get("statuses"), list):
        yield from _entries(body["statuses"])
    elif isinstance(body, dict) and ("ancestors" in body or "descendants" in body):
        yield from _entries([*(body.get("ancestors") or []), *(body.get("descendants") or [])])
    else:
        yield from _entries([body])


def _surely_status(value: Any) -> bool:
    # Stricter than _is_status: a generic export may have `id`, `content` and `account` too.
    return _is_status(value) and isinstance(value["account"], dict) and "acct" in value["account"]


def _looks_like(body: Any, uri: str) -> bool:
    if uri:
        return bool(_URI.search(uri))
    if isinstance(body, list):
        return bool(body) and _surely_status(body[0])
    if isinstance(body, dict):
        context = "ancestors" in body and "descendants" in body
        search = "statuses" in body and "accounts" in body and "hashtags" in body
        return context or search or _surely_status(body)
    return False


def sniff(path: Path, head: bytes) -> bool:
    """Tell whether `head` is a Mastodon status, timeline, search or context, or a recording of one."""
    return any(_looks_like(body, uri) for body, uri in head_bodies(head))


def opted_out(account: Any) -> bool:
    """Tell whether an account asked not to be indexed.

    `indexable` (Mastodon 4.2+) decides when present; older servers only have `discoverable`.
    `noindex` (asking search engines to stay away) is honoured as well.
    """
    if not isinstance(account, dict):
        return False
    if account.get("noindex") is True:
        return True
    if "indexable" in account:
        return account["indexable"] is False
    return account.get("discoverable") is False


def map_status(status: Any) -> PostDraft | str:
    """Map a status to a post; skip non-statuses, non-public statuses and opted-out authors."""
    if not isinstance(status, dict):
        raise ValueError("not a Mastodon entity")
    if not _is_status(status):
        return _not_a_status(status)
    reblog = status.get("reblog") if isinstance(status.get("reblog"), dict) else None
    # A boost shows the boosted author's words, so their choice counts as much as the booster's.
    if opted_out(status.get("account")) or (reblog is not None and opted_out(reblog.get("account"))):
        return OPTED_OUT
    if status.get("visibility") in _NOT_PUBLIC:
        return f"not public (visibility {status['visibility']})"
    source = reblog if reblog is not None else status
    text = as_text(source.get("content"))
    if text is None:
        return "status has no text"
    account = status["account"] if isinstance(status["account"], dict) else {}
    return PostDraft(
        external_id=str(status["id"]),
        text=text,
        url=as_text(status.get("url")) or as_text(status.get("uri")),
        author_handle=as_text(account.get("acct")) or as_id(account.get("id")),
        author_aliases=aliases(account.get("id"), account.get("username"), account.get("display_name")),
        posted_at=parse_time(status.get("created_at")),
        title=as_text(source.get("spoiler_text")),
        language_hint=as_text(source.get("language")),
        engagement=counts(status, replies="replies_count", reposts="reblogs_count", likes="favourites_count"),
        reply_to=as_id(status.get("in_reply_to_id")),
        repost_of=None if reblog is None else as_id(reblog.get("id")),
        kind="post" if reblog is None else "repost",
    )


FORMAT = Format(
    name=NAME,
    summary="Mastodon statuses, timelines, search results and contexts; opted-out authors skipped",
    sniff=sniff,
    iter_items=lambda stream: iter_document_items(stream, NAME, _read_body),
    map=map_status,
)
