"""Read the feed of posts, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from earful.kit.clock import as_utc
from earful.kit.errors import EarfulError
from earful.store.db import Database
from earful.store.repos import labels as labels_repo
from earful.store.repos import posts as posts_repo


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


@dataclass(frozen=True, slots=True)
class FeedLabel:
    """A category a post is labelled with, and how sure the labeller is."""

    key: str
    name: str
    confidence: float | None


@dataclass(frozen=True, slots=True)
class FeedPage:
    """A page of the feed and the cursor of the next one (None on the last page)."""

    posts: list[FeedPost]
    next_cursor: str | None


def parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """Return the (posted_at, id) a cursor points after; raise a clear error for a mangled one."""
    if not cursor:
        return None
    try:
        stamp, _, post_id = cursor.rpartition("_")
        at = as_utc(datetime.fromisoformat(stamp))
        assert at is not None
        return at, int(post_id)
    except (ValueError, AssertionError):
        raise EarfulError("That page link is not valid any more; start again from the first page.") from None


def feed(db: Database, *, limit: int = 50, cursor: str | None = None) -> FeedPage:
    """Return the newest posts after `cursor`, duplicates folded into their original."""
    limit = max(1, min(limit, 200))
    before = parse_cursor(cursor)
    with db.read() as session:
        rows = posts_repo.feed_page(session, limit=limit + 1, before=before)
        ids = [post.id for post, _, _ in rows[:limit]]
        labels = labels_repo.names_for(session, ids)
        reasons = posts_repo.urgency_reasons(session, ids)
        stories = {post.story_id for post, _, _ in rows[:limit] if post.story_id is not None}
        story_sizes = posts_repo.story_sizes(session, sorted(stories))
    items = [
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
            copies=copies,
            urgency=post.urgency,
            urgency_reasons=tuple(reasons.get(post.id, ())),
            sentiment=post.sentiment,
            categories=tuple(FeedLabel(k, n, c) for k, n, c in labels.get(post.id, [])),
            story_id=post.story_id,
            story_articles=story_sizes.get(post.story_id, 0) if post.story_id is not None else 0,
        )
        for post, source, copies in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = f"{last.posted_at.isoformat()}_{last.id}"
    return FeedPage(items, next_cursor)
