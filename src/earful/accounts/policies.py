"""Roles, from least to most privileged."""

from __future__ import annotations

# viewer: dashboards and reports; analyst: triage; lead: escalation and exports; admin: everything.
ROLES = ("viewer", "analyst", "lead", "admin")
