"""Sources as operators manage them: what is collected where, and for how long it is kept."""

from __future__ import annotations

import re
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
    check_name_and_kind(name, form.kind)
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
        "visibility": form.visibility,
        "consent_basis": consent,
        "enabled": form.enabled,
        "retention_days": form.retention_days,
    }
    if form.config is not None:
        fields["settings"] = form.config
    language = (form.language or "").strip() or None
    with db.write() as session:
        found = sources_repo.get_by_name(session, name)
        # A new language is checked; a stored one that comes back unchanged (the admin page posts
        # it with every other change) is kept, as sources saved before the check may hold "english".
        kept = not create and found is not None and language == found.language
        fields["language"] = language if kept else language_code(language)
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


# Settings that are amounts: (whole numbers only, least, most). A word, a fraction where pages
# are counted, or a number too large for a date to add up would stop polling, or the sources list,
# at the first source that holds it.
AMOUNTS: dict[str, tuple[bool, float, float]] = {
    "interval_seconds": (True, 1, 30 * 24 * 3600),
    "rate_per_minute": (False, 0.01, 100_000),
    "max_pages": (True, 1, 10_000),
    "page_size": (True, 1, 1_000),
    "silent_after_hours": (False, 0.01, 24 * 366),
    "monthly_read_cap": (True, 1, 10**9),
    "max_articles": (True, 1, 100_000),
    "max_events": (True, 1, 10**8),
    "settle_seconds": (False, 0, 3600),
    "idle_seconds": (False, 0, 3600),
}


_NUMBER = re.compile(r"\s*-?\d+(\.\d+)?\s*")


def amount(value: Any, whole: bool) -> float | None:
    """Return a setting's value as a number (a whole one when `whole`), or None when it is not one:
    numbers, and text that reads as one ("60", as a JSON form may send it)."""
    if isinstance(value, bool):
        return None
    readable = isinstance(value, str) and _NUMBER.fullmatch(value) is not None
    if isinstance(value, int | float) or readable:
        number = float(value)
    else:
        return None
    if number != number or (whole and not number.is_integer()):  # nan; 2.5 pages
        return None
    return number


def stored_amount(config: dict[str, Any] | None, key: str, default: float) -> float:
    """Return the setting `key` of a stored source's `config` as its number, or `default` when it is
    missing or not one in its range (a value stored before settings were checked must not stop
    polling, or the sources list)."""
    whole, least, most = AMOUNTS[key]
    found = amount((config or {}).get(key), whole)
    return found if found is not None and least <= found <= most else default


def _shown(number: float) -> str:
    return f"{int(number):,}" if float(number).is_integer() else f"{number:g}"


def _check_numbers(config: dict[str, Any]) -> None:
    for key, (whole, least, most) in AMOUNTS.items():
        if key not in config:
            continue
        number = amount(config[key], whole)
        if number is None or not least <= number <= most:
            kind = "a whole number" if whole else "a number"
            raise Invalid(
                "config", f"{key} must be {kind} from {_shown(least)} to {_shown(most)}, not {config[key]!r}."
            )
        if whole and isinstance(config[key], float):
            config[key] = int(number)  # 60.0 pages are 60: the connectors count with it


def language_code(language: str | None) -> str | None:
    """Return a source's usual language as a two-letter ISO 639-1 code (None when not given), or
    raise Invalid: it is the hint language detection falls back on, and "klingon" was stored."""
    code = (language or "").strip().casefold()
    if not code:
        return None
    if not re.fullmatch(r"[a-z]{2}([-_][a-z0-9]{2,8})?", code):  # "en", or a regional "en-GB": en
        raise Invalid(
            "language", f"Give the language as a two-letter ISO 639-1 code (en, es, pt...), not {language!r}."
        )
    return code[:2]


def check_name_and_kind(name: str, kind: str) -> None:
    """Raise Invalid unless `name` is a source name (1 to 120 characters) and `kind` a known kind."""
    if not name.strip() or len(name) > 120:
        raise Invalid("name", "Give the source a name of at most 120 characters.")
    if kind not in KINDS:
        raise Invalid("kind", f"Kind must be one of: {', '.join(KINDS)}.")


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
