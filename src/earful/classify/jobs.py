"""The classify domain's background job: retrain from analysts' labels after they relabel posts."""

from __future__ import annotations

import logging
from typing import Any

from earful.classify.learning import TRAIN_JOB, train_classifier, train_sentiment
from earful.jobs.registry import JobContext, job
from earful.kit.errors import EarfulError

log = logging.getLogger(__name__)


@job(TRAIN_JOB)
def retrain(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Train new classifier and sentiment models from every analyst label (queued after relabels)."""
    try:
        result = train_classifier(ctx.session, ctx.settings)
        log.info("classifier retrained: %s", result.message)
    except EarfulError as exc:  # nothing to learn from (labels were cleared): not a failure
        log.info("classifier not retrained: %s", exc.message)
    log.info("sentiment: %s", train_sentiment(ctx.session, ctx.settings).message)
