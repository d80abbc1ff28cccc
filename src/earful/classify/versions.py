"""Choosing the model in use by hand: a lead promotes a candidate or rolls back to an earlier
version (or to the built-in classifier); both are audited and relabel recent posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from earful.classify.learning import queue_recent
from earful.classify.policies import can_choose_model
from earful.contracts import Actor
from earful.kit.errors import EarfulError, Forbidden, NotFound
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import ModelVersion
from earful.store.repos import audit as audit_repo
from earful.store.repos import learning as learning_repo
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.sealing import model_signer

STATUS_WORDS = {
    learning_repo.IN_USE: "in use",
    learning_repo.CANDIDATE: "candidate",
    learning_repo.RETIRED: "retired",
}


@dataclass(slots=True)
class VersionRow:
    """One model version as a lead sees it: no weights, no post text."""

    id: int
    kind: str
    name: str
    taxonomy_version: int | None
    examples: int
    held_out: int
    status: str
    reason: str
    created_at: datetime
    figure: float | None
    in_use_figure: float | None
    categories: list[tuple[str, float, float, int]]


def versions(db: Database, kind: str | None = None) -> list[VersionRow]:
    """Return the model versions newest first, with status, reason and per-category held-out scores."""
    with db.read() as session:
        found = learning_repo.list_models(session, kind)
        return [_row(m) for m in found]


def _row(m: ModelVersion) -> VersionRow:
    evaluation: dict[str, Any] = m.evaluation or {}
    gate = evaluation.get("gate") or {}
    figure = gate.get("macro_f1", evaluation.get("macro_recall"))
    rivals = gate.get("in_use_macro_f1", evaluation.get("builtin_macro_recall"))
    labels = (evaluation.get("categories") or {}).get("labels") or (evaluation.get("labels") or {})
    categories = [
        (key, float(v["precision"]), float(v["recall"]), int(v["support"]))
        for key, v in labels.items()
        if v.get("support") or v.get("precision")
    ]
    return VersionRow(
        m.id,
        m.kind,
        m.name,
        m.taxonomy_version,
        m.examples,
        int(evaluation.get("held_out", 0)),
        STATUS_WORDS.get(m.status, m.status),
        m.reason,
        m.created_at,
        figure if isinstance(figure, float) else None,
        rivals if isinstance(rivals, float) else None,
        categories,
    )


def promote(db: Database, settings: Settings, actor: Actor, model_id: int) -> str:
    """Put model `model_id` to use in place of the one in use, audit it and relabel recent posts."""
    if not can_choose_model(actor.role):
        raise Forbidden("Promoting a model takes the lead role or higher.")
    with db.write() as session:
        model = learning_repo.model_summary(session, model_id)
        if model is None:
            raise NotFound(f"There is no model {model_id}; `earful models` lists them.")
        if model.status == learning_repo.IN_USE:
            raise EarfulError(f"Model {model_id} is already in use.")
        before = learning_repo.active_model_id(session, model.kind)
        if not learning_repo.has_weights(session, model_id):
            raise EarfulError(
                f"Model {model_id} is too old: only its scores are kept, not its weights. "
                "Promote a newer one or run `earful train`."
            )
        latest = taxonomy_repo.latest(session)
        if model.kind == learning_repo.CLASSIFIER and (
            latest is None or model.taxonomy_version != latest.version
        ):
            raise EarfulError(
                f"Model {model_id} was trained for taxonomy version {model.taxonomy_version}, and version "
                f"{latest.version if latest else '-'} is in use; run `earful train` for a model of this one."
            )
        row = learning_repo.weights(session, model_id)
        if not model_signer(settings.secret).verify(*row):
            raise EarfulError(
                f"Model {model_id} fails its signature check and cannot be used; train a new one."
            )
        learning_repo.put_in_use(
            session,
            model.kind,
            model_id,
            reason=f"promoted by {actor.name}",
            retired_reason=f"replaced by model {model_id}, promoted by {actor.name}",
        )
        audit_repo.append(
            session,
            actor.id,
            actor.name,
            "model.promote",
            f"model:{model_id}",
            {"kind": model.kind, "replaced": before},
        )
        queued = queue_recent(session, settings)
    return f"Model {model_id} is in use; {queued:,} recent posts queued to be labelled by it."


def rollback(db: Database, settings: Settings, actor: Actor, kind: str = learning_repo.CLASSIFIER) -> str:
    """Retire the model of `kind` in use and put back the one before it (or the built-in one)."""
    if not can_choose_model(actor.role):
        raise Forbidden("Rolling back a model takes the lead role or higher.")
    with db.write() as session:
        current = learning_repo.active_model_id(session, kind)
        if current is None:
            raise EarfulError(f"No trained {kind} is in use: the built-in one already is.")
        target = learning_repo.rollback_target(session, kind, current)
        latest = taxonomy_repo.latest(session)
        if target is not None and kind == learning_repo.CLASSIFIER:
            found = learning_repo.model_summary(session, target)
            if found is None or latest is None or found.taxonomy_version != latest.version:
                target = None  # trained for another taxonomy: enrichment would not use it
        learning_repo.put_in_use(
            session,
            kind,
            target,
            reason=f"rolled back to by {actor.name}",
            retired_reason=f"rolled back by {actor.name}",
        )
        audit_repo.append(
            session, actor.id, actor.name, "model.rollback", f"model:{current}", {"kind": kind, "to": target}
        )
        queued = queue_recent(session, settings)
    now = f"model {target}" if target is not None else "the built-in one"
    return f"Model {current} is retired and {now} is in use; {queued:,} recent posts queued to be relabelled."
