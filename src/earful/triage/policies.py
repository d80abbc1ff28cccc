"""Who may do what with triage: the access matrix for posts, queues and teams, top to bottom."""

from __future__ import annotations

# viewer reads; analyst works the queue; lead escalates and sees team queues; admin runs teams.
TRIAGERS = frozenset({"analyst", "lead", "admin"})
ESCALATORS = frozenset({"lead", "admin"})
TEAM_ADMINS = frozenset({"admin"})


def can_read_posts(role: str) -> bool:
    """Return True when `role` may read the feed and posts (every role)."""
    return role in {"viewer", *TRIAGERS}


def can_triage(role: str) -> bool:
    """Return True when `role` may change status, assign, note, flag or take a batch."""
    return role in TRIAGERS


def can_escalate(role: str) -> bool:
    """Return True when `role` may escalate a post to its owning team."""
    return role in ESCALATORS


def can_take_over(role: str) -> bool:
    """Return True when `role` may take over a post another person is working on (it is audited)."""
    return role in ESCALATORS


def can_see_team_queues(role: str) -> bool:
    """Return True when `role` may open any team's queue."""
    return role in ESCALATORS


def can_manage_teams(role: str) -> bool:
    """Return True when `role` may create teams and change what they own."""
    return role in TEAM_ADMINS


def can_open_team_queue(role: str, own_team_id: int | None, team_id: int) -> bool:
    """Return True when someone may open a team's queue: leads and admins, and the team's members."""
    return can_see_team_queues(role) or (own_team_id is not None and own_team_id == team_id)
