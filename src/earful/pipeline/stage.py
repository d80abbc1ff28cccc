"""What every enrichment stage is: a name, a version, and a pure function of a work item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class WorkItem:
    """The state of one post as it moves through the chain.

    Stages read what earlier stages wrote and return their own outputs; the chain merges each
    stage's outputs into `fields` so later stages can use them.
    """

    text: str
    title: str | None = None
    author_handle: str | None = None
    language_hint: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


class Stage(Protocol):
    """A named, versioned, pure enrichment step. Bump `version` whenever its output may change."""

    name: str
    version: int

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return this stage's outputs for `item`; never touch a database or the network."""
        ...
