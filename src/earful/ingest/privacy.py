"""Reveal a post's author (rarely, with a reason, audited).

The handle is never stored: a post keeps only a keyed pseudonym, and the handle lives on only in
the sealed raw item, so revealing opens that item for the one post and records who asked and why.
A link to the original that names the author is not stored either: the reveal shows it too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy.orm import Session

from earful.connectors.files import map_item
from earful.contracts import Actor, RawItem
from earful.ingest.policies import can_erase, can_reveal_author
from earful.jobs.queue import enqueue_once
from earful.kit.clock import utcnow
from earful.kit.errors import EarfulError, Forbidden, NotFound
from earful.kit.seal import SealError
from earful.pipeline.pseudonymise import author_key
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post
from earful.store.repos import audit as audit_repo
from earful.store.repos import erasure as erasure_repo
from earful.store.repos import posts as posts_repo
from earful.store.repos import sources as sources_repo
from earful.store.sealing import raw_sealer

MIN_REASON = 15
MIN_REASON_WORDS = 3
# A word is two or more letters of any script, so "Amenaza denunciada" counts and "...." does not.
_WORD = re.compile(r"[^\W\d_]{2,}")
# Invisible characters (zero-width spaces, joiners, byte-order marks, controls) write nothing.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cn", "Cs"})
# Named, not imported: domains hand each other work through named jobs (classify owns this one).
TRAIN_JOB_NAME = "classify.train"


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a post, as its sealed raw item says, and the link to the original as captured."""

    handle: str | None
    link: str | None


def reveal_author(db: Database, settings: Settings, actor: Actor, post_id: int, reason: str) -> Author | None:
    """Return the post's author and original link, auditing the reveal with its reason."""
    if not can_reveal_author(actor.role):
        raise Forbidden("Revealing an author takes the lead role or higher.")
    reason = readable_reason(reason)
    if len(reason) < MIN_REASON or len(_WORD.findall(reason)) < MIN_REASON_WORDS:
        raise EarfulError(
            f"Write why you need to know who wrote this, in words (at least {MIN_REASON} characters "
            "and three words); the reason is kept in the audit log."
        )
    found = sealed_author(db, settings, post_id)
    with db.write() as session:
        audit_repo.append(
            session, actor.id, actor.name, "author.reveal", f"post:{post_id}", {"reason": reason}
        )
    return found


def readable_reason(reason: str) -> str:
    """Return the reason as a reader sees it: composed, without invisible characters, spaces collapsed."""
    text = unicodedata.normalize("NFC", reason)
    visible = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE)
    return " ".join(visible.split())


def sealed_author(db: Database, settings: Settings, post_id: int) -> Author | None:
    """Return the author and original link in the post's sealed raw item (callers check the right)."""
    with db.read() as session:
        post = session.get(Post, post_id)
        if post is None:
            raise NotFound(f"There is no post {post_id}.")
        raw = posts_repo.raws_for(session, [post_id]).get(post_id)
    if raw is None:
        return None
    try:
        payload = orjson.loads(raw_sealer(settings.secret).open(raw.sealed))
        mapped = map_item(RawItem(format=raw.format, external_id=post.external_id, payload=payload))
    except (SealError, ValueError):
        return None
    if isinstance(mapped, str) or mapped is None:
        return None
    return Author(mapped.author_handle, mapped.url)


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure or purge removed."""

    posts: int
    models_dropped: int


def erase_author(db: Database, settings: Settings, actor: Actor, handle: str, source_name: str) -> Erased:
    """Erase one person's posts in one source and everything derived from them.

    The person is found through the keyed pseudonym of the handle given, so the handle itself is
    neither stored nor written to the audit log. Models trained on their labelled posts lose their
    weights and a retrain is queued, so nothing learned from the person's words survives.
    """
    if not can_erase(actor.role):
        raise Forbidden("Erasing a person's data takes the admin role.")
    key = author_key(settings.secret, handle)
    if key is None:
        raise EarfulError("Give the person's handle on that source, as it appears there (with or without @).")
    with db.write() as session:
        source = sources_repo.get_by_name(session, source_name)
        if source is None:
            raise NotFound(f"There is no source {source_name!r}; `earful source list` shows them.")
        ids = list(erasure_repo.author_posts(session, source.id, key))
        result = _erase(session, settings, ids)
        audit_repo.append(
            session,
            actor.id,
            actor.name,
            "author.erase",
            f"source:{source.name}",
            {"posts": result.posts, "models_dropped": result.models_dropped},
        )
    db.scrub()
    return result


def _erase(session: Session, settings: Settings, ids: list[int]) -> Erased:
    dropped = 0
    if erasure_repo.taught_models(session, ids):
        dropped = erasure_repo.drop_model_weights(session)
        enqueue_once(session, settings, TRAIN_JOB_NAME, {}, delay_seconds=0)
    return Erased(erasure_repo.delete_posts(session, ids), dropped)


def purge_expired(db: Database, settings: Settings, now: datetime | None = None, batch: int = 1000) -> Erased:
    """Delete every post older than its source's retention period, with everything derived from it."""
    now = now or utcnow()
    posts = dropped = 0
    with db.read() as session:
        sources = [(s.id, s.name, s.retention_days) for s in erasure_repo.sources_with_retention(session)]
    for source_id, name, days in sources:
        cutoff = now - timedelta(days=int(days or 0))
        while True:
            with db.write() as session:
                ids = list(erasure_repo.expired_posts(session, source_id, cutoff, batch))
                if not ids:
                    break
                result = _erase(session, settings, ids)
                posts += result.posts
                dropped += result.models_dropped
                audit_repo.append(
                    session, None, "retention", "retention.purge", f"source:{name}", {"posts": result.posts}
                )
    if posts:
        db.scrub()
    return Erased(posts, dropped)
