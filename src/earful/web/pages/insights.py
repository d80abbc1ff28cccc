"""The insights dashboard: trends as charts that link to their posts, with spikes beside them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from earful.accounts.service import Account
from earful.insights import trends
from earful.insights.explain import explain
from earful.insights.policies import can_see_insights
from earful.insights.watch import SpikeView, in_scope, spike_settings
from earful.insights.watch import detail as spike_detail
from earful.insights.watch import recent as recent_spikes
from earful.kit.charts import Bar, columns, hbars
from earful.kit.clock import utcnow
from earful.kit.errors import EarfulError, NotFound
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos.feed import FeedFilter
from earful.web import guard
from earful.web.deps import csrf_token, get_db, get_settings
from earful.web.forms import filter_from
from earful.web.params import PathId
from earful.web.render import render

router = APIRouter()
reader = guard.page(can_see_insights, "Insights need an account with a role.")
RANGES = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}


def window(params: dict[str, str], now: datetime) -> tuple[datetime, datetime, str]:
    """Return the range a query string asks for: a named one (default 7 days) or from/to dates."""
    where, _, _ = filter_from(params)
    named = params.get("range") or ""
    if where.since or where.until:
        until = where.until or now
        since = where.since or until - RANGES["7d"]
        named = ""
    else:
        named = named if named in RANGES else "7d"
        # Up to the end of the current hour: whole hours are summed from the rollups, where the
        # minutes either side of them would be counted from the posts on every view.
        until = now.replace(minute=0, second=0, microsecond=0)
        until = until if until == now else until + timedelta(hours=1)
        since = until - RANGES[named]
    if since >= until:
        raise EarfulError("The range must start before it ends.")
    if until - since > timedelta(days=3 * 366):
        raise EarfulError("Choose a range of at most three years.")
    return since, until, named


@router.get("/insights", response_class=HTMLResponse)
def dashboard(
    request: Request,
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
    account: Account = Depends(reader),
) -> Response:
    """Show volume and complaint share over time and by category, region and source, beside the
    period before; filters are chosen from the categories, regions and sources that exist."""
    params = dict(request.query_params)
    where, _, clean = filter_from(params)
    since, until, named = window(params, utcnow())
    latest: datetime | None = None
    if not (params.get("range") or where.since or where.until):
        # Nothing asked for: open on the newest posts when the default range has none (an import
        # of last month, the demo), rather than on an empty week.
        latest = trends.newest_post(db)
        if latest is not None and latest < since:
            since, until = trends.month_to(latest)
            named = ""
            clean.update(since=f"{since:%Y-%m-%d}", until=f"{until:%Y-%m-%d}")
        else:
            latest = None
    found = trends.compute(db, where, since, until, settings.time_zone, params.get("grain", ""))
    options = trends.choices(db)
    spike_region = where.region
    if spike_region is None and where.source:
        spike_region = options.source_region(where.source)
    spikes = _spikes(db, since, until, where.category, spike_region)
    before = trends.previous(db, found.where, since, until) if found.total.posts else None
    charts: dict[str, str] = {}
    if found.total.posts:
        colours = trends.COLOURS
        # Drawn near the size they show at (the timeline full width, the rest two to a row), so
        # their text reads at its intended size rather than scaled up or down.
        charts["timeline"] = columns(
            trends.bars(found.timeline, found.where, "time"),
            width=1000,
            height=220,
            colours=colours,
            title="Posts over time",
        )
        for name, tallies, dimension in (
            ("categories", found.categories, "category"),
            ("subcategories", found.subcategories[:15], "category"),
            ("regions", found.regions[:15], "region"),
            ("sources", found.sources[:15], "source"),
        ):
            charts[name] = hbars(
                trends.bars(tallies, found.where, dimension),
                width=540,
                label_chars=24,
                colours=colours,
                title=name,
            )
        charts["share"] = hbars(
            trends.bars(found.categories, found.where, "category"),
            width=540,
            label_chars=24,
            share=True,
            colours=colours,
            title="complaint share by category",
        )
    report_query = {key: value for key, value in clean.items() if key in ("since", "until", *FILTERS)}
    context: dict[str, Any] = {
        "account": account,
        "csrf": csrf_token(request),
        "trends": found,
        "charts": charts,
        "range": named,
        "ranges": list(trends_ranges()),
        "values": clean,
        "choices": options,
        "unknown": unknown_filters(clean, options),
        "spikes": spikes,
        "feed_link": trends.feed_link(found.where),
        "newest": trends.newest_month(db) if not found.total.posts else None,
        "latest": latest,
        "before": before,
        "before_spikes": len(_spikes(db, before.since, before.until, where.category, spike_region))
        if before
        else 0,
        "compare": _compare(found, before, options) if before else [],
        "change": trends.change,
        "points": trends.points,
        "report_query": urlencode({**report_query, "range": named} if named else report_query),
    }
    return render(request, "insights.html", context)


FILTERS = ("category", "region", "source")


def _spikes(
    db: Database, since: datetime, until: datetime, category: str | None, region: str | None
) -> list[SpikeView]:
    return [s for s in recent_spikes(db, since, until) if in_scope(s, category, region)]


def unknown_filters(values: dict[str, str], options: trends.Choices) -> dict[str, str]:
    """Return the filters set to something that does not exist (an old link, a hand-edited address)."""
    known = {
        "category": {key for key, _, _ in options.categories},
        "region": set(options.regions),
        "source": {name for name, _ in options.sources},
    }
    return {name: values[name] for name in FILTERS if values.get(name) and values[name] not in known[name]}


def _compare(
    found: trends.Trends, before: trends.Comparison, options: trends.Choices
) -> list[dict[str, Any]]:
    """Return each category's posts and complaint share now and in the period before, with links."""
    names = {key: name for key, name, _ in options.categories}
    now = {t.key: t for t in found.categories}
    rows = []
    for key in [*now, *(k for k in sorted(before.categories) if k not in now)]:
        current = now.get(key) or trends.Tally(key, names.get(key, key))
        earlier = before.categories.get(key) or trends.Tally(key, current.name)
        rows.append(
            {
                "name": names.get(key, current.name),
                "now": current,
                "before": earlier,
                "link": trends.feed_link(found.where, category=key),
                "before_link": trends.feed_link(
                    found.where, category=key, since=before.since, until=before.until
                ),
            }
        )
    return rows


def trends_ranges() -> list[tuple[str, str]]:
    """Return the named ranges the dashboard offers."""
    return [("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("90d", "Last 90 days")]


@router.get("/insights/spikes/{spike_id}", response_class=HTMLResponse)
def spike_page(
    request: Request,
    spike_id: PathId,
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
    account: Account = Depends(reader),
) -> Response:
    """Show one spike: the hours around it against their baseline, its posts and its escalations."""
    found = spike_detail(db, settings, spike_id)
    if found is None:
        raise NotFound(f"There is no spike {spike_id}.")
    s = found.spike
    where = FeedFilter(category=s.category, region=s.region or None)
    zone = ZoneInfo(settings.time_zone)
    local = [row.at.astimezone(zone) for row in found.hours]
    bars = [
        Bar(
            f"{at:%a %d %b %H:00 %Z}",
            {"posts": float(row.posts)},
            trends.feed_link(where, since=row.at, until=row.at + timedelta(hours=1)),
        )
        for at, row in zip(local, found.hours, strict=True)
    ]
    # Short ticks every six hours of local time, the day named at midnight; each column's tooltip
    # gives its full date and hour.
    ticks = [
        (f"{at:%a} {at.day}" if at.hour == 0 else f"{at:%H}:00") if at.hour % 6 == 0 else "" for at in local
    ]
    chart = columns(
        bars,
        colours={"posts": "#2f6db5"},
        title="posts per hour, and the usual count for each hour",
        every=1,
        ticks=ticks,
        line=[row.usual for row in found.hours],
        line_label="usual for that hour (mean of the same hours in past weeks)",
    )
    context: dict[str, Any] = {
        "account": account,
        "csrf": csrf_token(request),
        "d": found,
        "x": explain(db, spike_id),
        "chart": chart,
        "zone": local[0].strftime("%Z") if local else settings.time_zone,
        "weeks": spike_settings(settings).weeks,
        "posts_link": trends.feed_link(where, since=s.started_at, until=s.ended_at + timedelta(hours=1)),
        "near": [
            (at, row)
            for at, row in zip(local, found.hours, strict=True)
            if s.started_at - timedelta(hours=6) <= row.at <= s.ended_at + timedelta(hours=6)
        ],
    }
    return render(request, "spike.html", context)
