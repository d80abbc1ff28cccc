"""The feed query: filters, full-text search, two sort orders and keyset pages over posts."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, literal_column, or_, select, text, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from earful.kit.search import Query, Term, fts5_expression
from earful.store.models import Category, Label, Post, Source, TriageItem
from earful.store.repos.triage import overdue

# PostgreSQL: the stored search document under the GIN index (migration 0021).
PG_DOCUMENT = "posts.search_vector"
COUNT_CAP = 10_000


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """What the feed shows: every field narrows it; None means no narrowing."""

    source: str | None = None
    region: str | None = None
    language: str | None = None
    category: str | None = None  # a category key (includes its subcategories) or a subcategory key
    sentiment: str | None = None
    min_urgency: float | None = None
    status: str | None = None  # "new" includes posts nobody has touched yet
    since: datetime | None = None
    until: datetime | None = None
    search: Query = ()
    assignee_id: int | None = None
    team_id: int | None = None
    flagged: bool | None = None
    after_id: int | None = None  # only posts stored after this one (the live feed's "what is new")
    overdue_at: datetime | None = None  # only open escalations past a deadline at this time


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A post as the feed lists it, with its source, copy count and triage state."""

    post: Post
    source: Source
    copies: int
    status: str
    assignee_id: int | None
    team_id: int | None
    flagged: bool
    locked_by: int | None
    locked_at: datetime | None
    # An open escalation's deadlines: (acknowledge by, acknowledged at, resolve by, closed at).
    deadlines: tuple[datetime | None, ...] = (None, None, None, None)


def _filtered(
    session: Session,
    f: FeedFilter,
    columns: Sequence[Any],
    originals_only: bool = True,
    category_as_set: bool = False,
) -> Select[Any]:
    """Return the filtered select. `category_as_set` states the category filter as a set of post ids
    (what a count wants: the engine can start from the label index); otherwise as a per-post check
    (what a page in date order wants: the engine walks the date index and stops after a page)."""
    stmt = (
        select(*columns)
        .join(Source, Source.id == Post.source_id)
        .outerjoin(TriageItem, TriageItem.post_id == Post.id)
        .where(Post.text.is_not(None))
    )
    if originals_only:
        stmt = stmt.where(Post.duplicate_of.is_(None))
    # Sources and categories are few: resolve them to ids first, so the engines see plain IN lists.
    if f.source or f.region:
        wanted = select(Source.id)
        if f.source:
            wanted = wanted.where(Source.name == f.source)
        if f.region:
            wanted = wanted.where(Source.region == f.region)
        stmt = stmt.where(Post.source_id.in_(list(session.scalars(wanted)) or [-1]))
    if f.language:
        stmt = stmt.where(Post.language == f.language)
    if f.sentiment:
        stmt = stmt.where(Post.sentiment == f.sentiment)
    if f.min_urgency is not None:
        stmt = stmt.where(Post.urgency >= f.min_urgency)
    if f.since is not None:
        stmt = stmt.where(Post.posted_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(Post.posted_at < f.until)
    if f.after_id is not None:
        stmt = stmt.where(Post.id > f.after_id)
    if f.status == "new":
        stmt = stmt.where(or_(TriageItem.id.is_(None), TriageItem.status == "new"))
    elif f.status:
        stmt = stmt.where(TriageItem.status == f.status)
    if f.assignee_id is not None:
        stmt = stmt.where(TriageItem.assignee_id == f.assignee_id)
    if f.team_id is not None:
        stmt = stmt.where(TriageItem.team_id == f.team_id)
    if f.flagged is not None:
        stmt = stmt.where(TriageItem.flagged.is_(True) if f.flagged else TriageItem.flagged.is_not(True))
    if f.overdue_at is not None:
        stmt = stmt.where(overdue(f.overdue_at))
    if f.category:
        ids = list(session.scalars(category_ids(f.category))) or [-1]
        if category_as_set:
            stmt = stmt.where(
                Post.id.in_(select(Label.post_id).where(Label.category_id.in_(ids), effective_label()))
            )
        else:
            stmt = stmt.where(
                exists().where(Label.post_id == Post.id, Label.category_id.in_(ids), effective_label())
            )
    if f.search:
        stmt = stmt.where(_matches(session, f.search))
    return stmt


def category_ids(category: str) -> Select[Any]:
    """Return the ids of category `category` (a key) and, for a category, of its subcategories."""
    return select(Category.id).where(
        or_(Category.key == category, Category.key.startswith(category + ".", autoescape=True))
    )


def in_category(category: str) -> ColumnElement[bool]:
    """Return the condition that a post counts under `category` (an analyst's labels replace the model's)."""
    return Post.id.in_(
        select(Label.post_id).where(Label.category_id.in_(category_ids(category)), effective_label())
    )


def effective_label() -> ColumnElement[bool]:
    """An analyst's labels replace the model's on a post: a model label counts only when there is none."""
    by_analyst = aliased(Label)
    return or_(
        Label.by == "analyst",
        ~exists().where(by_analyst.post_id == Label.post_id, by_analyst.by == "analyst"),
    )


def _matches(session: Session, query: Query) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "sqlite":
        found = text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH :fts").bindparams(
            fts=fts5_expression(query)
        )
        return Post.id.in_(found.columns(literal_column("rowid")))
    return literal_column(PG_DOCUMENT).op("@@")(_tsquery(query))


def _tsquery(query: Query) -> Any:
    # tsquery_and/or/not are the functions behind PostgreSQL's &&, || and !! tsquery operators.
    def one(term: Term) -> Any:
        if term.prefix:
            # quote_literal makes the word one lexeme, whatever it holds; only ":*" is our syntax.
            found = func.to_tsquery("simple", func.quote_literal(term.words[0]).concat(":*"))
        else:
            found = func.phraseto_tsquery("simple", " ".join(term.words))
        return func.tsquery_not(found) if term.negated else found

    alternatives = []
    for group in query:
        combined = one(group[0])
        for term in group[1:]:
            combined = func.tsquery_and(combined, one(term))
        alternatives.append(combined)
    result = alternatives[0]
    for alternative in alternatives[1:]:
        result = func.tsquery_or(result, alternative)
    return result


def _copies() -> Any:
    dup = aliased(Post)
    return select(func.count()).select_from(dup).where(dup.duplicate_of == Post.id).scalar_subquery()


ROW_COLUMNS = (
    TriageItem.status,
    TriageItem.assignee_id,
    TriageItem.team_id,
    TriageItem.flagged,
    TriageItem.locked_by,
    TriageItem.locked_at,
    TriageItem.ack_due_at,
    TriageItem.acknowledged_at,
    TriageItem.resolve_due_at,
    TriageItem.resolved_at,
)


def page(
    session: Session,
    f: FeedFilter,
    *,
    sort: str,
    limit: int,
    after: tuple[Any, ...] | None = None,
    only_id: int | None = None,
    exclude: Sequence[int] = (),
) -> list[FeedRow]:
    """Return up to `limit` posts in `sort` order ("newest" or "urgency") after the keyset `after`.

    Keyset pagination: `after` is the sort key of the last post shown ((posted_at, id), or
    (urgency, posted_at, id)), so a deep page costs what the first one does.
    """
    if sort == "arrival":
        # The live feed: posts stored after a point, oldest first, so none is skipped when many arrive.
        stmt = _filtered(session, f, (Post, Source, _copies(), *ROW_COLUMNS)).order_by(Post.id)
        if exclude:
            stmt = stmt.where(Post.id.not_in(list(exclude)))
        return _rows(session.execute(stmt.limit(limit)))
    # One post by id, copy or not: the post page shows copies too, with a link to their original.
    stmt = _filtered(session, f, (Post, Source, _copies(), *ROW_COLUMNS), originals_only=only_id is None)
    if only_id is not None:
        stmt = stmt.where(Post.id == only_id)
    if sort == "urgency":
        stmt = stmt.where(Post.urgency.is_not(None)).order_by(
            Post.urgency.desc(), Post.posted_at.desc(), Post.id.desc()
        )
        if after is not None:
            # A row-value comparison: both engines walk the index from the cursor on.
            stmt = stmt.where(tuple_(Post.urgency, Post.posted_at, Post.id) < tuple_(*after))
    else:
        stmt = stmt.order_by(Post.posted_at.desc(), Post.id.desc())
        if after is not None:
            stmt = stmt.where(tuple_(Post.posted_at, Post.id) < tuple_(*after))
    return _rows(session.execute(stmt.limit(limit)))


def _row(post: Post, source: Source, copies: Any, triage: Sequence[Any]) -> FeedRow:
    status, assignee, team, flagged, locker, locked, *deadlines = triage
    return FeedRow(
        post,
        source,
        int(copies),
        status or "new",
        assignee,
        team,
        bool(flagged),
        locker,
        locked,
        tuple(deadlines),
    )


def _rows(rows: Any) -> list[FeedRow]:
    return [_row(post, source, copies, triage) for post, source, copies, *triage in rows]


def first_pending_id(session: Session, after_id: int, captured_since: datetime) -> int | None:
    """Return the lowest id above `after_id` of a post captured since then and not yet enriched."""
    return session.scalar(
        select(func.min(Post.id)).where(
            Post.id > after_id, Post.text.is_(None), Post.captured_at >= captured_since
        )
    )


def matching_ids(session: Session, f: FeedFilter) -> Select[Any]:
    """Return the select of the ids of the original posts that match `f` (to narrow another query)."""
    return _filtered(session, f, (Post.id,), category_as_set=True)


def count(session: Session, f: FeedFilter, cap: int = COUNT_CAP) -> int:
    """Return how many posts match, counting at most `cap` + 1 (so a broad search stays quick)."""
    inner = _filtered(session, f, (Post.id,), category_as_set=True).limit(cap + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def count_within(session: Session, f: FeedFilter, seconds: float, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """Count what `count` counts for at most about `seconds`; return (posts counted, whether that
    is all of them, up to `cap` + 1).

    The matches are read in chunks and counted as they come, so a count cut short still says how
    many were found. PostgreSQL reads them through a cursor, whose plan favours the first rows,
    with a statement timeout on each fetch; SQLite is interrupted by a progress handler.
    """
    stmt = _filtered(session, f, (Post.id,), category_as_set=True).limit(cap + 1)
    deadline = time.monotonic() + seconds
    postgres = session.get_bind().dialect.name == "postgresql"
    raw = session.connection().connection.dbapi_connection
    if postgres:
        # The timeout is the whole budget: a fetch that runs past it is cancelled.
        session.execute(text(f"SET LOCAL statement_timeout = {max(1, round(seconds * 1000))}"))
    else:
        raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)  # type: ignore[union-attr]
    counted = 0
    try:
        result = session.execute(stmt.execution_options(stream_results=True, yield_per=250))
        for chunk in result.partitions():
            counted += len(chunk)
            if time.monotonic() > deadline:
                result.close()
                return counted, False
        return counted, True
    except OperationalError as exc:
        # Cancelled by the timeout or interrupted by the handler; anything else is a real error.
        if not _cut_short(exc):
            raise
        session.rollback()
        return counted, False
    finally:
        if postgres:
            if session.in_transaction():
                session.execute(text("SET LOCAL statement_timeout = 0"))
        else:
            raw.set_progress_handler(None, 0)  # type: ignore[union-attr]


def _cut_short(exc: OperationalError) -> bool:
    """Tell whether `exc` is the driver saying a statement was stopped on purpose: PostgreSQL's
    query_canceled (SQLSTATE 57014, the statement timeout) or SQLite's SQLITE_INTERRUPT (the
    progress handler), by their codes rather than their messages' wording."""
    driver = exc.orig
    return getattr(driver, "sqlstate", None) == "57014" or (
        getattr(driver, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT
    )


def newest_id(session: Session) -> int:
    """Return the id of the newest enriched post, or 0 (the live feed's starting point)."""
    return int(session.scalar(select(func.max(Post.id)).where(Post.text.is_not(None))) or 0)


def facets(session: Session) -> dict[str, list[str]]:
    """Return the values the feed's filter menus offer: sources and regions."""
    sources = session.scalars(select(Source.name).order_by(Source.name)).all()
    regions = session.scalars(
        select(Source.region).where(Source.region.is_not(None)).distinct().order_by(Source.region)
    ).all()
    return {"sources": list(sources), "regions": [r for r in regions if r]}


def rows_for(session: Session, posts: Sequence[Post]) -> list[FeedRow]:
    """Return feed rows for already loaded posts (their copies and triage state looked up)."""
    if not posts:
        return []
    ids = [p.id for p in posts]
    stmt = (
        select(Post.id, Source, _copies(), *ROW_COLUMNS)
        .join(Source, Source.id == Post.source_id)
        .outerjoin(TriageItem, TriageItem.post_id == Post.id)
        .where(Post.id.in_(ids))
    )
    extra = {row[0]: row[1:] for row in session.execute(stmt)}
    return [_row(post, extra[post.id][0], extra[post.id][1], extra[post.id][2:]) for post in posts]
