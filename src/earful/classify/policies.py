"""Who may teach the models: analysts relabel posts; leads and admins train models and change the
taxonomy."""

from __future__ import annotations

RELABELLERS = frozenset({"analyst", "lead", "admin"})
TRAINERS = frozenset({"lead", "admin"})


def can_edit_taxonomy(role: str) -> bool:
    """Return True when `role` may load a new taxonomy version."""
    return role in TRAINERS


def can_relabel(role: str) -> bool:
    """Return True when `role` may change a post's categories or tone."""
    return role in RELABELLERS


def can_train(role: str) -> bool:
    """Return True when `role` may train a model and put it to use."""
    return role in TRAINERS


def can_choose_model(role: str) -> bool:
    """Return True when `role` may promote a candidate model or roll back to an earlier one."""
    return role in TRAINERS
