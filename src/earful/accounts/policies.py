"""Roles, from least to most privileged, and the predicates that check them."""

from __future__ import annotations

ROLES = ("viewer", "analyst", "lead", "admin")


def at_least(role: str, needed: str) -> bool:
    """Return True when `role` is `needed` or a more privileged one."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def can_read_posts(role: str) -> bool:
    """Everyone signed in may read the feed."""
    return at_least(role, "viewer")


def can_manage_users(role: str) -> bool:
    """Only admins add or change users."""
    return at_least(role, "admin")
