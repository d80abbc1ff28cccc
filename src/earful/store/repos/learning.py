"""Analysts' labels as training data, and the trained model versions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased, defer

from earful.store.models import Category, Label, ModelVersion, Post, SentimentLabel

# The kinds of trained model (model_versions.kind).
CLASSIFIER = "classifier"
SENTIMENT = "sentiment"
KEEP_WEIGHTS = 10  # model versions of each kind whose weights are kept
# What a model version is now (model_versions.status).
IN_USE = "in_use"
CANDIDATE = "candidate"
RETIRED = "retired"


def replace_analyst_labels(
    session: Session,
    post_id: int,
    category_ids: Sequence[int],
    *,
    user_id: int | None,
    taxonomy_version: int,
    now: datetime,
) -> None:
    """Make `category_ids` the analysts' categories of the post, replacing earlier ones."""
    session.execute(
        delete(Label).where(Label.post_id == post_id, Label.by == "analyst"),
        execution_options={"synchronize_session": False},
    )
    for category_id in category_ids:
        session.add(
            Label(
                post_id=post_id,
                category_id=category_id,
                by="analyst",
                user_id=user_id,
                confidence=1.0,
                taxonomy_version=taxonomy_version,
                created_at=now,
            )
        )


def set_sentiment_label(
    session: Session, post_id: int, value: str, *, user_id: int | None, now: datetime
) -> None:
    """Record an analyst's judgement of the post's tone, replacing an earlier one."""
    found = session.get(SentimentLabel, post_id)
    if found is None:
        session.add(SentimentLabel(post_id=post_id, value=value, user_id=user_id, created_at=now))
    else:
        found.value, found.user_id, found.created_at = value, user_id, now
    # The analyst's judgement is the post's tone from now on (enrichment keeps it, see below).
    session.execute(
        update(Post).where(Post.id == post_id).values(sentiment=value),
        execution_options={"synchronize_session": False},
    )


def analyst_sentiments_of(session: Session, post_ids: Sequence[int]) -> dict[int, str]:
    """Return the analysts' tone for those of these posts that have one."""
    if not post_ids:
        return {}
    rows = session.execute(
        select(SentimentLabel.post_id, SentimentLabel.value).where(SentimentLabel.post_id.in_(post_ids))
    )
    return {int(pid): str(value) for pid, value in rows}


def analyst_categories(session: Session) -> list[tuple[int, str, list[str]]]:
    """Return (post id, post text, category keys) for every post an analyst has labelled.

    Keys, not ids: a label made under an older taxonomy version still teaches its category when
    the category's key lives on in the new version.
    """
    rows = session.execute(
        select(Post.id, Post.title, Post.text, Category.key)
        .join(Label, Label.post_id == Post.id)
        .join(Category, Category.id == Label.category_id)
        .where(Label.by == "analyst", Post.text.is_not(None))
        .order_by(Post.id)
    )
    keys: dict[int, list[str]] = defaultdict(list)
    texts: dict[int, str] = {}
    for post_id, title, text, key in rows:
        texts[post_id] = f"{title}\n{text}" if title else str(text)
        keys[post_id].append(key)
    return [(post_id, texts[post_id], keys[post_id]) for post_id in texts]


def analyst_category_keys(session: Session) -> list[tuple[int, list[str]]]:
    """Return (post id, category keys) for every post an analyst has labelled, without its text."""
    rows = session.execute(
        select(Label.post_id, Category.key)
        .join(Category, Category.id == Label.category_id)
        .where(Label.by == "analyst")
        .order_by(Label.post_id)
    )
    keys: dict[int, list[str]] = defaultdict(list)
    for post_id, key in rows:
        keys[int(post_id)].append(str(key))
    return list(keys.items())


def category_keys_of(session: Session, post_ids: Sequence[int]) -> dict[int, tuple[list[str], list[str]]]:
    """Return each of these posts' category keys as (the analysts', the model's), surest first."""
    found: dict[int, tuple[list[str], list[str]]] = {pid: ([], []) for pid in post_ids}
    for start in range(0, len(post_ids), 1000):
        rows = session.execute(
            select(Label.post_id, Label.by, Category.key)
            .join(Category, Category.id == Label.category_id)
            .where(Label.post_id.in_(post_ids[start : start + 1000]))
            .order_by(Label.post_id, Label.confidence.desc(), Category.key)
        )
        for post_id, by, key in rows:
            found[int(post_id)][0 if by == "analyst" else 1].append(str(key))
    return found


def newest_without_analyst_categories(session: Session, limit: int) -> list[int]:
    """Return the ids of the newest posts the feed shows (enriched, not a copy) that no analyst has
    given categories, newest first."""
    by_analyst = aliased(Label)
    return list(
        session.scalars(
            select(Post.id)
            .where(
                Post.text.is_not(None),
                Post.duplicate_of.is_(None),
                ~exists().where(by_analyst.post_id == Post.id, by_analyst.by == "analyst"),
            )
            .order_by(Post.posted_at.desc(), Post.id.desc())
            .limit(limit)
        )
    )


def model_confidences(session: Session, post_ids: Sequence[int]) -> dict[int, list[tuple[str, float]]]:
    """Return the model's categories of each of these posts as (key, confidence), surest first."""
    found: dict[int, list[tuple[str, float]]] = {pid: [] for pid in post_ids}
    for start in range(0, len(post_ids), 1000):
        rows = session.execute(
            select(Label.post_id, Category.key, Label.confidence)
            .join(Category, Category.id == Label.category_id)
            .where(Label.post_id.in_(post_ids[start : start + 1000]), Label.by == "model")
            .order_by(Label.post_id, Label.confidence.desc())
        )
        for post_id, key, confidence in rows:
            found[int(post_id)].append((str(key), float(confidence or 0.0)))
    return found


def analyst_sentiments(session: Session) -> list[tuple[int, str, str]]:
    """Return (post id, post text, tone) for every post an analyst has judged."""
    rows = session.execute(
        select(Post.id, Post.title, Post.text, SentimentLabel.value)
        .join(SentimentLabel, SentimentLabel.post_id == Post.id)
        .where(Post.text.is_not(None))
        .order_by(Post.id)
    )
    return [(pid, f"{title}\n{text}" if title else str(text), value) for pid, title, text, value in rows]


def save_model(
    session: Session,
    *,
    kind: str,
    name: str,
    taxonomy_version: int | None,
    examples: int,
    evaluation: dict[str, Any],
    artifact: bytes,
    artifact_tag: str,
    activate: bool,
    reason: str,
    user_id: int | None,
    now: datetime,
) -> ModelVersion:
    """Store a trained model, in use when `activate` (retiring the one in use), else a candidate."""
    if activate:
        _retire_in_use(session, kind, "replaced by a better model")
    model = ModelVersion(
        kind=kind,
        name=name,
        taxonomy_version=taxonomy_version,
        examples=examples,
        evaluation=evaluation,
        artifact=artifact,
        artifact_tag=artifact_tag,
        active=activate,
        status=IN_USE if activate else CANDIDATE,
        reason=reason[:300],
        created_by=user_id,
        created_at=now,
    )
    session.add(model)
    session.flush()
    # Keep the weights of the newest KEEP_WEIGHTS versions; older ones keep their evaluation only.
    newest = select(ModelVersion.id).where(ModelVersion.kind == kind).order_by(ModelVersion.id.desc())
    session.execute(
        update(ModelVersion)
        .where(
            ModelVersion.kind == kind,
            ModelVersion.active.is_(False),
            ModelVersion.id.not_in(newest.limit(KEEP_WEIGHTS).scalar_subquery()),
        )
        .values(artifact=b""),
        execution_options={"synchronize_session": False},
    )
    return model


def _retire_in_use(session: Session, kind: str, reason: str) -> None:
    session.execute(
        update(ModelVersion)
        .where(ModelVersion.kind == kind, ModelVersion.active.is_(True))
        .values(active=False, status=RETIRED, reason=reason[:300]),
        execution_options={"synchronize_session": False},
    )


def put_in_use(
    session: Session, kind: str, model_id: int | None, *, reason: str, retired_reason: str
) -> None:
    """Make model `model_id` the one of `kind` in use (None: the built-in one), retiring the one in use."""
    _retire_in_use(session, kind, retired_reason)
    if model_id is not None:
        session.execute(
            update(ModelVersion)
            .where(ModelVersion.id == model_id)
            .values(active=True, status=IN_USE, reason=reason[:300]),
            execution_options={"synchronize_session": False},
        )


def model_summary(session: Session, model_id: int) -> ModelVersion | None:
    """Return one model version without its weights."""
    return session.scalars(
        select(ModelVersion).where(ModelVersion.id == model_id).options(defer(ModelVersion.artifact))
    ).first()


def has_weights(session: Session, model_id: int) -> bool:
    """Return True when the model's weights are still stored (older versions keep only their scores)."""
    size = session.scalar(select(func.length(ModelVersion.artifact)).where(ModelVersion.id == model_id))
    return bool(size)


def rollback_target(session: Session, kind: str, before_id: int) -> int | None:
    """Return the newest retired model of `kind` older than `before_id` that still has its weights."""
    return session.scalar(
        select(ModelVersion.id)
        .where(
            ModelVersion.kind == kind,
            ModelVersion.status == RETIRED,
            ModelVersion.id < before_id,
            func.length(ModelVersion.artifact) > 0,
        )
        .order_by(ModelVersion.id.desc())
        .limit(1)
    )


def active_model(session: Session, kind: str) -> ModelVersion | None:
    """Return the model of `kind` in use, or None when the built-in one is."""
    return session.scalars(
        select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.active.is_(True)).limit(1)
    ).first()


def active_model_id(session: Session, kind: str) -> int | None:
    """Return the id of the model of `kind` in use, without loading its weights."""
    return session.scalar(
        select(ModelVersion.id).where(ModelVersion.kind == kind, ModelVersion.active.is_(True)).limit(1)
    )


def list_models(session: Session, kind: str | None = None, limit: int = 50) -> list[ModelVersion]:
    """Return model versions newest first, weights not loaded."""
    query = select(ModelVersion).order_by(ModelVersion.id.desc()).limit(limit)
    if kind:
        query = query.where(ModelVersion.kind == kind)
    return list(session.scalars(query.options(defer(ModelVersion.artifact))))


def weights(session: Session, model_id: int) -> tuple[bytes, str]:
    """Return a model's stored weights and their signature."""
    row = session.execute(
        select(ModelVersion.artifact, ModelVersion.artifact_tag).where(ModelVersion.id == model_id)
    ).one()
    return bytes(row[0]), str(row[1])
