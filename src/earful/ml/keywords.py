"""Classify with no labels yet: match a taxonomy's keywords, accent- and case-insensitively.

This is the classifier a new deployment starts with. It knows only what the taxonomy says (each
category's keywords) and scores a category by how many different keywords of it a post uses.
Its confidences are rule scores, not calibrated probabilities; a model trained on analysts'
labels replaces them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from earful.ml.taxonomy import Taxonomy

NAME = "keywords"
VERSION = 1
MAX_LABELS = 3


@dataclass(frozen=True, slots=True)
class Prediction:
    """One category for one post, with how sure the classifier is and why."""

    key: str
    confidence: float
    evidence: tuple[str, ...] = ()


def fold(text: str) -> str:
    """Return `text` lower-cased without accents, so "Aplicación" matches "aplicacion"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


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

    def predict(self, text: str) -> list[Prediction]:
        """Return up to MAX_LABELS leaf categories whose keywords the text uses, surest first."""
        folded = fold(text)
        scored = []
        for key, pattern in self._patterns:
            hits = tuple(sorted({m.group() for m in pattern.finditer(folded)}))
            if hits:
                # One keyword is weak evidence, each further one halves the doubt.
                scored.append(Prediction(key, round(1 - 0.8 * 0.5 ** len(hits), 3), hits))
        # Ties go to the category whose evidence is more specific (longer phrases).
        scored.sort(key=lambda p: (-p.confidence, -sum(len(e) for e in p.evidence), p.key))
        return scored[:MAX_LABELS]
