"""Source health: when each source last worked, what went wrong, how much it brings, and silence.

A live source that has brought nothing for longer than expected (its `silent_after_hours`, 24 by
default, and never less than three poll intervals) raises one `source.silent` alert event, kept
in the audit log, until it brings posts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from earful.connectors import live
from earful.ingest.polling import interval
from earful.ingest.sources import stored_amount
from earful.kit.clock import as_utc, utcnow
from earful.store.db import Database
from earful.store.models import Source
from earful.store.repos import audit as audit_repo
from earful.store.repos import sources as sources_repo

DEFAULT_SILENT_HOURS = 24


@dataclass(frozen=True, slots=True)
class Health:
    """One source's health."""

    name: str
    kind: str
    live: bool
    enabled: bool
    visibility: str
    consent_basis: str | None
    last_success_at: datetime | None
    last_error: str | None
    last_item_at: datetime | None
    items_per_hour: float
    interval_seconds: int | None
    next_poll_at: datetime | None
    silent_for: timedelta | None  # set when the source has been quiet longer than expected


def _expected_quiet(source: Source) -> timedelta:
    hours = stored_amount(source.settings, "silent_after_hours", DEFAULT_SILENT_HOURS)
    return max(timedelta(hours=hours), timedelta(seconds=3 * interval(source)))


def _silence(source: Source, last_item: datetime | None, now: datetime, is_live: bool) -> timedelta | None:
    if not (is_live and source.enabled):
        return None
    since = as_utc(last_item) or as_utc(source.created_at) or now
    quiet = now - since
    return quiet if quiet > _expected_quiet(source) else None


def health(db: Database, now: datetime | None = None) -> list[Health]:
    """Return every source's health."""
    now = now or utcnow()
    kinds = set(live.connectors())
    with db.read() as session:
        sources = list(sources_repo.all_sources(session))
        activity = sources_repo.activity(session, now - timedelta(hours=24))
    found = []
    for s in sources:
        recent, last = activity.get(s.id, (0, None))
        is_live = s.kind in kinds and bool(s.settings)
        found.append(
            Health(
                name=s.name,
                kind=s.kind,
                live=is_live,
                enabled=s.enabled,
                visibility=s.visibility,
                consent_basis=s.consent_basis,
                last_success_at=as_utc(s.last_success_at),
                last_error=s.last_error,
                last_item_at=as_utc(last),
                items_per_hour=recent / 24,
                interval_seconds=interval(s) if is_live else None,
                next_poll_at=as_utc(s.next_poll_at),
                silent_for=_silence(s, last, now, is_live),
            )
        )
    return found


def alert_silent(db: Database, now: datetime | None = None) -> list[str]:
    """Raise a `source.silent` alert for each live source newly gone quiet; return their names."""
    now = now or utcnow()
    kinds = set(live.connectors())
    raised = []
    with db.write() as session:
        activity = sources_repo.activity(session, now - timedelta(hours=24))
        for source in sources_repo.all_sources(session):
            polled = source.kind in kinds and bool(source.settings)
            quiet = _silence(source, activity.get(source.id, (0, None))[1], now, polled)
            if quiet is not None and source.silence_alerted_at is None:
                hours = quiet.total_seconds() / 3600
                expected = _expected_quiet(source).total_seconds() / 3600
                audit_repo.append(
                    session,
                    None,
                    "health",
                    "source.silent",
                    f"source:{source.name}",
                    {"silent_hours": round(hours, 1), "expected_hours": expected},
                )
                sources_repo.set_fields(session, source.id, silence_alerted_at=now)
                raised.append(source.name)
            elif quiet is None and source.silence_alerted_at is not None:
                sources_repo.set_fields(session, source.id, silence_alerted_at=None)
    return raised
