"""The insights domain's background jobs: watch for spikes, raise and send alerts, the weekly digest."""

from __future__ import annotations

import logging
from typing import Any

from earful.insights import alerts, reports, topics, watch
from earful.jobs.registry import JobContext, job

log = logging.getLogger(__name__)
SPIKES_JOB = "insights.spikes"
ALERTS_JOB = "insights.alerts"
DIGEST_JOB = "insights.digest"
TOPICS_JOB = "insights.topics"


@job(SPIKES_JOB)
def find_spikes(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Find new spikes in the hourly counts and mark old ones subsided."""
    if ctx.db is None:
        raise RuntimeError("the spikes job needs the database, not one session")
    found = watch.scan(ctx.db, ctx.settings)
    if found:
        log.info("%s new spike(s)", len(found))


@job(ALERTS_JOB)
def run_alerts(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Raise the alerts the rules call for and send those whose time has come."""
    if ctx.db is None:
        raise RuntimeError("the alerts job needs the database, not one session")
    alerts.evaluate(ctx.db, ctx.settings)
    alerts.deliver(ctx.db, ctx.settings)


@job(DIGEST_JOB)
def weekly_digest(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Make and email the weekly digest when it is due and not yet made."""
    if ctx.db is None:
        raise RuntimeError("the digest job needs the database, not one session")
    made = reports.weekly(ctx.db, ctx.settings)
    if made is not None:
        log.info("weekly digest made: report %s", made)


@job(TOPICS_JOB)
def find_topics(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Cluster the week's posts that no category fits, and propose the clusters as topics."""
    if ctx.db is None:
        raise RuntimeError("the topics job needs the database, not one session")
    found = topics.run(ctx.db)
    log.info("emerging topics: %s cluster(s) this run", len(found))
