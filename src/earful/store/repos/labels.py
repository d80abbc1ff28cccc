"""Labels: the categories a post is given, by a model or by an analyst."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from earful.store.models import Category, Label


def replace_model_labels(
    session: Session,
    post_ids: Sequence[int],
    rows: Sequence[tuple[int, int, float, str, int]],
    *,
    now: datetime,
) -> None:
    """Replace these posts' model labels with `rows`: (post id, category id, confidence, model,
    taxonomy version) each. Analysts' labels stay."""
    for i in range(0, len(post_ids), 5000):
        session.execute(
            delete(Label).where(Label.post_id.in_(post_ids[i : i + 5000]), Label.by == "model"),
            execution_options={"synchronize_session": False},
        )
    if rows:
        session.execute(
            insert(Label),
            [
                {
                    "post_id": post_id,
                    "category_id": category_id,
                    "by": "model",
                    "model_version": model,
                    "confidence": confidence,
                    "taxonomy_version": version,
                    "created_at": now,
                }
                for post_id, category_id, confidence, model, version in rows
            ],
        )


def names_for(session: Session, post_ids: Sequence[int]) -> dict[int, list[tuple[str, str, float | None]]]:
    """Return each post's labels as (category key, name, confidence), surest first.

    An analyst's labels, where a post has them, replace the model's: they are the correction.
    """
    found: dict[int, list[tuple[str, str, float | None]]] = {pid: [] for pid in post_ids}
    by_analyst: set[int] = set()
    rows = session.execute(
        select(Label.post_id, Label.by, Category.key, Category.name, Label.confidence)
        .join(Category, Category.id == Label.category_id)
        .where(Label.post_id.in_(post_ids))
        .order_by(Label.post_id, Label.by, Label.confidence.desc())
    )
    for post_id, by, key, name, confidence in rows:
        if by == "analyst":
            by_analyst.add(post_id)
        elif post_id in by_analyst:
            continue
        found[post_id].append((key, name, confidence))
    return found


def details_for(session: Session, post_id: int) -> list[tuple[str, str, float | None, str, int, str | None]]:
    """Return the post's labels as (key, name, confidence, by, taxonomy version, model), surest first."""
    rows = session.execute(
        select(
            Category.key,
            Category.name,
            Label.confidence,
            Label.by,
            Label.taxonomy_version,
            Label.model_version,
        )
        .join(Category, Category.id == Label.category_id)
        .where(Label.post_id == post_id)
        .order_by(Label.by, Label.confidence.desc())
    )
    return [(k, n, c, b, int(v), m) for k, n, c, b, v, m in rows]
