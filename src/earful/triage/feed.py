"""Read the feed: filtered, searched, sorted by newest or urgency, a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from earful.kit.clock import as_utc, utcnow
from earful.kit.errors import EarfulError, NotFound
from earful.store.db import Database
from earful.store.repos import feed as feed_repo
from earful.store.repos import insights as insights_repo
from earful.store.repos import labels as labels_repo
from earful.store.repos import posts as posts_repo
from earful.store.repos import triage as triage_repo
from earful.store.repos.feed import FeedFilter, FeedRow

SORTS = ("newest", "urgency")  # "arrival" (id order) serves only the live feed
STATUSES = ("new", "investigating", "escalated", "resolved", "dismissed")
SENTIMENTS = ("positive", "neutral", "complaint")


@dataclass(frozen=True, slots=True)
class FeedLabel:
    """A category a post is labelled with, and how sure the labeller is."""

    key: str
    name: str
    confidence: float | None


@dataclass(frozen=True, slots=True)
class FeedPost:
    """One line of the feed."""

    id: int
    source: str
    region: str | None
    language: str | None
    posted_at: datetime
    title: str | None
    text: str
    url: str | None
    author_key: str | None
    copies: int
    urgency: float | None = None
    urgency_reasons: tuple[str, ...] = ()
    sentiment: str | None = None
    categories: tuple[FeedLabel, ...] = ()
    story_id: int | None = None
    story_articles: int = 0  # how many articles, from all outlets, report this post's story
    status: str = "new"
    # An escalation's clock, for the queues: the next deadline still open, and whether it has passed.
    due: str | None = None  # "acknowledge" or "resolve"
    due_at: datetime | None = None
    overdue: bool = False
    assignee: str | None = None
    flagged: bool = False
    locked_by: str | None = None  # who has the post open (a fresh lock only)


@dataclass(frozen=True, slots=True)
class FeedPage:
    """A page of the feed and the cursor of the next one (None on the last page)."""

    posts: list[FeedPost]
    next_cursor: str | None


def parse_cursor(cursor: str | None, sort: str = "newest") -> tuple[object, ...] | None:
    """Return the sort key a cursor points after; raise a clear error for a mangled one."""
    if not cursor:
        return None
    try:
        parts = cursor.split("_")
        if sort == "urgency":
            urgency, stamp, post_id = float(parts[0]), parts[1], parts[2]
        else:
            stamp, post_id = parts[-2], parts[-1]
        at = as_utc(datetime.fromisoformat(stamp))
        assert at is not None
        return (urgency, at, int(post_id)) if sort == "urgency" else (at, int(post_id))
    except (ValueError, AssertionError, IndexError):
        raise EarfulError("That page link is not valid any more; start again from the first page.") from None


def _cursor(post: FeedPost, sort: str) -> str:
    stamp = post.posted_at.isoformat()
    return f"{post.urgency!r}_{stamp}_{post.id}" if sort == "urgency" else f"{stamp}_{post.id}"


def feed(
    db: Database,
    *,
    limit: int = 50,
    cursor: str | None = None,
    where: FeedFilter | None = None,
    sort: str = "newest",
    lock_fresh_after: datetime | None = None,
) -> FeedPage:
    """Return a page of posts matching `where`, duplicates folded into their original."""
    if sort not in SORTS:
        raise EarfulError(f"Sort by one of: {', '.join(SORTS)}.")
    limit = max(1, min(limit, 200))
    after = parse_cursor(cursor, sort)
    with db.read() as session:
        rows = feed_repo.page(session, where or FeedFilter(), sort=sort, limit=limit + 1, after=after)
        items = _decorate(session, rows[:limit], lock_fresh_after)
    next_cursor = _cursor(items[-1], sort) if len(rows) > limit else None
    return FeedPage(items, next_cursor)


# How long the feed's match preview counts before it answers with what it found so far.
PREVIEW_SECONDS = 0.1


def count(db: Database, where: FeedFilter) -> int:
    """Return how many posts match (capped at feed_repo.COUNT_CAP + 1); see `preview_count`."""
    counted, _ = preview_count(db, where, None)
    return counted


def preview_count(db: Database, where: FeedFilter, seconds: float | None) -> tuple[int, bool]:
    """Return how many posts match (capped at feed_repo.COUNT_CAP + 1) and whether that is all of
    them: counting stops after about `seconds` (None: never) and says how many it found by then.

    A filter by source, region, sentiment, category and dates only is answered from the Insights
    rollups, which count exactly those (fresh ones: days changed since are counted again first):
    counting ten thousand matches one by one took seconds at millions of posts. Any other filter
    (a search, urgency, status, a person's queue) is counted over the posts.
    """
    with db.read() as session:
        span = insights_repo.countable_span(session, where)
        if span is None:
            if seconds is None:
                return feed_repo.count(session, where), True
            return feed_repo.count_within(session, where, seconds)
        stale = insights_repo.stale_days(session, *span)
    if stale:
        with db.write() as session:
            insights_repo.refresh_rollups(session, insights_repo.stale_days(session, *span))
    with db.read() as session:
        return min(insights_repo.rolled_count(session, where, span), feed_repo.COUNT_CAP + 1), True


def newest_id(db: Database) -> int:
    """Return the id of the newest enriched post."""
    with db.read() as session:
        return feed_repo.newest_id(session)


def arrived(
    db: Database, where: FeedFilter, after_id: int, limit: int = 50, exclude: Sequence[int] = ()
) -> list[FeedPost]:
    """Return posts matching `where` stored after post `after_id` and not in `exclude`, oldest first."""
    with db.read() as session:
        rows = feed_repo.page(
            session, replace(where, after_id=after_id), sort="arrival", limit=limit, exclude=exclude
        )
        return _decorate(session, rows, None)


def posts_by_ids(
    db: Database, post_ids: Sequence[int], lock_fresh_after: datetime | None = None
) -> list[FeedPost]:
    """Return these posts as feed lines, in the order given (ids with no post are left out)."""
    with db.read() as session:
        found = {p.id: p for p in posts_repo.get_many(session, post_ids)}
        posts = [found[pid] for pid in post_ids if pid in found]
        return _decorate(session, feed_repo.rows_for(session, posts), lock_fresh_after)


# A post still unenriched this long after capture is stuck (its enrichment failed and it waits in
# quarantine); the live feed stops waiting for it.
PENDING_PATIENCE = timedelta(minutes=10)


def settled_up_to(db: Database, floor: int, highest_seen: int) -> int:
    """Return the id up to which every post has been enriched or given up on: the live feed shows
    nothing at or below it again, however out of order enrichment finished."""
    with db.read() as session:
        pending = feed_repo.first_pending_id(session, floor, utcnow() - PENDING_PATIENCE)
    if pending is None:
        return max(floor, highest_seen)
    return max(floor, min(pending - 1, highest_seen))


def facets(db: Database) -> dict[str, list[str]]:
    """Return the sources and regions the filter menus offer."""
    with db.read() as session:
        return feed_repo.facets(session)


def _decorate(session: Session, rows: list[FeedRow], lock_fresh_after: datetime | None) -> list[FeedPost]:
    ids = [row.post.id for row in rows]
    labels = labels_repo.names_for(session, ids)
    reasons = posts_repo.urgency_reasons(session, ids)
    stories = sorted({row.post.story_id for row in rows if row.post.story_id is not None})
    story_sizes = posts_repo.story_sizes(session, stories)
    people = {row.assignee_id for row in rows if row.assignee_id} | {
        row.locked_by for row in rows if row.locked_by
    }
    names = triage_repo.user_names(session, sorted(p for p in people if p is not None))
    items = []
    for row in rows:
        post, source = row.post, row.source
        locked = (
            row.locked_by is not None
            and row.locked_at is not None
            and (lock_fresh_after is None or (as_utc(row.locked_at) or row.locked_at) >= lock_fresh_after)
        )
        items.append(
            FeedPost(
                id=post.id,
                source=source.name,
                region=source.region,
                language=post.language,
                posted_at=as_utc(post.posted_at) or post.posted_at,
                title=post.title,
                text=post.text or "",
                url=post.url,
                author_key=post.author_key,
                copies=row.copies,
                urgency=post.urgency,
                urgency_reasons=tuple(reasons.get(post.id, ())),
                sentiment=post.sentiment,
                categories=tuple(FeedLabel(k, n, c) for k, n, c in labels.get(post.id, [])),
                story_id=post.story_id,
                story_articles=story_sizes.get(post.story_id, 0) if post.story_id is not None else 0,
                status=row.status,
                assignee=names.get(row.assignee_id) if row.assignee_id else None,
                flagged=row.flagged,
                locked_by=names.get(row.locked_by) if locked and row.locked_by else None,
            )
        )
        due = _next_deadline(row)
        if due is not None:
            items[-1] = replace(items[-1], due=due[0], due_at=due[1], overdue=utcnow() > due[1])
    return items


def _next_deadline(row: FeedRow) -> tuple[str, datetime] | None:
    """Return an open escalation's next deadline (which, and when), or None."""
    ack_due, acknowledged, resolve_due, closed = (as_utc(d) for d in row.deadlines)
    if closed is not None or row.status in ("resolved", "dismissed"):
        return None
    if ack_due is not None and acknowledged is None:
        return "acknowledge", ack_due
    return ("resolve", resolve_due) if resolve_due is not None else None


@dataclass(frozen=True, slots=True)
class PostLabel:
    """A label on the post page: who gave it, under which taxonomy version, how sure."""

    key: str
    name: str
    confidence: float | None
    by: str
    taxonomy_version: int
    model: str | None


@dataclass(frozen=True, slots=True)
class PostDetail:
    """Everything the post page shows besides its triage state and timeline."""

    post: FeedPost
    labels: list[PostLabel]
    copies: list[FeedPost]
    similar: list[FeedPost]
    original_id: int | None  # set when this post is itself a copy


def detail(db: Database, post_id: int) -> PostDetail:
    """Return the post with its labels, its duplicate group and similar posts."""
    with db.read() as session:
        rows = feed_repo.page(session, FeedFilter(), sort="newest", limit=1, only_id=post_id)
        if not rows:
            raise NotFound(f"There is no post {post_id}, or it is still being processed.")
        (item,) = _decorate(session, rows, None)
        labels = [PostLabel(*row) for row in labels_repo.details_for(session, post_id)]
        copies = _decorate(session, feed_repo.rows_for(session, posts_repo.copies_of(session, post_id)), None)
        similar = _decorate(
            session, feed_repo.rows_for(session, posts_repo.similar_to(session, post_id)), None
        )
        original = rows[0].post.duplicate_of
    return PostDetail(item, labels, copies, similar, original)
