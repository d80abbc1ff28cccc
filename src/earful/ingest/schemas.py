"""What an import reports back."""

from __future__ import annotations

from dataclasses import dataclass, field

ENRICH_JOB = "ingest.enrich"
POLL_JOB = "ingest.poll"


@dataclass(slots=True)
class ImportSummary:
    """Counts of what one import did."""

    source: str
    format: str
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    skipped: int = 0
    quarantined: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    # The first quarantined items with their reasons (at most a hundred; `quarantined` counts all).
    quarantine_reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when nothing was quarantined."""
        return self.quarantined == 0
