"""Insights over the API: trends, spikes and reports, the same services the pages use."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from earful.accounts.service import Account
from earful.insights import reports, trends
from earful.insights.policies import can_make_reports, can_see_insights
from earful.insights.watch import recent as recent_spikes
from earful.kit.clock import as_utc, utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.web import guard
from earful.web.deps import get_db, get_settings
from earful.web.forms import DAY_HELP, DAY_SCHEMA, feed_query, filter_from
from earful.web.pages.insights import window
from earful.web.params import ApiBody, PathId, QueryId
from earful.web.responses import errors

router = APIRouter(prefix="/api", responses=errors(401, 403))
Range = Literal["24h", "7d", "30d", "90d"]
RANGE_HELP = "A named range ending now (default 7d); `since`/`until` take its place when given."
reader = guard.api(can_see_insights, "Insights need an account with a role.")
maker = guard.api(can_make_reports, "Making reports takes the analyst role or higher.")


class TallyRead(BaseModel):
    """Posts of one group split by sentiment, and the feed address listing them."""

    key: str
    name: str
    posts: int
    by_sentiment: dict[str, int]
    complaint_share: float
    start: datetime | None = None
    end: datetime | None = None
    feed: str | None = None


class TrendsRead(BaseModel):
    """Every roll-up of one range and filter."""

    since: datetime
    until: datetime
    grain: str
    taxonomy_version: int | None
    total: TallyRead
    timeline: list[TallyRead]
    categories: list[TallyRead]
    subcategories: list[TallyRead]
    regions: list[TallyRead]
    sources: list[TallyRead]


def _tallies(found: trends.Trends, tallies: list[trends.Tally], dimension: str) -> list[TallyRead]:
    bars = trends.bars(tallies, found.where, dimension)
    return [
        TallyRead(
            key=t.key,
            name=t.name,
            posts=t.posts,
            by_sentiment=dict(t.by_sentiment),
            complaint_share=round(t.complaint_share, 4),
            start=t.start,
            end=t.end,
            feed=bar.href,
        )
        for t, bar in zip(tallies, bars, strict=True)
    ]


@router.get("/insights/trends", response_model=TrendsRead, responses=errors(400))
def get_trends(
    range_: Range | None = Query(None, alias="range", description=RANGE_HELP),
    grain: Literal["hour", "day", "week"] | None = Query(None, description="The time buckets."),
    params: dict[str, str] = Depends(feed_query),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
    account: Account = Depends(reader),
) -> TrendsRead:
    """Return counts and sentiment by time, category, subcategory, region and source.

    Query: `range` (24h, 7d, 30d, 90d) or `since`/`until` dates, and the feed's filters; `grain`
    (hour, day, week) to choose the time buckets.
    """
    if range_:
        params = {**params, "range": range_}
    where, _, _ = filter_from(params)
    since, until, _ = window(params, utcnow())
    found = trends.compute(db, where, since, until, settings.time_zone, grain or "")
    total = found.total
    return TrendsRead(
        since=found.since,
        until=found.until,
        grain=found.grain,
        taxonomy_version=found.taxonomy_version,
        total=TallyRead(
            key="",
            name=total.name,
            posts=total.posts,
            by_sentiment=dict(total.by_sentiment),
            complaint_share=round(total.complaint_share, 4),
            feed=trends.feed_link(found.where),
        ),
        timeline=_tallies(found, found.timeline, "time"),
        categories=_tallies(found, found.categories, "category"),
        subcategories=_tallies(found, found.subcategories, "category"),
        regions=_tallies(found, found.regions, "region"),
        sources=_tallies(found, found.sources, "source"),
    )


class SpikeRead(BaseModel):
    """A spike: where, when, how far above its baseline, and whether it has subsided."""

    id: int
    category: str
    category_name: str
    region: str
    started_at: datetime
    ended_at: datetime
    observed: int
    expected: float
    score: float
    subsided_at: datetime | None


@router.get("/insights/spikes", response_model=list[SpikeRead], responses=errors(400))
def get_spikes(
    range_: Range | None = Query(None, alias="range", description=RANGE_HELP),
    since: str | None = Query(None, max_length=40, description=DAY_HELP, json_schema_extra=DAY_SCHEMA),
    until: str | None = Query(None, max_length=40, description=DAY_HELP, json_schema_extra=DAY_SCHEMA),
    db: Database = Depends(get_db),
    account: Account = Depends(reader),
) -> list[SpikeRead]:
    """Return the spikes that started in the range (`range` or `since`/`until`), biggest first."""
    given = {"range": range_, "since": since, "until": until}
    since_at, until_at, _ = window({k: v for k, v in given.items() if v}, utcnow())
    return [
        SpikeRead(**{name: getattr(s, name) for name in SpikeRead.model_fields})
        for s in recent_spikes(db, since_at, until_at)
    ]


class ReportRead(BaseModel):
    """An archived report and where its files are."""

    id: int
    kind: str
    title: str
    since: datetime
    until: datetime
    filters: dict[str, Any]
    created_at: datetime
    emailed_to: list[str]
    withdrawn: str | None
    files: dict[str, str]


class ReportCreate(ApiBody):
    """An on-demand report: a range of dates and optional filters."""

    since: date = Field(description="First day, YYYY-MM-DD (UTC), included.")
    until: date = Field(description="Day after the last, YYYY-MM-DD (UTC).")
    category: str | None = None
    region: str | None = None
    source: str | None = None
    title: str | None = Field(default=None, max_length=200)


def _report(r: Any) -> ReportRead:
    files = {} if r.withdrawn else {fmt: f"/api/reports/{r.id}/files/{fmt}" for fmt in reports.FORMATS}
    return ReportRead(
        id=r.id,
        kind=r.kind,
        title=r.title,
        since=as_utc(r.since),
        until=as_utc(r.until),
        filters=dict(r.filters or {}),
        created_at=as_utc(r.created_at),
        emailed_to=list(r.emailed_to or []),
        withdrawn=r.withdrawn,
        files=files,
    )


@router.get("/reports", response_model=list[ReportRead])
def list_reports(
    before: QueryId = None, db: Database = Depends(get_db), account: Account = Depends(reader)
) -> list[ReportRead]:
    """Return archived reports, newest first, 25 at a time (`before`: the last id of the previous page)."""
    rows, _ = reports.archive(db, before)
    return [_report(r) for r in rows]


@router.post("/reports", response_model=ReportRead, status_code=201, responses=errors(400))
def make_report(
    body: ReportCreate,
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
    account: Account = Depends(maker),
) -> ReportRead:
    """Make and archive a report of the range and filters; its files are then at `files`."""
    params = {k: str(v) for k, v in body.model_dump().items() if v is not None and k != "title"}
    where, _, _ = filter_from(params)
    since, until, _ = window(params, utcnow())
    made = reports.make(db, settings, account.actor, where, since, until, title=body.title)
    return _report(reports.summary(db, made.id))


@router.get(
    "/reports/{report_id}/files/{fmt}",
    response_class=Response,
    responses={
        **errors(404),
        200: {"description": "The file.", "content": {m: {} for m, _ in reports.FORMATS.values()}},
    },
)
def report_file(
    report_id: PathId,
    fmt: Literal["html", "pdf", "csv", "xlsx"],
    db: Database = Depends(get_db),
    account: Account = Depends(reader),
) -> Response:
    """Return one of a report's files: html, pdf, csv or xlsx."""
    content, media, name = reports.file(db, report_id, fmt)
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
