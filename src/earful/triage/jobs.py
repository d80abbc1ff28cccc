"""The triage domain's background job: the escalation loop's reminders and missed-deadline notices."""

from __future__ import annotations

import logging
from typing import Any

from earful.jobs.registry import JobContext, job
from earful.triage.sla import sweep

log = logging.getLogger(__name__)
SLA_JOB = "triage.sla"


@job(SLA_JOB)
def check_deadlines(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Remind teams of escalation deadlines coming up and tell leadership of deadlines missed."""
    if ctx.db is None:
        raise RuntimeError("the SLA job needs the database, not one session")
    done = sweep(ctx.db, ctx.settings)
    if done.reminded or done.escalated_to_leadership:
        log.info(
            "SLA: %s reminder(s), %s missed deadline(s) escalated",
            done.reminded,
            done.escalated_to_leadership,
        )
