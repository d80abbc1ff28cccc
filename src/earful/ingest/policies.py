"""Rules on what may be collected."""

from __future__ import annotations

from earful.kit.errors import Forbidden
from earful.store.models import Source


def require_collectable(source: Source) -> None:
    """Refuse collection from a private source that has no recorded consent basis."""
    if source.visibility == "private" and not (source.consent_basis or "").strip():
        raise Forbidden(
            f"Source {source.name!r} is private and records no consent basis. Earful does not collect "
            "from closed or private groups unless their members consented: record the basis with "
            "`earful source set NAME --consent-basis '...'` or make the source public if it is."
        )


REVEALERS = frozenset({"lead", "admin"})
ERASERS = frozenset({"admin"})


def can_reveal_author(role: str) -> bool:
    """Return True when `role` may reveal who wrote a post (with a written reason, audited)."""
    return role in REVEALERS


def can_erase(role: str) -> bool:
    """Return True when `role` may erase a person's posts or change retention."""
    return role in ERASERS


def can_manage_sources(role: str) -> bool:
    """Return True when `role` may add or change sources."""
    return role in ERASERS
