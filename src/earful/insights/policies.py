"""Who may do what with insights: the access matrix for trends, reports, alert rules and topics."""

from __future__ import annotations

READERS = frozenset({"viewer", "analyst", "lead", "admin"})
REPORTERS = frozenset({"analyst", "lead", "admin"})
ALERT_ADMINS = frozenset({"lead", "admin"})
TAXONOMY_ADMINS = frozenset({"admin"})


def can_see_insights(role: str) -> bool:
    """Return True when `role` may see trends, spikes, emerging topics and archived reports."""
    return role in READERS


def can_make_reports(role: str) -> bool:
    """Return True when `role` may make an on-demand report."""
    return role in REPORTERS


def can_manage_alerts(role: str) -> bool:
    """Return True when `role` may create, change and delete alert rules."""
    return role in ALERT_ADMINS


def can_decide_topics(role: str) -> bool:
    """Return True when `role` may accept an emerging topic into the taxonomy, or reject it."""
    return role in TAXONOMY_ADMINS
