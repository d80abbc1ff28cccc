"""The post timeline's words for every kind of step, and its times in the deployment's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from earful.store.models import TriageEvent
from earful.web.timeline import steps

AT = datetime(2025, 11, 7, 13, 5, tzinfo=UTC)
NAMES = {"pay.tips": "Missing tips", "media": "Media coverage"}


def said(action: str, actor: str = "ana", **detail: Any) -> str:
    (step,) = steps([TriageEvent(action=action, actor=actor, detail=detail, at=AT)], "Europe/Madrid", NAMES)
    return f"{step.who} {step.what}"


def test_every_step_reads_as_words() -> None:
    assert said("assign", assignee="ana", batch=True) == "ana took it in a batch"
    assert said("assign", assignee="ben") == "ana assigned it to ben"
    assert said("assign", assignee=None) == "ana unassigned it"
    assert said("status", status="investigating", was="new", reason=None) == (
        "ana moved it from new to investigating"
    )
    assert said("status", status="dismissed", was="new", reason="spam") == 'ana dismissed it, reason: "spam"'
    assert said("status", status="resolved", was="escalated", reason="Rolled back") == (
        'ana resolved it, outcome: "Rolled back"'
    )
    assert said("status", status="investigating", was="resolved") == (
        "ana reopened it (resolved before) to investigating"
    )
    assert said("status", status="dismissed", was="new", reason="spam", bulk=True) == (
        'ana dismissed it, reason: "spam" (in a bulk action)'
    )
    assert said("note", text="Rang the depot") == 'ana added a note: "Rang the depot"'
    assert said("flag") == "ana flagged it for investigation" and said("unflag") == "ana cleared the flag"
    assert said("take_over", "lee", taken_from="ana") == "lee took it over from ana"
    assert said("relabel", categories="pay.tips, media", sentiment="complaint") == (
        "ana relabelled it: Missing tips, Media coverage; sentiment complaint"
    )
    assert said("relabel", categories=None, sentiment="neutral") == "ana set its sentiment to neutral"
    assert said("acknowledge", late=True) == "ana acknowledged it for the team, after the deadline"
    assert said("sla_reminder", "sla", deadline="acknowledge", emailed=True) == (
        "The deadline check reminded the team it is due to be acknowledged soon, by email"
    )
    assert said(
        "sla_missed", "sla", deadline="acknowledge, resolve", team="App team", leadership_emailed=False
    ) == (
        "The deadline check recorded that App team missed the deadline to acknowledge and resolve it; "
        "no email went to leadership"
    )


def test_escalation_deadlines_are_in_the_deployment_zone_and_link_the_spike() -> None:
    event = TriageEvent(
        action="escalate",
        actor="lee",
        at=AT,
        detail={
            "team": "App team",
            "note": None,
            "spike": 3,
            "acknowledge_by": "2025-11-07T21:05+00:00",
            "resolve_by": "2025-11-09T13:05+00:00",
        },
    )
    (step,) = steps([event], "Europe/Madrid", NAMES)
    assert step.what == (
        "escalated it to App team: acknowledge by 7 Nov 2025, 22:05 CET, resolve by 9 Nov 2025, 14:05 CET"
    )
    assert step.spike_id == 3


def test_a_step_it_has_no_words_for_still_reads_plainly() -> None:
    assert said("lock_take_over", taken_from="ben", urgent=True, until="2025-11-07T14:00+00:00") == (
        "ana lock take over (taken from: ben; until: 7 Nov 2025, 15:00 CET; urgent: yes)"
    )
