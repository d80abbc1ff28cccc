"""Roles, from least to most privileged."""

from __future__ import annotations

# viewer: dashboards and reports; analyst: triage; lead: escalation and exports; admin: everything.
ROLES = ("viewer", "analyst", "lead", "admin")


def signed_in(role: str) -> bool:
    """Return True for any role: pages every signed-in person may open."""
    return role in ROLES


def can_manage_users(role: str) -> bool:
    """Return True when `role` may add users, change roles and issue tokens for others."""
    return role == "admin"


def can_read_audit(role: str) -> bool:
    """Return True when `role` may read the audit log."""
    return role == "admin"


def can_view_settings(role: str) -> bool:
    """Return True when `role` may see the deployment's settings."""
    return role == "admin"
