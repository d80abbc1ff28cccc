"""The urgency stage: a 0-1 score with its reasons, so queues can put urgent posts first.

The rules live in `earful.ml.urgency` (the keyword classifier asks them too, to rank a safety
incident's category first): harms weighed and combined, then damped where the post is a joke,
sports, fiction, news, a question, a tip or a pay complaint rather than a report of harm now.
The shipped urgency model (`earful.ml.urgency_model`) reads the post and the rules' findings and
gives the score; the reasons are the rules' ("violence, damped by sports talk"), plus "reads like
a safety report" when only the model found danger, or "damped by the urgency model" when it
overruled the rules.
"""

from __future__ import annotations

from typing import Any

from earful.ml.urgency import URGENT, cues
from earful.ml.urgency_model import assess
from earful.pipeline.stage import WorkItem

__all__ = ["URGENT", "UrgencyStage", "cues"]


class UrgencyStage:
    """Score how urgently someone should look at a post, and say why."""

    name = "urgency"
    version = 4

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return {"urgency": 0-1, "urgency_reasons": [...]} for the post's text and title."""
        found = assess(f"{item.title or ''}\n{item.text}")
        return {"urgency": found.score, "urgency_reasons": found.reasons}
