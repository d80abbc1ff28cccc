"""Ingest's background jobs: run the enrichment chain over newly stored posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from earful.connectors.files import map_item
from earful.contracts import PostDraft, RawItem
from earful.ingest.schemas import ENRICH_JOB
from earful.jobs.registry import JobContext, job
from earful.kit.clock import utcnow
from earful.kit.seal import Sealer, SealError
from earful.kit.text import storable
from earful.ml import keywords
from earful.pipeline import neardup
from earful.pipeline.chain import TEXT_STAGES, Chain, StageFailed, build_chain
from earful.pipeline.classify import ClassifyStage
from earful.pipeline.stage import WorkItem
from earful.settings import Settings
from earful.store.models import Post
from earful.store.repos import labels as labels_repo
from earful.store.repos import posts as posts_repo
from earful.store.repos import quarantine as quarantine_repo
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.sealing import quarantine_sealer, raw_sealer

_CHAINS: dict[tuple[Any, ...], Chain] = {}


def chain_for(session: Session, settings: Settings) -> Chain:
    """Return the chain for these settings and the taxonomy now in use (built once per version)."""
    latest = taxonomy_repo.latest(session)
    key = (
        settings.secret,
        tuple(settings.languages),
        tuple(settings.public_handles),
        latest.version if latest else 0,
    )
    if key not in _CHAINS:
        classify = None
        if latest is not None:
            taxonomy = taxonomy_repo.load(session, latest)
            model = f"{keywords.NAME}-{keywords.VERSION}"
            classify = ClassifyStage(keywords.KeywordClassifier(taxonomy), latest.version, model)
        _CHAINS.clear()  # one taxonomy is in use at a time
        _CHAINS[key] = build_chain(
            settings.secret, list(settings.languages), settings.public_handles, classify
        )
    return _CHAINS[key]


@job(ENRICH_JOB)
def enrich(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Run the stale part of the enrichment chain over the posts in `payload["post_ids"]`.

    A post whose stage fails (or whose raw item cannot be read) is quarantined with the reason
    and the rest of the batch goes on.
    """
    settings = ctx.settings
    chain = chain_for(ctx.session, settings)
    restart_below = max(i for i, stage in enumerate(chain.stages) if stage.name in TEXT_STAGES)
    sealer = raw_sealer(settings.secret)
    post_ids = [int(i) for i in payload.get("post_ids", [])]
    stored = posts_repo.enrichments_for(ctx.session, post_ids)
    category_ids: dict[int, dict[str, int]] = {}  # taxonomy version -> {key: id}, read once a job
    for post in posts_repo.get_many(ctx.session, post_ids):
        done = {stage: row.version for stage, row in stored[post.id].items()}
        start = chain.stale_from(done)
        if start >= len(chain.stages):
            continue
        if start <= restart_below:
            start = 0  # the text must be rebuilt from the raw item, before cleaning and redaction
        outputs = {s: r.outputs for s, r in stored[post.id].items()}
        try:
            item = _work_item(ctx.session, sealer, chain, post, start, outputs)
            results = chain.run(item, start)
        except (StageFailed, SealError, ValueError) as exc:
            where = exc.stage if isinstance(exc, StageFailed) else "raw item"
            quarantine_repo.add_many(
                ctx.session,
                post.source_id,
                f"enrich:post:{post.id}",
                [(where, str(exc), _sealed_text(ctx.session, sealer, post))],
                utcnow(),
                quarantine_sealer(settings.secret),
            )
            continue
        _save(ctx.session, post, item, results, category_ids)


def _work_item(
    session: Session, sealer: Sealer, chain: Chain, post: Post, start: int, outputs: dict[str, dict[str, Any]]
) -> WorkItem:
    """Rebuild the state a post had after the stages before `start`, so the chain can resume there.

    From the start, the text comes from the raw item (sealed, as received); resuming later, from
    the post's stored text, which is already cleaned and redacted.
    """
    names = [stage.name for stage in chain.stages]
    needs_raw = start == 0 or "pseudonymise" in names[start:]
    draft = _mapped(session, sealer, post) if needs_raw else None
    if start == 0:
        if draft is None:
            raise ValueError("the post's raw item is missing or maps to no post; it cannot be enriched again")
        return WorkItem(
            text=draft.text, title=draft.title, author_handle=draft.author_handle, language_hint=post.language
        )
    item = WorkItem(text=post.text or "", title=post.title, language_hint=post.language)
    for name in names[:start]:
        item.fields.update(outputs.get(name, {}))
    if draft is not None:
        item.author_handle = draft.author_handle
    return item


def _mapped(session: Session, sealer: Sealer, post: Post) -> PostDraft | None:
    raw = posts_repo.raw_for(session, post)
    if raw is None:
        return None
    item = RawItem(
        format=raw.format, external_id=post.external_id, payload=orjson.loads(sealer.open(raw.sealed))
    )
    mapped = map_item(item)
    return None if isinstance(mapped, str) or mapped is None else mapped


def _sealed_text(session: Session, sealer: Sealer, post: Post) -> str:
    raw = posts_repo.raw_for(session, post)
    if raw is None:
        return ""
    try:
        return sealer.open(raw.sealed)
    except SealError:
        return ""


def _save(
    session: Session,
    post: Post,
    item: WorkItem,
    results: list[tuple[str, int, dict[str, Any]]],
    category_ids: dict[int, dict[str, int]],
) -> None:
    now = utcnow()
    # Text is kept once, on the post, redacted; a stage's own copy (the cleaned text before
    # redaction) is never stored. Resuming before redaction starts again from the raw item.
    kept = [
        (name, version, {k: v for k, v in outputs.items() if k not in ("text", "title")})
        for name, version, outputs in results
    ]
    posts_repo.save_enrichments(session, post.id, kept, now)
    fields = item.fields
    changes: dict[str, Any] = {"text": storable(item.text), "title": item.title}
    if "language" in fields:
        changes["language"] = fields["language"]
    if "author_key" in fields:
        changes["author_key"] = fields["author_key"]
    if "fingerprint" in fields:
        changes["fingerprint"] = _group_fingerprint(session, post, fields)
    for column in ("urgency", "sentiment", "sentiment_score"):
        if column in fields:
            changes[column] = fields[column]
    posts_repo.set_fields(session, post.id, **changes)
    if "fingerprint" in fields:
        posts_repo.fold_duplicate(session, post.id, changes["fingerprint"])
    for name, _, outputs in results:
        if name == "classify":
            _save_labels(session, post, outputs, now, category_ids)


def _group_fingerprint(session: Session, post: Post, fields: dict[str, Any]) -> str | None:
    """Return the fingerprint that names the post's group of copies.

    An exact copy already shares its original's fingerprint. A near copy (most shingles shared,
    by MinHash) takes the fingerprint of the closest post it resembles, so the same fold that
    collapses exact copies collapses it too.
    """
    own: str | None = fields["fingerprint"]
    sig = fields.get("signature")
    bands = fields.get("bands") or []
    if "bands" in fields:
        posts_repo.replace_bands(session, post.id, bands)
    if not sig or not bands:
        return own
    neighbours = posts_repo.band_neighbours(session, post.id, bands)
    stored = posts_repo.enrichments_for(session, neighbours)
    best, best_score = None, neardup.THRESHOLD
    for pid in neighbours:
        other = stored[pid].get("neardup")
        other_sig = other.outputs.get("signature") if other is not None else None
        if other_sig and len(other_sig) == len(sig):
            score = neardup.resemblance(sig, other_sig)
            if score >= best_score:
                best, best_score = pid, score
    if best is None:
        return own
    return posts_repo.fingerprints(session, [best]).get(best) or own


def _save_labels(
    session: Session,
    post: Post,
    outputs: dict[str, Any],
    now: datetime,
    category_ids: dict[int, dict[str, int]],
) -> None:
    version = int(outputs["taxonomy_version"])
    if version not in category_ids:
        category_ids[version] = taxonomy_repo.category_ids(session, version)
    ids = category_ids[version]
    labels = [
        (ids[label["key"]], float(label["confidence"])) for label in outputs["labels"] if label["key"] in ids
    ]
    labels_repo.replace_model_labels(
        session, post.id, labels, model=str(outputs["model"]), taxonomy_version=version, now=now
    )
