"""Classify with no labels yet: match a taxonomy's keywords, accent- and case-insensitively.

This is the classifier a new deployment starts with. It knows only what the taxonomy says (each
category's keywords) and scores a category by how many different keywords of it a post uses.
Its confidences are rule scores, not calibrated probabilities; a model trained on analysts'
labels replaces them.

A safety incident comes first. When a post is urgent (`earful.ml.urgency`) and uses the keywords
of a subcategory of the taxonomy's `safety` category, that subcategory's keywords count on top of
those of the post's most mentioned other category, so "robbed at gunpoint with 12 packages" is
Violence first and Package volume after, and two safety subcategories keep their own order. When
the harm words are not about harm (a football "robo", pay called "daylight robbery", a film), the
safety subcategories are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from earful.ml import urgency
from earful.ml.taxonomy import SAFETY, Taxonomy
from earful.ml.text import fold as fold  # re-exported: the pipeline's stages fold text the same way

NAME = "keywords"
VERSION = 2
MAX_LABELS = 3


@dataclass(frozen=True, slots=True)
class Prediction:
    """One category for one post, with how sure the classifier is and why."""

    key: str
    confidence: float
    evidence: tuple[str, ...] = ()


class KeywordClassifier:
    """Score each leaf category (a subcategory, or a category without any) by its keywords."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for node in taxonomy.nodes:
            if taxonomy.children(node.key) or not node.keywords:
                continue
            words = sorted({fold(k) for k in node.keywords if k.strip()}, key=len, reverse=True)
            alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
            self._patterns.append((node.key, re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")))
        self._incidents = {key for key, _ in self._patterns if key.split(".")[0] == SAFETY}

    def predict(self, text: str) -> list[Prediction]:
        """Return up to MAX_LABELS leaf categories whose keywords the text uses, surest first."""
        folded = fold(text)
        matches = [
            (key, m.start(), m.end()) for key, pattern in self._patterns for m in pattern.finditer(folded)
        ]
        found: dict[str, tuple[str, ...]] = {}
        for key, start, end in matches:
            # A keyword inside a longer one of another category counts for the longer only:
            # "dog attacked" is Animals, not Violence as well.
            if not any(k != key and s <= start and end <= e and e - s > end - start for k, s, e in matches):
                found[key] = (*found.get(key, ()), folded[start:end])
        found = {key: tuple(sorted(set(hits))) for key, hits in found.items()}
        counts = {key: len(hits) for key, hits in found.items()}
        incidents = self._incidents & found.keys()
        if incidents:
            said = urgency.assess(text)
            if said.figurative and said.score < urgency.URGENT:
                counts = {key: n for key, n in counts.items() if key not in incidents}
            elif said.score >= urgency.URGENT:
                others = max((n for key, n in counts.items() if key not in incidents), default=0)
                counts.update({key: counts[key] + others for key in incidents})
        # One keyword is weak evidence, each further one halves the doubt.
        scored = [Prediction(key, round(1 - 0.8 * 0.5**n, 3), found[key]) for key, n in counts.items()]
        # Ties go to the category whose evidence is more specific (longer phrases).
        scored.sort(key=lambda p: (-p.confidence, -sum(len(e) for e in p.evidence), p.key))
        return scored[:MAX_LABELS]
