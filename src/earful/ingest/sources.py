"""Sources as operators manage them: what is collected where, and for how long it is kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from earful.connectors import live
from earful.contracts import Actor
from earful.ingest.policies import can_manage_sources
from earful.kit.errors import Conflict, EarfulError, Forbidden, Invalid, NotFound
from earful.kit.search import parse
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos import audit as audit_repo
from earful.store.repos import sources as sources_repo

MAX_RETENTION_DAYS = 3650
VISIBILITIES = ("public", "private")
KINDS = ("file", "folder", "reddit", "x", "mastodon", "bluesky", "rss", "facebook", "community", "webhook")


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A source as the admin page lists it."""

    name: str
    kind: str
    region: str | None
    language: str | None
    visibility: str
    consent_basis: str | None
    retention_days: int | None
    enabled: bool
    config: dict[str, Any]


def list_sources(db: Database) -> list[SourceRow]:
    """Return every source."""
    with db.read() as session:
        return [
            SourceRow(
                s.name,
                s.kind,
                s.region,
                s.language,
                s.visibility,
                s.consent_basis,
                s.retention_days,
                s.enabled,
                dict(s.settings or {}),
            )
            for s in sources_repo.all_sources(session)
        ]


@dataclass(frozen=True, slots=True)
class SourceForm:
    """What an operator sets on a source."""

    name: str
    kind: str = "file"
    region: str | None = None
    language: str | None = None
    visibility: str = "public"
    consent_basis: str | None = None
    enabled: bool = True
    retention_days: int | None = None
    config: dict[str, Any] | None = None  # a live source's settings (instance, query...); None keeps them


def save_source(
    db: Database, actor: Actor, form: SourceForm, *, create: bool, settings: Settings | None = None
) -> None:
    """Create a source, or change one; a private source must record its members' consent basis,
    and an enabled live source must have the settings its connector needs (checked when
    `settings`, which hold the credentials, are given)."""
    if not can_manage_sources(actor.role):
        raise Forbidden("Managing sources takes the admin role.")
    name = form.name.strip()
    if not name or len(name) > 120:
        raise Invalid("name", "Give the source a name of at most 120 characters.")
    if form.kind not in KINDS:
        raise Invalid("kind", f"Kind must be one of: {', '.join(KINDS)}.")
    if form.visibility not in VISIBILITIES:
        raise Invalid("visibility", "Visibility is public or private.")
    consent = (form.consent_basis or "").strip() or None
    if form.visibility == "private" and not consent:
        raise Invalid(
            "consent_basis",
            "A private or closed group needs the basis on which its members consented (for example: "
            "members opted in to sharing posts with the programme on 2026-03-01). Earful does not "
            "collect from private groups without one.",
        )
    if form.retention_days is not None and not 1 <= form.retention_days <= MAX_RETENTION_DAYS:
        raise Invalid("retention_days", f"Retention must be between 1 and {MAX_RETENTION_DAYS} days.")
    if form.config is not None and not isinstance(form.config, dict):
        raise Invalid("config", 'A source\'s settings are a JSON object, e.g. {"query": "kestrel"}.')
    if form.config:
        _check_numbers(form.config)
    if form.config and form.config.get("filter"):
        try:
            parse(str(form.config["filter"]))
        except EarfulError as exc:
            raise Invalid("config", f"The filter cannot be read: {exc.message}") from None
    if settings is not None and form.enabled and form.kind in live.connectors():
        config = form.config
        if config is None:
            with db.read() as session:
                found = sources_repo.get_by_name(session, form.name.strip())
                config = dict(found.settings or {}) if found is not None else {}
        # A source with no settings is imported into, not polled (`earful import --create`).
        if config:
            check_live(form.kind, config, settings)
    fields: dict[str, Any] = {
        "kind": form.kind,
        "region": (form.region or "").strip() or None,
        "language": (form.language or "").strip() or None,
        "visibility": form.visibility,
        "consent_basis": consent,
        "enabled": form.enabled,
        "retention_days": form.retention_days,
    }
    if form.config is not None:
        fields["settings"] = form.config
    with db.write() as session:
        found = sources_repo.get_by_name(session, name)
        if create:
            if found is not None:
                raise Conflict(f"A source called {name!r} already exists.")
            sources_repo.add(session, name=name, **fields)
        else:
            if found is None:
                raise NotFound(f"There is no source {name!r}.")
            if form.config is not None and _target(found.kind, found.settings) != _target(
                form.kind, form.config
            ):
                # What is collected changed (another subreddit, query, page...): the old position
                # means nothing there, so polling starts afresh (stored posts are not repeated).
                fields["cursor"] = {}
            sources_repo.set_fields(session, found.id, **fields)
        audit_repo.append(
            session,
            actor.id,
            actor.name,
            "source.create" if create else "source.update",
            f"source:{name}",
            {
                k: v
                for k, v in fields.items()
                if k in ("visibility", "consent_basis", "enabled", "retention_days")
            },
        )


# Settings that are amounts: a number above 0 (or, for waits, 0 itself); a word there would stop
# polling, and the sources list, at the first source that holds it.
POSITIVE = (
    "interval_seconds",
    "rate_per_minute",
    "max_pages",
    "page_size",
    "silent_after_hours",
    "monthly_read_cap",
    "max_articles",
    "max_events",
)
NOT_NEGATIVE = ("settle_seconds", "idle_seconds")


def _check_numbers(config: dict[str, Any]) -> None:
    for key in (*POSITIVE, *NOT_NEGATIVE):
        if key not in config:
            continue
        value = config[key]
        try:
            number = float(value) if not isinstance(value, bool) else float("nan")
        except (TypeError, ValueError):
            number = float("nan")
        floor_ok = number > 0 if key in POSITIVE else number >= 0
        if not (floor_ok and number < 1e12):  # nan fails both
            least = "above 0" if key in POSITIVE else "0 or more"
            raise Invalid("config", f"{key} must be a number {least}, not {value!r}.")


def check_live(kind: str, config: dict[str, Any], settings: Settings) -> None:
    """Raise Invalid on the `config` field when a live source's settings or credentials fall short."""
    try:
        live.get(kind).check(config, settings)
    except ValueError as exc:
        raise Invalid("config", f"{exc} (or leave the source disabled until it is set)") from None


# Settings that change how often or how much is read, not what: changing them keeps the cursor.
OPERATIONAL = frozenset(
    {
        "interval_seconds",
        "rate_per_minute",
        "max_pages",
        "page_size",
        "silent_after_hours",
        "monthly_read_cap",
        "filter",
        "settle_seconds",
        "max_articles",
        "fetch_articles",
        "idle_seconds",
        "max_events",
        "include_comments",
    }
)


def _target(kind: str, config: dict[str, Any] | None) -> tuple[str, list[tuple[str, str]]]:
    return kind, sorted((k, str(v)) for k, v in (config or {}).items() if k not in OPERATIONAL)
