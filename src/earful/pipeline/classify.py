"""The classify stage: sort a post into the taxonomy's categories, with a confidence for each."""

from __future__ import annotations

from typing import Any, Protocol

from earful.ml.keywords import Prediction
from earful.pipeline.stage import WorkItem

CODE_VERSION = 3  # 3: the keyword classifier ranks a safety incident first


class Classifier(Protocol):
    """Anything that predicts leaf categories for a text."""

    def predict(self, text: str) -> list[Prediction]:
        """Return the categories of `text`, surest first."""
        ...


class ClassifyStage:
    """Label the post with leaf categories (and so their parents) of one taxonomy version.

    Its version folds in the taxonomy's and the trained model's (0 for the keyword classifier), so
    loading a new taxonomy or training a new model makes every post's labels stale, and re-running
    the chain relabels them.
    """

    name = "classify"

    def __init__(self, classifier: Classifier, taxonomy_version: int, model: str, model_id: int = 0) -> None:
        if not 0 <= model_id < 1_000_000 or not 0 <= taxonomy_version < 1_000_000:
            raise ValueError("taxonomy and model versions must be below a million to fold into one version")
        self.classifier = classifier
        self.model_id = model_id
        self.taxonomy_version = taxonomy_version
        self.model = model
        self.version = CODE_VERSION * 10**12 + taxonomy_version * 10**6 + model_id

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return the post's labels: category key, confidence and the evidence for each."""
        text = f"{item.title}\n{item.text}" if item.title else item.text
        labels = [
            {"key": p.key, "confidence": p.confidence, "evidence": list(p.evidence)}
            for p in self.classifier.predict(text)
        ]
        return {"labels": labels, "taxonomy_version": self.taxonomy_version, "model": self.model}
