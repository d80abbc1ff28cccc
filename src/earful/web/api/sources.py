"""Sources over the API: their health, and adding or changing one (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field, StrictBool

from earful.accounts.service import Account
from earful.ingest.health import health
from earful.ingest.policies import can_manage_sources
from earful.ingest.sources import MAX_RETENTION_DAYS, SourceForm, list_sources, save_source
from earful.kit.errors import NotFound
from earful.settings import Settings
from earful.store.db import Database
from earful.web import guard
from earful.web.deps import get_db, get_settings
from earful.web.params import JSON_NUMBER, NO_NUL, ApiBody
from earful.web.responses import errors

router = APIRouter(prefix="/api", responses=errors(401, 403))
# Names may hold slashes (the demo's "r/couriers"): the `path` converter keeps them in the name.
RetentionDays = Annotated[
    int, Field(ge=1, le=MAX_RETENTION_DAYS, description="Days to keep posts; null keeps them."), JSON_NUMBER
]
SourceName = Path(
    min_length=1, max_length=120, pattern=NO_NUL, description="The source's name; it may contain '/'."
)
admin = guard.api(can_manage_sources, "Managing sources takes the admin role.")


class SourceRead(BaseModel):
    """A source, what may be collected there, and its health."""

    name: str
    kind: str
    region: str | None
    language: str | None
    visibility: str
    consent_basis: str | None
    enabled: bool
    retention_days: int | None
    config: dict[str, Any]
    last_success_at: datetime | None
    last_error: str | None
    items_per_hour: float
    silent_hours: float | None


class SourceWrite(ApiBody):
    """A source's settings; a private one needs its consent basis, a live one its connector settings."""

    kind: Literal[
        "file", "folder", "reddit", "x", "mastodon", "bluesky", "rss", "facebook", "community", "webhook"
    ] = "file"
    region: str | None = Field(default=None, max_length=120)
    language: str | None = Field(default=None, max_length=12)
    visibility: Literal["public", "private"] = "public"
    consent_basis: str | None = Field(default=None, max_length=2000)
    enabled: StrictBool = True
    retention_days: RetentionDays | None = None
    config: dict[str, Any] | None = None


def _read(db: Database) -> list[SourceRead]:
    # Sources first, health second: a source made in between is simply not listed yet, and one
    # deleted in between (no health any more) is left out, instead of either failing the request.
    sources = list_sources(db)
    states = {h.name: h for h in health(db)}
    found = []
    for s in sources:
        h = states.get(s.name)
        if h is None:
            continue
        found.append(
            SourceRead(
                name=s.name,
                kind=s.kind,
                region=s.region,
                language=s.language,
                visibility=s.visibility,
                consent_basis=s.consent_basis,
                enabled=s.enabled,
                retention_days=s.retention_days,
                config=s.config,
                last_success_at=h.last_success_at,
                last_error=h.last_error,
                items_per_hour=h.items_per_hour,
                silent_hours=round(h.silent_for.total_seconds() / 3600, 1) if h.silent_for else None,
            )
        )
    return found


@router.get("/sources", response_model=list[SourceRead], dependencies=[Depends(admin)])
def get_sources(db: Database = Depends(get_db)) -> list[SourceRead]:
    """Return every source with its health."""
    return _read(db)


@router.get("/sources/{name:path}", response_model=SourceRead, responses=errors(404))
def get_source(
    name: str = SourceName, account: Account = Depends(admin), db: Database = Depends(get_db)
) -> SourceRead:
    """Return one source with its health."""
    return _one(db, name)


@router.put("/sources/{name:path}", response_model=SourceRead, responses=errors(400, 404, 409))
def put_source(
    body: SourceWrite,
    name: str = SourceName,
    account: Account = Depends(admin),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> SourceRead:
    """Create the source called `name`, or change it."""
    name = name.strip()  # as the source is stored
    exists = any(s.name == name for s in list_sources(db))
    form = SourceForm(name=name, **body.model_dump())
    save_source(db, account.actor, form, create=not exists, settings=settings)
    return _one(db, name)


def _one(db: Database, name: str) -> SourceRead:
    for source in _read(db):
        if source.name == name:
            return source
    raise NotFound(f"There is no source {name!r}; GET /api/sources lists them.")
