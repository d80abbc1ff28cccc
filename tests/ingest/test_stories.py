"""News articles on one story, from different outlets, are grouped; other stories stay apart."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.pipeline.stories import MIN_WORDS, story_terms
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post
from earful.triage.feed import feed
from tests.conftest import shared_data

# Two reports written for this test: the same programme, other stories.
RATES = (
    "Amazon Flex drivers in Spain will see new delivery rates from next month, the company announced. "
    "The changes apply to blocks in Madrid, Barcelona and Valencia, where drivers say fuel costs and "
    "parking fines eat into their earnings. A four hour block will pay a base rate plus a bonus for "
    "routes with more than sixty stops. A spokesperson said the rates were reviewed after feedback from "
    "drivers and that most would earn more per hour. Some drivers welcomed the change but said the bonus "
    "thresholds were hard to reach on rural routes where stops are far apart. Others asked whether the "
    "rates would keep pace with the price of petrol, which has risen sharply. The company said it would "
    "publish the full rate card in the driver app and answer questions through its support line. "
    "Delivery volumes rise before Christmas, and the new rates will be in place for the busy season."
)
STORM = (
    "A severe storm closed roads across the north of England on Friday, delaying parcel deliveries for "
    "thousands of households. Flooding on the A1 and fallen trees near Leeds and York left delivery vans "
    "stuck for hours, and several couriers said they abandoned routes when water covered the roads. The "
    "Met Office issued an amber warning for wind and rain, and police asked drivers to avoid all but "
    "essential journeys. Parcel firms said they would try to deliver delayed items over the weekend, and "
    "customers were told to expect their orders a day or two late. One courier described driving through "
    "water up to the wheel arches before turning back. Councils opened rest centres for people whose "
    "homes were flooded, and rail services between Newcastle and Edinburgh were suspended. Forecasters "
    "expect calmer weather by Sunday, with more rain due next week."
)


def test_short_posts_have_no_story_terms() -> None:
    assert story_terms("the app crashed again " * 5) is None
    assert len(RATES.split()) >= MIN_WORDS and story_terms(RATES)


def test_five_outlets_reports_of_one_story_group_together(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    folder = shared_data("news-articles")
    rows = [
        {"id": f"article-{i}", "text": (folder / f"article-{i}.txt").read_text(encoding="utf-8")}
        for i in range(1, 6)
    ]
    rows += [{"id": "rates", "text": RATES}, {"id": "storm", "text": STORM}]
    rows += [{"id": "tweet", "text": "amazon flex app crashed again, lost my block"}]
    path = tmp_path / "news.jsonl"
    # Two imports, so stories also join across enrichment batches.
    path.write_text("".join(json.dumps(r) + "\n" for r in rows[:3]))
    get_or_create_source(db, "news")
    iter_import(db, settings, path, "news")
    drain(db, settings)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows[3:]))
    iter_import(db, settings, path, "news")
    drain(db, settings)

    with db.read() as session:
        story = {p.external_id: p.story_id for p in session.scalars(select(Post))}
    assert story["tweet"] is None
    reports = {story[f"article-{i}"] for i in range(1, 6)}
    assert len(reports) == 1 and None not in reports
    assert story["rates"] not in reports and story["storm"] not in reports
    assert story["rates"] != story["storm"]

    shown = [p for p in feed(db).posts if p.story_id in reports]
    assert len(shown) == 5 and all(p.story_articles == 5 for p in shown)
