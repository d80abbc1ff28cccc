"""Learning from analysts: relabel a post, train new models from every label, evaluate them on
labels held out from training, and put the new model to work on recent posts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from earful.classify import gate
from earful.classify.policies import can_relabel, can_train
from earful.classify.service import CurrentTaxonomy, current
from earful.contracts import Actor
from earful.jobs.queue import enqueue, enqueue_once
from earful.kit.clock import utcnow
from earful.kit.errors import EarfulError, Forbidden, NotFound
from earful.ml import trained
from earful.ml.embeddings import EmbeddingsUnavailable, embedder_named
from earful.ml.evaluate import holdout_split, score
from earful.ml.keywords import KeywordClassifier
from earful.ml.taxonomy import Taxonomy
from earful.ml.trained import TrainedClassifier, TrainedSentiment, dump_model
from earful.pipeline.classify import Classifier
from earful.pipeline.sentiment import builtin_score
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import ModelVersion, Post
from earful.store.repos import audit as audit_repo
from earful.store.repos import learning as learning_repo
from earful.store.repos import posts as posts_repo
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.repos import triage as triage_repo
from earful.store.sealing import model_signer

TRAIN_JOB = "classify.train"
# The enrichment job of the ingest domain, named rather than imported: domains hand work over by name.
ENRICH_JOB = "ingest.enrich"
TONES = ("complaint", "neutral", "positive")
HOLDOUT_SHARE = 0.2
MIN_SENTIMENT = 30  # analyst judgements needed before a sentiment model is trained
RECLASSIFY_CHUNK = 500


@dataclass(slots=True)
class TrainResult:
    """What one training run made."""

    kind: str
    model_id: int | None
    examples: int
    active: bool
    evaluation: dict[str, Any] = field(default_factory=dict)
    message: str = ""


def relabel(
    db: Database,
    settings: Settings,
    actor: Actor,
    post_id: int,
    *,
    categories: list[str] | None = None,
    sentiment: str | None = None,
) -> None:
    """Record an analyst's categories and/or tone for a post, and schedule a retrain.

    `categories` are keys of the taxonomy in use, categories or subcategories, as many as apply;
    they replace the analyst's earlier categories, and an empty list removes them (the model's
    labels show again). What is None is left as it was: a tone alone keeps the categories.
    """
    if not can_relabel(actor.role):
        raise Forbidden("Relabelling posts takes the analyst role or higher.")
    if categories is None and sentiment is None:
        raise EarfulError("Send 'categories', 'sentiment' or both.")
    if sentiment is not None and sentiment not in TONES:
        raise EarfulError(f"Sentiment must be one of {', '.join(TONES)}, not {sentiment!r}.")
    in_use = current(db)
    if categories is not None and in_use is None:
        raise EarfulError("No taxonomy is loaded; load one with `earful taxonomy load FILE` first.")
    if categories is not None and in_use is not None:
        categories = chosen_keys(in_use.taxonomy, categories)
    now = utcnow()
    with db.write() as session:
        if session.get(Post, post_id) is None:
            raise NotFound(f"There is no post {post_id}.")
        ids = taxonomy_repo.category_ids(session, in_use.version) if in_use is not None else {}
        _record(session, actor, post_id, categories, sentiment, ids, in_use, now)
        enqueue_once(session, settings, TRAIN_JOB, {}, delay_seconds=settings.retrain_delay_seconds)


def _record(
    session: Session,
    actor: Actor,
    post_id: int,
    categories: list[str] | None,
    sentiment: str | None,
    ids: dict[str, int],
    in_use: CurrentTaxonomy | None,
    now: datetime,
    **audited: Any,
) -> None:
    """Store one post's correction as analyst labels, in its timeline and in the audit log."""
    if categories is not None and in_use is not None:
        learning_repo.replace_analyst_labels(
            session,
            post_id,
            [ids[key] for key in categories],
            user_id=actor.id,
            taxonomy_version=in_use.version,
            now=now,
        )
    if sentiment is not None:
        learning_repo.set_sentiment_label(session, post_id, sentiment, user_id=actor.id, now=now)
    audit_repo.append(
        session,
        actor.id,
        actor.name,
        "post.relabel",
        f"post:{post_id}",
        {"categories": categories, "sentiment": sentiment, **audited},
    )
    triage_repo.add_event(
        session,
        post_id,
        actor.id,
        actor.name,
        "relabel",
        {"categories": ", ".join(categories) if categories else None, "sentiment": sentiment},
        now,
    )


MAX_BULK = 200  # posts one bulk relabel may change


@dataclass(slots=True)
class BulkResult:
    """What a bulk relabel did to each post it was given."""

    relabelled: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # already as asked: nothing recorded
    skipped: dict[int, str] = field(default_factory=dict)  # post id -> why nothing was recorded


def relabel_many(
    db: Database,
    settings: Settings,
    actor: Actor,
    post_ids: Sequence[int],
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    sentiment: str | None = None,
) -> BulkResult:
    """Add and remove categories on several posts and/or set their tone, each post recorded as a
    single relabel is (analyst labels, timeline, audit) and one retrain scheduled.

    Each post starts from the categories it shows (the analyst's where given, else the model's):
    `remove` takes those keys off (a category, with its subcategories), `add` puts these on, and
    what neither names stays. A post already as asked is left alone; one that would be left with
    no category at all is skipped (the model's labels would show again), and says so. Every post
    must exist, or nothing is changed.
    """
    if not can_relabel(actor.role):
        raise Forbidden("Relabelling posts takes the analyst role or higher.")
    ids = list(dict.fromkeys(post_ids))
    if not ids:
        raise EarfulError("Select the posts to relabel first.")
    if len(ids) > MAX_BULK:
        raise EarfulError(f"Relabel at most {MAX_BULK} posts at once; {len(ids)} were sent.")
    if not add and not remove and sentiment is None:
        raise EarfulError("Choose categories to add or remove, or a sentiment, for the selected posts.")
    if sentiment is not None and sentiment not in TONES:
        raise EarfulError(f"Sentiment must be one of {', '.join(TONES)}, not {sentiment!r}.")
    in_use = current(db)
    if (add or remove) and in_use is None:
        raise EarfulError("No taxonomy is loaded; load one with `earful taxonomy load FILE` first.")
    adding, removing = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
    if in_use is not None:
        chosen_keys(in_use.taxonomy, adding + removing)  # refuses unknown keys, saying which
    both = [key for key in adding if key in removing]
    if both:
        raise EarfulError(f"A category cannot be added and removed at once: {', '.join(both[:5])}.")
    result = BulkResult()
    now = utcnow()
    with db.write() as session:
        found = posts_repo.existing_ids(session, ids)
        missing = [pid for pid in ids if pid not in found]
        if missing:
            listed = ", ".join(str(pid) for pid in missing[:5])
            more = " and more" if len(missing) > 5 else ""
            raise NotFound(f"There is no post {listed}{more}; nothing was changed.")
        category_ids = taxonomy_repo.category_ids(session, in_use.version) if in_use is not None else {}
        keys = learning_repo.category_keys_of(session, ids)
        tones = learning_repo.analyst_sentiments_of(session, ids)
        for pid in ids:
            categories = None
            if (adding or removing) and in_use is not None:
                analyst, model = keys[pid]
                shown = analyst or model
                wanted = changed_keys(in_use.taxonomy, shown, adding, removing)
                if shown and not wanted:
                    result.skipped[pid] = "it would be left with no category; give it another one"
                    continue
                if set(wanted) != set(shown):
                    categories = wanted
            tone = sentiment if sentiment is not None and tones.get(pid) != sentiment else None
            if categories is None and tone is None:
                result.unchanged.append(pid)
                continue
            _record(session, actor, pid, categories, tone, category_ids, in_use, now, bulk=True)
            result.relabelled.append(pid)
        if result.relabelled:
            enqueue_once(session, settings, TRAIN_JOB, {}, delay_seconds=settings.retrain_delay_seconds)
    return result


def changed_keys(
    taxonomy: Taxonomy, shown: Sequence[str], add: Sequence[str], remove: Sequence[str]
) -> list[str]:
    """Return a post's categories after taking `remove` off `shown` and putting `add` on.

    Removing a category takes its subcategories with it; a category beside one of its own
    subcategories gives way to it (see `chosen_keys`); keys the taxonomy in use no longer has drop.
    """
    known = {node.key for node in taxonomy.nodes}
    gone = set(remove) | {child.key for key in remove for child in taxonomy.children(key)}
    kept = [key for key in shown if key in known and key not in gone]
    return chosen_keys(taxonomy, kept + list(add))


def chosen_keys(taxonomy: Taxonomy, categories: list[str]) -> list[str]:
    """Return the analyst's category keys checked against the taxonomy, without repeats, and
    without a category whose own subcategory is also chosen (the subcategory says more)."""
    known = {node.key for node in taxonomy.nodes}
    unknown = [key for key in categories if key not in known]
    if unknown:
        raise EarfulError(
            f"Not categories of the taxonomy in use: {', '.join(k[:60] for k in unknown[:5])}. Use keys "
            f"such as {', '.join(sorted(known)[:8])} (GET /api/taxonomy lists them all)."
        )
    keys = list(dict.fromkeys(categories))
    narrower = {taxonomy.get(key).parent for key in keys}
    return [key for key in keys if key not in narrower]


def train_classifier(session: Session, settings: Settings, actor: Actor | None = None) -> TrainResult:
    """Train the taxonomy classifier on the analyst labels outside the held-out set, and put it to
    use only when it beats the one in use on the held-out labels (see `gate`); otherwise keep it as
    a candidate with the reason (all in the caller's transaction)."""
    if actor is not None and not can_train(actor.role):
        raise Forbidden("Training models takes the lead role or higher.")
    latest = taxonomy_repo.latest(session)
    if latest is None:
        raise EarfulError("No taxonomy is loaded; load one with `earful taxonomy load FILE` first.")
    taxonomy = taxonomy_repo.load(session, latest)
    known = {node.key for node in taxonomy.nodes}
    rows = learning_repo.analyst_categories(session)
    examples = [(pid, text, [k for k in keys if k in known]) for pid, text, keys in rows]
    examples = [(pid, text, keys) for pid, text, keys in examples if keys]
    if not examples:
        raise EarfulError(
            "No analyst labels to learn from yet. Relabel posts in the feed (or PUT /api/posts/ID/labels), "
            "then train again; until then the keyword classifier is used."
        )
    everything, held = gate.split(examples)
    # A category-level label ("safety", no subcategory said) is neither a yes nor a no for that
    # category's subcategories, and the models are per subcategory: training on the post would
    # teach "not any of them". So such posts train nothing; held out, they score at category level.
    train = gate.subcategory_level(taxonomy, everything)
    if not gate.subcategory_level(taxonomy, examples):
        raise EarfulError(
            "The analysts' labels so far name only categories. Give some posts a subcategory "
            "(or a category that has none), then train again."
        )
    model = trained.new_classifier(taxonomy, settings.embeddings, light=settings.light_embeddings)
    model.fit([text for _, text, _ in train], [keys for _, _, keys in train])
    in_use, in_use_name = in_use_classifier(session, settings, taxonomy)
    evaluation, verdict = gate.evaluate(taxonomy, held, model, in_use, in_use_name, len(train))
    evaluation["calibrated"] = model.calibrated
    name = trained.model_name(model)
    row = store_model(
        session,
        settings,
        actor,
        learning_repo.CLASSIFIER,
        name,
        latest.version,
        len(examples),
        evaluation,
        model,
        verdict.better,
        verdict.reason,
    )
    if not verdict.better:
        return TrainResult(
            learning_repo.CLASSIFIER,
            row.id,
            len(examples),
            False,
            evaluation,
            f"model {row.id} is kept as a candidate, not used: {verdict.reason}",
        )
    queued = queue_recent(session, settings)
    return TrainResult(
        learning_repo.CLASSIFIER,
        row.id,
        len(examples),
        True,
        evaluation,
        f"model {row.id} is in use ({verdict.reason}); {queued:,} recent posts queued to be labelled by it",
    )


def in_use_classifier(session: Session, settings: Settings, taxonomy: Taxonomy) -> tuple[Classifier, str]:
    """Return the classifier that labels posts now, and its name: the trained model in use when it
    was trained for this taxonomy and its signature holds, else the keyword classifier (as enrichment
    decides)."""
    row = learning_repo.active_model(session, learning_repo.CLASSIFIER)
    if row is not None and model_signer(settings.secret).verify(row.artifact, row.artifact_tag):
        found = trained.load_model(row.artifact)
        if isinstance(found, TrainedClassifier) and found.taxonomy == taxonomy:
            try:
                if found.embedder_name:
                    embedder_named(found.embedder_name)
                return found, f"model {row.id}"
            except EmbeddingsUnavailable:
                pass
    return KeywordClassifier(taxonomy), "the keyword classifier"


def train_sentiment(session: Session, settings: Settings, actor: Actor | None = None) -> TrainResult:
    """Train a sentiment model on analysts' judgements; use it only if it beats the shipped tone model
    on judgements held out from its training (all in the caller's transaction)."""
    if actor is not None and not can_train(actor.role):
        raise Forbidden("Training models takes the lead role or higher.")
    rows = learning_repo.analyst_sentiments(session)
    texts, tones = [t for _, t, _ in rows], [v for _, _, v in rows]
    if len(texts) < MIN_SENTIMENT or len(set(tones)) < 2:
        return TrainResult(
            learning_repo.SENTIMENT,
            None,
            len(texts),
            False,
            message=f"{len(texts)} sentiment judgements; at least {MIN_SENTIMENT}, of two tones or more, "
            "are needed to train (the shipped tone model stays in use)",
        )
    train, held = holdout_split(len(texts), HOLDOUT_SHARE)
    # The candidate embeds the judgements it trains on and those it is scored on; the model then
    # trained on them all reads the same vectors instead of embedding every judgement again.
    blank = trained.new_sentiment(settings.embeddings, light=settings.light_embeddings, remember=True)
    candidate = blank.untrained().fit([texts[i] for i in train], [tones[i] for i in train])
    truth = [tones[i] for i in held]
    mine = score(truth, candidate.labels([texts[i] for i in held]), list(TONES))
    builtin = score(truth, [builtin_score(texts[i])[0] for i in held], list(TONES))
    better = mine.macro_recall >= builtin.macro_recall
    evaluation = {
        "held_out": len(held),
        "trained_on": len(train),
        "macro_recall": round(mine.macro_recall, 4),
        "builtin_macro_recall": round(builtin.macro_recall, 4),
        "labels": {
            label: {"precision": round(p, 4), "recall": round(r, 4), "support": s}
            for label, p, r, s in zip(mine.labels, mine.precision, mine.recall, mine.support, strict=True)
        },
    }
    model = blank.untrained().fit(texts, tones)
    name = trained.model_name(model)
    versus = f"macro-recall {mine.macro_recall:.2f} vs {builtin.macro_recall:.2f} for the shipped tone model"
    row = store_model(
        session,
        settings,
        actor,
        learning_repo.SENTIMENT,
        name,
        None,
        len(texts),
        evaluation,
        model,
        better,
        versus if better else f"{versus}; needs to match it",
    )
    queued = queue_recent(session, settings) if better else 0
    how = (
        f"beats the shipped tone model on held-out judgements ({mine.macro_recall:.3f} vs "
        f"{builtin.macro_recall:.3f}) and is in use; {queued:,} recent posts queued"
        if better
        else f"does not beat the shipped tone model on held-out judgements ({mine.macro_recall:.3f} vs "
        f"{builtin.macro_recall:.3f}); kept, not used"
    )
    message = f"model {row.id} {how}"
    return TrainResult(learning_repo.SENTIMENT, row.id, len(texts), better, evaluation, message)


def store_model(
    session: Session,
    settings: Settings,
    actor: Actor | None,
    kind: str,
    name: str,
    taxonomy_version: int | None,
    examples: int,
    evaluation: dict[str, Any],
    model: TrainedClassifier | TrainedSentiment,
    activate: bool,
    reason: str,
) -> ModelVersion:
    """Store a trained model, signed, with its evaluation, and audit it."""
    artifact = dump_model(model)
    row = learning_repo.save_model(
        session,
        kind=kind,
        name=name,
        taxonomy_version=taxonomy_version,
        examples=examples,
        evaluation=evaluation,
        artifact=artifact,
        artifact_tag=model_signer(settings.secret).sign(artifact),
        activate=activate,
        reason=reason,
        user_id=actor.id if actor else None,
        now=utcnow(),
    )
    audit_repo.append(
        session,
        actor.id if actor else None,
        actor.name if actor else "system",
        "model.train",
        f"model:{row.id}",
        {"kind": kind, "examples": examples, "active": activate, "reason": reason},
    )
    return row


def queue_recent(session: Session, settings: Settings) -> int:
    """Queue the enrichment of recent posts, newest first and at most EARFUL_RECLASSIFY_LIMIT, so
    the new model labels them (its stage is now stale; older posts follow on `earful enrich`)."""
    since = utcnow() - timedelta(days=settings.reclassify_days)
    ids = posts_repo.newest_ids_since(session, since, settings.reclassify_limit)
    for start in range(0, len(ids), RECLASSIFY_CHUNK):
        enqueue(session, settings, ENRICH_JOB, {"post_ids": list(ids[start : start + RECLASSIFY_CHUNK])})
    return len(ids)
