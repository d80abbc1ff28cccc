"""Poll live sources: resume from the cursor, store each page with its cursor, and keep health.

Each page's posts and the cursor after it are committed together, so a poll killed at any moment
resumes exactly where its last committed page ended: nothing lost, nothing stored twice (and the
unique (source, external id) index would refuse a second copy anyway).

What a failure does:
- rate limited (429, or the platform's budget spent): wait as long as it says; not a failure;
- credentials refused (401/403): the source is disabled with the reason, for a person to fix;
- unreachable or 5xx: back off exponentially (with jitter) and try again;
- an unreadable body: quarantined with its reason, then back off like a failure.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from earful.connectors import live
from earful.connectors.files import map_item
from earful.connectors.live import x as x_connector
from earful.connectors.live.http import AuthFailed, Http, Malformed, RateLimited, SourceError
from earful.contracts import PostDraft, RawItem, Rejected
from earful.ingest.policies import require_collectable
from earful.ingest.schemas import POLL_JOB
from earful.ingest.service import store_entries
from earful.ingest.sources import stored_amount
from earful.jobs.queue import enqueue
from earful.kit.clock import as_utc, utcnow
from earful.kit.errors import EarfulError, NotFound
from earful.kit.search import Query, matches, parse
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Source
from earful.store.repos import audit as audit_repo
from earful.store.repos import quarantine as quarantine_repo
from earful.store.repos import sources as sources_repo
from earful.store.sealing import quarantine_sealer

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 300  # seconds between polls
DEFAULT_RATE = 30  # requests per minute, at most
DEFAULT_MAX_PAGES = 10  # per poll; the next poll goes on from there
MAX_BACKOFF = 6 * 3600


@dataclass(slots=True)
class PollResult:
    """What one poll did."""

    source: str
    pages: int = 0
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    skipped: int = 0
    quarantined: int = 0
    requests: int = 0
    outcome: str = "ok"  # ok, rate-limited, disabled, failed, skipped
    message: str = ""
    next_poll_at: datetime | None = None
    skip_reasons: dict[str, int] = field(default_factory=dict)


def interval(source: Source) -> int:
    """Return the seconds between the source's polls (the default for a value that is not a
    positive number: one stored before settings were checked must not stop every poll)."""
    return int(stored_amount(source.settings, "interval_seconds", DEFAULT_INTERVAL))


def backoff_seconds(failures: int, base: int) -> float:
    """Return the wait after `failures` failures in a row: doubling from `base`, with jitter, capped."""
    return float(min(MAX_BACKOFF, base * 2 ** max(failures - 1, 0))) * random.uniform(0.8, 1.2)


def poll(db: Database, settings: Settings, source_id: int, max_pages: int | None = None) -> PollResult:
    """Poll one source from its cursor and record how it went."""
    with db.read() as session:
        source = sources_repo.get(session, source_id)
        if source is None:
            raise NotFound(f"There is no source {source_id}.")
    result = PollResult(source.name)
    if not source.enabled:
        result.outcome, result.message = "skipped", "the source is disabled"
        return result
    require_collectable(source)
    connector = live.get(source.kind)
    config = dict(source.settings or {})
    target = live.Target(source.name, config, settings)
    cursor: dict[str, Any] = dict(source.cursor or {})
    cap = config.get("monthly_read_cap")
    reads = (cursor.get("reads") or {}).get("count", 0)
    if cap and reads >= int(cap) and (cursor.get("reads") or {}).get("month") == utcnow().strftime("%Y-%m"):
        return _finish(db, source, result, "skipped", f"monthly read cap of {cap} reached", _next_month())
    try:
        wanted = parse(str(config.get("filter") or ""))
    except EarfulError as exc:
        return _finish(db, source, result, "skipped", f"its filter cannot be read: {exc.message}", _later(1))
    rate = float(config.get("rate_per_minute") or DEFAULT_RATE)
    pages_allowed = max_pages or int(config.get("max_pages") or DEFAULT_MAX_PAGES)
    origin = f"poll:{source.name}"
    # The source's rate limit holds across polls too: wait out what is left of it since the last.
    last = as_utc(source.last_polled_at)
    if last is not None:
        rest = 60.0 / rate - (utcnow() - last).total_seconds()
        if rest > 0:
            time.sleep(rest)
    try:
        with Http(min_interval=60.0 / rate, allow_private=settings.allow_private_addresses) as http:
            while result.pages < pages_allowed:
                wait = http.exhausted()
                if wait is not None:
                    raise RateLimited(wait, f"the platform's rate limit is spent; waiting {wait:.0f} s")
                if cap and int((cursor.get("reads") or {}).get("count", 0)) >= int(cap):
                    break  # the month's read cap is reached: the next poll says so
                page = connector.poll(http, target, cursor)
                result.pages += 1
                new_cursor = page.cursor

                def keep_cursor(session: Session, cursor_after: dict[str, Any] = new_cursor) -> None:
                    sources_repo.set_fields(session, source.id, cursor=cursor_after)

                entries, unmatched = _filtered(page.entries, wanted)
                stored = store_entries(db, settings, source, entries, origin, also=keep_cursor)
                if unmatched:
                    result.skipped += unmatched
                    reason = "did not match the source's filter"
                    result.skip_reasons[reason] = result.skip_reasons.get(reason, 0) + unmatched
                cursor = new_cursor
                result.read += stored.read
                result.imported += stored.imported
                result.duplicates += stored.duplicates
                result.skipped += stored.skipped
                result.quarantined += stored.quarantined
                for reason, n in stored.skip_reasons.items():
                    result.skip_reasons[reason] = result.skip_reasons.get(reason, 0) + n
                if not page.more:
                    break
            result.requests = http.requests
    except RateLimited as exc:
        return _finish(
            db, source, result, "rate-limited", str(exc), utcnow() + timedelta(seconds=exc.retry_after)
        )
    except AuthFailed as exc:
        return _disable(db, source, result, str(exc))
    except Malformed as exc:
        with db.write() as session:
            quarantine_repo.add_many(
                session,
                source.id,
                origin,
                [("response", str(exc), exc.body[:65536])],
                utcnow(),
                quarantine_sealer(settings.secret),
            )
        result.quarantined += 1
        return _failed(db, source, result, str(exc))
    except SourceError as exc:
        return _failed(db, source, result, str(exc))
    except Exception as exc:
        log.warning("poll of %s failed unexpectedly", source.name, exc_info=True)
        return _failed(
            db, source, result, f"unexpected {type(exc).__name__} while polling; see the worker log"
        )
    more_waiting = result.pages >= pages_allowed
    when = utcnow() + timedelta(seconds=5 if more_waiting else interval(source))
    return _finish(db, source, result, "ok", "", when, success=True)


def _later(hours: float) -> datetime:
    return utcnow() + timedelta(hours=hours)


def _filtered(entries: list[RawItem | Rejected], wanted: Query) -> tuple[list[RawItem | Rejected], int]:
    """Return the entries whose post satisfies the source's `filter` (Earful's search language),
    and how many were left out. Unreadable entries pass, to be quarantined with their reason."""
    if not wanted:
        return entries, 0
    kept: list[RawItem | Rejected] = []
    for entry in entries:
        if isinstance(entry, RawItem):
            try:
                draft = map_item(entry)
            except ValueError:
                draft = None
            if isinstance(draft, PostDraft) and not matches(wanted, f"{draft.title or ''} {draft.text}"):
                continue
        kept.append(entry)
    return kept, len(entries) - len(kept)


def _next_month() -> datetime:
    now = utcnow()
    return (now.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _finish(
    db: Database,
    source: Source,
    result: PollResult,
    outcome: str,
    message: str,
    next_at: datetime,
    *,
    success: bool = False,
    failures: int | None = None,
) -> PollResult:
    now = utcnow()
    fields: dict[str, Any] = {"next_poll_at": next_at, "last_polled_at": now}
    if success:
        fields.update(last_success_at=now, last_error=None, failures=0)
    else:
        fields["last_error"] = message
    if failures is not None:
        fields["failures"] = failures
    with db.write() as session:
        sources_repo.set_fields(session, source.id, **fields)
    result.outcome, result.message, result.next_poll_at = outcome, message, next_at
    return result


def _failed(db: Database, source: Source, result: PollResult, message: str) -> PollResult:
    failures = source.failures + 1
    wait = backoff_seconds(failures, min(interval(source), 60))
    return _finish(
        db, source, result, "failed", message, utcnow() + timedelta(seconds=wait), failures=failures
    )


def _disable(db: Database, source: Source, result: PollResult, message: str) -> PollResult:
    with db.write() as session:
        sources_repo.set_fields(
            session, source.id, enabled=False, last_error=message, last_polled_at=utcnow()
        )
        audit_repo.append(
            session, None, "poller", "source.disabled", f"source:{source.name}", {"reason": message}
        )
    result.outcome, result.message = "disabled", message
    return result


def schedule_due(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Queue a poll for every enabled live source that is due; return how many were queued.

    Claiming a source moves its `next_poll_at` past the interval in the same transaction, so
    several workers scheduling at once queue each poll once; the poll sets the real next time.
    """
    now = now or utcnow()
    kinds = set(live.connectors())
    queued = 0
    with db.write() as session:
        for source in sources_repo.due_for_poll(session, now, sorted(kinds)):
            if not source.settings:
                continue  # imported into, not polled
            try:
                live.get(source.kind).check(dict(source.settings), settings)
            except ValueError as exc:
                # Misconfigured (or its credentials were removed): say so, and look again in an hour.
                later = now + timedelta(hours=1)
                sources_repo.set_fields(
                    session, source.id, last_error=f"not polled: {exc}", next_poll_at=later
                )
                continue
            sources_repo.set_fields(
                session, source.id, next_poll_at=now + timedelta(seconds=interval(source) + 60)
            )
            enqueue(session, settings, POLL_JOB, {"source_id": source.id})
            queued += 1
    return queued


def _named(db: Database, name: str) -> Source:
    with db.read() as session:
        source = sources_repo.get_by_name(session, name)
    if source is None:
        raise NotFound(f"There is no source {name!r}; `earful sources` lists them.")
    if source.kind not in live.connectors():
        raise EarfulError(f"{name!r} is a {source.kind} source, which is imported, not polled.")
    return source


def try_source(
    db: Database, settings: Settings, name: str
) -> tuple[live.Page, int, list[PostDraft], dict[str, int]]:
    """Fetch one page for a live source from its cursor and map it, storing nothing: return the page,
    the requests made, the posts it would import and why others would be skipped."""
    source = _named(db, name)
    require_collectable(source)  # a private group without consent is not even looked at
    connector = live.get(source.kind)
    target = live.Target(source.name, dict(source.settings or {}), settings)
    try:
        connector.check(target.config, settings)
    except ValueError as exc:
        raise EarfulError(f"{name!r} cannot be tried yet: {exc}") from None
    with Http(allow_private=settings.allow_private_addresses) as http:
        page = connector.poll(http, target, dict(source.cursor or {}))
        requests = http.requests
    drafts: list[PostDraft] = []
    reasons: dict[str, int] = {}
    for entry in page.entries:
        if isinstance(entry, Rejected):
            reasons["unreadable"] = reasons.get("unreadable", 0) + 1
            continue
        try:
            mapped = map_item(entry)
        except ValueError as exc:
            reasons[str(exc)[:60]] = reasons.get(str(exc)[:60], 0) + 1
            continue
        if isinstance(mapped, PostDraft):
            drafts.append(mapped)
        else:
            reasons[mapped or "not a post"] = reasons.get(mapped or "not a post", 0) + 1
    return page, requests, drafts, reasons


def forecast_for(db: Database, settings: Settings, name: str) -> x_connector.Forecast:
    """Return the monthly reads (and cost) an X source's query would take."""
    source = _named(db, name)
    if source.kind != "x":
        raise EarfulError("Only X sources are charged per read.")
    with Http(allow_private=settings.allow_private_addresses) as http:
        return x_connector.forecast(http, live.Target(source.name, dict(source.settings or {}), settings))
