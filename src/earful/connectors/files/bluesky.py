"""`bluesky-jetstream`: Jetstream events, one JSON object per line; and `bluesky-manifest`.

Every event is yielded; only the creation of an `app.bsky.feed.post` record maps to a post. Likes,
reposts, follows, blocks, profile and status updates, deletes, identity and account events are
skipped with their reason. A Jetstream capture manifest (`captured_at`, `jetstream_url`,
`v1_events`, ...) describes a capture and holds no posts: it is recognised as `bluesky-manifest`
so it is not mistaken for data, and yields no items.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from earful.connectors.files._base import (
    Format,
    ItemOrRejected,
    Stream,
    as_id,
    as_text,
    make_item,
    obj,
    parse_time,
    quarantine_text,
)
from earful.connectors.files._jsondoc import iter_json_lines, peek
from earful.contracts import PostDraft, Rejected

NAME = "bluesky-jetstream"
MANIFEST_NAME = "bluesky-manifest"
POST = "app.bsky.feed.post"
_SKIPPED = {
    "app.bsky.feed.like": "a like",
    "app.bsky.feed.repost": "a repost",
    "app.bsky.graph.follow": "a follow",
    "app.bsky.graph.block": "a block",
    "app.bsky.actor.profile": "a profile record",
}


def _is_event(value: Any) -> bool:
    return isinstance(value, dict) and "did" in value and "kind" in value and "time_us" in value


def event_id(event: dict[str, Any]) -> str | None:
    """Return `at://did/collection/rkey` for a commit, `kind:did:time_us` for other events."""
    did, commit = as_id(event.get("did")), event.get("commit")
    if did is None:
        return None
    if event.get("kind") == "commit" and isinstance(commit, dict):
        collection, rkey = as_id(commit.get("collection")), as_id(commit.get("rkey"))
        return None if collection is None or rkey is None else f"at://{did}/{collection}/{rkey}"
    return f"{event.get('kind')}:{did}:{event.get('time_us')}"


def sniff(path: Path, head: bytes) -> bool:
    """Tell whether `head` is a Jetstream event."""
    peeked = peek(head)
    return peeked is not None and _is_event(peeked[0])


def sniff_manifest(path: Path, head: bytes) -> bool:
    """Tell whether `head` is a Jetstream capture manifest."""
    peeked = peek(head)
    value = None if peeked is None else peeked[0]
    return isinstance(value, dict) and "jetstream_url" in value and "captured_at" in value


def iter_events(stream: Stream) -> Iterator[ItemOrRejected]:
    """Yield one item per event line; a line that is no event with an id is rejected."""
    for doc in iter_json_lines(stream):
        if isinstance(doc, Rejected):
            yield doc
            continue
        external_id = event_id(doc.value) if _is_event(doc.value) else None
        if external_id is None:
            yield Rejected(
                "not a Jetstream event with a did and record key",
                quarantine_text(doc.raw or ""),
                doc.location,
            )
        else:
            yield make_item(NAME, external_id, doc.value, doc.raw, doc.location)


def iter_nothing(stream: Stream) -> Iterator[ItemOrRejected]:
    """Yield nothing: a manifest describes a capture and holds no posts."""
    return iter(())


def _skip_reason(commit: dict[str, Any]) -> str | None:
    operation, collection = commit.get("operation"), commit.get("collection")
    if operation == "delete":
        return f"a delete event ({collection})"
    if collection == POST and operation == "create":
        return None
    if collection == POST:
        return f"a post {operation}, not a new post"
    what = _SKIPPED.get(str(collection), f"a record of {collection}")
    return f"{what} ({operation}), not a post"


def _embed_text(embed: Any) -> str | None:
    # A post of only a link card (a GIF, an article) says what it shares through the card.
    external = embed.get("external") if isinstance(embed, dict) else None
    if not isinstance(external, dict):
        return None
    parts = [as_text(external.get("title")), as_text(external.get("description"))]
    return "\n\n".join(p for p in parts if p) or None


def _quoted(embed: Any) -> str | None:
    if not isinstance(embed, dict):
        return None
    record = embed.get("record")
    if isinstance(record, dict) and isinstance(record.get("record"), dict):
        record = record["record"]  # app.bsky.embed.recordWithMedia nests the quoted record once more
    return as_text(record.get("uri")) if isinstance(record, dict) else None


def map_event(event: Any) -> PostDraft | str:
    """Map a post-creating commit to a post; every other event is skipped with its reason."""
    if not _is_event(event):
        raise ValueError("not a Jetstream event")
    commit = event.get("commit")
    if event["kind"] != "commit":
        return f"{event['kind']} event, not a post"
    if not isinstance(commit, dict):
        raise ValueError("commit event without a commit")
    reason = _skip_reason(commit)
    if reason is not None:
        return reason
    record, external_id = commit.get("record"), event_id(event)
    if not isinstance(record, dict) or external_id is None:
        raise ValueError("post commit without a record or record key")
    text = as_text(record.get("text")) or _embed_text(record.get("embed"))
    if text is None:
        return "post has no text"
    langs = record.get("langs")
    reply = obj(record.get("reply"))
    parent = obj(reply.get("parent"))
    quoted = _quoted(record.get("embed"))
    return PostDraft(
        external_id=external_id,
        text=text,
        url=f"https://bsky.app/profile/{event['did']}/post/{commit['rkey']}",
        author_handle=str(event["did"]),
        posted_at=parse_time(record.get("createdAt")) or parse_time(event.get("time_us")),
        language_hint=as_text(langs[0]) if isinstance(langs, list) and langs else None,
        reply_to=as_text(parent.get("uri")),
        repost_of=quoted,
        kind="quote" if quoted else "post",
    )


FORMAT = Format(
    name=NAME,
    summary="Bluesky Jetstream events (JSON Lines); only post creations map to posts",
    sniff=sniff,
    iter_items=iter_events,
    map=map_event,
)
MANIFEST = Format(
    name=MANIFEST_NAME,
    summary="a Jetstream capture manifest: metadata only, yields no items",
    sniff=sniff_manifest,
    iter_items=iter_nothing,
    map=None,
)
