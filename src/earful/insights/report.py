"""What a leadership report says, gathered once and then rendered as HTML, PDF, CSV and XLSX.

Every number links back to its posts in the feed; examples are posts as stored (redacted at
enrichment), shown with their pseudonymous author key only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from earful.connectors import live
from earful.insights import trends
from earful.insights.explain import Example, Explanation, explain_spike
from earful.insights.watch import SpikeView, as_view, in_scope
from earful.kit.clock import as_utc, utcnow
from earful.kit.text import printable, storable
from earful.store.db import Database
from earful.store.models import Post, TriageItem
from earful.store.repos import insights as insights_repo
from earful.store.repos import sources as sources_repo
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.repos.feed import FeedFilter

TOP_ISSUES = 8
EXAMPLES = 3
EXCERPT = 280
EXPLAINED = 10  # spikes, the biggest first, that a report explains (each reads a few thousand posts)
Z95 = 1.959964


@dataclass(slots=True)
class Issue:
    """One of the top issues: a subcategory ranked by complaints, with example posts."""

    key: str
    name: str
    posts: int
    complaints: int
    link: str
    examples: list[Example] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Escalation:
    """An escalated post and how it fares against its SLA."""

    post_id: int
    category: str
    team: str | None
    status: str
    escalated_at: datetime
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    resolve_due_at: datetime | None
    resolved_at: datetime | None
    acknowledge_sla: str  # met, missed, due, overdue
    resolve_sla: str
    outcome: str | None
    spike: SpikeView | None
    link: str


@dataclass(frozen=True, slots=True)
class Coverage:
    """One source's part in the report: how many posts it brought, and whether it could be reached."""

    name: str
    kind: str
    region: str | None
    posts: int
    state: str  # reachable, failing, silent, disabled, imports
    detail: str
    last_success_at: datetime | None


@dataclass(frozen=True, slots=True)
class Accuracy:
    """The classifier's measured precision and recall for one category, with 95% Wilson intervals."""

    key: str
    name: str
    support: int
    precision: float
    precision_low: float
    precision_high: float
    recall: float
    recall_low: float
    recall_high: float


@dataclass(slots=True)
class ReportContent:
    """Everything one report says."""

    title: str
    kind: str
    since: datetime
    until: datetime
    zone: str
    filters: dict[str, str]
    generated_at: datetime
    base_url: str
    trends: trends.Trends
    issues: list[Issue]
    spikes: list[SpikeView]
    topics: list[dict[str, Any]]
    escalations: list[Escalation]
    coverage: list[Coverage]
    accuracy: list[Accuracy]
    model: str
    explanations: dict[int, Explanation] = field(default_factory=dict)  # by spike id

    @property
    def covers(self) -> str:
        """Return the range in words, as its first and last day when it is whole days."""
        return covers(self.since, self.until, self.zone)

    @property
    def post_ids(self) -> list[int]:
        """Return the ids of the posts the report quotes or describes: examples and escalations (whose
        outcomes, written by analysts, may quote them)."""
        return (
            [e.post_id for issue in self.issues for e in issue.examples]
            + [e.post_id for e in self.escalations]
            + [e.post_id for x in self.explanations.values() for e in x.examples]
        )


def whole_days(since: datetime, until: datetime, zone: str) -> tuple[date, date, str] | None:
    """Return the first and the last day (included) of a range that runs from a midnight to a
    midnight, and the zone they are days of: the deployment's (the weekly digest's local days) or
    UTC (days typed on the command line or in a form); None for a range that starts or ends mid-day.
    """
    for name in dict.fromkeys((zone, "UTC")):
        start, end = since.astimezone(ZoneInfo(name)), until.astimezone(ZoneInfo(name))
        if start.time() == time() and end.time() == time() and end > start:
            return start.date(), (end - timedelta(days=1)).date(), name
    return None


def covers(since: datetime, until: datetime, zone: str) -> str:
    """Return a range in words: "01 Nov 2026 to 25 Nov 2026 (whole days, UTC)" when it is whole
    days (the end day is the last one included), else from one time to the other in `zone`."""
    days = whole_days(since, until, zone)
    if days is not None:
        first, last, name = days
        span = f"{first:%d %b %Y}" if first == last else f"{first:%d %b %Y} to {last:%d %b %Y}"
        return f"{span} (whole days, {name})"
    local = ZoneInfo(zone)
    return f"{since.astimezone(local):%d %b %Y %H:%M} to {until.astimezone(local):%d %b %Y %H:%M} ({zone})"


def last_day(since: datetime, until: datetime, zone: str) -> date:
    """Return the last day a range covers (its end is not included)."""
    days = whole_days(since, until, zone)
    return days[1] if days else (until - timedelta(microseconds=1)).astimezone(ZoneInfo(zone)).date()


def default_title(label: str, since: datetime, until: datetime, zone: str) -> str:
    """Return a report's title from its range: its first and last day, the end day included."""
    days = whole_days(since, until, zone)
    first = days[0] if days else since.astimezone(ZoneInfo(zone)).date()
    return f"{label}: {first:%d %b %Y} to {last_day(since, until, zone):%d %b %Y}"


def wilson(successes: int, trials: int) -> tuple[float, float]:
    """Return the 95% Wilson score interval of a proportion (0, 1 when there are no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + Z95**2 / trials
    centre = (p + Z95**2 / (2 * trials)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / trials + Z95**2 / (4 * trials**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy_rows(evaluation: dict[str, Any], names: dict[str, str]) -> list[Accuracy]:
    """Return per-category accuracy with intervals from a stored evaluation (counts are recovered
    from the rounded rates and the support)."""
    found = []
    for key, scores in sorted(((evaluation.get("categories") or {}).get("labels") or {}).items()):
        support = int(scores.get("support") or 0)
        recall, precision = float(scores.get("recall") or 0), float(scores.get("precision") or 0)
        hits = round(recall * support)
        predicted = round(hits / precision) if precision > 0 else 0
        r_low, r_high = wilson(hits, support)
        p_low, p_high = wilson(hits, predicted)
        found.append(
            Accuracy(key, names.get(key, key), support, precision, p_low, p_high, recall, r_low, r_high)
        )
    return found


def _sla(due: datetime | None, done: datetime | None, now: datetime) -> str:
    if due is None:
        return "no deadline"
    if done is not None:
        return "met" if done <= due else "missed"
    return "overdue" if now > due else "due"


def _excerpt(post: Post) -> str:
    text = " ".join(f"{post.title}: {post.text or ''}".split() if post.title else (post.text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def build(
    db: Database,
    where: FeedFilter,
    since: datetime,
    until: datetime,
    *,
    zone: str,
    base_url: str,
    kind: str = "on-demand",
    title: str | None = None,
) -> ReportContent:
    """Gather a report of posts in [since, until) matching `where`."""
    now = utcnow()
    found = trends.compute(db, where, since, until, zone)
    base = base_url.rstrip("/")
    by_key = {t.key: t for t in found.subcategories}
    ranked = sorted(
        found.subcategories, key=lambda t: (-t.by_sentiment.get("complaint", 0), -t.posts, t.name)
    )
    issues = [
        Issue(
            t.key,
            t.name,
            t.posts,
            t.by_sentiment.get("complaint", 0),
            base + trends.feed_link(found.where, category=t.key),
        )
        for t in ranked[:TOP_ISSUES]
        if t.posts
    ]
    kinds = set(live.connectors())
    with db.read() as session:
        names = taxonomy_repo.display_names(session)
        sources = {s.name: s for s in sources_repo.all_sources(session)}
        chosen = insights_repo.examples(session, found.where, [i.key for i in issues], EXAMPLES)
        for issue in issues:
            for post in chosen.get(issue.key, []):
                origin = next((s.name for s in sources.values() if s.id == post.source_id), "")
                issue.examples.append(
                    Example(
                        post.id,
                        _excerpt(post),
                        post.author_key,
                        origin,
                        as_utc(post.posted_at) or post.posted_at,
                        link=f"{base}/posts/{post.id}",
                    )
                )
        stored = {s.id: s for s in insights_repo.spikes_between(session, since, until)}
        spikes = [as_view(s, names) for s in stored.values()]
        # The dashboard's rule: a source's spikes are its region's (spikes are not found per source).
        region = where.region
        if region is None and where.source:
            region = (sources[where.source].region or "") if where.source in sources else None
        spikes = [s for s in spikes if in_scope(s, where.category, region)]
        explanations = {s.id: explain_spike(session, stored[s.id], names) for s in spikes[:EXPLAINED]}
        escalations = [
            _escalation(item, post, names, session, base, now)
            for item, post in insights_repo.escalations(session, since, until)
        ]
        evaluation = insights_repo.classifier_evaluation(session)
        topics = [
            {"id": t.id, "terms": list(t.terms), "size": t.size, "status": t.status, "parent": t.parent}
            for t in insights_repo.topics_seen(session, since, until)
        ]
    posts_by_source = {t.key: t.posts for t in found.sources}
    coverage = []
    for source in sources.values():
        if (where.source and source.name != where.source) or (where.region and source.region != where.region):
            continue
        polled = source.kind in kinds and bool(source.settings)
        if not source.enabled:
            state, detail = "disabled", "switched off"
        elif not polled:
            state, detail = "imports", "filled by imports and the webhook, not polled"
        elif source.last_error:
            state, detail = "failing", source.last_error[:200]
        elif source.silence_alerted_at is not None:
            state, detail = "silent", "reachable, but brought nothing for longer than expected"
        else:
            state, detail = "reachable", "polled without error"
        coverage.append(
            Coverage(
                source.name,
                source.kind,
                source.region,
                posts_by_source.get(source.name, 0),
                state,
                detail,
                as_utc(source.last_success_at),
            )
        )
    model = "keyword rules (built in; their accuracy is not measured in this deployment)"
    accuracy: list[Accuracy] = []
    if evaluation is not None:
        name, created, scores = evaluation
        held = scores.get("held_out")
        model = f"{name}, trained {as_utc(created):%d %b %Y}" + (
            f", measured on {held} held-out posts" if held else ""
        )
        accuracy = accuracy_rows(scores, names)
    filters = {k: storable(str(v)) for k, v in _filter_fields(where).items()}
    label = "Weekly digest" if kind == "weekly" else "Report"
    # The title is typed by a person and goes into the archive, every file and the email's subject.
    title = " ".join(printable(title or "", one_line=True).split())
    return ReportContent(
        title=title or default_title(label, since, until, zone),
        kind=kind,
        since=since,
        until=until,
        zone=zone,
        filters=filters,
        generated_at=now,
        base_url=base,
        trends=found,
        issues=[i for i in issues if i.key in by_key],
        spikes=spikes,
        topics=topics,
        escalations=escalations,
        coverage=sorted(coverage, key=lambda c: (c.state != "failing", c.state != "silent", c.name)),
        accuracy=accuracy,
        model=model,
        explanations=explanations,
    )


def _filter_fields(where: FeedFilter) -> dict[str, str]:
    return {
        name: value
        for name in ("source", "region", "language", "category", "sentiment")
        if (value := getattr(where, name))
    }


def _escalation(
    item: TriageItem, post: Post, names: dict[str, str], session: Any, base: str, now: datetime
) -> Escalation:
    keys = insights_repo.post_category_keys(session, post.id)
    spike = insights_repo.spike(session, item.spike_id) if item.spike_id else None
    team = insights_repo.team_name(session, item.team_id) if item.team_id else None
    ack_due, acknowledged = as_utc(item.ack_due_at), as_utc(item.acknowledged_at)
    resolve_due, resolved = as_utc(item.resolve_due_at), as_utc(item.resolved_at)
    return Escalation(
        post_id=post.id,
        category=", ".join(names.get(k, k) for k in keys) or "uncategorised",
        team=team,
        status=item.status,
        escalated_at=as_utc(item.escalated_at) or now,
        ack_due_at=ack_due,
        acknowledged_at=acknowledged,
        resolve_due_at=resolve_due,
        resolved_at=resolved,
        acknowledge_sla=_sla(ack_due, acknowledged or resolved, now),
        # A dismissed escalation was closed without a fix: neither met nor missed.
        resolve_sla="dismissed"
        if item.status == "dismissed" and resolved
        else _sla(resolve_due, resolved, now),
        outcome=item.outcome,
        spike=as_view(spike, names) if spike else None,
        link=f"{base}/posts/{post.id}",
    )
