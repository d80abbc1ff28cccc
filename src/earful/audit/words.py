"""Audit entries in words: what each action means, and its details as a person would say them.

The log stores compact details ({"reason": true} means a reason was given, never its text, which
may quote a post); the page and the export say them in words ("with a reason").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

# Every action the product records, in the order the audit page's "what" filter offers them.
ACTIONS: dict[str, str] = {
    "login": "signed in",
    "login.failed": "failed to sign in",
    "login.refused": "sign-in refused after too many failures",
    "login.sso_failed": "single sign-on failed",
    "login.sso_refused": "single sign-on refused (no active account)",
    "post.view": "viewed a post",
    "post.relabel": "relabelled a post",
    "author.reveal": "revealed who wrote a post",
    "author.erase": "erased a person's posts",
    "triage.assign": "assigned a post",
    "triage.status": "changed a post's status",
    "triage.note": "added a note to a post",
    "triage.flag": "flagged a post",
    "triage.unflag": "unflagged a post",
    "triage.escalate": "escalated a post to a team",
    "triage.acknowledge": "acknowledged an escalation",
    "triage.sla_reminder": "reminded a team of a deadline",
    "triage.sla_missed": "recorded a missed deadline",
    "user.add": "added a user",
    "user.update": "changed a user",
    "user.password": "reset a password",
    "token.add": "created an API token",
    "token.revoke": "revoked an API token",
    "team.save": "saved a team",
    "source.create": "added a source",
    "source.update": "changed a source",
    "source.disabled": "stopped collecting from a source",
    "source.silent": "noticed a source gone silent",
    "retention.purge": "deleted posts past their retention",
    "taxonomy.load": "saved a taxonomy version",
    "model.train": "trained a model",
    "model.promote": "put a model in use",
    "model.rollback": "went back to an earlier model",
    "topic.accept": "accepted an emerging topic",
    "topic.reject": "rejected an emerging topic",
    "alert_rule.save": "saved an alert rule",
    "alert_rule.delete": "deleted an alert rule",
    "alert_rule.test": "sent a test alert",
    "report.make": "made a report",
    "report.email": "emailed a report",
    "audit.export": "exported the audit log",
}

# Groups the "what" filter offers besides single actions: a prefix and what it covers.
GROUPS: dict[str, str] = {
    "login": "all sign-ins",
    "triage.": "all triage steps",
    "author.": "reveals and erasure",
    "user.": "all changes to users",
    "source.": "all changes to sources",
    "model.": "all model changes",
}

# Details stored as True/False that mean something was there, or happened.
FLAGS: dict[str, tuple[str, str]] = {
    "reason": ("with a reason", "without a reason"),
    "note": ("with a note", "without a note"),
    "batch": ("as part of a batch", "one post"),
    "bulk": ("in bulk", "one post"),
    "emailed": ("emailed", "not emailed"),
    "leadership_emailed": ("leadership emailed", "leadership not emailed"),
}

LABELS = {
    "via": "through",
    "team_id": "team",
    "to": "to",
    "was": "was",
    "owns": "owns",
    "posts": "posts",
    "sessions_ended": "sessions signed out",
    "acknowledge_by": "acknowledge by",
    "resolve_by": "resolve by",
    "taxonomy_version": "taxonomy version",
    "models_dropped": "models dropped",
    "silent_hours": "silent for (hours)",
    "expected_hours": "expected within (hours)",
    "retention_days": "retention (days)",
    "consent_basis": "consent basis",
}


def action_words(action: str) -> str:
    """Return what an action means ("viewed a post"), or the action itself when it is not known."""
    return ACTIONS.get(action, action)


def describe(action: str, detail: dict[str, Any] | None) -> str:
    """Return an entry's details in words, e.g. "from new to dismissed; with a reason"."""
    detail = {k: v for k, v in (detail or {}).items() if v is not None}
    parts: list[str] = []
    if "status" in detail:
        was = detail.pop("was", None)
        status = detail.pop("status")
        parts.append(f"from {was} to {status}" if was else f"to {status}")
    if isinstance(detail.get("before"), dict) and isinstance(detail.get("after"), dict):
        parts.append(_change(detail.pop("before"), detail.pop("after")))
    if detail.get("via") == "api":
        detail.pop("via")
        parts.append("through the API")
    for key, value in sorted(detail.items()):
        parts.append(_pair(key, value))
    return "; ".join(p for p in parts if p)


def _pair(key: str, value: Any) -> str:
    if isinstance(value, bool) and key in FLAGS:
        return FLAGS[key][0 if value else 1]
    label = LABELS.get(key, key.replace("_", " "))
    return f"{label}: {_value(value)}"


def _change(before: dict[str, Any], after: dict[str, Any]) -> str:
    changed = [key for key in after if before.get(key) != after.get(key)]
    if not changed:
        return "nothing changed"
    return ", ".join(
        f"{LABELS.get(k, k.replace('_', ' '))} {_value(before.get(k))} → {_value(after.get(k))}"
        for k in changed
    )


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, str):
        when = _moment(value)
        if when is not None:
            return when
    return str(value)


def _moment(text: str) -> str | None:
    """Return an ISO time as "06 Dec 2026 18:00 UTC", or None when `text` is not one."""
    if len(text) < 16 or text[4:5] != "-" or "T" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    zone = moment.strftime("%z") if moment.utcoffset() else "UTC"
    return f"{moment:%d %b %Y %H:%M} {zone}"
