"""The sentiment stage: positive, neutral or complaint, with the complaint probability, in English
and Spanish.

With no labels it uses the tone model that ships with Earful (`ml/tone.py`): a complaint is
someone reporting a problem, whatever their tone; questions, suggestions, news, jokes and bad
feelings that report no problem are neutral. A model trained on the deployment's own judgements
replaces it once it beats it on held-out labels (classify/learning.py), and its id folds into the
stage version so posts are scored again. The old cue-word scorer, `score_text`, stays as a
baseline for the benchmarks.
"""

from __future__ import annotations

from typing import Any, Protocol

from earful.ml import tone
from earful.ml.cues import score_text
from earful.pipeline.stage import WorkItem

__all__ = ["SentimentModel", "SentimentStage", "builtin_score", "score_text"]


class SentimentModel(Protocol):
    """A sentiment model: the label of a text and its complaint score in 0-1."""

    def score(self, text: str) -> tuple[str, float]:
        """Return (positive|neutral|complaint, complaint score)."""
        ...


def builtin_score(text: str) -> tuple[str, float]:
    """Return the shipped tone model's sentiment of `text` and its complaint probability."""
    return tone.shipped().score(text)


class SentimentStage:
    """Say whether a post is praise, neutral, or a complaint, and how likely a complaint it is.

    Without a trained `model` it uses the shipped tone model for the deployment's settings:
    `tone-e5-1` when `embeddings` (EARFUL_EMBEDDINGS) is on, else `tone-cascade-1` when `cascade`
    (EARFUL_TONE_CASCADE) is on, `tone-1` otherwise.
    """

    name = "sentiment"
    CODE_VERSION = 2

    def __init__(
        self,
        model: SentimentModel | None = None,
        model_id: int = 0,
        *,
        embeddings: bool = False,
        cascade: bool = False,
    ) -> None:
        self.model = model
        self.model_id = model_id if model is not None else 0
        self.shipped: str | None = None
        if model is not None:
            self._score = model.score
            self.version = self.CODE_VERSION * 10**6 + model_id
        else:
            builtin = tone.for_settings(embeddings, cascade)
            self.shipped = builtin.name
            self._score = builtin.score
            # A new cascade band re-scores stored posts: its revision folds into the version.
            code = 1 if embeddings else 2 + 10 * tone.CASCADE_REVISION if cascade else 0
            self.version = self.CODE_VERSION * 100 + code

    def run(self, item: WorkItem) -> dict[str, Any]:
        """Return {"sentiment": positive|neutral|complaint, "sentiment_score": 0-1}."""
        label, score = self._score(f"{item.title or ''}\n{item.text}")
        return {"sentiment": label, "sentiment_score": score}
