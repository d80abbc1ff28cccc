"""A post's timeline in the product's words: "ana took it in a batch", "lee escalated it to App team:
acknowledge by 7 Nov, 14:05 UTC, resolve by 9 Nov, 14:05 UTC", never a stored key or an ISO stamp."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from earful.kit.clock import as_utc
from earful.store.models import TriageEvent
from earful.web.render import when

# Who did it, where the step was Earful's own rather than a person's.
SYSTEM_ACTORS = {"sla": "The deadline check"}


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the timeline: when, who, what they did (in words), and the spike it links to."""

    at: datetime
    who: str
    what: str
    spike_id: int | None = None


def steps(events: Sequence[TriageEvent], zone: str, names: Mapping[str, str]) -> list[Step]:
    """Return the post's events as timeline lines; `names` maps category keys to their names and
    times are written in `zone`."""
    return [_step(event, zone, names) for event in events]


def _step(event: TriageEvent, zone: str, names: Mapping[str, str]) -> Step:
    detail = dict(event.detail or {})
    words = WORDS.get(event.action)
    what = words(detail, event.actor, zone, names) if words else event.action.replace("_", " ")
    spike = detail.pop("spike", None)
    tail = ["in a bulk action"] if detail.pop("bulk", None) else []
    tail += [f"{key.replace('_', ' ')}: {_value(v, zone)}" for key, v in sorted(detail.items()) if v]
    if tail:
        what += f" ({'; '.join(tail)})"
    at = as_utc(event.at) or event.at
    return Step(
        at, SYSTEM_ACTORS.get(event.actor, event.actor), what, spike if isinstance(spike, int) else None
    )


def _value(value: Any, zone: str) -> str:
    """A detail the words below do not cover, still readable: yes/no, a time in `zone`, else as is."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    moment = _moment(value)
    return when(moment, zone) if moment is not None else str(value)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def _quoted(text: Any) -> str:
    return f'"{text}"'


# Each takes the event's detail (popping what it puts in words), the actor's name, the time zone and
# the category names, and returns what the actor did.
Words = Callable[[dict[str, Any], str, str, Mapping[str, str]], str]


def _assign(d: dict[str, Any], actor: str, _zone: str, _names: Mapping[str, str]) -> str:
    assignee = d.pop("assignee", None)
    if d.pop("batch", False):
        return "took it in a batch" if assignee in (None, actor) else f"dealt it to {assignee} in a batch"
    if assignee is None:
        return "unassigned it"
    return "assigned it to themselves" if assignee == actor else f"assigned it to {assignee}"


def _status(d: dict[str, Any], _actor: str, _zone: str, _names: Mapping[str, str]) -> str:
    status, was, reason = d.pop("status", None), d.pop("was", None), d.pop("reason", None)
    if status == "dismissed":
        said = "dismissed it"
    elif status == "resolved":
        said = "resolved it"
    elif status == "new":
        said = "put it back among the new posts, for anyone's batch"
    elif was in ("resolved", "dismissed"):
        said = f"reopened it ({was} before) to {status}"
    else:
        said = f"moved it from {was} to {status}" if was else f"moved it to {status}"
    if reason:
        said += f", {'outcome' if status == 'resolved' else 'reason'}: {_quoted(reason)}"
    return said


def _escalate(d: dict[str, Any], _actor: str, zone: str, _names: Mapping[str, str]) -> str:
    said = f"escalated it to {d.pop('team', None) or 'a team'}"
    due = []
    for verb, key in (("acknowledge", "acknowledge_by"), ("resolve", "resolve_by")):
        moment = _moment(d.pop(key, None))
        if moment is not None:
            due.append(f"{verb} by {when(moment, zone)}")
    if due:
        said += ": " + ", ".join(due)
    if note := d.pop("note", None):
        said += f"; note: {_quoted(note)}"
    return said


def _acknowledge(d: dict[str, Any], _actor: str, _zone: str, _names: Mapping[str, str]) -> str:
    late = d.pop("late", False)
    return "acknowledged it for the team, " + ("after the deadline" if late else "in time")


def _reminder(d: dict[str, Any], _actor: str, _zone: str, _names: Mapping[str, str]) -> str:
    deadline, emailed = d.pop("deadline", None), d.pop("emailed", False)
    said = f"reminded the team it is due to be {deadline}d soon" if deadline else "reminded the team"
    return said + (", by email" if emailed else "; no email went out (no address, or sending failed)")


def _missed(d: dict[str, Any], _actor: str, _zone: str, _names: Mapping[str, str]) -> str:
    team, deadline = d.pop("team", None) or "the team", str(d.pop("deadline", None) or "")
    what = " and ".join(part.strip() for part in deadline.split(",") if part.strip()) or "act on"
    told = d.pop("leadership_emailed", False)
    return f"recorded that {team} missed the deadline to {what} it; " + (
        "leadership was emailed" if told else "no email went to leadership"
    )


def _relabel(d: dict[str, Any], _actor: str, _zone: str, names: Mapping[str, str]) -> str:
    keys = [k.strip() for k in str(d.pop("categories", None) or "").split(",") if k.strip()]
    sentiment = d.pop("sentiment", None)
    shown = ", ".join(names.get(key, key) for key in keys)
    if keys and sentiment:
        return f"relabelled it: {shown}; sentiment {sentiment}"
    if keys:
        return f"relabelled it: {shown}"
    if sentiment:
        return f"set its sentiment to {sentiment}"
    return "removed the analysts' categories; the model's show again"


def _note(d: dict[str, Any], _actor: str, _zone: str, _names: Mapping[str, str]) -> str:
    return f"added a note: {_quoted(d.pop('text', ''))}"


WORDS: dict[str, Words] = {
    "assign": _assign,
    "status": _status,
    "escalate": _escalate,
    "acknowledge": _acknowledge,
    "sla_reminder": _reminder,
    "sla_missed": _missed,
    "relabel": _relabel,
    "note": _note,
    "take_over": lambda d, a, z, n: f"took it over from {d.pop('taken_from', 'another analyst')}",
    "flag": lambda d, a, z, n: "flagged it for investigation",
    "unflag": lambda d, a, z, n: "cleared the flag",
}
