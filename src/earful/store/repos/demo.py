"""The demo's story in time: its escalations happened on the days of its invented posts.

`earful demo` escalates, acknowledges and resolves posts through the triage services, which stamp
each step with the moment the demo is loaded. A month-old outage escalated "today" tells a broken
story (a report of the outage's week would list no escalation), so the demo then moves those steps
to the times its story gives them. Only the triage item and its timeline move; the audit log keeps
when the demo really did each thing, as it keeps everything.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from earful.kit.clock import as_utc
from earful.store.models import TriageEvent, TriageItem

_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
# Which timeline step happened at which moment of the story.
_STEP = {"escalate": "escalated", "acknowledge": "acknowledged", "status": "resolved"}


def restage(
    session: Session, post_id: int, *, escalated: datetime, acknowledged: datetime, resolved: datetime
) -> None:
    """Move the post's escalation to `escalated`, its acknowledgment and its resolution to the
    times given; its deadlines move with the escalation (their hours are the SLA's)."""
    item = session.scalars(select(TriageItem).where(TriageItem.post_id == post_id)).one()
    was = as_utc(item.escalated_at)
    assert was is not None, "restage a post after escalating it"
    shift = escalated - was
    item.escalated_at = escalated
    for name in ("ack_due_at", "resolve_due_at"):
        due = as_utc(getattr(item, name))
        setattr(item, name, due + shift if due is not None else None)
    item.acknowledged_at = acknowledged
    item.resolved_at = resolved
    item.created_at = min(as_utc(item.created_at) or escalated, escalated)
    item.updated_at = resolved
    moments = {"escalated": escalated, "acknowledged": acknowledged, "resolved": resolved}
    for event in session.scalars(select(TriageEvent).where(TriageEvent.post_id == post_id)):
        step = _STEP.get(event.action)
        if step is None:
            continue
        event.at = moments[step]
        if event.action == "escalate":
            event.detail = {key: _shifted(value, shift) for key, value in event.detail.items()}


def _shifted(value: Any, shift: Any) -> Any:
    """Return an ISO time in an event's detail (a deadline) moved by `shift`; anything else as it is."""
    if not isinstance(value, str) or not _STAMP.match(value):
        return value
    moved = datetime.fromisoformat(value) + shift
    return moved.isoformat(timespec="minutes" if len(value) <= 22 else "seconds")
