"""Run a post through the stages in order, and work out which stages a version bump makes stale.

Each stage records the version that produced its outputs. When a stage's version changes, its
outputs and everything computed from them may change, so that stage and every stage after it
are re-run; the stages before it are not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from earful.pipeline.classify import ClassifyStage
from earful.pipeline.clean import CleanStage
from earful.pipeline.dedupe import DedupeStage
from earful.pipeline.language import LanguageStage
from earful.pipeline.neardup import NearDuplicateStage
from earful.pipeline.pseudonymise import PseudonymiseStage
from earful.pipeline.redact import RedactStage, default_redactor
from earful.pipeline.sentiment import SentimentStage
from earful.pipeline.stage import Stage, WorkItem
from earful.pipeline.stories import StoryStage
from earful.pipeline.urgency import UrgencyStage

StageResult = tuple[str, int, dict[str, Any]]


class StageFailed(Exception):
    """A stage raised while processing an item; carries the stage's name and the original error."""

    def __init__(self, stage_name: str, original: BaseException) -> None:
        super().__init__(f"stage {stage_name!r} failed: {type(original).__name__}: {original}")
        self.stage_name = stage_name
        self.original = original

    @property
    def stage(self) -> str:
        """Return the failed stage's name (short alias of `stage_name`)."""
        return self.stage_name


class Chain:
    """An ordered list of uniquely named stages."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        names = [stage.name for stage in stages]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"stage names must be unique, repeated: {', '.join(duplicates)}")
        self.stages: list[Stage] = list(stages)

    @property
    def versions(self) -> dict[str, int]:
        """Return each stage's current version by name, in chain order."""
        return {stage.name: stage.version for stage in self.stages}

    def stale_from(self, done: Mapping[str, int]) -> int:
        """Return the index of the first stage not yet run at its current version, or len(stages)."""
        for index, stage in enumerate(self.stages):
            if done.get(stage.name) != stage.version:
                return index
        return len(self.stages)

    def run(self, item: WorkItem, start: int = 0) -> list[StageResult]:
        """Run the stages from `start` on `item`, merging outputs into it; return each stage's outputs.

        When resuming (`start` > 0) the caller restores the earlier stages' outputs into `item`
        first, cleaned text included, since later stages read what earlier ones wrote.
        """
        if not 0 <= start <= len(self.stages):
            raise ValueError(f"start must be between 0 and {len(self.stages)}, got {start}")
        results: list[StageResult] = []
        for stage in self.stages[start:]:
            try:
                outputs = stage.run(item)
            except Exception as error:
                # Whatever went wrong, the caller needs the stage's name to dead-letter the item.
                raise StageFailed(stage.name, error) from error
            _merge(item, outputs)
            results.append((stage.name, stage.version, outputs))
        return results


def _merge(item: WorkItem, outputs: Mapping[str, Any]) -> None:
    item.fields.update(outputs)
    # A stage that rewrites the text (clean now, redaction later) hands its version to the next.
    if isinstance(outputs.get("text"), str):
        item.text = outputs["text"]
    if "title" in outputs and (outputs["title"] is None or isinstance(outputs["title"], str)):
        item.title = outputs["title"]


def build_chain(
    secret: bytes,
    languages: list[str] | None = None,
    public_handles: Sequence[str] = (),
    classify: ClassifyStage | None = None,
    sentiment: SentimentStage | None = None,
) -> Chain:
    """Return the default chain: clean, language, redact, pseudonymise, dedupe, neardup, story,
    classify, sentiment, urgency.

    Redaction comes before anything that keeps text, so what is stored never held the personal
    data; it runs after language detection so a name finder can use the language. Classify runs
    only when a taxonomy is loaded (the caller builds its stage from it); sentiment uses the built-in
    scorer unless the caller passes a stage with a trained model.
    """
    stages: list[Stage] = [
        CleanStage(),
        LanguageStage(languages),
        RedactStage(default_redactor(public_handles)),
        PseudonymiseStage(secret),
        DedupeStage(),
        NearDuplicateStage(),
        StoryStage(),
    ]
    if classify is not None:
        stages.append(classify)
    stages.append(sentiment or SentimentStage())
    stages.append(UrgencyStage())
    return Chain(stages)


# Stages that rewrite the text: resuming at or before the last of them needs the original text,
# which is kept only sealed in the raw item, so the chain is run again from its start.
TEXT_STAGES = ("clean", "redact")
