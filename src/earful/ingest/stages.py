"""The classify and sentiment stages enrichment runs, built in one place.

The worker's chain (`jobs.chain_for`) and `earful eval` / `earful eval-sentiment` build their
stages here, so what the evaluation scores is what the server runs and the two cannot drift.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from earful.ml import keywords, trained
from earful.ml.embeddings import EmbeddingsUnavailable, default_embedder, embedder_named
from earful.ml.taxonomy import Taxonomy
from earful.ml.trained import TrainedClassifier, TrainedSentiment
from earful.pipeline.chain import Chain, build_chain
from earful.pipeline.classify import ClassifyStage
from earful.pipeline.sentiment import SentimentStage
from earful.settings import Settings
from earful.store.repos import learning as learning_repo
from earful.store.sealing import model_signer

log = logging.getLogger(__name__)
BUILT_IN_SENTIMENT = "built-in scorer"


def classify_stage(
    session: Session, settings: Settings, version: int, taxonomy: Taxonomy, *, cold_start: bool = False
) -> ClassifyStage:
    """Use the trained classifier in use when it was trained for this taxonomy (and `cold_start` is
    false), else the keyword classifier."""
    found = None if cold_start else _trained(session, settings, learning_repo.CLASSIFIER)
    if found is not None:
        model_id, model = found
        if isinstance(model, TrainedClassifier) and model.taxonomy == taxonomy:
            try:
                if model.embedder_name:
                    embedder_named(model.embedder_name)
                return trained_stage(model, version, model_id)
            except EmbeddingsUnavailable as exc:
                log.error(
                    "model %s needs embeddings, which cannot be loaded (%s); using keywords", model_id, exc
                )
    return ClassifyStage(keywords.KeywordClassifier(taxonomy), version, f"{keywords.NAME}-{keywords.VERSION}")


def trained_stage(model: TrainedClassifier, version: int, model_id: int = 0) -> ClassifyStage:
    """Return the classify stage of a trained classifier (`model_id` 0: one not stored)."""
    return ClassifyStage(model, version, f"{trained.NAME}-{trained.VERSION}#{model_id}", model_id)


def sentiment_stage(session: Session, settings: Settings, *, cold_start: bool = False) -> SentimentStage:
    """Use the trained sentiment model in use (unless `cold_start`), else the shipped tone model
    for these settings (the e5 one under EARFUL_EMBEDDINGS, the cascade under EARFUL_TONE_CASCADE)."""
    found = None if cold_start else _trained(session, settings, learning_repo.SENTIMENT)
    if found is not None and isinstance(found[1], TrainedSentiment):
        try:
            if found[1].embedder_name:
                embedder_named(found[1].embedder_name)
            return SentimentStage(found[1], found[0])
        except EmbeddingsUnavailable as exc:
            log.error("sentiment model %s needs embeddings (%s); using the shipped one", found[0], exc)
    if settings.embeddings or settings.tone_cascade:
        # The e5 tone model under EARFUL_EMBEDDINGS, else the cascade; both need the embedder.
        try:
            default_embedder()
            return SentimentStage(embeddings=settings.embeddings, cascade=settings.tone_cascade)
        except EmbeddingsUnavailable as exc:
            log.error("the shipped tone model needs embeddings (%s); using tone-1 alone", exc)
    return SentimentStage()


def chain_of(settings: Settings, classify: ClassifyStage | None, sentiment: SentimentStage) -> Chain:
    """Return the enrichment chain for these settings around these two stages."""
    return build_chain(
        settings.secret, list(settings.languages), settings.public_handles, classify, sentiment
    )


def _trained(
    session: Session, settings: Settings, kind: str
) -> tuple[int, TrainedClassifier | TrainedSentiment] | None:
    """Return the active model of `kind` with its id; None when there is none or its signature fails."""
    row = learning_repo.active_model(session, kind)
    if row is None:
        return None
    if not model_signer(settings.secret).verify(row.artifact, row.artifact_tag):
        log.error("model %s (%s) fails its signature check and is not used; train a new one", row.id, kind)
        return None
    return row.id, trained.load_model(row.artifact)
