"""Posts and their raw items: bulk idempotent capture, enrichment writes, the feed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from earful.store.models import Enrichment, Post, PostBand, RawItem
from earful.store.repos.bulk import Packed, RowPacker, bulk_insert_ignoring, insert_for

# Bulk UPDATE/DELETE by key: skip SQLAlchemy's search of the identity map for rows to refresh,
# which costs O(loaded objects) per statement (quadratic over a batch); callers re-read instead.
NO_SYNC = {"synchronize_session": False}

# The columns capture writes; everything else is filled in by enrichment.
CAPTURE_COLUMNS = (
    "source_id",
    "external_id",
    "kind",
    "url",
    "author_key",
    "language",
    "posted_at",
    "captured_at",
    "engagement",
    "reply_to",
    "repost_of",
)


def capture_packer(dialect: Dialect) -> RowPacker:
    """Return a packer of captured posts (dicts with the CAPTURE_COLUMNS) for `insert_new`."""
    return RowPacker(Post, dialect, CAPTURE_COLUMNS)


def insert_new(session: Session, rows: Sequence[Mapping[str, Any]] | Packed) -> dict[str, int]:
    """Insert posts that are not stored yet; return {external_id: new post id} for those inserted.

    Rows whose (source_id, external_id) already exist are skipped by the database itself, so
    concurrent or repeated imports never create a second copy.
    """
    if not (rows.rows if isinstance(rows, Packed) else rows):
        return {}
    new = bulk_insert_ignoring(
        session, Post, rows, ["source_id", "external_id"], returning=["id", "external_id"]
    )
    return {external_id: post_id for post_id, external_id in new}


RAW_COLUMNS = ("post_id", "format", "sealed", "received_at")


def insert_raw(session: Session, items: Sequence[tuple[int, str, bytes]], received_at: datetime) -> None:
    """Store raw items, each (post id, format, sealed payload), skipping any already kept."""
    packer = RowPacker(RawItem, session.get_bind().dialect, RAW_COLUMNS)
    at = packer.convert("received_at", received_at)
    rows = Packed(RAW_COLUMNS, [(post_id, fmt, sealed, at) for post_id, fmt, sealed in items])
    bulk_insert_ignoring(session, RawItem, rows, ["post_id"])


def get_many(session: Session, post_ids: Sequence[int]) -> Sequence[Post]:
    """Return the posts with these ids."""
    return session.scalars(select(Post).where(Post.id.in_(post_ids)).order_by(Post.id)).all()


def raws_for(session: Session, post_ids: Sequence[int]) -> dict[int, RawItem]:
    """Return the raw items of these posts, by post id, in one query per 5,000."""
    found: dict[int, RawItem] = {}
    for chunk in _chunks(list(post_ids)):
        for raw in session.scalars(select(RawItem).where(RawItem.post_id.in_(chunk))):
            found[raw.post_id] = raw
    return found


def enrichments_for(session: Session, post_ids: Sequence[int]) -> dict[int, dict[str, Enrichment]]:
    """Return stored enrichments keyed by post id, then stage name."""
    found: dict[int, dict[str, Enrichment]] = {pid: {} for pid in post_ids}
    for row in session.scalars(select(Enrichment).where(Enrichment.post_id.in_(post_ids))):
        found[row.post_id][row.stage] = row
    return found


def save_enrichments(
    session: Session, rows: Sequence[tuple[int, str, int, dict[str, Any]]], now: datetime
) -> None:
    """Record stages' outputs, (post id, stage, version, outputs) each, replacing older versions'."""
    if not rows:
        return
    stmt = insert_for(session, Enrichment)
    stmt = stmt.on_conflict_do_update(
        index_elements=["post_id", "stage"],
        set_={
            "version": stmt.excluded.version,
            "outputs": stmt.excluded.outputs,
            "created_at": stmt.excluded.created_at,
        },
    )
    session.execute(
        stmt,
        [
            {"post_id": post_id, "stage": stage, "version": version, "outputs": outputs, "created_at": now}
            for post_id, stage, version, outputs in rows
        ],
    )


def update_enriched(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write what enrichment derived to each post; every row has `post_id` and the same columns."""
    if not rows:
        return
    table = cast(Table, Post.__table__)
    columns = [name for name in rows[0] if name != "post_id"]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("post_id"))
        .values({name: bindparam(name) for name in columns})
    )
    session.connection().execute(stmt, list(rows))


def fold_duplicates(session: Session, fingerprints: Mapping[int, str | None]) -> None:
    """Fold each post into its copies' group, {post id: group fingerprint}, pointing every copy at
    the group's original.

    The original of a group is its earliest-posted member, whatever order copies arrive in: when
    an older copy turns up late (a backfill, a repost imported before its source), the whole group
    is re-pointed to it. Set-based: one read of the groups concerned and one batch of updates.
    """
    wanted = sorted({fp for fp in fingerprints.values() if fp})
    members: dict[str, list[tuple[datetime, int, int | None]]] = {}
    for chunk in _chunks(wanted):
        for pid, fp, at, dup in session.execute(
            select(Post.id, Post.fingerprint, Post.posted_at, Post.duplicate_of).where(
                Post.fingerprint.in_(chunk)
            )
        ):
            members.setdefault(str(fp), []).append((at, pid, dup))
    changes: dict[int, int | None] = {pid: None for pid, fp in fingerprints.items() if not fp}
    for group in members.values():
        original = min(group)[1]
        for _, pid, dup in group:
            target = None if pid == original else original
            if dup != target or pid in fingerprints:
                changes[pid] = target
    if changes:
        table = cast(Table, Post.__table__)
        session.connection().execute(
            update(table).where(table.c.id == bindparam("pid")).values(duplicate_of=bindparam("dup")),
            [{"pid": pid, "dup": dup} for pid, dup in changes.items()],
        )


def set_fields(session: Session, post_id: int, **fields: Any) -> None:
    """Update columns of one post."""
    session.execute(update(Post).where(Post.id == post_id).values(**fields), execution_options=NO_SYNC)


def ids_needing_enrichment(session: Session, after_id: int, limit: int) -> Sequence[int]:
    """Return up to `limit` post ids greater than `after_id`, in id order (for re-running the chain)."""
    return session.scalars(select(Post.id).where(Post.id > after_id).order_by(Post.id).limit(limit)).all()


def count_posts(session: Session) -> int:
    """Return how many posts are stored."""
    return int(session.scalar(select(func.count(Post.id))) or 0)


def urgency_reasons(session: Session, post_ids: Sequence[int]) -> dict[int, list[str]]:
    """Return the urgency stage's reasons for each of these posts that has any."""
    rows = session.execute(
        select(Enrichment.post_id, Enrichment.outputs).where(
            Enrichment.post_id.in_(post_ids), Enrichment.stage == "urgency"
        )
    )
    return {pid: list(out.get("urgency_reasons") or []) for pid, out in rows if out.get("urgency_reasons")}


def replace_bands(session: Session, bands: dict[int, Sequence[str]]) -> None:
    """Set the near-duplicate band keys of these posts, {post id: keys}."""
    ids = list(bands)
    for chunk in _chunks(ids):
        session.execute(delete(PostBand).where(PostBand.post_id.in_(chunk)), execution_options=NO_SYNC)
    rows = [{"post_id": pid, "band": band} for pid, keys in bands.items() for band in keys]
    if rows:
        session.execute(insert(PostBand), rows)


def band_neighbours(
    session: Session, bands: dict[int, Sequence[str]], limit: int = 50
) -> dict[int, list[int]]:
    """Return, for each post, up to `limit` other posts sharing band keys with it, most shared first."""
    wanted = sorted({band for keys in bands.values() for band in keys})
    holders: dict[str, list[int]] = {}
    for chunk in _chunks(wanted):
        for pid, band in session.execute(
            select(PostBand.post_id, PostBand.band).where(PostBand.band.in_(chunk))
        ):
            holders.setdefault(band, []).append(pid)
    found: dict[int, list[int]] = {}
    for post_id, keys in bands.items():
        shared: dict[int, int] = {}
        for band in keys:
            for other in holders.get(band, ()):
                if other != post_id:
                    shared[other] = shared.get(other, 0) + 1
        found[post_id] = sorted(shared, key=lambda other: (-shared[other], other))[:limit]
    return found


def signatures(session: Session, post_ids: Sequence[int]) -> dict[int, tuple[list[int] | None, str | None]]:
    """Return each post's near-duplicate signature and group fingerprint."""
    found: dict[int, tuple[list[int] | None, str | None]] = {}
    for chunk in _chunks(list(post_ids)):
        rows = session.execute(
            select(Post.id, Post.fingerprint, Enrichment.outputs)
            .join(Enrichment, (Enrichment.post_id == Post.id) & (Enrichment.stage == "neardup"))
            .where(Post.id.in_(chunk))
        )
        for pid, fingerprint, outputs in rows:
            found[pid] = ((outputs or {}).get("signature"), fingerprint)
    return found


def _chunks(values: Sequence[Any], size: int = 5000) -> list[Sequence[Any]]:
    # SQLite allows at most 32,766 bound parameters in one statement.
    return [values[i : i + size] for i in range(0, len(values), size)]


def newest_ids_since(session: Session, since: datetime, limit: int) -> Sequence[int]:
    """Return the ids of the newest `limit` posts posted at or after `since`, newest first."""
    return session.scalars(
        select(Post.id)
        .where(Post.posted_at >= since)
        .order_by(Post.posted_at.desc(), Post.id.desc())
        .limit(limit)
    ).all()


def story_candidates(
    session: Session, start: datetime, end: datetime, limit: int = 2000
) -> list[tuple[int, int, dict[str, float], datetime]]:
    """Return (post id, story id, story terms, posted at) of the newest articles posted in [start, end]."""
    rows = session.execute(
        select(Post.id, Post.story_id, Enrichment.outputs, Post.posted_at)
        .join(Enrichment, (Enrichment.post_id == Post.id) & (Enrichment.stage == "story"))
        .where(Post.story_id.is_not(None), Post.posted_at >= start, Post.posted_at <= end)
        .order_by(Post.posted_at.desc())
        .limit(limit)
    )
    return [
        (pid, int(story), dict((outputs or {}).get("story_terms") or {}), at)
        for pid, story, outputs, at in rows
        if story is not None and (outputs or {}).get("story_terms")
    ]


def set_stories(session: Session, stories: Mapping[int, int | None]) -> None:
    """Set the story of each post, {post id: story id or None}."""
    if stories:
        table = cast(Table, Post.__table__)
        session.connection().execute(
            update(table).where(table.c.id == bindparam("pid")).values(story_id=bindparam("story")),
            [{"pid": pid, "story": story} for pid, story in stories.items()],
        )


def story_sizes(session: Session, story_ids: Sequence[int]) -> dict[int, int]:
    """Return how many articles each story has."""
    if not story_ids:
        return {}
    rows = session.execute(
        select(Post.story_id, func.count()).where(Post.story_id.in_(story_ids)).group_by(Post.story_id)
    )
    return {int(story): int(n) for story, n in rows if story is not None}


def copies_of(session: Session, post_id: int, limit: int = 20) -> Sequence[Post]:
    """Return the posts folded into this one as copies, oldest first."""
    return session.scalars(
        select(Post).where(Post.duplicate_of == post_id).order_by(Post.posted_at, Post.id).limit(limit)
    ).all()


def similar_to(session: Session, post_id: int, limit: int = 5) -> Sequence[Post]:
    """Return enriched original posts sharing the most near-duplicate bands with this one."""
    keys = session.scalars(select(PostBand.band).where(PostBand.post_id == post_id)).all()
    if not keys:
        return []
    neighbours = band_neighbours(session, {post_id: keys}, limit=limit * 4).get(post_id, [])
    if not neighbours:
        return []
    found = {
        p.id: p
        for p in session.scalars(
            select(Post).where(Post.id.in_(neighbours), Post.text.is_not(None), Post.duplicate_of.is_(None))
        )
    }
    return [found[pid] for pid in neighbours if pid in found][:limit]


def existing_ids(session: Session, post_ids: Sequence[int]) -> set[int]:
    """Return which of these post ids still exist."""
    found: set[int] = set()
    for chunk in _chunks(list(post_ids)):
        found.update(session.scalars(select(Post.id).where(Post.id.in_(chunk))))
    return found
