"""Render a report: a self-contained HTML page, a PDF of it (WeasyPrint), and CSV and XLSX data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from earful.insights import trends
from earful.insights.report import ReportContent
from earful.kit.charts import columns, hbars
from earful.kit.errors import EarfulError
from earful.kit.tables import Sheet, to_csv, to_xlsx
from earful.kit.text import printable

ENV = Environment(
    loader=PackageLoader("earful.insights", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
MAX_REGION_COLUMNS = 6


def _when(moment: datetime | None, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%d %b %Y %H:%M") if moment else "—"


def counted(number: int, word: str, words: str | None = None) -> str:
    """Return a count with its noun agreeing: "1 complaint", "2 complaints", "1,204 posts"."""
    return f"{number:,} {word if number == 1 else words or word + 's'}"


ENV.filters["when"] = _when
ENV.filters["counted"] = counted


def charts(r: ReportContent) -> dict[str, str]:
    """Return the report's charts as SVG, their bars linking to the posts behind them."""
    t, base, colours = r.trends, r.base_url, trends.COLOURS
    return {
        "timeline": columns(
            trends.bars(t.timeline, t.where, "time", base=base), colours=colours, title="Posts over time"
        ),
        "categories": hbars(
            trends.bars(t.categories, t.where, "category", base=base), colours=colours, title="by category"
        ),
        "share": hbars(
            trends.bars(t.categories, t.where, "category", base=base),
            share=True,
            colours=colours,
            title="complaint share by category",
        ),
        "regions": hbars(
            trends.bars(t.regions[:12], t.where, "region", base=base), colours=colours, title="by region"
        ),
    }


def html(r: ReportContent) -> str:
    """Return the report as one HTML document (styles inline, no scripts, no outside resources).

    Control characters in names and post text are taken out of the whole document: the PDF is made
    from it, and it is stored and emailed as it is.
    """
    document = ENV.get_template("report.html").render(
        r=r,
        charts=charts(r),
        regions=[g.key for g in r.trends.regions[:MAX_REGION_COLUMNS]],
        feed_all=trends.feed_link(r.trends.where),
        missed=sum(
            1
            for e in r.escalations
            if "missed" in (e.acknowledge_sla, e.resolve_sla)
            or "overdue" in (e.acknowledge_sla, e.resolve_sla)
        ),
    )
    return printable(document)


class PdfUnavailable(EarfulError):
    """PDFs cannot be made on this system (no Pango), with what to install."""

    status = 503  # the deployment lacks a library; the request itself was fine


def pdf(document: str) -> bytes:
    """Return the HTML document as a PDF; it fetches nothing (every resource is inline). Raises
    PdfUnavailable, saying what to install, where the system lacks the Pango library."""
    try:
        from weasyprint import HTML  # imported here: it loads Pango, which only reports need
    except (OSError, ImportError) as exc:  # cffi cannot open libpango: an OSError
        raise PdfUnavailable(
            "PDF reports need the Pango library, which this system lacks: install it (Debian and "
            "Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0; macOS: brew install pango), "
            f"then make the report again ({str(exc)[:120]})"
        ) from None

    def refuse(url: str) -> dict[str, object]:
        raise ValueError(f"reports load no outside resources ({url[:60]})")

    return bytes(HTML(string=document, url_fetcher=refuse).write_pdf())


def sheets(r: ReportContent) -> list[Sheet]:
    """Return the report's data as tables; post text is written as text, never as a formula."""
    t = r.trends
    tallies = [
        ("categories", t.categories),
        ("subcategories", t.subcategories),
        ("regions", t.regions),
        ("sources", t.sources),
        ("timeline", t.timeline),
    ]
    header = ["key", "name", "posts", "complaint", "neutral", "positive", "unscored", "complaint share"]
    found = [
        Sheet(
            "summary",
            ["field", "value"],
            [
                ["title", r.title],
                ["from", r.since.isoformat()],
                ["to (not included)", r.until.isoformat()],
                ["covers", r.covers],
                ["time zone", r.zone],
                ["filters", ", ".join(f"{k}={v}" for k, v in r.filters.items()) or "none"],
                ["taxonomy version", t.taxonomy_version],
                ["posts", t.total.posts],
                ["complaint share", round(t.total.complaint_share, 4)],
                ["classifier", r.model],
                ["escalations", "counted by the day they were escalated, not by the day of the post"],
            ],
        )
    ]
    for name, rows in tallies:
        found.append(
            Sheet(
                name,
                header,
                [
                    [
                        x.key,
                        x.name,
                        x.posts,
                        *(x.by_sentiment.get(s, 0) for s in ("complaint", "neutral", "positive", "unscored")),
                        round(x.complaint_share, 4),
                    ]
                    for x in rows
                ],
            )
        )
    found.append(
        Sheet(
            "category by region",
            ["category", "region", "posts"],
            [[c, g, n] for (c, g), n in sorted(t.category_regions.items())],
        )
    )
    found.append(
        Sheet(
            "top issues",
            [
                "rank",
                "subcategory",
                "posts",
                "complaints",
                "example post",
                "author (pseudonym)",
                "source",
                "posted",
                "text",
                "link",
            ],
            [
                [
                    i,
                    issue.name,
                    issue.posts,
                    issue.complaints,
                    e.post_id,
                    e.author_key,
                    e.source,
                    e.posted_at,
                    e.text,
                    e.link,
                ]
                for i, issue in enumerate(r.issues, start=1)
                for e in issue.examples
            ],
        )
    )
    found.append(
        Sheet(
            "spikes",
            ["category", "region", "started", "peak hour posts", "expected", "score", "subsided", "about"],
            [
                [
                    s.category,
                    s.region or "all",
                    s.started_at,
                    s.observed,
                    s.expected,
                    s.score,
                    s.subsided_at,
                    x.sentence if (x := r.explanations.get(s.id)) else "",
                ]
                for s in r.spikes
            ],
        )
    )
    found.append(
        Sheet(
            "escalations",
            [
                "post",
                "category",
                "team",
                "status",
                "escalated",
                "acknowledge by",
                "acknowledged",
                "acknowledge SLA",
                "resolve by",
                "resolved",
                "resolve SLA",
                "outcome",
                "spike",
                "spike subsided",
            ],
            [
                [
                    e.post_id,
                    e.category,
                    e.team,
                    e.status,
                    e.escalated_at,
                    e.ack_due_at,
                    e.acknowledged_at,
                    e.acknowledge_sla,
                    e.resolve_due_at,
                    e.resolved_at,
                    e.resolve_sla,
                    e.outcome,
                    e.spike.id if e.spike else None,
                    (e.spike.subsided_at is not None) if e.spike else None,
                ]
                for e in r.escalations
            ],
        )
    )
    found.append(
        Sheet(
            "source coverage",
            ["source", "kind", "region", "posts", "state", "detail", "last success"],
            [[c.name, c.kind, c.region, c.posts, c.state, c.detail, c.last_success_at] for c in r.coverage],
        )
    )
    found.append(
        Sheet(
            "accuracy",
            [
                "category",
                "held-out posts",
                "precision",
                "precision low",
                "precision high",
                "recall",
                "recall low",
                "recall high",
            ],
            [
                [
                    a.key,
                    a.support,
                    a.precision,
                    round(a.precision_low, 4),
                    round(a.precision_high, 4),
                    a.recall,
                    round(a.recall_low, 4),
                    round(a.recall_high, 4),
                ]
                for a in r.accuracy
            ],
        )
    )
    return found


def csv_text(r: ReportContent) -> str:
    """Return the report's data as one CSV."""
    return to_csv(sheets(r))


def xlsx_bytes(r: ReportContent) -> bytes:
    """Return the report's data as an XLSX workbook."""
    return to_xlsx(sheets(r))
