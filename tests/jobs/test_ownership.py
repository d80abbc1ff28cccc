"""A worker whose job was taken back (its heartbeats stopped reaching the database, so another
worker now runs it) commits none of that job's work and does not mark it finished or failed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from earful.jobs.queue import enqueue, run_one
from earful.jobs.registry import JobContext, job
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Job, Team


@job("test.taken")
def taken_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Write a team, while (as far as the database is told) another worker takes the job back."""
    ctx.session.add(Team(name=payload["team"]))
    assert ctx.db is not None
    with ctx.db.write() as session:  # what recover_stale does on another machine
        session.execute(
            update(Job)
            .where(Job.name == "test.taken", Job.status == "running")
            .values(status="queued", locked_by=None)
        )


def test_a_job_taken_back_from_its_worker_leaves_nothing_of_that_run(
    db: Database, settings: Settings
) -> None:
    with db.write() as session:
        job_id = enqueue(session, settings, "test.taken", {"team": "Twice"})
    assert run_one(db, settings, "slow:1") is True
    with db.read() as session:
        assert session.scalar(select(Team.id)) is None, "the run that lost its job committed its work"
        found = session.get(Job, job_id)
        assert found is not None
        # Still queued for whoever takes it next, and not counted as a failure.
        assert (found.status, found.locked_by, found.last_error, found.attempts) == ("queued", None, None, 1)
